//! Stored values → modality values → 8-bit display values.
//!
//! Modality LUT (PS3.3 C.11.1): Rescale Slope/Intercept, or the Modality LUT Sequence.
//! VOI (PS3.3 C.11.2.1.2): window centre/width with VOI LUT Function LINEAR, LINEAR_EXACT or
//! SIGMOID, or the VOI LUT Sequence, or min–max of the frame's modality values excluding Pixel
//! Padding (PS3.3 C.7.5.1.1.2). MONOCHROME1 is shown with inverted polarity (PS3.3 C.7.6.3.1.2).
//!
//! For stored values of ≤ 16 bits the whole chain is folded into one 8-bit table indexed by the
//! raw masked code (2^BitsStored entries), built once per window; applying it is one lookup per
//! pixel. Sign extension and High Bit shifts live in the table's index → value mapping.

use crate::info::{ImageInfo, LookupTable, VoiFunction, Window};

/// How the stored value of a raw sample is found (PS3.3 C.7.6.3.1: Bits Stored, High Bit,
/// Pixel Representation).
#[derive(Debug, Clone, Copy)]
pub struct StoredValueCodec {
    shift: u32,
    mask: u64,
    bits_stored: u32,
    signed: bool,
}

impl StoredValueCodec {
    /// From the image attributes.
    pub fn new(info: &ImageInfo) -> Self {
        let bits_stored = u32::from(info.bits_stored).clamp(1, 32);
        // High Bit < Bits Allocated ≤ 64 and 1 ≤ bits_stored ≤ 32 (checked in `info`): the
        // additions and subtractions below stay in range.
        StoredValueCodec {
            shift: u32::from(info.high_bit.saturating_add(1)).saturating_sub(bits_stored),
            mask: (1u64 << bits_stored).saturating_sub(1),
            bits_stored,
            signed: info.signed,
        }
    }

    /// The code (masked stored bits) of a raw sample.
    #[inline]
    pub fn code(&self, raw: u64) -> u64 {
        (raw >> self.shift) & self.mask
    }

    /// The stored value of a code, sign-extended for signed data.
    #[inline]
    pub fn value(&self, code: u64) -> i64 {
        // code < 2^bits_stored ≤ 2^32 and bits_stored ≥ 1: no overflow.
        if self.signed && code >> self.bits_stored.saturating_sub(1) & 1 == 1 {
            (code as i64).saturating_sub(1i64 << self.bits_stored)
        } else {
            code as i64
        }
    }

    /// Number of distinct codes (table size), when small enough for a table.
    pub fn table_len(&self) -> Option<usize> {
        (self.bits_stored <= 16).then(|| 1usize << self.bits_stored)
    }
}

/// The modality transform (PS3.3 C.11.1).
#[derive(Debug, Clone)]
pub enum ModalityTransform {
    /// `value × slope + intercept`.
    Rescale {
        /// Rescale Slope.
        slope: f64,
        /// Rescale Intercept.
        intercept: f64,
    },
    /// Modality LUT Sequence.
    Table(LookupTable),
}

impl ModalityTransform {
    /// From the image attributes.
    pub fn new(info: &ImageInfo) -> Self {
        match &info.modality_lut {
            Some(t) => ModalityTransform::Table(t.clone()),
            None => ModalityTransform::Rescale {
                slope: info.rescale.0,
                intercept: info.rescale.1,
            },
        }
    }

    /// The modality value of a stored value.
    #[inline]
    pub fn apply(&self, stored: f64) -> f64 {
        match self {
            ModalityTransform::Rescale { slope, intercept } => stored * slope + intercept,
            ModalityTransform::Table(t) => f64::from(t.lookup(stored.round() as i64)),
        }
    }
}

/// The VOI transform to [0, 255] (PS3.3 C.11.2.1.2), before any MONOCHROME1 inversion.
#[derive(Debug, Clone)]
pub enum VoiTransform {
    /// A window with its function.
    Window(Window),
    /// VOI LUT Sequence.
    Table(LookupTable),
}

const Y_MAX: f64 = 255.0;

impl VoiTransform {
    /// The display value in [0, 255] of a modality value.
    #[inline]
    pub fn apply(&self, x: f64) -> f64 {
        match self {
            VoiTransform::Window(w) => window_value(w, x),
            VoiTransform::Table(t) => {
                f64::from(t.lookup(x.floor() as i64)) * Y_MAX / f64::from(t.max_output())
            }
        }
    }
}

/// PS3.3 C.11.2.1.2.1 (LINEAR), C.11.2.1.3.2 (LINEAR_EXACT), C.11.2.1.3.1 (SIGMOID), with
/// y_min = 0 and y_max = 255.
pub fn window_value(w: &Window, x: f64) -> f64 {
    let (c, width) = (w.center, w.width);
    match w.function {
        VoiFunction::Linear => {
            // Width < 1 is not valid for LINEAR: `render::resolve_voi` applies such a window as
            // LINEAR_EXACT (and says so); the clamp only keeps a direct call finite.
            let width = width.max(1.0);
            if x <= c - 0.5 - (width - 1.0) / 2.0 {
                0.0
            } else if x > c - 0.5 + (width - 1.0) / 2.0 || width <= 1.0 {
                Y_MAX
            } else {
                ((x - (c - 0.5)) / (width - 1.0) + 0.5) * Y_MAX
            }
        }
        VoiFunction::LinearExact => {
            if x <= c - width / 2.0 {
                0.0
            } else if x > c + width / 2.0 {
                Y_MAX
            } else {
                ((x - c) / width + 0.5) * Y_MAX
            }
        }
        VoiFunction::Sigmoid => Y_MAX / (1.0 + (-4.0 * (x - c) / width).exp()),
    }
}

/// Rounds a display value to 8 bits, inverting for MONOCHROME1.
#[inline]
pub fn to_u8(y: f64, invert: bool) -> u8 {
    let v = y.round().clamp(0.0, Y_MAX) as u8;
    // 255 − v, which for a u8 is its complement.
    if invert { !v } else { v }
}

/// The folded stored-code → 8-bit table for ≤ 16-bit data, built once per window.
#[derive(Debug, Clone)]
pub struct DisplayTable {
    table: Vec<u8>,
    codec: StoredValueCodec,
}

impl DisplayTable {
    /// Builds the table (2^BitsStored entries).
    pub fn build(
        info: &ImageInfo,
        modality: &ModalityTransform,
        voi: &VoiTransform,
        invert: bool,
    ) -> Option<Self> {
        let codec = StoredValueCodec::new(info);
        let len = codec.table_len()?;
        let table = (0..len as u64)
            .map(|code| to_u8(voi.apply(modality.apply(codec.value(code) as f64)), invert))
            .collect();
        Some(DisplayTable { table, codec })
    }

    /// The display value of a raw sample.
    #[inline]
    pub fn get(&self, raw: u64) -> u8 {
        self.table[self.codec.code(raw) as usize]
    }

    /// Maps 16-bit raw samples (the hot path: one shift, one mask, one load per pixel).
    pub fn map_u16(&self, raw: &[u16], out: &mut Vec<u8>) {
        out.clear();
        out.extend(
            raw.iter()
                .map(|&r| self.table[self.codec.code(u64::from(r)) as usize]),
        );
    }

    /// Maps 8-bit raw samples.
    pub fn map_u8(&self, raw: &[u8], out: &mut Vec<u8>) {
        out.clear();
        out.extend(
            raw.iter()
                .map(|&r| self.table[self.codec.code(u64::from(r)) as usize]),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(center: f64, width: f64, function: VoiFunction) -> Window {
        Window {
            center,
            width,
            function,
        }
    }

    /// Hand-computed from the PS3.3 C.11.2.1.2.1 formula.
    #[test]
    fn linear_window_matches_the_standard() {
        let win = w(40.0, 400.0, VoiFunction::Linear);
        // Lower edge: c - 0.5 - (w-1)/2 = -160.0 → 0; upper edge: 239.0 → 255 above.
        assert_eq!(window_value(&win, -160.0), 0.0);
        assert_eq!(window_value(&win, 240.0), 255.0);
        // At the centre: ((40 - 39.5)/399 + 0.5) * 255 = 127.8195...
        assert!((window_value(&win, 40.0) - 127.819_548_872).abs() < 1e-6);
        assert_eq!(to_u8(window_value(&win, 40.0), false), 128);
        assert_eq!(
            to_u8(window_value(&win, 40.0), true),
            127,
            "MONOCHROME1 inverts"
        );
    }

    #[test]
    fn linear_exact_and_sigmoid_match_the_standard() {
        let exact = w(0.0, 100.0, VoiFunction::LinearExact);
        assert_eq!(window_value(&exact, -50.0), 0.0);
        assert_eq!(window_value(&exact, 0.0), 127.5);
        assert_eq!(window_value(&exact, 25.0), 191.25);
        assert_eq!(window_value(&exact, 50.1), 255.0);
        let sigmoid = w(0.0, 100.0, VoiFunction::Sigmoid);
        assert_eq!(window_value(&sigmoid, 0.0), 127.5);
        // 255 / (1 + e^-2) = 224.6032...
        assert!((window_value(&sigmoid, 50.0) - 224.603_255).abs() < 1e-5);
    }

    #[test]
    fn stored_values_are_sign_extended_and_shifted() {
        let mut info = crate::test_info();
        info.bits_allocated = 16;
        info.bits_stored = 12;
        info.high_bit = 11;
        info.signed = true;
        let codec = StoredValueCodec::new(&info);
        assert_eq!(codec.value(codec.code(0x0FFF)), -1);
        assert_eq!(
            codec.value(codec.code(0xF000)),
            0,
            "bits above High Bit are ignored"
        );
        assert_eq!(codec.value(codec.code(0x0800)), -2048);
        assert_eq!(codec.value(codec.code(0x07FF)), 2047);
        info.high_bit = 15; // stored bits in the top of the word
        let codec = StoredValueCodec::new(&info);
        assert_eq!(codec.value(codec.code(0xFFF0)), -1);
    }

    #[test]
    fn modality_lut_table_and_voi_lut_table() {
        let table = LookupTable {
            first_mapped: -2,
            bits: 12,
            data: vec![0, 100, 4095],
        };
        let m = ModalityTransform::Table(table.clone());
        assert_eq!(m.apply(-5.0), 0.0, "below the first entry clamps");
        assert_eq!(m.apply(-1.0), 100.0);
        assert_eq!(m.apply(7.0), 4095.0, "above the last entry clamps");
        let voi = VoiTransform::Table(LookupTable {
            first_mapped: 0,
            bits: 8,
            data: vec![0, 128, 255],
        });
        assert_eq!(voi.apply(1.0), 128.0);
        assert_eq!(voi.apply(9.0), 255.0);
        let rescale = ModalityTransform::Rescale {
            slope: 2.0,
            intercept: -1024.0,
        };
        assert_eq!(rescale.apply(600.0), 176.0);
    }

    #[test]
    fn display_table_folds_the_chain() {
        let mut info = crate::test_info();
        info.bits_stored = 16;
        info.high_bit = 15;
        info.signed = true;
        let m = ModalityTransform::Rescale {
            slope: 1.0,
            intercept: -1024.0,
        };
        let v = VoiTransform::Window(w(40.0, 400.0, VoiFunction::Linear));
        let t = DisplayTable::build(&info, &m, &v, false).unwrap();
        // Stored 1064 → HU 40 → 128; stored -2000 (0xF830) → HU -3024 → 0.
        assert_eq!(t.get(1064), 128);
        assert_eq!(t.get(0xF830), 0);
        assert_eq!(t.get(3000), 255);
    }
}
