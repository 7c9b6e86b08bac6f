//! What an encapsulated frame's codestream is, from its first bytes: for Pixel Data encapsulated
//! under a native transfer syntax (a mislabelled file), which is then decoded as that.

use super::jpeg::{is_sof, jpeg_header_segments};
use super::rle::RLE_LOSSLESS;
use crate::info::ImageInfo;

/// What an encapsulated frame's codestream is, from its first bytes, as the transfer syntax to
/// decode it with and that syntax's short name: for Pixel Data encapsulated under a native
/// transfer syntax (a mislabelled file). JPEG by its first SOF marker after SOI (ITU-T T.81
/// B.1.1.3: C0 baseline, C1 extended, C3 lossless; T.87 C.2.2: F7 JPEG-LS), JPEG 2000 by SOC +
/// SIZ (ISO/IEC 15444-1 A.4.1, A.5.1) or the JP2 signature box (Annex I.5.1), RLE by a header
/// that fits this image exactly (PS3.5 G.5: as many segments as the image needs, the first at
/// byte 64, increasing, inside the fragment, unused offsets 0). `None`: none of these.
pub(crate) fn identify_codestream(
    data: &[u8],
    info: &ImageInfo,
) -> Option<(&'static str, &'static str)> {
    if data.starts_with(&[0xFF, 0xD8]) {
        let (marker, _) = jpeg_header_segments(data)
            .into_iter()
            .find(|&(m, _)| is_sof(m) || m == 0xF7)?;
        return match marker {
            0xC0 => Some(("1.2.840.10008.1.2.4.50", "JPEG Baseline")),
            0xC1 => Some(("1.2.840.10008.1.2.4.51", "JPEG Extended")),
            0xC3 => Some(("1.2.840.10008.1.2.4.70", "JPEG Lossless")),
            0xF7 => Some(("1.2.840.10008.1.2.4.80", "JPEG-LS")),
            _ => None, // progressive, hierarchical, arithmetic: no decoder here
        };
    }
    if data.starts_with(&[0xFF, 0x4F, 0xFF, 0x51])
        || data.starts_with(&[0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20])
    {
        return Some(("1.2.840.10008.1.2.4.90", "JPEG 2000"));
    }
    let word = |i: usize| {
        data.chunks_exact(4)
            .nth(i)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    // Two factors below 2^16: the product fits a u32 (checked_mul never fails).
    let segments = u32::from(info.samples_per_pixel)
        .checked_mul(u32::from(info.bits_allocated.div_ceil(8)))?;
    let offsets: Vec<u32> = (1..16).map(word).collect::<Option<_>>()?;
    let (used, unused) = offsets.split_at(segments.min(15) as usize);
    let rle = word(0) == Some(segments)
        && used.first() == Some(&64)
        && used.windows(2).all(|w| w[0] < w[1])
        && used.last().is_some_and(|&o| (o as usize) < data.len())
        && unused.iter().all(|&o| o == 0);
    rle.then_some((RLE_LOSSLESS, "RLE Lossless"))
}
