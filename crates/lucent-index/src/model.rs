//! The index model: Study → Series (one entry per stack) → Instance, plus skipped files.
//!
//! Plain data, in display order. Paths live here because the index must find files again; the
//! facade (`lucent-core`) hands out opaque ids and never lets a path cross to a UI.

use lucent_error::ErrorCode;
use std::path::PathBuf;

/// Everything one scan found.
#[derive(Debug, Clone, Default)]
pub struct StudyIndex {
    /// Studies ordered by date (oldest first), then Study Instance UID, then key.
    pub studies: Vec<Study>,
    /// Files that were not indexed, with the reason, in path order.
    pub skipped: Vec<Skipped>,
}

impl StudyIndex {
    /// All instances of all studies, in display order.
    pub fn instances(&self) -> impl Iterator<Item = &Instance> {
        self.studies
            .iter()
            .flat_map(|s| s.series.iter())
            .flat_map(|s| s.instances.iter())
    }
}

/// Patient attributes, decoded and made safe for display ([`crate::display_text::sanitize`],
/// PS3.3 C.7.1.1). Never written to logs or audit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Patient {
    /// Patient's Name (0010,0010), all component groups (`alphabetic=ideographic=phonetic`).
    pub name: Option<String>,
    /// Patient ID (0010,0020).
    pub id: Option<String>,
    /// Patient's Birth Date (0010,0030), `YYYYMMDD` as in the file.
    pub birth_date: Option<String>,
    /// Patient's Sex (0010,0040).
    pub sex: Option<String>,
    /// Patient's Age (0010,1010), e.g. `045Y`.
    pub age: Option<String>,
}

/// Why a study in the browser needs the reader's attention: what the index did with files whose
/// identifiers could not be trusted to group them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StudyWarning {
    /// Files with this Study Instance UID belong to more than one patient (Patient ID, else
    /// Patient's Name + Birth Date); each patient's files are a study of their own.
    UidSharedByPatients,
    /// The files have no Study Instance UID; they are grouped per patient only.
    MissingStudyUid,
    /// Some files have no Series Instance UID; they are grouped by Series Number, Modality and
    /// Frame of Reference only.
    MissingSeriesUid,
}

/// One study.
#[derive(Debug, Clone)]
pub struct Study {
    /// What tells this study apart within its index: the Study Instance UID and the patient the
    /// files belong to. Unique within a [`StudyIndex`]; never shown (it holds identifiers).
    pub key: String,
    /// Flags for the browser; empty for well-formed files.
    pub warnings: Vec<StudyWarning>,
    /// Study Instance UID (0020,000D); empty when the files lack it.
    pub study_instance_uid: String,
    /// Study Date (0008,0020), `YYYYMMDD` as in the file.
    pub study_date: Option<String>,
    /// Study Time (0008,0030).
    pub study_time: Option<String>,
    /// Study Description (0008,1030).
    pub study_description: Option<String>,
    /// Accession Number (0008,0050).
    pub accession_number: Option<String>,
    /// Study ID (0020,0010).
    pub study_id: Option<String>,
    /// The patient, from the study's first file (path order); every file of the study has the
    /// same Patient ID (else Patient's Name + Birth Date) as written.
    pub patient: Patient,
    /// Series (one entry per stack) ordered by Series Number, then stack, then UID.
    pub series: Vec<Series>,
}

/// One stack of one series. A series holding several stacks (orientations, acquisitions) gives
/// several entries with the same UID and increasing `stack`.
#[derive(Debug, Clone)]
pub struct Series {
    /// What tells this series apart within its study (with [`Series::stack`]): the Series
    /// Instance UID, or for files without one what they were grouped by. Never shown.
    pub key: String,
    /// Series Instance UID (0020,000E); empty when the files lack it.
    pub series_instance_uid: String,
    /// 0-based stack number within the series.
    pub stack: u32,
    /// Modality (0008,0060).
    pub modality: Option<String>,
    /// Series Number (0020,0011).
    pub series_number: Option<i64>,
    /// Series Description (0008,103E).
    pub series_description: Option<String>,
    /// Frame of Reference UID (0020,0052) of the first instance.
    pub frame_of_reference_uid: Option<String>,
    /// Instances in display order (ascending location along the slice normal when known).
    pub instances: Vec<Instance>,
}

impl Series {
    /// Frames in this stack (a multi-frame instance counts each frame).
    pub fn frame_count(&self) -> u64 {
        self.instances.iter().map(|i| u64::from(i.frames)).sum()
    }
}

/// One image instance (one file; possibly multi-frame).
#[derive(Debug, Clone)]
pub struct Instance {
    /// SOP Instance UID (0008,0018), else Media Storage SOP Instance UID; empty when absent.
    pub sop_instance_uid: String,
    /// SOP Class UID (0008,0016).
    pub sop_class_uid: Option<String>,
    /// Instance Number (0020,0013).
    pub instance_number: Option<i64>,
    /// Number of Frames (0028,0008), 1 when absent.
    pub frames: u32,
    /// Rows (0028,0010).
    pub rows: u16,
    /// Columns (0028,0011).
    pub columns: u16,
    /// Image Position (Patient) of the first frame, mm.
    pub position: Option<[f64; 3]>,
    /// Image Orientation (Patient).
    pub orientation: Option<[f64; 6]>,
    /// Pixel Spacing (0028,0030): row spacing, column spacing in mm.
    pub pixel_spacing: Option<[f64; 2]>,
    /// Imager Pixel Spacing (0018,1164): row, column spacing in mm at the detector's front plane.
    pub imager_pixel_spacing: Option<[f64; 2]>,
    /// Slice Location (0020,1041), informative only (sorting uses the geometry).
    pub slice_location: Option<f64>,
    /// Transfer Syntax UID; `None` for a raw data set without meta information.
    pub transfer_syntax_uid: Option<String>,
    /// Photometric Interpretation (0028,0004).
    pub photometric_interpretation: Option<String>,
    /// Samples per Pixel (0028,0002).
    pub samples_per_pixel: Option<u16>,
    /// Bits Allocated (0028,0100).
    pub bits_allocated: Option<u16>,
    /// Bits Stored (0028,0101).
    pub bits_stored: Option<u16>,
    /// Pixel Representation (0028,0103): 1 = signed.
    pub pixel_representation: Option<u16>,
    /// Window Center/Width pairs from the header (PS3.3 C.11.2.1.2), for presets.
    pub windows: Vec<(f64, f64)>,
    /// Rescale Slope and Intercept (PS3.3 C.11.1).
    pub rescale: Option<(f64, f64)>,
    /// Where the file is.
    pub path: PathBuf,
    /// Size, modification time and header hash when indexed: the pixel pipeline refuses the
    /// file if it no longer matches ([`crate::fingerprint`]).
    pub fingerprint: crate::fingerprint::FileFingerprint,
}

/// A file that was not indexed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The file (for a DICOMDIR reference: the DICOMDIR, with the reference in the reason).
    pub path: PathBuf,
    /// Why, in words.
    pub reason: String,
    /// Why, as a stable code.
    pub code: ErrorCode,
}

/// What a pixel spacing measures (PS3.3 10.7.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpacingBasis {
    /// Pixel Spacing: in the patient (cross-sectional images, or calibrated projection images).
    Patient,
    /// Imager Pixel Spacing only: at the detector's front plane; distances in the patient are
    /// smaller by the geometric magnification, so measurements must say so.
    Detector,
}

/// The spacing measurements use, and what it measures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeasurementSpacing {
    /// Between rows (vertical), mm.
    pub row_mm: f64,
    /// Between columns (horizontal), mm.
    pub column_mm: f64,
    /// Patient or detector.
    pub basis: SpacingBasis,
}

impl Instance {
    /// The spacing distances in this image are measured with: Pixel Spacing when present, else
    /// Imager Pixel Spacing, labelled as at the detector (PS3.3 10.7.1.3); `None` when neither
    /// holds two positive finite values.
    pub fn measurement_spacing(&self) -> Option<MeasurementSpacing> {
        let valid = |s: Option<[f64; 2]>| s.filter(|v| v.iter().all(|x| x.is_finite() && *x > 0.0));
        let (spacing, basis) = match (valid(self.pixel_spacing), valid(self.imager_pixel_spacing)) {
            (Some(p), _) => (p, SpacingBasis::Patient),
            (None, Some(d)) => (d, SpacingBasis::Detector),
            (None, None) => return None,
        };
        Some(MeasurementSpacing {
            row_mm: spacing[0],
            column_mm: spacing[1],
            basis,
        })
    }
}
