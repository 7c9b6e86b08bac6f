//! Lucent's study index: which images exist, how they group, in which order they are shown.
//!
//! [`scan`] takes files, folders and DICOMDIRs and returns a [`StudyIndex`]: studies → series →
//! stacks → instances, each stack sorted along its slice normal (PS3.3 C.7.6.2). Only headers are
//! read ([`header`]), with caps on every size ([`limits`]); a file that cannot be indexed becomes
//! a [`Skipped`] entry with a stable [`lucent_error::ErrorCode`] and never aborts the scan.
//! Every header string kept for display passes through [`display_text::sanitize`].
//!
//! Architecture invariant: this crate never reads pixel data and never depends on Tauri or on
//! the pixel pipeline.

pub mod charset;
pub mod dicomdir;
pub mod display_text;
pub mod error;
pub mod fingerprint;
pub mod geometry;
pub mod header;
mod instance;
pub mod limits;
pub mod model;
pub mod scan;
pub mod structure;

pub use display_text::sanitize;
pub use error::{HeaderError, Tag};
pub use fingerprint::{FileChange, FileFingerprint};
pub use instance::HeaderIdentity;
pub use model::{
    Instance, MeasurementSpacing, Patient, Series, Skipped, SpacingBasis, Study, StudyIndex,
    StudyWarning,
};
pub use scan::{ScanError, scan};
