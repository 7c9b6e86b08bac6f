//! Segmented Palette Color Lookup Table Data (PS3.3 C.7.9.2) end to end: small PALETTE COLOR
//! files built here, rendered, and compared with palettes expanded by hand; malformed segment
//! data gives `E_INVALID_PIXEL_ATTRIBUTES`.

use dicom_core::value::PrimitiveValue;
use dicom_core::{DataElement, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::{FileMetaTableBuilder, InMemDicomObject};
use lucent_error::{ErrorCode, HasErrorCode};
use lucent_pixels::{PixelError, PixelFile, RenderedFrame, VoiChoice};
use std::path::Path;

const DESCRIPTORS: [Tag; 3] = [
    tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
    tags::GREEN_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
    tags::BLUE_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
];
const SEGMENTED: [Tag; 3] = [
    tags::SEGMENTED_RED_PALETTE_COLOR_LOOKUP_TABLE_DATA,
    tags::SEGMENTED_GREEN_PALETTE_COLOR_LOOKUP_TABLE_DATA,
    tags::SEGMENTED_BLUE_PALETTE_COLOR_LOOKUP_TABLE_DATA,
];
const NORMAL: [Tag; 3] = [
    tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DATA,
    tags::GREEN_PALETTE_COLOR_LOOKUP_TABLE_DATA,
    tags::BLUE_PALETTE_COLOR_LOOKUP_TABLE_DATA,
];

/// A one-row 8-bit PALETTE COLOR image of `indices` with a descriptor (entries, first, bits)
/// for each channel and extra elements (the palette data).
fn write(path: &Path, indices: &[u8], descriptor: [u16; 3], extra: Vec<(Tag, Vec<u16>)>) {
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
    s(&mut o, tags::SOP_INSTANCE_UID, VR::UI, "2.25.4321");
    s(
        &mut o,
        tags::PHOTOMETRIC_INTERPRETATION,
        VR::CS,
        "PALETTE COLOR",
    );
    let columns = u16::try_from(indices.len()).unwrap();
    for (t, v) in [
        (tags::SAMPLES_PER_PIXEL, 1u16),
        (tags::ROWS, 1),
        (tags::COLUMNS, columns),
        (tags::BITS_ALLOCATED, 8),
        (tags::BITS_STORED, 8),
        (tags::HIGH_BIT, 7),
        (tags::PIXEL_REPRESENTATION, 0),
    ] {
        o.put(DataElement::new(t, VR::US, PrimitiveValue::from(v)));
    }
    for t in DESCRIPTORS {
        o.put(DataElement::new(
            t,
            VR::US,
            PrimitiveValue::U16(descriptor.to_vec().into()),
        ));
    }
    for (t, words) in extra {
        o.put(DataElement::new(
            t,
            VR::OW,
            PrimitiveValue::U16(words.into()),
        ));
    }
    let mut pixels = indices.to_vec();
    if pixels.len() % 2 == 1 {
        pixels.push(0);
    }
    o.put(DataElement::new(
        tags::PIXEL_DATA,
        VR::OB,
        PrimitiveValue::U8(pixels.into()),
    ));
    o.with_meta(FileMetaTableBuilder::new().transfer_syntax("1.2.840.10008.1.2.1"))
        .unwrap()
        .write_to_file(path)
        .unwrap();
}

fn render(path: &Path) -> Result<RenderedFrame, PixelError> {
    PixelFile::open(path)?.render(0, VoiChoice::FromHeader)
}

/// The same segmented data for the three channels.
fn segmented(words: &[u16]) -> Vec<(Tag, Vec<u16>)> {
    SEGMENTED.iter().map(|&t| (t, words.to_vec())).collect()
}

/// 16-bit entries in units of 257 (so each renders to exactly `v / 257`).
fn u(v: u16) -> u16 {
    v * 257
}

#[test]
fn discrete_linear_and_indirect_segments_render_as_expanded_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    // Words (positions in 16-bit words from the start of the data):
    //  0: discrete, 3 entries: 200, 10, 30
    //  5: linear, 4 entries to 70: from 30 → 40, 50, 60, 70
    //  8: discrete, 1 entry: 5
    // 11: indirect, 2 segments from word 5 (the linear, then the discrete), offset split
    //     low word first: the linear starts from the current last value 5 → 21.25, 37.5,
    //     53.75, 70 (→ 21, 38, 54, 70 rounded half up), then 5
    // 15: linear, 2 entries to 9: from 5 → 7, 9
    let red = [
        0,
        3,
        u(200),
        u(10),
        u(30),
        1,
        4,
        u(70),
        0,
        1,
        u(5),
        2,
        2,
        5,
        0,
        1,
        2,
        u(9),
    ];
    let expanded_red: [u16; 15] = [200, 10, 30, 40, 50, 60, 70, 5, 21, 38, 54, 70, 5, 7, 9];
    // Green: one linear ramp over the whole table; blue: one discrete segment of all entries.
    let green = [0, 1, u(0), 1, 14, u(14)];
    let blue: Vec<u16> = [0, 15]
        .into_iter()
        .chain((0..15).map(|i| u(250 - 10 * i)))
        .collect();
    let entries = expanded_red.len() as u16;
    // First mapped value 2: indices 0 and 1 take entry 0, indices past the table the last one.
    let indices: Vec<u8> = (0..20).collect();
    let path = dir.path().join("segmented.dcm");
    write(
        &path,
        &indices,
        [entries, 2, 16],
        vec![
            (SEGMENTED[0], red.to_vec()),
            (SEGMENTED[1], green.to_vec()),
            (SEGMENTED[2], blue),
        ],
    );
    let frame = render(&path).unwrap();
    assert_eq!((frame.width, frame.height, frame.channels), (20, 1, 3));
    let expected: Vec<u8> = indices
        .iter()
        .flat_map(|&i| {
            let e = usize::from(i).saturating_sub(2).min(14);
            [
                u8::try_from(expanded_red[e]).unwrap(),
                u8::try_from(e).unwrap(),
                u8::try_from(250 - 10 * e).unwrap(),
            ]
        })
        .collect();
    assert_eq!(frame.pixels, expected);
}

#[test]
fn eight_bit_entries_are_read_as_bytes_like_the_well_known_palettes() {
    let dir = tempfile::tempdir().unwrap();
    // The well-known WINTER red channel (PS3.6 Annex B): bytes 0,1,0 · 1,127,0 · 1,128,127 and a
    // padding byte, two bytes per OW word, low byte first.
    let bytes = [0u8, 1, 0, 1, 127, 0, 1, 128, 127, 0];
    let words: Vec<u16> = bytes
        .chunks(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let path = dir.path().join("winter.dcm");
    let indices: Vec<u8> = (0..=255).collect();
    write(&path, &indices, [256, 0, 8], segmented(&words));
    let frame = render(&path).unwrap();
    // Entry 0 is 0, entries 1..=127 stay 0 (linear 0 → 0), entries 128..=255 are 0 + 127·i/128
    // for i = 1..=128, rounded half up.
    let table: Vec<u8> = (0..256u32)
        .map(|x| match x {
            0..=127 => 0,
            _ => u8::try_from((2 * 127 * (x - 127) + 128) / 256).unwrap(),
        })
        .collect();
    let red: Vec<u8> = frame.pixels.chunks(3).map(|p| p[0]).collect();
    assert_eq!(red, table);
    assert_eq!(table[255], 127);
}

#[test]
fn normal_palette_data_wins_over_segmented_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("both.dcm");
    let mut extra = segmented(&[0, 2, u(1), u(2)]);
    extra.extend(NORMAL.iter().map(|&t| (t, vec![u(100), u(200)])));
    write(&path, &[0, 1], [2, 0, 16], extra);
    assert_eq!(
        render(&path).unwrap().pixels,
        [100, 100, 100, 200, 200, 200]
    );
}

#[test]
fn malformed_segments_are_invalid_pixel_attributes() {
    let cases: &[(&str, &[u16], u16)] = &[
        ("length past the end", &[0, 9, 1, 2, 3], 9),
        (
            "indirect offset out of range",
            &[0, 2, 1, 2, 2, 1, 0x40, 0],
            4,
        ),
        (
            "indirect offset inside a segment",
            &[0, 2, 1, 2, 2, 1, 3, 0],
            4,
        ),
        (
            "indirect offset pointing forward",
            &[0, 1, 1, 2, 1, 7, 0, 0, 1, 2],
            3,
        ),
        ("unknown opcode", &[0, 1, 1, 3, 1, 2], 2),
        (
            "table larger than the descriptor",
            &[0, 2, 1, 2, 1, 3, 9],
            4,
        ),
        ("table smaller than the descriptor", &[0, 2, 1, 2], 3),
        ("linear segment first", &[1, 2, 9], 2),
        ("truncated segment", &[0, 1, 1, 1, 7], 2),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (i, (what, words, entries)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("bad{i}.dcm"));
        write(&path, &[0, 1], [*entries, 0, 16], segmented(words));
        let err = render(&path).expect_err(what);
        assert_eq!(
            err.code(),
            ErrorCode::InvalidPixelAttributes,
            "{what}: {err}"
        );
        assert!(
            err.to_string().contains("segmented palette"),
            "{what}: {err}"
        );
    }
}

#[test]
fn palette_color_without_any_palette_data_is_still_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nodata.dcm");
    write(&path, &[0], [1, 0, 16], Vec::new());
    let err = render(&path).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidPixelAttributes, "{err}");
    assert!(
        err.to_string()
            .contains("(Segmented) Palette Color LUT Data"),
        "{err}"
    );
}
