//! JPEG-LS (PS3.5 A.4.3; ITU-T T.87) through CharLS 2.4, by the registry's adapter. The SOF55
//! marker's size is checked against Rows × Columns before CharLS sees it; a stream CharLS
//! rejects is retried once without 0x00 fill bytes before EOI; interleave mode 0 comes back
//! colour-by-plane.

use super::adapter::{AdapterRules, codec_output, decode_with_registry};
use super::jpeg::frame_size;
use super::{DecodedFrame, FrameBytes, FrameDecoder, FrameDescription, check_codestream_size};
use crate::error::PixelError;

/// What [`JpegLs`] is called in messages.
pub(super) const NAME: &str = "JPEG-LS (CharLS)";

/// JPEG-LS lossless and near-lossless frames.
pub(super) struct JpegLs;

impl FrameDecoder for JpegLs {
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
        // Interleave mode 0 (one scan per component) comes back from the codec colour-by-plane.
        let planar_output = image.samples_per_pixel == 3 && jpeg_ls_interleave(&data) == Some(0);
        let rules = AdapterRules {
            one_bit_as_bytes: false,
            check: |image, frame, data| check_codestream_size(image, frame, jpeg_ls_size(data)),
            retry: Some(without_zero_bytes_before_eoi),
        };
        let decoded = decode_with_registry(image, frame, data, &rules)?;
        codec_output(image, decoded, planar_output)
    }
}

pub(super) fn is_jpeg_ls(ts: &str) -> bool {
    matches!(ts, "1.2.840.10008.1.2.4.80" | "1.2.840.10008.1.2.4.81")
}

/// Width and height from the SOF55 marker of a JPEG-LS stream (ITU-T T.87 C.2.2: P, Y, X, laid
/// out as a JPEG SOF). CharLS sizes its output from these before decoding: a stream claiming
/// 65535×65535 in a 64×64 image asked for 4 GiB (found by the hostile corpus under a 4 GiB
/// address-space limit).
fn jpeg_ls_size(data: &[u8]) -> Option<(u32, u32)> {
    frame_size(data, |m| m == 0xF7)
}

/// The interleave mode (ILV) of the first scan of a JPEG-LS stream (ITU-T T.87 C.2.3).
fn jpeg_ls_interleave(data: &[u8]) -> Option<u8> {
    let sos = data.windows(2).position(|w| w == [0xFF, 0xDA])?;
    // After the marker: Ls (2 bytes), Ns, Ns component specifications of 2 bytes, NEAR, ILV.
    let scan = data.get(sos..)?.get(4..)?;
    let ns = usize::from(*scan.first()?);
    scan.get(1..)?.chunks(2).nth(ns)?.get(1).copied()
}

/// A JPEG-LS stream with the 0x00 bytes between its entropy-coded data and EOI removed, if it
/// has any (else `None`).
///
/// The WG-04 JPEG-LS samples (e.g. MR1_JLSL) end `… 2B 00 FF D9`: one 0x00 after the scan's last
/// byte. ITU-T T.87 does not allow fill bytes there (only 0xFF fill before a marker, T.81
/// B.1.1.2), and CharLS since 2.3 rejects it ("the leading start byte (0xFF) for a JPEG marker
/// was not found"); CharLS 2.2 and dcmtk's CharLS fork skip it. Without that byte the stream
/// decodes to MR1_UNC word for word.
fn without_zero_bytes_before_eoi(data: &[u8]) -> Option<Vec<u8>> {
    // The end of the codestream: a fragment may carry one more 0x00 for even length (PS3.5 A.4).
    let eoi = data
        .len()
        .checked_sub(if data.ends_with(&[0xFF, 0xD9, 0x00]) {
            3
        } else {
            2
        })?;
    let (body, end) = data.split_at(eoi);
    if end.get(..2) != Some(&[0xFF, 0xD9]) {
        return None;
    }
    let zeros = body.iter().rev().take_while(|&&b| b == 0).count();
    // `zeros` counts bytes of `body`, so it is never more than its length.
    let kept = &body[..body.len().saturating_sub(zeros)];
    // A 0x00 right after 0xFF would be part of the data (T.87 A.1 bit stuffing never makes one,
    // but leave such streams alone).
    if zeros == 0 || kept.last() == Some(&0xFF) {
        return None;
    }
    let mut trimmed = kept.to_vec();
    trimmed.extend_from_slice(&[0xFF, 0xD9]);
    Some(trimmed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_zero_bytes_between_data_and_eoi_are_dropped() {
        let cut = without_zero_bytes_before_eoi;
        assert_eq!(
            cut(&[0xFF, 0xD8, 0x2B, 0x00, 0xFF, 0xD9]),
            Some(vec![0xFF, 0xD8, 0x2B, 0xFF, 0xD9])
        );
        // With the fragment's even-length padding after EOI.
        assert_eq!(
            cut(&[0xFF, 0xD8, 0x2B, 0x00, 0x00, 0xFF, 0xD9, 0x00]),
            Some(vec![0xFF, 0xD8, 0x2B, 0xFF, 0xD9])
        );
        assert_eq!(cut(&[0xFF, 0xD8, 0x2B, 0xFF, 0xD9]), None);
        // 0x00 after 0xFF is stuffed data, not fill.
        assert_eq!(cut(&[0xFF, 0xD8, 0xFF, 0x00, 0xFF, 0xD9]), None);
        assert_eq!(cut(&[0x00, 0xFF]), None);
        assert_eq!(cut(&[]), None);
    }
}
