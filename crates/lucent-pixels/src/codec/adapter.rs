//! The codec adapters of `dicom-transfer-syntax-registry` (the codec layer of dicom-pixeldata:
//! OpenJPEG for JPEG 2000 and HTJ2K, CharLS for JPEG-LS), each given one frame as a
//! single-frame, single-fragment image so that no other frame is read, its panics contained.

use super::{
    DecodedFrame, FrameBytes, FrameDecoder, FrameDescription, contain_codec_panic, decode_error,
};
use crate::error::PixelError;
use dicom_encoding::adapters::{PixelDataObject, RawPixelData};
use dicom_encoding::transfer_syntax::TransferSyntaxIndex;
use dicom_transfer_syntax_registry::TransferSyntaxRegistry;
use std::borrow::Cow;

/// What [`OtherRegistered`] is called in messages.
pub(super) const NAME: &str = "dicom-transfer-syntax-registry";

/// A stream to try once more after the codec rejected the original, if there is one.
pub(super) type Retry = fn(&[u8]) -> Option<Vec<u8>>;

/// What differs between the syntaxes decoded through the registry.
pub(super) struct AdapterRules {
    /// Bits Allocated 1 is decoded as 8 (one byte 0/1 per sample, as native 1-bit frames are
    /// unpacked): JPEG 2000, whose components may have a precision of 1.
    pub one_bit_as_bytes: bool,
    /// Checks the codestream before the codec sees it (its declared size; see
    /// `check_codestream_size`).
    pub check: fn(&FrameDescription, u32, &[u8]) -> Result<(), PixelError>,
    /// The stream to try once more after the codec rejected it, if any.
    pub retry: Option<Retry>,
}

/// A transfer syntax no other codec of the table claims: whatever codec the registry has for it
/// (none, for the syntaxes Lucent does not decode: `E_UNSUPPORTED_TRANSFER_SYNTAX`).
pub(super) struct OtherRegistered;

impl FrameDecoder for OtherRegistered {
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
            one_bit_as_bytes: false,
            check: |_, _, _| Ok(()),
            retry: None,
        };
        let data = encoded.into_codestream(image)?;
        let decoded = decode_with_registry(image, frame, data, &rules)?;
        codec_output(image, decoded, false)
    }
}

/// The frame a registry codec decoded (little-endian samples), which it delivers as RGB when
/// colour (PS3.5 8.2: the JPEG family's codecs undo the colour transform); colour-by-plane when
/// `planar` (JPEG-LS with one scan per component).
pub(super) fn codec_output(
    image: &FrameDescription,
    decoded: Vec<u8>,
    planar: bool,
) -> Result<DecodedFrame, PixelError> {
    Ok(DecodedFrame {
        rows: image.rows,
        columns: image.columns,
        samples: super::samples::samples_from_le_or_be(decoded, image, false)?,
        color: super::samples::color_of(image, true)?,
        planar,
    })
}

/// Decodes one frame with the registry's codec for its transfer syntax, under `rules`.
pub(super) fn decode_with_registry(
    image: &FrameDescription,
    frame: u32,
    data: Vec<u8>,
    rules: &AdapterRules,
) -> Result<Vec<u8>, PixelError> {
    let ts = TransferSyntaxRegistry
        .get(&image.transfer_syntax)
        .ok_or_else(|| PixelError::UnsupportedTransferSyntax(image.transfer_syntax.clone()))?;
    let reader = ts
        .pixel_data_reader()
        .ok_or_else(|| PixelError::UnsupportedTransferSyntax(image.transfer_syntax.clone()))?;
    let bits_allocated = match image.bits_allocated {
        8 | 16 => image.bits_allocated,
        1 if rules.one_bit_as_bytes => 8,
        bits => {
            return Err(PixelError::UnsupportedPixelFormat(format!(
                "{bits}-bit samples in transfer syntax {}",
                image.transfer_syntax
            )));
        }
    };
    (rules.check)(image, frame, &data)?;
    // Outer error: the codec panicked (never retried); inner: the codec rejected the data.
    let run = |data: Vec<u8>| -> Result<Result<Vec<u8>, String>, PixelError> {
        let one_frame = OneFrame {
            image,
            bits_allocated,
            data,
        };
        let mut out = Vec::new();
        match contain_codec_panic(image, frame, || {
            reader.decode_frame(&one_frame, 0, &mut out)
        })? {
            Ok(()) => Ok(Ok(out)),
            Err(e) => Ok(Err(error_chain(&e))),
        }
    };
    let retry = rules.retry.and_then(|again| again(&data));
    match run(data)? {
        Ok(out) => Ok(out),
        // Retried only after a rejection, so a stream the codec accepts is never altered.
        Err(first) => match retry.map(run).transpose()? {
            Some(Ok(out)) => Ok(out),
            _ => Err(decode_error(image, frame, first)),
        },
    }
}

/// One encapsulated frame presented to a codec adapter as a single-frame, single-fragment image.
struct OneFrame<'a> {
    image: &'a FrameDescription,
    /// Bits Allocated told to the codec (8 for 1-bit data, one byte per sample out).
    bits_allocated: u16,
    data: Vec<u8>,
}

impl PixelDataObject for OneFrame<'_> {
    fn transfer_syntax_uid(&self) -> &str {
        &self.image.transfer_syntax
    }
    fn rows(&self) -> Option<u16> {
        Some(self.image.rows)
    }
    fn cols(&self) -> Option<u16> {
        Some(self.image.columns)
    }
    fn samples_per_pixel(&self) -> Option<u16> {
        Some(self.image.samples_per_pixel)
    }
    fn bits_allocated(&self) -> Option<u16> {
        Some(self.bits_allocated)
    }
    fn bits_stored(&self) -> Option<u16> {
        Some(self.image.bits_stored)
    }
    fn photometric_interpretation(&self) -> Option<&str> {
        Some(&self.image.photometric_text)
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

/// An error and its sources, joined by `: `.
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
