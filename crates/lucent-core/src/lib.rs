//! Lucent's facade: a [`Session`] is what a user does — open files, browse studies, pick a series.
//!
//! The CLI (`lucent`) and the viewer shell call only this crate. It owns the study index and
//! hands out opaque ids ([`ids`]); display views ([`StudySummary`], [`SeriesSummary`]) carry ids
//! and display text, never paths, so a UI client can be given them as they are. The CLI, a local
//! tool run by the file's owner, may ask for [`Session::index`], which includes paths.
//!
//! Architecture invariant: no dependency on Tauri or on any serialization for IPC; errors are
//! typed ([`CoreError`]) with a stable code.

pub mod ids;

pub use ids::{InstanceId, SeriesId, StudyId};
pub use lucent_error::{ErrorCode, HasErrorCode};
pub use lucent_index::{Instance, Patient, Series, Skipped, Study, StudyIndex};
pub use lucent_pixels::{PixelError, RenderedFrame, VoiChoice};

use ids::IdTable;
use std::path::PathBuf;

/// Why a session operation failed.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// Scanning could not start (a given path is missing or unreadable).
    #[error(transparent)]
    Scan(#[from] lucent_index::ScanError),
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
    /// The study's series (stacks) in display order.
    pub series: Vec<SeriesSummary>,
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

fn series_key(study: &Study, series: &Series) -> (String, String, u32) {
    (
        study.study_instance_uid.clone(),
        series.series_instance_uid.clone(),
        series.stack,
    )
}

/// One user's working set: opened paths, the index built from them, and the ids handed out.
#[derive(Debug)]
pub struct Session {
    roots: Vec<PathBuf>,
    index: StudyIndex,
    study_ids: IdTable<String, StudyId>,
    /// Keyed by (study UID, series UID, stack): UIDs may be empty in sloppy files.
    series_ids: IdTable<(String, String, u32), SeriesId>,
    /// Keyed by path: after the index's dedupe, one file is one instance.
    instance_ids: IdTable<PathBuf, InstanceId>,
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
            instance_ids: IdTable::new(),
        }
    }

    /// Adds files, folders or DICOMDIRs to the session and re-indexes (header-only).
    /// Ids already handed out keep naming the same objects.
    pub fn open(&mut self, paths: &[PathBuf]) -> Result<(), CoreError> {
        let mut roots = self.roots.clone();
        roots.extend(paths.iter().cloned());
        self.index = lucent_index::scan(&roots)?;
        self.roots = roots;
        for study in &self.index.studies {
            self.study_ids.id_for(&study.study_instance_uid);
            for series in &study.series {
                self.series_ids.id_for(&series_key(study, series));
                for instance in &series.instances {
                    self.instance_ids.id_for(&instance.path);
                }
            }
        }
        Ok(())
    }

    /// The full index, paths included: for local tools (the CLI), never for a UI over IPC.
    pub fn index(&self) -> &StudyIndex {
        &self.index
    }

    /// Files that were not indexed, with reasons.
    pub fn skipped(&self) -> &[Skipped] {
        &self.index.skipped
    }

    /// The studies as a UI shows them: ids and display text, no paths.
    pub fn studies(&mut self) -> Vec<StudySummary> {
        let mut out = Vec::with_capacity(self.index.studies.len());
        for study in &self.index.studies {
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
                id: self.study_ids.id_for(&study.study_instance_uid),
                date: study.study_date.clone(),
                description: study.study_description.clone(),
                patient: study.patient.clone(),
                series,
            });
        }
        out
    }

    /// The frames of a stack in display order (multi-frame instances expanded).
    pub fn frames(&mut self, series: SeriesId) -> Result<Vec<FrameRef>, CoreError> {
        let key = self
            .series_ids
            .key_of(series)
            .cloned()
            .ok_or(CoreError::UnknownId { kind: "series" })?;
        let stack = self
            .index
            .studies
            .iter()
            .flat_map(|study| study.series.iter().map(move |series| (study, series)))
            .find(|(study, series)| series_key(study, series) == key)
            .map(|(_, series)| series)
            .ok_or(CoreError::UnknownId { kind: "series" })?;
        let mut frames = Vec::new();
        for instance in &stack.instances {
            let id = self.instance_ids.id_for(&instance.path);
            frames.extend((0..instance.frames).map(|frame| FrameRef {
                instance: id,
                frame,
            }));
        }
        Ok(frames)
    }

    /// Renders frame `frame` (0-based) of a file through the full pipeline (decode, modality
    /// LUT, VOI, photometric) to 8-bit grey or RGB. For the CLI's `render`; the viewer will
    /// address frames by id.
    pub fn render_file(
        &self,
        path: &std::path::Path,
        frame: u32,
        voi: VoiChoice,
    ) -> Result<RenderedFrame, CoreError> {
        let file = lucent_pixels::PixelFile::open(path)?;
        Ok(file.render(frame, voi)?)
    }

    /// Renders a frame of a stack by id.
    pub fn render_frame(
        &self,
        frame: FrameRef,
        voi: VoiChoice,
    ) -> Result<RenderedFrame, CoreError> {
        let instance = self.instance(frame.instance)?;
        let file = lucent_pixels::PixelFile::open(&instance.path)?;
        Ok(file.render(frame.frame, voi)?)
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
