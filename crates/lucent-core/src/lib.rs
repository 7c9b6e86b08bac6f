//! Lucent's facade: a [`Session`] is what a user does — open files, browse studies, pick a series.
//!
//! The CLI (`lucent`) and the viewer shell call only this crate. It owns the study index and
//! hands out opaque ids ([`ids`]); display views ([`StudySummary`], [`SeriesSummary`]) carry ids
//! and display text, never paths, so a UI client can be given them as they are. The CLI, a local
//! tool run by the file's owner, may ask for [`Session::index`], which includes paths.
//!
//! **Audit first.** The first pixel read of a study in a session appends and syncs a
//! `(110103, DCM, "DICOM Instances Accessed")` record before any pixel is returned; if that
//! append fails, no pixel is returned (fail closed). Failed opens are recorded too, with their
//! error code. The audit log is opened on the first pixel read (`LUCENT_DATA_DIR`).
//!
//! Architecture invariant: no dependency on Tauri or on any serialization for IPC; errors are
//! typed ([`CoreError`]) with a stable code. (The benchmarks' measurement types in
//! [`process_memory`] and [`page_cache`] derive `Serialize` for their JSON reports, not for IPC.)

pub mod audit_trail;
pub mod data_dir;
pub mod hardening;
pub mod ids;
mod owner_only;
pub mod page_cache;
pub mod policy;
pub mod process_memory;
mod session;
mod views;

pub use session::{CacheStats, Session};
pub use views::{FrameRef, SeriesSummary, StackGeometry, StudySummary, warning_text};

pub use data_dir::webview_data_dir;
pub use ids::{FrameOfReferenceId, InstanceId, SeriesId, StudyId};
pub use lucent_audit::{AuditError, AuditLog};
pub use lucent_error::{ErrorCode, HasErrorCode};
/// Why a header could not be read: the shell turns it into a path-free IPC error.
pub use lucent_index::HeaderError;
pub use lucent_index::{
    Instance, MeasurementSpacing, Patient, Series, Skipped, SpacingBasis, Study, StudyIndex,
    StudyWarning, sanitize,
};
pub use lucent_pixels::cache::DEFAULT_CACHE_BYTES;
pub use lucent_pixels::{
    DisplayNote, FrameCache, FrameValues, IndexedFile, ModalityValues, PixelError, Pyramid,
    RenderOptions, RenderedFrame, Renderer, Tile, UltrasoundRegion, VoiChoice,
};

/// Why a session operation failed.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// Scanning could not start (a given path is missing or unreadable).
    #[error(transparent)]
    Scan(#[from] lucent_index::ScanError),
    /// The audit trail could not record the access: nothing is shown (fail closed).
    #[error(transparent)]
    Audit(#[from] AuditError),
    /// The file's header could not be read.
    #[error(transparent)]
    Header(#[from] lucent_index::HeaderError),
    /// The pixel pipeline could not render a frame.
    #[error(transparent)]
    Pixels(#[from] PixelError),
    /// An id this session did not issue.
    #[error("unknown {kind} id")]
    UnknownId {
        /// `study`, `series` or `instance`.
        kind: &'static str,
    },
}

impl HasErrorCode for CoreError {
    fn code(&self) -> ErrorCode {
        match self {
            CoreError::Scan(e) => e.code(),
            CoreError::Pixels(e) => e.code(),
            CoreError::Audit(e) => e.code(),
            CoreError::Header(e) => e.code(),
            CoreError::UnknownId { .. } => ErrorCode::UnknownId,
        }
    }
}

/// Resident anonymous memory of this process (`RssAnon` from `/proc/self/status`, Linux), in MiB:
/// what the memory targets are stated in (file pages of mapped or cached DICOM files excluded).
pub fn rss_anon_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("RssAnon:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// Location of a slice along its normal (PS3.3 C.7.6.2.1.1), for display ("Loc 12.5 mm").
pub fn slice_location(orientation: &[f64; 6], position: &[f64; 3]) -> Option<f64> {
    let n = lucent_index::geometry::slice_normal(orientation)?;
    Some(lucent_index::geometry::location_along(&n, position))
}

/// Per-frame slice locations of a stack, and its header windows (centre, width).
pub type SliceLocations = (Vec<Option<f64>>, Vec<(f64, f64)>);
