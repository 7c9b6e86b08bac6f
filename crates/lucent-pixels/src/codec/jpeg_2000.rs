//! JPEG 2000 and HTJ2K (PS3.5 A.4.4, A.4.6, A.4.10; ISO/IEC 15444-1 and -15) through OpenJPEG
//! 2.5, by the registry's adapter. The codestream's SIZ marker is checked against Rows × Columns
//! before OpenJPEG sees it; 1-bit data (a component of precision 1, e.g. segmentations) comes out
//! one byte 0/1 per sample, like native 1-bit frames.

use super::adapter::{AdapterRules, codec_output, decode_with_registry};
use super::{
    DecodedFrame, FrameBytes, FrameDecoder, FrameDescription, check_codestream_size, decode_error,
};
use crate::error::PixelError;

/// What [`Jpeg2000`] is called in messages.
pub(super) const NAME: &str = "JPEG 2000 (OpenJPEG)";

/// JPEG 2000 and HTJ2K frames.
pub(super) struct Jpeg2000;

impl FrameDecoder for Jpeg2000 {
    fn name(&self) -> &'static str {
        NAME
    }

    fn decode(
        &self,
        image: &FrameDescription,
        frame: u32,
        encoded: FrameBytes,
    ) -> Result<DecodedFrame, PixelError> {
        let rules = AdapterRules {
            one_bit_as_bytes: true,
            check: check_codestream,
            retry: None,
        };
        let data = encoded.into_codestream(image)?;
        let decoded = decode_with_registry(image, frame, data, &rules)?;
        codec_output(image, decoded, false)
    }
}

pub(super) fn is_jpeg_2000(ts: &str) -> bool {
    ts.starts_with("1.2.840.10008.1.2.4.9") || ts.starts_with("1.2.840.10008.1.2.4.20")
}

/// The SIZ size against the header, and for Bits Allocated 1 a precision of 1 bit.
fn check_codestream(image: &FrameDescription, frame: u32, data: &[u8]) -> Result<(), PixelError> {
    check_codestream_size(image, frame, j2k_size(data))?;
    if image.bits_allocated == 1 && j2k_precision(data).is_some_and(|p| p != 1) {
        return Err(decode_error(
            image,
            frame,
            "Bits Allocated 1, but the codestream's precision is not 1 bit".into(),
        ));
    }
    Ok(())
}

/// Width and height from a JPEG 2000 SIZ marker segment (ISO/IEC 15444-1 A.5.1), in a raw
/// codestream or inside a JP2 file.
fn j2k_size(data: &[u8]) -> Option<(u32, u32)> {
    let siz = j2k_siz(data)?;
    // Xsiz, Ysiz, XOsiz, YOsiz: four big-endian u32 after Lsiz (2 bytes) and Rsiz (2 bytes).
    let mut words = siz
        .get(4..20)?
        .chunks_exact(4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
    let (x, y, xo, yo) = (words.next()?, words.next()?, words.next()?, words.next()?);
    Some((x.checked_sub(xo)?, y.checked_sub(yo)?))
}

/// The SIZ marker segment after SOC (ISO/IEC 15444-1 A.5.1), from Lsiz to the first
/// component's Ssiz (39 bytes).
fn j2k_siz(data: &[u8]) -> Option<&[u8]> {
    let start = data
        .windows(4)
        .take(64 * 1024)
        .position(|w| w == [0xFF, 0x4F, 0xFF, 0x51])?;
    // After the SOC and SIZ markers (4 bytes), the 39 bytes up to the first Ssiz.
    data.get(start..)?.get(4..43)
}

/// The precision in bits of the first component (ISO/IEC 15444-1 A.5.1: Ssiz low 7 bits + 1).
fn j2k_precision(data: &[u8]) -> Option<u8> {
    // A 7-bit value plus one: never overflows a u8.
    (j2k_siz(data)?[38] & 0x7F).checked_add(1)
}
