//! Lucent's audit trail: every study open is recorded first, durably, tamper-evidently, without
//! readable PHI, with its keys in the OS keychain.
//!
//! - [`record`]: the DICOM PS3.15 A.5 event vocabulary (PS3.16 CID 400 codes), PHI-free record
//!   bodies, study tokens (HMAC) and sealed identifiers (AES-256-GCM).
//! - [`origin`]: who and where: the OS account of the real uid, the host, the process.
//! - [`keys`]: the trail's keychain entries: the master key, HKDF-derived MAC/token/seal keys,
//!   the anchor, the pending alert and the OS user's active-log anchor (the keychain, HKDF and
//!   AES-256-GCM themselves are `lucent-vault`'s).
//! - [`location`]: where the log lives (managed policy over the caller's data directory),
//!   resolved for the facade, which owns the data-directory rule.
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
pub mod location;
pub mod log;
pub mod origin;
pub mod record;

/// The managed policy (`/etc/lucent/policy.toml`), for `lucent policy show`.
pub use lucent_policy as policy;

pub use error::AuditError;
pub use keys::{ActiveLog, Anchor, AuditKeychain, AuditKeys, location_token};
pub use location::{AuditLocation, LocationSource};
pub use log::{
    Appended, AuditLog, Relocation, Verification, read_bodies, verification_inputs,
    verification_inputs_at, verify,
};
pub use origin::Origin;
pub use record::{
    Action, Event, EventId, EventType, Outcome, PreviousLog, RecordBody, StudyIdentity,
    StudyObject, study_token, unseal,
};
