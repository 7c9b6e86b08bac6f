//! Lucent's key vault: secrets in the OS keychain, keys derived from them, data sealed with them.
//!
//! - [`keychain`]: a handle on the OS keychain (keyring-core with the Secret Service store on
//!   Linux, the Keychain on macOS, the Credential Manager on Windows; never a mock, never a
//!   file) whose entries are namespaced by a hash of a scope folder, checked with a write, read
//!   and delete when it opens; random 256-bit keys created on demand.
//! - [`derive`]: HKDF-SHA256 (RFC 5869): separate keys for separate purposes from one secret.
//! - [`seal`]: AES-256-GCM (NIST SP 800-38D) with a random nonce and associated data: `seal`
//!   and `open`, an altered byte or the wrong key or associated data failing to open.
//!
//! Used by the audit trail (`lucent-audit`: its master key, anchor and active-log entries) and
//! meant for the encrypted local store and de-identified exports next: nothing here knows what
//! the secrets are for.
//!
//! Architecture invariants: key material leaves the keychain only into memory (never a file,
//! never a log line: no `Debug` here prints it); no Tauri, no DICOM.

pub mod derive;
pub mod error;
pub mod keychain;
pub mod seal;

pub use derive::derive;
pub use error::{Unopenable, VaultError};
pub use keychain::Keychain;
pub use seal::{open, seal};

/// The length of every key here: 256 bits.
pub const KEY_LEN: usize = 32;

/// Lowercase hex of bytes (digests, namespaces, key ids).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
