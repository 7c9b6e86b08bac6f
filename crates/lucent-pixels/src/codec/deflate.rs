//! Deflated Image Frame Compression (PS3.5 A.4.11, 1.2.840.10008.1.2.8.1): each frame is a raw
//! deflate stream (RFC 1951) of the native little-endian frame, inflated with flate2 and never
//! past the frame's size plus one byte (a deflate bomb stops there).

use super::native::from_native_stream;
use super::{DecodedFrame, FrameBytes, FrameDecoder, FrameDescription, decode_error};
use crate::error::PixelError;
use std::io::Read;

/// What [`DeflatedImageFrame`] is called in messages.
pub(super) const NAME: &str = "deflate (flate2)";

/// Deflated Image Frame Compression.
pub(super) struct DeflatedImageFrame;

impl FrameDecoder for DeflatedImageFrame {
    fn name(&self) -> &'static str {
        NAME
    }

    fn decode(
        &self,
        image: &FrameDescription,
        frame: u32,
        encoded: FrameBytes,
    ) -> Result<DecodedFrame, PixelError> {
        let data = encoded.into_codestream(image)?;
        let expected = image.native_frame_bytes()?;
        let mut native = Vec::new();
        flate2::read::DeflateDecoder::new(data.as_slice())
            // One byte more than the frame tells a longer stream from an exact one; the frame
            // size is capped (safe_math), so this cannot overflow.
            .take(expected.saturating_add(1))
            .read_to_end(&mut native)
            .map_err(|e| decode_error(image, frame, e.to_string()))?;
        from_native_stream(image, frame, native, expected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::Samples;
    use std::io::Write;

    fn deflated(bytes: &[u8]) -> Vec<u8> {
        let mut encoder =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn a_deflated_frame_inflates_to_its_samples_and_no_further() {
        let mut image = FrameDescription::of(&crate::test_info()); // 2 × 2 × 16 bits
        image.transfer_syntax = crate::codec::DEFLATED_IMAGE_FRAME.into();
        let frame = DeflatedImageFrame
            .decode(
                &image,
                0,
                FrameBytes::Encapsulated(deflated(&[1, 0, 2, 0, 3, 0, 4, 0])),
            )
            .unwrap();
        assert_eq!(frame.samples, Samples::U16(vec![1, 2, 3, 4].into()));
        // A stream of a megabyte for an 8-byte frame: read up to 9 bytes, the frame kept.
        let bomb = deflated(&vec![7u8; 1 << 20]);
        let frame = DeflatedImageFrame
            .decode(&image, 0, FrameBytes::Encapsulated(bomb))
            .unwrap();
        assert_eq!(frame.samples, Samples::U16(vec![0x0707; 4].into()));
        // Not a deflate stream: the codec's rejection, with the frame number.
        let err = DeflatedImageFrame
            .decode(&image, 3, FrameBytes::Encapsulated(vec![0xFF; 16]))
            .unwrap_err();
        assert!(matches!(err, PixelError::Decode { frame: 3, .. }), "{err}");
    }
}
