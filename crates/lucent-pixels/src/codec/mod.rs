//! The codec boundary: one frame's encoded bytes and the image's description in, the frame's
//! decoded samples out.
//!
//! Every codec implements [`FrameDecoder`], and [`codec_for`] is the one table that says which
//! codec decodes a transfer syntax (PS3.5 Annex A): native byte order and Encapsulated
//! Uncompressed ([`native`]), Deflated Image Frame Compression ([`deflate`]), RLE Lossless
//! ([`rle`], PS3.5 Annex G, any Bits Allocated), JPEG 8/12-bit and lossless ([`jpeg`]: jpeg-decoder,
//! libjpeg-turbo-rs for 12-bit DCT; the colour transform follows the Photometric Interpretation,
//! PS3.5 8.2.1), JPEG-LS ([`jpeg_ls`]: CharLS) and JPEG 2000 / HTJ2K ([`jpeg_2000`]: OpenJPEG 2.5).
//! The C/C++ codecs are reached through the adapters of `dicom-transfer-syntax-registry` (the codec
//! layer of dicom-pixeldata, [`adapter`]), given a one-frame view so that no other frame is read.
//!
//! The trait holds no file handle: its inputs are plain data ([`FrameDescription`], the frame
//! number, [`FrameBytes`]) and its output is a [`DecodedFrame`], so a decoder worker in another
//! process can implement it (bytes in over a pipe, samples out). What the caller checks after any
//! codec, the sample count against Rows × Columns, stays on the caller's side
//! ([`check_sample_count`]), where the decoded frame is trusted.
//!
//! Containment: a panic in a codec is caught ([`contain_codec_panic`]) and becomes `E_INTERNAL`
//! (a bug, contained: the viewer shows a typed error, and the hostile-input run counts it as a
//! failure, never as a codec's rejection). The C/C++ codecs (OpenJPEG, CharLS) run in this
//! process; see `docs/ARCHITECTURE.md` for the boundary decision.

mod adapter;
mod deflate;
mod identify;
mod jpeg;
mod jpeg_2000;
mod jpeg_ls;
mod native;
pub mod rle;
mod samples;

pub(crate) use identify::identify_codestream;
pub(crate) use native::{NATIVE_SYNTAXES, stored_frame_bytes, unpack_12_bit, unpack_bits};
pub use samples::{ColorModel, DecodedFrame, SampleBuf, Samples};
pub(crate) use samples::{color_of, samples_from_le_or_be};

use crate::error::PixelError;
use crate::info::{ImageInfo, Photometric};
use crate::safe_math;

/// Deflated Image Frame Compression (PS3.5 A.4.11): each frame is a raw deflate stream.
pub const DEFLATED_IMAGE_FRAME: &str = "1.2.840.10008.1.2.8.1";
/// Encapsulated Uncompressed Explicit VR Little Endian (PS3.5 A.4.11): fragments are native frames.
pub const ENCAPSULATED_UNCOMPRESSED: &str = "1.2.840.10008.1.2.1.98";

/// A frame's encoded bytes, as read from the file: what a codec is given.
#[derive(Debug)]
pub enum FrameBytes {
    /// Native, as stored (byte order of the transfer syntax); for 1-bit data, the unpacked bits
    /// (one byte 0/1 per sample).
    Native {
        /// The bytes.
        bytes: Vec<u8>,
        /// Big endian words.
        big_endian: bool,
    },
    /// The concatenated fragments of one encapsulated frame.
    Encapsulated(Vec<u8>),
}

impl FrameBytes {
    /// The codestream of an encapsulated frame; native bytes are refused, as no compressed
    /// syntax stores them (the file reader gives native bytes only under a native syntax).
    fn into_codestream(self, image: &FrameDescription) -> Result<Vec<u8>, PixelError> {
        match self {
            FrameBytes::Encapsulated(data) => Ok(data),
            FrameBytes::Native { .. } => Err(PixelError::Malformed(format!(
                "native pixel data under the encapsulated transfer syntax {}",
                image.transfer_syntax
            ))),
        }
    }
}

/// What a codec is told about the image (PS3.3 C.7.6.3, the Image Pixel Module): the same for
/// every frame, plain values only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameDescription {
    /// The transfer syntax the frame is decoded as (for a mislabelled file, what its codestream
    /// is).
    pub transfer_syntax: String,
    /// Rows.
    pub rows: u16,
    /// Columns.
    pub columns: u16,
    /// Samples per Pixel.
    pub samples_per_pixel: u16,
    /// Bits Allocated.
    pub bits_allocated: u16,
    /// Bits Stored.
    pub bits_stored: u16,
    /// Photometric Interpretation as the pipeline understands it.
    pub photometric: Photometric,
    /// Photometric Interpretation as written (what the registry's codecs are told).
    pub photometric_text: String,
    /// Planar Configuration 1 (colour-by-plane).
    pub planar: bool,
    /// 32 or 64 for Float / Double Float Pixel Data.
    pub float_bits: Option<u16>,
}

impl FrameDescription {
    /// The description of `info`'s frames.
    pub fn of(info: &ImageInfo) -> Self {
        FrameDescription {
            transfer_syntax: info.transfer_syntax.clone(),
            rows: info.rows,
            columns: info.columns,
            samples_per_pixel: info.samples_per_pixel,
            bits_allocated: info.bits_allocated,
            bits_stored: info.bits_stored,
            photometric: info.photometric,
            photometric_text: info.photometric_text.clone(),
            planar: info.planar,
            float_bits: info.float_bits,
        }
    }

    /// Bytes of one frame stored natively, checked and capped (see [`stored_frame_bytes`]).
    pub fn native_frame_bytes(&self) -> Result<u64, PixelError> {
        stored_frame_bytes(
            self.photometric,
            self.rows,
            self.columns,
            self.samples_per_pixel,
            self.bits_allocated,
        )
    }
}

/// A codec: decodes one frame's bytes into samples (little endian, in typed containers).
///
/// Implementations hold no state about a file; everything they need is in the arguments, so the
/// same call can be made in another process. Errors are typed: [`PixelError::Decode`] when the
/// codec rejects the data, [`PixelError::CodecPanicked`] for a contained panic, and the size,
/// format and truncation errors of the pipeline.
pub trait FrameDecoder: Sync {
    /// What decodes the frames, for messages and reports (e.g. `"JPEG-LS (CharLS)"`).
    fn name(&self) -> &'static str;

    /// Decodes frame `frame` (0-based, for messages) of an image described by `image`.
    fn decode(
        &self,
        image: &FrameDescription,
        frame: u32,
        encoded: FrameBytes,
    ) -> Result<DecodedFrame, PixelError>;
}

/// The codec for a transfer syntax (PS3.5 Annex A; PS3.6 Table A-1): the one table. A syntax not
/// listed goes to whatever codec `dicom-transfer-syntax-registry` has for it, and is
/// `E_UNSUPPORTED_TRANSFER_SYNTAX` when it has none.
pub fn codec_for(transfer_syntax: &str) -> &'static dyn FrameDecoder {
    match transfer_syntax {
        ts if NATIVE_SYNTAXES.contains(&ts) => &native::Native,
        ENCAPSULATED_UNCOMPRESSED => &native::Native,
        DEFLATED_IMAGE_FRAME => &deflate::DeflatedImageFrame,
        rle::RLE_LOSSLESS => &rle::RleLossless,
        ts if jpeg::JPEG_SYNTAXES.contains(&ts) => &jpeg::Jpeg,
        ts if jpeg_ls::is_jpeg_ls(ts) => &jpeg_ls::JpegLs,
        ts if jpeg_2000::is_jpeg_2000(ts) => &jpeg_2000::Jpeg2000,
        _ => &adapter::OtherRegistered,
    }
}

/// Refuses a decoded frame with fewer samples than Rows × Columns × Samples per Pixel (two per
/// pixel for YBR_FULL_422, PS3.3 C.7.6.3.1.2): checked on the caller's side of the boundary,
/// after any codec.
pub fn check_sample_count(
    image: &FrameDescription,
    frame: u32,
    decoded: &DecodedFrame,
) -> Result<(), PixelError> {
    let per_pixel = if decoded.color == ColorModel::YbrFull422 {
        2
    } else {
        u64::from(image.samples_per_pixel)
    };
    let expected = safe_math::mul(
        safe_math::frame_pixels(image.rows, image.columns)?,
        per_pixel,
        "pixels × samples",
    )?;
    let decoded_count = decoded.samples.len() as u64;
    if decoded_count < expected {
        return Err(decode_error(
            image,
            frame,
            format!("{decoded_count} samples decoded, {expected} expected"),
        ));
    }
    Ok(())
}

/// The codec rejected frame `frame`: `E_DECODE_FAILED` with the codec's reason.
fn decode_error(image: &FrameDescription, frame: u32, reason: String) -> PixelError {
    PixelError::Decode {
        frame,
        transfer_syntax: image.transfer_syntax.clone(),
        reason,
    }
}

/// Runs a codec with its panics caught: a panic becomes [`PixelError::CodecPanicked`]
/// (`E_INTERNAL`), distinct from the codec rejecting the data (`E_DECODE_FAILED`), so that no
/// caller (the viewer, the hostile-input run, the conformance report) can mistake a contained bug
/// for a malformed file.
///
/// With the `test-panic` feature (tests only; release builds never have it, see
/// `scripts/check-release-binaries.sh`), `LUCENT_TEST_CODEC_PANIC=1` makes every codec call panic
/// here, so the tests can show that a panic is contained and counted.
fn contain_codec_panic<T>(
    image: &FrameDescription,
    frame: u32,
    codec: impl FnOnce() -> T,
) -> Result<T, PixelError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        #[cfg(feature = "test-panic")]
        if std::env::var_os("LUCENT_TEST_CODEC_PANIC").is_some_and(|v| v == "1") {
            panic!("LUCENT_TEST_CODEC_PANIC: a codec panic injected for a test");
        }
        codec()
    }))
    .map_err(|_| PixelError::CodecPanicked {
        frame,
        transfer_syntax: image.transfer_syntax.clone(),
    })
}

/// Refuses a codestream whose own header declares other dimensions than Rows × Columns before
/// the codec sees it: a corrupted or hostile JPEG / JPEG-LS / JPEG 2000 header claiming a huge
/// image would otherwise make the codec allocate and work for it (a decompression bomb).
/// `declared` is the (width, height) the codec's own header parser found, `None` when the
/// codestream has no image header.
fn check_codestream_size(
    image: &FrameDescription,
    frame: u32,
    declared: Option<(u32, u32)>,
) -> Result<(), PixelError> {
    match declared {
        Some((w, h)) if w == u32::from(image.columns) && h == u32::from(image.rows) => Ok(()),
        Some((w, h)) => Err(decode_error(
            image,
            frame,
            format!(
                "the codestream declares {w}×{h} pixels, the header {}×{}",
                image.columns, image.rows
            ),
        )),
        None => Err(decode_error(
            image,
            frame,
            "no image header (SOF / SIZ marker) in the codestream".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_names_one_codec_per_transfer_syntax() {
        for (ts, codec) in [
            ("1.2.840.10008.1.2", native::NAME),
            ("1.2.840.10008.1.2.1", native::NAME),
            ("1.2.840.10008.1.2.2", native::NAME),
            ("1.2.840.10008.1.2.1.99", native::NAME),
            ("1.2.840.10008.1.2.1.98", native::NAME),
            ("1.2.840.10008.1.2.8.1", deflate::NAME),
            ("1.2.840.10008.1.2.5", rle::NAME),
            ("1.2.840.10008.1.2.4.50", jpeg::NAME),
            ("1.2.840.10008.1.2.4.51", jpeg::NAME),
            ("1.2.840.10008.1.2.4.57", jpeg::NAME),
            ("1.2.840.10008.1.2.4.70", jpeg::NAME),
            ("1.2.840.10008.1.2.4.80", jpeg_ls::NAME),
            ("1.2.840.10008.1.2.4.81", jpeg_ls::NAME),
            ("1.2.840.10008.1.2.4.90", jpeg_2000::NAME),
            ("1.2.840.10008.1.2.4.91", jpeg_2000::NAME),
            ("1.2.840.10008.1.2.4.201", jpeg_2000::NAME),
            ("1.2.840.10008.1.2.4.203", jpeg_2000::NAME),
            ("1.2.840.10008.1.2.4.100", adapter::NAME),
        ] {
            assert_eq!(codec_for(ts).name(), codec, "{ts}");
        }
    }

    #[test]
    fn a_syntax_without_a_codec_is_unsupported() {
        let mut image = FrameDescription::of(&crate::test_info());
        image.transfer_syntax = "1.2.840.10008.1.2.4.100".into(); // MPEG2 Main Profile
        let err = codec_for(&image.transfer_syntax)
            .decode(&image, 0, FrameBytes::Encapsulated(vec![0; 16]))
            .unwrap_err();
        assert!(
            matches!(&err, PixelError::UnsupportedTransferSyntax(ts) if ts == "1.2.840.10008.1.2.4.100"),
            "{err}"
        );
    }

    #[test]
    fn compressed_codecs_refuse_native_bytes() {
        let mut image = FrameDescription::of(&crate::test_info());
        image.transfer_syntax = rle::RLE_LOSSLESS.into();
        let err = codec_for(&image.transfer_syntax)
            .decode(
                &image,
                0,
                FrameBytes::Native {
                    bytes: vec![0; 8],
                    big_endian: false,
                },
            )
            .unwrap_err();
        assert!(matches!(err, PixelError::Malformed(_)), "{err}");
    }

    #[test]
    fn too_few_samples_are_refused_after_any_codec() {
        let image = FrameDescription::of(&crate::test_info()); // 2 × 2, one sample
        let frame = |n: usize| DecodedFrame {
            rows: 2,
            columns: 2,
            samples: Samples::U16(vec![0; n].into()),
            color: ColorModel::Monochrome,
            planar: false,
        };
        assert!(check_sample_count(&image, 0, &frame(4)).is_ok());
        let err = check_sample_count(&image, 3, &frame(3)).unwrap_err();
        assert!(
            matches!(&err, PixelError::Decode { frame: 3, reason, .. } if reason == "3 samples decoded, 4 expected"),
            "{err}"
        );
    }

    #[test]
    fn a_declared_size_other_than_the_header_is_refused() {
        let image = FrameDescription::of(&crate::test_info());
        assert!(check_codestream_size(&image, 0, Some((2, 2))).is_ok());
        assert!(matches!(
            check_codestream_size(&image, 0, Some((65535, 2))),
            Err(PixelError::Decode { .. })
        ));
        assert!(matches!(
            check_codestream_size(&image, 0, None),
            Err(PixelError::Decode { .. })
        ));
    }
}
