//! The data-directory rule, decided here and nowhere else: where Lucent keeps what it writes for
//! a user — the audit log (unless the managed policy places it) and the viewer's webview data.
//!
//! The data directory is the one the caller names (`Session::with_data_dir`, tests), else
//! `LUCENT_DATA_DIR`, else `$XDG_DATA_HOME/lucent`, else `~/.local/share/lucent` (`$HOME`, else
//! `%USERPROFILE%`); a variable set to the empty string counts as unset. The audit log is its
//! `audit` folder unless the managed policy's `audit.directory` says otherwise
//! ([`audit_location`]; docs/POLICY.md); the webview keeps its data in its `webview` folder
//! whatever the policy says ([`webview_data_dir`]).

use lucent_audit::AuditError;
pub use lucent_audit::{AuditLocation, LocationSource};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// What chose a data directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataDirSource {
    /// The caller named it (`Session::with_data_dir`, tests).
    Caller,
    /// `LUCENT_DATA_DIR`.
    LucentDataDir,
    /// `$XDG_DATA_HOME/lucent`.
    XdgDataHome,
    /// The platform default, `~/.local/share/lucent`.
    Default,
}

impl DataDirSource {
    /// What chose it, in the words `lucent policy show` prints after "default: ".
    pub fn describe(self) -> &'static str {
        match self {
            DataDirSource::Caller => "the data directory given by the caller",
            DataDirSource::LucentDataDir => "LUCENT_DATA_DIR",
            DataDirSource::XdgDataHome => "XDG_DATA_HOME",
            DataDirSource::Default => "~/.local/share/lucent",
        }
    }
}

/// A user's data directory and what chose it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDir {
    /// The folder (it may not exist yet).
    pub path: PathBuf,
    /// What chose it.
    pub source: DataDirSource,
}

/// The data directory: `explicit` when the caller names one, else the environment's
/// (`LUCENT_DATA_DIR`, `XDG_DATA_HOME`, the home folder).
pub fn data_dir(explicit: Option<&Path>) -> DataDir {
    data_dir_from(explicit, |name| std::env::var_os(name))
}

/// [`data_dir`] with the environment read through `var`.
fn data_dir_from(explicit: Option<&Path>, var: impl Fn(&str) -> Option<OsString>) -> DataDir {
    let set = |name: &str| var(name).filter(|v| !v.is_empty());
    if let Some(dir) = explicit {
        return DataDir {
            path: dir.to_path_buf(),
            source: DataDirSource::Caller,
        };
    }
    if let Some(dir) = set("LUCENT_DATA_DIR") {
        return DataDir {
            path: PathBuf::from(dir),
            source: DataDirSource::LucentDataDir,
        };
    }
    if let Some(dir) = set("XDG_DATA_HOME") {
        return DataDir {
            path: PathBuf::from(dir).join("lucent"),
            source: DataDirSource::XdgDataHome,
        };
    }
    let home = var("HOME")
        .or_else(|| var("USERPROFILE"))
        .unwrap_or_default();
    DataDir {
        path: PathBuf::from(home)
            .join(".local")
            .join("share")
            .join("lucent"),
        source: DataDirSource::Default,
    }
}

/// Where the audit log lives: the managed policy's folder (the policy is loaded now; an invalid
/// one is `E_POLICY_INVALID`), else the data directory's `audit` folder.
pub fn audit_location(explicit_data_dir: Option<&Path>) -> Result<AuditLocation, AuditError> {
    let data = data_dir(explicit_data_dir);
    lucent_audit::location::resolve(AuditLocation::in_data_dir(
        &data.path,
        data.source.describe(),
    ))
}

/// The folder the viewer's webview keeps its data in (`<data dir>/webview`: WebKit's caches and
/// storage), created owner-only with its parent (0700), so that what WebKit writes there is
/// readable by this OS user only whatever modes WebKit gives its files.
pub fn webview_data_dir() -> std::io::Result<PathBuf> {
    let data = data_dir(None).path;
    lucent_audit::log::create_private_dir_all(&data)?;
    let webview = data.join("webview");
    lucent_audit::log::create_private_dir_all(&webview)?;
    Ok(webview)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn rule(explicit: Option<&Path>, env: &[(&str, &str)]) -> DataDir {
        let env: HashMap<String, OsString> = env
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        data_dir_from(explicit, |name| env.get(name).cloned())
    }

    #[test]
    fn the_caller_then_lucent_data_dir_then_xdg_then_home() {
        let all = [
            ("LUCENT_DATA_DIR", "/ldd"),
            ("XDG_DATA_HOME", "/xdg"),
            ("HOME", "/home/u"),
        ];
        let given = rule(Some(Path::new("/given")), &all);
        assert_eq!(given.path, Path::new("/given"));
        assert_eq!(given.source, DataDirSource::Caller);
        let ldd = rule(None, &all);
        assert_eq!(ldd.path, Path::new("/ldd"));
        assert_eq!(ldd.source, DataDirSource::LucentDataDir);
        let xdg = rule(None, &all[1..]);
        assert_eq!(xdg.path, Path::new("/xdg/lucent"));
        assert_eq!(xdg.source, DataDirSource::XdgDataHome);
        let home = rule(None, &all[2..]);
        assert_eq!(home.path, Path::new("/home/u/.local/share/lucent"));
        assert_eq!(home.source, DataDirSource::Default);
        let windows = rule(None, &[("USERPROFILE", "/profile")]);
        assert_eq!(windows.path, Path::new("/profile/.local/share/lucent"));
    }

    #[test]
    fn an_empty_variable_counts_as_unset() {
        let dir = rule(
            None,
            &[
                ("LUCENT_DATA_DIR", ""),
                ("XDG_DATA_HOME", ""),
                ("HOME", "/h"),
            ],
        );
        assert_eq!(dir.path, Path::new("/h/.local/share/lucent"));
        assert_eq!(dir.source, DataDirSource::Default);
    }

    #[test]
    fn an_unmanaged_audit_log_is_in_the_data_directory_and_says_what_chose_it() {
        let data = rule(None, &[("XDG_DATA_HOME", "/xdg")]);
        let at = AuditLocation::in_data_dir(&data.path, data.source.describe());
        assert_eq!(at.dir, Path::new("/xdg/lucent/audit"));
        assert_eq!(at.key_scope, Path::new("/xdg/lucent"));
        assert_eq!(at.source.to_string(), "default: XDG_DATA_HOME");
    }
}
