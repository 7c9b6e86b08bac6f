//! Decoder conformance (issue #7): encapsulated files built in the test from codestreams with
//! known pixels, decoded through `PixelFile`, compared exactly (or within the loss of a lossy
//! codec). No file outside the repository is needed.

use dicom_core::value::{PixelFragmentSequence, PrimitiveValue};
use dicom_core::{DataElement, VR};
use dicom_dictionary_std::tags;
use dicom_object::{FileMetaTableBuilder, InMemDicomObject};
use lucent_error::{ErrorCode, HasErrorCode};
use lucent_pixels::{ColorModel, PixelFile, Samples, VoiChoice};
use std::path::{Path, PathBuf};

const RLE: &str = "1.2.840.10008.1.2.5";
const JPEG_BASELINE: &str = "1.2.840.10008.1.2.4.50";
const J2K_LOSSLESS: &str = "1.2.840.10008.1.2.4.90";

/// The image attributes of a test file.
struct Image {
    rows: u16,
    columns: u16,
    samples_per_pixel: u16,
    bits_allocated: u16,
    photometric: &'static str,
}

/// Writes a Secondary Capture file with encapsulated Pixel Data, one fragment per frame.
fn write_encapsulated(dir: &Path, ts: &str, image: &Image, frames: Vec<Vec<u8>>) -> PathBuf {
    let mut o = InMemDicomObject::new_empty();
    let mut put = |tag, vr, value: PrimitiveValue| o.put(DataElement::new(tag, vr, value));
    let sop_class = "1.2.840.10008.5.1.4.1.1.7";
    let sop_instance = "2.25.4711";
    put(tags::SOP_CLASS_UID, VR::UI, sop_class.into());
    put(tags::SOP_INSTANCE_UID, VR::UI, sop_instance.into());
    put(tags::STUDY_INSTANCE_UID, VR::UI, "2.25.4712".into());
    put(tags::SERIES_INSTANCE_UID, VR::UI, "2.25.4713".into());
    put(tags::MODALITY, VR::CS, "OT".into());
    put(
        tags::SAMPLES_PER_PIXEL,
        VR::US,
        image.samples_per_pixel.into(),
    );
    put(
        tags::PHOTOMETRIC_INTERPRETATION,
        VR::CS,
        image.photometric.into(),
    );
    if image.samples_per_pixel > 1 {
        put(tags::PLANAR_CONFIGURATION, VR::US, 0u16.into());
    }
    put(
        tags::NUMBER_OF_FRAMES,
        VR::IS,
        frames.len().to_string().into(),
    );
    put(tags::ROWS, VR::US, image.rows.into());
    put(tags::COLUMNS, VR::US, image.columns.into());
    put(tags::BITS_ALLOCATED, VR::US, image.bits_allocated.into());
    put(tags::BITS_STORED, VR::US, image.bits_allocated.into());
    put(tags::HIGH_BIT, VR::US, (image.bits_allocated - 1).into());
    put(tags::PIXEL_REPRESENTATION, VR::US, 0u16.into());
    o.put(DataElement::new(
        tags::PIXEL_DATA,
        VR::OB,
        PixelFragmentSequence::new(Vec::<u32>::new(), frames),
    ));
    let path = dir.join("image.dcm");
    o.with_meta(
        FileMetaTableBuilder::new()
            .transfer_syntax(ts)
            .media_storage_sop_class_uid(sop_class)
            .media_storage_sop_instance_uid(sop_instance),
    )
    .unwrap()
    .write_to_file(&path)
    .unwrap();
    path
}

// ---------------------------------------------------------------------------------------------
// RLE Lossless (PS3.5 Annex G), 32 bits allocated: dicom-rs's RLE decoder refuses it.

/// PackBits (PS3.5 G.3.1) with literal runs only, so that the test encoder is obviously right.
fn pack_literal(src: &[u8]) -> Vec<u8> {
    src.chunks(128)
        .flat_map(|c| std::iter::once((c.len() - 1) as u8).chain(c.iter().copied()))
        .collect()
}

/// An RLE frame of 32-bit samples: per sample, its bytes most significant first (G.2).
fn rle_frame_u32(values: &[u32], samples_per_pixel: usize) -> Vec<u8> {
    let mut segments = Vec::new();
    for s in 0..samples_per_pixel {
        for byte in (0..4).rev() {
            let plane: Vec<u8> = values
                .iter()
                .skip(s)
                .step_by(samples_per_pixel)
                .map(|v| (v >> (8 * byte)) as u8)
                .collect();
            segments.push(pack_literal(&plane));
        }
    }
    let mut frame = vec![0u8; 64];
    frame[..4].copy_from_slice(&(segments.len() as u32).to_le_bytes());
    for (i, segment) in segments.iter().enumerate() {
        let offset = frame.len() as u32;
        frame[4 + 4 * i..8 + 4 * i].copy_from_slice(&offset.to_le_bytes());
        frame.extend(segment);
    }
    if frame.len() % 2 == 1 {
        frame.push(0);
    }
    frame
}

#[test]
fn rle_32_bit_monochrome_frames_decode_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let (rows, columns) = (5u16, 7u16);
    let n = usize::from(rows) * usize::from(columns);
    // Values that differ in every byte, and frame 1 differs from frame 0.
    let frame_values: Vec<Vec<u32>> = (0..2u32)
        .map(|f| {
            (0..n as u32)
                .map(|i| i.wrapping_mul(0x0101_0101 + f) ^ (f << 24))
                .collect()
        })
        .collect();
    let image = Image {
        rows,
        columns,
        samples_per_pixel: 1,
        bits_allocated: 32,
        photometric: "MONOCHROME2",
    };
    let path = write_encapsulated(
        dir.path(),
        RLE,
        &image,
        frame_values.iter().map(|v| rle_frame_u32(v, 1)).collect(),
    );
    let file = PixelFile::open(&path).unwrap();
    for (k, expected) in frame_values.iter().enumerate() {
        let frame = file.decode_frame(k as u32).unwrap();
        let Samples::U32(samples) = &frame.samples else {
            panic!("frame {k}: {:?}", frame.samples)
        };
        assert_eq!(&samples[..], &expected[..], "frame {k}");
    }
    // And through the whole pipeline: min–max maps the smallest value to 0, the largest to 255.
    let rendered = file.render(1, VoiChoice::MinMax).unwrap();
    let max_at = frame_values[1]
        .iter()
        .enumerate()
        .max_by_key(|(_, v)| **v)
        .unwrap()
        .0;
    let min_at = frame_values[1]
        .iter()
        .enumerate()
        .min_by_key(|(_, v)| **v)
        .unwrap()
        .0;
    assert_eq!((rendered.pixels[min_at], rendered.pixels[max_at]), (0, 255));
}

#[test]
fn rle_32_bit_rgb_decodes_exactly_and_interleaved() {
    let dir = tempfile::tempdir().unwrap();
    let (rows, columns) = (3u16, 4u16);
    let values: Vec<u32> = (0..3 * 12u32)
        .map(|i| (0xFFu32 << 24) | (i * 0x0001_0203))
        .collect();
    let image = Image {
        rows,
        columns,
        samples_per_pixel: 3,
        bits_allocated: 32,
        photometric: "RGB",
    };
    let path = write_encapsulated(dir.path(), RLE, &image, vec![rle_frame_u32(&values, 3)]);
    let frame = PixelFile::open(&path).unwrap().decode_frame(0).unwrap();
    assert_eq!((frame.color, frame.planar), (ColorModel::Rgb, false));
    let Samples::U32(samples) = &frame.samples else {
        panic!("{:?}", frame.samples)
    };
    assert_eq!(&samples[..], &values[..]);
}

#[test]
fn rle_with_a_broken_header_is_a_decode_error() {
    let dir = tempfile::tempdir().unwrap();
    let image = Image {
        rows: 2,
        columns: 2,
        samples_per_pixel: 1,
        bits_allocated: 32,
        photometric: "MONOCHROME2",
    };
    let mut frame = rle_frame_u32(&[1, 2, 3, 4], 1);
    frame[..4].copy_from_slice(&16u32.to_le_bytes()); // more segments than the header holds
    let path = write_encapsulated(dir.path(), RLE, &image, vec![frame]);
    let err = PixelFile::open(&path).unwrap().decode_frame(0).unwrap_err();
    assert_eq!(err.code(), ErrorCode::DecodeFailed, "{err}");
    assert!(err.to_string().contains("16 segment"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// JPEG with R, G, B components and no marker saying so (SC_jpeg_no_color_transform).

/// A baseline JPEG whose three components hold `rgb` as is (no YCbCr transform), with no JFIF
/// or Adobe marker and component identifiers 0, 1, 2: what some DICOM writers produce.
fn jpeg_without_colour_transform(rgb: &[u8], width: u16, height: u16) -> Vec<u8> {
    let mut jpeg = Vec::new();
    // `Ycbcr` input is written without conversion; quality 100 gives 1×1 sampling.
    jpeg_encoder::Encoder::new(&mut jpeg, 100)
        .encode(rgb, width, height, jpeg_encoder::ColorType::Ycbcr)
        .unwrap();
    // Drop the JFIF APP0 segment (right after SOI).
    assert_eq!(&jpeg[2..4], &[0xFF, 0xE0]);
    let app0_len = usize::from(u16::from_be_bytes([jpeg[4], jpeg[5]]));
    jpeg.drain(2..4 + app0_len);
    // jpeg-encoder numbers the components 0, 1, 2 (it relies on JFIF to say YCbCr).
    let sof = jpeg.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
    let ids: Vec<u8> = (0..3).map(|c| jpeg[sof + 10 + 3 * c]).collect();
    assert_eq!(ids, [0, 1, 2]);
    if jpeg.len() % 2 == 1 {
        jpeg.push(0);
    }
    jpeg
}

fn colour_test_image() -> Vec<u8> {
    // 16×16 quadrants: red, green, blue, grey; smooth so quality 100 is near lossless.
    (0..16usize)
        .flat_map(|y| {
            (0..16usize).flat_map(move |x| match (x < 8, y < 8) {
                (true, true) => [220, 30, 40],
                (false, true) => [20, 200, 60],
                (true, false) => [30, 40, 210],
                (false, false) => [128, 128, 128],
            })
        })
        .collect()
}

/// The marker-less stream of [`colour_test_image`] in a file of `photometric`, rendered.
fn render_unmarked_jpeg(photometric: &'static str) -> (Vec<u8>, lucent_pixels::RenderedFrame) {
    let dir = tempfile::tempdir().unwrap();
    let rgb = colour_test_image();
    let jpeg = jpeg_without_colour_transform(&rgb, 16, 16);
    let image = Image {
        rows: 16,
        columns: 16,
        samples_per_pixel: 3,
        bits_allocated: 8,
        photometric,
    };
    let path = write_encapsulated(dir.path(), JPEG_BASELINE, &image, vec![jpeg]);
    let rendered = PixelFile::open(&path)
        .unwrap()
        .render(0, VoiChoice::FromHeader)
        .unwrap();
    (rgb, rendered)
}

#[test]
fn jpeg_rgb_without_colour_transform_markers_follows_photometric_rgb() {
    let (rgb, rendered) = render_unmarked_jpeg("RGB");
    let max_diff = rendered
        .pixels
        .iter()
        .zip(&rgb)
        .map(|(a, b)| a.abs_diff(*b))
        .max()
        .unwrap();
    // With the YCbCr transform applied anyway, red comes out as (255, 0, 255)-like garbage: a
    // difference of over 100.
    assert!(max_diff <= 3, "max difference {max_diff}");
}

#[test]
fn jpeg_ybr_without_markers_still_gets_the_colour_transform() {
    // The same stream labelled YBR_FULL: the components are Y, Cb, Cr and are converted, so the
    // output is not the input.
    let (_, rendered) = render_unmarked_jpeg("YBR_FULL");
    // Y=220, Cb=30, Cr=40 → R = 220 + 1.402 × (40 − 128) ≈ 97.
    assert!(
        rendered.pixels[0].abs_diff(97) <= 3,
        "{:?}",
        &rendered.pixels[..3]
    );
}

// ---------------------------------------------------------------------------------------------
// JPEG 2000 with 1 bit allocated (segmentations): precision 1 from OpenJPEG.

/// A 32×32 lossless JPEG 2000 codestream of one 1-bit component, written by OpenJPEG 2.5.2
/// (pylibjpeg-openjpeg 2.6 `encode_array(a, bits_stored=1, use_mct=False)`); its pixels are
/// [`one_bit_pattern`].
const J2K_ONE_BIT_32X32: &str = "ff4fff510029000000000020000000200000000000000000000000200000002000\
000000000000000001000101ff52000c00000001000504040001ff5c00134008101018101018101018101018101018ff\
640025000143726561746564206279204f70656e4a5045472076657273696f6e20322e352e32ff90000a0000000000bb\
0001ff93d08003a42007c8a453a1000c0f0a5f0edfc924b3a30002b1209310cc5eee3f1508b58d0f1bcad9573a88142f\
38e1868fbc25c309abb5bf0f93f1fd02785bfd3a737f1509dc72aedde0d048cea575d0dfb1e7e3cb725b33af80143c63\
94998398117bcc19a0fefd83e92f6f9a717fb366234cc4f24d146e51c5931d6909c2edec303d9c091f8232fee63eac12\
b2671581c33e1097e2a3490c9509bf48ff2d94c10cd161f2672b43da79eab1cc7fffd9";

fn one_bit_pattern() -> Vec<u8> {
    (0..32u32)
        .flat_map(|y| {
            (0..32u32).map(move |x| u8::from(x == y || y == 0 || x == 31 || (x * y) % 5 == 1))
        })
        .collect()
}

fn from_hex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn one_bit_jpeg_2000_decodes_to_0_1_and_renders_0_255() {
    let dir = tempfile::tempdir().unwrap();
    let image = Image {
        rows: 32,
        columns: 32,
        samples_per_pixel: 1,
        bits_allocated: 1,
        photometric: "MONOCHROME2",
    };
    let mut codestream = from_hex(J2K_ONE_BIT_32X32);
    codestream.push(0); // even length
    let path = write_encapsulated(dir.path(), J2K_LOSSLESS, &image, vec![codestream]);
    let file = PixelFile::open(&path).unwrap();
    let frame = file.decode_frame(0).unwrap();
    let Samples::U8(samples) = &frame.samples else {
        panic!("{:?}", frame.samples)
    };
    let expected = one_bit_pattern();
    assert_eq!(&samples[..], &expected[..]);
    let rendered = file.render(0, VoiChoice::MinMax).unwrap();
    let expected_grey: Vec<u8> = expected.iter().map(|&b| b * 255).collect();
    assert_eq!(rendered.pixels, expected_grey);
}

// ---------------------------------------------------------------------------------------------
// JPEG-LS with a 0x00 between the scan and EOI (WG-04 MR1_JLSL), which CharLS ≥ 2.3 rejects.

#[test]
fn jpeg_ls_with_a_zero_byte_before_eoi_decodes_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let (rows, columns) = (24u16, 32u16);
    let values: Vec<u16> = (0..u32::from(rows) * u32::from(columns))
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 20) as u16 ^ (i as u16 * 37))
        .collect();
    let raw: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    let mut stream = charls::CharLS::default()
        .encode(
            charls::FrameInfo {
                width: u32::from(columns),
                height: u32::from(rows),
                bits_per_sample: 16,
                component_count: 1,
            },
            0,
            &raw,
        )
        .unwrap();
    assert!(stream.ends_with(&[0xFF, 0xD9]));
    let eoi = stream.len() - 2;
    stream.insert(eoi, 0x00); // as in MR1_JLSL: `… 2B 00 FF D9`
    stream.push(0); // even length
    let image = Image {
        rows,
        columns,
        samples_per_pixel: 1,
        bits_allocated: 16,
        photometric: "MONOCHROME2",
    };
    let path = write_encapsulated(dir.path(), "1.2.840.10008.1.2.4.80", &image, vec![stream]);
    let frame = PixelFile::open(&path).unwrap().decode_frame(0).unwrap();
    let Samples::U16(samples) = &frame.samples else {
        panic!("{:?}", frame.samples)
    };
    assert_eq!(&samples[..], &values[..]);
}

// ---------------------------------------------------------------------------------------------
// 12-bit lossy JPEG (JPEG Extended, process 4): jpeg-decoder decodes 8-bit DCT only.

const JPEG_EXTENDED: &str = "1.2.840.10008.1.2.4.51";

fn twelve_bit_ramp(width: usize, height: usize) -> Vec<i16> {
    (0..width * height)
        .map(|i| ((i % width) * 60 + (i / width) * 5) as i16)
        .collect()
}

fn twelve_bit_image(rows: u16, columns: u16, bits_allocated: u16) -> Image {
    Image {
        rows,
        columns,
        samples_per_pixel: 1,
        bits_allocated,
        photometric: "MONOCHROME2",
    }
}

#[test]
fn twelve_bit_lossy_jpeg_decodes_to_its_12_bit_values() {
    let dir = tempfile::tempdir().unwrap();
    let (w, h) = (64usize, 48usize);
    let values = twelve_bit_ramp(w, h);
    assert!(values.iter().all(|&v| (0..4096).contains(&v)) && values.iter().any(|&v| v > 255));
    let jpeg = libjpeg_turbo_rs::compress_12bit(
        &values,
        w,
        h,
        1,
        100,
        libjpeg_turbo_rs::Subsampling::S444,
    )
    .unwrap();
    let sof = jpeg
        .windows(2)
        .position(|win| win == [0xFF, 0xC1])
        .expect("SOF1");
    assert_eq!(jpeg[sof + 4], 12, "a 12-bit extended-process stream");
    let mut fragment = jpeg.clone();
    if fragment.len() % 2 == 1 {
        fragment.push(0);
    }
    let path = write_encapsulated(
        dir.path(),
        JPEG_EXTENDED,
        &twelve_bit_image(h as u16, w as u16, 16),
        vec![fragment],
    );
    let decoded = PixelFile::open(&path).unwrap().decode_frame(0).unwrap();
    let Samples::U16(samples) = &decoded.samples else {
        panic!("16-bit samples expected");
    };
    assert_eq!(samples.len(), w * h);
    let diffs: Vec<u32> = samples
        .iter()
        .zip(&values)
        .map(|(&a, &b)| (i32::from(a) - i32::from(b)).unsigned_abs())
        .collect();
    let mean = diffs.iter().sum::<u32>() as f64 / diffs.len() as f64;
    let max = diffs.iter().max().copied().unwrap_or(0);
    assert!(mean < 2.0 && max <= 16, "mean {mean}, max {max}");

    // The same stream cut short, or in 8-bit samples, is a typed error, never a panic.
    let dir2 = tempfile::tempdir().unwrap();
    let mut cut = jpeg[..jpeg.len() / 2].to_vec();
    if cut.len() % 2 == 1 {
        cut.push(0);
    }
    let path = write_encapsulated(
        dir2.path(),
        JPEG_EXTENDED,
        &twelve_bit_image(h as u16, w as u16, 16),
        vec![cut],
    );
    let err = PixelFile::open(&path).unwrap().decode_frame(0).unwrap_err();
    assert_eq!(err.code(), ErrorCode::DecodeFailed, "{err}");
    let dir3 = tempfile::tempdir().unwrap();
    let mut whole = jpeg;
    if whole.len() % 2 == 1 {
        whole.push(0);
    }
    let path = write_encapsulated(
        dir3.path(),
        JPEG_EXTENDED,
        &twelve_bit_image(h as u16, w as u16, 8),
        vec![whole],
    );
    let err = PixelFile::open(&path).unwrap().decode_frame(0).unwrap_err();
    assert_eq!(err.code(), ErrorCode::UnsupportedPixelFormat, "{err}");
}

// ---------------------------------------------------------------------------------------------
// Text attributes that arrive with VR UN (PS3.5 6.2.2), e.g. after a PACS that lost the VRs.

#[test]
fn rescale_and_window_with_vr_un_are_read_as_their_text() {
    let dir = tempfile::tempdir().unwrap();
    let image = Image {
        rows: 2,
        columns: 2,
        samples_per_pixel: 1,
        bits_allocated: 8,
        photometric: "MONOCHROME2",
    };
    let path = write_encapsulated(
        dir.path(),
        "1.2.840.10008.1.2.1.98",
        &image,
        vec![vec![0, 1, 2, 3]],
    );
    // Rewrite the file with the four attributes as UN holding their DS text.
    let mut obj = dicom_object::open_file(&path).unwrap();
    for (tag, value) in [
        (tags::RESCALE_SLOPE, &b"2 "[..]),
        (tags::RESCALE_INTERCEPT, &b"-1024 "[..]),
        (tags::WINDOW_CENTER, &b"40\\50 "[..]),
        (tags::WINDOW_WIDTH, &b"400\\500 "[..]),
    ] {
        obj.put(DataElement::new(
            tag,
            VR::UN,
            PrimitiveValue::from(value.to_vec()),
        ));
    }
    obj.write_to_file(&path).unwrap();
    let info = PixelFile::open(&path).unwrap().info;
    assert_eq!(info.rescale, (2.0, -1024.0));
    let windows: Vec<(f64, f64)> = info.windows.iter().map(|w| (w.center, w.width)).collect();
    assert_eq!(windows, [(40.0, 400.0), (50.0, 500.0)]);
}
