//! Display shutters (PS3.3 C.7.6.11 Display Shutter Module): the parts of an image outside the
//! shutter are replaced, after VOI and photometric interpretation, by the Shutter Presentation
//! Value (a P-value, i.e. display space: MONOCHROME1 inversion never applies to it) or, on
//! colour frames, by the Shutter Presentation Color CIELab Value.
//!
//! Geometry, with 1-based row/column coordinates whose origin (1,1) is the upper left pixel:
//! - RECTANGULAR: a pixel is inside when Left ≤ column ≤ Right and Upper ≤ row ≤ Lower (the
//!   edges name pixel columns and rows, so the pixels on an edge are shown).
//! - CIRCULAR: inside when (row − centre row)² + (column − centre column)² ≤ radius² (pixels on
//!   the circle are shown). The radius is in pixels along the row direction; Lucent assumes
//!   square pixels (an image with a Pixel Aspect Ratio other than 1 gets a circle in pixel units).
//! - POLYGONAL: inside when the pixel centre is inside the closed polygon by the even-odd rule
//!   or on one of its edges (the standard requires a simple polygon, for which even-odd is the
//!   interior). All arithmetic is exact (integers, rationals in `i128`).
//!
//! Several shapes combine: a pixel is shown only if it is inside every shutter ("the least
//! amount of image remaining shall be visible"). A malformed shape is ignored and reported
//! (a [`DisplayNote`]); a shutter is never a reason to refuse an image, and only ever hides
//! pixels. A Bitmap Display Shutter (PS3.3 C.7.6.15, Shutter Shape BITMAP) is reported as not
//! applied; [`apply_outside`] is the entry point a bitmap mask will use.
//!
//! The visible column spans of every row are computed once per file (at most 65,535 rows, each
//! a handful of spans) so that rendering a frame only fills the hidden runs.

use crate::info::{element, ints};
use crate::notes::{DisplayNote, note_once};
use crate::render::RenderedFrame;
use dicom_core::Tag;
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;

/// Polygons with more vertices than this are treated as malformed (real shutters have a few).
pub const MAX_POLYGON_VERTICES: usize = 1024;

/// One geometric shutter shape in 1-based pixel coordinates (PS3.3 C.7.6.11).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShutterShape {
    /// Shutter Left/Right Vertical Edge (0018,1602/1604) as columns, Upper/Lower Horizontal
    /// Edge (0018,1606/1608) as rows, inclusive.
    Rectangular {
        /// Left edge column.
        left: i64,
        /// Right edge column.
        right: i64,
        /// Upper edge row.
        upper: i64,
        /// Lower edge row.
        lower: i64,
    },
    /// Center of Circular Shutter (0018,1610) as row\column and Radius (0018,1612).
    Circular {
        /// Centre row.
        row: i64,
        /// Centre column.
        column: i64,
        /// Radius in pixels (> 0).
        radius: i64,
    },
    /// Vertices of the Polygonal Shutter (0018,1620) as (row, column), implicitly closed.
    Polygonal {
        /// At least 3 vertices.
        vertices: Vec<(i64, i64)>,
    },
}

/// The Shutter Shape (0018,1600) values Lucent knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShapeKind {
    /// RECTANGULAR.
    Rectangular,
    /// CIRCULAR.
    Circular,
    /// POLYGONAL.
    Polygonal,
}

impl ShapeKind {
    /// The standard's name of the shape.
    pub fn name(self) -> &'static str {
        match self {
            ShapeKind::Rectangular => "RECTANGULAR",
            ShapeKind::Circular => "CIRCULAR",
            ShapeKind::Polygonal => "POLYGONAL",
        }
    }
}

/// The display value of the occluded pixels, per channel count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShutterValue {
    /// For 1-channel (greyscale) frames: the Shutter Presentation Value scaled to 8 bits.
    pub grey: u8,
    /// For 3-channel frames: the CIELab colour as sRGB, else `grey` in every channel.
    pub rgb: [u8; 3],
}

impl ShutterValue {
    fn bytes(&self, channels: u8) -> &[u8] {
        if channels == 3 {
            &self.rgb
        } else {
            std::slice::from_ref(&self.grey)
        }
    }
}

/// A P-value (0 black … 0xFFFF white) as an 8-bit display value, rounded.
pub fn p_value_to_u8(p: u16) -> u8 {
    // At most 65535 × 255 + 32767 < 2^25: no overflow.
    (u32::from(p).saturating_mul(255).saturating_add(32767) / 65535) as u8
}

/// A CIELab value in the ICC PCS encoding of PS3.3 C.10.7.1.1 (L: 0..0xFFFF = 0..100; a*, b*:
/// 0..0xFFFF = −128..127, 0x8080 = 0) as 8-bit sRGB: Lab (D50) → XYZ → Bradford D50→D65 →
/// linear sRGB → sRGB transfer function, clamped to the gamut.
pub fn cielab_to_srgb(lab: [u16; 3]) -> [u8; 3] {
    let l = f64::from(lab[0]) * 100.0 / 65535.0;
    let a = f64::from(lab[1]) * 255.0 / 65535.0 - 128.0;
    let b = f64::from(lab[2]) * 255.0 / 65535.0 - 128.0;
    let fy = (l + 16.0) / 116.0;
    let (fx, fz) = (fy + a / 500.0, fy - b / 200.0);
    let inverse = |t: f64| {
        const DELTA: f64 = 6.0 / 29.0;
        if t > DELTA {
            t * t * t
        } else {
            3.0 * DELTA * DELTA * (t - 4.0 / 29.0)
        }
    };
    let (x, y, z) = (0.9642 * inverse(fx), inverse(fy), 0.8249 * inverse(fz));
    let (x, y, z) = (
        0.955_576_6 * x - 0.023_039_3 * y + 0.063_163_6 * z,
        -0.028_289_5 * x + 1.009_941_6 * y + 0.021_007_7 * z,
        0.012_298_2 * x - 0.020_483 * y + 1.329_909_8 * z,
    );
    let linear = [
        3.240_454_2 * x - 1.537_138_5 * y - 0.498_531_4 * z,
        -0.969_266 * x + 1.876_010_8 * y + 0.041_556 * z,
        0.055_643_4 * x - 0.204_025_9 * y + 1.057_225_2 * z,
    ];
    linear.map(|c| {
        let c = c.clamp(0.0, 1.0);
        let encoded = if c <= 0.003_130_8 {
            12.92 * c
        } else {
            1.055 * c.powf(1.0 / 2.4) - 0.055
        };
        (encoded * 255.0).round().clamp(0.0, 255.0) as u8
    })
}

/// The image's display shutter, ready to apply: the valid shapes, the visible column spans of
/// every row (their intersection) and the value of the hidden pixels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayShutter {
    /// The shapes applied (malformed ones left out).
    pub shapes: Vec<ShutterShape>,
    /// Per row (0-based), the visible columns as sorted, disjoint inclusive 0-based spans.
    visible: Vec<Vec<(u16, u16)>>,
    /// Pixels the shutter hides in one frame (> 0).
    pub hidden_pixels: u64,
    /// The value of the hidden pixels.
    pub value: ShutterValue,
}

impl DisplayShutter {
    /// Reads the Display Shutter Module of a data set for a `rows` × `columns` image. `None`
    /// when there is no shutter or nothing valid to apply; `notes` get what was left out.
    pub fn read(
        obj: &InMemDicomObject,
        rows: u16,
        columns: u16,
        notes: &mut Vec<DisplayNote>,
    ) -> Option<DisplayShutter> {
        let mut note = |n: DisplayNote| note_once(notes, n);
        let names = element(obj, tags::SHUTTER_SHAPE)
            .and_then(|e| e.to_multi_str().ok().map(|v| v.to_vec()))?;
        let mut kinds: Vec<ShapeKind> = Vec::new();
        for name in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
            let kind = match name {
                "RECTANGULAR" => ShapeKind::Rectangular,
                "CIRCULAR" => ShapeKind::Circular,
                "POLYGONAL" => ShapeKind::Polygonal,
                "BITMAP" => {
                    note(DisplayNote::BitmapShutterNotApplied);
                    continue;
                }
                _ => {
                    note(DisplayNote::UnknownShutterShape);
                    continue;
                }
            };
            if kinds.contains(&kind) {
                note(DisplayNote::UnknownShutterShape);
            } else {
                kinds.push(kind);
            }
        }
        let shapes: Vec<ShutterShape> = kinds
            .into_iter()
            .filter_map(|kind| {
                let shape = read_shape(obj, kind);
                if shape.is_none() {
                    note(DisplayNote::MalformedShutterIgnored { shape: kind });
                }
                shape
            })
            .collect();
        if shapes.is_empty() {
            return None;
        }
        let value = read_value(obj, &mut note);
        let visible = visible_spans(&shapes, rows, columns);
        let shown: u64 = visible
            .iter()
            .flatten()
            // A span's start is never after its end; 16-bit values in a u64 cannot overflow.
            .map(|&(a, b)| u64::from(b.saturating_sub(a)).saturating_add(1))
            .sum();
        let total = u64::from(rows).saturating_mul(u64::from(columns));
        if shown == 0 {
            note(DisplayNote::ShutterWouldHideImage);
            return None;
        }
        // Every pixel inside: nothing to hide, nothing to apply.
        (shown < total).then_some(DisplayShutter {
            shapes,
            visible,
            // shown < total here.
            hidden_pixels: total.saturating_sub(shown),
            value,
        })
    }

    /// Whether the pixel at 0-based `row`, `column` is shown.
    pub fn is_visible(&self, row: u32, column: u32) -> bool {
        let Some(spans) = self.visible.get(row as usize) else {
            return false;
        };
        let Ok(column) = u16::try_from(column) else {
            return false;
        };
        let i = spans.partition_point(|&(_, end)| end < column);
        spans.get(i).is_some_and(|&(start, _)| start <= column)
    }

    /// Replaces every hidden pixel of a rendered frame by the shutter value. A frame whose size
    /// is not the image's is left alone (the caller renders frames of this image only).
    pub fn apply(&self, frame: &mut RenderedFrame) {
        let rows = self.visible.len();
        if frame.height as usize != rows {
            return;
        }
        let value = self.value.bytes(frame.channels);
        let columns = frame.width as usize;
        let channels = usize::from(frame.channels);
        // A saturated product cannot equal a buffer's length: such a frame is left alone.
        let line_len = columns.saturating_mul(channels);
        if frame.pixels.len() != rows.saturating_mul(line_len) {
            return;
        }
        for (spans, line) in self
            .visible
            .iter()
            .zip(frame.pixels.chunks_exact_mut(line_len.max(1)))
        {
            let mut next = 0usize;
            for &(start, end) in spans {
                fill(line, next, usize::from(start), value);
                // A 16-bit column plus one.
                next = usize::from(end).saturating_add(1);
            }
            fill(line, next, columns, value);
        }
    }
}

/// Sets pixels `from..to` of one row of `value.len()`-byte pixels to `value`.
fn fill(line: &mut [u8], from: usize, to: usize, value: &[u8]) {
    let c = value.len();
    // Columns of a row in memory times a pixel's bytes: at most the row's length, and a
    // saturated bound fails the `get_mut`.
    if let Some(run) = line.get_mut(from.saturating_mul(c)..to.saturating_mul(c)) {
        run.chunks_exact_mut(c)
            .for_each(|p| p.copy_from_slice(value));
    }
}

/// Replaces the pixels of a rendered frame for which `outside(row, column)` (0-based) holds by
/// `value`, and returns how many were replaced: the application of any shutter mask, such as a
/// Bitmap Display Shutter's overlay plane (PS3.3 C.7.6.15: a 1 bit marks a pixel to replace).
pub fn apply_outside(
    frame: &mut RenderedFrame,
    outside: impl Fn(u32, u32) -> bool,
    value: ShutterValue,
) -> u64 {
    let value = value.bytes(frame.channels);
    let columns = frame.width as usize;
    let mut replaced = 0u64;
    if columns == 0 {
        return 0;
    }
    for (row, line) in frame
        .pixels
        // A row of pixels in memory: the product is at most the buffer's length.
        .chunks_exact_mut(columns.saturating_mul(value.len()))
        .enumerate()
    {
        for (column, pixel) in line.chunks_exact_mut(value.len()).enumerate() {
            if outside(row as u32, column as u32) {
                pixel.copy_from_slice(value);
                // One per pixel of a buffer in memory: no overflow.
                replaced = replaced.saturating_add(1);
            }
        }
    }
    replaced
}

/// A single IS value within the 32-bit range the VR allows.
fn one_int(obj: &InMemDicomObject, tag: Tag) -> Option<i64> {
    match ints(obj, tag)?[..] {
        [v] if i32::try_from(v).is_ok() => Some(v),
        _ => None,
    }
}

fn read_shape(obj: &InMemDicomObject, kind: ShapeKind) -> Option<ShutterShape> {
    match kind {
        ShapeKind::Rectangular => {
            let left = one_int(obj, tags::SHUTTER_LEFT_VERTICAL_EDGE)?;
            let right = one_int(obj, tags::SHUTTER_RIGHT_VERTICAL_EDGE)?;
            let upper = one_int(obj, tags::SHUTTER_UPPER_HORIZONTAL_EDGE)?;
            let lower = one_int(obj, tags::SHUTTER_LOWER_HORIZONTAL_EDGE)?;
            (left <= right && upper <= lower).then_some(ShutterShape::Rectangular {
                left,
                right,
                upper,
                lower,
            })
        }
        ShapeKind::Circular => {
            let centre = ints(obj, tags::CENTER_OF_CIRCULAR_SHUTTER)?;
            let [row, column] = centre[..] else {
                return None;
            };
            let radius = one_int(obj, tags::RADIUS_OF_CIRCULAR_SHUTTER)?;
            let in_range = [row, column].iter().all(|v| i32::try_from(*v).is_ok());
            (in_range && radius > 0).then_some(ShutterShape::Circular {
                row,
                column,
                radius,
            })
        }
        ShapeKind::Polygonal => {
            let values = ints(obj, tags::VERTICES_OF_THE_POLYGONAL_SHUTTER)?;
            let count = values.len() / 2;
            if values.len() % 2 != 0
                || !(3..=MAX_POLYGON_VERTICES).contains(&count)
                || values.iter().any(|v| i32::try_from(*v).is_err())
            {
                return None;
            }
            Some(ShutterShape::Polygonal {
                vertices: values.chunks_exact(2).map(|p| (p[0], p[1])).collect(),
            })
        }
    }
}

fn read_value(obj: &InMemDicomObject, note: &mut impl FnMut(DisplayNote)) -> ShutterValue {
    let mut malformed = false;
    let mut unsigned = |tag: Tag, count: usize| -> Option<Vec<u16>> {
        let e = element(obj, tag)?;
        let values: Option<Vec<u16>> = e.to_multi_int::<i64>().ok().and_then(|v| {
            v.into_iter()
                .map(|x| u16::try_from(x).ok())
                .collect::<Option<Vec<u16>>>()
        });
        match values {
            Some(v) if v.len() == count => Some(v),
            Some(v) if v.is_empty() => None,
            _ => {
                malformed = true;
                None
            }
        }
    };
    let grey = unsigned(tags::SHUTTER_PRESENTATION_VALUE, 1).map(|v| p_value_to_u8(v[0]));
    let colour = unsigned(tags::SHUTTER_PRESENTATION_COLOR_CIE_LAB_VALUE, 3)
        .map(|v| cielab_to_srgb([v[0], v[1], v[2]]));
    if malformed {
        note(DisplayNote::MalformedShutterValue);
    }
    // Absent: the standard leaves the value undefined; black, as dcmtk does.
    let grey = grey.unwrap_or(0);
    ShutterValue {
        grey,
        rgb: colour.unwrap_or([grey; 3]),
    }
}

/// Sorted, merged inclusive spans (adjacent spans join).
fn merge(mut spans: Vec<(i64, i64)>) -> Vec<(i64, i64)> {
    spans.sort_unstable();
    let mut out: Vec<(i64, i64)> = Vec::with_capacity(spans.len());
    for (a, b) in spans {
        match out.last_mut() {
            Some(last) if a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

/// The intersection of two sorted, disjoint span lists.
fn intersect(a: &[(i64, i64)], b: &[(i64, i64)]) -> Vec<(i64, i64)> {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        let (lo, hi) = (a[i].0.max(b[j].0), a[i].1.min(b[j].1));
        if lo <= hi {
            out.push((lo, hi));
        }
        // i < a.len() and j < b.len(): the increments cannot overflow.
        if a[i].1 < b[j].1 {
            i = i.saturating_add(1);
        } else {
            j = j.saturating_add(1);
        }
    }
    out
}

// Shapes are made of i32 values (checked when read) and rows of 16-bit ones, so no sum,
// difference or product of the geometry below comes near the range of i64 / i128: the
// saturating operations never saturate.

/// ⌊n / d⌋ and ⌈n / d⌉ for d > 0.
fn floor_div(n: i128, d: i128) -> i128 {
    n.div_euclid(d)
}

fn ceil_div(n: i128, d: i128) -> i128 {
    n.saturating_neg().div_euclid(d).saturating_neg()
}

impl ShutterShape {
    /// The columns of 1-based `row` inside the shape (unclipped), as sorted, merged spans.
    fn spans(&self, row: i64) -> Vec<(i64, i64)> {
        match *self {
            ShutterShape::Rectangular {
                left,
                right,
                upper,
                lower,
            } => {
                if (upper..=lower).contains(&row) {
                    vec![(left, right)]
                } else {
                    Vec::new()
                }
            }
            ShutterShape::Circular {
                row: centre_row,
                column,
                radius,
            } => {
                let dy = i128::from(row.saturating_sub(centre_row));
                let rest = i128::from(radius)
                    .saturating_mul(i128::from(radius))
                    .saturating_sub(dy.saturating_mul(dy));
                if rest < 0 {
                    return Vec::new();
                }
                // |dy| ≤ radius < 2^31 here, so the half width fits an i64.
                let half = (rest as u128).isqrt() as i64;
                vec![(column.saturating_sub(half), column.saturating_add(half))]
            }
            ShutterShape::Polygonal { ref vertices } => polygon_spans(vertices, row),
        }
    }
}

/// The columns of `row` whose pixel centre is inside the polygon (even-odd rule) or on an edge.
/// A crossing column is the exact rational `num / den` (den > 0).
fn polygon_spans(vertices: &[(i64, i64)], row: i64) -> Vec<(i64, i64)> {
    let y = i128::from(row);
    let mut crossings: Vec<(i128, i128)> = Vec::new();
    let mut spans: Vec<(i64, i64)> = Vec::new();
    let edges = vertices.iter().zip(vertices.iter().cycle().skip(1));
    for (&(r1, c1), &(r2, c2)) in edges {
        let (r1, c1, r2, c2) = (
            i128::from(r1),
            i128::from(c1),
            i128::from(r2),
            i128::from(c2),
        );
        if r1 == r2 {
            if r1 == y {
                // A horizontal edge on this row: its pixels are on the boundary.
                spans.push((c1.min(c2) as i64, c1.max(c2) as i64));
            }
            continue;
        }
        if y < r1.min(r2) || y > r1.max(r2) {
            continue;
        }
        let den = r2.saturating_sub(r1);
        let mut num = c1
            .saturating_mul(den)
            .saturating_add(y.saturating_sub(r1).saturating_mul(c2.saturating_sub(c1)));
        let mut den = den;
        if den < 0 {
            (num, den) = (num.saturating_neg(), den.saturating_neg());
        }
        // den > 0 here (r1 != r2).
        if num.checked_rem(den) == Some(0) {
            let column = num.div_euclid(den) as i64;
            spans.push((column, column)); // on the edge
        }
        // Half-open rule: an edge counts for the rows in [min, max) of its end rows, so a
        // vertex on the row is counted once for the two edges that meet there.
        if (r1 <= y) != (r2 <= y) {
            crossings.push((num, den));
        }
    }
    crossings.sort_unstable_by(|a, b| a.0.saturating_mul(b.1).cmp(&b.0.saturating_mul(a.1)));
    for pair in crossings.chunks_exact(2) {
        let (from, to) = (
            ceil_div(pair[0].0, pair[0].1),
            floor_div(pair[1].0, pair[1].1),
        );
        if from <= to {
            spans.push((from as i64, to as i64));
        }
    }
    merge(spans)
}

/// For every row of a `rows` × `columns` image, the 0-based visible spans: the intersection of
/// every shape's spans, clipped to the image.
fn visible_spans(shapes: &[ShutterShape], rows: u16, columns: u16) -> Vec<Vec<(u16, u16)>> {
    let last = i64::from(columns);
    (1..=i64::from(rows))
        .map(|row| {
            let mut visible = vec![(1, last)];
            for shape in shapes {
                if visible.is_empty() {
                    break;
                }
                visible = intersect(&visible, &shape.spans(row));
            }
            // Within 1..=columns after the intersection, so 0-based values fit a u16.
            visible
                .into_iter()
                .map(|(a, b)| (a.saturating_sub(1) as u16, b.saturating_sub(1) as u16))
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use dicom_core::{DataElement, PrimitiveValue, VR};

    /// The shutter and the notes reading it gives.
    fn read(
        o: &InMemDicomObject,
        rows: u16,
        columns: u16,
    ) -> (Option<DisplayShutter>, Vec<DisplayNote>) {
        let mut notes = Vec::new();
        let shutter = DisplayShutter::read(o, rows, columns, &mut notes);
        (shutter, notes)
    }

    fn obj(elements: &[(Tag, VR, &str)]) -> InMemDicomObject {
        let mut o = InMemDicomObject::new_empty();
        for &(tag, vr, value) in elements {
            let values = value.split('\\').map(String::from).collect();
            o.put(DataElement::new(tag, vr, PrimitiveValue::Strs(values)));
        }
        o
    }

    fn rect(left: &str, right: &str, upper: &str, lower: &str) -> Vec<(Tag, VR, &'static str)> {
        let leak = |s: &str| -> &'static str { Box::leak(s.to_string().into_boxed_str()) };
        vec![
            (tags::SHUTTER_SHAPE, VR::CS, "RECTANGULAR"),
            (tags::SHUTTER_LEFT_VERTICAL_EDGE, VR::IS, leak(left)),
            (tags::SHUTTER_RIGHT_VERTICAL_EDGE, VR::IS, leak(right)),
            (tags::SHUTTER_UPPER_HORIZONTAL_EDGE, VR::IS, leak(upper)),
            (tags::SHUTTER_LOWER_HORIZONTAL_EDGE, VR::IS, leak(lower)),
        ]
    }

    /// The visible pixels as a picture: `#` shown, `.` hidden.
    fn picture(shutter: &DisplayShutter, rows: u32, columns: u32) -> Vec<String> {
        (0..rows)
            .map(|r| {
                (0..columns)
                    .map(|c| if shutter.is_visible(r, c) { '#' } else { '.' })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn rectangle_edges_are_inside_and_one_based() {
        let (s, issues) = read(&obj(&rect("2", "4", "2", "3")), 4, 5);
        assert!(issues.is_empty());
        let s = s.unwrap();
        assert_eq!(picture(&s, 4, 5), [".....", ".###.", ".###.", "....."]);
        assert_eq!(s.hidden_pixels, 20 - 6);
    }

    #[test]
    fn circle_includes_pixels_on_the_circle() {
        let o = obj(&[
            (tags::SHUTTER_SHAPE, VR::CS, "CIRCULAR"),
            (tags::CENTER_OF_CIRCULAR_SHUTTER, VR::IS, "3\\4"),
            (tags::RADIUS_OF_CIRCULAR_SHUTTER, VR::IS, "2"),
        ]);
        let s = read(&o, 5, 7).0.unwrap();
        // Row 1 and 5 (dy = ±2): only the centre column (distance exactly 2).
        // Row 2 and 4 (dy = ±1): 4 − 1 = 3, ⌊√3⌋ = 1 → columns 3..5.
        assert_eq!(
            picture(&s, 5, 7),
            ["...#...", "..###..", ".#####.", "..###..", "...#..."]
        );
    }

    #[test]
    fn polygon_uses_even_odd_inside_and_its_edges() {
        // A right triangle (row, column): (1,1), (5,1), (5,5): the diagonal's pixels are on it.
        let o = obj(&[
            (tags::SHUTTER_SHAPE, VR::CS, "POLYGONAL"),
            (
                tags::VERTICES_OF_THE_POLYGONAL_SHUTTER,
                VR::IS,
                "1\\1\\5\\1\\5\\5",
            ),
        ]);
        let s = read(&o, 6, 6).0.unwrap();
        assert_eq!(
            picture(&s, 6, 6),
            ["#.....", "##....", "###...", "####..", "#####.", "......"]
        );
        // A concave "U" (two prongs): the notch between them is hidden.
        let o = obj(&[
            (tags::SHUTTER_SHAPE, VR::CS, "POLYGONAL"),
            (
                tags::VERTICES_OF_THE_POLYGONAL_SHUTTER,
                VR::IS,
                "1\\1\\5\\1\\5\\7\\1\\7\\1\\5\\3\\5\\3\\3\\1\\3",
            ),
        ]);
        let s = read(&o, 5, 8).0.unwrap();
        assert_eq!(
            picture(&s, 5, 8),
            ["###.###.", "###.###.", "#######.", "#######.", "#######."]
        );
    }

    #[test]
    fn polygon_with_a_rectangle_s_corners_equals_the_rectangle() {
        let rectangle = read(&obj(&rect("3", "17", "2", "9")), 12, 20).0;
        let polygon = obj(&[
            (tags::SHUTTER_SHAPE, VR::CS, "POLYGONAL"),
            (
                tags::VERTICES_OF_THE_POLYGONAL_SHUTTER,
                VR::IS,
                "2\\3\\2\\17\\9\\17\\9\\3",
            ),
        ]);
        let polygon = read(&polygon, 12, 20).0;
        assert_eq!(
            picture(&rectangle.unwrap(), 12, 20),
            picture(&polygon.unwrap(), 12, 20)
        );
    }

    #[test]
    fn shapes_combine_to_the_least_visible_area() {
        let mut e = rect("1", "3", "1", "5");
        e[0].2 = "RECTANGULAR\\CIRCULAR";
        e.push((tags::CENTER_OF_CIRCULAR_SHUTTER, VR::IS, "3\\3"));
        e.push((tags::RADIUS_OF_CIRCULAR_SHUTTER, VR::IS, "2"));
        let s = read(&obj(&e), 5, 5).0.unwrap();
        assert_eq!(
            picture(&s, 5, 5),
            ["..#..", ".##..", "###..", ".##..", "..#.."]
        );
    }

    #[test]
    fn malformed_shapes_are_ignored_and_reported() {
        let polygon = |v: &'static str| {
            obj(&[
                (tags::SHUTTER_SHAPE, VR::CS, "POLYGONAL"),
                (tags::VERTICES_OF_THE_POLYGONAL_SHUTTER, VR::IS, v),
            ])
        };
        let malformed = |o: InMemDicomObject, kind| {
            let (s, issues) = read(&o, 8, 8);
            assert!(s.is_none());
            assert_eq!(
                issues,
                [DisplayNote::MalformedShutterIgnored { shape: kind }]
            );
        };
        use ShapeKind::*;
        malformed(polygon("1\\1\\5\\1\\5"), Polygonal); // odd number of values
        malformed(polygon("1\\1\\5\\1"), Polygonal); // 2 vertices
        malformed(polygon("1\\1\\5\\x\\5\\5"), Polygonal); // not an integer
        malformed(polygon("1\\1\\5\\1\\5\\9999999999"), Polygonal); // beyond IS
        malformed(obj(&rect("5", "2", "1", "3")), Rectangular); // left > right
        malformed(obj(&rect("1", "2", "4", "3")), Rectangular); // upper > lower
        malformed(obj(&rect("1", "2", "1.5", "3")), Rectangular);
        malformed(obj(&rect("1", "NaN", "1", "3")), Rectangular);
        let mut two = rect("1", "2", "1", "3");
        two[1].2 = "1\\2"; // two left edges
        malformed(obj(&two), Rectangular);
        let circle = |centre: &'static str, radius: &'static str| {
            obj(&[
                (tags::SHUTTER_SHAPE, VR::CS, "CIRCULAR"),
                (tags::CENTER_OF_CIRCULAR_SHUTTER, VR::IS, centre),
                (tags::RADIUS_OF_CIRCULAR_SHUTTER, VR::IS, radius),
            ])
        };
        malformed(circle("3\\3", "0"), Circular);
        malformed(circle("3\\3", "-2"), Circular);
        malformed(circle("3", "2"), Circular);
        malformed(obj(&[(tags::SHUTTER_SHAPE, VR::CS, "CIRCULAR")]), Circular);
        // A malformed shape does not take a valid one with it.
        let mut e = rect("2", "3", "2", "3");
        e[0].2 = "RECTANGULAR\\POLYGONAL";
        e.push((tags::VERTICES_OF_THE_POLYGONAL_SHUTTER, VR::IS, "1\\1\\2"));
        let (s, issues) = read(&obj(&e), 4, 4);
        assert_eq!(
            issues,
            [DisplayNote::MalformedShutterIgnored { shape: Polygonal }]
        );
        assert_eq!(picture(&s.unwrap(), 4, 4), ["....", ".##.", ".##.", "...."]);
    }

    #[test]
    fn bitmap_unknown_and_useless_shutters_are_reported_not_applied() {
        let o = obj(&[(tags::SHUTTER_SHAPE, VR::CS, "BITMAP")]);
        assert_eq!(
            read(&o, 4, 4),
            (None, vec![DisplayNote::BitmapShutterNotApplied])
        );
        let o = obj(&[(tags::SHUTTER_SHAPE, VR::CS, "STAR")]);
        assert_eq!(
            read(&o, 4, 4),
            (None, vec![DisplayNote::UnknownShutterShape])
        );
        // Entirely outside the image: it would hide everything.
        let (s, issues) = read(&obj(&rect("10", "12", "1", "4")), 4, 4);
        assert!(s.is_none());
        assert_eq!(issues, [DisplayNote::ShutterWouldHideImage]);
        // Larger than the image: hides nothing, nothing to apply, nothing to say.
        assert_eq!(
            read(&obj(&rect("-5", "99", "0", "4")), 4, 4),
            (None, vec![])
        );
        assert_eq!(read(&InMemDicomObject::new_empty(), 4, 4), (None, vec![]));
    }

    #[test]
    fn presentation_values_are_display_values() {
        let with_value = |extra: Vec<(Tag, VR, &'static str)>| {
            let mut e = rect("2", "3", "2", "3");
            e.extend(extra);
            read(&obj(&e), 4, 4)
        };
        let (s, _) = with_value(vec![]);
        assert_eq!(
            s.unwrap().value,
            ShutterValue {
                grey: 0,
                rgb: [0; 3]
            }
        );
        let (s, _) = with_value(vec![(tags::SHUTTER_PRESENTATION_VALUE, VR::US, "65535")]);
        assert_eq!(s.unwrap().value.rgb, [255; 3]);
        let (s, _) = with_value(vec![(tags::SHUTTER_PRESENTATION_VALUE, VR::US, "32768")]);
        assert_eq!(s.unwrap().value.grey, 128);
        let (s, _) = with_value(vec![
            (tags::SHUTTER_PRESENTATION_VALUE, VR::US, "0"),
            // sRGB red is L* 53.24, a* 80.09, b* 67.20 (D65); in the D50 PCS about 54.29,
            // 80.80, 69.89: 54.29 × 655.35, (80.80 + 128) × 257, (69.89 + 128) × 257.
            (
                tags::SHUTTER_PRESENTATION_COLOR_CIE_LAB_VALUE,
                VR::US,
                "35579\\53662\\50858",
            ),
        ]);
        let value = s.unwrap().value;
        assert_eq!(value.grey, 0);
        assert!(
            value.rgb[0] >= 253 && value.rgb[1] <= 3 && value.rgb[2] <= 3,
            "{value:?}"
        );
        let (s, issues) = with_value(vec![(tags::SHUTTER_PRESENTATION_VALUE, VR::US, "-3")]);
        assert_eq!(s.unwrap().value.grey, 0);
        assert_eq!(issues, [DisplayNote::MalformedShutterValue]);
        assert_eq!(cielab_to_srgb([65535, 0x8080, 0x8080]), [255; 3]);
        assert_eq!(cielab_to_srgb([0, 0x8080, 0x8080]), [0; 3]);
    }

    #[test]
    fn apply_fills_hidden_runs_and_any_mask() {
        let (s, _) = read(&obj(&rect("2", "3", "1", "1")), 2, 4);
        let s = s.unwrap();
        let mut frame = RenderedFrame {
            width: 4,
            height: 2,
            channels: 3,
            pixels: vec![9; 24],
            lossy: false,
            notes: Vec::new(),
        };
        let value = ShutterValue {
            grey: 7,
            rgb: [1, 2, 3],
        };
        DisplayShutter { value, ..s.clone() }.apply(&mut frame);
        let row0 = [1, 2, 3, 9, 9, 9, 9, 9, 9, 1, 2, 3];
        assert_eq!(frame.pixels[..12], row0);
        assert_eq!(frame.pixels[12..], [1, 2, 3].repeat(4)[..]);
        let mut grey = RenderedFrame {
            channels: 1,
            pixels: vec![9; 8],
            ..frame
        };
        let replaced = apply_outside(&mut grey, |r, c| r == 1 && c % 2 == 0, value);
        assert_eq!(replaced, 2);
        assert_eq!(grey.pixels, [9, 9, 9, 9, 7, 9, 7, 9]);
    }
}
