//! Regression tests named after what `lucent-mutate` found.

use lucent_error::{ErrorCode, HasErrorCode};
use lucent_pixels::{PixelFile, VoiChoice};
use std::path::Path;
use std::time::{Duration, Instant};

fn fetched(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../test-data/cache/pydicom-3.0.1/data/test_files")
        .join(name);
    std::fs::read(&path)
        .unwrap_or_else(|_| panic!("{} missing: run test-data/fetch.sh", path.display()))
}

/// lucent-mutate, JPEG2000.dcm mutant 59 (seed 1): a SIZ marker claiming a huge image kept
/// OpenJPEG busy for more than 15 s. The codestream size is now checked against Rows × Columns
/// before the codec runs.
#[test]
fn regression_j2k_siz_claiming_a_huge_image_is_refused_fast() {
    let mut bytes = fetched("JPEG2000.dcm");
    let siz = bytes
        .windows(4)
        .position(|w| w == [0xFF, 0x4F, 0xFF, 0x51])
        .expect("SIZ marker");
    // Xsiz and Ysiz (ISO/IEC 15444-1 A.5.1) at 8 and 12 bytes after SOC.
    bytes[siz + 8..siz + 12].copy_from_slice(&0x0010_0000u32.to_be_bytes());
    bytes[siz + 12..siz + 16].copy_from_slice(&0x0010_0000u32.to_be_bytes());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bomb.dcm");
    std::fs::write(&path, bytes).unwrap();
    let started = Instant::now();
    let err = PixelFile::open(&path)
        .unwrap()
        .render(0, VoiChoice::FromHeader)
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::DecodeFailed, "{err}");
    assert!(err.to_string().contains("declares"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
}

/// The same guard for JPEG: an SOF claiming 65535 × 65535.
#[test]
fn regression_jpeg_sof_claiming_a_huge_image_is_refused() {
    let mut bytes = fetched("SC_rgb_jpeg_dcmtk.dcm");
    let sof = bytes
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("SOF0");
    bytes[sof + 5..sof + 9].copy_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bomb.dcm");
    std::fs::write(&path, bytes).unwrap();
    let err = PixelFile::open(&path)
        .unwrap()
        .render(0, VoiChoice::FromHeader)
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::DecodeFailed, "{err}");
}

/// Reference set `ts/jpeg-ls-lossless/rgb-ilv0.dcm`: File Meta Information without its group
/// length (0002,0000), which dicom-object refuses; the attributes are now read from the data set
/// bytes that Lucent's header reader located.
#[test]
fn regression_meta_without_group_length_renders() {
    use lucent_testdata::*;
    let dir = tempfile::tempdir().unwrap();
    let study = StudyIdentity::phantom(3, "PHANTOM^META");
    let spec = mr_series_specs(&study, 3, 1).remove(0);
    let path = dir.path().join("with.dcm");
    spec.write(&path).unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    // (0002,0000) UL 4 at offset 132: tag 4 + VR 2 + length 2 + value 4 = 12 bytes.
    assert_eq!(
        &bytes[132..136],
        &[0x02, 0x00, 0x00, 0x00],
        "group length first"
    );
    bytes.drain(132..144);
    let stripped = dir.path().join("without.dcm");
    std::fs::write(&stripped, &bytes).unwrap();
    let a = PixelFile::open(&path)
        .unwrap()
        .render(0, VoiChoice::FromHeader)
        .unwrap();
    let b = PixelFile::open(&stripped)
        .unwrap()
        .render(0, VoiChoice::FromHeader)
        .unwrap();
    assert_eq!(a, b);
}

/// The hostile corpus (`lucent-testdata malformed`), `bomb-jpegls-huge.dcm`: a 64×64 image whose
/// JPEG-LS SOF55 claims 65535×65535. CharLS sized its output buffer from the stream (4 GiB) before
/// decoding, which aborted the process under the corpus's 4 GiB address-space limit. The JPEG-LS
/// frame size is now checked against Rows × Columns before CharLS sees the stream.
#[test]
fn regression_hostile_bomb_jpegls_huge_is_refused_before_allocation() {
    let bomb = lucent_testdata::malformed::bombs()
        .into_iter()
        .find(|m| m.name == "bomb-jpegls-huge.dcm")
        .expect("the generator still writes this bomb");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(&bomb.name);
    std::fs::write(&path, &bomb.bytes).unwrap();
    let err = PixelFile::open(&path)
        .unwrap()
        .render(0, VoiChoice::FromHeader)
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::DecodeFailed, "{err}");
    assert!(err.to_string().contains("declares 65535×65535"), "{err}");
}

/// The hostile corpus, `text-…-00080104-vrnul.dcm`: Code Meaning inside a sequence item with its
/// VR bytes zeroed. The header reader skips unwanted sequences without looking inside, and
/// dicom-object then sized a buffer from the garbage: 1.9 GB resident for a 100×100 image. The
/// data set is now checked at every nesting level before dicom-object reads it.
#[test]
fn regression_hostile_vr_garbage_inside_an_item_is_refused_before_allocation() {
    let mut bytes = fetched("SC_rgb_dcmtk_+eb+cy+n1.dcm");
    let at = bytes
        .windows(6)
        .position(|w| w == [0x08, 0x00, 0x04, 0x01, b'L', b'O'])
        .expect("a Code Meaning (0008,0104) in a sequence item");
    bytes[at + 4] = 0;
    bytes[at + 5] = 0;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vrnul.dcm");
    std::fs::write(&path, bytes).unwrap();
    let err = PixelFile::open(&path).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Malformed, "{err}");
    assert!(err.to_string().contains("invalid VR bytes 00 00"), "{err}");
}

/// cargo-fuzz `decode_jpegls`, slow-unit-ad548083…: a 39-byte JPEG-LS stream (10×45, NEAR 2, no
/// end-of-image marker) on which CharLS 2.4.5 spends 4–6 s before refusing it (10 s with
/// AddressSanitizer). It must end in a typed error, never a hang or a crash; the time is CharLS's
/// (see the hostile-input note: the worker-process boundary with a kill timer is the remedy if a
/// stream ever takes longer).
#[test]
fn regression_fuzz_jpegls_slow_unit_ends_in_a_typed_error() {
    let input: [u8; 39] = [
        0x2c, 0x00, 0x09, 0x00, 0x00, 0x00, 0xff, 0xd8, 0xff, 0xf7, 0x00, 0x0b, 0x08, 0x00, 0x2d,
        0x00, 0x0a, 0x01, 0x01, 0x11, 0x00, 0xff, 0xda, 0x00, 0x08, 0x01, 0x01, 0x00, 0x02, 0x00,
        0x00, 0x00, 0x02, 0x00, 0x17, 0x00, 0x00, 0x31, 0xd9,
    ];
    let file = lucent_testdata::malformed::fuzz_decode_file("1.2.840.10008.1.2.4.80", &input)
        .expect("a 6-byte prefix and a stream");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("slow.dcm");
    std::fs::write(&path, file).unwrap();
    let err = PixelFile::open(&path)
        .unwrap()
        .render(0, VoiChoice::FromHeader)
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::DecodeFailed, "{err}");
}
