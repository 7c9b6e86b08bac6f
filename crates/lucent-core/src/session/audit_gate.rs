//! The audit gate: the one way to pixels and stored values (PS3.15 A.5.3.5, DICOM Instances
//! Accessed, 110103).
//!
//! The decoded-frame cache and the renderer live inside [`AuditGate`] and are reachable only
//! through an [`Admitted`] guard, which the gate hands out after the access is recorded:
//! [`AuditGate::viewed`] appends and syncs the study's first "viewed" record of the session
//! (fail closed: no record, no guard), [`AuditGate::listed`] admits a thumbnail of a study whose
//! listing the open recorded. A read through the guard that fails is recorded with its error
//! code before the error is returned. Nothing else in the crate holds the cache, so no method
//! of the facade can return a pixel without passing here (the structure, not a convention,
//! keeps the rule; `tests/gate.rs` proves every pixel path records first).
//!
//! Locking: the log is opened once (its own lock, only while opening) and appends are
//! internally synchronised by [`AuditLog`]; the set of viewed studies has its own short lock,
//! held across the append of a study's first record only, so a second viewport reading an
//! already viewed study never waits for anything but that set.

use super::lock;
use crate::CoreError;
use lucent_audit::{Action, AuditLog, Event, EventId, EventType, Outcome, StudyObject};
use lucent_error::{ErrorCode, HasErrorCode};
use lucent_pixels::{FrameCache, PixelError, Renderer};
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

/// Most studies named in one audit record: a listing of thousands of studies is split into
/// several records of one append (one fsync), each well under the log's record size limit.
const STUDIES_PER_RECORD: usize = 200;

/// What an admitted read may use: the decoded-frame cache and the renderer.
#[derive(Debug)]
pub(crate) struct PixelAccess {
    /// Decoded frames and open files, shared with the prefetch workers.
    pub(crate) cache: Arc<FrameCache>,
    /// Windowing with a reused display table (internally synchronised).
    pub(crate) renderer: Renderer,
}

/// Records accesses, then admits them.
#[derive(Debug)]
pub(crate) struct AuditGate {
    /// Application name and version for audit records.
    app: String,
    /// Where the audit trail lives (default `LUCENT_DATA_DIR` / the platform data folder).
    data_dir: Option<PathBuf>,
    /// Opened on first use.
    log: OnceLock<AuditLog>,
    /// Held only while the log is being opened (two first reads open it once).
    opening: Mutex<()>,
    /// Studies (by key) whose viewing this session has recorded.
    viewed: Mutex<HashSet<String>>,
    pixels: PixelAccess,
}

/// Proof that an access was recorded: the only way to [`PixelAccess`].
#[derive(Debug)]
pub(crate) struct Admitted<'g> {
    gate: &'g AuditGate,
    study: &'g StudyObject,
}

impl Admitted<'_> {
    /// Runs a read; a failure is recorded (110103 with the error code) before it is returned.
    pub(crate) fn read<T>(
        &self,
        read: impl FnOnce(&PixelAccess) -> Result<T, PixelError>,
    ) -> Result<T, CoreError> {
        self.gate
            .failure_recorded(Some(self.study), read(&self.gate.pixels))
    }

    /// Runs a read of a single file; a failure is recorded before it is returned.
    pub(crate) fn read_file<T>(
        &self,
        file: &SingleFile,
        read: impl FnOnce(&lucent_pixels::PixelFile) -> Result<T, PixelError>,
    ) -> Result<T, CoreError> {
        self.gate
            .failure_recorded(Some(self.study), read(&file.file))
    }
}

/// A file opened outside any index (the CLI's `render`, `decode`): the study it belongs to is
/// read from its own descriptor, its pixels only through [`Admitted::read_file`].
#[derive(Debug)]
pub(crate) struct SingleFile {
    file: lucent_pixels::PixelFile,
    /// Who the file is about, as the audit record names it.
    pub(crate) study: StudyObject,
}

impl AuditGate {
    pub(crate) fn new(cache_bytes: u64) -> Self {
        AuditGate {
            app: format!("lucent {}", env!("CARGO_PKG_VERSION")),
            data_dir: None,
            log: OnceLock::new(),
            opening: Mutex::new(()),
            viewed: Mutex::new(HashSet::new()),
            pixels: PixelAccess {
                cache: Arc::new(FrameCache::new(cache_bytes)),
                renderer: Renderer::default(),
            },
        }
    }

    pub(crate) fn set_data_dir(&mut self, dir: PathBuf) {
        self.data_dir = Some(dir);
    }

    pub(crate) fn set_application(&mut self, app: &str) {
        self.app = app.to_string();
    }

    /// The frame cache, for what does not reveal pixels: its size, its statistics, emptying it,
    /// and the prefetch workers (which only warm it; what they decode is returned through a
    /// guard like any frame).
    pub(crate) fn cache(&self) -> &Arc<FrameCache> {
        &self.pixels.cache
    }

    /// The audit log, opened (and checked) on first use where [`crate::data_dir::audit_location`] says
    /// (the managed policy's folder, else this session's data dir or `LUCENT_DATA_DIR`).
    pub(crate) fn log(&self) -> Result<&AuditLog, CoreError> {
        if let Some(log) = self.log.get() {
            return Ok(log);
        }
        let _opening = lock(&self.opening);
        if let Some(log) = self.log.get() {
            return Ok(log);
        }
        let location = crate::data_dir::audit_location(self.data_dir.as_deref())?;
        let opened = AuditLog::open_at(&location, &self.app)?;
        Ok(self.log.get_or_init(|| opened))
    }

    /// Opens a file outside any index and reads who it is about; a file that cannot be opened
    /// is recorded as a failed access.
    pub(crate) fn open_file(&self, path: &std::path::Path) -> Result<SingleFile, CoreError> {
        let file = self.failure_recorded(None, lucent_pixels::PixelFile::open(path))?;
        let identity = file.identity().clone();
        let study = StudyObject {
            identity: lucent_audit::StudyIdentity {
                study_instance_uid: identity.study_instance_uid,
                patient_id: identity.patient_id,
                patient_name: identity.patient_name,
            },
            modality: identity.modality,
            instances: 1,
        };
        Ok(SingleFile { file, study })
    }

    /// Appends events (one append, one sync).
    pub(crate) fn record(&self, events: &[Event]) -> Result<(), CoreError> {
        self.log()?.append(events)?;
        Ok(())
    }

    /// Records the first viewing of a study in this session (110103, R, success, no
    /// EventTypeCode), durably, before the guard that reads its pixels or values is returned.
    pub(crate) fn viewed<'g>(
        &'g self,
        study: &'g StudyObject,
        key: &str,
    ) -> Result<Admitted<'g>, CoreError> {
        let mut viewed = lock(&self.viewed);
        if !viewed.contains(key) {
            self.record(&[Event {
                objects: vec![study.clone()],
                ..Event::new(EventId::InstancesAccessed, Action::Read)
            }])?;
            viewed.insert(key.to_string());
        }
        Ok(Admitted { gate: self, study })
    }

    /// Admits a read covered by the study's listing record (a study browser's thumbnail: part
    /// of the list, not a study viewed). `recorded` says whether the open recorded the listing;
    /// when it did not, nothing is admitted (fail closed).
    pub(crate) fn listed<'g>(
        &'g self,
        study: &'g StudyObject,
        recorded: bool,
    ) -> Result<Admitted<'g>, CoreError> {
        if !recorded {
            return Err(CoreError::UnknownId { kind: "series" });
        }
        Ok(Admitted { gate: self, study })
    }

    /// Records that studies are listed — their patient and study text, and thumbnails, about to
    /// be shown in a study browser or printed by `lucent info` (110103, R, EventTypeCode
    /// STUDY-LISTED) — in one append (one fsync) for the whole open, before any of it is shown.
    pub(crate) fn record_listed(&self, studies: &[StudyObject]) -> Result<(), CoreError> {
        if studies.is_empty() {
            return Ok(());
        }
        let events: Vec<Event> = studies
            .chunks(STUDIES_PER_RECORD)
            .map(|chunk| Event {
                objects: chunk.to_vec(),
                event_type: Some(EventType::StudyListed),
                detail: Some(format!("listed {} stud(ies)", chunk.len())),
                ..Event::new(EventId::InstancesAccessed, Action::Read)
            })
            .collect();
        self.record(&events)
    }

    /// `result`, a failure recorded (as [`AuditGate::record_failure`]) before it is returned.
    fn failure_recorded<T>(
        &self,
        study: Option<&StudyObject>,
        result: Result<T, PixelError>,
    ) -> Result<T, CoreError> {
        result.or_else(|e| {
            self.record_failure(study, &e)?;
            Err(e.into())
        })
    }

    /// Records a failed access (110103, R, outcome 4 or 8, with the error code).
    fn record_failure(
        &self,
        study: Option<&StudyObject>,
        error: &dyn HasErrorCode,
    ) -> Result<(), CoreError> {
        let code = error.code();
        let outcome = match code {
            ErrorCode::FrameOutOfRange | ErrorCode::InvalidArgument => Outcome::MinorFailure,
            _ => Outcome::SeriousFailure,
        };
        self.record(&[Event {
            outcome,
            objects: study.cloned().into_iter().collect(),
            error_code: Some(code.as_str().to_string()),
            ..Event::new(EventId::InstancesAccessed, Action::Read)
        }])
    }
}
