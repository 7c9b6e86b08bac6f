//! Keys in the OS keychain: the master key, the keys derived from it, and the anchor.
//!
//! One random 256-bit master key per data directory lives in the OS keychain (keyring-core with
//! the Secret Service store on Linux, the Keychain on macOS, the Credential Manager on Windows;
//! never a mock, never a file). The MAC, token and sealing keys are derived from it separately
//! with HKDF-SHA256 (RFC 5869). The anchor (latest sequence number and head hash) is kept beside
//! it, so truncation and rollback of the log are detectable.
//!
//! Entries are namespaced by a hash of the canonical key scope (the data directory, or the audit
//! folder a managed policy names): a fresh `LUCENT_DATA_DIR` gets fresh keys. One entry is not
//! namespaced: the OS user's *active log* ([`ActiveLog`]), naming the location, key and
//! namespace of the log this user last wrote to, so that a log started anywhere else is recorded
//! as a relocation (see `log.rs`). The store is checked at start with a write, read and delete,
//! because a locked collection only fails on use.

use crate::error::AuditError;
use hkdf::Hkdf;
use keyring_core::{Entry, Error as KeyringError};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::OnceLock;

const SERVICE: &str = "lucent";

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
        let hk = Hkdf::<Sha256>::new(Some(b"lucent-audit-v1"), master);
        let expand = |info: &[u8]| {
            let mut okm = [0u8; 32];
            // 32 bytes is far below HKDF-SHA256's 8160-byte limit: expand cannot fail.
            let _ = hk.expand(info, &mut okm);
            okm
        };
        let id = expand(b"key-id");
        AuditKeys {
            mac: expand(b"record-mac"),
            token: expand(b"study-token"),
            seal: expand(b"identifier-seal"),
            key_id: format!("k1-{}", &hex(&id)[..16]),
        }
    }
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The latest record as the keychain remembers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    /// Sequence number of the latest record.
    pub seq: u64,
    /// Hex SHA-256 of the latest record (MAC and body).
    pub head: String,
}

/// The OS keychain, for one data directory.
#[derive(Debug, Clone)]
pub struct Keychain {
    namespace: String,
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

static STORE: OnceLock<Result<(), String>> = OnceLock::new();

fn install_platform_store() -> Result<(), String> {
    #[cfg(target_os = "linux")]
    let store = dbus_secret_service_keyring_store::Store::new().map_err(|e| e.to_string())?;
    #[cfg(target_os = "macos")]
    let store = apple_native_keyring_store::keychain::Store::new().map_err(|e| e.to_string())?;
    #[cfg(target_os = "windows")]
    let store = windows_native_keyring_store::Store::new().map_err(|e| e.to_string())?;
    keyring_core::set_default_store(store);
    Ok(())
}

fn keyring_error(e: KeyringError) -> AuditError {
    AuditError::Keychain(e.to_string())
}

impl Keychain {
    /// Connects to the platform store and checks it with a write, read and delete.
    pub fn open(data_dir: &Path) -> Result<Self, AuditError> {
        STORE
            .get_or_init(install_platform_store)
            .clone()
            .map_err(AuditError::Keychain)?;
        let canonical = data_dir
            .canonicalize()
            .unwrap_or_else(|_| data_dir.to_path_buf());
        let digest = Sha256::digest(canonical.to_string_lossy().as_bytes());
        let keychain = Keychain {
            namespace: hex(&digest)[..16].to_string(),
        };
        keychain.probe()?;
        Ok(keychain)
    }

    /// The namespace of this key scope's entries.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The entries of another namespace (an earlier log's), in the same store.
    pub fn with_namespace(&self, namespace: &str) -> Keychain {
        Keychain {
            namespace: namespace.to_string(),
        }
    }

    fn active_entry(uid: Option<u32>) -> Result<Entry, AuditError> {
        let user = uid.map_or_else(|| "user".to_string(), |u| format!("uid-{u}"));
        Entry::new(SERVICE, &format!("audit-active/{user}")).map_err(keyring_error)
    }

    /// The OS user's active log (not namespaced), if one was anchored.
    pub fn active_log(&self, uid: Option<u32>) -> Result<Option<ActiveLog>, AuditError> {
        match Self::active_entry(uid)?.get_secret() {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|_| {
                AuditError::Keychain(
                    "the audit log anchor of this OS user in the keychain is unreadable".into(),
                )
            }),
            Err(KeyringError::NoEntry) => Ok(None),
            Err(e) => Err(keyring_error(e)),
        }
    }

    /// Anchors the OS user's active log.
    pub fn set_active_log(&self, uid: Option<u32>, active: &ActiveLog) -> Result<(), AuditError> {
        let bytes = serde_json::to_vec(active).map_err(|e| AuditError::Keychain(e.to_string()))?;
        Self::active_entry(uid)?
            .set_secret(&bytes)
            .map_err(keyring_error)
    }

    fn entry(&self, kind: &str) -> Result<Entry, AuditError> {
        Entry::new(SERVICE, &format!("{kind}/{}", self.namespace)).map_err(keyring_error)
    }

    fn probe(&self) -> Result<(), AuditError> {
        let mut nonce = [0u8; 8];
        getrandom::fill(&mut nonce).map_err(|e| AuditError::Keychain(e.to_string()))?;
        let entry = self.entry(&format!("probe-{}", hex(&nonce)))?;
        entry.set_secret(&nonce).map_err(keyring_error)?;
        let back = entry.get_secret().map_err(keyring_error);
        let _ = entry.delete_credential();
        if back? != nonce {
            return Err(AuditError::Keychain(
                "a secret written to the keychain read back differently".into(),
            ));
        }
        Ok(())
    }

    /// The audit keys; with `create`, a new random master key is stored when there is none.
    pub fn keys(&self, create: bool) -> Result<Option<AuditKeys>, AuditError> {
        let entry = self.entry("audit-master")?;
        match entry.get_secret() {
            Ok(secret) => {
                let master: [u8; 32] = secret.try_into().map_err(|_| {
                    AuditError::Keychain(
                        "the audit master key in the keychain is not 32 bytes".into(),
                    )
                })?;
                Ok(Some(AuditKeys::derive(&master)))
            }
            Err(KeyringError::NoEntry) if create => {
                let mut master = [0u8; 32];
                getrandom::fill(&mut master).map_err(|e| AuditError::Keychain(e.to_string()))?;
                entry.set_secret(&master).map_err(keyring_error)?;
                Ok(Some(AuditKeys::derive(&master)))
            }
            Err(KeyringError::NoEntry) => Ok(None),
            Err(e) => Err(keyring_error(e)),
        }
    }

    /// The anchor, if one was stored.
    pub fn anchor(&self) -> Result<Option<Anchor>, AuditError> {
        match self.entry("audit-anchor")?.get_secret() {
            Ok(bytes) => {
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
            Err(KeyringError::NoEntry) => Ok(None),
            Err(e) => Err(keyring_error(e)),
        }
    }

    /// Stores the anchor.
    pub fn set_anchor(&self, anchor: &Anchor) -> Result<(), AuditError> {
        let value = format!("v1:{}:{}", anchor.seq, anchor.head);
        self.entry("audit-anchor")?
            .set_secret(value.as_bytes())
            .map_err(keyring_error)
    }

    /// Remembers a failed verification for the next appending process to record (110113);
    /// `lucent audit verify` itself never writes to the log.
    pub fn set_pending_alert(&self, reason: &str) -> Result<(), AuditError> {
        self.entry("audit-alert")?
            .set_secret(reason.as_bytes())
            .map_err(keyring_error)
    }

    /// Takes the pending alert, if any.
    pub fn take_pending_alert(&self) -> Result<Option<String>, AuditError> {
        let entry = self.entry("audit-alert")?;
        match entry.get_secret() {
            Ok(bytes) => {
                let _ = entry.delete_credential();
                Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
            }
            Err(KeyringError::NoEntry) => Ok(None),
            Err(e) => Err(keyring_error(e)),
        }
    }

    /// Deletes this data directory's entries (tests and the lost-key recovery path).
    pub fn forget(&self) -> Result<(), AuditError> {
        for kind in ["audit-master", "audit-anchor", "audit-alert"] {
            match self.entry(kind)?.delete_credential() {
                Ok(()) | Err(KeyringError::NoEntry) => {}
                Err(e) => return Err(keyring_error(e)),
            }
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
}
