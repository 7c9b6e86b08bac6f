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

use ids::IdTable;
use lucent_audit::{Action, Event, EventId, EventType, Outcome, StudyIdentity, StudyObject};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

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

/// A study as a UI shows it in the browser: ids and display text only.
#[derive(Debug, Clone, PartialEq)]
pub struct StudySummary {
    /// Opaque id.
    pub id: StudyId,
    /// Study Date, `YYYYMMDD`.
    pub date: Option<String>,
    /// Study Description.
    pub description: Option<String>,
    /// Patient attributes for the corner text.
    pub patient: Patient,
    /// Why the browser must flag this study (a Study UID shared by patients, missing UIDs).
    pub warnings: Vec<StudyWarning>,
    /// The study's series (stacks) in display order.
    pub series: Vec<SeriesSummary>,
}

/// What a study browser says about a flagged study: one sentence, no identifiers.
pub fn warning_text(warning: StudyWarning) -> &'static str {
    match warning {
        StudyWarning::UidSharedByPatients => {
            "Another patient's files carry this Study Instance UID: they are shown as a separate study."
        }
        StudyWarning::MissingStudyUid => {
            "The files have no Study Instance UID: grouped by patient only."
        }
        StudyWarning::MissingSeriesUid => {
            "Some files have no Series Instance UID: grouped by series number, modality and frame of reference."
        }
    }
}

/// One stack of one series, as a UI shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesSummary {
    /// Opaque id.
    pub id: SeriesId,
    /// Modality.
    pub modality: Option<String>,
    /// Series Number.
    pub number: Option<i64>,
    /// Series Description.
    pub description: Option<String>,
    /// 0-based stack within the series.
    pub stack: u32,
    /// Instances in the stack.
    pub instance_count: usize,
    /// Frames in the stack.
    pub frame_count: u64,
    /// Rows × columns of the first instance.
    pub size: (u16, u16),
}

/// One frame of a stack: which instance, which frame of it (0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameRef {
    /// The instance.
    pub instance: InstanceId,
    /// Frame number within the instance, 0-based.
    pub frame: u32,
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

fn study_object(s: &Study) -> StudyObject {
    StudyObject {
        identity: StudyIdentity {
            study_instance_uid: s.study_instance_uid.clone(),
            patient_id: s.patient.id.clone(),
            patient_name: s.patient.name.clone(),
        },
        modality: s.series.iter().find_map(|se| se.modality.clone()),
        instances: s.series.iter().map(|se| se.instances.len() as u32).sum(),
    }
}

fn series_key(study: &Study, series: &Series) -> (String, String, u32) {
    (study.key.clone(), series.key.clone(), series.stack)
}

/// Most studies named in one audit record: a listing of thousands of studies is split into
/// several records of one append (one fsync), each well under the log's record size limit.
const STUDIES_PER_RECORD: usize = 200;

/// Where a stack lies and how it plays: what a viewer needs for orientation markers,
/// synchronised scrolling and cine. No UIDs: the frame of reference is an opaque id.
#[derive(Debug, Clone, PartialEq)]
pub struct StackGeometry {
    /// Image Orientation (Patient) of the first frame: row and column direction cosines.
    pub orientation: Option<[f64; 6]>,
    /// The stack's Frame of Reference, when the files name one.
    pub frame_of_reference: Option<FrameOfReferenceId>,
    /// Time between frames for cine, ms (PS3.3 C.7.6.5), when the file gives it.
    pub frame_time_ms: Option<f64>,
    /// Modality (0008,0060) of the series.
    pub modality: Option<String>,
    /// Calibrated ultrasound regions of the first image (PS3.3 C.8.5.5), for measurements on
    /// images without Pixel Spacing.
    pub ultrasound_regions: Vec<UltrasoundRegion>,
}

/// One user's working set: opened paths, the index built from them, and the ids handed out.
#[derive(Debug)]
pub struct Session {
    roots: Vec<PathBuf>,
    index: StudyIndex,
    /// Keyed by [`Study::key`] (Study UID and patient).
    study_ids: IdTable<String, StudyId>,
    /// Keyed by ([`Study::key`], [`Series::key`], stack).
    series_ids: IdTable<(String, String, u32), SeriesId>,
    /// Keyed by Frame of Reference UID.
    frame_of_reference_ids: IdTable<String, FrameOfReferenceId>,
    /// Keyed by path: after the index's dedupe, one file is one instance.
    instance_ids: IdTable<PathBuf, InstanceId>,
    /// Opened on the first pixel read.
    audit: Option<AuditLog>,
    /// Studies (by [`Study::key`]) whose listing in a study browser this session has recorded:
    /// every study of `index` is in here (an open whose listing cannot be recorded fails).
    listed_studies: HashSet<String>,
    /// Studies (by [`Study::key`]) whose viewing this session has recorded.
    viewed_studies: HashSet<String>,
    /// Application name and version for audit records.
    app: String,
    /// Where the audit trail lives (default `LUCENT_DATA_DIR` / the platform data folder).
    data_dir: Option<PathBuf>,
    /// Decoded frames and open files, shared with the prefetch workers.
    cache: Arc<FrameCache>,
    /// Windowing with a reused display table.
    renderer: Renderer,
    /// Bumped by every prefetch request; older prefetch work stops when it changes.
    prefetch_generation: Arc<AtomicU64>,
    /// Per stack: each frame's file and frame number, and the study it belongs to.
    stacks: HashMap<SeriesId, Arc<StackFrames>>,
}

/// The frames of one stack, resolved once.
#[derive(Debug)]
struct StackFrames {
    /// Each frame's file (as indexed: it must still be that file) and frame number.
    frames: Vec<(Arc<IndexedFile>, u32)>,
    study: StudyObject,
    /// [`Study::key`] of the study.
    study_key: String,
}

impl StackFrames {
    /// The file and frame number of frame `index` (display order).
    fn frame(&self, index: usize) -> Result<(&IndexedFile, u32), CoreError> {
        self.frames
            .get(index)
            .map(|(file, frame)| (file.as_ref(), *frame))
            .ok_or(CoreError::Pixels(PixelError::FrameOutOfRange {
                requested: index as u32,
                frames: self.frames.len() as u32,
            }))
    }
}

impl Default for Session {
    fn default() -> Self {
        Self::new()
    }
}

impl Session {
    /// An empty session.
    pub fn new() -> Self {
        Session {
            roots: Vec::new(),
            index: StudyIndex::default(),
            study_ids: IdTable::new(),
            series_ids: IdTable::new(),
            frame_of_reference_ids: IdTable::new(),
            instance_ids: IdTable::new(),
            audit: None,
            listed_studies: HashSet::new(),
            viewed_studies: HashSet::new(),
            app: format!("lucent {}", env!("CARGO_PKG_VERSION")),
            data_dir: None,
            cache: Arc::new(FrameCache::new(DEFAULT_CACHE_BYTES)),
            renderer: Renderer::default(),
            prefetch_generation: Arc::new(AtomicU64::new(0)),
            stacks: HashMap::new(),
        }
    }

    /// Caps the decoded-frame cache (bytes of decoded samples; default 1 GiB).
    pub fn set_cache_bytes(&self, bytes: u64) {
        self.cache.set_capacity(bytes);
    }

    /// The frame cache (hit rate, bytes held; `clear` for cold measurements).
    pub fn cache(&self) -> &FrameCache {
        &self.cache
    }

    fn stack(&mut self, series: SeriesId) -> Result<Arc<StackFrames>, CoreError> {
        if let Some(s) = self.stacks.get(&series) {
            return Ok(s.clone());
        }
        let (study, stack) = self.find_series(series)?;
        let frames = stack
            .instances
            .iter()
            .flat_map(|i| {
                let file = Arc::new(IndexedFile::of(i));
                (0..i.frames).map(move |f| (file.clone(), f))
            })
            .collect();
        let resolved = Arc::new(StackFrames {
            frames,
            study: study_object(study),
            study_key: study.key.clone(),
        });
        self.stacks.insert(series, resolved.clone());
        Ok(resolved)
    }

    /// Frames in a stack.
    pub fn frame_count(&mut self, series: SeriesId) -> Result<usize, CoreError> {
        Ok(self.stack(series)?.frames.len())
    }

    /// Runs a pixel read of a stack's study; a failure is recorded (110103 with the error code)
    /// before it is returned.
    fn audited_read<T>(
        &mut self,
        stack: &StackFrames,
        read: impl FnOnce(&mut Self) -> Result<T, PixelError>,
    ) -> Result<T, CoreError> {
        match read(self) {
            Ok(v) => Ok(v),
            Err(e) => {
                self.audit_failure(Some(&stack.study), &e)?;
                Err(e.into())
            }
        }
    }

    /// Frame `index` of a stack (display order), windowed: the viewer's hot path. Decoded frames
    /// come from the cache; the first access to the study is audited first (viewed), and the file
    /// must still be the one that was indexed (`E_FILE_CHANGED`, audited, otherwise). `options`
    /// is a [`VoiChoice`] (no overlays) or [`RenderOptions`] (overlay planes drawn when asked).
    pub fn stack_frame(
        &mut self,
        series: SeriesId,
        index: usize,
        options: impl Into<RenderOptions>,
    ) -> Result<RenderedFrame, CoreError> {
        let options = options.into();
        let stack = self.stack(series)?;
        let (file, frame) = stack.frame(index)?;
        self.audit_viewed(&stack.study, &stack.study_key)?;
        self.audited_read(&stack, |s| {
            let (opened, decoded) = s.cache.frame_with_file(file, frame)?;
            s.renderer.render(&opened.info, &decoded, frame, options)
        })
    }

    /// A small preview of a stack's middle frame for a study browser, no larger than `max_dim`
    /// a side. Covered by the study's listing record (a thumbnail is part of the list, not a
    /// study viewed); failures are recorded.
    /// Overlay planes (PS3.3 C.9) are drawn, as a viewport draws them by default.
    pub fn thumbnail(&mut self, series: SeriesId, max_dim: u32) -> Result<Pyramid, CoreError> {
        let stack = self.stack(series)?;
        if !self.listed_studies.contains(&stack.study_key) {
            // Every indexed study is listed when opened; this cannot happen, but fail closed.
            return Err(CoreError::UnknownId { kind: "series" });
        }
        let (file, frame) = stack.frame(stack.frames.len() / 2)?;
        self.audited_read(&stack, |s| {
            let (opened, decoded) = s.cache.frame_with_file(file, frame)?;
            let options = RenderOptions {
                voi: VoiChoice::FromHeader,
                overlays: true,
                shutters: true,
            };
            let full = s.renderer.render(&opened.info, &decoded, frame, options)?;
            Ok(Pyramid::new(full, max_dim))
        })
    }

    /// Decodes up to `count` frames after `index` in `direction` (+1 forward, −1 back) on the
    /// worker pool, nearest first. A newer request (the user moved on) cancels older ones.
    pub fn prefetch(
        &mut self,
        series: SeriesId,
        index: usize,
        direction: i32,
        count: usize,
    ) -> Result<(), CoreError> {
        let stack = self.stack(series)?;
        let generation = self.prefetch_generation.fetch_add(1, Ordering::SeqCst) + 1;
        let targets: Vec<(Arc<IndexedFile>, u32)> = (1..=count as isize)
            .map(|d| index as isize + d * if direction < 0 { -1 } else { 1 })
            .take_while(|&i| i >= 0 && (i as usize) < stack.frames.len())
            .map(|i| stack.frames[i as usize].clone())
            .filter(|(file, f)| !self.cache.contains(file, *f))
            .collect();
        if targets.is_empty() {
            return Ok(());
        }
        let cache = self.cache.clone();
        let current = self.prefetch_generation.clone();
        rayon::spawn(move || {
            for (file, frame) in targets {
                if current.load(Ordering::SeqCst) != generation {
                    return; // the user jumped away
                }
                let _ = cache.warm(&file, frame);
            }
        });
        Ok(())
    }

    /// The study and indexed series (stack) an id names.
    fn find_series(&self, series: SeriesId) -> Result<(&Study, &Series), CoreError> {
        let key = self
            .series_ids
            .key_of(series)
            .ok_or(CoreError::UnknownId { kind: "series" })?;
        self.index
            .studies
            .iter()
            .flat_map(|study| study.series.iter().map(move |series| (study, series)))
            .find(|(study, series)| series_key(study, series) == *key)
            .ok_or(CoreError::UnknownId { kind: "series" })
    }

    /// Per frame of a stack (display order): the slice location in mm along the normal (else
    /// Slice Location), and the stack's header windows. One pass over the stack.
    pub fn slice_locations(&mut self, series: SeriesId) -> Result<SliceLocations, CoreError> {
        let stack = self.find_series(series)?.1;
        let mut locations = Vec::new();
        for i in &stack.instances {
            let location = match (i.position, i.orientation) {
                (Some(p), Some(o)) => slice_location(&o, &p),
                _ => None,
            }
            .or(i.slice_location);
            locations.extend(std::iter::repeat_n(location, i.frames as usize));
        }
        let windows = stack
            .instances
            .first()
            .map(|i| i.windows.clone())
            .unwrap_or_default();
        Ok((locations, windows))
    }

    /// Orientation, frame of reference and frame time of a stack. Reads the first file's header
    /// (no pixels), checked against the index like a pixel read.
    pub fn stack_geometry(&mut self, series: SeriesId) -> Result<StackGeometry, CoreError> {
        let (orientation, for_uid, modality) = {
            let (_, s) = self.find_series(series)?;
            (
                s.instances.first().and_then(|i| i.orientation),
                s.frame_of_reference_uid.clone().filter(|u| !u.is_empty()),
                s.modality.clone(),
            )
        };
        let stack = self.stack(series)?;
        let (frame_time_ms, ultrasound_regions) = match stack.frames.first() {
            Some((file, _)) => {
                let file = file.clone();
                let opened = self.audited_read(&stack, |s| s.cache.file(&file))?;
                (
                    opened.info.frame_time_ms,
                    opened.info.ultrasound_regions.clone(),
                )
            }
            None => (None, Vec::new()),
        };
        Ok(StackGeometry {
            orientation,
            frame_of_reference: for_uid.map(|u| self.frame_of_reference_ids.id_for(&u)),
            frame_time_ms,
            modality,
            ultrasound_regions,
        })
    }

    /// Stored and modality values of frame `index` of a stack at full resolution, for a pixel
    /// probe and region statistics. Audited like [`Session::stack_frame`]: the access is recorded
    /// before any value is returned, and a failure is recorded too.
    pub fn frame_values(
        &mut self,
        series: SeriesId,
        index: usize,
    ) -> Result<FrameValues, CoreError> {
        let modality = self.find_series(series)?.1.modality.clone();
        let stack = self.stack(series)?;
        let (file, frame) = stack.frame(index)?;
        self.audit_viewed(&stack.study, &stack.study_key)?;
        self.audited_read(&stack, |s| {
            let (opened, decoded) = s.cache.frame_with_file(file, frame)?;
            FrameValues::new(&opened.info, &decoded, modality.as_deref())
        })
    }

    /// The window the file's own VOI resolves to for frame `index` of a stack (the header
    /// window, else min–max of the frame without padding): where a W/L drag starts. `None` for
    /// colour images and VOI LUT tables.
    pub fn default_window(
        &mut self,
        series: SeriesId,
        index: usize,
    ) -> Result<Option<(f64, f64)>, CoreError> {
        let stack = self.stack(series)?;
        let Ok((file, frame)) = stack.frame(index) else {
            return Ok(None);
        };
        self.audit_viewed(&stack.study, &stack.study_key)?;
        self.audited_read(&stack, |s| {
            let opened = s.cache.file(file)?;
            if !opened.info.photometric.is_monochrome() {
                return Ok(None);
            }
            let decoded = s.cache.frame(file, frame)?;
            Ok(
                match lucent_pixels::render::resolve_voi(
                    &opened.info,
                    &decoded,
                    frame,
                    VoiChoice::FromHeader,
                )
                .0
                {
                    lucent_pixels::lut::VoiTransform::Window(w) => Some((w.center, w.width)),
                    lucent_pixels::lut::VoiTransform::Table(_) => None,
                },
            )
        })
    }

    /// A large frame as a pyramid: the coarsest level (≤ `coarse_max` pixels a side) is shown
    /// first, then full-resolution tiles of the visible region.
    pub fn stack_frame_pyramid(
        &mut self,
        series: SeriesId,
        index: usize,
        options: impl Into<RenderOptions>,
        coarse_max: u32,
    ) -> Result<Pyramid, CoreError> {
        Ok(Pyramid::new(
            self.stack_frame(series, index, options)?,
            coarse_max,
        ))
    }

    /// Uses `dir` instead of `LUCENT_DATA_DIR` for everything the session writes.
    pub fn with_data_dir(mut self, dir: PathBuf) -> Self {
        self.data_dir = Some(dir);
        self
    }

    /// Names the application in audit records (e.g. `lucent-viewer 0.1.0`).
    pub fn with_application(mut self, app: &str) -> Self {
        self.app = app.to_string();
        self
    }

    /// The audit log, opened (and checked) on first use where [`data_dir::audit_location`] says
    /// (the managed policy's folder, else this session's data dir or `LUCENT_DATA_DIR`).
    pub fn audit_log(&mut self) -> Result<&AuditLog, CoreError> {
        if self.audit.is_none() {
            let location = data_dir::audit_location(self.data_dir.as_deref())?;
            self.audit = Some(AuditLog::open_at(&location, &self.app)?);
        }
        Ok(self.audit.as_ref().expect("opened above"))
    }

    /// Records application start or stop (110100, Application Activity).
    pub fn audit_application(&mut self, started: bool) -> Result<(), CoreError> {
        let event = Event {
            detail: Some(
                if started {
                    "application start"
                } else {
                    "application stop"
                }
                .into(),
            ),
            event_type: Some(if started {
                EventType::ApplicationStart
            } else {
                EventType::ApplicationStop
            }),
            ..Event::new(EventId::ApplicationActivity, Action::Execute)
        };
        self.audit_log()?.append(&[event])?;
        Ok(())
    }

    /// Records a request the application refused (bad id or argument from a UI), as a security
    /// alert (110113). `what` must not contain PHI.
    pub fn audit_rejected_request(&mut self, what: &str) -> Result<(), CoreError> {
        let event = Event {
            outcome: Outcome::MinorFailure,
            detail: Some(format!("rejected request: {what}")),
            event_type: Some(EventType::UseOfRestrictedFunction),
            ..Event::new(EventId::SecurityAlert, Action::Execute)
        };
        self.audit_log()?.append(&[event])?;
        Ok(())
    }

    /// Records the first viewing of a study in this session (110103, R, success, no
    /// EventTypeCode), durably, before any of its pixels or values are returned.
    fn audit_viewed(&mut self, study: &StudyObject, key: &str) -> Result<(), CoreError> {
        if self.viewed_studies.contains(key) {
            return Ok(());
        }
        let event = Event {
            objects: vec![study.clone()],
            ..Event::new(EventId::InstancesAccessed, Action::Read)
        };
        self.audit_log()?.append(&[event])?;
        self.viewed_studies.insert(key.to_string());
        Ok(())
    }

    /// Records that studies are listed — their patient and study text, and thumbnails, about to
    /// be shown in a study browser or printed by `lucent info` (110103, R, EventTypeCode
    /// STUDY-LISTED) — in one append (one fsync) for the whole open, before any of it is shown.
    fn audit_listed(&mut self, studies: &[&Study]) -> Result<(), CoreError> {
        if studies.is_empty() {
            return Ok(());
        }
        let events: Vec<Event> = studies
            .chunks(STUDIES_PER_RECORD)
            .map(|chunk| Event {
                objects: chunk.iter().map(|s| study_object(s)).collect(),
                event_type: Some(EventType::StudyListed),
                detail: Some(format!("listed {} stud(ies)", chunk.len())),
                ..Event::new(EventId::InstancesAccessed, Action::Read)
            })
            .collect();
        self.audit_log()?.append(&events)?;
        Ok(())
    }

    /// Records a failed open (110103, R, outcome 4 or 8, with the error code).
    fn audit_failure(
        &mut self,
        study: Option<&StudyObject>,
        error: &dyn HasErrorCode,
    ) -> Result<(), CoreError> {
        let code = error.code();
        let outcome = match code {
            ErrorCode::FrameOutOfRange | ErrorCode::InvalidArgument => Outcome::MinorFailure,
            _ => Outcome::SeriousFailure,
        };
        let event = Event {
            outcome,
            objects: study.cloned().into_iter().collect(),
            error_code: Some(code.as_str().to_string()),
            ..Event::new(EventId::InstancesAccessed, Action::Read)
        };
        self.audit_log()?.append(&[event])?;
        Ok(())
    }

    /// Adds files, folders or DICOMDIRs to the session and re-indexes (header-only).
    /// Ids already handed out keep naming the same objects.
    ///
    /// Audit first: the studies this open makes visible are recorded as listed (one append)
    /// before the session holds them; if that record cannot be written the open fails and the
    /// session keeps its previous index (nothing new can be shown or printed).
    pub fn open(&mut self, paths: &[PathBuf]) -> Result<(), CoreError> {
        let mut roots = self.roots.clone();
        roots.extend(paths.iter().cloned());
        let index = lucent_index::scan(&roots)?;
        let newly_listed: Vec<&Study> = index
            .studies
            .iter()
            .filter(|s| !self.listed_studies.contains(&s.key))
            .collect();
        self.audit_listed(&newly_listed)?;
        let keys: Vec<String> = newly_listed.iter().map(|s| s.key.clone()).collect();
        self.listed_studies.extend(keys);
        self.index = index;
        self.roots = roots;
        self.stacks.clear();
        for study in &self.index.studies {
            self.study_ids.id_for(&study.key);
            for series in &study.series {
                self.series_ids.id_for(&series_key(study, series));
                for instance in &series.instances {
                    self.instance_ids.id_for(&instance.path);
                }
            }
        }
        Ok(())
    }

    /// The full index, paths included: for local tools (the CLI), never for a UI over IPC. Every
    /// study in it has been recorded as listed ([`Session::open`]).
    pub fn index(&self) -> &StudyIndex {
        &self.index
    }

    /// Files that were not indexed, with reasons.
    pub fn skipped(&self) -> &[Skipped] {
        &self.index.skipped
    }

    /// How many files were not indexed, per error code, most frequent first: what a UI may show
    /// (no paths, no reasons with file names).
    pub fn skipped_counts(&self) -> Vec<(ErrorCode, usize)> {
        let mut counts: Vec<(ErrorCode, usize)> = Vec::new();
        for s in &self.index.skipped {
            match counts.iter_mut().find(|(c, _)| *c == s.code) {
                Some((_, n)) => *n += 1,
                None => counts.push((s.code, 1)),
            }
        }
        counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        counts
    }

    /// The studies as a UI shows them: ids and display text, no paths. Every one of them was
    /// recorded as listed when it was opened.
    pub fn studies(&mut self) -> Vec<StudySummary> {
        let mut out = Vec::with_capacity(self.index.studies.len());
        for study in &self.index.studies {
            if !self.listed_studies.contains(&study.key) {
                continue; // not recorded: never shown (cannot happen, see `open`)
            }
            let series = study
                .series
                .iter()
                .map(|s| SeriesSummary {
                    id: self.series_ids.id_for(&series_key(study, s)),
                    modality: s.modality.clone(),
                    number: s.series_number,
                    description: s.series_description.clone(),
                    stack: s.stack,
                    instance_count: s.instances.len(),
                    frame_count: s.frame_count(),
                    size: s
                        .instances
                        .first()
                        .map(|i| (i.rows, i.columns))
                        .unwrap_or((0, 0)),
                })
                .collect();
            out.push(StudySummary {
                id: self.study_ids.id_for(&study.key),
                date: study.study_date.clone(),
                description: study.study_description.clone(),
                patient: study.patient.clone(),
                warnings: study.warnings.clone(),
                series,
            });
        }
        out
    }

    /// The frames of a stack in display order (multi-frame instances expanded).
    pub fn frames(&mut self, series: SeriesId) -> Result<Vec<FrameRef>, CoreError> {
        let instances: Vec<(PathBuf, u32)> = self
            .find_series(series)?
            .1
            .instances
            .iter()
            .map(|i| (i.path.clone(), i.frames))
            .collect();
        let mut frames = Vec::new();
        for (path, count) in instances {
            let id = self.instance_ids.id_for(&path);
            frames.extend((0..count).map(|frame| FrameRef {
                instance: id,
                frame,
            }));
        }
        Ok(frames)
    }

    /// Renders frame `frame` (0-based) of a file through the full pipeline (decode, modality
    /// LUT, VOI, photometric) to 8-bit grey or RGB. For the CLI's `render`; the viewer addresses
    /// frames by id.
    ///
    /// Audited: the file is opened once, the access is recorded with the identity read from that
    /// descriptor, and only then are its pixels decoded from the same descriptor (a file swapped
    /// in between cannot be shown under the recorded patient).
    pub fn render_file(
        &mut self,
        path: &Path,
        frame: u32,
        options: impl Into<RenderOptions>,
    ) -> Result<RenderedFrame, CoreError> {
        let (file, study) = self.open_single_file(path)?;
        self.render_audited(&file, &study, frame, options.into())
    }

    /// Decodes frame `frame` of a file outside any index to its stored values
    /// ([`lucent_pixels::StoredValues`], for QA: `lucent decode --raw`), audited exactly like
    /// [`Session::render_file`]: the viewing is recorded before any pixel is read, a failure is
    /// recorded too, and without an audit log nothing is decoded.
    pub fn decode_file(
        &mut self,
        path: &Path,
        frame: u32,
    ) -> Result<lucent_pixels::StoredValues, CoreError> {
        let (file, study) = self.open_single_file(path)?;
        self.audit_viewed(&study, &single_file_key(&study))?;
        match file.decode_frame(frame) {
            Ok(decoded) => Ok(lucent_pixels::StoredValues::of(&file.info, &decoded)),
            Err(e) => {
                self.audit_failure(Some(&study), &e)?;
                Err(e.into())
            }
        }
    }

    /// Opens a file outside any index and the study it belongs to; a file that cannot be opened
    /// is recorded as a failed access.
    fn open_single_file(
        &mut self,
        path: &Path,
    ) -> Result<(lucent_pixels::PixelFile, StudyObject), CoreError> {
        let file = match lucent_pixels::PixelFile::open(path) {
            Ok(file) => file,
            Err(e) => {
                self.audit_failure(None, &e)?;
                return Err(e.into());
            }
        };
        let identity = file.identity().clone();
        let study = StudyObject {
            identity: StudyIdentity {
                study_instance_uid: identity.study_instance_uid,
                patient_id: identity.patient_id,
                patient_name: identity.patient_name,
            },
            modality: identity.modality,
            instances: 1,
        };
        Ok((file, study))
    }

    fn render_audited(
        &mut self,
        file: &lucent_pixels::PixelFile,
        study: &StudyObject,
        frame: u32,
        options: RenderOptions,
    ) -> Result<RenderedFrame, CoreError> {
        self.audit_viewed(study, &single_file_key(study))?;
        self.render_recorded(file, study, frame, options)
    }

    /// Renders a frame of a file whose viewing is recorded; a failure is recorded too.
    fn render_recorded(
        &mut self,
        file: &lucent_pixels::PixelFile,
        study: &StudyObject,
        frame: u32,
        options: RenderOptions,
    ) -> Result<RenderedFrame, CoreError> {
        match file.render(frame, options) {
            Ok(rendered) => Ok(rendered),
            Err(e) => {
                self.audit_failure(Some(study), &e)?;
                Err(e.into())
            }
        }
    }

    /// Renders a frame of a stack by id (audited like [`Session::stack_frame`]; the file must
    /// still be the one that was indexed).
    pub fn render_frame(
        &mut self,
        frame: FrameRef,
        options: impl Into<RenderOptions>,
    ) -> Result<RenderedFrame, CoreError> {
        let options = options.into();
        let indexed = IndexedFile::of(self.instance(frame.instance)?);
        let study = self
            .index
            .studies
            .iter()
            .find(|s| {
                s.series
                    .iter()
                    .any(|se| se.instances.iter().any(|i| i.path == indexed.path))
            })
            .ok_or(CoreError::UnknownId { kind: "instance" })?;
        let (object, key) = (study_object(study), study.key.clone());
        self.audit_viewed(&object, &key)?;
        let opened = match lucent_pixels::PixelFile::open_indexed(
            &indexed.path,
            &indexed.sop_instance_uid,
            &indexed.fingerprint,
        ) {
            Ok(f) => f,
            Err(e) => {
                self.audit_failure(Some(&object), &e)?;
                return Err(e.into());
            }
        };
        self.render_recorded(&opened, &object, frame.frame, options)
    }

    /// The indexed instance an id names (for the pixel pipeline; paths stay in Rust).
    pub fn instance(&self, id: InstanceId) -> Result<&Instance, CoreError> {
        let path = self
            .instance_ids
            .key_of(id)
            .ok_or(CoreError::UnknownId { kind: "instance" })?;
        self.index
            .instances()
            .find(|i| &i.path == path)
            .ok_or(CoreError::UnknownId { kind: "instance" })
    }
}

/// The viewed-studies key of a file opened outside any index, keyed like a study of the index:
/// the UID and the patient.
fn single_file_key(study: &StudyObject) -> String {
    format!(
        "file:{}|{}|{}",
        study.identity.study_instance_uid,
        study.identity.patient_id.as_deref().unwrap_or(""),
        study.identity.patient_name.as_deref().unwrap_or("")
    )
}
