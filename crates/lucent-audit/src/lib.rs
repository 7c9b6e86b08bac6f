//! Lucent's audit trail: every study open is recorded first, durably, tamper-evidently, without
//! readable PHI, with its keys in the OS keychain.
//!
//! - [`record`]: the DICOM PS3.15 A.5 event vocabulary (PS3.16 CID 400 codes), PHI-free record
//!   bodies, study tokens (HMAC) and sealed identifiers (AES-256-GCM).
//! - [`keys`]: the master key, HKDF-derived MAC/token/seal keys and the anchor in the keychain.
//! - [`export`]: the trail as DICOM audit messages (PS3.15 A.5.1 XML) for an audit repository.
//! - [`log`]: framing, append with fsync under a file lock, torn-tail repair, rotation, verify.
//!
//! Used only through the facade (`lucent-core`), so the CLI and the viewer are audited alike.
//! The threat model is in `docs/AUDIT.md`.
//!
//! Architecture invariants: no DICOM parsing, no Tauri; an append is acknowledged only after
//! fsync; `verify` never writes to the log; nothing readable identifies a patient.

pub mod error;
pub mod export;
pub mod keys;
pub mod log;
pub mod record;

pub use error::AuditError;
pub use keys::{Anchor, AuditKeys, Keychain};
pub use log::{
    Appended, AuditLog, Verification, data_dir, read_bodies, verification_inputs, verify,
};
pub use record::{
    Action, Event, EventId, EventType, Outcome, RecordBody, StudyIdentity, StudyObject,
    study_token, unseal,
};
