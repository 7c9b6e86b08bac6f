//! `lucent render`: exit codes, error lines, negative windows, the written PNG.

use lucent_testdata::*;
use std::path::Path;
use std::process::{Command, Output};

fn lucent(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lucent"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run lucent")
}

fn png_size(path: &Path) -> (u32, u32, png::ColorType) {
    let reader = png::Decoder::new(std::fs::File::open(path).unwrap())
        .read_info()
        .unwrap();
    let info = reader.info();
    (info.width, info.height, info.color_type)
}

fn ct(dir: &Path) {
    let study = StudyIdentity::phantom(71, "PHANTOM^CT");
    let spec = ct_series_specs(
        &study,
        &CtSeries {
            seed: 71,
            slices: 1,
            size: 64,
            ..CtSeries::default()
        },
    )
    .remove(0);
    spec.write(&dir.join("ct.dcm")).unwrap();
}

#[test]
fn renders_grey_png_with_negative_windows_in_both_spellings() {
    let dir = tempfile::tempdir().unwrap();
    ct(dir.path());
    for args in [
        vec!["render", "ct.dcm", "--window", "-600,1500", "-o", "a.png"],
        vec!["render", "ct.dcm", "--window=-600,1500", "-o", "b.png"],
        vec!["render", "ct.dcm", "-o", "c.png"],
    ] {
        let out = lucent(&args, dir.path());
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(
        std::fs::read(dir.path().join("a.png")).unwrap(),
        std::fs::read(dir.path().join("b.png")).unwrap()
    );
    assert_ne!(
        std::fs::read(dir.path().join("a.png")).unwrap(),
        std::fs::read(dir.path().join("c.png")).unwrap()
    );
    assert_eq!(
        png_size(&dir.path().join("a.png")),
        (64, 64, png::ColorType::Grayscale)
    );
}

#[test]
fn renders_rgb_and_a_chosen_frame() {
    let dir = tempfile::tempdir().unwrap();
    let study = StudyIdentity::phantom(72, "PHANTOM^US");
    rgb_us_spec(&study, 72)
        .write(&dir.path().join("us.dcm"))
        .unwrap();
    enhanced_mr_spec(&study, 72, 4)
        .write(&dir.path().join("mf.dcm"))
        .unwrap();
    assert_eq!(
        lucent(&["render", "us.dcm", "-o", "us.png"], dir.path())
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        png_size(&dir.path().join("us.png")),
        (256, 256, png::ColorType::Rgb)
    );
    assert_eq!(
        lucent(
            &["render", "mf.dcm", "--frame", "3", "-o", "f3.png"],
            dir.path()
        )
        .status
        .code(),
        Some(0)
    );
    let out = lucent(
        &["render", "mf.dcm", "--frame", "4", "-o", "f4.png"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: E_FRAME_OUT_OF_RANGE: "));
}

#[test]
fn empty_random_and_truncated_files_exit_1_with_one_error_line() {
    let dir = tempfile::tempdir().unwrap();
    ct(dir.path());
    let junk = write_junk(&dir.path().join("junk"), &dir.path().join("ct.dcm"), 7).unwrap();
    for (path, what) in junk {
        let out = lucent(
            &["render", path.to_str().unwrap(), "-o", "x.png"],
            dir.path(),
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{what}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{what}: {stderr}");
        assert!(stderr.starts_with("error: E_"), "{what}: {stderr}");
    }
    assert!(
        !dir.path().join("x.png").exists(),
        "no output for a failed render"
    );
}

#[test]
fn usage_errors_are_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    ct(dir.path());
    for args in [
        vec!["render", "ct.dcm"],
        vec!["render", "ct.dcm", "--window", "40", "-o", "x.png"],
        vec!["render", "ct.dcm", "--window", "40,0", "-o", "x.png"],
        vec!["render", "ct.dcm", "--frame", "-1", "-o", "x.png"],
    ] {
        assert_eq!(lucent(&args, dir.path()).status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn missing_file_is_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let out = lucent(&["render", "nope.dcm", "-o", "x.png"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).starts_with("error: E_"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn png_pixels(path: &Path) -> Vec<u8> {
    let mut reader = png::Decoder::new(std::fs::File::open(path).unwrap())
        .read_info()
        .unwrap();
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).unwrap();
    pixels.truncate(info.buffer_size());
    pixels
}

/// `--overlays` draws the overlay planes (PS3.3 C.9) exactly as `dcmj2pnm` does by default
/// (`+O 0`); without it the image is drawn alone, as `dcmj2pnm -O` draws it.
#[test]
fn overlays_are_drawn_with_the_flag_as_dcmj2pnm_draws_them() {
    let dir = tempfile::tempdir().unwrap();
    let study = StudyIdentity::phantom(73, "PHANTOM^OVERLAY");
    let (_, spec) = overlay_phantom_specs(&study, 73).remove(0);
    spec.write(&dir.path().join("ov.dcm")).unwrap();
    for args in [
        vec!["render", "ov.dcm", "--overlays", "-o", "with.png"],
        vec!["render", "ov.dcm", "-o", "without.png"],
    ] {
        let out = lucent(&args, dir.path());
        assert_eq!(out.status.code(), Some(0), "{args:?}");
    }
    for (dcmtk_args, png) in [
        (vec!["+on", "+Wi", "1"], "dcmtk-with.png"),
        (vec!["+on", "+Wi", "1", "-O"], "dcmtk-without.png"),
    ] {
        let status = Command::new("dcmj2pnm")
            .args(&dcmtk_args)
            .args(["ov.dcm", png])
            .current_dir(dir.path())
            .status()
            .expect("dcmj2pnm (dcmtk) is installed by scripts/test.sh");
        assert!(status.success());
    }
    let read = |name: &str| png_pixels(&dir.path().join(name));
    assert_eq!(read("with.png"), read("dcmtk-with.png"));
    assert_eq!(read("without.png"), read("dcmtk-without.png"));
    assert_ne!(read("with.png"), read("without.png"));
}
