//! Why the audit trail could not do what was asked. An open that cannot be audited fails.

use lucent_error::{ErrorCode, HasErrorCode};

/// An audit failure. Messages never contain PHI.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The OS keychain is missing, locked or refused access.
    #[error(
        "the OS keychain is not usable: {0}. Lucent keeps its audit keys there and opens no study without them (on Linux: a running Secret Service such as gnome-keyring, unlocked)"
    )]
    Keychain(String),
    /// The audit folder or log cannot be written or read.
    #[error("the audit log in {dir} cannot be written: {reason}")]
    Unwritable {
        /// The audit folder.
        dir: String,
        /// The OS error.
        reason: String,
    },
    /// The log exists but its key is not in the keychain (see docs/AUDIT.md, "Lost key").
    #[error(
        "the audit log's key ({key_id}) is not in the keychain: the existing log is unverifiable. Archive the audit folder as described in docs/AUDIT.md to start a new log"
    )]
    KeyLost {
        /// Key id recorded in the log.
        key_id: String,
    },
    /// Reading the log found a record that is not intact.
    #[error("audit log record {seq} in {file}: {reason}")]
    Tampered {
        /// Sequence number (or position) of the first bad record.
        seq: u64,
        /// File name.
        file: String,
        /// What is wrong.
        reason: String,
    },
    /// A record's sealed identifiers do not open with the keychain's key.
    #[error(
        "audit record {seq}: its sealed patient identifiers do not open with the keychain's key (written with another key, or altered); nothing was exported"
    )]
    Unsealable {
        /// Sequence number of the record.
        seq: u64,
    },
    /// The managed policy that says where the log lives is refused (fail closed).
    #[error(transparent)]
    Policy(#[from] lucent_policy::PolicyError),
}

impl From<lucent_vault::VaultError> for AuditError {
    /// Every vault failure the trail meets is the keychain's (the key, the anchor, the access
    /// check, the random source for a new key), reported in the keychain's words.
    fn from(e: lucent_vault::VaultError) -> Self {
        AuditError::Keychain(e.to_string())
    }
}

impl HasErrorCode for AuditError {
    fn code(&self) -> ErrorCode {
        match self {
            AuditError::Keychain(_) => ErrorCode::KeychainUnavailable,
            AuditError::Unwritable { .. } => ErrorCode::AuditUnavailable,
            AuditError::KeyLost { .. } => ErrorCode::AuditKeyLost,
            AuditError::Tampered { .. } => ErrorCode::AuditTampered,
            AuditError::Unsealable { .. } => ErrorCode::AuditUnsealable,
            AuditError::Policy(e) => e.code(),
        }
    }
}
