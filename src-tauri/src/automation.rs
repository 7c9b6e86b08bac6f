//! Who may drive the webview: only a test build (cargo feature `e2e-automation`, which the E2E
//! suite builds as `lucent-viewer-e2e`) accepts WebDriver automation or WebKit's remote inspector.
//!
//! Both are switched on from outside, at run time, by environment variables: tauri-runtime-wry
//! 2.11 allows WebKit automation on the first web context when `TAURI_WEBVIEW_AUTOMATION=true`
//! (`tauri-runtime-wry/src/lib.rs`, `create_webview`; tauri-driver also sets the 1.x name
//! `TAURI_AUTOMATION`), and WebKitGTK starts its remote inspector server (which WebKitWebDriver
//! connects to, and which another WebKit browser can use as a console) when
//! `WEBKIT_INSPECTOR_SERVER` or `WEBKIT_INSPECTOR_HTTP_SERVER` is set. A shipped build removes
//! them before anything else runs: `std::env::remove_var` is `unsafe` in edition 2024 (and the
//! workspace forbids `unsafe`), so the process re-executes itself, same image and arguments,
//! with those variables removed. If that fails, it does not start (fail closed).

/// The variables that let whoever starts the viewer script its webview.
pub const AUTOMATION_VARIABLES: &[&str] = &[
    "TAURI_WEBVIEW_AUTOMATION",
    "TAURI_AUTOMATION",
    "WEBKIT_INSPECTOR_SERVER",
    "WEBKIT_INSPECTOR_HTTP_SERVER",
];

/// The automation variables present (with any value) among `vars`.
pub fn automation_variables<K: AsRef<std::ffi::OsStr>>(
    vars: impl IntoIterator<Item = K>,
) -> Vec<&'static str> {
    let names: Vec<K> = vars.into_iter().collect();
    AUTOMATION_VARIABLES
        .iter()
        .copied()
        .filter(|v| names.iter().any(|n| n.as_ref() == std::ffi::OsStr::new(v)))
        .collect()
}

/// Test build: automation stays available, and the build says so on stderr (the E2E suite also
/// checks that this sentence is absent from the shipped binary).
#[cfg(feature = "e2e-automation")]
pub fn refuse_automation() {
    eprintln!(
        "lucent-viewer: TEST BUILD (feature e2e-automation): WebDriver automation is allowed; never ship this binary"
    );
}

/// Shipped build: re-executes itself without the automation variables when any is set; exits
/// with status 1 if that is impossible. Call before anything else (no thread, no webview yet).
#[cfg(not(feature = "e2e-automation"))]
pub fn refuse_automation() {
    let present = automation_variables(std::env::vars_os().map(|(k, _)| k));
    if present.is_empty() {
        return;
    }
    let err = reexec_without(&present);
    eprintln!(
        "lucent-viewer: refusing to start: cannot restart without {} ({err})",
        present.join(", ")
    );
    std::process::exit(1);
}

/// Replaces this process with the same executable and arguments, minus `removed` in its
/// environment. Returns only on failure.
#[cfg(all(unix, not(feature = "e2e-automation")))]
fn reexec_without(removed: &[&str]) -> std::io::Error {
    use std::os::unix::process::CommandExt;
    // The running image itself (not whatever now sits at the path it was started from).
    let exe = if cfg!(target_os = "linux") {
        std::path::PathBuf::from("/proc/self/exe")
    } else {
        match std::env::current_exe() {
            Ok(p) => p,
            Err(e) => return e,
        }
    };
    let mut args = std::env::args_os();
    let mut command = std::process::Command::new(exe);
    if let Some(arg0) = args.next() {
        command.arg0(arg0);
    }
    command.args(args);
    for v in removed {
        command.env_remove(v);
    }
    command.exec()
}

#[cfg(all(not(unix), not(feature = "e2e-automation")))]
fn reexec_without(_removed: &[&str]) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "re-executing is implemented on Unix only",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variable_that_enables_automation_or_the_inspector_is_found() {
        let env = [
            "HOME",
            "TAURI_WEBVIEW_AUTOMATION",
            "PATH",
            "WEBKIT_INSPECTOR_SERVER",
            "TAURI_AUTOMATION",
            "WEBKIT_INSPECTOR_HTTP_SERVER",
        ];
        assert_eq!(automation_variables(env), AUTOMATION_VARIABLES);
        assert!(automation_variables(["HOME", "TAURI_WEBVIEW_AUTOMATIONX"]).is_empty());
    }
}
