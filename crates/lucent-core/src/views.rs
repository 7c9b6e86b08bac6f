//! What a UI is given about studies and stacks: opaque ids and display text, never paths or
//! UIDs ([`StudySummary`], [`SeriesSummary`], [`FrameRef`], [`StackGeometry`]).

use crate::{
    FrameOfReferenceId, InstanceId, Patient, SeriesId, StudyId, StudyWarning, UltrasoundRegion,
};

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
