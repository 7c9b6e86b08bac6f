//! Header-only reader: everything before Pixel Data, with caps, never a panic.
//!
//! Reads DICOM Part 10 files (PS3.10 7.1: preamble, `DICM`, File Meta Information) and raw data
//! sets without meta information, in implicit VR little endian, explicit VR little/big endian and
//! deflated explicit VR little endian (PS3.5 7.1, 10, A.5). It stops at the top-level Pixel Data
//! element and never reads pixel values.
//!
//! Why not `dicom-object` here: indexing needs (1) the raw bytes of text values, because
//! dicom-rs 0.10 decodes text with only the first value of a multi-valued Specific Character Set
//! and so garbles ISO 2022 Japanese/Korean names (see [`crate::charset`]); (2) allocation bounded
//! by caps rather than by declared lengths; (3) a stop on nesting bombs; (4) speed: only ~40
//! attributes are kept, everything else is skipped by seeking, so a header costs a few µs. The
//! pixel pipeline uses dicom-object/dicom-pixeldata, where whole-object parsing is needed anyway.
//!
//! Structure rules implemented (PS3.5 7.5): sequences and items of defined or undefined length,
//! item and sequence delimiters, `UN` of undefined length parsed as implicit VR little endian
//! (PS3.5 6.2.2), encapsulated fragments inside nested items (icon images) skipped as fragments.

use crate::error::{HeaderError, Tag};
use crate::limits::{
    MAX_INFLATED_HEADER_BYTES, MAX_KEPT_BYTES_PER_FILE, MAX_KEPT_ITEMS_PER_SEQUENCE,
    MAX_KEPT_VALUE_BYTES, MAX_SEQUENCE_DEPTH,
};
use std::fs::File;
use std::io::{BufReader, ErrorKind, Read, Seek};
use std::path::Path;

/// Tags the index reads; each constant is named after its PS3.6 data dictionary keyword.
#[allow(missing_docs)]
pub mod tags {
    use crate::error::Tag;
    pub const MEDIA_STORAGE_SOP_CLASS_UID: Tag = Tag(0x0002, 0x0002);
    pub const MEDIA_STORAGE_SOP_INSTANCE_UID: Tag = Tag(0x0002, 0x0003);
    pub const TRANSFER_SYNTAX_UID: Tag = Tag(0x0002, 0x0010);
    pub const DIRECTORY_RECORD_SEQUENCE: Tag = Tag(0x0004, 0x1220);
    pub const DIRECTORY_RECORD_TYPE: Tag = Tag(0x0004, 0x1430);
    pub const REFERENCED_FILE_ID: Tag = Tag(0x0004, 0x1500);
    pub const SPECIFIC_CHARACTER_SET: Tag = Tag(0x0008, 0x0005);
    pub const IMAGE_TYPE: Tag = Tag(0x0008, 0x0008);
    pub const SOP_CLASS_UID: Tag = Tag(0x0008, 0x0016);
    pub const SOP_INSTANCE_UID: Tag = Tag(0x0008, 0x0018);
    pub const STUDY_DATE: Tag = Tag(0x0008, 0x0020);
    pub const STUDY_TIME: Tag = Tag(0x0008, 0x0030);
    pub const ACCESSION_NUMBER: Tag = Tag(0x0008, 0x0050);
    pub const MODALITY: Tag = Tag(0x0008, 0x0060);
    pub const STUDY_DESCRIPTION: Tag = Tag(0x0008, 0x1030);
    pub const SERIES_DESCRIPTION: Tag = Tag(0x0008, 0x103E);
    pub const PATIENT_NAME: Tag = Tag(0x0010, 0x0010);
    pub const PATIENT_ID: Tag = Tag(0x0010, 0x0020);
    pub const PATIENT_BIRTH_DATE: Tag = Tag(0x0010, 0x0030);
    pub const PATIENT_SEX: Tag = Tag(0x0010, 0x0040);
    pub const PATIENT_AGE: Tag = Tag(0x0010, 0x1010);
    pub const SLICE_THICKNESS: Tag = Tag(0x0018, 0x0050);
    pub const ECHO_NUMBERS: Tag = Tag(0x0018, 0x0086);
    pub const STUDY_INSTANCE_UID: Tag = Tag(0x0020, 0x000D);
    pub const SERIES_INSTANCE_UID: Tag = Tag(0x0020, 0x000E);
    pub const STUDY_ID: Tag = Tag(0x0020, 0x0010);
    pub const SERIES_NUMBER: Tag = Tag(0x0020, 0x0011);
    pub const ACQUISITION_NUMBER: Tag = Tag(0x0020, 0x0012);
    pub const INSTANCE_NUMBER: Tag = Tag(0x0020, 0x0013);
    pub const IMAGE_POSITION_PATIENT: Tag = Tag(0x0020, 0x0032);
    pub const IMAGE_ORIENTATION_PATIENT: Tag = Tag(0x0020, 0x0037);
    pub const FRAME_OF_REFERENCE_UID: Tag = Tag(0x0020, 0x0052);
    pub const TEMPORAL_POSITION_IDENTIFIER: Tag = Tag(0x0020, 0x0100);
    pub const SLICE_LOCATION: Tag = Tag(0x0020, 0x1041);
    pub const PLANE_POSITION_SEQUENCE: Tag = Tag(0x0020, 0x9113);
    pub const PLANE_ORIENTATION_SEQUENCE: Tag = Tag(0x0020, 0x9116);
    pub const SAMPLES_PER_PIXEL: Tag = Tag(0x0028, 0x0002);
    pub const PHOTOMETRIC_INTERPRETATION: Tag = Tag(0x0028, 0x0004);
    pub const NUMBER_OF_FRAMES: Tag = Tag(0x0028, 0x0008);
    pub const ROWS: Tag = Tag(0x0028, 0x0010);
    pub const COLUMNS: Tag = Tag(0x0028, 0x0011);
    pub const PIXEL_SPACING: Tag = Tag(0x0028, 0x0030);
    /// Imager Pixel Spacing (0018,1164): spacing at the detector's front plane (projection).
    pub const IMAGER_PIXEL_SPACING: Tag = Tag(0x0018, 0x1164);
    pub const BITS_ALLOCATED: Tag = Tag(0x0028, 0x0100);
    pub const BITS_STORED: Tag = Tag(0x0028, 0x0101);
    pub const PIXEL_REPRESENTATION: Tag = Tag(0x0028, 0x0103);
    pub const WINDOW_CENTER: Tag = Tag(0x0028, 0x1050);
    pub const WINDOW_WIDTH: Tag = Tag(0x0028, 0x1051);
    pub const RESCALE_INTERCEPT: Tag = Tag(0x0028, 0x1052);
    pub const RESCALE_SLOPE: Tag = Tag(0x0028, 0x1053);
    pub const PIXEL_MEASURES_SEQUENCE: Tag = Tag(0x0028, 0x9110);
    pub const SHARED_FUNCTIONAL_GROUPS_SEQUENCE: Tag = Tag(0x5200, 0x9229);
    pub const PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE: Tag = Tag(0x5200, 0x9230);
    pub const FLOAT_PIXEL_DATA: Tag = Tag(0x7FE0, 0x0008);
    pub const DOUBLE_FLOAT_PIXEL_DATA: Tag = Tag(0x7FE0, 0x0009);
    pub const PIXEL_DATA: Tag = Tag(0x7FE0, 0x0010);
}

/// Transfer syntax UIDs whose data set encoding differs from explicit VR little endian.
pub mod transfer_syntax {
    /// Implicit VR Little Endian (PS3.5 A.1).
    pub const IMPLICIT_VR_LITTLE_ENDIAN: &str = "1.2.840.10008.1.2";
    /// Explicit VR Little Endian (PS3.5 A.2).
    pub const EXPLICIT_VR_LITTLE_ENDIAN: &str = "1.2.840.10008.1.2.1";
    /// Deflated Explicit VR Little Endian (PS3.5 A.5).
    pub const DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN: &str = "1.2.840.10008.1.2.1.99";
    /// Explicit VR Big Endian (retired, PS3.5 A.3).
    pub const EXPLICIT_VR_BIG_ENDIAN: &str = "1.2.840.10008.1.2.2";
}

/// The Media Storage Directory Storage SOP Class of a DICOMDIR (PS3.4 Annex F... PS3.10 8).
pub const MEDIA_STORAGE_DIRECTORY_SOP_CLASS: &str = "1.2.840.10008.1.3.10";

const UNDEFINED_LENGTH: u32 = 0xFFFF_FFFF;
const ITEM: Tag = Tag(0xFFFE, 0xE000);
const ITEM_DELIMITER: Tag = Tag(0xFFFE, 0xE00D);
const SEQUENCE_DELIMITER: Tag = Tag(0xFFFE, 0xE0DD);

/// How values of a data set are encoded (PS3.5 7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encoding {
    /// Explicit VR (true) or implicit VR (false).
    pub explicit_vr: bool,
    /// Big endian byte order (only the retired Explicit VR Big Endian).
    pub big_endian: bool,
}

const EXPLICIT_LE: Encoding = Encoding {
    explicit_vr: true,
    big_endian: false,
};
const IMPLICIT_LE: Encoding = Encoding {
    explicit_vr: false,
    big_endian: false,
};
const EXPLICIT_BE: Encoding = Encoding {
    explicit_vr: true,
    big_endian: true,
};

/// One kept element: its VR (as written, or from the implicit-VR table) and raw value bytes.
#[derive(Debug, Clone)]
pub struct Element {
    /// Tag.
    pub tag: Tag,
    /// Value representation, two ASCII letters.
    pub vr: [u8; 2],
    /// Raw value bytes as stored (padding included).
    pub value: Vec<u8>,
}

/// The kept part of a data set: wanted elements and wanted sequences of nested data sets.
#[derive(Debug, Clone, Default)]
pub struct DataSet {
    /// Whether binary values are big endian.
    pub big_endian: bool,
    elements: Vec<Element>,
    sequences: Vec<(Tag, Vec<DataSet>)>,
}

impl DataSet {
    /// The kept element with this tag.
    pub fn element(&self, tag: Tag) -> Option<&Element> {
        self.elements.iter().find(|e| e.tag == tag)
    }

    /// Raw value bytes.
    pub fn bytes(&self, tag: Tag) -> Option<&[u8]> {
        self.element(tag).map(|e| e.value.as_slice())
    }

    /// A value in the default repertoire (CS, UI, DA, TM, IS, DS, AS), all values joined by `\`,
    /// with padding (spaces, NUL) trimmed. `None` when absent or empty.
    pub fn ascii(&self, tag: Tag) -> Option<String> {
        let raw = self.bytes(tag)?;
        let text: String = raw
            .iter()
            .map(|&b| if b.is_ascii() { b as char } else { '\u{FFFD}' })
            .collect();
        let trimmed = text
            .trim_matches(|c: char| c == ' ' || c == '\0')
            .to_string();
        (!trimmed.is_empty()).then_some(trimmed)
    }

    /// The values of a multi-valued default-repertoire attribute, each trimmed.
    pub fn ascii_values(&self, tag: Tag) -> Vec<String> {
        self.ascii(tag)
            .map(|s| {
                s.split('\\')
                    .map(|v| v.trim_matches([' ', '\0']).to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// An unsigned short (US) value, honouring the byte order; for an IS value, parsed text.
    pub fn u16(&self, tag: Tag) -> Option<u16> {
        let e = self.element(tag)?;
        if &e.vr == b"US" || &e.vr == b"SS" || &e.vr == b"OW" || &e.vr == b"UN" {
            let b: [u8; 2] = e.value.get(..2)?.try_into().ok()?;
            Some(if self.big_endian {
                u16::from_be_bytes(b)
            } else {
                u16::from_le_bytes(b)
            })
        } else {
            self.int(tag).and_then(|v| u16::try_from(v).ok())
        }
    }

    /// The first value of an Integer String (IS), or of a US element.
    pub fn int(&self, tag: Tag) -> Option<i64> {
        let e = self.element(tag)?;
        if &e.vr == b"US" {
            return self.u16(tag).map(i64::from);
        }
        let first = self.ascii_values(tag).into_iter().next()?;
        // IS may be written as "12.0" by lenient writers: accept integral decimals.
        first.parse::<i64>().ok().or_else(|| {
            let f = first.parse::<f64>().ok()?;
            (f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15).then_some(f as i64)
        })
    }

    /// All values of a Decimal String (DS); `None` when absent or any value is not a finite number.
    pub fn decimals(&self, tag: Tag) -> Option<Vec<f64>> {
        let values = self.ascii_values(tag);
        if values.is_empty() {
            return None;
        }
        values
            .iter()
            .map(|v| v.parse::<f64>().ok().filter(|f| f.is_finite()))
            .collect()
    }

    /// The kept items of a sequence.
    pub fn items(&self, tag: Tag) -> &[DataSet] {
        self.sequences
            .iter()
            .find(|(t, _)| *t == tag)
            .map(|(_, i)| i.as_slice())
            .unwrap_or(&[])
    }
}

/// Where Pixel Data starts (for later stages) and how long it says it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PixelDataInfo {
    /// Which pixel data element: (7FE0,0010), (7FE0,0008) or (7FE0,0009).
    pub tag: Tag,
    /// Byte offset of the value in the file (in the inflated stream for deflated files).
    pub value_offset: u64,
    /// Declared length; `None` for encapsulated (undefined length) data.
    pub length: Option<u64>,
    /// Byte offset of the element's tag (where the data set before it ends).
    pub element_offset: u64,
    /// The element's VR (`OB`, `OW`, `OF`, `OD`; from the implicit table for implicit VR).
    pub vr: [u8; 2],
}

/// The result of reading one file's header.
#[derive(Debug, Clone)]
pub struct Header {
    /// Transfer Syntax UID from the meta group; `None` for a raw data set without meta.
    pub transfer_syntax_uid: Option<String>,
    /// How the data set is encoded (as declared, or as detected for raw data sets).
    pub encoding: Encoding,
    /// The File Meta Information group (kept elements).
    pub meta: DataSet,
    /// The kept part of the main data set.
    pub dataset: DataSet,
    /// Present when the data set has top-level pixel data.
    pub pixel_data: Option<PixelDataInfo>,
    /// Size of the file on disk.
    pub file_len: u64,
    /// Whether the data set was deflated.
    pub deflated: bool,
    /// File offset where the main data set starts (after the File Meta Information).
    pub dataset_offset: u64,
}

impl Header {
    /// Whether this file is a DICOMDIR (Media Storage Directory).
    pub fn is_dicomdir(&self) -> bool {
        self.meta
            .ascii(tags::MEDIA_STORAGE_SOP_CLASS_UID)
            .as_deref()
            == Some(MEDIA_STORAGE_DIRECTORY_SOP_CLASS)
            || self
                .dataset
                .element(tags::DIRECTORY_RECORD_SEQUENCE)
                .is_some()
            || !self
                .dataset
                .items(tags::DIRECTORY_RECORD_SEQUENCE)
                .is_empty()
    }
}

/// Reads the header of the file at `path`.
pub fn read_header(path: &Path) -> Result<Header, HeaderError> {
    let file = File::open(path)?;
    let len = file.metadata()?.len();
    read_header_from(Box::new(file), len)
}

/// Reads a header from any seekable byte source of length `len`.
pub fn read_header_from(source: Box<dyn ReadSeek>, len: u64) -> Result<Header, HeaderError> {
    let mut reader = Reader {
        stream: Stream::Plain(BufReader::with_capacity(16 * 1024, source)),
        pos: 0,
        plain_len: Some(len),
        kept_bytes: 0,
    };
    let start = detect_start(&mut reader, len)?;
    let (meta, transfer_syntax_uid, encoding) = match start {
        Start::Meta => {
            let meta = reader.read_meta()?;
            let ts = meta.ascii(tags::TRANSFER_SYNTAX_UID);
            let encoding = match ts.as_deref() {
                Some(transfer_syntax::IMPLICIT_VR_LITTLE_ENDIAN) => IMPLICIT_LE,
                Some(transfer_syntax::EXPLICIT_VR_BIG_ENDIAN) => EXPLICIT_BE,
                // Every other syntax, native or encapsulated, encodes the data set in explicit VR
                // little endian (PS3.5 A.4); the pixel pipeline judges codec support.
                Some(_) => EXPLICIT_LE,
                None => {
                    return Err(HeaderError::MissingAttribute {
                        name: "TransferSyntaxUID",
                        tag: tags::TRANSFER_SYNTAX_UID,
                    });
                }
            };
            (meta, ts, encoding)
        }
        Start::RawDataSet(encoding) => (DataSet::default(), None, encoding),
    };
    let deflated =
        transfer_syntax_uid.as_deref() == Some(transfer_syntax::DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN);
    if deflated {
        reader.switch_to_inflate();
    }
    let encoding = if deflated {
        encoding
    } else {
        reader.check_declared_vr(encoding)?
    };
    let dataset_offset = reader.pos;
    let mut dataset = DataSet {
        big_endian: encoding.big_endian,
        ..DataSet::default()
    };
    let end = reader.read_dataset(encoding, None, true, 0, Scope::Top, &mut dataset)?;
    let pixel_data = match end {
        DataSetEnd::PixelData(info) => Some(info),
        _ => None,
    };
    Ok(Header {
        transfer_syntax_uid,
        encoding,
        meta,
        dataset,
        pixel_data,
        file_len: len,
        deflated,
        dataset_offset,
    })
}

/// A seekable byte source (a file, or bytes in memory in tests and fuzzing).
pub trait ReadSeek: Read + Seek + Send {}
impl<T: Read + Seek + Send> ReadSeek for T {}

enum Stream {
    Plain(BufReader<Box<dyn ReadSeek>>),
    Inflate(Box<flate2::read::DeflateDecoder<BufReader<Box<dyn ReadSeek>>>>),
    Switching,
}

struct Reader {
    stream: Stream,
    /// Offset in the file, or in the inflated stream after a switch to inflate.
    pos: u64,
    /// File length while reading plain bytes; `None` once inflating.
    plain_len: Option<u64>,
    kept_bytes: u64,
}

enum Start {
    Meta,
    RawDataSet(Encoding),
}

#[derive(Debug)]
enum DataSetEnd {
    EndOfInput,
    EndOfItem,
    ItemDelimiter,
    PixelData(PixelDataInfo),
}

/// Which part of the data set we are in, to decide what to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Top,
    DirectoryRecord,
    FunctionalGroup,
    PlanePosition,
    PlaneOrientation,
    PixelMeasures,
    Ignored,
}

enum Want {
    Keep,
    Descend(Scope),
    Skip,
}

fn want(scope: Scope, tag: Tag) -> Want {
    use tags::*;
    match scope {
        Scope::Top => match tag {
            DIRECTORY_RECORD_SEQUENCE => Want::Descend(Scope::DirectoryRecord),
            SHARED_FUNCTIONAL_GROUPS_SEQUENCE | PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE => {
                Want::Descend(Scope::FunctionalGroup)
            }
            SPECIFIC_CHARACTER_SET
            | IMAGE_TYPE
            | SOP_CLASS_UID
            | SOP_INSTANCE_UID
            | STUDY_DATE
            | STUDY_TIME
            | ACCESSION_NUMBER
            | MODALITY
            | STUDY_DESCRIPTION
            | SERIES_DESCRIPTION
            | PATIENT_NAME
            | PATIENT_ID
            | PATIENT_BIRTH_DATE
            | PATIENT_SEX
            | PATIENT_AGE
            | SLICE_THICKNESS
            | ECHO_NUMBERS
            | STUDY_INSTANCE_UID
            | SERIES_INSTANCE_UID
            | STUDY_ID
            | SERIES_NUMBER
            | ACQUISITION_NUMBER
            | INSTANCE_NUMBER
            | IMAGE_POSITION_PATIENT
            | IMAGE_ORIENTATION_PATIENT
            | FRAME_OF_REFERENCE_UID
            | TEMPORAL_POSITION_IDENTIFIER
            | SLICE_LOCATION
            | SAMPLES_PER_PIXEL
            | PHOTOMETRIC_INTERPRETATION
            | NUMBER_OF_FRAMES
            | ROWS
            | COLUMNS
            | PIXEL_SPACING
            | IMAGER_PIXEL_SPACING
            | BITS_ALLOCATED
            | BITS_STORED
            | PIXEL_REPRESENTATION
            | WINDOW_CENTER
            | WINDOW_WIDTH
            | RESCALE_INTERCEPT
            | RESCALE_SLOPE => Want::Keep,
            _ => Want::Skip,
        },
        Scope::DirectoryRecord => match tag {
            DIRECTORY_RECORD_TYPE | REFERENCED_FILE_ID => Want::Keep,
            _ => Want::Skip,
        },
        Scope::FunctionalGroup => match tag {
            PLANE_POSITION_SEQUENCE => Want::Descend(Scope::PlanePosition),
            PLANE_ORIENTATION_SEQUENCE => Want::Descend(Scope::PlaneOrientation),
            PIXEL_MEASURES_SEQUENCE => Want::Descend(Scope::PixelMeasures),
            _ => Want::Skip,
        },
        Scope::PlanePosition if tag == IMAGE_POSITION_PATIENT => Want::Keep,
        Scope::PlaneOrientation if tag == IMAGE_ORIENTATION_PATIENT => Want::Keep,
        Scope::PixelMeasures if tag == PIXEL_SPACING => Want::Keep,
        _ => Want::Skip,
    }
}

/// The VR of a tag in implicit VR data sets, for the tags whose VR matters when reading.
fn implicit_vr(tag: Tag) -> [u8; 2] {
    use tags::*;
    match tag {
        SAMPLES_PER_PIXEL | ROWS | COLUMNS | BITS_ALLOCATED | BITS_STORED
        | PIXEL_REPRESENTATION => *b"US",
        DIRECTORY_RECORD_SEQUENCE
        | SHARED_FUNCTIONAL_GROUPS_SEQUENCE
        | PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE
        | PLANE_POSITION_SEQUENCE
        | PLANE_ORIENTATION_SEQUENCE
        | PIXEL_MEASURES_SEQUENCE => *b"SQ",
        Tag(0x7FE0, _) => *b"OW",
        _ => *b"UN",
    }
}

/// VRs with the long (4-byte) length form in explicit VR (PS3.5 7.1.2, table 7.1-1).
pub(crate) fn has_long_length(vr: [u8; 2]) -> bool {
    matches!(
        &vr,
        b"OB"
            | b"OD"
            | b"OF"
            | b"OL"
            | b"OV"
            | b"OW"
            | b"SQ"
            | b"UC"
            | b"UN"
            | b"UR"
            | b"UT"
            | b"SV"
            | b"UV"
    )
}

fn detect_start(reader: &mut Reader, len: u64) -> Result<Start, HeaderError> {
    let mut head = [0u8; 132];
    let n = reader.read_up_to(&mut head)?;
    let head = &head[..n];
    // A Part 10 file has `DICM` at 128 followed by the meta group (0002,xxxx). A raw data set
    // may contain the bytes `DICM` at 128 by chance, so the group is checked too.
    if n == 132 && &head[128..132] == b"DICM" {
        let mut group = [0u8; 2];
        reader.read_up_to(&mut group)?;
        if group == [0x02, 0x00] {
            reader.seek_plain(132)?;
            return Ok(Start::Meta);
        }
    }
    if n >= 4 && &head[..4] == b"DICM" {
        reader.seek_plain(4)?;
        return Ok(Start::Meta);
    }
    if n < 8 {
        return Err(HeaderError::NotDicom("too short to hold a DICOM header"));
    }
    let group_le = u16::from_le_bytes([head[0], head[1]]);
    let group_be = u16::from_be_bytes([head[0], head[1]]);
    let vr_like = head[4].is_ascii_uppercase() && head[5].is_ascii_uppercase();
    let start = if group_le == 0x0002 && vr_like {
        Start::Meta
    } else if group_le == 0x0008 && vr_like {
        Start::RawDataSet(EXPLICIT_LE)
    } else if group_le == 0x0008 {
        let length = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        if u64::from(length) > len {
            return Err(HeaderError::NotDicom(
                "no DICM marker and no plausible data set",
            ));
        }
        Start::RawDataSet(IMPLICIT_LE)
    } else if group_be == 0x0008 && vr_like {
        Start::RawDataSet(EXPLICIT_BE)
    } else {
        return Err(HeaderError::NotDicom(
            "no DICM marker and no plausible data set",
        ));
    };
    reader.seek_plain(0)?;
    Ok(start)
}

impl Reader {
    fn truncated(&self, what: impl Into<String>) -> HeaderError {
        HeaderError::Truncated {
            what: what.into(),
            at: self.pos,
        }
    }

    fn malformed(&self, what: impl Into<String>) -> HeaderError {
        HeaderError::Malformed {
            what: what.into(),
            at: self.pos,
        }
    }

    fn read_up_to(&mut self, buf: &mut [u8]) -> Result<usize, HeaderError> {
        let mut filled = 0;
        while filled < buf.len() {
            let n = match &mut self.stream {
                Stream::Plain(r) => r.read(&mut buf[filled..]),
                Stream::Inflate(r) => r.read(&mut buf[filled..]),
                Stream::Switching => Ok(0),
            };
            match n {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e)
                    if e.kind() == ErrorKind::InvalidInput
                        || e.kind() == ErrorKind::InvalidData =>
                {
                    return Err(self.malformed(format!("deflated data set is corrupt: {e}")));
                }
                Err(e) => return Err(e.into()),
            }
        }
        self.pos += filled as u64;
        if self.plain_len.is_none() && self.pos > MAX_INFLATED_HEADER_BYTES {
            return Err(HeaderError::TooLarge(format!(
                "more than {MAX_INFLATED_HEADER_BYTES} inflated bytes before Pixel Data"
            )));
        }
        Ok(filled)
    }

    fn read_exact(&mut self, buf: &mut [u8], what: &str) -> Result<(), HeaderError> {
        if self.read_up_to(buf)? < buf.len() {
            return Err(self.truncated(what));
        }
        Ok(())
    }

    /// Moves to an absolute offset while reading plain bytes (start detection only).
    fn seek_plain(&mut self, to: u64) -> Result<(), HeaderError> {
        if let Stream::Plain(r) = &mut self.stream {
            let delta =
                i64::try_from(to).unwrap_or(i64::MAX) - i64::try_from(self.pos).unwrap_or(0);
            r.seek_relative(delta)?;
            self.pos = to;
        }
        Ok(())
    }

    fn skip(&mut self, n: u64, what: &str) -> Result<(), HeaderError> {
        match &mut self.stream {
            Stream::Plain(r) => {
                let len = self.plain_len.unwrap_or(0);
                if self.pos.checked_add(n).is_none_or(|end| end > len) {
                    return Err(self.truncated(what));
                }
                r.seek_relative(n as i64)?;
                self.pos += n;
            }
            Stream::Inflate(r) => {
                let copied = std::io::copy(&mut r.by_ref().take(n), &mut std::io::sink())
                    .map_err(|e| self.malformed(format!("deflated data set is corrupt: {e}")))?;
                self.pos += copied;
                if copied < n {
                    return Err(self.truncated(what));
                }
                if self.pos > MAX_INFLATED_HEADER_BYTES {
                    return Err(HeaderError::TooLarge(format!(
                        "more than {MAX_INFLATED_HEADER_BYTES} inflated bytes before Pixel Data"
                    )));
                }
            }
            Stream::Switching => return Err(self.truncated(what)),
        }
        Ok(())
    }

    fn switch_to_inflate(&mut self) {
        if let Stream::Plain(r) = std::mem::replace(&mut self.stream, Stream::Switching) {
            self.stream = Stream::Inflate(Box::new(flate2::read::DeflateDecoder::new(r)));
            self.plain_len = None;
        }
    }

    fn u16(&mut self, enc: Encoding, what: &str) -> Result<u16, HeaderError> {
        let mut b = [0u8; 2];
        self.read_exact(&mut b, what)?;
        Ok(if enc.big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    }

    fn u32(&mut self, enc: Encoding, what: &str) -> Result<u32, HeaderError> {
        let mut b = [0u8; 4];
        self.read_exact(&mut b, what)?;
        Ok(if enc.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }

    /// Reads a tag; `Ok(None)` at a clean end of input.
    fn tag_or_end(&mut self, enc: Encoding) -> Result<Option<Tag>, HeaderError> {
        let mut b = [0u8; 4];
        match self.read_up_to(&mut b)? {
            0 => Ok(None),
            4 => Ok(Some(if enc.big_endian {
                Tag(
                    u16::from_be_bytes([b[0], b[1]]),
                    u16::from_be_bytes([b[2], b[3]]),
                )
            } else {
                Tag(
                    u16::from_le_bytes([b[0], b[1]]),
                    u16::from_le_bytes([b[2], b[3]]),
                )
            })),
            _ => Err(self.truncated("an element tag")),
        }
    }

    fn tag(&mut self, enc: Encoding) -> Result<Tag, HeaderError> {
        self.tag_or_end(enc)?
            .ok_or_else(|| self.truncated("an element tag"))
    }

    /// Reads the VR and length after a (non-item) tag.
    fn vr_and_length(&mut self, enc: Encoding, tag: Tag) -> Result<([u8; 2], u32), HeaderError> {
        if !enc.explicit_vr {
            return Ok((implicit_vr(tag), self.u32(enc, "a value length")?));
        }
        let mut vr = [0u8; 2];
        self.read_exact(&mut vr, "a value representation")?;
        if !(vr[0].is_ascii_uppercase() && vr[1].is_ascii_uppercase()) {
            return Err(self.malformed(format!(
                "invalid VR bytes {:02X} {:02X} for {tag}",
                vr[0], vr[1]
            )));
        }
        if has_long_length(vr) {
            let mut reserved = [0u8; 2];
            self.read_exact(&mut reserved, "a value length")?;
            Ok((vr, self.u32(enc, "a value length")?))
        } else {
            Ok((vr, u32::from(self.u16(enc, "a value length")?)))
        }
    }

    /// File Meta Information: explicit VR little endian, group 0002 (PS3.10 7.1).
    fn read_meta(&mut self) -> Result<DataSet, HeaderError> {
        let mut meta = DataSet::default();
        loop {
            let mut peek = [0u8; 2];
            let n = self.read_up_to(&mut peek)?;
            if n < 2 || u16::from_le_bytes(peek) != 0x0002 {
                self.seek_back(n)?;
                return Ok(meta);
            }
            self.seek_back(n)?;
            let tag = self.tag(EXPLICIT_LE)?;
            let (vr, len) = self.vr_and_length(EXPLICIT_LE, tag)?;
            if len == UNDEFINED_LENGTH {
                return Err(self.malformed(format!("undefined length in file meta element {tag}")));
            }
            let len = u64::from(len);
            if matches!(
                tag,
                tags::TRANSFER_SYNTAX_UID
                    | tags::MEDIA_STORAGE_SOP_CLASS_UID
                    | tags::MEDIA_STORAGE_SOP_INSTANCE_UID
            ) && len <= MAX_KEPT_VALUE_BYTES
            {
                let value = self.read_value(len, tag)?;
                meta.elements.push(Element { tag, vr, value });
            } else {
                self.skip(len, "a file meta value")?;
            }
        }
    }

    /// Some writers declare explicit VR little endian but write implicit VR. When the first
    /// element has no valid VR but looks like an implicit element, read implicit VR (as dcmtk and
    /// pydicom do).
    fn check_declared_vr(&mut self, declared: Encoding) -> Result<Encoding, HeaderError> {
        if !declared.explicit_vr || declared.big_endian {
            return Ok(declared);
        }
        let mut first = [0u8; 6];
        let n = self.read_up_to(&mut first)?;
        self.seek_back(n)?;
        let looks_explicit =
            n < 6 || (first[4].is_ascii_uppercase() && first[5].is_ascii_uppercase());
        Ok(if looks_explicit {
            declared
        } else {
            IMPLICIT_LE
        })
    }

    fn seek_back(&mut self, n: usize) -> Result<(), HeaderError> {
        if n > 0 {
            let to = self.pos - n as u64;
            self.seek_plain(to)?;
        }
        Ok(())
    }

    fn read_value(&mut self, len: u64, tag: Tag) -> Result<Vec<u8>, HeaderError> {
        if let Some(file_len) = self.plain_len
            && self.pos.saturating_add(len) > file_len
        {
            return Err(self.truncated(format!("the value of {tag}")));
        }
        self.kept_bytes += len;
        if self.kept_bytes > MAX_KEPT_BYTES_PER_FILE {
            return Err(HeaderError::TooLarge(format!(
                "more than {MAX_KEPT_BYTES_PER_FILE} bytes of indexed attributes"
            )));
        }
        let mut value = vec![0u8; len as usize];
        self.read_exact(&mut value, &format!("the value of {tag}"))?;
        Ok(value)
    }

    /// Reads elements until `end` (an absolute offset), an item delimiter (nested, undefined
    /// length), the end of input (top level) or top-level Pixel Data.
    fn read_dataset(
        &mut self,
        enc: Encoding,
        end: Option<u64>,
        top: bool,
        depth: u32,
        scope: Scope,
        out: &mut DataSet,
    ) -> Result<DataSetEnd, HeaderError> {
        loop {
            if let Some(end) = end {
                if self.pos == end {
                    return Ok(DataSetEnd::EndOfItem);
                }
                if self.pos > end {
                    return Err(self.malformed("an element runs past the end of its item"));
                }
            }
            let element_offset = self.pos;
            let tag = match self.tag_or_end(enc)? {
                Some(tag) => tag,
                None if top => return Ok(DataSetEnd::EndOfInput),
                None => return Err(self.truncated("an item")),
            };
            if tag.0 == 0xFFFE {
                let _ = self.u32(enc, "a delimiter length")?;
                if tag == ITEM_DELIMITER && !top && end.is_none() {
                    return Ok(DataSetEnd::ItemDelimiter);
                }
                return Err(self.malformed(format!("unexpected delimiter {tag} in a data set")));
            }
            let (vr, len) = self.vr_and_length(enc, tag)?;
            if top
                && matches!(
                    tag,
                    tags::PIXEL_DATA | tags::FLOAT_PIXEL_DATA | tags::DOUBLE_FLOAT_PIXEL_DATA
                )
            {
                return Ok(DataSetEnd::PixelData(PixelDataInfo {
                    tag,
                    value_offset: self.pos,
                    length: (len != UNDEFINED_LENGTH).then_some(u64::from(len)),
                    element_offset,
                    vr,
                }));
            }
            let wanted = want(scope, tag);
            if len == UNDEFINED_LENGTH {
                // Only SQ, UN (an implicit-VR sequence, PS3.5 6.2.2) and encapsulated OB/OW may
                // have undefined length (PS3.5 7.1.2).
                let nested_enc = if &vr == b"UN" { IMPLICIT_LE } else { enc };
                let fragments = enc.explicit_vr && matches!(&vr, b"OB" | b"OW");
                if enc.explicit_vr && !matches!(&vr, b"SQ" | b"UN" | b"OB" | b"OW") {
                    return Err(
                        self.malformed(format!("undefined length on {tag} with VR {}", vr_str(vr)))
                    );
                }
                match wanted {
                    Want::Descend(inner) if !fragments => {
                        let items = self.read_items(nested_enc, None, depth + 1, inner)?;
                        out.sequences.push((tag, items));
                    }
                    _ => self.skip_undefined_items(nested_enc, depth + 1, fragments)?,
                }
                continue;
            }
            let len = u64::from(len);
            match wanted {
                Want::Keep if len <= MAX_KEPT_VALUE_BYTES => {
                    let value = self.read_value(len, tag)?;
                    out.elements.push(Element { tag, vr, value });
                }
                Want::Descend(inner) if &vr == b"SQ" => {
                    let items_end = self.pos + len;
                    if let Some(file_len) = self.plain_len
                        && items_end > file_len
                    {
                        return Err(self.truncated(format!("sequence {tag}")));
                    }
                    let items = self.read_items(enc, Some(items_end), depth + 1, inner)?;
                    out.sequences.push((tag, items));
                }
                _ => self.skip(len, &format!("the value of {tag}"))?,
            }
        }
    }

    /// Reads the items of a wanted sequence (PS3.5 7.5).
    fn read_items(
        &mut self,
        enc: Encoding,
        end: Option<u64>,
        depth: u32,
        scope: Scope,
    ) -> Result<Vec<DataSet>, HeaderError> {
        if depth > MAX_SEQUENCE_DEPTH {
            return Err(HeaderError::NestingTooDeep {
                max: MAX_SEQUENCE_DEPTH,
                at: self.pos,
            });
        }
        let mut items = Vec::new();
        loop {
            if let Some(end) = end {
                if self.pos == end {
                    return Ok(items);
                }
                if self.pos > end {
                    return Err(self.malformed("an item runs past the end of its sequence"));
                }
            }
            let tag = self.tag(enc)?;
            let len = self.u32(enc, "an item length")?;
            match tag {
                ITEM => {
                    let mut item = DataSet {
                        big_endian: enc.big_endian,
                        ..DataSet::default()
                    };
                    if len == UNDEFINED_LENGTH {
                        match self.read_dataset(enc, None, false, depth, scope, &mut item)? {
                            DataSetEnd::ItemDelimiter => {}
                            other => return Err(self.malformed(format!("item ended by {other:?}"))),
                        }
                    } else {
                        let item_end = self.pos + u64::from(len);
                        if end.is_some_and(|end| item_end > end) {
                            return Err(self.malformed("an item is longer than its sequence"));
                        }
                        self.read_dataset(enc, Some(item_end), false, depth, scope, &mut item)?;
                    }
                    if items.len() >= MAX_KEPT_ITEMS_PER_SEQUENCE {
                        return Err(HeaderError::TooLarge(format!(
                            "more than {MAX_KEPT_ITEMS_PER_SEQUENCE} items in one sequence"
                        )));
                    }
                    items.push(item);
                }
                SEQUENCE_DELIMITER if end.is_none() => return Ok(items),
                other => return Err(self.malformed(format!("expected an item, found {other}"))),
            }
        }
    }

    /// Skips an undefined-length value: items until the sequence delimiter.
    fn skip_undefined_items(
        &mut self,
        enc: Encoding,
        depth: u32,
        fragments: bool,
    ) -> Result<(), HeaderError> {
        if depth > MAX_SEQUENCE_DEPTH {
            return Err(HeaderError::NestingTooDeep {
                max: MAX_SEQUENCE_DEPTH,
                at: self.pos,
            });
        }
        loop {
            let tag = self.tag(enc)?;
            let len = self.u32(enc, "an item length")?;
            match tag {
                ITEM if len == UNDEFINED_LENGTH => {
                    if fragments {
                        return Err(self.malformed("a pixel data fragment of undefined length"));
                    }
                    let mut ignored = DataSet::default();
                    match self.read_dataset(
                        enc,
                        None,
                        false,
                        depth,
                        Scope::Ignored,
                        &mut ignored,
                    )? {
                        DataSetEnd::ItemDelimiter => {}
                        other => return Err(self.malformed(format!("item ended by {other:?}"))),
                    }
                }
                ITEM => self.skip(u64::from(len), "an item")?,
                SEQUENCE_DELIMITER => return Ok(()),
                other => return Err(self.malformed(format!("expected an item, found {other}"))),
            }
        }
    }
}

fn vr_str(vr: [u8; 2]) -> String {
    String::from_utf8_lossy(&vr).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn parse(bytes: Vec<u8>) -> Result<Header, HeaderError> {
        let len = bytes.len() as u64;
        read_header_from(Box::new(Cursor::new(bytes)), len)
    }

    fn explicit(tag: Tag, vr: &[u8; 2], value: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&tag.0.to_le_bytes());
        out.extend_from_slice(&tag.1.to_le_bytes());
        out.extend_from_slice(vr);
        if has_long_length(*vr) {
            out.extend_from_slice(&[0, 0]);
            out.extend_from_slice(&(value.len() as u32).to_le_bytes());
        } else {
            out.extend_from_slice(&(value.len() as u16).to_le_bytes());
        }
        out.extend_from_slice(value);
        out
    }

    fn part10(ts: &str, body: &[u8]) -> Vec<u8> {
        let mut out = vec![0u8; 128];
        out.extend_from_slice(b"DICM");
        let mut ts_value = ts.as_bytes().to_vec();
        if ts_value.len() % 2 == 1 {
            ts_value.push(0);
        }
        out.extend(explicit(tags::TRANSFER_SYNTAX_UID, b"UI", &ts_value));
        out.extend_from_slice(body);
        out
    }

    #[test]
    fn reads_explicit_le_until_pixel_data() {
        let mut body = explicit(tags::SOP_INSTANCE_UID, b"UI", b"1.2.3\0");
        body.extend(explicit(tags::ROWS, b"US", &512u16.to_le_bytes()));
        body.extend(explicit(Tag(0x0009, 0x0010), b"LO", b"PRIVATE "));
        body.extend(explicit(tags::PIXEL_DATA, b"OW", &[1, 2, 3, 4]));
        let h = parse(part10(transfer_syntax::EXPLICIT_VR_LITTLE_ENDIAN, &body)).unwrap();
        assert_eq!(
            h.dataset.ascii(tags::SOP_INSTANCE_UID).as_deref(),
            Some("1.2.3")
        );
        assert_eq!(h.dataset.u16(tags::ROWS), Some(512));
        assert!(
            h.dataset.element(Tag(0x0009, 0x0010)).is_none(),
            "unwanted elements are skipped"
        );
        let px = h.pixel_data.unwrap();
        assert_eq!(px.length, Some(4));
    }

    #[test]
    fn nesting_bomb_is_refused() {
        // 10,000 nested undefined-length sequences (SQ inside items inside SQ ...).
        let mut body = Vec::new();
        for _ in 0..10_000 {
            body.extend_from_slice(&[
                0x09, 0x00, 0x10, 0x10, b'S', b'Q', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
            ]);
            body.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF]);
        }
        let err = parse(part10(transfer_syntax::EXPLICIT_VR_LITTLE_ENDIAN, &body)).unwrap_err();
        assert!(matches!(err, HeaderError::NestingTooDeep { .. }), "{err}");
    }

    #[test]
    fn lying_length_is_truncation_not_allocation() {
        let mut body = explicit(tags::SOP_INSTANCE_UID, b"UI", b"1.2.3\0");
        // PatientName claiming 0xFFFF bytes in a tiny file, and a UT claiming 4 GiB - 2.
        body.extend_from_slice(&[
            0x10, 0x00, 0x10, 0x00, b'U', b'T', 0, 0, 0xFE, 0xFF, 0xFF, 0xFF,
        ]);
        let err = parse(part10(transfer_syntax::EXPLICIT_VR_LITTLE_ENDIAN, &body)).unwrap_err();
        assert!(matches!(err, HeaderError::Truncated { .. }), "{err}");
    }

    #[test]
    fn junk_is_not_dicom() {
        assert!(matches!(
            parse(b"hello world, not dicom at all".to_vec()),
            Err(HeaderError::NotDicom(_))
        ));
        assert!(matches!(parse(Vec::new()), Err(HeaderError::NotDicom(_))));
        assert!(matches!(
            parse(vec![0u8; 4096]),
            Err(HeaderError::NotDicom(_))
        ));
    }

    #[test]
    fn every_truncation_of_a_valid_header_is_a_typed_error() {
        let mut body = explicit(tags::SOP_INSTANCE_UID, b"UI", b"1.2.3\0");
        body.extend(explicit(tags::PATIENT_NAME, b"PN", b"DOE^JOHN"));
        body.extend_from_slice(&[
            0x08, 0x00, 0x15, 0x11, b'S', b'Q', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
        ]);
        body.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF]);
        body.extend(explicit(tags::SOP_INSTANCE_UID, b"UI", b"9.9\0"));
        body.extend_from_slice(&[0xFE, 0xFF, 0x0D, 0xE0, 0, 0, 0, 0]);
        body.extend_from_slice(&[0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]);
        body.extend(explicit(tags::ROWS, b"US", &16u16.to_le_bytes()));
        let full = part10(transfer_syntax::EXPLICIT_VR_LITTLE_ENDIAN, &body);
        let whole = parse(full.clone()).unwrap();
        assert_eq!(whole.dataset.u16(tags::ROWS), Some(16));
        for cut in 0..full.len() {
            // Must return (Ok for cuts at element boundaries, Err otherwise), never panic.
            let _ = parse(full[..cut].to_vec());
        }
    }

    #[test]
    fn raw_implicit_data_set_without_meta() {
        let mut body = Vec::new();
        for (tag, value) in [
            (tags::SOP_INSTANCE_UID, &b"1.2.3\0"[..]),
            (tags::ROWS, &8u16.to_le_bytes()[..]),
        ] {
            body.extend_from_slice(&tag.0.to_le_bytes());
            body.extend_from_slice(&tag.1.to_le_bytes());
            body.extend_from_slice(&(value.len() as u32).to_le_bytes());
            body.extend_from_slice(value);
        }
        let h = parse(body).unwrap();
        assert_eq!(h.transfer_syntax_uid, None);
        assert!(!h.encoding.explicit_vr);
        assert_eq!(h.dataset.u16(tags::ROWS), Some(8));
    }
}
