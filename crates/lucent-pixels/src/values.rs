//! Stored and modality values of a greyscale frame at full resolution: what a pixel probe and
//! region statistics read, never the 8-bit display values.
//!
//! Stored values follow Bits Stored, High Bit and Pixel Representation (PS3.3 C.7.6.3.1); the
//! modality transform is Rescale Slope/Intercept or the Modality LUT Sequence (PS3.3 C.11.1).
//! For a rescale the transform is returned as its two numbers (the client multiplies, in double
//! precision); only a table is expanded per pixel.

use crate::codec::{ColorModel, DecodedFrame, Samples};
use crate::error::PixelError;
use crate::info::ImageInfo;
use crate::lut::{ModalityTransform, StoredValueCodec};

/// How modality values follow from stored values.
#[derive(Debug, Clone, PartialEq)]
pub enum ModalityValues {
    /// `stored × slope + intercept` (Float Pixel Data: slope 1, intercept 0).
    Rescale {
        /// Rescale Slope.
        slope: f64,
        /// Rescale Intercept.
        intercept: f64,
    },
    /// The Modality LUT Sequence applied to each pixel, row by row.
    Table(Vec<f32>),
}

/// The values of one greyscale frame.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameValues {
    /// Columns.
    pub width: u32,
    /// Rows.
    pub height: u32,
    /// Stored values, row by row (exact for stored values of up to 24 bits).
    pub stored: Vec<f32>,
    /// Modality values.
    pub modality: ModalityValues,
    /// The unit of modality values: Rescale Type, or `HU` for CT without one (PS3.3 C.8.2.1.1.2).
    pub unit: Option<String>,
}

impl FrameValues {
    /// The values of a decoded frame; `modality` is the series' Modality (for the CT unit).
    /// Colour frames have no single value per pixel: `E_UNSUPPORTED_PIXEL_FORMAT`.
    pub fn new(
        info: &ImageInfo,
        frame: &DecodedFrame,
        modality: Option<&str>,
    ) -> Result<Self, PixelError> {
        if frame.color != ColorModel::Monochrome {
            return Err(PixelError::UnsupportedPixelFormat(
                "pixel values are read from greyscale images only".into(),
            ));
        }
        let codec = StoredValueCodec::new(info);
        let stored_of = |raw: u64| codec.value(codec.code(raw)) as f32;
        let stored: Vec<f32> = match &frame.samples {
            Samples::U8(v) => v.iter().map(|&s| stored_of(u64::from(s))).collect(),
            Samples::U16(v) => v.iter().map(|&s| stored_of(u64::from(s))).collect(),
            Samples::U32(v) => v.iter().map(|&s| stored_of(u64::from(s))).collect(),
            Samples::F32(v) => v.to_vec(),
            Samples::F64(v) => v.iter().map(|&s| s as f32).collect(),
        };
        let float_data = matches!(frame.samples, Samples::F32(_) | Samples::F64(_));
        let modality_values = match ModalityTransform::new(info) {
            _ if float_data => ModalityValues::Rescale {
                slope: 1.0,
                intercept: 0.0,
            },
            ModalityTransform::Rescale { slope, intercept } => {
                ModalityValues::Rescale { slope, intercept }
            }
            table @ ModalityTransform::Table(_) => ModalityValues::Table(
                stored
                    .iter()
                    .map(|&s| table.apply(f64::from(s)) as f32)
                    .collect(),
            ),
        };
        let unit = info.rescale_type.clone().or_else(|| {
            (modality == Some("CT") && info.modality_lut.is_none()).then(|| "HU".to_string())
        });
        Ok(FrameValues {
            width: u32::from(frame.columns),
            height: u32::from(frame.rows),
            stored,
            modality: modality_values,
            unit,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::SampleBuf;

    fn frame(samples: Samples, color: ColorModel) -> DecodedFrame {
        DecodedFrame {
            rows: 2,
            columns: 2,
            samples,
            color,
            planar: false,
        }
    }

    #[test]
    fn signed_12_bit_ct_gives_stored_values_and_the_rescale() {
        let mut info = crate::test_info();
        info.bits_stored = 12;
        info.high_bit = 11;
        info.signed = true;
        info.rescale = (1.0, -1024.0);
        // 0xFFF is −1 in 12-bit two's complement; the high nibble is not part of the value.
        let raw = vec![0x0FFFu16, 0xF000 | 1000, 24, 0x0800];
        let v = FrameValues::new(
            &info,
            &frame(Samples::U16(SampleBuf::from(raw)), ColorModel::Monochrome),
            Some("CT"),
        )
        .unwrap();
        assert_eq!(v.stored, vec![-1.0, 1000.0, 24.0, -2048.0]);
        assert_eq!(
            v.modality,
            ModalityValues::Rescale {
                slope: 1.0,
                intercept: -1024.0
            }
        );
        assert_eq!(v.unit.as_deref(), Some("HU"));
    }

    #[test]
    fn a_rescale_type_names_the_unit_and_mr_has_none() {
        let mut info = crate::test_info();
        let f = frame(
            Samples::U16(SampleBuf::from(vec![1u16, 2, 3, 4])),
            ColorModel::Monochrome,
        );
        assert_eq!(FrameValues::new(&info, &f, Some("MR")).unwrap().unit, None);
        info.rescale_type = Some("US".into());
        assert_eq!(
            FrameValues::new(&info, &f, Some("CT"))
                .unwrap()
                .unit
                .as_deref(),
            Some("US")
        );
    }

    #[test]
    fn colour_frames_are_refused_with_a_typed_error() {
        let info = crate::test_info();
        let f = frame(Samples::U8(SampleBuf::from(vec![0u8; 12])), ColorModel::Rgb);
        let e = FrameValues::new(&info, &f, None).unwrap_err();
        assert_eq!(
            lucent_error::HasErrorCode::code(&e),
            lucent_error::ErrorCode::UnsupportedPixelFormat
        );
    }
}
