//! What the vault could not do. Messages never contain key material.

use lucent_error::{ErrorCode, HasErrorCode};

/// A keychain, randomness or sealing failure.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// The OS keychain is missing, locked, refused access or answered wrongly (the store's own
    /// words, or what was wrong with its answer).
    #[error("{0}")]
    Keychain(String),
    /// An entry that should hold a 256-bit key holds something else.
    #[error("the keychain entry {entry} is not a {len}-byte key", len = crate::KEY_LEN)]
    NotAKey {
        /// The entry's kind (its name without the namespace).
        entry: String,
    },
    /// The system's random source failed (a key or nonce could not be drawn).
    #[error("{0}")]
    Random(String),
    /// AES-256-GCM refused to seal (a plaintext beyond its 2^36-byte limit).
    #[error("{0}")]
    Seal(String),
}

impl HasErrorCode for VaultError {
    fn code(&self) -> ErrorCode {
        match self {
            VaultError::Keychain(_) | VaultError::NotAKey { .. } => ErrorCode::KeychainUnavailable,
            VaultError::Random(_) | VaultError::Seal(_) => ErrorCode::Internal,
        }
    }
}

/// Sealed bytes that do not open: another key, other associated data, or altered bytes (AES-GCM
/// authenticates all three). Callers say what that means for their data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the sealed data does not open with this key and associated data (another key, or altered)"
)]
pub struct Unopenable;
