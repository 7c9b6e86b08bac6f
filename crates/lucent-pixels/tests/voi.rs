//! The header-driven VOI and modality choices, on small files with hand-computed expectations:
//! VOI LUT Function, Modality LUT Sequence, VOI LUT Sequence, functional-group windows, padding.

use dicom_core::value::{DataSetSequence, PrimitiveValue};
use dicom_core::{DataElement, Length, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::{FileMetaTableBuilder, InMemDicomObject};
use lucent_pixels::{PixelFile, VoiChoice};
use std::path::Path;

/// A 2×2 MONOCHROME2 image with the given signed 16-bit stored values and extra elements.
fn write(path: &Path, stored: [i16; 4], frames: u32, extra: Vec<DataElement<InMemDicomObject>>) {
    let mut o = InMemDicomObject::new_empty();
    let s = |o: &mut InMemDicomObject, t: Tag, vr: VR, v: &str| {
        o.put(DataElement::new(t, vr, PrimitiveValue::from(v)))
    };
    s(
        &mut o,
        tags::SOP_CLASS_UID,
        VR::UI,
        "1.2.840.10008.5.1.4.1.1.7",
    );
    s(&mut o, tags::SOP_INSTANCE_UID, VR::UI, "2.25.1234");
    s(
        &mut o,
        tags::PHOTOMETRIC_INTERPRETATION,
        VR::CS,
        "MONOCHROME2",
    );
    for (t, v) in [
        (tags::SAMPLES_PER_PIXEL, 1u16),
        (tags::ROWS, 2),
        (tags::COLUMNS, 2),
        (tags::BITS_ALLOCATED, 16),
        (tags::BITS_STORED, 16),
        (tags::HIGH_BIT, 15),
        (tags::PIXEL_REPRESENTATION, 1),
    ] {
        o.put(DataElement::new(t, VR::US, PrimitiveValue::from(v)));
    }
    if frames > 1 {
        s(&mut o, tags::NUMBER_OF_FRAMES, VR::IS, &frames.to_string());
    }
    for e in extra {
        o.put(e);
    }
    let bytes: Vec<u8> = (0..frames)
        .flat_map(|_| stored.iter().flat_map(|v| v.to_le_bytes()))
        .collect();
    o.put(DataElement::new(
        tags::PIXEL_DATA,
        VR::OW,
        PrimitiveValue::U8(bytes.into()),
    ));
    o.with_meta(FileMetaTableBuilder::new().transfer_syntax("1.2.840.10008.1.2.1"))
        .unwrap()
        .write_to_file(path)
        .unwrap();
}

fn ds(tag: Tag, v: &str) -> DataElement<InMemDicomObject> {
    DataElement::new(tag, VR::DS, PrimitiveValue::from(v))
}

fn cs(tag: Tag, v: &str) -> DataElement<InMemDicomObject> {
    DataElement::new(tag, VR::CS, PrimitiveValue::from(v))
}

fn lut_item(first: u16, bits: u16, data: &[u16]) -> InMemDicomObject {
    let mut item = InMemDicomObject::new_empty();
    item.put(DataElement::new(
        tags::LUT_DESCRIPTOR,
        VR::US,
        PrimitiveValue::U16(vec![data.len() as u16, first, bits].into()),
    ));
    item.put(DataElement::new(
        tags::LUT_DATA,
        VR::OW,
        PrimitiveValue::U16(data.to_vec().into()),
    ));
    item
}

fn seq(tag: Tag, items: Vec<InMemDicomObject>) -> DataElement<InMemDicomObject> {
    DataElement::new(tag, VR::SQ, DataSetSequence::new(items, Length::UNDEFINED))
}

fn render(path: &Path, frame: u32, voi: VoiChoice) -> Vec<u8> {
    PixelFile::open(path)
        .unwrap()
        .render(frame, voi)
        .unwrap()
        .pixels
}

#[test]
fn linear_exact_from_the_header() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.dcm");
    write(
        &p,
        [-50, 0, 25, 51],
        1,
        vec![
            ds(tags::WINDOW_CENTER, "0"),
            ds(tags::WINDOW_WIDTH, "100"),
            cs(tags::VOILUT_FUNCTION, "LINEAR_EXACT"),
        ],
    );
    // -50 → 0; 0 → 127.5 → 128; 25 → 191.25 → 191; 51 → 255.
    assert_eq!(render(&p, 0, VoiChoice::FromHeader), vec![0, 128, 191, 255]);
}

#[test]
fn sigmoid_from_the_header() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.dcm");
    write(
        &p,
        [-50, 0, 50, 1000],
        1,
        vec![
            ds(tags::WINDOW_CENTER, "0"),
            ds(tags::WINDOW_WIDTH, "100"),
            cs(tags::VOILUT_FUNCTION, "SIGMOID"),
        ],
    );
    // 255/(1+e^2) = 30.40, 127.5, 255/(1+e^-2) = 224.60, ~255.
    assert_eq!(
        render(&p, 0, VoiChoice::FromHeader),
        vec![30, 128, 225, 255]
    );
}

#[test]
fn modality_lut_sequence_replaces_rescale() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.dcm");
    // Stored 0..3 → modality 0, 1000, 2000, 4095 (12-bit LUT); rescale must be ignored.
    write(
        &p,
        [0, 1, 2, 3],
        1,
        vec![
            seq(
                tags::MODALITY_LUT_SEQUENCE,
                vec![lut_item(0, 12, &[0, 1000, 2000, 4095])],
            ),
            ds(tags::RESCALE_SLOPE, "100"),
            ds(tags::RESCALE_INTERCEPT, "5"),
        ],
    );
    // LINEAR_EXACT over [0, 4095] (min–max): y = x / 4095 × 255.
    assert_eq!(render(&p, 0, VoiChoice::MinMax), vec![0, 62, 125, 255]);
}

#[test]
fn voi_lut_sequence_when_there_is_no_window() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.dcm");
    // VOI LUT: input first mapped 10, 8-bit entries [0, 100, 200, 255].
    write(
        &p,
        [5, 11, 12, 99],
        1,
        vec![seq(
            tags::VOILUT_SEQUENCE,
            vec![lut_item(10, 8, &[0, 100, 200, 255])],
        )],
    );
    assert_eq!(render(&p, 0, VoiChoice::FromHeader), vec![0, 100, 200, 255]);
}

#[test]
fn min_max_excludes_pixel_padding() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.dcm");
    write(
        &p,
        [-2000, 0, 50, 100],
        1,
        vec![DataElement::new(
            tags::PIXEL_PADDING_VALUE,
            VR::SS,
            PrimitiveValue::from(-2000i16),
        )],
    );
    // Window over [0, 100] (padding excluded): -2000 → 0, 0 → 0, 50 → 127.5 → 128, 100 → 255.
    assert_eq!(render(&p, 0, VoiChoice::FromHeader), vec![0, 0, 128, 255]);
}

#[test]
fn enhanced_multi_frame_uses_each_frames_voi() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.dcm");
    let group = |c: &str, w: &str| {
        let mut voi = InMemDicomObject::new_empty();
        voi.put(ds(tags::WINDOW_CENTER, c));
        voi.put(ds(tags::WINDOW_WIDTH, w));
        voi.put(cs(tags::VOILUT_FUNCTION, "LINEAR_EXACT"));
        let mut g = InMemDicomObject::new_empty();
        g.put(seq(tags::FRAME_VOILUT_SEQUENCE, vec![voi]));
        g
    };
    write(
        &p,
        [0, 100, 200, 300],
        2,
        vec![seq(
            tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE,
            vec![group("100", "200"), group("300", "200")],
        )],
    );
    assert_eq!(render(&p, 0, VoiChoice::FromHeader), vec![0, 128, 255, 255]);
    assert_eq!(render(&p, 1, VoiChoice::FromHeader), vec![0, 0, 0, 128]);
    // An explicit window overrides the header.
    assert_eq!(
        render(
            &p,
            1,
            VoiChoice::Explicit {
                center: 150.0,
                width: 301.0
            }
        ),
        vec![0, 85, 170, 255]
    );
}

#[test]
fn frame_out_of_range_and_bad_windows_are_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.dcm");
    write(&p, [0, 1, 2, 3], 1, vec![]);
    let file = PixelFile::open(&p).unwrap();
    let err = file.render(1, VoiChoice::FromHeader).unwrap_err();
    assert_eq!(
        lucent_error::HasErrorCode::code(&err),
        lucent_error::ErrorCode::FrameOutOfRange
    );
    let err = file
        .render(
            0,
            VoiChoice::Explicit {
                center: 0.0,
                width: 0.0,
            },
        )
        .unwrap_err();
    assert_eq!(
        lucent_error::HasErrorCode::code(&err),
        lucent_error::ErrorCode::InvalidArgument
    );
}

/// Float Pixel Data has no peer decoder here (dcmtk 3.6.7 and GDCM do not render it): compared
/// with the source values of a generated file under the same window, by the PS3.3 formula.
#[test]
fn float_pixel_data_matches_its_source_values() {
    use lucent_testdata::*;
    let dir = tempfile::tempdir().unwrap();
    let values: Vec<f32> = (0..64 * 64)
        .map(|i| ((i % 64) as f32 - 20.0) * 1.75 + (i / 64) as f32 * 0.5)
        .collect();
    let mut spec = ImageSpec::new("2.25.11".into(), "2.25.12".into(), "2.25.13".into());
    spec.sop_class_uid = "1.2.840.10008.5.1.4.1.1.30"; // Parametric Map Storage
    spec.modality = "OT";
    spec.rows = 64;
    spec.columns = 64;
    spec.pixels = Pixels::Float32(values.clone());
    let path = dir.path().join("float.dcm");
    spec.write(&path).unwrap();
    let (c, w) = (10.0, 80.0);
    assert_eq!(
        PixelFile::open(&path).unwrap().info.float_bits,
        Some(32),
        "read as Float Pixel Data"
    );
    let rendered = PixelFile::open(&path)
        .unwrap()
        .render(
            0,
            VoiChoice::Explicit {
                center: c,
                width: w,
            },
        )
        .unwrap();
    let expected: Vec<u8> = values
        .iter()
        .map(|&x| {
            let x = f64::from(x);
            if x <= c - 0.5 - (w - 1.0) / 2.0 {
                0
            } else if x > c - 0.5 + (w - 1.0) / 2.0 {
                255
            } else {
                (((x - (c - 0.5)) / (w - 1.0) + 0.5) * 255.0).round() as u8
            }
        })
        .collect();
    assert_eq!(rendered.pixels, expected);
    // Without a window: min–max of the floats.
    let minmax = PixelFile::open(&path)
        .unwrap()
        .render(0, VoiChoice::FromHeader)
        .unwrap();
    assert_eq!(*minmax.pixels.iter().min().unwrap(), 0);
    assert_eq!(*minmax.pixels.iter().max().unwrap(), 255);
}
