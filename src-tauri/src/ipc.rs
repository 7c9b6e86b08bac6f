//! What crosses the IPC boundary: typed, bounded request structs (`deny_unknown_fields`), DTOs
//! with display text and opaque ids only, errors as `{code, message}` without paths, and frames
//! as raw bytes.
//!
//! Binary frame layout (little endian): `width u32, height u32, channels u32 (1 grey, 3 RGB),
//! flags u32 (bit 0 lossy, bit 1 downsampled), full width u32, full height u32, notes length
//! u32`, then the 8-bit pixels, row-major, then the frame's display notes
//! (`lucent_pixels::DisplayNote`: fixed sentences with numbers, never header text) as UTF-8, one
//! per line. Tiles use the same layout without notes (the frame they belong to carries them).
//!
//! Binary values layout (little endian, for the pixel probe and region statistics): `width u32,
//! height u32, kind u32 (0 rescale, 1 table), unit length u32, slope f64, intercept f64`, then the
//! stored values as f32, row-major, then (kind 1 only) the modality values as f32, then the
//! unit of modality values (Rescale Type, `HU`; at most 16 bytes of ASCII).

use lucent_core::{CoreError, ErrorCode, HasErrorCode, RenderedFrame, StudySummary};
use serde::{Deserialize, Serialize};

/// An error as the UI sees it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct IpcError {
    /// Stable code (`docs/ERROR-CODES.md`).
    pub code: &'static str,
    /// A sentence for the user; never a path, a file name or patient data. Built only from
    /// static text and from error fields that cannot hold one (numbers, tags, static names,
    /// checked UIDs): see [`user_message`] and [`detail`].
    pub message: String,
}

impl IpcError {
    /// An error from a code and a fixed sentence.
    pub fn new(code: ErrorCode, message: &'static str) -> Self {
        IpcError {
            code: code.as_str(),
            message: message.to_string(),
        }
    }
}

impl From<CoreError> for IpcError {
    fn from(e: CoreError) -> Self {
        let code = e.code();
        let sentence = user_message(code);
        let message = match detail(&e) {
            Some(d) => format!("{sentence} {d}"),
            None => sentence.to_string(),
        };
        IpcError {
            code: code.as_str(),
            message,
        }
    }
}

/// The sentence the UI shows for a code: static text, so no path or file name can be in it.
/// Codes without a sentence of their own use the catalogue's description (also static).
pub fn user_message(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::PathNotFound => "A file or folder to open does not exist (any more).",
        ErrorCode::Io => "The file could not be read.",
        ErrorCode::AuditUnavailable => {
            "The audit trail cannot be written, so studies cannot be opened. Check that Lucent's data folder is writable."
        }
        ErrorCode::KeychainUnavailable => {
            "The system keychain is not available or locked. Lucent keeps its audit keys there and opens no study without them."
        }
        ErrorCode::AuditKeyLost => {
            "The audit log's key is missing from the keychain; see Lost key in Lucent's audit documentation to start a new log."
        }
        ErrorCode::AuditTampered => {
            "The audit log failed verification, so studies cannot be opened; run lucent audit verify."
        }
        ErrorCode::UnknownId => "Unknown id.",
        ErrorCode::PolicyInvalid => {
            "The system's managed Lucent policy is refused (invalid, or others could change it), so no study opens. Ask your administrator; lucent policy show says why."
        }
        ErrorCode::FileChanged => {
            "This image's file changed after it was indexed (replaced or rewritten), so it is not shown under this patient. Open the folder again."
        }
        ErrorCode::UnrecognisedCodestream => {
            "This image's file is mislabelled: its pixel data is compressed in a format Lucent does not recognise, so it is not shown."
        }
        other => other.description(),
    }
}

/// Detail that cannot carry a path or file name: only numbers, tags, `&'static str` names and
/// UIDs that pass [`checked_uid`]. Free-text fields (OS errors, codec messages, folder and file
/// names) are never copied.
pub fn detail(e: &CoreError) -> Option<String> {
    use lucent_core::{AuditError, PixelError};
    match e {
        CoreError::UnknownId { kind } => Some(format!("No such {kind}.")),
        CoreError::Header(h) => header_detail(h),
        CoreError::Pixels(p) => match p {
            PixelError::Header(h) => header_detail(h),
            PixelError::FrameOutOfRange { requested, frames } => Some(format!(
                "Frame {requested} was requested; the image has {frames} frame(s), numbered from 0."
            )),
            PixelError::UnsupportedTransferSyntax(uid) => {
                checked_uid(uid).map(|u| format!("Transfer syntax {u}."))
            }
            PixelError::Decode {
                frame,
                transfer_syntax,
                ..
            } => Some(match checked_uid(transfer_syntax) {
                Some(u) => format!("Frame {frame}, transfer syntax {u}."),
                None => format!("Frame {frame}."),
            }),
            // A fixed phrase per kind of change ("its header changed"), never the file.
            PixelError::FileChanged(change) => Some(format!("The file: {change}.")),
            _ => None,
        },
        CoreError::Audit(AuditError::Tampered { seq, .. }) if *seq > 0 => {
            Some(format!("The first bad record is number {seq}."))
        }
        CoreError::Audit(AuditError::Unsealable { seq }) => Some(format!("Record {seq}.")),
        _ => None,
    }
}

fn header_detail(h: &lucent_core::HeaderError) -> Option<String> {
    use lucent_core::HeaderError;
    match h {
        HeaderError::Truncated { at, .. } => Some(format!("The file ends at byte {at}.")),
        HeaderError::Malformed { at, .. } => Some(format!("At byte {at}.")),
        HeaderError::NestingTooDeep { max, at } => {
            Some(format!("More than {max} levels at byte {at}."))
        }
        HeaderError::MissingAttribute { name, tag } => Some(format!("{name} {tag}.")),
        HeaderError::UnsupportedTransferSyntax(uid) => {
            checked_uid(uid).map(|u| format!("Transfer syntax {u}."))
        }
        HeaderError::NoPixelData(uid) => checked_uid(uid).map(|u| format!("SOP Class {u}.")),
        _ => None,
    }
}

/// A UID as PS3.5 9.1 allows it (digits and dots, at most 64 characters), else nothing: a
/// value from a file that is not a UID is not shown.
fn checked_uid(uid: &str) -> Option<&str> {
    let uid = uid.trim_end_matches(['\0', ' ']);
    (!uid.is_empty() && uid.len() <= 64 && uid.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
        .then_some(uid)
}

/// A window from the UI.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowArg {
    /// Window centre.
    pub center: f64,
    /// Window width (> 0).
    pub width: f64,
}

/// `frame` request.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FrameRequest {
    /// Series (stack) id.
    pub series: String,
    /// Frame index in display order.
    pub index: u32,
    /// Explicit window; the file's own VOI when absent.
    pub window: Option<WindowArg>,
    /// Return a downsampled level no larger than this a side (large images), when set.
    pub max_dim: Option<u32>,
    /// Scroll direction (+1 forward, −1 back): prefetch follows it.
    pub direction: Option<i32>,
    /// Draw the overlay planes (PS3.3 C.9); on when absent.
    #[serde(default = "on_by_default")]
    pub overlays: bool,
    /// Apply the file's display shutter (PS3.3 C.7.6.11); on when absent (off: the reader looks
    /// behind it, and the frame's notes say so).
    #[serde(default = "on_by_default")]
    pub shutters: bool,
}

/// The viewer shows overlay planes and applies display shutters unless the user turns them off.
fn on_by_default() -> bool {
    true
}

/// `tile` request: one 256×256 tile of a pyramid level of a large frame.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TileRequest {
    /// Series (stack) id.
    pub series: String,
    /// Frame index in display order.
    pub index: u32,
    /// Explicit window; the file's own VOI when absent.
    pub window: Option<WindowArg>,
    /// Pyramid level (0 = full resolution).
    pub level: u32,
    /// Tile column.
    pub tx: u32,
    /// Tile row.
    pub ty: u32,
    /// Draw the overlay planes (PS3.3 C.9), as the frame the tiles are cut from; on when absent.
    #[serde(default = "on_by_default")]
    pub overlays: bool,
    /// Apply the display shutter, as the frame the tiles are cut from; on when absent.
    #[serde(default = "on_by_default")]
    pub shutters: bool,
}

/// `stack` and `thumbnail` request.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeriesRequest {
    /// Series (stack) id.
    pub series: String,
}

/// Files that could not be read, counted per error code (no paths), for the browser.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SkippedDto {
    /// Stable error code.
    pub code: String,
    /// What the code means, one sentence.
    pub meaning: String,
    /// Files.
    pub count: usize,
}

/// Patient and study text for the corner overlays.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StudyDto {
    /// Opaque id.
    pub id: String,
    /// Patient's Name.
    pub patient_name: Option<String>,
    /// Patient ID.
    pub patient_id: Option<String>,
    /// Patient's Sex.
    pub patient_sex: Option<String>,
    /// Patient's Age.
    pub patient_age: Option<String>,
    /// Study Date.
    pub date: Option<String>,
    /// Study Description.
    pub description: Option<String>,
    /// Why the browser flags this study, one sentence each (no identifiers).
    pub warnings: Vec<String>,
    /// Series.
    pub series: Vec<SeriesDto>,
}

/// A stack in the browser.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SeriesDto {
    /// Opaque id.
    pub id: String,
    /// Modality.
    pub modality: Option<String>,
    /// Series Number.
    pub number: Option<i64>,
    /// Series Description.
    pub description: Option<String>,
    /// Stack within the series.
    pub stack: u32,
    /// Frames.
    pub frames: u64,
    /// Columns, rows of the first image.
    pub size: (u16, u16),
}

impl From<&StudySummary> for StudyDto {
    fn from(s: &StudySummary) -> Self {
        StudyDto {
            id: s.id.to_string(),
            patient_name: s.patient.name.clone(),
            patient_id: s.patient.id.clone(),
            patient_sex: s.patient.sex.clone(),
            patient_age: s.patient.age.clone(),
            date: s.date.clone(),
            description: s.description.clone(),
            warnings: s
                .warnings
                .iter()
                .map(|w| lucent_core::warning_text(*w).to_string())
                .collect(),
            series: s
                .series
                .iter()
                .map(|se| SeriesDto {
                    id: se.id.to_string(),
                    modality: se.modality.clone(),
                    number: se.number,
                    description: se.description.clone(),
                    stack: se.stack,
                    frames: se.frame_count,
                    size: (se.size.1, se.size.0),
                })
                .collect(),
        }
    }
}

/// Per-slice text of a stack.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StackDto {
    /// Frames in display order.
    pub frames: usize,
    /// Slice location (mm along the normal, or Slice Location) per frame, when known.
    pub locations: Vec<Option<f64>>,
    /// The file's own windows (centre, width) for presets.
    pub windows: Vec<(f64, f64)>,
    /// The window the first frame is shown with (where a W/L drag starts); `null` for colour.
    pub default_window: Option<(f64, f64)>,
    /// Frame time in ms for cine (multi-frame), when known (PS3.3 C.7.6.5).
    pub frame_time_ms: Option<f64>,
    /// Image Orientation (Patient) of the first frame, for orientation markers.
    pub orientation: Option<[f64; 6]>,
    /// Opaque frame-of-reference id: stacks with the same id may scroll together.
    pub frame_of_reference: Option<String>,
    /// Modality, for the presets a modality has (CT windows are in HU).
    pub modality: Option<String>,
    /// Calibrated ultrasound regions (PS3.3 C.8.5.5): measurements inside one use its mm/pixel.
    pub ultrasound_regions: Vec<UltrasoundRegionDto>,
    /// The spacing measurements use (mm), and whether it is in the patient or at the detector
    /// (PS3.3 10.7.1.3); `null` when the file has neither Pixel Spacing nor Imager Pixel Spacing.
    pub spacing: Option<SpacingDto>,
}

/// A calibrated ultrasound region for the UI: inclusive pixel bounds and mm per pixel.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct UltrasoundRegionDto {
    /// Min X0, Min Y0, Max X1, Max Y1 (columns and rows, inclusive).
    pub bounds: [u32; 4],
    /// Between rows, mm (Physical Delta Y).
    pub row_mm: f64,
    /// Between columns, mm (Physical Delta X).
    pub column_mm: f64,
}

impl From<&lucent_core::UltrasoundRegion> for UltrasoundRegionDto {
    fn from(r: &lucent_core::UltrasoundRegion) -> Self {
        UltrasoundRegionDto {
            bounds: r.bounds,
            row_mm: r.mm_per_pixel[1],
            column_mm: r.mm_per_pixel[0],
        }
    }
}

/// Pixel spacing for the UI.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SpacingDto {
    /// Between rows, mm.
    pub row_mm: f64,
    /// Between columns, mm.
    pub column_mm: f64,
    /// `patient` (Pixel Spacing) or `detector` (Imager Pixel Spacing only).
    pub basis: &'static str,
}

impl From<lucent_core::MeasurementSpacing> for SpacingDto {
    fn from(s: lucent_core::MeasurementSpacing) -> Self {
        SpacingDto {
            row_mm: s.row_mm,
            column_mm: s.column_mm,
            basis: match s.basis {
                lucent_core::SpacingBasis::Patient => "patient",
                lucent_core::SpacingBasis::Detector => "detector",
            },
        }
    }
}

/// `values` request: one frame's stored and modality values.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValuesRequest {
    /// Series (stack) id.
    pub series: String,
    /// Frame index in display order.
    pub index: u32,
}

/// Encodes a frame's values in the binary values layout above.
pub fn encode_values(v: &lucent_core::FrameValues) -> Vec<u8> {
    let (kind, slope, intercept, table) = match &v.modality {
        lucent_core::ModalityValues::Rescale { slope, intercept } => {
            (0u32, *slope, *intercept, None)
        }
        lucent_core::ModalityValues::Table(t) => (1, 1.0, 0.0, Some(t)),
    };
    let n = v.stored.len() * (1 + usize::from(table.is_some()));
    // Rescale Type is CS (≤ 16 characters); anything else is not a unit worth showing.
    let unit: String = v
        .unit
        .as_deref()
        .unwrap_or("")
        .chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .take(16)
        .collect();
    let mut out = Vec::with_capacity(32 + 4 * n + unit.len());
    for w in [v.width, v.height, kind, unit.len() as u32] {
        out.extend_from_slice(&w.to_le_bytes());
    }
    out.extend_from_slice(&slope.to_le_bytes());
    out.extend_from_slice(&intercept.to_le_bytes());
    for x in v.stored.iter().chain(table.into_iter().flatten()) {
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.extend_from_slice(unit.as_bytes());
    out
}

/// Encodes a tile: the frame layout with the tile's level-0 position in place of the full size.
pub fn encode_tile(tile: &lucent_core::Tile, lossy: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(FRAME_HEADER_BYTES + tile.pixels.len());
    let scale = 1u32 << tile.level.min(31);
    for v in [
        tile.width,
        tile.height,
        u32::from(tile.channels),
        u32::from(lossy) | (tile.level << 8),
        tile.x * scale,
        tile.y * scale,
        0,
    ] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&tile.pixels);
    out
}

/// Bytes before the pixels in the frame layout.
pub const FRAME_HEADER_BYTES: usize = 28;

/// Encodes a rendered frame in the binary layout above.
pub fn encode_frame(frame: &RenderedFrame, downsampled: bool, full: (u32, u32)) -> Vec<u8> {
    let notes = frame
        .notes
        .iter()
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = Vec::with_capacity(FRAME_HEADER_BYTES + frame.pixels.len() + notes.len());
    let flags = u32::from(frame.lossy) | (u32::from(downsampled) << 1);
    for v in [
        frame.width,
        frame.height,
        u32::from(frame.channels),
        flags,
        full.0,
        full.1,
        notes.len() as u32,
    ] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&frame.pixels);
    out.extend_from_slice(notes.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_and_bad_types_are_refused() {
        assert!(
            serde_json::from_str::<FrameRequest>(r#"{"series":"se-0","index":1,"path":"/etc"}"#)
                .is_err()
        );
        assert!(serde_json::from_str::<FrameRequest>(r#"{"series":"se-0","index":-1}"#).is_err());
        let ok: FrameRequest = serde_json::from_str(
            r#"{"series":"se-0","index":1,"window":{"center":-600,"width":1500}}"#,
        )
        .unwrap();
        assert_eq!(ok.window.unwrap().center, -600.0);
        assert!(
            ok.overlays,
            "overlays are drawn unless the request turns them off"
        );
        let off: FrameRequest =
            serde_json::from_str(r#"{"series":"se-0","index":1,"overlays":false}"#).unwrap();
        assert!(!off.overlays);
        assert!(
            serde_json::from_str::<FrameRequest>(r#"{"series":"se-0","index":1,"overlays":1}"#)
                .is_err()
        );
        assert!(
            ok.shutters && off.shutters,
            "the display shutter applies unless the request lifts it"
        );
        let lifted: FrameRequest =
            serde_json::from_str(r#"{"series":"se-0","index":1,"shutters":false}"#).unwrap();
        assert!(!lifted.shutters && lifted.overlays);
    }

    #[test]
    fn frames_are_encoded_with_a_fixed_header() {
        let f = RenderedFrame {
            width: 2,
            height: 1,
            channels: 1,
            pixels: vec![7, 9],
            lossy: true,
            notes: vec![lucent_core::DisplayNote::NarrowWindowAsLinearExact {
                center: 0.108,
                width: 0.215,
            }],
        };
        let b = encode_frame(&f, true, (4, 2));
        assert_eq!(&b[..4], &2u32.to_le_bytes());
        assert_eq!(&b[12..16], &3u32.to_le_bytes());
        let note = "W 0.215 L 0.108: narrower than 1, applied as LINEAR_EXACT";
        assert_eq!(&b[24..28], &(note.len() as u32).to_le_bytes());
        assert_eq!(&b[28..30], &[7, 9]);
        assert_eq!(&b[30..], note.as_bytes());
    }

    #[test]
    fn values_are_encoded_with_their_transform() {
        let v = lucent_core::FrameValues {
            width: 2,
            height: 1,
            stored: vec![-1024.0, 40.0],
            modality: lucent_core::ModalityValues::Rescale {
                slope: 1.0,
                intercept: -1024.0,
            },
            unit: Some("HU".into()),
        };
        let b = encode_values(&v);
        assert_eq!(b.len(), 32 + 8 + 2);
        assert_eq!(&b[8..12], &0u32.to_le_bytes());
        assert_eq!(&b[12..16], &2u32.to_le_bytes());
        assert_eq!(&b[40..], b"HU");
        assert_eq!(&b[24..32], &(-1024.0f64).to_le_bytes());
        assert_eq!(&b[32..36], &(-1024.0f32).to_le_bytes());
        let t = lucent_core::FrameValues {
            modality: lucent_core::ModalityValues::Table(vec![5.0, 6.0]),
            unit: None,
            ..v
        };
        let b = encode_values(&t);
        assert_eq!(b.len(), 32 + 16);
        assert_eq!(&b[8..12], &1u32.to_le_bytes());
        assert_eq!(&b[44..48], &6.0f32.to_le_bytes());
    }

    #[test]
    fn every_code_has_a_sentence_without_a_path() {
        for &code in ErrorCode::ALL {
            let m = user_message(code);
            assert!(!m.is_empty(), "{code}");
            assert!(
                !m.contains('/') && !m.contains('\\'),
                "{code}: {m} (a path separator in an IPC message)"
            );
        }
    }

    #[test]
    fn only_checked_uids_are_shown() {
        assert_eq!(
            checked_uid("1.2.840.10008.1.2.4.100\0"),
            Some("1.2.840.10008.1.2.4.100")
        );
        assert_eq!(checked_uid("/home/x/1.2.3"), None);
        assert_eq!(checked_uid(""), None);
        assert_eq!(checked_uid(&"1".repeat(65)), None);
    }

    #[test]
    fn audit_errors_cross_without_paths() {
        let e: IpcError = CoreError::Audit(lucent_core::AuditError::Unwritable {
            dir: "/home/someone/.local/share/lucent/audit".into(),
            reason: "denied".into(),
        })
        .into();
        assert_eq!(e.code, "E_AUDIT_UNAVAILABLE");
        assert!(!e.message.contains('/'), "{}", e.message);
    }
}
