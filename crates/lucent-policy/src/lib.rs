//! Lucent's managed policy: a system-wide file (`/etc/lucent/policy.toml`) that an administrator
//! writes and the user cannot change, whose keys take precedence over the user's settings
//! (`LUCENT_DATA_DIR`, `XDG_DATA_HOME`).
//!
//! Fail closed: a policy file that exists but cannot be trusted or understood refuses everything
//! that depends on it ([`PolicyError`], `E_POLICY_INVALID`): it does not parse, it has a key this
//! version does not know, a value is invalid, or the file or one of its folders is owned by
//! someone other than root or writable by anyone but its owner (a root-owned folder with the
//! sticky bit, such as `/tmp`, is accepted above the file's own folder). A file that does not
//! exist means no policy: every key has its default. The file is checked on the open handle it is
//! then read from.
//!
//! Keys (all documented in `docs/POLICY.md`, listed by [`KEYS`]):
//! - `[audit] directory`: the folder holding the audit log, an absolute path in which `{user}`
//!   (the OS account name of the process's real uid) and `{uid}` are replaced.
//!
//! Tests point the loader at another file only through the `test-override` cargo feature (off by
//! default, enabled by the dev-dependencies of the crates whose tests need it), which makes the
//! loader read the file named by an environment variable; release builds have no such path.
//!
//! Architecture invariants: plain Rust (no Tauri, no keychain, no audit); never a partial policy
//! (a file is accepted whole or refused); unknown keys are refused, never ignored.

use lucent_error::{ErrorCode, HasErrorCode};
use serde::Deserialize;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// Where the managed policy lives.
#[cfg(unix)]
pub const SYSTEM_POLICY_FILE: &str = "/etc/lucent/policy.toml";
/// Where the managed policy lives.
#[cfg(not(unix))]
pub const SYSTEM_POLICY_FILE: &str = r"C:\ProgramData\Lucent\policy.toml";

/// Largest policy file accepted.
const MAX_POLICY_BYTES: u64 = 64 * 1024;

/// One key of the policy, for `lucent policy show` and `docs/POLICY.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyInfo {
    /// Dotted name (`audit.directory`).
    pub name: &'static str,
    /// What it controls.
    pub description: &'static str,
    /// What applies when the policy does not set it.
    pub default: &'static str,
}

/// Every key this version knows.
pub const KEYS: &[KeyInfo] = &[KeyInfo {
    name: "audit.directory",
    description: "the folder that holds the audit log (an absolute path; {user} is the OS account name, {uid} the numeric user id); the user cannot choose another",
    default: "the user's data directory: $LUCENT_DATA_DIR/audit, else $XDG_DATA_HOME/lucent/audit, else ~/.local/share/lucent/audit",
}];

/// Why a policy file was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyProblem {
    /// The file exists but could not be read.
    Unreadable(String),
    /// The file or a folder above it is not owned by root or is writable by others.
    Untrusted(String),
    /// Not TOML, a wrong type, or an unknown key.
    Syntax(String),
    /// A key's value is not acceptable.
    InvalidValue {
        /// The key.
        key: &'static str,
        /// Why.
        reason: String,
    },
}

impl std::fmt::Display for PolicyProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PolicyProblem::Unreadable(e) => write!(f, "it cannot be read ({e})"),
            PolicyProblem::Untrusted(e) => write!(f, "it is not protected from change: {e}"),
            PolicyProblem::Syntax(e) => write!(f, "it is not a valid policy: {e}"),
            PolicyProblem::InvalidValue { key, reason } => write!(f, "{key}: {reason}"),
        }
    }
}

/// A managed policy that cannot be used: nothing that depends on it runs (fail closed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the managed policy {} is refused: {problem}. Lucent opens no study until an administrator fixes it (see docs/POLICY.md)",
    path.display()
)]
pub struct PolicyError {
    /// The policy file.
    pub path: PathBuf,
    /// What is wrong.
    pub problem: PolicyProblem,
}

impl HasErrorCode for PolicyError {
    fn code(&self) -> ErrorCode {
        ErrorCode::PolicyInvalid
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    audit: Option<AuditSection>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditSection {
    directory: Option<String>,
}

/// The policy in force: what the file sets (nothing when there is no file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    file: PathBuf,
    present: bool,
    audit_directory: Option<String>,
}

/// Where a key's effective value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The managed policy file sets it (its value as written).
    PolicyFile(String),
    /// Not set: the default applies.
    Default,
}

impl Policy {
    /// No policy: every key has its default.
    pub fn none() -> Self {
        Policy {
            file: PathBuf::from(SYSTEM_POLICY_FILE),
            present: false,
            audit_directory: None,
        }
    }

    /// Loads the system policy (`/etc/lucent/policy.toml`). A missing file is no policy; a file
    /// that exists but cannot be trusted or understood is an error.
    pub fn load() -> Result<Self, PolicyError> {
        #[cfg(feature = "test-override")]
        if let Some(path) = std::env::var_os("LUCENT_TEST_POLICY_FILE").filter(|p| !p.is_empty()) {
            // Tests write their policy files as the user running them: trust that user too.
            return Self::load_from(Path::new(&path), &[0, current_euid()]);
        }
        Self::load_from(Path::new(SYSTEM_POLICY_FILE), &[0])
    }

    /// Loads the policy at `path`, which with every folder above it must be owned by one of
    /// `trusted_owners` (uids) and writable by no one else.
    pub fn load_from(path: &Path, trusted_owners: &[u32]) -> Result<Self, PolicyError> {
        let refuse = |problem| PolicyError {
            path: path.to_path_buf(),
            problem,
        };
        let mut file = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Policy {
                    file: path.to_path_buf(),
                    present: false,
                    audit_directory: None,
                });
            }
            Err(e) => return Err(refuse(PolicyProblem::Unreadable(e.to_string()))),
        };
        let meta = file
            .metadata()
            .map_err(|e| refuse(PolicyProblem::Unreadable(e.to_string())))?;
        if !meta.is_file() {
            return Err(refuse(PolicyProblem::Unreadable(
                "not a regular file".into(),
            )));
        }
        check_trusted(path, &meta, trusted_owners)
            .map_err(|e| refuse(PolicyProblem::Untrusted(e)))?;
        if meta.len() > MAX_POLICY_BYTES {
            return Err(refuse(PolicyProblem::Syntax(format!(
                "larger than {MAX_POLICY_BYTES} bytes"
            ))));
        }
        let mut text = String::new();
        (&mut file)
            .take(MAX_POLICY_BYTES + 1)
            .read_to_string(&mut text)
            .map_err(|e| refuse(PolicyProblem::Unreadable(e.to_string())))?;
        let parsed: PolicyFile = toml::from_str(&text)
            .map_err(|e| refuse(PolicyProblem::Syntax(e.message().to_string())))?;
        let audit_directory = parsed.audit.unwrap_or_default().directory;
        if let Some(template) = &audit_directory {
            check_directory_template(template).map_err(|reason| {
                refuse(PolicyProblem::InvalidValue {
                    key: "audit.directory",
                    reason,
                })
            })?;
        }
        Ok(Policy {
            file: path.to_path_buf(),
            present: true,
            audit_directory,
        })
    }

    /// The policy file consulted.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// Whether the policy file exists (and was accepted).
    pub fn is_present(&self) -> bool {
        self.present
    }

    /// `audit.directory` for the account `user` (uid `uid`), when the policy sets it.
    pub fn audit_directory(&self, user: &str, uid: u32) -> Result<Option<PathBuf>, PolicyError> {
        let Some(template) = &self.audit_directory else {
            return Ok(None);
        };
        let refuse = |reason: String| PolicyError {
            path: self.file.clone(),
            problem: PolicyProblem::InvalidValue {
                key: "audit.directory",
                reason,
            },
        };
        if template.contains("{user}")
            && (user.is_empty() || user == "." || user == ".." || user.contains(['/', '\\', '\0']))
        {
            return Err(refuse(format!(
                "the account name {user:?} cannot be part of a path"
            )));
        }
        let expanded = template
            .replace("{user}", user)
            .replace("{uid}", &uid.to_string());
        Ok(Some(PathBuf::from(expanded)))
    }

    /// Where `key`'s effective value comes from.
    pub fn source(&self, key: &str) -> Source {
        match (key, &self.audit_directory) {
            ("audit.directory", Some(v)) => Source::PolicyFile(v.clone()),
            _ => Source::Default,
        }
    }
}

/// An `audit.directory` value: absolute, no `..`, only the `{user}` and `{uid}` placeholders.
fn check_directory_template(template: &str) -> Result<(), String> {
    let stripped = template.replace("{user}", "").replace("{uid}", "");
    if stripped.contains(['{', '}']) {
        return Err("only the placeholders {user} and {uid} are known".into());
    }
    if template.contains('\0') {
        return Err("a path cannot contain NUL".into());
    }
    let path = Path::new(template);
    if !path.is_absolute() {
        return Err(format!("{template:?} is not an absolute path"));
    }
    if path.components().any(|c| matches!(c, Component::ParentDir)) {
        return Err(format!("{template:?} contains `..`"));
    }
    Ok(())
}

#[cfg(all(unix, feature = "test-override"))]
fn current_euid() -> u32 {
    nix::unistd::geteuid().as_raw()
}

#[cfg(all(not(unix), feature = "test-override"))]
fn current_euid() -> u32 {
    0
}

/// Why a file or folder with this owner and mode does not protect the policy, if it does not.
/// Group and others may not write; a folder may if it has the sticky bit and root owns it.
pub fn trust_problem(uid: u32, mode: u32, is_dir: bool, trusted_owners: &[u32]) -> Option<String> {
    let what = if is_dir { "folder" } else { "file" };
    if !trusted_owners.contains(&uid) {
        return Some(format!("the {what} is owned by uid {uid}, not root"));
    }
    if mode & 0o022 != 0 && !(is_dir && mode & 0o1000 != 0 && uid == 0) {
        return Some(format!(
            "the {what} is writable by its group or others (mode {:o})",
            mode & 0o7777
        ));
    }
    None
}

#[cfg(unix)]
fn check_trusted(
    path: &Path,
    meta: &std::fs::Metadata,
    trusted_owners: &[u32],
) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    if let Some(problem) = trust_problem(meta.uid(), meta.mode(), false, trusted_owners) {
        return Err(problem);
    }
    // Every folder above the file (after resolving links): a writable one lets its owner or
    // group replace the file.
    let canonical = path.canonicalize().map_err(|e| e.to_string())?;
    for dir in canonical.ancestors().skip(1) {
        let m = std::fs::metadata(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        if let Some(problem) = trust_problem(m.uid(), m.mode(), true, trusted_owners) {
            return Err(format!("{}: {problem}", dir.display()));
        }
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_trusted(
    _path: &Path,
    _meta: &std::fs::Metadata,
    _trusted_owners: &[u32],
) -> Result<(), String> {
    Err("file ownership cannot be checked on this platform yet, so a policy file is refused".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write_policy(dir: &Path, text: &str) -> PathBuf {
        let path = dir.join("policy.toml");
        let mut f = std::fs::File::create(&path).unwrap();
        f.write_all(text.as_bytes()).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        path
    }

    #[cfg(unix)]
    fn me() -> u32 {
        nix::unistd::geteuid().as_raw()
    }

    #[cfg(unix)]
    fn trusted() -> Vec<u32> {
        vec![0, me()]
    }

    #[test]
    fn a_missing_file_is_no_policy() {
        let dir = tempfile::tempdir().unwrap();
        let p = Policy::load_from(&dir.path().join("policy.toml"), &[0]).unwrap();
        assert!(!p.is_present());
        assert_eq!(p.audit_directory("alice", 1000).unwrap(), None);
        assert_eq!(p.source("audit.directory"), Source::Default);
    }

    #[cfg(unix)]
    #[test]
    fn the_audit_directory_is_expanded_per_user() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_policy(
            dir.path(),
            "[audit]\ndirectory = \"/var/lib/lucent/audit/{user}-{uid}\"\n",
        );
        let p = Policy::load_from(&path, &trusted()).unwrap();
        assert!(p.is_present());
        assert_eq!(
            p.audit_directory("alice", 1000).unwrap(),
            Some(PathBuf::from("/var/lib/lucent/audit/alice-1000"))
        );
        assert_eq!(
            p.source("audit.directory"),
            Source::PolicyFile("/var/lib/lucent/audit/{user}-{uid}".into())
        );
        let err = p.audit_directory("../etc", 1000).unwrap_err();
        assert_eq!(err.code(), ErrorCode::PolicyInvalid);
    }

    #[cfg(unix)]
    #[test]
    fn invalid_files_and_unknown_keys_and_bad_values_are_refused_with_the_code() {
        let cases = [
            ("[audit\ndirectory = 1", "syntax"),
            ("[audit]\ndirectory = 7\n", "wrong type"),
            (
                "[audit]\ndirectory = \"/a\"\nretention = 3\n",
                "unknown key",
            ),
            ("[network]\nproxy = \"x\"\n", "unknown table"),
            ("[audit]\ndirectory = \"relative/{user}\"\n", "relative"),
            ("[audit]\ndirectory = \"/a/../b\"\n", "parent"),
            ("[audit]\ndirectory = \"/a/{home}\"\n", "placeholder"),
        ];
        for (text, what) in cases {
            let dir = tempfile::tempdir().unwrap();
            let path = write_policy(dir.path(), text);
            let err = Policy::load_from(&path, &trusted()).unwrap_err();
            assert_eq!(err.code(), ErrorCode::PolicyInvalid, "{what}");
            assert!(
                matches!(
                    err.problem,
                    PolicyProblem::Syntax(_) | PolicyProblem::InvalidValue { .. }
                ),
                "{what}: {err:?}"
            );
        }
        let dir = tempfile::tempdir().unwrap();
        let path = write_policy(dir.path(), "[audit]\nretention = 3\n");
        let err = Policy::load_from(&path, &trusted()).unwrap_err();
        assert!(
            matches!(&err.problem, PolicyProblem::Syntax(m) if m.contains("retention")),
            "{err:?}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_file_or_folder_others_can_change_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let text = "[audit]\ndirectory = \"/var/lib/lucent/audit/{user}\"\n";
        let dir = tempfile::tempdir().unwrap();
        let path = write_policy(dir.path(), text);
        assert!(Policy::load_from(&path, &trusted()).is_ok());
        for mode in [0o664, 0o646, 0o666] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            let err = Policy::load_from(&path, &trusted()).unwrap_err();
            assert!(
                matches!(&err.problem, PolicyProblem::Untrusted(m) if m.contains("writable")),
                "mode {mode:o}: {err:?}"
            );
        }
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o770)).unwrap();
        let err = Policy::load_from(&path, &trusted()).unwrap_err();
        assert!(
            matches!(&err.problem, PolicyProblem::Untrusted(_)),
            "{err:?}"
        );
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();

        // Owned by someone other than root: as root, give it away; as a user, it is already.
        if me() == 0 {
            std::os::unix::fs::chown(&path, Some(65534), None).unwrap();
        }
        let err = Policy::load_from(&path, &[0]).unwrap_err();
        assert_eq!(err.code(), ErrorCode::PolicyInvalid);
        assert!(
            matches!(&err.problem, PolicyProblem::Untrusted(m) if m.contains("not root")),
            "{err:?}"
        );
    }

    #[test]
    fn trust_rules() {
        assert_eq!(trust_problem(0, 0o100644, false, &[0]), None);
        assert!(trust_problem(1000, 0o100644, false, &[0]).is_some());
        assert!(trust_problem(0, 0o100664, false, &[0]).is_some());
        assert!(trust_problem(0, 0o100646, false, &[0]).is_some());
        assert_eq!(trust_problem(0, 0o41777, true, &[0]), None, "/tmp");
        assert!(
            trust_problem(0, 0o41777, false, &[0]).is_some(),
            "sticky means nothing on a file"
        );
        assert!(trust_problem(1000, 0o41777, true, &[0, 1000]).is_some());
        assert!(trust_problem(0, 0o40775, true, &[0]).is_some());
    }
}
