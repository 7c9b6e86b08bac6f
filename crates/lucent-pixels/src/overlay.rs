//! Overlay planes (PS3.3 C.9.2 Overlay Plane Module, C.9.3 Multi-frame Overlay Module): read once
//! with the other pixel attributes, drawn into a rendered greyscale frame as `dcmj2pnm` draws
//! them by default.
//!
//! Up to 16 planes live in the repeating groups 6000–601E (even groups only, PS3.5 7.6). A plane's
//! bits are either in its own Overlay Data (60xx,3000), packed one bit per pixel, first pixel in
//! the least significant bit of the first byte (PS3.5 8.1.2, 8.2), frames one after the other;
//! or, in the retired form, in an unused bit of each Pixel Data sample above (or below) the
//! stored bits (Overlay Bits Allocated = Bits Allocated, Overlay Bit Position outside Bits Stored
//! / High Bit). Those bits are read from the raw decoded sample, before Bits Stored masking.
//!
//! Overlay Origin (60xx,0050) is the 1-based row\column of the plane's first pixel in the image
//! and may be negative or outside the image; only the part over the image is drawn. A
//! multi-frame overlay (C.9.3) applies to image frames Image Frame Origin (60xx,0051, 1-based)
//! to Image Frame Origin + Number of Frames in Overlay (60xx,0015) − 1.
//!
//! What dcmtk 3.6.7's `dcmj2pnm` does by default, and so what [`burn`] does (checked against its
//! output by `tests/golden.rs`): a graphics plane (Overlay Type `G`) replaces every set pixel by
//! white (mode "Replace", foreground density 1.0 = 255, also on MONOCHROME1); a region of
//! interest plane (`R`) darkens, inside the plane's rectangle, every pixel whose bit is *not* set
//! by shifting its 8-bit value right by 4 (mode "Region of Interest"); planes are applied in group
//! order. dcmtk draws no overlay on colour images, and neither does Lucent.
//!
//! A malformed plane is left out with an [`OverlayProblem`] (the image stays viewable); every
//! size is checked through [`crate::safe_math`] before anything is copied.

use crate::codec::{DecodedFrame, Samples};
use crate::render::RenderedFrame;
use crate::safe_math;
use dicom_core::Tag;
use dicom_core::value::{PrimitiveValue, Value};
use dicom_object::InMemDicomObject;
use std::sync::Arc;

/// The first and last overlay groups (PS3.3 C.9.2: 6000–601E, even).
const FIRST_GROUP: u16 = 0x6000;
const LAST_GROUP: u16 = 0x601E;

const OVERLAY_ROWS: u16 = 0x0010;
const OVERLAY_COLUMNS: u16 = 0x0011;
const NUMBER_OF_FRAMES_IN_OVERLAY: u16 = 0x0015;
const OVERLAY_TYPE: u16 = 0x0040;
const OVERLAY_ORIGIN: u16 = 0x0050;
const IMAGE_FRAME_ORIGIN: u16 = 0x0051;
const OVERLAY_BITS_ALLOCATED: u16 = 0x0100;
const OVERLAY_BIT_POSITION: u16 = 0x0102;
const OVERLAY_DATA: u16 = 0x3000;

/// Overlay Type (60xx,0040).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverlayKind {
    /// `G`: graphics (annotation), drawn over the image.
    Graphics,
    /// `R`: region of interest; the pixels outside it (inside the plane) are darkened.
    RegionOfInterest,
}

/// Where a plane's bits are.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PlaneBits {
    /// Overlay Data (60xx,3000): packed bits, frames concatenated (exactly the bytes needed).
    Separate(Arc<[u8]>),
    /// Bit `bit` of every raw Pixel Data sample (retired; PS3.5 8.1.2).
    InPixelData { bit: u16 },
}

/// One overlay plane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverlayPlane {
    /// Its group, 0x6000–0x601E.
    pub group: u16,
    /// Overlay Rows.
    pub rows: u16,
    /// Overlay Columns.
    pub columns: u16,
    /// Overlay Type.
    pub kind: OverlayKind,
    /// The image row and column (0-based) of the plane's first pixel: Overlay Origin − 1.
    pub origin: (i32, i32),
    /// The first image frame (0-based) the plane applies to: Image Frame Origin − 1.
    pub first_frame: u32,
    /// Number of Frames in Overlay (1 for a single-frame overlay). Planes in Pixel Data apply to
    /// every frame (each frame carries its own bits).
    pub frames: u32,
    bits: PlaneBits,
}

/// Why a plane was left out. Fixed sentences: a plane's label and description are never shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverlayProblem {
    /// Overlay Rows or Columns missing, zero or unreadable.
    MissingSize,
    /// Overlay Origin missing or without two values.
    MissingOrigin,
    /// Overlay Bits Allocated other than 1 with Overlay Data, or missing.
    UnsupportedBitsAllocated,
    /// Number of Frames in Overlay not a positive number within the frame cap.
    InvalidFrameCount,
    /// Overlay Data shorter than rows × columns × frames bits.
    DataTooShort,
    /// Rows × columns × frames beyond the caps.
    TooLarge,
    /// A plane in Pixel Data whose bit position is inside the stored bits or the sample.
    InvalidBitPosition,
    /// A plane in Pixel Data of a size other than the image's, or of a colour or float image.
    UnsupportedInPixelData,
}

impl std::fmt::Display for OverlayProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            OverlayProblem::MissingSize => "Overlay Rows or Overlay Columns is missing or zero",
            OverlayProblem::MissingOrigin => "Overlay Origin does not have two values",
            OverlayProblem::UnsupportedBitsAllocated => {
                "Overlay Bits Allocated is not 1 for Overlay Data"
            }
            OverlayProblem::InvalidFrameCount => "Number of Frames in Overlay is invalid",
            OverlayProblem::DataTooShort => "Overlay Data is shorter than the plane",
            OverlayProblem::TooLarge => "the overlay plane is too large",
            OverlayProblem::InvalidBitPosition => {
                "Overlay Bit Position is not an unused bit of Pixel Data"
            }
            OverlayProblem::UnsupportedInPixelData => {
                "an overlay in Pixel Data must have the image's size on a greyscale image"
            }
        })
    }
}

/// A plane left out, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IgnoredOverlay {
    /// Its group.
    pub group: u16,
    /// Why.
    pub problem: OverlayProblem,
}

/// What the image is, as far as its overlays need to know.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ImageShape {
    pub rows: u16,
    pub columns: u16,
    pub bits_allocated: u16,
    pub bits_stored: u16,
    pub high_bit: u16,
    pub monochrome: bool,
    pub float: bool,
}

/// The planes of a data set (groups 6000–601E that have Overlay Rows, Columns, Data or Bit
/// Position), in group order, and the ones left out.
pub(crate) fn read_planes(
    obj: &InMemDicomObject,
    image: ImageShape,
) -> (Vec<OverlayPlane>, Vec<IgnoredOverlay>) {
    let mut planes = Vec::new();
    let mut ignored = Vec::new();
    for group in (FIRST_GROUP..=LAST_GROUP).step_by(2) {
        let present = [
            OVERLAY_ROWS,
            OVERLAY_COLUMNS,
            OVERLAY_BIT_POSITION,
            OVERLAY_DATA,
        ]
        .iter()
        .any(|&e| element(obj, group, e).is_some());
        if !present {
            continue;
        }
        match read_plane(obj, group, image) {
            Ok(plane) => planes.push(plane),
            Err(problem) => ignored.push(IgnoredOverlay { group, problem }),
        }
    }
    (planes, ignored)
}

fn element(
    obj: &InMemDicomObject,
    group: u16,
    elem: u16,
) -> Option<&dicom_object::mem::InMemElement> {
    crate::info::element(obj, Tag(group, elem))
}

fn ints(obj: &InMemDicomObject, group: u16, elem: u16) -> Option<Vec<i64>> {
    crate::info::ints(obj, Tag(group, elem))
}

fn first_int(obj: &InMemDicomObject, group: u16, elem: u16) -> Option<i64> {
    ints(obj, group, elem).map(|v| v[0])
}

fn read_plane(
    obj: &InMemDicomObject,
    group: u16,
    image: ImageShape,
) -> Result<OverlayPlane, OverlayProblem> {
    let size = |elem| {
        first_int(obj, group, elem)
            .and_then(|v| u16::try_from(v).ok())
            .filter(|&v| v > 0)
            .ok_or(OverlayProblem::MissingSize)
    };
    let (rows, columns) = (size(OVERLAY_ROWS)?, size(OVERLAY_COLUMNS)?);
    // Overlay Origin: row\column, 1-based (PS3.3 C.9.2.1.1); SS, so −32768..32767.
    let origin = match ints(obj, group, OVERLAY_ORIGIN).as_deref() {
        Some([row, column, ..]) => (
            // A value far outside SS's range saturates and then fails the conversion.
            i32::try_from(row.saturating_sub(1)).map_err(|_| OverlayProblem::MissingOrigin)?,
            i32::try_from(column.saturating_sub(1)).map_err(|_| OverlayProblem::MissingOrigin)?,
        ),
        _ => return Err(OverlayProblem::MissingOrigin),
    };
    let kind = match element(obj, group, OVERLAY_TYPE).and_then(|e| e.to_str().ok()) {
        Some(t) if t.trim() == "R" => OverlayKind::RegionOfInterest,
        // dcmtk treats anything but `R` as graphics.
        _ => OverlayKind::Graphics,
    };
    let bits_allocated = first_int(obj, group, OVERLAY_BITS_ALLOCATED);
    let bit_position = first_int(obj, group, OVERLAY_BIT_POSITION).unwrap_or(0);
    let frames = match first_int(obj, group, NUMBER_OF_FRAMES_IN_OVERLAY) {
        None => 1,
        Some(n) => u32::try_from(n)
            .ok()
            .filter(|n| (1..=lucent_index::limits::MAX_FRAMES).contains(n))
            .ok_or(OverlayProblem::InvalidFrameCount)?,
    };
    // Image Frame Origin is 1-based; 0 or absent means the first frame (as dcmtk).
    let first_frame = first_int(obj, group, IMAGE_FRAME_ORIGIN)
        .and_then(|v| u32::try_from(v).ok())
        .unwrap_or(1)
        .saturating_sub(1);
    let bits = match element(obj, group, OVERLAY_DATA) {
        Some(data) => {
            if bits_allocated != Some(1) {
                return Err(OverlayProblem::UnsupportedBitsAllocated);
            }
            let needed = plane_bytes(rows, columns, frames)?;
            let bytes = overlay_bytes(data.value());
            if (bytes.len() as u64) < needed {
                return Err(OverlayProblem::DataTooShort);
            }
            let needed = safe_math::to_usize(needed).map_err(|_| OverlayProblem::TooLarge)?;
            PlaneBits::Separate(Arc::from(&bytes[..needed]))
        }
        None => {
            // The retired form (PS3.5 8.1.2): dcmtk takes Overlay Bits Allocated to be the
            // image's Bits Allocated whatever it says, and so does Lucent.
            if !image.monochrome
                || image.float
                || !matches!(image.bits_allocated, 8 | 16)
                || (rows, columns) != (image.rows, image.columns)
            {
                return Err(OverlayProblem::UnsupportedInPixelData);
            }
            // Values of at most 16 bits in an i64: no overflow.
            let lowest_stored = i64::from(image.high_bit)
                .saturating_add(1)
                .saturating_sub(i64::from(image.bits_stored));
            let inside_stored = (lowest_stored..=i64::from(image.high_bit)).contains(&bit_position);
            if inside_stored || !(0..i64::from(image.bits_allocated)).contains(&bit_position) {
                return Err(OverlayProblem::InvalidBitPosition);
            }
            PlaneBits::InPixelData {
                bit: bit_position as u16,
            }
        }
    };
    Ok(OverlayPlane {
        group,
        rows,
        columns,
        kind,
        origin,
        first_frame,
        frames,
        bits,
    })
}

/// Bytes of `frames` packed planes of rows × columns bits, checked and capped.
fn plane_bytes(rows: u16, columns: u16, frames: u32) -> Result<u64, OverlayProblem> {
    let pixels = safe_math::frame_pixels(rows, columns).map_err(|_| OverlayProblem::TooLarge)?;
    let bits = safe_math::mul(pixels, u64::from(frames), "overlay bits")
        .map_err(|_| OverlayProblem::TooLarge)?;
    let bytes = bits.div_ceil(8);
    if bytes > safe_math::MAX_FRAME_BYTES {
        return Err(OverlayProblem::TooLarge);
    }
    Ok(bytes)
}

/// Overlay Data as bytes in little-endian order: OW read from a big-endian data set arrives as
/// 16-bit words, whose bit 0 is still the first pixel (PS3.5 8.1.2).
fn overlay_bytes(value: &Value<InMemDicomObject>) -> std::borrow::Cow<'_, [u8]> {
    match value.primitive() {
        Some(PrimitiveValue::U8(b)) => std::borrow::Cow::Borrowed(&b[..]),
        Some(PrimitiveValue::U16(w)) => w.iter().flat_map(|w| w.to_le_bytes()).collect(),
        Some(p) => std::borrow::Cow::Owned(p.to_bytes().into_owned()),
        None => std::borrow::Cow::Borrowed(&[]),
    }
}

/// The bits of one plane over one image frame, in image coordinates, limited to the part of the
/// plane that lies over the image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverlayMask {
    /// First image row covered.
    pub top: u32,
    /// First image column covered.
    pub left: u32,
    /// Rows covered.
    pub height: u32,
    /// Columns covered.
    pub width: u32,
    bits: Vec<bool>,
}

impl OverlayMask {
    /// Whether the plane's bit is set at image pixel (`row`, `column`); false outside the plane.
    pub fn is_set(&self, row: u32, column: u32) -> bool {
        let (Some(r), Some(c)) = (row.checked_sub(self.top), column.checked_sub(self.left)) else {
            return false;
        };
        // r < height and c < width: the index is below height × width = bits.len().
        r < self.height
            && c < self.width
            && self.bits[r.saturating_mul(self.width).saturating_add(c) as usize]
    }
}

impl OverlayPlane {
    /// Whether the plane applies to image frame `k` (0-based; PS3.3 C.9.3).
    pub fn applies_to(&self, k: u32) -> bool {
        match self.bits {
            PlaneBits::InPixelData { .. } => true,
            PlaneBits::Separate(_) => {
                k >= self.first_frame
                    // Two u32 in a u64: no overflow.
                    && u64::from(k) < u64::from(self.first_frame).saturating_add(u64::from(self.frames))
            }
        }
    }

    /// The plane's bits over image frame `k`, whose decoded samples are `frame` (needed for
    /// planes in Pixel Data). `None` when the plane does not apply to the frame or lies wholly
    /// outside the image. This is what a Bitmap Display Shutter (PS3.3 C.7.6.15) reads too.
    pub fn mask(&self, k: u32, frame: &DecodedFrame) -> Option<OverlayMask> {
        if !self.applies_to(k) {
            return None;
        }
        let (image_rows, image_columns) = (i64::from(frame.rows), i64::from(frame.columns));
        let (top, left) = (i64::from(self.origin.0), i64::from(self.origin.1));
        let (r0, c0) = (top.max(0), left.max(0));
        // Origins, sizes and positions are 16-bit values in i64 / u64, and a frame number times
        // a plane's pixels is below 2^48: the saturating operations never saturate (and an
        // index that did would miss the data: `get` gives `None`).
        let r1 = top.saturating_add(i64::from(self.rows)).min(image_rows);
        let c1 = left
            .saturating_add(i64::from(self.columns))
            .min(image_columns);
        if r0 >= r1 || c0 >= c1 {
            return None;
        }
        let plane_pixels = u64::from(self.rows).saturating_mul(u64::from(self.columns));
        let overlay_frame = u64::from(k.saturating_sub(self.first_frame));
        let bit_at = |row: i64, column: i64| -> bool {
            // row ≥ r0 ≥ top and column ≥ c0 ≥ left.
            let (pr, pc) = (
                row.saturating_sub(top) as u64,
                column.saturating_sub(left) as u64,
            );
            let in_plane = pr
                .saturating_mul(u64::from(self.columns))
                .saturating_add(pc);
            match &self.bits {
                PlaneBits::Separate(data) => {
                    let i = overlay_frame
                        .saturating_mul(plane_pixels)
                        .saturating_add(in_plane);
                    data.get((i / 8) as usize)
                        .is_some_and(|b| (b >> (i % 8)) & 1 == 1)
                }
                PlaneBits::InPixelData { bit } => {
                    // Same size as the image: the plane pixel is the image pixel.
                    let i = in_plane as usize;
                    let raw = match &frame.samples {
                        Samples::U16(v) => v.get(i).map(|&s| u32::from(s)),
                        Samples::U8(v) => v.get(i).map(|&s| u32::from(s)),
                        _ => None,
                    };
                    raw.is_some_and(|s| (s >> bit) & 1 == 1)
                }
            }
        };
        let bits = (r0..r1)
            .flat_map(|r| (c0..c1).map(move |c| (r, c)))
            .map(|(r, c)| bit_at(r, c))
            .collect();
        Some(OverlayMask {
            top: r0 as u32,
            left: c0 as u32,
            height: r1.saturating_sub(r0) as u32,
            width: c1.saturating_sub(c0) as u32,
            bits,
        })
    }
}

/// Draws the planes that apply to image frame `k` into its rendered greyscale frame, as
/// `dcmj2pnm` does by default (see the module doc). Colour frames are left as they are.
pub fn burn(planes: &[OverlayPlane], k: u32, frame: &DecodedFrame, rendered: &mut RenderedFrame) {
    if rendered.channels != 1
        || (rendered.width, rendered.height) != (u32::from(frame.columns), u32::from(frame.rows))
    {
        return;
    }
    let width = rendered.width as usize;
    for plane in planes {
        let Some(mask) = plane.mask(k, frame) else {
            continue;
        };
        // The mask lies inside the rendered frame (`mask` clips it): no sum or product here
        // exceeds the frame's size.
        for r in mask.top..mask.top.saturating_add(mask.height) {
            let start = (r as usize).saturating_mul(width);
            let row = &mut rendered.pixels[start..start.saturating_add(width)];
            for c in mask.left..mask.left.saturating_add(mask.width) {
                let set = mask.is_set(r, c);
                let pixel = &mut row[c as usize];
                match plane.kind {
                    OverlayKind::Graphics if set => *pixel = u8::MAX,
                    OverlayKind::RegionOfInterest if !set => *pixel >>= 4,
                    _ => {}
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::ColorModel;
    use dicom_core::{DataElement, VR};

    const SHAPE: ImageShape = ImageShape {
        rows: 4,
        columns: 4,
        bits_allocated: 16,
        bits_stored: 12,
        high_bit: 11,
        monochrome: true,
        float: false,
    };

    fn plane_object(group: u16, elements: &[(u16, VR, PrimitiveValue)]) -> InMemDicomObject {
        let mut obj = InMemDicomObject::new_empty();
        for (e, vr, v) in elements {
            obj.put(DataElement::new(Tag(group, *e), *vr, v.clone()));
        }
        obj
    }

    fn separate(rows: u16, columns: u16, origin: [i16; 2], data: Vec<u8>) -> InMemDicomObject {
        plane_object(
            0x6002,
            &[
                (OVERLAY_ROWS, VR::US, PrimitiveValue::from(rows)),
                (OVERLAY_COLUMNS, VR::US, PrimitiveValue::from(columns)),
                (OVERLAY_TYPE, VR::CS, PrimitiveValue::from("G")),
                (OVERLAY_ORIGIN, VR::SS, PrimitiveValue::I16(origin.into())),
                (OVERLAY_BITS_ALLOCATED, VR::US, PrimitiveValue::from(1u16)),
                (OVERLAY_BIT_POSITION, VR::US, PrimitiveValue::from(0u16)),
                (OVERLAY_DATA, VR::OB, PrimitiveValue::U8(data.into())),
            ],
        )
    }

    fn grey_frame(values: Vec<u16>) -> DecodedFrame {
        DecodedFrame {
            rows: 4,
            columns: 4,
            samples: Samples::U16(values.into()),
            color: ColorModel::Monochrome,
            planar: false,
        }
    }

    #[test]
    fn bits_are_little_endian_and_the_origin_may_be_negative() {
        // A 3×3 plane at origin 0\0 (1-based): its first row and column lie above and left of
        // the image. Bits: row-major, first pixel in bit 0.
        let bits = [1, 0, 1, 0, 1, 0, 1, 1, 1];
        let byte = |bits: &[u8]| bits.iter().enumerate().fold(0u8, |b, (i, v)| b | (v << i));
        let data = vec![byte(&bits[..8]), byte(&bits[8..])];
        let (planes, ignored) = read_planes(&separate(3, 3, [0, 0], data), SHAPE);
        assert!(ignored.is_empty());
        let mask = planes[0].mask(0, &grey_frame(vec![0; 16])).unwrap();
        assert_eq!((mask.top, mask.left, mask.height, mask.width), (0, 0, 2, 2));
        // Image (0,0) is plane (1,1) = bit 4; (0,1) = bit 5; (1,0) = bit 7; (1,1) = bit 8.
        assert!(mask.is_set(0, 0));
        assert!(!mask.is_set(0, 1));
        assert!(mask.is_set(1, 0) && mask.is_set(1, 1));
        assert!(!mask.is_set(2, 2), "outside the plane");
    }

    #[test]
    fn malformed_planes_are_left_out_with_a_reason() {
        let short = separate(4, 4, [1, 1], vec![0xFF]);
        let (planes, ignored) = read_planes(&short, SHAPE);
        assert!(planes.is_empty());
        assert_eq!(
            ignored,
            vec![IgnoredOverlay {
                group: 0x6002,
                problem: OverlayProblem::DataTooShort
            }]
        );
        let mut huge = separate(4, 4, [1, 1], vec![0xFF; 2]);
        huge.put(DataElement::new(
            Tag(0x6002, NUMBER_OF_FRAMES_IN_OVERLAY),
            VR::IS,
            PrimitiveValue::from("4000000000"),
        ));
        assert_eq!(
            read_planes(&huge, SHAPE).1[0].problem,
            OverlayProblem::InvalidFrameCount
        );
        let mut no_origin = separate(4, 4, [1, 1], vec![0xFF; 2]);
        no_origin.remove_element(Tag(0x6002, OVERLAY_ORIGIN));
        assert_eq!(
            read_planes(&no_origin, SHAPE).1[0].problem,
            OverlayProblem::MissingOrigin
        );
        // In Pixel Data, the bit must be outside Bits Stored / High Bit (here bits 0–11).
        let embedded = |bit: u16| {
            plane_object(
                0x6000,
                &[
                    (OVERLAY_ROWS, VR::US, PrimitiveValue::from(4u16)),
                    (OVERLAY_COLUMNS, VR::US, PrimitiveValue::from(4u16)),
                    (OVERLAY_ORIGIN, VR::SS, PrimitiveValue::I16([1, 1].into())),
                    (OVERLAY_BITS_ALLOCATED, VR::US, PrimitiveValue::from(16u16)),
                    (OVERLAY_BIT_POSITION, VR::US, PrimitiveValue::from(bit)),
                ],
            )
        };
        assert_eq!(
            read_planes(&embedded(11), SHAPE).1[0].problem,
            OverlayProblem::InvalidBitPosition
        );
        assert_eq!(
            read_planes(&embedded(16), SHAPE).1[0].problem,
            OverlayProblem::InvalidBitPosition
        );
        assert!(read_planes(&embedded(15), SHAPE).1.is_empty());
    }

    #[test]
    fn pixel_data_bits_are_read_before_bits_stored_masking() {
        let obj = plane_object(
            0x6000,
            &[
                (OVERLAY_ROWS, VR::US, PrimitiveValue::from(4u16)),
                (OVERLAY_COLUMNS, VR::US, PrimitiveValue::from(4u16)),
                (OVERLAY_ORIGIN, VR::SS, PrimitiveValue::I16([1, 1].into())),
                (OVERLAY_BITS_ALLOCATED, VR::US, PrimitiveValue::from(16u16)),
                (OVERLAY_BIT_POSITION, VR::US, PrimitiveValue::from(13u16)),
            ],
        );
        let (planes, _) = read_planes(&obj, SHAPE);
        let mut values = vec![100u16; 16];
        values[5] |= 1 << 13;
        let frame = grey_frame(values);
        let mask = planes[0].mask(7, &frame).expect("every frame");
        assert!(mask.is_set(1, 1));
        assert_eq!((0..16).filter(|i| mask.is_set(i / 4, i % 4)).count(), 1);
    }

    #[test]
    fn burning_replaces_graphics_and_darkens_outside_a_region() {
        let frame = grey_frame(vec![0; 16]);
        let mut rendered = RenderedFrame::grey(4, 4, vec![200; 16]);
        // 2×2 plane at image (1,1) with its first bit set.
        let mut obj = separate(2, 2, [2, 2], vec![0b0001]);
        let (graphics, _) = read_planes(&obj, SHAPE);
        burn(&graphics, 0, &frame, &mut rendered);
        assert_eq!(rendered.pixels[5], 255);
        assert_eq!(rendered.pixels.iter().filter(|&&p| p == 255).count(), 1);
        obj.put(DataElement::new(
            Tag(0x6002, OVERLAY_TYPE),
            VR::CS,
            PrimitiveValue::from("R"),
        ));
        let (roi, _) = read_planes(&obj, SHAPE);
        rendered.pixels = vec![200; 16];
        burn(&roi, 0, &frame, &mut rendered);
        // Inside the plane: the set pixel stays, the three others become 200 >> 4 = 12.
        assert_eq!(rendered.pixels[5], 200);
        assert_eq!([6, 9, 10].map(|i| rendered.pixels[i]), [12, 12, 12]);
        assert_eq!(rendered.pixels.iter().filter(|&&p| p == 200).count(), 13);
    }

    #[test]
    fn multi_frame_planes_apply_from_the_image_frame_origin() {
        let mut obj = separate(4, 4, [1, 1], vec![0xFF, 0x00, 0x00, 0xFF]);
        obj.put(DataElement::new(
            Tag(0x6002, NUMBER_OF_FRAMES_IN_OVERLAY),
            VR::IS,
            PrimitiveValue::from("2"),
        ));
        obj.put(DataElement::new(
            Tag(0x6002, IMAGE_FRAME_ORIGIN),
            VR::US,
            PrimitiveValue::from(2u16),
        ));
        let (planes, _) = read_planes(&obj, SHAPE);
        let frame = grey_frame(vec![0; 16]);
        assert!(planes[0].mask(0, &frame).is_none());
        assert!(planes[0].mask(3, &frame).is_none());
        // Image frame 1 is overlay frame 0 (rows 0–1 set); image frame 2 is overlay frame 1
        // (rows 2–3 set).
        let first = planes[0].mask(1, &frame).unwrap();
        assert!(first.is_set(0, 0) && !first.is_set(3, 3));
        let second = planes[0].mask(2, &frame).unwrap();
        assert!(!second.is_set(0, 0) && second.is_set(3, 3));
    }
}
