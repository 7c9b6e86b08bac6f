//! Where the audit log lives: the managed policy's folder over the caller's data directory,
//! resolved here for the facade (`lucent-core`, which owns the data-directory rule and every
//! caller's way in: the CLI, the shell).
//!
//! Precedence (docs/POLICY.md): the managed policy's `audit.directory` (with `{user}` and
//! `{uid}` expanded for the process's OS account) over everything the user or the caller sets;
//! else the `audit` folder of the data directory the caller names (the facade's rule: the
//! session's own, else `LUCENT_DATA_DIR`, else `$XDG_DATA_HOME/lucent`, else
//! `~/.local/share/lucent`). An invalid policy fails the resolution (`E_POLICY_INVALID`): no log
//! opens, so no study opens.
//!
//! The keys of a log in a data directory are namespaced by that directory (as before policies
//! existed); the keys of a log the policy places are namespaced by its audit folder.

use crate::error::AuditError;
use crate::origin::Origin;
use lucent_policy::Policy;
use std::path::{Path, PathBuf};

/// Where a location came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocationSource {
    /// The managed policy's `audit.directory` (the template as written).
    Policy(String),
    /// The user's data directory; the text says what chose it (`LUCENT_DATA_DIR`, …).
    DataDir(String),
}

impl std::fmt::Display for LocationSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LocationSource::Policy(t) => write!(f, "policy file: audit.directory = {t:?}"),
            LocationSource::DataDir(chosen_by) => write!(f, "default: {chosen_by}"),
        }
    }
}

/// An audit log's place: its folder and the path its keychain entries are namespaced by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditLocation {
    /// The folder holding `audit-NNNNNN.log` and `lock`.
    pub dir: PathBuf,
    /// The path whose hash namespaces the log's keychain entries.
    pub key_scope: PathBuf,
    /// Where it came from.
    pub source: LocationSource,
}

impl AuditLocation {
    /// The log in `data_dir/audit`, keys namespaced by `data_dir`; `chosen_by` says what chose
    /// the data directory.
    pub fn in_data_dir(data_dir: &Path, chosen_by: &str) -> Self {
        AuditLocation {
            dir: data_dir.join("audit"),
            key_scope: data_dir.to_path_buf(),
            source: LocationSource::DataDir(chosen_by.to_string()),
        }
    }

    /// Whether the managed policy fixes this location.
    pub fn is_managed(&self) -> bool {
        matches!(self.source, LocationSource::Policy(_))
    }
}

/// The audit location under the system policy (loaded now): the policy's folder when it sets
/// one, else `unmanaged` (the caller's data directory's log).
pub fn resolve(unmanaged: AuditLocation) -> Result<AuditLocation, AuditError> {
    let policy = Policy::load()?;
    resolve_with(&policy, unmanaged, &Origin::current(""))
}

/// The audit location under `policy` for the account of `origin`, else `unmanaged`.
pub fn resolve_with(
    policy: &Policy,
    unmanaged: AuditLocation,
    origin: &Origin,
) -> Result<AuditLocation, AuditError> {
    if let Some(dir) = policy.audit_directory(&origin.user, origin.uid.unwrap_or(u32::MAX))? {
        let template = match policy.source("audit.directory") {
            lucent_policy::Source::PolicyFile(t) => t,
            lucent_policy::Source::Default => String::new(),
        };
        return Ok(AuditLocation {
            key_scope: dir.clone(),
            dir,
            source: LocationSource::Policy(template),
        });
    }
    Ok(unmanaged)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn the_policy_wins_over_the_callers_data_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("policy.toml");
        let managed = tmp.path().join("managed");
        std::fs::write(
            &file,
            format!("[audit]\ndirectory = \"{}/{{user}}\"\n", managed.display()),
        )
        .unwrap();
        let uid = nix::unistd::geteuid().as_raw();
        let policy = Policy::load_from(&file, &[0, uid]).unwrap();
        let origin = Origin::current("t");
        let chosen = tmp.path().join("chosen");
        let callers = AuditLocation::in_data_dir(&chosen, "the data directory given by the caller");
        let at = resolve_with(&policy, callers.clone(), &origin).unwrap();
        assert_eq!(at.dir, managed.join(&origin.user));
        assert_eq!(at.key_scope, at.dir);
        assert!(at.is_managed());
        let unmanaged = resolve_with(&Policy::none(), callers, &origin).unwrap();
        assert_eq!(unmanaged.dir, chosen.join("audit"));
        assert_eq!(unmanaged.key_scope, chosen);
        assert_eq!(
            unmanaged.source.to_string(),
            "default: the data directory given by the caller"
        );
        assert!(!unmanaged.is_managed());
    }
}
