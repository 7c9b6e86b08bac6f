//! The OS keychain: one store per process (keyring-core with the Secret Service store on Linux,
//! the Keychain on macOS, the Credential Manager on Windows; never a mock, never a file), and
//! handles on it whose entries are namespaced.
//!
//! Every entry is under the service `lucent`. A [`Keychain`] opened for a scope folder names its
//! entries `KIND/NAMESPACE`, the namespace being 16 hex digits of SHA-256 of the folder's
//! canonical path: a fresh folder gets fresh entries, and two folders never share one. Entries
//! of the OS user's store that belong to no scope (the audit trail's active-log anchor) are read
//! and written by their full name ([`Keychain::read_user_entry`]). The store is checked when a
//! handle opens, with a write, read and delete, because a locked collection only fails on use.
//! Headless (CI, tests), `scripts/with-keyring.sh` provides a real, unlocked Secret Service.

use crate::error::VaultError;
use crate::{KEY_LEN, hex};
use keyring_core::{Entry, Error as KeyringError};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::OnceLock;

const SERVICE: &str = "lucent";

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

fn keyring_error(e: KeyringError) -> VaultError {
    VaultError::Keychain(e.to_string())
}

/// A handle on the OS keychain whose entries are namespaced by a scope folder.
#[derive(Debug, Clone)]
pub struct Keychain {
    namespace: String,
}

impl Keychain {
    /// Connects to the platform store (once per process) and checks it with a write, read and
    /// delete; entries namespaced by `scope`'s canonical path (the path as given when it does
    /// not exist).
    pub fn open(scope: &Path) -> Result<Self, VaultError> {
        STORE
            .get_or_init(install_platform_store)
            .clone()
            .map_err(VaultError::Keychain)?;
        let canonical = scope.canonicalize().unwrap_or_else(|_| scope.to_path_buf());
        let digest = Sha256::digest(canonical.to_string_lossy().as_bytes());
        let keychain = Keychain {
            namespace: hex(&digest)[..16].to_string(),
        };
        keychain.probe()?;
        Ok(keychain)
    }

    /// The namespace of this handle's entries.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The entries of another namespace (one a caller remembered), in the same store.
    pub fn with_namespace(&self, namespace: &str) -> Keychain {
        Keychain {
            namespace: namespace.to_string(),
        }
    }

    fn entry(&self, kind: &str) -> Result<Entry, VaultError> {
        Entry::new(SERVICE, &format!("{kind}/{}", self.namespace)).map_err(keyring_error)
    }

    fn probe(&self) -> Result<(), VaultError> {
        let mut nonce = [0u8; 8];
        getrandom::fill(&mut nonce).map_err(|e| VaultError::Random(e.to_string()))?;
        let entry = self.entry(&format!("probe-{}", hex(&nonce)))?;
        entry.set_secret(&nonce).map_err(keyring_error)?;
        let back = entry.get_secret().map_err(keyring_error);
        let _ = entry.delete_credential();
        if back? != nonce {
            return Err(VaultError::Keychain(
                "a secret written to the keychain read back differently".into(),
            ));
        }
        Ok(())
    }

    /// The secret of this namespace's entry `kind`, if there is one.
    pub fn read(&self, kind: &str) -> Result<Option<Vec<u8>>, VaultError> {
        read_entry(&self.entry(kind)?)
    }

    /// Stores `secret` as this namespace's entry `kind`, replacing what it held.
    pub fn write(&self, kind: &str, secret: &[u8]) -> Result<(), VaultError> {
        self.entry(kind)?.set_secret(secret).map_err(keyring_error)
    }

    /// Reads and deletes this namespace's entry `kind` (a failed delete is not an error: the
    /// secret was read).
    pub fn take(&self, kind: &str) -> Result<Option<Vec<u8>>, VaultError> {
        let entry = self.entry(kind)?;
        let secret = read_entry(&entry)?;
        if secret.is_some() {
            let _ = entry.delete_credential();
        }
        Ok(secret)
    }

    /// Deletes this namespace's entry `kind`; an entry that is not there is not an error.
    pub fn delete(&self, kind: &str) -> Result<(), VaultError> {
        match self.entry(kind)?.delete_credential() {
            Ok(()) | Err(KeyringError::NoEntry) => Ok(()),
            Err(e) => Err(keyring_error(e)),
        }
    }

    /// The 256-bit key kept in this namespace's entry `kind`; with `create`, a new random key is
    /// stored when there is none (callers that may race with other processes create under their
    /// own lock and read it back). [`VaultError::NotAKey`] when the entry holds anything else.
    pub fn key(&self, kind: &str, create: bool) -> Result<Option<[u8; KEY_LEN]>, VaultError> {
        let entry = self.entry(kind)?;
        match read_entry(&entry)? {
            Some(secret) => secret
                .try_into()
                .map(Some)
                .map_err(|_| VaultError::NotAKey {
                    entry: kind.to_string(),
                }),
            None if create => {
                let mut key = [0u8; KEY_LEN];
                getrandom::fill(&mut key).map_err(|e| VaultError::Random(e.to_string()))?;
                entry.set_secret(&key).map_err(keyring_error)?;
                Ok(Some(key))
            }
            None => Ok(None),
        }
    }

    /// The secret of the OS user's entry `name`, shared by every namespace (not namespaced).
    pub fn read_user_entry(&self, name: &str) -> Result<Option<Vec<u8>>, VaultError> {
        read_entry(&Entry::new(SERVICE, name).map_err(keyring_error)?)
    }

    /// Stores the OS user's entry `name` (not namespaced).
    pub fn write_user_entry(&self, name: &str, secret: &[u8]) -> Result<(), VaultError> {
        Entry::new(SERVICE, name)
            .map_err(keyring_error)?
            .set_secret(secret)
            .map_err(keyring_error)
    }
}

fn read_entry(entry: &Entry) -> Result<Option<Vec<u8>>, VaultError> {
    match entry.get_secret() {
        Ok(secret) => Ok(Some(secret)),
        Err(KeyringError::NoEntry) => Ok(None),
        Err(e) => Err(keyring_error(e)),
    }
}
