//! Where the audit log lives: resolved here, once, for the facade (`lucent-core`), the CLI and
//! the viewer shell.
//!
//! Precedence (docs/POLICY.md): the managed policy's `audit.directory` (with `{user}` and
//! `{uid}` expanded for the process's OS account) over everything the user or the caller sets;
//! else the data directory the caller gives (`Session::with_data_dir`), else `LUCENT_DATA_DIR`,
//! else `$XDG_DATA_HOME/lucent`, else `~/.local/share/lucent` — its `audit` folder. An invalid
//! policy fails the resolution (`E_POLICY_INVALID`): no log opens, so no study opens.
//!
//! The keys of a log in a data directory are namespaced by that directory (as before policies
//! existed); the keys of a log the policy places are namespaced by its audit folder.

use crate::error::AuditError;
use crate::log::data_dir;
use crate::origin::Origin;
use lucent_policy::Policy;
use std::path::{Path, PathBuf};

/// Where a location came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocationSource {
    /// The managed policy's `audit.directory` (the template as written).
    Policy(String),
    /// A data directory the caller chose (`Session::with_data_dir`, tests).
    Caller,
    /// `LUCENT_DATA_DIR`.
    LucentDataDir,
    /// `XDG_DATA_HOME`.
    XdgDataHome,
    /// The platform default (`~/.local/share/lucent`).
    Default,
}

impl std::fmt::Display for LocationSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LocationSource::Policy(t) => write!(f, "policy file: audit.directory = {t:?}"),
            LocationSource::Caller => {
                f.write_str("default: the data directory given by the caller")
            }
            LocationSource::LucentDataDir => f.write_str("default: LUCENT_DATA_DIR"),
            LocationSource::XdgDataHome => f.write_str("default: XDG_DATA_HOME"),
            LocationSource::Default => f.write_str("default: ~/.local/share/lucent"),
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
    /// The log in `data_dir/audit`, keys namespaced by `data_dir`.
    pub fn in_data_dir(data_dir: &Path, source: LocationSource) -> Self {
        AuditLocation {
            dir: data_dir.join("audit"),
            key_scope: data_dir.to_path_buf(),
            source,
        }
    }

    /// Whether the managed policy fixes this location.
    pub fn is_managed(&self) -> bool {
        matches!(self.source, LocationSource::Policy(_))
    }
}

/// The audit location under the system policy (loaded now), for `explicit_data_dir` if the
/// caller chose one.
pub fn resolve(explicit_data_dir: Option<&Path>) -> Result<AuditLocation, AuditError> {
    let policy = Policy::load()?;
    resolve_with(&policy, explicit_data_dir, &Origin::current(""))
}

/// The audit location under `policy` for the account of `origin`.
pub fn resolve_with(
    policy: &Policy,
    explicit_data_dir: Option<&Path>,
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
    if let Some(data) = explicit_data_dir {
        return Ok(AuditLocation::in_data_dir(data, LocationSource::Caller));
    }
    let source = if std::env::var_os("LUCENT_DATA_DIR").is_some_and(|d| !d.is_empty()) {
        LocationSource::LucentDataDir
    } else if std::env::var_os("XDG_DATA_HOME").is_some_and(|d| !d.is_empty()) {
        LocationSource::XdgDataHome
    } else {
        LocationSource::Default
    };
    Ok(AuditLocation::in_data_dir(&data_dir(), source))
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
        let at = resolve_with(&policy, Some(&chosen), &origin).unwrap();
        assert_eq!(at.dir, managed.join(&origin.user));
        assert_eq!(at.key_scope, at.dir);
        assert!(at.is_managed());
        let unmanaged = resolve_with(&Policy::none(), Some(&chosen), &origin).unwrap();
        assert_eq!(unmanaged.dir, chosen.join("audit"));
        assert_eq!(unmanaged.key_scope, chosen);
        assert_eq!(unmanaged.source, LocationSource::Caller);
    }
}
