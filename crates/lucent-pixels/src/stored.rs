//! A frame's stored values (PS3.5 8.1.1, PS3.3 C.7.6.3.1), as decoded, for the exact comparison
//! of lossless data and for `lucent decode --raw`.
//!
//! Lossless means exact: for a lossless transfer syntax Lucent's decoded samples must equal the
//! reference decoder's decompressed samples (dcmtk's `dcmdjpeg`/`dcmdrle`/`dcmdjpls`/`dcmconv`,
//! GDCM's `gdcmconv --raw`) sample for sample. A render would hide a difference of one stored
//! value under any window wider than 256.
//!
//! Layout ([`StoredValues::le_bytes`]): rows × columns × samples, row-major, samples of a pixel
//! interleaved (colour-by-plane data is interleaved first), little endian. Each integer sample is
//! its stored value: the Bits Stored bits ending at High Bit (so overlay bits in the unused high
//! bits are dropped), sign-extended when Pixel Representation is 1, in a container of Bits
//! Allocated rounded up to 8, 16 or 32 bits (1-bit data: one byte 0/1 per sample; 12-bit packed
//! data: 16 bits). Float Pixel Data and Double Float Pixel Data are written as the IEEE values.
//! The samples are in the colour model the decoder delivers ([`ColorModel`]): JPEG, JPEG-LS and
//! JPEG 2000 colour data as RGB, everything else as stored (YBR_FULL_422: Y1 Y2 Cb Cr per pair
//! of pixels, two samples per pixel).

use crate::codec::{ColorModel, DecodedFrame, FrameBytes, FrameDescription, Samples};
use crate::error::PixelError;
use crate::frames::PixelFile;
use crate::info::ImageInfo;
use std::fmt;
use std::num::NonZeroUsize;

/// One frame's stored values in the documented layout.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredValues {
    /// Rows.
    pub rows: u16,
    /// Columns.
    pub columns: u16,
    /// The colour model of the samples.
    pub color: ColorModel,
    /// Bits per sample in [`StoredValues::le_bytes`]: 8, 16, 32 or 64.
    pub container_bits: u8,
    /// Float samples (IEEE), else integers.
    pub float: bool,
    /// Signed integers (two's complement, sign-extended to the container).
    pub signed: bool,
    bytes: Vec<u8>,
}

fn interleaved_index(
    planar: bool,
    samples_per_pixel: NonZeroUsize,
    pixels: usize,
    i: usize,
) -> usize {
    if planar && samples_per_pixel.get() > 1 {
        // Output sample i is pixel i / spp, component i % spp; by plane it is at c · n + p,
        // below the frame's sample count (i < spp × n): no overflow.
        (i % samples_per_pixel)
            .saturating_mul(pixels)
            .saturating_add(i / samples_per_pixel)
    } else {
        i
    }
}

impl StoredValues {
    /// The stored values of a decoded frame of an image with these pixel attributes.
    pub fn of(info: &ImageInfo, frame: &DecodedFrame) -> StoredValues {
        let spp =
            NonZeroUsize::new(usize::from(info.samples_per_pixel)).unwrap_or(NonZeroUsize::MIN);
        let n = frame.samples.len();
        let pixels = n / spp;
        let at = |i: usize| interleaved_index(frame.planar, spp, pixels, i);
        let stored = u32::from(info.bits_stored.clamp(1, 32));
        // High Bit is a u16 and 1 ≤ stored ≤ 32: the sums and differences below stay in range.
        let shift = u32::from(info.high_bit)
            .saturating_add(1)
            .saturating_sub(stored);
        let mask = if stored >= 32 {
            u32::MAX
        } else {
            (1u32 << stored).saturating_sub(1)
        };
        let value = |raw: u32| -> i64 {
            let v = (raw >> shift.min(31)) & mask;
            if info.signed && stored < 32 && v & (1 << stored.saturating_sub(1)) != 0 {
                i64::from(v).saturating_sub(1i64 << stored)
            } else if info.signed && stored == 32 {
                i64::from(v as i32)
            } else {
                i64::from(v)
            }
        };
        let container_bits: u8 = match info.bits_allocated {
            0..=8 => 8,
            9..=16 => 16,
            _ if matches!(frame.samples, Samples::F64(_)) => 64,
            _ => 32,
        };
        // Samples of a frame in memory times at most 8 bytes: no overflow.
        let mut bytes = Vec::with_capacity(n.saturating_mul(usize::from(container_bits / 8)));
        let mut push_int = |v: i64| match container_bits {
            8 => bytes.push(v as u8),
            16 => bytes.extend_from_slice(&(v as u16).to_le_bytes()),
            _ => bytes.extend_from_slice(&(v as u32).to_le_bytes()),
        };
        let float = match &frame.samples {
            Samples::U8(s) => {
                let s = &s[..];
                (0..n).for_each(|i| push_int(value(u32::from(s[at(i)]))));
                false
            }
            Samples::U16(s) => {
                let s = &s[..];
                (0..n).for_each(|i| push_int(value(u32::from(s[at(i)]))));
                false
            }
            Samples::U32(s) => {
                let s = &s[..];
                (0..n).for_each(|i| push_int(value(s[at(i)])));
                false
            }
            Samples::F32(s) => {
                let s = &s[..];
                (0..n).for_each(|i| bytes.extend_from_slice(&s[at(i)].to_le_bytes()));
                true
            }
            Samples::F64(s) => {
                let s = &s[..];
                (0..n).for_each(|i| bytes.extend_from_slice(&s[at(i)].to_le_bytes()));
                true
            }
        };
        StoredValues {
            rows: frame.rows,
            columns: frame.columns,
            color: frame.color,
            container_bits: if float {
                container_bits.max(32)
            } else {
                container_bits
            },
            float,
            signed: info.signed && !float,
            bytes,
        }
    }

    /// Frame `k` of a file in a native (uncompressed) transfer syntax, read as stored without
    /// going through a decoder: the reference decoder's decompressed output, read back.
    pub fn of_native(file: &PixelFile, k: u32) -> Result<StoredValues, PixelError> {
        Ok(StoredValues::of(&file.info, &read_native_frame(file, k)?))
    }

    /// The samples in the documented layout, little endian.
    pub fn le_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.bytes.len() / self.sample_width()
    }

    /// Bytes per sample (the container).
    fn sample_width(&self) -> NonZeroUsize {
        NonZeroUsize::new(usize::from(self.container_bits / 8)).unwrap_or(NonZeroUsize::MIN)
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Sample `i` as a number (exact: integers of up to 32 bits and floats fit an f64).
    pub fn value(&self, i: usize) -> f64 {
        let width = usize::from(self.container_bits / 8);
        // i < len(): the sample lies inside `bytes`, so its bounds do not overflow.
        let start = i.saturating_mul(width);
        let b = &self.bytes[start..start.saturating_add(width)];
        match (self.container_bits, self.float, self.signed) {
            (8, _, false) => f64::from(b[0]),
            (8, _, true) => f64::from(b[0] as i8),
            (16, _, false) => f64::from(u16::from_le_bytes([b[0], b[1]])),
            (16, _, true) => f64::from(i16::from_le_bytes([b[0], b[1]])),
            (32, true, _) => f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            (32, false, false) => f64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            (32, false, true) => f64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            _ => f64::from_le_bytes(b.try_into().unwrap_or([0; 8])),
        }
    }
}

/// Frame `k` of a native file as samples, read without a decoder (`None`-free: an encapsulated
/// file is an error). The reference's decompressed output is read this way, so a fault in
/// Lucent's decoders cannot make it agree with itself.
pub fn read_native_frame(file: &PixelFile, k: u32) -> Result<DecodedFrame, PixelError> {
    match file.frame_bytes(k)? {
        FrameBytes::Native { bytes, big_endian } => {
            let image = FrameDescription::of(&file.info);
            Ok(DecodedFrame {
                rows: image.rows,
                columns: image.columns,
                samples: crate::codec::samples_from_le_or_be(bytes, &image, big_endian)?,
                color: crate::codec::color_of(&image, false)?,
                planar: image.planar,
            })
        }
        FrameBytes::Encapsulated(_) => Err(PixelError::UnsupportedTransferSyntax(format!(
            "{}: not a native transfer syntax",
            file.info.transfer_syntax
        ))),
    }
}

/// Where two frames' stored values first differ, and how many differ.
#[derive(Debug, Clone, PartialEq)]
pub enum StoredDifference {
    /// Another geometry, sample count or colour model: not comparable sample by sample.
    Layout(String),
    /// `count` samples differ; the first at pixel (`x`, `y`), sample `sample` of the pixel.
    Values {
        /// Number of differing samples.
        count: usize,
        /// Of this many.
        of: usize,
        /// Column of the first.
        x: usize,
        /// Row of the first.
        y: usize,
        /// Sample of the pixel.
        sample: usize,
        /// Lucent's value there.
        actual: f64,
        /// The reference's value there.
        expected: f64,
    },
}

impl fmt::Display for StoredDifference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoredDifference::Layout(why) => write!(f, "stored values not comparable: {why}"),
            StoredDifference::Values {
                count,
                of,
                x,
                y,
                sample,
                actual,
                expected,
            } => write!(
                f,
                "{count} of {of} stored values differ; the first at x {x}, y {y}, sample {sample}: {actual} against the reference's {expected}"
            ),
        }
    }
}

/// `Ok` when `actual` equals `expected` sample for sample (whatever the containers).
pub fn compare_exact(
    actual: &StoredValues,
    expected: &StoredValues,
) -> Result<(), StoredDifference> {
    let shape = |s: &StoredValues| (s.rows, s.columns, s.len(), s.color);
    if shape(actual) != shape(expected) {
        return Err(StoredDifference::Layout(format!(
            "{:?} against the reference's {:?} (rows, columns, samples, colour model)",
            shape(actual),
            shape(expected)
        )));
    }
    let n = actual.len();
    // Two 16-bit factors: the product fits a usize.
    let pixels = usize::from(actual.rows).saturating_mul(usize::from(actual.columns));
    let per_pixel = n / NonZeroUsize::new(pixels).unwrap_or(NonZeroUsize::MIN);
    let same = |a: f64, b: f64| a == b || (a.is_nan() && b.is_nan());
    let mut first = None;
    let mut count = 0usize;
    for i in 0..n {
        let (a, b) = (actual.value(i), expected.value(i));
        if !same(a, b) {
            // At most n: no overflow.
            count = count.saturating_add(1);
            first.get_or_insert((i, a, b));
        }
    }
    match first {
        None => Ok(()),
        Some((i, a, b)) => {
            let per_pixel = NonZeroUsize::new(per_pixel).unwrap_or(NonZeroUsize::MIN);
            let pixel = i / per_pixel;
            let columns =
                NonZeroUsize::new(usize::from(actual.columns)).unwrap_or(NonZeroUsize::MIN);
            Err(StoredDifference::Values {
                count,
                of: n,
                x: pixel % columns,
                y: pixel / columns,
                sample: i % per_pixel,
                actual: a,
                expected: b,
            })
        }
    }
}

/// Whether a transfer syntax is lossless, so that its stored values must be exact: the native
/// syntaxes, Deflated, RLE, JPEG Lossless (Process 14, SV1), JPEG-LS Lossless, JPEG 2000 Lossless
/// Only, HTJ2K Lossless and Lossless RPCL, Deflated Image Frame Compression (PS3.5 A.4, A.5).
pub fn is_lossless_transfer_syntax(uid: &str) -> bool {
    matches!(
        uid,
        "1.2.840.10008.1.2"
            | "1.2.840.10008.1.2.1"
            | "1.2.840.10008.1.2.1.99"
            | "1.2.840.10008.1.2.2"
            | "1.2.840.10008.1.2.5"
            | "1.2.840.10008.1.2.4.57"
            | "1.2.840.10008.1.2.4.70"
            | "1.2.840.10008.1.2.4.80"
            | "1.2.840.10008.1.2.4.90"
            | "1.2.840.10008.1.2.4.201"
            | "1.2.840.10008.1.2.4.202"
            | "1.2.840.10008.1.2.8.1"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::SampleBuf;

    fn frame(samples: Samples, planar: bool, color: ColorModel) -> DecodedFrame {
        DecodedFrame {
            rows: 1,
            columns: 2,
            samples,
            color,
            planar,
        }
    }

    #[test]
    fn stored_values_drop_overlay_bits_and_extend_the_sign() {
        let mut info = crate::test_info();
        info.rows = 1;
        (info.bits_stored, info.high_bit, info.signed) = (12, 11, true);
        // 0xF800 | 0x0800: an overlay bit in bit 15 and the 12-bit value -2048; 0x07FF = 2047.
        let f = frame(
            Samples::U16(SampleBuf::Heap(vec![0x8800, 0x07FF])),
            false,
            ColorModel::Monochrome,
        );
        let s = StoredValues::of(&info, &f);
        assert_eq!((s.value(0), s.value(1)), (-2048.0, 2047.0));
        assert_eq!(s.le_bytes(), &[0x00, 0xF8, 0xFF, 0x07]);
    }

    #[test]
    fn planar_colour_is_interleaved_and_one_changed_value_is_found() {
        let mut info = crate::test_info();
        (info.rows, info.samples_per_pixel, info.bits_allocated) = (1, 3, 8);
        (info.bits_stored, info.high_bit) = (8, 7);
        let by_plane = frame(
            Samples::U8(SampleBuf::Heap(vec![1, 2, 3, 4, 5, 6])),
            true,
            ColorModel::Rgb,
        );
        let by_pixel = frame(
            Samples::U8(SampleBuf::Heap(vec![1, 3, 5, 2, 4, 6])),
            false,
            ColorModel::Rgb,
        );
        let (a, b) = (
            StoredValues::of(&info, &by_plane),
            StoredValues::of(&info, &by_pixel),
        );
        assert_eq!(compare_exact(&a, &b), Ok(()));
        let changed = frame(
            Samples::U8(SampleBuf::Heap(vec![1, 3, 5, 2, 4, 7])),
            false,
            ColorModel::Rgb,
        );
        let c = StoredValues::of(&info, &changed);
        match compare_exact(&c, &a) {
            Err(StoredDifference::Values {
                count: 1,
                x: 1,
                y: 0,
                sample: 2,
                ..
            }) => {}
            other => panic!("{other:?}"),
        }
        let ybr = frame(
            Samples::U8(SampleBuf::Heap(vec![1, 3, 5, 2, 4, 6])),
            false,
            ColorModel::YbrFull,
        );
        assert!(matches!(
            compare_exact(&StoredValues::of(&info, &ybr), &a),
            Err(StoredDifference::Layout(_))
        ));
    }
}
