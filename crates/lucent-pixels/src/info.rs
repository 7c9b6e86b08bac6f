//! The pixel-relevant attributes of an image, read and validated once per file.
//!
//! Read with dicom-object up to (not including) the pixel data, after Lucent's header reader has
//! validated the structure against the file size (so no declared length can make dicom-object
//! allocate beyond what the file holds). Attribute meanings: PS3.3 C.7.6.3 (Image Pixel),
//! C.11.1 (Modality LUT), C.11.2 (VOI LUT), C.7.6.16 (functional groups), C.7.5.1.1.2 (padding),
//! C.7.9 (palettes, segmented ones expanded by [`crate::palette`] per C.7.9.2), C.7.6.11 (display
//! shutters, read by [`crate::shutter`]), C.9 (overlay planes, read by [`crate::overlay`]).

use crate::error::PixelError;
use crate::notes::{DisplayNote, note_once};
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;

/// Photometric Interpretation (PS3.3 C.7.6.3.1.2) as the pipeline understands it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Photometric {
    /// Minimum sample value is white.
    Monochrome1,
    /// Minimum sample value is black.
    Monochrome2,
    /// Palette indices into the Red/Green/Blue Palette Color LUTs.
    PaletteColor,
    /// Red, green, blue.
    Rgb,
    /// Full-range luminance and chrominance.
    YbrFull,
    /// YBR_FULL with horizontal 2:1 chroma subsampling.
    YbrFull422,
    /// JPEG 2000 irreversible colour transform (decoded to RGB by the codec).
    YbrIct,
    /// JPEG 2000 reversible colour transform (decoded to RGB by the codec).
    YbrRct,
    /// YBR_PARTIAL_420 (MPEG): decoded to RGB by the codec.
    YbrPartial420,
}

impl Photometric {
    fn parse(s: &str) -> Option<Self> {
        Some(match s.trim() {
            "MONOCHROME1" => Photometric::Monochrome1,
            "MONOCHROME2" => Photometric::Monochrome2,
            "PALETTE COLOR" => Photometric::PaletteColor,
            "RGB" => Photometric::Rgb,
            "YBR_FULL" => Photometric::YbrFull,
            "YBR_FULL_422" => Photometric::YbrFull422,
            "YBR_ICT" => Photometric::YbrIct,
            "YBR_RCT" => Photometric::YbrRct,
            "YBR_PARTIAL_420" => Photometric::YbrPartial420,
            _ => return None,
        })
    }

    /// Whether samples are greyscale.
    pub fn is_monochrome(self) -> bool {
        matches!(self, Photometric::Monochrome1 | Photometric::Monochrome2)
    }
}

/// VOI LUT Function (0028,1056), PS3.3 C.11.2.1.3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VoiFunction {
    /// The default, with the historical −0.5 / −1 offsets.
    #[default]
    Linear,
    /// Exact linear mapping of [c − w/2, c + w/2].
    LinearExact,
    /// Logistic curve.
    Sigmoid,
}

/// A window centre/width pair with its function.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    /// Window Center.
    pub center: f64,
    /// Window Width (> 0; ≥ 1 for LINEAR).
    pub width: f64,
    /// VOI LUT Function.
    pub function: VoiFunction,
}

/// A LUT from a Modality LUT, VOI LUT or Palette Color LUT (PS3.3 C.11.1.1.1).
#[derive(Debug, Clone, PartialEq)]
pub struct LookupTable {
    /// First input value mapped (second descriptor value).
    pub first_mapped: i64,
    /// Bits per entry (third descriptor value).
    pub bits: u16,
    /// Entries.
    pub data: Vec<u16>,
}

impl LookupTable {
    /// The output for an input, clamping to the first/last entry (PS3.3 C.11.1.1.1).
    pub fn lookup(&self, input: i64) -> u16 {
        // A table has at most 65536 entries and starts at most 65535 away from 0, and inputs
        // are stored values of at most 32 bits: nothing here comes near i64's range.
        let last = (self.data.len() as i64).saturating_sub(1);
        let i = input
            .saturating_sub(self.first_mapped)
            .clamp(0, last.max(0));
        self.data.get(i as usize).copied().unwrap_or(0)
    }

    /// Largest output value the entries can hold.
    pub fn max_output(&self) -> u32 {
        // At least 2 before the subtraction (bits ≥ 1).
        (1u32 << self.bits.clamp(1, 16)).saturating_sub(1)
    }
}

/// Everything the pipeline needs to turn stored values into display values.
#[derive(Debug, Clone)]
pub struct ImageInfo {
    /// Transfer Syntax UID.
    pub transfer_syntax: String,
    /// Rows.
    pub rows: u16,
    /// Columns.
    pub columns: u16,
    /// Samples per Pixel (1 or 3).
    pub samples_per_pixel: u16,
    /// Bits Allocated (1, 8, 12 (packed), 16, 32, 64).
    pub bits_allocated: u16,
    /// Bits Stored.
    pub bits_stored: u16,
    /// High Bit.
    pub high_bit: u16,
    /// Pixel Representation 1: two's complement.
    pub signed: bool,
    /// Photometric Interpretation.
    pub photometric: Photometric,
    /// Photometric Interpretation as written (for codecs that need the text).
    pub photometric_text: String,
    /// Planar Configuration 1: colour-by-plane.
    pub planar: bool,
    /// Number of Frames (1 when absent).
    pub frames: u32,
    /// Rescale Slope and Intercept (PS3.3 C.11.1), identity when absent.
    pub rescale: (f64, f64),
    /// Modality LUT Sequence (0028,3000), which replaces rescale when present.
    pub modality_lut: Option<LookupTable>,
    /// Windows from the header: top level, else the Frame VOI LUT functional group.
    pub windows: Vec<Window>,
    /// Per-frame windows of an enhanced multi-frame image (index = frame), when present.
    pub frame_windows: Vec<Option<Window>>,
    /// VOI LUT Sequence (0028,3010): first item.
    pub voi_lut: Option<LookupTable>,
    /// Pixel Padding Value (and Range Limit) as stored values, inclusive range.
    pub padding: Option<(i64, i64)>,
    /// Palette Color LUTs (red, green, blue).
    pub palette: Option<[LookupTable; 3]>,
    /// Lossy Image Compression (0028,2110) says "01", or the transfer syntax is lossy.
    pub lossy: bool,
    /// Float Pixel Data (32) or Double Float Pixel Data (64) instead of Pixel Data.
    pub float_bits: Option<u16>,
    /// Extended Offset Table (7FE0,0001) and lengths (7FE0,0002), PS3.5 A.4.
    pub extended_offsets: Option<(Vec<u64>, Vec<u64>)>,
    /// Time between frames in ms for cine (PS3.3 C.7.6.5 Cine Module): Frame Time, else the mean
    /// of Frame Time Vector, else Recommended Display Frame Rate or Cine Rate as 1000 / fps.
    pub frame_time_ms: Option<f64>,
    /// Rescale Type (0028,1054): the unit of modality values (`HU`, `US` = unspecified, …).
    pub rescale_type: Option<String>,
    /// Calibrated 2-D regions of an ultrasound image (PS3.3 C.8.5.5), for measurements where the
    /// file has no Pixel Spacing.
    pub ultrasound_regions: Vec<UltrasoundRegion>,
    /// The Display Shutter Module (PS3.3 C.7.6.11), when it hides part of the image (what of
    /// it is not applied is in `notes`).
    pub shutter: Option<crate::shutter::DisplayShutter>,
    /// Overlay planes (PS3.3 C.9.2, C.9.3), in group order; drawn only when a caller asks.
    pub overlays: Vec<crate::overlay::OverlayPlane>,
    /// What the viewer must say about how this file is shown (an optional attribute ignored
    /// because it is malformed, a window that cannot be applied, an overlay plane left out, …).
    pub notes: Vec<DisplayNote>,
}

/// A region of an ultrasound image with a spatial calibration (PS3.3 C.8.5.5.1): a 2-D tissue or
/// flow image (Region Spatial Format 1) whose physical units are centimetres in both directions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UltrasoundRegion {
    /// Region Location Min X0, Min Y0, Max X1, Max Y1: pixel columns and rows, inclusive.
    pub bounds: [u32; 4],
    /// Physical Delta X and Y converted to mm per pixel (column, row).
    pub mm_per_pixel: [f64; 2],
}

/// At most this many regions are kept (real scanners write a handful).
const MAX_ULTRASOUND_REGIONS: usize = 16;

/// The calibrated 2-D regions of a Sequence of Ultrasound Regions; anything else (M-mode,
/// Doppler spectra, other units, implausible deltas or bounds) is left out, not guessed.
fn ultrasound_regions(obj: &InMemDicomObject, rows: u16, columns: u16) -> Vec<UltrasoundRegion> {
    const SPATIAL_2D: i64 = 1;
    const CENTIMETRES: i64 = 3;
    let first = |o: &InMemDicomObject, t| floats(o, t).and_then(|v| v.first().copied());
    items(obj, tags::SEQUENCE_OF_ULTRASOUND_REGIONS)
        .iter()
        .filter_map(|r| {
            let spatial = int(r, tags::REGION_SPATIAL_FORMAT) == Some(SPATIAL_2D);
            let cm = int(r, tags::PHYSICAL_UNITS_X_DIRECTION) == Some(CENTIMETRES)
                && int(r, tags::PHYSICAL_UNITS_Y_DIRECTION) == Some(CENTIMETRES);
            let bounds = [
                tags::REGION_LOCATION_MIN_X0,
                tags::REGION_LOCATION_MIN_Y0,
                tags::REGION_LOCATION_MAX_X1,
                tags::REGION_LOCATION_MAX_Y1,
            ]
            .map(|t| int(r, t).and_then(|v| u32::try_from(v).ok()));
            let [Some(x0), Some(y0), Some(x1), Some(y1)] = bounds else {
                return None;
            };
            let inside = x0 <= x1 && y0 <= y1 && x1 < u32::from(columns) && y1 < u32::from(rows);
            let delta = |t| first(r, t).filter(|d| d.is_finite() && *d > 0.0 && *d < 10.0);
            let (dx, dy) = (
                delta(tags::PHYSICAL_DELTA_X)?,
                delta(tags::PHYSICAL_DELTA_Y)?,
            );
            (spatial && cm && inside).then_some(UltrasoundRegion {
                bounds: [x0, y0, x1, y1],
                mm_per_pixel: [dx * 10.0, dy * 10.0],
            })
        })
        .take(MAX_ULTRASOUND_REGIONS)
        .collect()
}

/// Frame time from the Cine Module (PS3.3 C.7.6.5): a plausible value (0.1 ms – 10 s) or none.
fn frame_time_ms(obj: &InMemDicomObject) -> Option<f64> {
    let plausible = |ms: f64| (ms.is_finite() && (0.1..=10_000.0).contains(&ms)).then_some(ms);
    let frame_time = floats(obj, tags::FRAME_TIME).and_then(|v| v.first().copied());
    // Frame Time Vector: the first entry is 0 (time of the first frame), the others increments.
    let vector_mean = floats(obj, tags::FRAME_TIME_VECTOR)
        .filter(|v| v.len() > 1)
        // More than one entry (the filter): the count is at least 1.
        .map(|v| v[1..].iter().sum::<f64>() / v.len().saturating_sub(1) as f64);
    let from_rates = [tags::RECOMMENDED_DISPLAY_FRAME_RATE, tags::CINE_RATE]
        .into_iter()
        .filter_map(|t| floats(obj, t).and_then(|v| v.first().copied()))
        .map(|fps| 1000.0 / fps);
    frame_time
        .into_iter()
        .chain(vector_mean)
        .chain(from_rates)
        .find_map(plausible)
}

/// An element of a data set; `None` when absent. Through `get`, never `element_opt`: dicom-object
/// 0.10's `element_opt` builds (and discards) an error with a captured backtrace for every absent
/// tag, which cost most of the time of opening a small file (a profile of `lucent-bench decode`:
/// 408 of 432 samples in `Backtrace::force_capture`).
pub(crate) fn element(
    obj: &InMemDicomObject,
    tag: dicom_core::Tag,
) -> Option<&dicom_object::mem::InMemElement> {
    obj.get(tag)
}

fn int(obj: &InMemDicomObject, tag: dicom_core::Tag) -> Option<i64> {
    element(obj, tag)?.to_int::<i64>().ok()
}

/// The integer values of an element (IS as text, US/SS as numbers): `None` when absent, empty,
/// or not all integers.
pub(crate) fn ints(obj: &InMemDicomObject, tag: dicom_core::Tag) -> Option<Vec<i64>> {
    let values = element(obj, tag)?.to_multi_int::<i64>().ok()?;
    (!values.is_empty()).then_some(values)
}

/// The text of an element that came with VR UN (PS3.5 6.2.2: a value of unknown VR keeps the
/// bytes of its real VR). Only called for attributes whose real VR is a text VR (DS, IS, CS), so
/// the bytes are ASCII; read as numbers they would be nonsense (`"1 "` as a u16 is 8241).
fn un_text(e: &dicom_object::mem::InMemElement) -> Option<String> {
    if e.vr() != dicom_core::VR::UN {
        return None;
    }
    let bytes = e.to_bytes().ok()?;
    Some(
        String::from_utf8_lossy(&bytes)
            .trim_matches(|c: char| c == '\0' || c.is_whitespace())
            .to_string(),
    )
}

fn floats(obj: &InMemDicomObject, tag: dicom_core::Tag) -> Option<Vec<f64>> {
    let e = obj.get(tag)?;
    let v = match un_text(e) {
        Some(text) => text
            .split('\\')
            .map(|v| v.trim().parse::<f64>().ok())
            .collect::<Option<Vec<f64>>>()?,
        None => e.to_multi_float64().ok()?,
    };
    (!v.is_empty() && v.iter().all(|f| f.is_finite())).then_some(v)
}

fn text(obj: &InMemDicomObject, tag: dicom_core::Tag) -> Option<String> {
    let e = obj.get(tag)?;
    let s = match un_text(e) {
        Some(text) => text,
        None => e.to_str().ok()?.trim().to_string(),
    };
    (!s.is_empty()).then_some(s)
}

/// A table from its descriptor's first mapped value and bits and its entries (8-bit tables keep
/// the low byte of each 16-bit word, PS3.3 C.11.1.1.1).
fn lookup_table(first_mapped: i64, bits: u16, mut data: Vec<u16>) -> LookupTable {
    if bits <= 8 {
        data.iter_mut().for_each(|v| *v &= 0xFF);
    }
    LookupTable {
        first_mapped,
        bits,
        data,
    }
}

fn items(obj: &InMemDicomObject, tag: dicom_core::Tag) -> &[InMemDicomObject] {
    obj.get(tag).and_then(|e| e.items()).unwrap_or(&[])
}

fn voi_function(s: Option<String>) -> VoiFunction {
    match s.as_deref() {
        Some("LINEAR_EXACT") => VoiFunction::LinearExact,
        Some("SIGMOID") => VoiFunction::Sigmoid,
        _ => VoiFunction::Linear,
    }
}

/// The windows of a data set or functional group item (PS3.3 C.11.2.1.2). A pair without a
/// positive width is not applied; it is named once in `notes` (non-finite values never get
/// here: [`floats`] refuses them).
fn windows_of(obj: &InMemDicomObject, notes: &mut Vec<DisplayNote>) -> Vec<Window> {
    let (Some(c), Some(w)) = (
        floats(obj, tags::WINDOW_CENTER),
        floats(obj, tags::WINDOW_WIDTH),
    ) else {
        return Vec::new();
    };
    let function = voi_function(text(obj, tags::VOILUT_FUNCTION));
    let mut windows = Vec::new();
    for (center, width) in c.into_iter().zip(w) {
        if width > 0.0 {
            windows.push(Window {
                center,
                width,
                function,
            });
        } else {
            note_once(notes, DisplayNote::InvalidWindowIgnored { center, width });
        }
    }
    windows
}

/// Reads a LUT (descriptor + data) from an item or the data set (PS3.3 C.11.1.1.1, C.7.6.3.1.5).
/// A LUT descriptor (PS3.3 C.11.1.1.1): number of entries (1..=65,536), first mapped value,
/// bits per entry (1..=16). `None` when absent.
fn descriptor(
    obj: &InMemDicomObject,
    descriptor: dicom_core::Tag,
    signed_input: bool,
) -> Result<Option<(usize, i64, u16)>, PixelError> {
    let Some(d) = obj.get(descriptor) else {
        return Ok(None);
    };
    let d: Vec<i64> = d
        .to_multi_int()
        .map_err(|e| PixelError::InvalidAttributes(format!("LUT descriptor: {e}")))?;
    let [entries, first, bits] = d[..] else {
        return Err(PixelError::InvalidAttributes(
            "LUT descriptor must have 3 values".into(),
        ));
    };
    // 0 entries means 65536 (PS3.3 C.11.1.1.1); the first mapped value may be SS written as US.
    let entries = if entries == 0 {
        65536
    } else {
        entries.clamp(1, 65536)
    } as usize;
    // The first mapped value is SS when the input can be negative, but is often written as US.
    let first = if signed_input && (32768..=65535).contains(&first) {
        // In 32768..=65535: the result is in -32768..=-1.
        first.saturating_sub(65536)
    } else {
        first
    };
    let bits = u16::try_from(bits)
        .ok()
        .filter(|b| (1..=16).contains(b))
        .ok_or_else(|| {
            PixelError::InvalidAttributes(format!("LUT bits per entry {bits} (must be 1..16)"))
        })?;
    Ok(Some((entries, first, bits)))
}

fn lut(
    obj: &InMemDicomObject,
    descriptor_tag: dicom_core::Tag,
    data: dicom_core::Tag,
    signed_input: bool,
) -> Result<Option<LookupTable>, PixelError> {
    let Some((entries, first, bits)) = descriptor(obj, descriptor_tag, signed_input)? else {
        return Ok(None);
    };
    let Some(data_el) = obj.get(data) else {
        return Err(PixelError::InvalidAttributes(
            "LUT descriptor without LUT data".into(),
        ));
    };
    let raw: Vec<i64> = data_el
        .to_multi_int()
        .map_err(|e| PixelError::InvalidAttributes(format!("LUT data: {e}")))?;
    let mut values: Vec<u16> = raw.into_iter().map(|v| v as u16).collect();
    if bits <= 8 && values.len().checked_mul(2) == Some(entries) {
        // 8-bit entries packed two per 16-bit word (little endian: low byte first).
        values = values.iter().flat_map(|w| [w & 0xFF, w >> 8]).collect();
    }
    if values.len() < entries {
        return Err(PixelError::InvalidAttributes(format!(
            "LUT data has {} entries, the descriptor says {entries}",
            values.len()
        )));
    }
    values.truncate(entries);
    Ok(Some(lookup_table(first, bits, values)))
}

/// One Palette Color LUT (PS3.3 C.7.6.3.1.5, C.7.9): the descriptor with either Palette Color
/// Lookup Table Data (0028,1201-1203) or Segmented Palette Color Lookup Table Data
/// (0028,1221-1223), expanded by [`crate::palette`] (C.7.9.2).
///
/// The standard makes the two mutually exclusive (in the Palette Color Lookup Table Module each is
/// required only if the other is absent). A file with both is read from the normal data: it is
/// the plain, unambiguous table and what readers that do not expand segments show.
fn palette_lut(
    obj: &InMemDicomObject,
    descriptor_tag: dicom_core::Tag,
    data: dicom_core::Tag,
    segmented: dicom_core::Tag,
) -> Result<Option<LookupTable>, PixelError> {
    let has = |t| obj.get(t).is_some();
    if has(data) {
        return lut(obj, descriptor_tag, data, false);
    }
    let (entries, first, bits) = match (descriptor(obj, descriptor_tag, false)?, has(segmented)) {
        (Some(d), true) => d,
        (None, false) => return Ok(None),
        (None, true) => {
            return Err(PixelError::InvalidAttributes(
                "Segmented Palette Color LUT Data without its descriptor".into(),
            ));
        }
        (Some(_), false) => {
            return Err(PixelError::InvalidAttributes(
                "Palette Color LUT descriptor without (Segmented) Palette Color LUT Data".into(),
            ));
        }
    };
    let words: Vec<u16> = obj
        .get(segmented)
        .map(|e| e.to_multi_int::<i64>())
        .transpose()
        .map_err(|e| {
            PixelError::InvalidAttributes(format!("Segmented Palette Color LUT Data: {e}"))
        })?
        .unwrap_or_default()
        .into_iter()
        .map(|v| v as u16)
        .collect();
    let values = crate::palette::expand_segmented(&words, bits, entries)?;
    Ok(Some(lookup_table(first, bits, values)))
}

/// Transfer syntaxes whose compression is lossy.
pub(crate) const LOSSY_SYNTAXES: &[&str] = &[
    "1.2.840.10008.1.2.4.50",
    "1.2.840.10008.1.2.4.51",
    "1.2.840.10008.1.2.4.81",
    "1.2.840.10008.1.2.4.91",
    "1.2.840.10008.1.2.4.203",
    "1.2.840.10008.1.2.4.100",
    "1.2.840.10008.1.2.4.101",
    "1.2.840.10008.1.2.4.102",
    "1.2.840.10008.1.2.4.103",
    "1.2.840.10008.1.2.4.104",
    "1.2.840.10008.1.2.4.105",
    "1.2.840.10008.1.2.4.106",
];

impl ImageInfo {
    /// Extracts and validates the pixel attributes. `float_bits` says whether the header reader
    /// found Float (32) or Double Float (64) Pixel Data instead of Pixel Data.
    pub fn from_object(
        obj: &InMemDicomObject,
        transfer_syntax: &str,
        float_bits: Option<u16>,
    ) -> Result<Self, PixelError> {
        let need = |tag, name: &str| {
            int(obj, tag)
                .and_then(|v| u16::try_from(v).ok())
                .ok_or_else(|| {
                    PixelError::InvalidAttributes(format!("{name} is missing or invalid"))
                })
        };
        let rows = need(tags::ROWS, "Rows")?;
        let columns = need(tags::COLUMNS, "Columns")?;
        if rows == 0 || columns == 0 {
            return Err(PixelError::InvalidAttributes(format!(
                "{rows} rows × {columns} columns"
            )));
        }
        let samples_per_pixel = int(obj, tags::SAMPLES_PER_PIXEL)
            .and_then(|v| u16::try_from(v).ok())
            .unwrap_or(1);
        let bits_allocated = match float_bits {
            Some(b) => b,
            None => need(tags::BITS_ALLOCATED, "Bits Allocated")?,
        };
        let bits_stored = int(obj, tags::BITS_STORED)
            .and_then(|v| u16::try_from(v).ok())
            .unwrap_or(bits_allocated);
        let high_bit = int(obj, tags::HIGH_BIT)
            .and_then(|v| u16::try_from(v).ok())
            .unwrap_or(bits_stored.saturating_sub(1));
        // 12: ACR-NEMA packed samples (see `frames::unpack_12_bit`), native data only.
        if !matches!(bits_allocated, 1 | 8 | 12 | 16 | 32 | 64) {
            return Err(PixelError::UnsupportedPixelFormat(format!(
                "Bits Allocated {bits_allocated}"
            )));
        }
        if bits_stored == 0
            || bits_stored > bits_allocated
            || high_bit >= bits_allocated
            // High Bit < Bits Allocated ≤ 64 here (the test before): no overflow.
            || high_bit.saturating_add(1) < bits_stored
        {
            return Err(PixelError::InvalidAttributes(format!(
                "Bits Allocated {bits_allocated}, Bits Stored {bits_stored}, High Bit {high_bit}"
            )));
        }
        if !matches!(samples_per_pixel, 1 | 3) {
            return Err(PixelError::UnsupportedPixelFormat(format!(
                "Samples per Pixel {samples_per_pixel}"
            )));
        }
        let photometric_text = text(obj, tags::PHOTOMETRIC_INTERPRETATION).unwrap_or_else(|| {
            if samples_per_pixel == 3 {
                "RGB".into()
            } else {
                "MONOCHROME2".into()
            }
        });
        let photometric = Photometric::parse(&photometric_text).ok_or_else(|| {
            PixelError::UnsupportedPixelFormat(format!(
                "Photometric Interpretation {photometric_text}"
            ))
        })?;
        if photometric.is_monochrome() != (samples_per_pixel == 1)
            && photometric != Photometric::PaletteColor
        {
            return Err(PixelError::InvalidAttributes(format!(
                "{photometric_text} with {samples_per_pixel} samples per pixel"
            )));
        }
        let frames = match obj.get(tags::NUMBER_OF_FRAMES) {
            None => 1,
            Some(e) => {
                let text = e.to_str().map(|s| s.trim().to_string()).unwrap_or_default();
                let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
                digits
                    .parse::<u32>()
                    .ok()
                    .filter(|f| (1..=lucent_index::limits::MAX_FRAMES).contains(f))
                    .ok_or_else(|| {
                        PixelError::InvalidAttributes(format!("Number of Frames {text:?}"))
                    })?
            }
        };
        let signed = int(obj, tags::PIXEL_REPRESENTATION) == Some(1);
        // Enhanced multi-frame images put rescale in the Pixel Value Transformation Sequence
        // (0028,9145) of the shared (else first per-frame) functional group (PS3.3 C.7.6.16.2.9).
        let transformation = [
            tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE,
            tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE,
        ]
        .into_iter()
        .filter_map(|g| items(obj, g).first())
        .find_map(|g| items(g, tags::PIXEL_VALUE_TRANSFORMATION_SEQUENCE).first());
        let rescale_of = |o: &InMemDicomObject| {
            (
                floats(o, tags::RESCALE_SLOPE),
                floats(o, tags::RESCALE_INTERCEPT),
            )
        };
        let (slope, intercept) = match rescale_of(obj) {
            (None, None) => transformation.map(rescale_of).unwrap_or((None, None)),
            found => found,
        };
        let rescale = match (slope, intercept) {
            (Some(s), Some(i)) if s[0] != 0.0 => (s[0], i[0]),
            (Some(s), None) if s[0] != 0.0 => (s[0], 0.0),
            (None, Some(i)) => (1.0, i[0]),
            _ => (1.0, 0.0),
        };
        let modality_lut = match items(obj, tags::MODALITY_LUT_SEQUENCE).first() {
            Some(item) => lut(item, tags::LUT_DESCRIPTOR, tags::LUT_DATA, signed)?,
            None => None,
        };
        let mut notes = Vec::new();
        let mut windows = windows_of(obj, &mut notes);
        let mut frame_windows = Vec::new();
        // Enhanced multi-frame: Frame VOI LUT Sequence (0028,9132) in the functional groups.
        let shared = items(obj, tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE).first();
        let shared_window = shared
            .and_then(|g| items(g, tags::FRAME_VOILUT_SEQUENCE).first())
            .and_then(|voi| windows_of(voi, &mut notes).into_iter().next());
        for group in items(obj, tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE) {
            let w = items(group, tags::FRAME_VOILUT_SEQUENCE)
                .first()
                .and_then(|voi| windows_of(voi, &mut notes).into_iter().next());
            frame_windows.push(w.or(shared_window));
        }
        if windows.is_empty() {
            windows
                .extend(shared_window.or_else(|| frame_windows.iter().flatten().next().copied()));
        }
        let voi_input_signed = signed || rescale.1 < 0.0;
        // The VOI LUT is optional (a window or min–max can be shown instead): a malformed one is
        // ignored with a note, as dcmtk does, rather than making the image unviewable.
        let voi_lut = match items(obj, tags::VOILUT_SEQUENCE).first() {
            Some(item) => lut(item, tags::LUT_DESCRIPTOR, tags::LUT_DATA, voi_input_signed)
                .unwrap_or_else(|_| {
                    notes.push(DisplayNote::IgnoredAttribute {
                        attribute: "VOI LUT Sequence",
                        reason: "its LUT Descriptor or LUT Data is malformed",
                    });
                    None
                }),
            None => None,
        };
        let padding = int(obj, tags::PIXEL_PADDING_VALUE).map(|p| {
            let limit = int(obj, tags::PIXEL_PADDING_RANGE_LIMIT).unwrap_or(p);
            (p.min(limit), p.max(limit))
        });
        let palette = if photometric == Photometric::PaletteColor {
            let r = palette_lut(
                obj,
                tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
                tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DATA,
                tags::SEGMENTED_RED_PALETTE_COLOR_LOOKUP_TABLE_DATA,
            )?;
            let g = palette_lut(
                obj,
                tags::GREEN_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
                tags::GREEN_PALETTE_COLOR_LOOKUP_TABLE_DATA,
                tags::SEGMENTED_GREEN_PALETTE_COLOR_LOOKUP_TABLE_DATA,
            )?;
            let b = palette_lut(
                obj,
                tags::BLUE_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
                tags::BLUE_PALETTE_COLOR_LOOKUP_TABLE_DATA,
                tags::SEGMENTED_BLUE_PALETTE_COLOR_LOOKUP_TABLE_DATA,
            )?;
            match (r, g, b) {
                (Some(r), Some(g), Some(b)) => Some([r, g, b]),
                _ => {
                    return Err(PixelError::UnsupportedPixelFormat(
                        "PALETTE COLOR without Red/Green/Blue Palette Color LUT descriptors and (Segmented) Palette Color LUT Data".into(),
                    ));
                }
            }
        } else {
            None
        };
        let lossy = text(obj, tags::LOSSY_IMAGE_COMPRESSION).as_deref() == Some("01")
            || LOSSY_SYNTAXES.contains(&transfer_syntax);
        let extended_offsets = match (
            obj.get(tags::EXTENDED_OFFSET_TABLE),
            obj.get(tags::EXTENDED_OFFSET_TABLE_LENGTHS),
        ) {
            (Some(o), Some(l)) => {
                let words = |e: &dicom_object::mem::InMemElement| -> Option<Vec<u64>> {
                    let b = e.to_bytes().ok()?;
                    Some(
                        b.chunks_exact(8)
                            .map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
                            .collect(),
                    )
                };
                match (words(o), words(l)) {
                    (Some(o), Some(l)) if o.len() == l.len() => Some((o, l)),
                    _ => None,
                }
            }
            _ => None,
        };
        let shutter = crate::shutter::DisplayShutter::read(obj, rows, columns, &mut notes);
        let (overlays, ignored_overlays) = crate::overlay::read_planes(
            obj,
            crate::overlay::ImageShape {
                rows,
                columns,
                bits_allocated,
                bits_stored,
                high_bit,
                monochrome: photometric.is_monochrome(),
                float: float_bits.is_some(),
            },
        );
        notes.extend(
            ignored_overlays
                .into_iter()
                .map(|i| DisplayNote::OverlayIgnored {
                    group: i.group,
                    problem: i.problem,
                }),
        );
        Ok(ImageInfo {
            transfer_syntax: transfer_syntax.to_string(),
            rows,
            columns,
            samples_per_pixel,
            bits_allocated,
            bits_stored,
            high_bit,
            signed,
            photometric,
            photometric_text,
            planar: int(obj, tags::PLANAR_CONFIGURATION) == Some(1),
            frames,
            rescale,
            modality_lut,
            windows,
            frame_windows,
            voi_lut,
            padding,
            palette,
            lossy,
            float_bits,
            extended_offsets,
            frame_time_ms: frame_time_ms(obj),
            rescale_type: text(obj, tags::RESCALE_TYPE),
            ultrasound_regions: ultrasound_regions(obj, rows, columns),
            shutter,
            overlays,
            notes,
        })
    }

    /// The window the header gives for `frame`: the frame's functional group window for
    /// enhanced multi-frame images, else the first top-level pair.
    pub fn default_window(&self, frame: u32) -> Option<Window> {
        self.frame_windows
            .get(frame as usize)
            .copied()
            .flatten()
            .or_else(|| self.windows.first().copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dicom_core::{DataElement, PrimitiveValue, VR};

    fn with(elements: &[(dicom_core::Tag, VR, &str)]) -> InMemDicomObject {
        let mut obj = InMemDicomObject::new_empty();
        for (tag, vr, value) in elements {
            // Multi-valued text as the parser gives it: one string per value.
            let values = value.split('\\').map(String::from).collect();
            obj.put(DataElement::new(*tag, *vr, PrimitiveValue::Strs(values)));
        }
        obj
    }

    fn region(values: &[(dicom_core::Tag, VR, &str)]) -> InMemDicomObject {
        let mut item = InMemDicomObject::new_empty();
        for (tag, vr, value) in values {
            let v = match vr {
                VR::UL => PrimitiveValue::from(value.parse::<u32>().unwrap()),
                VR::US => PrimitiveValue::from(value.parse::<u16>().unwrap()),
                VR::FD => PrimitiveValue::from(value.parse::<f64>().unwrap()),
                _ => PrimitiveValue::from(*value),
            };
            item.put(DataElement::new(*tag, *vr, v));
        }
        item
    }

    #[test]
    fn calibrated_ultrasound_regions_give_mm_per_pixel() {
        let calibrated = |format: &str, units: &str, x1: &str, dx: &str| {
            region(&[
                (tags::REGION_SPATIAL_FORMAT, VR::US, format),
                (tags::REGION_LOCATION_MIN_X0, VR::UL, "84"),
                (tags::REGION_LOCATION_MIN_Y0, VR::UL, "31"),
                (tags::REGION_LOCATION_MAX_X1, VR::UL, x1),
                (tags::REGION_LOCATION_MAX_Y1, VR::UL, "414"),
                (tags::PHYSICAL_UNITS_X_DIRECTION, VR::US, units),
                (tags::PHYSICAL_UNITS_Y_DIRECTION, VR::US, "3"),
                (tags::PHYSICAL_DELTA_X, VR::FD, dx),
                (tags::PHYSICAL_DELTA_Y, VR::FD, "0.05"),
            ])
        };
        let mut obj = InMemDicomObject::new_empty();
        obj.put(DataElement::new(
            tags::SEQUENCE_OF_ULTRASOUND_REGIONS,
            VR::SQ,
            dicom_core::value::DataSetSequence::from(vec![
                calibrated("1", "3", "595", "0.05"), // a 2-D image in cm: kept
                calibrated("2", "3", "595", "0.05"), // M-mode: not spatial in y
                calibrated("1", "4", "595", "0.05"), // seconds, not cm
                calibrated("1", "3", "900", "0.05"), // outside a 640-column image
                calibrated("1", "3", "595", "-1"),   // implausible delta
            ]),
        ));
        let regions = ultrasound_regions(&obj, 480, 640);
        assert_eq!(
            regions,
            vec![UltrasoundRegion {
                bounds: [84, 31, 595, 414],
                mm_per_pixel: [0.5, 0.5],
            }]
        );
        assert!(ultrasound_regions(&InMemDicomObject::new_empty(), 480, 640).is_empty());
    }

    #[test]
    fn cine_frame_time_follows_the_cine_module() {
        // PS3.3 C.7.6.5: Frame Time first.
        let o = with(&[
            (tags::FRAME_TIME, VR::DS, "33.333"),
            (tags::CINE_RATE, VR::IS, "10"),
        ]);
        assert_eq!(frame_time_ms(&o), Some(33.333));
        // Frame Time Vector: increments after the first (zero) entry, averaged.
        let o = with(&[(tags::FRAME_TIME_VECTOR, VR::DS, "0\\40\\50\\60")]);
        assert_eq!(frame_time_ms(&o), Some(50.0));
        // Rates in frames per second.
        let o = with(&[(tags::RECOMMENDED_DISPLAY_FRAME_RATE, VR::IS, "25")]);
        assert_eq!(frame_time_ms(&o), Some(40.0));
        let o = with(&[(tags::CINE_RATE, VR::IS, "20")]);
        assert_eq!(frame_time_ms(&o), Some(50.0));
        // Implausible values are skipped, not played: 0 ms, negative, a rate of 0 fps.
        let o = with(&[
            (tags::FRAME_TIME, VR::DS, "0"),
            (tags::RECOMMENDED_DISPLAY_FRAME_RATE, VR::IS, "0"),
            (tags::CINE_RATE, VR::IS, "30"),
        ]);
        assert_eq!(frame_time_ms(&o), Some(1000.0 / 30.0));
        let o = with(&[(tags::FRAME_TIME, VR::DS, "-5")]);
        assert_eq!(frame_time_ms(&o), None);
        assert_eq!(frame_time_ms(&InMemDicomObject::new_empty()), None);
    }
}
