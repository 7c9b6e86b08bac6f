//! Core dumps are off after `disable_core_dumps` (its own test binary: it changes the process).

#[cfg(target_os = "linux")]
#[test]
fn core_dumps_are_off_for_the_process_and_its_children() {
    lucent_core::hardening::disable_core_dumps().unwrap();
    assert_eq!(lucent_core::hardening::core_dumps_possible(), Some(false));
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap();
    let core = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .unwrap();
    assert_eq!(
        core.split_whitespace().collect::<Vec<_>>()[4..6],
        ["0", "0"],
        "{core}"
    );
    // A child inherits the limit and cannot raise it.
    let child = std::process::Command::new("sh")
        .args([
            "-c",
            "ulimit -c; ulimit -c unlimited 2>/dev/null && echo raised",
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&child.stdout).trim(), "0");
    // The process's own /proc files stay readable (the facade reads RssAnon there).
    assert!(
        std::fs::read_to_string("/proc/self/status")
            .unwrap()
            .contains("RssAnon")
    );
}
