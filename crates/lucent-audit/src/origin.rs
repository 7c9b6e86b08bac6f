//! Who and where, for records: the OS account of the process, the host and the process.
//!
//! The user is the account of the process's *real* uid as the system's user database resolves
//! it (`getpwuid_r`, so NSS sources such as LDAP or SSSD count), never the environment:
//! `$USER` and `$LOGNAME` are whatever the caller set. A uid without an account name is recorded
//! as `uid:NNNN`. The host is `gethostname(2)`; the process is its pid and executable name. PS3.15
//! A.5.2.1 (ActiveParticipant: the person's UserID, the process's identifiers).

/// Who and where, for records (no PHI).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// OS account name of the real uid (`uid:NNNN` when the uid has none).
    pub user: String,
    /// Real uid (`None` where the platform has none).
    pub uid: Option<u32>,
    /// Host name.
    pub host: String,
    /// Application and version.
    pub app: String,
    /// Process id.
    pub pid: u32,
    /// Executable name of the process (file name only, no folder).
    pub process: String,
}

impl Origin {
    /// The current process's account, host and process.
    pub fn current(app: &str) -> Self {
        let (user, uid) = account();
        Origin {
            user,
            uid,
            host: host_name(),
            app: app.to_string(),
            pid: std::process::id(),
            process: executable_name(),
        }
    }
}

/// The account name and uid of the process's real uid.
#[cfg(unix)]
fn account() -> (String, Option<u32>) {
    let uid = nix::unistd::getuid();
    let name = match nix::unistd::User::from_uid(uid) {
        Ok(Some(user)) if !user.name.is_empty() => user.name,
        _ => format!("uid:{}", uid.as_raw()),
    };
    (name, Some(uid.as_raw()))
}

/// Not resolved on this platform yet (see docs/AUDIT.md): recorded as `unknown`.
#[cfg(not(unix))]
fn account() -> (String, Option<u32>) {
    ("unknown".into(), None)
}

#[cfg(unix)]
fn host_name() -> String {
    nix::unistd::gethostname()
        .ok()
        .map(|h| h.to_string_lossy().trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(not(unix))]
fn host_name() -> String {
    "unknown".into()
}

fn executable_name() -> String {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::process::Command;

    fn run(cmd: &str, args: &[&str]) -> String {
        let out = Command::new(cmd).args(args).output().unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    /// The account, host and process as the system tools see them (`id`, the kernel's host
    /// name). That the environment is ignored is tested with a child whose `$USER` lies
    /// (`tests/audit.rs`).
    #[test]
    fn origin_is_the_real_uid_account_host_and_process() {
        let origin = Origin::current("lucent-test");
        assert_eq!(origin.uid.map(|u| u.to_string()), Some(run("id", &["-u"])));
        let expected = match run("id", &["-un"]) {
            name if name.is_empty() => format!("uid:{}", run("id", &["-u"])),
            name => name,
        };
        assert_eq!(origin.user, expected);
        assert_eq!(origin.pid, std::process::id());
        assert!(
            origin.process.starts_with("lucent_audit"),
            "{}",
            origin.process
        );
        let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_else(|_| run("hostname", &[]));
        assert_eq!(origin.host, hostname);
    }
}
