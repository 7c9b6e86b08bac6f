//! JPEG (PS3.5 A.4.1; ITU-T T.81): baseline and extended 8-bit DCT and lossless (process 14,
//! any precision) through jpeg-decoder, called directly; 12-bit DCT through libjpeg-turbo-rs. The
//! colour transform follows the Photometric Interpretation (PS3.5 8.2.1). The frame header (SOF)
//! is checked against Rows × Columns before a decoder sees the stream, and each decoder's buffer
//! is capped at the frame size. Also the marker-segment walk the other JPEG-family parsers use.

use super::adapter::codec_output;
use super::{
    DecodedFrame, FrameBytes, FrameDecoder, FrameDescription, check_codestream_size,
    contain_codec_panic, decode_error,
};
use crate::error::PixelError;
use crate::info::Photometric;
use crate::safe_math;

/// What [`Jpeg`] is called in messages.
pub(super) const NAME: &str = "JPEG (jpeg-decoder; libjpeg-turbo-rs for 12-bit DCT)";

/// The JPEG syntaxes (PS3.5 A.4.1) decoded by jpeg-decoder: baseline, extended, lossless
/// process 14 and its selection value 1.
pub(super) const JPEG_SYNTAXES: &[&str] = &[
    "1.2.840.10008.1.2.4.50",
    "1.2.840.10008.1.2.4.51",
    "1.2.840.10008.1.2.4.57",
    "1.2.840.10008.1.2.4.70",
];

/// JPEG frames.
pub(super) struct Jpeg;

impl FrameDecoder for Jpeg {
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
        let decoded = decode_jpeg(image, frame, data)?;
        codec_output(image, decoded, false)
    }
}

/// JPEG (ITU-T T.81) through jpeg-decoder, with the colour transform PS3.5 8.2.1 asks for (see
/// [`jpeg_needs_no_colour_transform`]). The codestream's size is checked first, and the
/// decoder's buffer is capped at the frame size.
fn decode_jpeg(image: &FrameDescription, k: u32, data: Vec<u8>) -> Result<Vec<u8>, PixelError> {
    if !matches!(image.bits_allocated, 8 | 16) {
        return Err(PixelError::UnsupportedPixelFormat(format!(
            "{}-bit samples in transfer syntax {}",
            image.bits_allocated, image.transfer_syntax
        )));
    }
    check_codestream_size(image, k, jpeg_size(&data))?;
    let expected = safe_math::to_usize(safe_math::native_frame_bytes(
        image.rows,
        image.columns,
        image.samples_per_pixel,
        image.bits_allocated,
    )?)?;
    if jpeg_dct_precision(&data) == Some(12) {
        return decode_jpeg_12bit(image, k, &data, expected);
    }
    let no_transform = jpeg_needs_no_colour_transform(image, &data);
    let result = contain_codec_panic(image, k, || {
        let mut decoder = jpeg_decoder::Decoder::new(data.as_slice());
        decoder.set_max_decoding_buffer_size(expected.max(1));
        if no_transform {
            decoder.set_color_transform(jpeg_decoder::ColorTransform::RGB);
        }
        decoder.decode()
    })?;
    match result {
        Ok(mut out) => {
            out.truncate(expected);
            Ok(out)
        }
        Err(e) => Err(decode_error(image, k, format!("JPEG decoder: {e}"))),
    }
}

/// The sample precision of a DCT-based JPEG frame (SOF0–SOF2, SOF9–SOF10; ITU-T T.81 B.2.2), or
/// `None` for lossless and hierarchical frames (jpeg-decoder decodes lossless of any precision).
fn jpeg_dct_precision(data: &[u8]) -> Option<u8> {
    let (_, sof) = jpeg_header_segments(data)
        .into_iter()
        .find(|(m, _)| is_sof(*m))
        .filter(|(m, _)| matches!(m, 0xC0 | 0xC1 | 0xC2 | 0xC9 | 0xCA))?;
    sof.first().copied()
}

/// 12-bit DCT JPEG (ITU-T T.81 extended process 4; JPEG Extended, 1.2.840.10008.1.2.4.51, the
/// lossy CT/MR/CR of older archives). jpeg-decoder decodes 8-bit DCT only, so these go to
/// libjpeg-turbo-rs (pure Rust, 12-bit path cross-checked by its authors against libjpeg-turbo;
/// measured here: the four reference files decode as dcmtk's IJG decoder does, three exactly).
/// The codec is given limits from the header (Rows × Columns, our frame cap) so a stream claiming
/// more is refused before it allocates; a panic is contained. Output: little-endian u16 samples
/// (Bits Allocated 16).
fn decode_jpeg_12bit(
    image: &FrameDescription,
    k: u32,
    data: &[u8],
    expected: usize,
) -> Result<Vec<u8>, PixelError> {
    if image.bits_allocated != 16 {
        return Err(PixelError::UnsupportedPixelFormat(format!(
            "12-bit JPEG in {}-bit samples (Bits Allocated must be 16)",
            image.bits_allocated
        )));
    }
    let pixels = safe_math::frame_pixels(image.rows, image.columns)?;
    let limits = libjpeg_turbo_rs::DecodeLimits {
        max_width: usize::from(image.columns),
        max_height: usize::from(image.rows),
        max_pixels: pixels,
        max_scans: 1024,
        max_memory: Some(safe_math::MAX_FRAME_BYTES.saturating_mul(4)),
    };
    let result = contain_codec_panic(image, k, || {
        libjpeg_turbo_rs::decompress_12bit_with_limits(data, &limits)
    })?;
    let decoded = match result {
        Ok(decoded) => decoded,
        Err(e) => return Err(decode_error(image, k, format!("12-bit JPEG decoder: {e}"))),
    };
    if (decoded.width, decoded.height, decoded.num_components)
        != (
            usize::from(image.columns),
            usize::from(image.rows),
            usize::from(image.samples_per_pixel),
        )
    {
        return Err(decode_error(
            image,
            k,
            format!(
                "the 12-bit codestream decoded to {}×{}×{}, the header says {}×{}×{}",
                decoded.width,
                decoded.height,
                decoded.num_components,
                image.columns,
                image.rows,
                image.samples_per_pixel
            ),
        ));
    }
    let mut out = Vec::with_capacity(expected);
    for &v in &decoded.data {
        out.extend_from_slice(&(v.clamp(0, 4095) as u16).to_le_bytes());
    }
    out.truncate(expected);
    Ok(out)
}

/// Whether a three-component JPEG of Photometric Interpretation RGB must be decoded without the
/// YCbCr → RGB transform.
///
/// The stream decides when it says something: an Adobe APP14 marker (transform 0: RGB,
/// otherwise YCbCr), a JFIF APP0 marker (always YCbCr), or component identifiers 'R','G','B'
/// (RGB) or 1, 2, 3 (YCbCr): libjpeg's rules, which jpeg-decoder follows. When it says nothing
/// (e.g. identifiers 0, 1, 2 and no marker), libjpeg guesses YCbCr; DICOM does not guess: the
/// Photometric Interpretation names the colour space of the compressed data (PS3.5 8.2.1,
/// PS3.3 C.7.6.3.1.2), so RGB means the components are R, G, B. dcmtk (its default `+cp`) and
/// GDCM decode such files without a transform.
fn jpeg_needs_no_colour_transform(image: &FrameDescription, data: &[u8]) -> bool {
    if image.photometric != Photometric::Rgb || image.samples_per_pixel != 3 {
        return false;
    }
    let mut ids = None;
    for (marker, payload) in jpeg_header_segments(data) {
        match marker {
            0xE0 if payload.starts_with(b"JFIF\0") => return false,
            // A truncated Adobe segment without its transform byte says nothing (libjpeg ignores
            // it too; pydicom's SC_rgb_jpeg.dcm has one).
            0xEE if payload.starts_with(b"Adobe") && payload.len() >= 12 => {
                return payload[11] == 0;
            }
            m if is_sof(m) => {
                ids = payload
                    .get(6..15)
                    .filter(|_| payload.get(5) == Some(&3))
                    .map(|c| [c[0], c[3], c[6]]);
            }
            _ => {}
        }
    }
    match ids {
        Some([1, 2, 3]) | None => false,
        Some(_) => true,
    }
}

/// Whether a marker is a start-of-frame (SOFn, ITU-T T.81 B.1.1.3: C0–CF except DHT, JPG, DAC).
pub(super) fn is_sof(marker: u8) -> bool {
    matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC)
}

/// The marker segments of a JPEG stream up to its first SOS (ITU-T T.81 B.1.1.2), as (marker,
/// payload after the length). A segment whose length runs past the data ends the list.
pub(super) fn jpeg_header_segments(data: &[u8]) -> Vec<(u8, &[u8])> {
    let mut out = Vec::new();
    let Some(soi) = data.windows(2).position(|w| w == [0xFF, 0xD8]) else {
        return out;
    };
    // Positions stay below data.len() + 2 + 65535 (a slice holds at most isize::MAX bytes), so
    // no addition here can overflow; saturating_add says so without a wrapping path.
    let mut i = soi.saturating_add(2);
    while let Some(&[first, marker, length_high, length_low]) = data
        .get(i..i.saturating_add(4))
        .and_then(|b| <&[u8; 4]>::try_from(b).ok())
    {
        if first != 0xFF {
            i = i.saturating_add(1);
            continue;
        }
        if marker == 0xFF || marker == 0x01 || (0xD0..=0xD8).contains(&marker) {
            i = i.saturating_add(if marker == 0xFF { 1 } else { 2 });
            continue;
        }
        let len = usize::from(u16::from_be_bytes([length_high, length_low]));
        let payload_start = i.saturating_add(4);
        let segment_end = i.saturating_add(2).saturating_add(len);
        let Some(payload) = data.get(payload_start..segment_end.max(payload_start)) else {
            break;
        };
        out.push((marker, payload));
        if marker == 0xDA {
            break;
        }
        i = segment_end;
    }
    out
}

/// Width and height from the first SOFn marker of a JPEG stream (ITU-T T.81 B.2.2).
fn jpeg_size(data: &[u8]) -> Option<(u32, u32)> {
    frame_size(data, is_sof)
}

/// Width and height (X, Y after P) from the first frame header segment whose marker `is_frame`
/// accepts, before the first scan.
pub(super) fn frame_size(data: &[u8], is_frame: impl Fn(u8) -> bool) -> Option<(u32, u32)> {
    let (_, sof) = jpeg_header_segments(data)
        .into_iter()
        .take_while(|(m, _)| *m != 0xDA)
        .find(|(m, _)| is_frame(*m))?;
    let sof = sof.get(..5)?;
    let height = u32::from(u16::from_be_bytes([sof[1], sof[2]]));
    let width = u32::from(u16::from_be_bytes([sof[3], sof[4]]));
    Some((width, height))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SOI, the given APPn segments, and an SOF0 of three components with these identifiers.
    fn jpeg_head(apps: &[(u8, &[u8])], ids: [u8; 3]) -> Vec<u8> {
        let mut j = vec![0xFF, 0xD8];
        for (marker, payload) in apps {
            j.extend([0xFF, *marker, 0, payload.len() as u8 + 2]);
            j.extend(*payload);
        }
        j.extend([0xFF, 0xC0, 0, 17, 8, 0, 16, 0, 16, 3]);
        for id in ids {
            j.extend([id, 0x11, 0]);
        }
        j.extend([0xFF, 0xDA, 0, 2]);
        j
    }

    #[test]
    fn colour_transform_follows_markers_then_photometric() {
        let mut rgb = FrameDescription::of(&crate::test_info());
        rgb.samples_per_pixel = 3;
        rgb.photometric = Photometric::Rgb;
        let mut ybr = rgb.clone();
        ybr.photometric = Photometric::YbrFull;
        let adobe = |t: u8| -> Vec<u8> {
            let mut p = b"Adobe".to_vec();
            p.extend([0, 100, 0, 0, 0, 0, t]);
            p
        };
        let no_transform = |info: &FrameDescription, apps: &[(u8, &[u8])], ids| {
            jpeg_needs_no_colour_transform(info, &jpeg_head(apps, ids))
        };
        // Nothing in the stream: Photometric Interpretation decides (PS3.5 8.2.1).
        assert!(no_transform(&rgb, &[], [0, 1, 2]));
        assert!(!no_transform(&ybr, &[], [0, 1, 2]));
        // The stream decides when it says something.
        assert!(!no_transform(&rgb, &[(0xE0, b"JFIF\0\x01\x02")], [0, 1, 2]));
        assert!(!no_transform(&rgb, &[(0xEE, &adobe(1))], [0, 1, 2]));
        assert!(no_transform(&rgb, &[(0xEE, &adobe(0))], [1, 2, 3]));
        assert!(!no_transform(&rgb, &[], [1, 2, 3]));
        assert!(no_transform(&rgb, &[], [b'R', b'G', b'B']));
        // An Adobe segment cut before its transform byte says nothing (SC_rgb_jpeg.dcm).
        assert!(no_transform(&rgb, &[(0xEE, b"Adobe\0\0\0\0\0")], [0, 1, 2]));
    }

    #[test]
    fn jpeg_header_segments_stop_at_the_scan_and_at_truncation() {
        let jpeg = [
            0xFF, 0xD8, 0xFF, 0xEE, 0x00, 0x04, 0xAA, 0xBB, 0xFF, 0xDA, 0x00, 0x02, 0xFF, 0xC0,
        ];
        let segments = jpeg_header_segments(&jpeg);
        assert_eq!(segments, vec![(0xEE, &[0xAA, 0xBB][..]), (0xDA, &[][..])]);
        // A length past the end ends the list without panicking.
        assert_eq!(
            jpeg_header_segments(&[0xFF, 0xD8, 0xFF, 0xE0, 0x40, 0x00, 0x01]),
            vec![]
        );
    }
}
