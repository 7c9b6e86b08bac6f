//! The audit trail's entries in the OS keychain: the master key, the keys derived from it, the
//! anchor, the pending alert, and the OS user's active log. The keychain itself (the store, the
//! namespacing, the access check), HKDF and sealing are `lucent-vault`'s.
//!
//! One random 256-bit master key per key scope (`audit-master`) lives in the OS keychain. The
//! MAC, token and sealing keys are derived from it separately with HKDF-SHA256 (RFC 5869, salt
//! `lucent-audit-v1`). The anchor (`audit-anchor`: latest sequence number and head hash) is kept
//! beside it, so truncation and rollback of the log are detectable; `audit-alert` holds a failed
//! verification for the next appender.
//!
//! Entries are namespaced by a hash of the canonical key scope (the data directory, or the audit
//! folder a managed policy names): a fresh `LUCENT_DATA_DIR` gets fresh keys. One entry is not
//! namespaced: the OS user's *active log* ([`ActiveLog`], `audit-active/uid-N`), naming the
//! location, key and namespace of the log this user last wrote to, so that a log started
//! anywhere else is recorded as a relocation (see `log.rs`).

use crate::error::AuditError;
pub use lucent_vault::hex;
use lucent_vault::{Keychain, VaultError};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::Path;

const MASTER: &str = "audit-master";
const ANCHOR: &str = "audit-anchor";
const ALERT: &str = "audit-alert";

/// The three keys derived from the master key, and its public id.
#[derive(Clone)]
pub struct AuditKeys {
    /// HMAC-SHA256 key for record MACs.
    pub mac: [u8; 32],
    /// HMAC-SHA256 key for study tokens.
    pub token: [u8; 32],
    /// AES-256-GCM key for sealed identifiers.
    pub seal: [u8; 32],
    /// Names the master key in records (`k1-` + 16 hex digits of a derived hash).
    pub key_id: String,
}

impl std::fmt::Debug for AuditKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditKeys")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl AuditKeys {
    /// Derives the keys from a master key (HKDF-SHA256, salt `lucent-audit-v1`).
    pub fn derive(master: &[u8; 32]) -> Self {
        let expand = |info: &[u8]| lucent_vault::derive(master, b"lucent-audit-v1", info);
        let id = expand(b"key-id");
        AuditKeys {
            mac: expand(b"record-mac"),
            token: expand(b"study-token"),
            seal: expand(b"identifier-seal"),
            key_id: format!("k1-{}", &hex(&id)[..16]),
        }
    }
}

/// The latest record as the keychain remembers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    /// Sequence number of the latest record.
    pub seq: u64,
    /// Hex SHA-256 of the latest record (MAC and body).
    pub head: String,
}

/// The audit trail's entries in the OS keychain, for one key scope.
#[derive(Debug, Clone)]
pub struct AuditKeychain {
    vault: Keychain,
}

/// The log the OS user last wrote to, as the per-user keychain entry remembers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActiveLog {
    /// Entry format (1).
    pub v: u32,
    /// Location token of the active log (`loc-` + 16 hex digits).
    pub token: String,
    /// Keychain namespace of its keys and anchor.
    pub namespace: String,
    /// Its key id.
    pub key_id: String,
    /// Its folder (kept in the keychain only; records name the token).
    pub dir: String,
    /// Locations seen before, newest first (at most [`ActiveLog::KNOWN_MAX`]), so that
    /// `verify` can say whether an earlier log is still there.
    #[serde(default)]
    pub known: Vec<KnownLocation>,
}

/// An earlier log location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownLocation {
    /// Its location token.
    pub token: String,
    /// Its folder.
    pub dir: String,
}

impl ActiveLog {
    /// Locations remembered.
    pub const KNOWN_MAX: usize = 32;

    /// The folder of a location token this user's logs have used, if remembered.
    pub fn known_dir(&self, token: &str) -> Option<&str> {
        if self.token == token {
            return Some(&self.dir);
        }
        self.known
            .iter()
            .find(|k| k.token == token)
            .map(|k| k.dir.as_str())
    }

    /// This entry moved to a new location, the old one remembered.
    pub fn moved_to(previous: Option<&ActiveLog>, next: ActiveLog) -> ActiveLog {
        let mut known = Vec::new();
        if let Some(p) = previous {
            known.push(KnownLocation {
                token: p.token.clone(),
                dir: p.dir.clone(),
            });
            known.extend(p.known.iter().cloned());
        }
        let mut seen = std::collections::HashSet::new();
        seen.insert(next.token.clone());
        known.retain(|k| seen.insert(k.token.clone()));
        known.truncate(Self::KNOWN_MAX);
        ActiveLog { known, ..next }
    }
}

/// The location token of an audit folder: `loc-` + 16 hex digits of SHA-256 of its canonical
/// path (no path in records).
pub fn location_token(audit_dir: &Path) -> String {
    let canonical = audit_dir
        .canonicalize()
        .unwrap_or_else(|_| audit_dir.to_path_buf());
    let mut h = Sha256::new();
    h.update(b"lucent-audit-location-v1\0");
    h.update(canonical.as_os_str().as_encoded_bytes());
    format!("loc-{}", &hex(&h.finalize())[..16])
}

impl AuditKeychain {
    /// Connects to the OS keychain and checks it (a write, read and delete), entries namespaced
    /// by `key_scope`.
    pub fn open(key_scope: &Path) -> Result<Self, AuditError> {
        Ok(AuditKeychain {
            vault: Keychain::open(key_scope)?,
        })
    }

    /// The namespace of this key scope's entries.
    pub fn namespace(&self) -> &str {
        self.vault.namespace()
    }

    /// The entries of another namespace (an earlier log's), in the same store.
    pub fn with_namespace(&self, namespace: &str) -> AuditKeychain {
        AuditKeychain {
            vault: self.vault.with_namespace(namespace),
        }
    }

    fn active_entry(uid: Option<u32>) -> String {
        let user = uid.map_or_else(|| "user".to_string(), |u| format!("uid-{u}"));
        format!("audit-active/{user}")
    }

    /// The OS user's active log (not namespaced), if one was anchored.
    pub fn active_log(&self, uid: Option<u32>) -> Result<Option<ActiveLog>, AuditError> {
        match self.vault.read_user_entry(&Self::active_entry(uid))? {
            Some(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|_| {
                AuditError::Keychain(
                    "the audit log anchor of this OS user in the keychain is unreadable".into(),
                )
            }),
            None => Ok(None),
        }
    }

    /// Anchors the OS user's active log.
    pub fn set_active_log(&self, uid: Option<u32>, active: &ActiveLog) -> Result<(), AuditError> {
        let bytes = serde_json::to_vec(active).map_err(|e| AuditError::Keychain(e.to_string()))?;
        Ok(self
            .vault
            .write_user_entry(&Self::active_entry(uid), &bytes)?)
    }

    /// The audit keys; with `create`, a new random master key is stored when there is none.
    pub fn keys(&self, create: bool) -> Result<Option<AuditKeys>, AuditError> {
        match self.vault.key(MASTER, create) {
            Ok(master) => Ok(master.map(|m| AuditKeys::derive(&m))),
            Err(VaultError::NotAKey { .. }) => Err(AuditError::Keychain(
                "the audit master key in the keychain is not 32 bytes".into(),
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// The anchor, if one was stored.
    pub fn anchor(&self) -> Result<Option<Anchor>, AuditError> {
        let Some(bytes) = self.vault.read(ANCHOR)? else {
            return Ok(None);
        };
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let mut parts = text.splitn(3, ':');
        match (
            parts.next(),
            parts.next().and_then(|s| s.parse().ok()),
            parts.next(),
        ) {
            (Some("v1"), Some(seq), Some(head)) => Ok(Some(Anchor {
                seq,
                head: head.to_string(),
            })),
            _ => Err(AuditError::Keychain(
                "the audit anchor in the keychain is unreadable".into(),
            )),
        }
    }

    /// Stores the anchor.
    pub fn set_anchor(&self, anchor: &Anchor) -> Result<(), AuditError> {
        let value = format!("v1:{}:{}", anchor.seq, anchor.head);
        Ok(self.vault.write(ANCHOR, value.as_bytes())?)
    }

    /// Remembers a failed verification for the next appending process to record (110113);
    /// `lucent audit verify` itself never writes to the log.
    pub fn set_pending_alert(&self, reason: &str) -> Result<(), AuditError> {
        Ok(self.vault.write(ALERT, reason.as_bytes())?)
    }

    /// Takes the pending alert, if any.
    pub fn take_pending_alert(&self) -> Result<Option<String>, AuditError> {
        Ok(self
            .vault
            .take(ALERT)?
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned()))
    }

    /// Deletes this key scope's entries (tests and the lost-key recovery path).
    pub fn forget(&self) -> Result<(), AuditError> {
        for kind in [MASTER, ANCHOR, ALERT] {
            self.vault.delete(kind)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_keys_are_separate_and_stable() {
        let a = AuditKeys::derive(&[7u8; 32]);
        let b = AuditKeys::derive(&[7u8; 32]);
        let c = AuditKeys::derive(&[8u8; 32]);
        assert_eq!(a.mac, b.mac);
        assert_eq!(a.key_id, b.key_id);
        assert_ne!(a.mac, a.token);
        assert_ne!(a.token, a.seal);
        assert_ne!(a.mac, c.mac);
        assert_ne!(a.key_id, c.key_id);
        assert!(a.key_id.starts_with("k1-") && a.key_id.len() == 19);
        assert!(
            !format!("{a:?}").contains(&hex(&a.mac)),
            "Debug never prints key material"
        );
    }

    /// The derivation existing logs and keychains were written with (values computed
    /// independently, with Python's `hmac` following RFC 5869): moving HKDF into `lucent-vault`
    /// must not change a single key.
    #[test]
    fn derivation_is_unchanged_for_existing_keychains() {
        let keys = AuditKeys::derive(&[7u8; 32]);
        assert_eq!(keys.key_id, "k1-7636a0df40e71afd");
        assert_eq!(
            hex(&keys.mac),
            "6efe93982c5c1144ff16f1a867680b506dc96b2f8e7c83dae9414cbe160cafb4"
        );
    }
}
