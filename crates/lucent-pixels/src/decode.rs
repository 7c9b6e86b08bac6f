//! Decoding one frame's bytes into sample values (little endian, in typed containers).
//!
//! Native data is reinterpreted (byte order of the transfer syntax); Deflated Image Frame
//! Compression and Encapsulated Uncompressed are handled here; every other encapsulated syntax is
//! decoded by the codec adapters of `dicom-transfer-syntax-registry` (the codec layer of
//! dicom-pixeldata: OpenJPEG 2.5 for JPEG 2000 and HTJ2K, CharLS for JPEG-LS), called with a
//! one-frame view so that no other frame is read. JPEG is decoded with jpeg-decoder directly (the
//! colour transform follows the Photometric Interpretation, PS3.5 8.2.1) and RLE by
//! [`crate::rle`] (PS3.5 Annex G, any Bits Allocated).
//!
//! Containment: a panic in a codec is caught ([`contain_codec_panic`]) and becomes
//! `E_INTERNAL` (a bug, contained: the viewer shows a typed error, and the hostile-input run
//! counts it as a failure, never as a codec's rejection). The C/C++ codecs (OpenJPEG, CharLS) run
//! in this process; see `docs/ARCHITECTURE.md` for the boundary decision.

use crate::error::PixelError;
use crate::frames::{
    DEFLATED_IMAGE_FRAME, ENCAPSULATED_UNCOMPRESSED, FrameBytes, PixelFile, native_frame_bytes,
};
use crate::info::{ImageInfo, Photometric};
use crate::safe_math;
use dicom_encoding::adapters::{PixelDataObject, RawPixelData};
use dicom_encoding::transfer_syntax::TransferSyntaxIndex;
use dicom_transfer_syntax_registry::TransferSyntaxRegistry;
use std::borrow::Cow;
use std::io::Read;

/// RLE Lossless (PS3.5 A.4.2, Annex G), decoded by [`crate::rle`].
const RLE_LOSSLESS: &str = "1.2.840.10008.1.2.5";

/// The JPEG syntaxes (PS3.5 A.4.1) decoded by jpeg-decoder: baseline, extended, lossless
/// process 14 and its selection value 1.
const JPEG_SYNTAXES: &[&str] = &[
    "1.2.840.10008.1.2.4.50",
    "1.2.840.10008.1.2.4.51",
    "1.2.840.10008.1.2.4.57",
    "1.2.840.10008.1.2.4.70",
];

/// A buffer of samples: a `Vec`, or anonymous memory mapped for this buffer alone.
///
/// Frames kept in the cache are moved to their own mapping, so evicting one returns its pages to
/// the OS at once. Measured: with 512 KiB frames in ordinary heap buffers, glibc's malloc kept up
/// to 190 MB of freed frames resident past a 256 MiB cache cap (its mmap threshold adapts
/// upward after the first frees); with mapped buffers the process stays within the cap + 10 MB.
pub enum SampleBuf<T> {
    /// Heap storage.
    Heap(Vec<T>),
    /// Its own anonymous mapping holding `len` samples.
    Mapped(memmap2::MmapMut, usize),
}

/// Buffers at least this large are mapped when cached.
const MAP_AT_BYTES: usize = 64 * 1024;

impl<T: bytemuck::Pod> SampleBuf<T> {
    /// A zeroed mapped buffer of `len` samples.
    pub fn mapped_zeroed(len: usize) -> std::io::Result<Self> {
        let bytes = len
            .checked_mul(std::mem::size_of::<T>())
            .ok_or_else(|| std::io::Error::other("size overflow"))?;
        Ok(SampleBuf::Mapped(
            memmap2::MmapMut::map_anon(bytes.max(1))?,
            len,
        ))
    }

    /// Mutable samples.
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        match self {
            SampleBuf::Heap(v) => v,
            SampleBuf::Mapped(m, len) => {
                let n = *len * std::mem::size_of::<T>();
                bytemuck::cast_slice_mut(&mut m[..n])
            }
        }
    }

    /// The same samples in their own mapping when large (for long-lived cache entries).
    pub fn into_mapped(self) -> Self {
        match self {
            SampleBuf::Heap(v) if std::mem::size_of_val(v.as_slice()) >= MAP_AT_BYTES => {
                match SampleBuf::<T>::mapped_zeroed(v.len()) {
                    Ok(mut m) => {
                        m.as_mut_slice().copy_from_slice(&v);
                        m
                    }
                    Err(_) => SampleBuf::Heap(v),
                }
            }
            other => other,
        }
    }
}

impl<T: bytemuck::Pod> std::ops::Deref for SampleBuf<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        match self {
            SampleBuf::Heap(v) => v,
            SampleBuf::Mapped(m, len) => {
                bytemuck::cast_slice(&m[..*len * std::mem::size_of::<T>()])
            }
        }
    }
}

impl<T> From<Vec<T>> for SampleBuf<T> {
    fn from(v: Vec<T>) -> Self {
        SampleBuf::Heap(v)
    }
}

impl<T: bytemuck::Pod> Clone for SampleBuf<T> {
    fn clone(&self) -> Self {
        SampleBuf::Heap(self.to_vec())
    }
}

impl<T: bytemuck::Pod + PartialEq> PartialEq for SampleBuf<T> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<T: bytemuck::Pod> std::fmt::Debug for SampleBuf<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = if matches!(self, SampleBuf::Mapped(..)) {
            "mapped"
        } else {
            "heap"
        };
        write!(f, "SampleBuf({} samples, {kind})", self.len())
    }
}

/// Sample values of one frame, interleaved when there are several samples per pixel.
#[derive(Debug, Clone, PartialEq)]
pub enum Samples {
    /// 1- and 8-bit data.
    U8(SampleBuf<u8>),
    /// 16-bit data (raw bit patterns; signedness is applied by the LUT stage).
    U16(SampleBuf<u16>),
    /// 32-bit integer data.
    U32(SampleBuf<u32>),
    /// 32-bit float data (Float Pixel Data).
    F32(SampleBuf<f32>),
    /// 64-bit float data (Double Float Pixel Data).
    F64(SampleBuf<f64>),
}

impl Samples {
    /// The same samples, large buffers moved to their own mappings (see [`SampleBuf`]).
    pub fn into_mapped(self) -> Self {
        match self {
            Samples::U8(b) => Samples::U8(b.into_mapped()),
            Samples::U16(b) => Samples::U16(b.into_mapped()),
            Samples::U32(b) => Samples::U32(b.into_mapped()),
            Samples::F32(b) => Samples::F32(b.into_mapped()),
            Samples::F64(b) => Samples::F64(b.into_mapped()),
        }
    }
}

impl Samples {
    /// Number of samples.
    pub fn len(&self) -> usize {
        match self {
            Samples::U8(v) => v.len(),
            Samples::U16(v) => v.len(),
            Samples::U32(v) => v.len(),
            Samples::F32(v) => v.len(),
            Samples::F64(v) => v.len(),
        }
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How the decoded samples encode colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorModel {
    /// One greyscale sample per pixel.
    Monochrome,
    /// One palette index per pixel.
    Palette,
    /// R, G, B.
    Rgb,
    /// Y, Cb, Cr (full range).
    YbrFull,
    /// Y1 Y2 Cb Cr per pair of pixels.
    YbrFull422,
}

/// One decoded frame.
#[derive(Debug, Clone)]
pub struct DecodedFrame {
    /// Rows.
    pub rows: u16,
    /// Columns.
    pub columns: u16,
    /// The samples.
    pub samples: Samples,
    /// Their colour model.
    pub color: ColorModel,
    /// Colour-by-plane (R plane, G plane, B plane) instead of interleaved.
    pub planar: bool,
}

/// One encapsulated frame presented to a codec adapter as a single-frame, single-fragment image.
struct OneFrame<'a> {
    info: &'a ImageInfo,
    /// Bits Allocated told to the codec (8 for 1-bit data, one byte per sample out).
    bits_allocated: u16,
    data: Vec<u8>,
}

impl PixelDataObject for OneFrame<'_> {
    fn transfer_syntax_uid(&self) -> &str {
        &self.info.transfer_syntax
    }
    fn rows(&self) -> Option<u16> {
        Some(self.info.rows)
    }
    fn cols(&self) -> Option<u16> {
        Some(self.info.columns)
    }
    fn samples_per_pixel(&self) -> Option<u16> {
        Some(self.info.samples_per_pixel)
    }
    fn bits_allocated(&self) -> Option<u16> {
        Some(self.bits_allocated)
    }
    fn bits_stored(&self) -> Option<u16> {
        Some(self.info.bits_stored)
    }
    fn photometric_interpretation(&self) -> Option<&str> {
        Some(&self.info.photometric_text)
    }
    fn number_of_frames(&self) -> Option<u32> {
        Some(1)
    }
    fn number_of_fragments(&self) -> Option<u32> {
        Some(1)
    }
    fn fragment(&self, fragment: usize) -> Option<Cow<'_, [u8]>> {
        (fragment == 0).then_some(Cow::Borrowed(self.data.as_slice()))
    }
    fn offset_table(&self) -> Option<Cow<'_, [u32]>> {
        Some(Cow::Owned(Vec::new()))
    }
    fn raw_pixel_data(&self) -> Option<RawPixelData> {
        Some(RawPixelData {
            fragments: vec![self.data.clone()].into(),
            offset_table: Vec::new().into(),
        })
    }
}

pub(crate) fn color_of(info: &ImageInfo, codec_made_rgb: bool) -> Result<ColorModel, PixelError> {
    Ok(match info.photometric {
        Photometric::Monochrome1 | Photometric::Monochrome2 => ColorModel::Monochrome,
        Photometric::PaletteColor => ColorModel::Palette,
        _ if codec_made_rgb => ColorModel::Rgb,
        Photometric::Rgb => ColorModel::Rgb,
        Photometric::YbrFull => ColorModel::YbrFull,
        Photometric::YbrFull422 => ColorModel::YbrFull422,
        other => {
            return Err(PixelError::InvalidAttributes(format!(
                "{other:?} is only valid for compressed data"
            )));
        }
    })
}

pub(crate) fn samples_from_le_or_be(
    bytes: Vec<u8>,
    info: &ImageInfo,
    big_endian: bool,
) -> Result<Samples, PixelError> {
    Ok(match (info.bits_allocated, info.float_bits) {
        (1 | 8, _) => Samples::U8(bytes.into()),
        // 12-bit samples arrive unpacked, two little-endian bytes each.
        (12 | 16, _) => Samples::U16(SampleBuf::Heap(
            bytes
                .chunks_exact(2)
                .map(|c| {
                    if big_endian {
                        u16::from_be_bytes([c[0], c[1]])
                    } else {
                        u16::from_le_bytes([c[0], c[1]])
                    }
                })
                .collect(),
        )),
        (32, Some(_)) => Samples::F32(SampleBuf::Heap(
            bytes
                .chunks_exact(4)
                .map(|c| {
                    let b = [c[0], c[1], c[2], c[3]];
                    if big_endian {
                        f32::from_be_bytes(b)
                    } else {
                        f32::from_le_bytes(b)
                    }
                })
                .collect(),
        )),
        (32, None) => Samples::U32(SampleBuf::Heap(
            bytes
                .chunks_exact(4)
                .map(|c| {
                    let b = [c[0], c[1], c[2], c[3]];
                    if big_endian {
                        u32::from_be_bytes(b)
                    } else {
                        u32::from_le_bytes(b)
                    }
                })
                .collect(),
        )),
        (64, Some(_)) => Samples::F64(SampleBuf::Heap(
            bytes
                .chunks_exact(8)
                .map(|c| {
                    let b: [u8; 8] = c.try_into().unwrap_or([0; 8]);
                    if big_endian {
                        f64::from_be_bytes(b)
                    } else {
                        f64::from_le_bytes(b)
                    }
                })
                .collect(),
        )),
        (bits, _) => {
            return Err(PixelError::UnsupportedPixelFormat(format!(
                "Bits Allocated {bits}"
            )));
        }
    })
}

impl PixelFile {
    /// Decodes frame `k` (0-based).
    pub fn decode_frame(&self, k: u32) -> Result<DecodedFrame, PixelError> {
        #[cfg(feature = "test-fault")]
        crate::fault::wait_if_held(&self.sop_instance_uid);
        #[cfg_attr(not(feature = "test-fault"), allow(unused_mut))]
        let mut frame = self.decode_frame_as_stored(k)?;
        #[cfg(feature = "test-fault")]
        crate::fault::inject(&mut frame);
        Ok(frame)
    }

    fn decode_frame_as_stored(&self, k: u32) -> Result<DecodedFrame, PixelError> {
        let info = &self.info;
        if let Some(samples) = self.read_native_u16(k) {
            return Ok(DecodedFrame {
                rows: info.rows,
                columns: info.columns,
                samples: Samples::U16(samples?),
                color: color_of(info, false)?,
                planar: info.planar,
            });
        }
        let (samples, color, planar) = match self.frame_bytes(k)? {
            FrameBytes::Native { bytes, big_endian } => (
                samples_from_le_or_be(bytes, info, big_endian)?,
                color_of(info, false)?,
                info.planar,
            ),
            FrameBytes::Encapsulated(data) => match info.transfer_syntax.as_str() {
                DEFLATED_IMAGE_FRAME | ENCAPSULATED_UNCOMPRESSED => {
                    let expected = native_frame_bytes(info)?;
                    let native = if info.transfer_syntax == DEFLATED_IMAGE_FRAME {
                        let mut out = Vec::new();
                        flate2::read::DeflateDecoder::new(data.as_slice())
                            .take(expected + 1)
                            .read_to_end(&mut out)
                            .map_err(|e| decode_error(info, k, e.to_string()))?;
                        out
                    } else {
                        data
                    };
                    if (native.len() as u64) < expected {
                        return Err(PixelError::Truncated(format!(
                            "frame {k}: {} of {expected} bytes",
                            native.len()
                        )));
                    }
                    let mut native = native;
                    native.truncate(safe_math::to_usize(expected)?);
                    let count = u64::from(info.rows)
                        * u64::from(info.columns)
                        * u64::from(info.samples_per_pixel);
                    let native = match info.bits_allocated {
                        1 => crate::frames::unpack_bits(&native, 0, count),
                        12 => crate::frames::unpack_12_bit(&native, 0, count),
                        _ => native,
                    };
                    (
                        samples_from_le_or_be(native, info, false)?,
                        color_of(info, false)?,
                        info.planar,
                    )
                }
                _ => {
                    // JPEG-LS with interleave mode 0 (one scan per component) comes back from the
                    // codec colour-by-plane.
                    let planar_output = info.samples_per_pixel == 3
                        && matches!(
                            info.transfer_syntax.as_str(),
                            "1.2.840.10008.1.2.4.80" | "1.2.840.10008.1.2.4.81"
                        )
                        && jpeg_ls_interleave(&data) == Some(0);
                    let decoded = match info.transfer_syntax.as_str() {
                        RLE_LOSSLESS => crate::rle::decode_frame(
                            &data,
                            info.rows,
                            info.columns,
                            info.samples_per_pixel,
                            info.bits_allocated,
                        )
                        .map_err(|e| decode_error(info, k, e.to_string()))?,
                        ts if JPEG_SYNTAXES.contains(&ts) => decode_jpeg(info, k, data)?,
                        _ => decode_with_registry(info, k, data)?,
                    };
                    // JPEG, JPEG-LS and JPEG 2000 codecs deliver RGB; RLE keeps YBR samples.
                    let codec_made_rgb = info.transfer_syntax != RLE_LOSSLESS;
                    let samples = samples_from_le_or_be(decoded, info, false)?;
                    (samples, color_of(info, codec_made_rgb)?, planar_output)
                }
            },
        };
        let expected_samples = safe_math::frame_pixels(info.rows, info.columns)?
            * if color == ColorModel::YbrFull422 {
                2
            } else {
                u64::from(info.samples_per_pixel)
            };
        if (samples.len() as u64) < expected_samples {
            return Err(decode_error(
                info,
                k,
                format!(
                    "{} samples decoded, {expected_samples} expected",
                    samples.len()
                ),
            ));
        }
        Ok(DecodedFrame {
            rows: info.rows,
            columns: info.columns,
            samples,
            color,
            planar,
        })
    }
}

fn decode_error(info: &ImageInfo, frame: u32, reason: String) -> PixelError {
    PixelError::Decode {
        frame,
        transfer_syntax: info.transfer_syntax.clone(),
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
    info: &ImageInfo,
    k: u32,
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
        frame: k,
        transfer_syntax: info.transfer_syntax.clone(),
    })
}

fn decode_with_registry(info: &ImageInfo, k: u32, data: Vec<u8>) -> Result<Vec<u8>, PixelError> {
    let ts = TransferSyntaxRegistry
        .get(&info.transfer_syntax)
        .ok_or_else(|| PixelError::UnsupportedTransferSyntax(info.transfer_syntax.clone()))?;
    let reader = ts
        .pixel_data_reader()
        .ok_or_else(|| PixelError::UnsupportedTransferSyntax(info.transfer_syntax.clone()))?;
    let j2k = is_jpeg_2000(&info.transfer_syntax);
    let bits_allocated = match info.bits_allocated {
        8 | 16 => info.bits_allocated,
        // 1-bit JPEG 2000 (a component of precision 1, e.g. segmentations): one byte 0/1 per
        // sample, as native 1-bit frames are unpacked.
        1 if j2k => 8,
        bits => {
            return Err(PixelError::UnsupportedPixelFormat(format!(
                "{bits}-bit samples in transfer syntax {}",
                info.transfer_syntax
            )));
        }
    };
    check_codestream_size(info, k, &data)?;
    if info.bits_allocated == 1 && j2k_precision(&data).is_some_and(|p| p != 1) {
        return Err(decode_error(
            info,
            k,
            "Bits Allocated 1, but the codestream's precision is not 1 bit".into(),
        ));
    }
    // Outer error: the codec panicked (never retried); inner: the codec rejected the data.
    let run = |data: Vec<u8>| -> Result<Result<Vec<u8>, String>, PixelError> {
        let frame = OneFrame {
            info,
            bits_allocated,
            data,
        };
        let mut out = Vec::new();
        match contain_codec_panic(info, k, || reader.decode_frame(&frame, 0, &mut out))? {
            Ok(()) => Ok(Ok(out)),
            Err(e) => Ok(Err(error_chain(&e))),
        }
    };
    let jpeg_ls = matches!(
        info.transfer_syntax.as_str(),
        "1.2.840.10008.1.2.4.80" | "1.2.840.10008.1.2.4.81"
    );
    let retry = jpeg_ls
        .then(|| without_zero_bytes_before_eoi(&data))
        .flatten();
    match run(data)? {
        Ok(out) => Ok(out),
        // Retried only after a rejection, so a stream whose last data byte really is 0x00 is
        // never altered.
        Err(first) => match retry.map(run).transpose()? {
            Some(Ok(out)) => Ok(out),
            _ => Err(decode_error(info, k, first)),
        },
    }
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
    if data.get(eoi..eoi + 2) != Some(&[0xFF, 0xD9]) {
        return None;
    }
    let zeros = data[..eoi].iter().rev().take_while(|&&b| b == 0).count();
    // A 0x00 right after 0xFF would be part of the data (T.87 A.1 bit stuffing never makes one,
    // but leave such streams alone).
    if zeros == 0 || data[..eoi - zeros].last() == Some(&0xFF) {
        return None;
    }
    let mut trimmed = data[..eoi - zeros].to_vec();
    trimmed.extend_from_slice(&[0xFF, 0xD9]);
    Some(trimmed)
}

/// JPEG (ITU-T T.81) through jpeg-decoder, with the colour transform PS3.5 8.2.1 asks for (see
/// [`jpeg_needs_no_colour_transform`]). The codestream's size is checked first, and the
/// decoder's buffer is capped at the frame size.
fn decode_jpeg(info: &ImageInfo, k: u32, data: Vec<u8>) -> Result<Vec<u8>, PixelError> {
    if !matches!(info.bits_allocated, 8 | 16) {
        return Err(PixelError::UnsupportedPixelFormat(format!(
            "{}-bit samples in transfer syntax {}",
            info.bits_allocated, info.transfer_syntax
        )));
    }
    check_codestream_size(info, k, &data)?;
    let expected = safe_math::to_usize(safe_math::native_frame_bytes(
        info.rows,
        info.columns,
        info.samples_per_pixel,
        info.bits_allocated,
    )?)?;
    if jpeg_dct_precision(&data) == Some(12) {
        return decode_jpeg_12bit(info, k, &data, expected);
    }
    let no_transform = jpeg_needs_no_colour_transform(info, &data);
    let result = contain_codec_panic(info, k, || {
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
        Err(e) => Err(decode_error(info, k, format!("JPEG decoder: {e}"))),
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
    info: &ImageInfo,
    k: u32,
    data: &[u8],
    expected: usize,
) -> Result<Vec<u8>, PixelError> {
    if info.bits_allocated != 16 {
        return Err(PixelError::UnsupportedPixelFormat(format!(
            "12-bit JPEG in {}-bit samples (Bits Allocated must be 16)",
            info.bits_allocated
        )));
    }
    let pixels = safe_math::frame_pixels(info.rows, info.columns)?;
    let limits = libjpeg_turbo_rs::DecodeLimits {
        max_width: usize::from(info.columns),
        max_height: usize::from(info.rows),
        max_pixels: pixels,
        max_scans: 1024,
        max_memory: Some(safe_math::MAX_FRAME_BYTES.saturating_mul(4)),
    };
    let result = contain_codec_panic(info, k, || {
        libjpeg_turbo_rs::decompress_12bit_with_limits(data, &limits)
    })?;
    let image = match result {
        Ok(image) => image,
        Err(e) => return Err(decode_error(info, k, format!("12-bit JPEG decoder: {e}"))),
    };
    if (image.width, image.height, image.num_components)
        != (
            usize::from(info.columns),
            usize::from(info.rows),
            usize::from(info.samples_per_pixel),
        )
    {
        return Err(decode_error(
            info,
            k,
            format!(
                "the 12-bit codestream decoded to {}×{}×{}, the header says {}×{}×{}",
                image.width,
                image.height,
                image.num_components,
                info.columns,
                info.rows,
                info.samples_per_pixel
            ),
        ));
    }
    let mut out = Vec::with_capacity(expected);
    for &v in &image.data {
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
fn jpeg_needs_no_colour_transform(info: &ImageInfo, data: &[u8]) -> bool {
    if info.photometric != Photometric::Rgb || info.samples_per_pixel != 3 {
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

fn is_jpeg_2000(ts: &str) -> bool {
    ts.starts_with("1.2.840.10008.1.2.4.9") || ts.starts_with("1.2.840.10008.1.2.4.20")
}

/// Refuses a codestream whose own header declares other dimensions than Rows × Columns before
/// the codec sees it: a corrupted or hostile JPEG / JPEG 2000 header claiming a huge image would
/// otherwise make the codec allocate and work for it (a decompression bomb).
fn check_codestream_size(info: &ImageInfo, k: u32, data: &[u8]) -> Result<(), PixelError> {
    let declared = if is_jpeg_2000(&info.transfer_syntax) {
        j2k_size(data)
    } else if JPEG_SYNTAXES.contains(&info.transfer_syntax.as_str()) {
        jpeg_size(data)
    } else if is_jpeg_ls(&info.transfer_syntax) {
        jpeg_ls_size(data)
    } else {
        return Ok(());
    };
    match declared {
        Some((w, h)) if w == u32::from(info.columns) && h == u32::from(info.rows) => Ok(()),
        Some((w, h)) => Err(decode_error(
            info,
            k,
            format!(
                "the codestream declares {w}×{h} pixels, the header {}×{}",
                info.columns, info.rows
            ),
        )),
        None => Err(decode_error(
            info,
            k,
            "no image header (SOF / SIZ marker) in the codestream".into(),
        )),
    }
}

fn is_jpeg_ls(ts: &str) -> bool {
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
    let ns = usize::from(*data.get(sos + 4)?);
    data.get(sos + 5 + 2 * ns + 1).copied()
}

/// Width and height from a JPEG 2000 SIZ marker segment (ISO/IEC 15444-1 A.5.1), in a raw
/// codestream or inside a JP2 file.
fn j2k_size(data: &[u8]) -> Option<(u32, u32)> {
    let siz = j2k_siz(data)?;
    let be = |o: usize| u32::from_be_bytes([siz[o], siz[o + 1], siz[o + 2], siz[o + 3]]);
    let (x, y, xo, yo) = (be(4), be(8), be(12), be(16));
    Some((x.checked_sub(xo)?, y.checked_sub(yo)?))
}

/// The SIZ marker segment after SOC (ISO/IEC 15444-1 A.5.1), from Lsiz to the first
/// component's Ssiz (39 bytes).
fn j2k_siz(data: &[u8]) -> Option<&[u8]> {
    let start = data
        .windows(4)
        .take(64 * 1024)
        .position(|w| w == [0xFF, 0x4F, 0xFF, 0x51])?;
    data.get(start + 4..start + 4 + 39)
}

/// The precision in bits of the first component (ISO/IEC 15444-1 A.5.1: Ssiz low 7 bits + 1).
fn j2k_precision(data: &[u8]) -> Option<u8> {
    Some((j2k_siz(data)?[38] & 0x7F) + 1)
}

/// Whether a marker is a start-of-frame (SOFn, ITU-T T.81 B.1.1.3: C0–CF except DHT, JPG, DAC).
fn is_sof(marker: u8) -> bool {
    matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC)
}

/// The marker segments of a JPEG stream up to its first SOS (ITU-T T.81 B.1.1.2), as (marker,
/// payload after the length). A segment whose length runs past the data ends the list.
fn jpeg_header_segments(data: &[u8]) -> Vec<(u8, &[u8])> {
    let mut out = Vec::new();
    let Some(soi) = data.windows(2).position(|w| w == [0xFF, 0xD8]) else {
        return out;
    };
    let mut i = soi + 2;
    while i + 4 <= data.len() {
        if data[i] != 0xFF {
            i += 1;
            continue;
        }
        let marker = data[i + 1];
        if marker == 0xFF || marker == 0x01 || (0xD0..=0xD8).contains(&marker) {
            i += if marker == 0xFF { 1 } else { 2 };
            continue;
        }
        let len = usize::from(u16::from_be_bytes([data[i + 2], data[i + 3]]));
        let Some(payload) = data.get(i + 4..(i + 2 + len).max(i + 4)) else {
            break;
        };
        out.push((marker, payload));
        if marker == 0xDA {
            break;
        }
        i += 2 + len;
    }
    out
}

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
        data.get(4 * i..4 * i + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let segments = u32::from(info.samples_per_pixel) * u32::from(info.bits_allocated.div_ceil(8));
    let offsets: Vec<u32> = (1..16).map(word).collect::<Option<_>>()?;
    let (used, unused) = offsets.split_at(segments.min(15) as usize);
    let rle = word(0) == Some(segments)
        && used.first() == Some(&64)
        && used.windows(2).all(|w| w[0] < w[1])
        && used.last().is_some_and(|&o| (o as usize) < data.len())
        && unused.iter().all(|&o| o == 0);
    rle.then_some((RLE_LOSSLESS, "RLE Lossless"))
}

/// Width and height from the first SOFn marker of a JPEG stream (ITU-T T.81 B.2.2).
fn jpeg_size(data: &[u8]) -> Option<(u32, u32)> {
    frame_size(data, is_sof)
}

/// Width and height (X, Y after P) from the first frame header segment whose marker `is_frame`
/// accepts, before the first scan.
fn frame_size(data: &[u8], is_frame: impl Fn(u8) -> bool) -> Option<(u32, u32)> {
    let (_, sof) = jpeg_header_segments(data)
        .into_iter()
        .take_while(|(m, _)| *m != 0xDA)
        .find(|(m, _)| is_frame(*m))?;
    let sof = sof.get(..5)?;
    let height = u32::from(u16::from_be_bytes([sof[1], sof[2]]));
    let width = u32::from(u16::from_be_bytes([sof[3], sof[4]]));
    Some((width, height))
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
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
        let mut rgb = crate::test_info();
        rgb.samples_per_pixel = 3;
        rgb.photometric = Photometric::Rgb;
        let mut ybr = rgb.clone();
        ybr.photometric = Photometric::YbrFull;
        let adobe = |t: u8| -> Vec<u8> {
            let mut p = b"Adobe".to_vec();
            p.extend([0, 100, 0, 0, 0, 0, t]);
            p
        };
        let no_transform = |info: &ImageInfo, apps: &[(u8, &[u8])], ids| {
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
