//! Native pixel data (PS3.5 8.1.1, 8.2; A.1–A.3): the stored bytes reinterpreted in the byte
//! order of the transfer syntax, and Encapsulated Uncompressed Explicit VR Little Endian (PS3.5
//! A.4.11), whose fragments are native frames. Also the packed layouts (1-bit, ACR-NEMA 12-bit)
//! and the size of a native frame, shared with the file reader.

use super::samples::{color_of, samples_from_le_or_be};
use super::{DecodedFrame, FrameBytes, FrameDecoder, FrameDescription};
use crate::error::PixelError;
use crate::info::Photometric;
use crate::safe_math;
use lucent_index::header::transfer_syntax;

/// What [`Native`] is called in messages.
pub(super) const NAME: &str = "native byte order";

/// Transfer syntaxes whose pixel data is native (not encapsulated).
pub(crate) const NATIVE_SYNTAXES: &[&str] = &[
    transfer_syntax::IMPLICIT_VR_LITTLE_ENDIAN,
    transfer_syntax::EXPLICIT_VR_LITTLE_ENDIAN,
    transfer_syntax::EXPLICIT_VR_BIG_ENDIAN,
    transfer_syntax::DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
];

/// Native frames, and the native frames of Encapsulated Uncompressed.
pub(super) struct Native;

impl FrameDecoder for Native {
    fn name(&self) -> &'static str {
        NAME
    }

    fn decode(
        &self,
        image: &FrameDescription,
        frame: u32,
        encoded: FrameBytes,
    ) -> Result<DecodedFrame, PixelError> {
        match encoded {
            FrameBytes::Native { bytes, big_endian } => Ok(DecodedFrame {
                rows: image.rows,
                columns: image.columns,
                samples: samples_from_le_or_be(bytes, image, big_endian)?,
                color: color_of(image, false)?,
                planar: image.planar,
            }),
            FrameBytes::Encapsulated(data) => {
                let expected = image.native_frame_bytes()?;
                from_native_stream(image, frame, data, expected)
            }
        }
    }
}

/// A frame's native little-endian bytes as they come out of an encapsulated fragment or a
/// deflate stream (PS3.5 A.4.11): at least `expected` bytes (the rest, such as the fragment's
/// padding to even length, ignored), 1- and 12-bit data unpacked like native Pixel Data.
pub(super) fn from_native_stream(
    image: &FrameDescription,
    frame: u32,
    mut native: Vec<u8>,
    expected: u64,
) -> Result<DecodedFrame, PixelError> {
    if (native.len() as u64) < expected {
        return Err(PixelError::Truncated(format!(
            "frame {frame}: {} of {expected} bytes",
            native.len()
        )));
    }
    native.truncate(safe_math::to_usize(expected)?);
    let count = safe_math::mul(
        safe_math::frame_pixels(image.rows, image.columns)?,
        u64::from(image.samples_per_pixel),
        "pixels × samples",
    )?;
    let native = match image.bits_allocated {
        1 => unpack_bits(&native, 0, count),
        12 => unpack_12_bit(&native, 0, count),
        _ => native,
    };
    Ok(DecodedFrame {
        rows: image.rows,
        columns: image.columns,
        samples: samples_from_le_or_be(native, image, false)?,
        color: color_of(image, false)?,
        planar: image.planar,
    })
}

/// Bytes of one native frame, checked and capped. YBR_FULL_422 stores two samples per pixel
/// (PS3.3 C.7.6.3.1.2), so its columns must be even.
pub(crate) fn stored_frame_bytes(
    photometric: Photometric,
    rows: u16,
    columns: u16,
    samples_per_pixel: u16,
    bits_allocated: u16,
) -> Result<u64, PixelError> {
    if photometric == Photometric::YbrFull422 && samples_per_pixel == 3 {
        if columns % 2 == 1 {
            return Err(PixelError::InvalidAttributes(
                "YBR_FULL_422 with an odd number of columns".into(),
            ));
        }
        return safe_math::native_frame_bytes(rows, columns, 2, bits_allocated);
    }
    safe_math::native_frame_bytes(rows, columns, samples_per_pixel, bits_allocated)
}

/// Bits Allocated 12 (ACR-NEMA 2.0 packing, still met in old files): the samples are a
/// little-endian bit stream over the 16-bit words of Pixel Data — sample i is bits 12·i …
/// 12·i + 11, least significant first, so two samples fill three bytes. This is how dcmtk
/// unpacks it (`DiInputPixelTemplate`, the case of Bits Allocated not a multiple of the word
/// size); `packed` holds the words in little-endian order. Returns each sample as two
/// little-endian bytes; samples past the end of `packed` are 0 (the caller checked the length).
pub(crate) fn unpack_12_bit(packed: &[u8], first_bit: u64, count: u64) -> Vec<u8> {
    // Bit positions lie inside a Pixel Data value of a file (below 2^64 / 8 bytes): the
    // saturating additions and multiplications never saturate.
    let bit = |i: u64| -> u16 {
        packed
            .get((i / 8) as usize)
            .map_or(0, |b| u16::from((b >> (i % 8)) & 1))
    };
    (0..count)
        .flat_map(|s| {
            let start = first_bit.saturating_add(s.saturating_mul(12));
            let value = (0..12).fold(0u16, |v, j| v | bit(start.saturating_add(j)) << j);
            value.to_le_bytes()
        })
        .collect()
}

/// 1-bit pixels: the first pixel is the least significant bit of the first byte (PS3.5 8.1.1).
pub(crate) fn unpack_bits(packed: &[u8], first_bit: u64, count: u64) -> Vec<u8> {
    (0..count)
        .map(|i| {
            // A bit position inside a Pixel Data value: never near u64::MAX.
            let bit = first_bit.saturating_add(i);
            packed
                .get((bit / 8) as usize)
                .map(|b| (b >> (bit % 8)) & 1)
                .unwrap_or(0)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{ENCAPSULATED_UNCOMPRESSED, Samples};

    /// 2 × 2, one 16-bit sample per pixel.
    fn image() -> FrameDescription {
        FrameDescription::of(&crate::test_info())
    }

    #[test]
    fn native_bytes_follow_the_byte_order_of_the_syntax() {
        let bytes = vec![0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xDE, 0xF0];
        let decode = |big_endian| {
            let frame = Native
                .decode(
                    &image(),
                    0,
                    FrameBytes::Native {
                        bytes: bytes.clone(),
                        big_endian,
                    },
                )
                .unwrap();
            match frame.samples {
                Samples::U16(s) => s.to_vec(),
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(decode(false), [0x3412, 0x7856, 0xBC9A, 0xF0DE]);
        assert_eq!(decode(true), [0x1234, 0x5678, 0x9ABC, 0xDEF0]);
    }

    #[test]
    fn an_encapsulated_uncompressed_fragment_is_cut_to_the_frame_and_must_hold_it() {
        let mut image = image();
        image.transfer_syntax = ENCAPSULATED_UNCOMPRESSED.into();
        // The frame (8 bytes) and two more, e.g. padding: ignored.
        let fragment = vec![1, 0, 2, 0, 3, 0, 4, 0, 9, 9];
        let frame = Native
            .decode(&image, 0, FrameBytes::Encapsulated(fragment))
            .unwrap();
        assert_eq!(frame.samples, Samples::U16(vec![1, 2, 3, 4].into()));
        let err = Native
            .decode(&image, 5, FrameBytes::Encapsulated(vec![1, 0, 2]))
            .unwrap_err();
        assert!(
            matches!(&err, PixelError::Truncated(m) if m == "frame 5: 3 of 8 bytes"),
            "{err}"
        );
    }

    #[test]
    fn packed_bits_unpack_least_significant_first() {
        assert_eq!(
            unpack_bits(&[0b0000_0101, 0b1], 0, 10),
            [1, 0, 1, 0, 0, 0, 0, 0, 1, 0]
        );
        assert_eq!(unpack_bits(&[0b0000_0101], 2, 3), [1, 0, 0]);
        // Two 12-bit samples in three bytes: 0xABC then 0x123.
        assert_eq!(
            unpack_12_bit(&[0xBC, 0x3A, 0x12], 0, 2),
            [0xBC, 0x0A, 0x23, 0x01]
        );
    }
}
