//! Golden renders: Lucent's pixels against an independent decoder under the same window.
//!
//! References (Debian packages installed by `scripts/test.sh`): dcmtk `dcmj2pnm` (uncompressed,
//! RLE, JPEG), `dcml2pnm` (JPEG-LS), and for JPEG 2000 `gdcmconv --raw` followed by `dcm2pnm`.
//! Tolerance: mean absolute difference ≤ 1 grey level for lossless data, ≤ 2 for lossy. On a
//! failure both images are written to `target/golden-failures/`. Overlay planes (PS3.3 C.9):
//! both sides draw them ([`compare_with_overlays`]: dcmtk's default `+O 0`, Lucent's
//! `RenderOptions::overlays`) or neither does (`compare`: dcmtk `-O`).

use lucent_pixels::{PixelFile, RenderOptions, RenderedFrame, VoiChoice};
use lucent_testdata::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The VOI both sides apply.
#[derive(Clone, Copy, Debug)]
enum Voi {
    /// An explicit window: `+Ww C W` / `VoiChoice::Explicit`.
    Window(f64, f64),
    /// The file's first window: `+Wi 1` / `VoiChoice::FromHeader`.
    Header,
    /// Min–max: `+Wm` / `VoiChoice::MinMax` (only for files without padding: dcmtk 3.6.7
    /// ignores Pixel Padding Value).
    MinMax,
    /// Colour images: no VOI.
    Colour,
}

use Voi::{Colour, Header, MinMax, Window};

#[derive(Clone, Copy)]
enum Reference {
    /// dcmtk's JPEG-capable converter (also uncompressed and RLE).
    Dcmj2pnm,
    /// dcmtk's JPEG-LS converter.
    Dcml2pnm,
    /// GDCM decompresses (JPEG 2000), dcmtk renders.
    GdcmThenDcm2pnm,
}

fn have(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok()
}

fn require_tools() {
    for tool in ["dcmj2pnm", "dcml2pnm", "dcm2pnm", "gdcmconv"] {
        assert!(
            have(tool),
            "{tool} is missing: run scripts/test.sh (installs dcmtk and libgdcm-tools)"
        );
    }
}

fn read_png(path: &Path) -> RenderedFrame {
    let file = std::fs::File::open(path).unwrap();
    RenderedFrame::read_png(file).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn reference(
    tool: Reference,
    file: &Path,
    frame: u32,
    voi: Voi,
    overlays: bool,
    work: &Path,
) -> RenderedFrame {
    let out = work.join("reference.png");
    let mut args: Vec<String> = vec!["+on".into(), "+F".into(), (frame + 1).to_string()];
    // dcmtk draws every overlay plane by default (`+O 0`); `-O` draws none.
    if !overlays {
        args.push("-O".into());
    }
    match voi {
        Window(c, w) => args.extend(["+Ww".into(), c.to_string(), w.to_string()]),
        Header => args.extend(["+Wi".into(), "1".into()]),
        MinMax => args.push("+Wm".into()),
        Colour => {}
    }
    let (program, input) = match tool {
        Reference::Dcmj2pnm => ("dcmj2pnm", file.to_path_buf()),
        Reference::Dcml2pnm => ("dcml2pnm", file.to_path_buf()),
        Reference::GdcmThenDcm2pnm => {
            let raw = work.join("raw.dcm");
            let status = Command::new("gdcmconv")
                .arg("--raw")
                .arg(file)
                .arg(&raw)
                .status()
                .unwrap();
            assert!(
                status.success(),
                "gdcmconv --raw failed on {}",
                file.display()
            );
            ("dcm2pnm", raw)
        }
    };
    let output = Command::new(program)
        .args(&args)
        .arg(&input)
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{program} failed on {}: {}",
        file.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    read_png(&out)
}

fn failures_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("golden-failures")
}

/// Renders with Lucent and the reference, both without overlays, and fails when the mean
/// absolute difference exceeds `tolerance`.
fn compare(name: &str, file: &Path, frame: u32, voi: Voi, tool: Reference, tolerance: f64) {
    compare_as(name, file, frame, voi, tool, tolerance, false);
}

/// As [`compare`], both drawing the overlay planes (`dcmj2pnm`'s default).
fn compare_with_overlays(name: &str, file: &Path, frame: u32, voi: Voi, tolerance: f64) {
    compare_as(name, file, frame, voi, Reference::Dcmj2pnm, tolerance, true);
}

fn compare_as(
    name: &str,
    file: &Path,
    frame: u32,
    voi: Voi,
    tool: Reference,
    tolerance: f64,
    overlays: bool,
) {
    let work = tempfile::tempdir().unwrap();
    let expected = reference(tool, file, frame, voi, overlays, work.path());
    let choice = match voi {
        Window(center, width) => VoiChoice::Explicit { center, width },
        Header | Colour => VoiChoice::FromHeader,
        MinMax => VoiChoice::MinMax,
    };
    let options = RenderOptions {
        voi: choice,
        overlays,
    };
    let actual = PixelFile::open(file)
        .and_then(|f| f.render(frame, options))
        .unwrap_or_else(|e| panic!("{name}: Lucent cannot render {}: {e}", file.display()));
    let mad = actual.mean_abs_diff(&expected).unwrap_or(f64::INFINITY);
    if mad.is_nan() || mad > tolerance {
        let dir = failures_dir();
        std::fs::create_dir_all(&dir).unwrap();
        actual
            .write_png(std::fs::File::create(dir.join(format!("{name}-lucent.png"))).unwrap())
            .unwrap();
        expected
            .write_png(std::fs::File::create(dir.join(format!("{name}-reference.png"))).unwrap())
            .unwrap();
        panic!(
            "{name}: mean absolute difference {mad:.3} > {tolerance} (Lucent {}×{}×{}, reference {}×{}×{}); images in {}",
            actual.width,
            actual.height,
            actual.channels,
            expected.width,
            expected.height,
            expected.channels,
            dir.display()
        );
    }
}

fn pydicom(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../test-data/cache/pydicom-3.0.1/data/test_files");
    assert!(
        dir.exists(),
        "fetched test files missing: run test-data/fetch.sh"
    );
    dir.join(name)
}

#[test]
fn generated_phantoms_match_dcmtk() {
    require_tools();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let study = StudyIdentity::phantom(61, "PHANTOM^GOLDEN");
    let ct = ct_slice_spec(&study, 61);
    ct.write(&d.join("ct.dcm")).unwrap();
    let mut implicit = ct.clone();
    implicit.transfer_syntax = transfer_syntax::IMPLICIT_LE;
    implicit.write(&d.join("ct-implicit.dcm")).unwrap();
    let mr = mr_series_specs(&study, 61, 3).remove(1);
    mr.write(&d.join("mr.dcm")).unwrap();
    let mut mono1 = mr.clone();
    mono1.photometric_override = Some("MONOCHROME1");
    mono1.write(&d.join("mono1.dcm")).unwrap();
    let mut mono8 = mr.clone();
    mono8.pixels = Pixels::Mono8((0..256 * 256).map(|i| (i % 251) as u8).collect());
    mono8.windows = vec![(100.0, 120.0, "NARROW")];
    mono8.write(&d.join("mono8.dcm")).unwrap();
    rgb_us_spec(&study, 61).write(&d.join("rgb.dcm")).unwrap();
    enhanced_mr_spec(&study, 61, 8)
        .write(&d.join("enhanced.dcm"))
        .unwrap();

    use Reference::Dcmj2pnm as R;
    compare(
        "ct-soft-tissue",
        &d.join("ct.dcm"),
        0,
        Window(40.0, 400.0),
        R,
        1.0,
    );
    compare(
        "ct-lung",
        &d.join("ct.dcm"),
        0,
        Window(-600.0, 1500.0),
        R,
        1.0,
    );
    compare(
        "ct-bone-implicit",
        &d.join("ct-implicit.dcm"),
        0,
        Window(300.0, 1500.0),
        R,
        1.0,
    );
    compare(
        "mr-12bit",
        &d.join("mr.dcm"),
        0,
        Window(1600.0, 3200.0),
        R,
        1.0,
    );
    compare(
        "monochrome1",
        &d.join("mono1.dcm"),
        0,
        Window(1000.0, 2000.0),
        R,
        1.0,
    );
    compare(
        "mono-8bit",
        &d.join("mono8.dcm"),
        0,
        Window(100.0, 120.0),
        R,
        1.0,
    );
    compare("rgb", &d.join("rgb.dcm"), 0, Colour, R, 1.0);
    compare("ct-header-window", &d.join("ct.dcm"), 0, Header, R, 1.0);
    compare("mr-header-window", &d.join("mr.dcm"), 0, Header, R, 1.0);
    compare("mr-min-max", &d.join("mr.dcm"), 0, MinMax, R, 1.0);
    compare(
        "enhanced-frame-5",
        &d.join("enhanced.dcm"),
        5,
        Window(2048.0, 4096.0),
        R,
        1.0,
    );
}

/// Overlay planes (PS3.3 C.9.2, C.9.3) drawn as `dcmj2pnm` draws them by default: graphics
/// planes white ("Replace"), region-of-interest planes darkening the rest of their rectangle,
/// planes in Overlay Data and in the high bits of Pixel Data, multi-frame overlays from their
/// Image Frame Origin, planes partly outside the image. Each compare also runs without overlays
/// on both sides, and the overlay must change the image (so the test cannot pass by drawing
/// nothing).
#[test]
fn overlay_planes_match_dcmtk() {
    require_tools();
    let dir = tempfile::tempdir().unwrap();
    let study = StudyIdentity::phantom(62, "PHANTOM^OVERLAY");
    let specs = overlay_phantom_specs(&study, 62);
    let frames_of = |name: &str| match name {
        // Overlay frames 1–3 are image frames 2–4 (0-based 1–3); 0 and 4 have none.
        "overlay-multi-frame" => vec![0, 1, 2, 3, 4],
        _ => vec![0],
    };
    for (name, spec) in &specs {
        let path = dir.path().join(format!("{name}.dcm"));
        spec.write(&path).unwrap();
        let file = PixelFile::open(&path).unwrap();
        assert!(file.info.ignored_overlays.is_empty(), "{name}");
        assert!(!file.info.overlays.is_empty(), "{name}: no plane read");
        for frame in frames_of(name) {
            let label = format!("{name}-frame-{frame}");
            compare_with_overlays(&label, &path, frame, Header, 1.0);
            compare(
                &format!("{label}-without"),
                &path,
                frame,
                Header,
                Reference::Dcmj2pnm,
                1.0,
            );
            let drawn = |overlays| {
                let options = RenderOptions {
                    voi: VoiChoice::FromHeader,
                    overlays,
                };
                file.render(frame, options).unwrap().pixels
            };
            let changed = drawn(true) != drawn(false);
            let expect_change = !(name == &"overlay-multi-frame" && [0, 4].contains(&frame));
            assert_eq!(changed, expect_change, "{label}: overlay drawn = {changed}");
        }
    }
}

#[test]
fn fetched_files_match_dcmtk_and_gdcm() {
    require_tools();
    use Reference::*;
    let cases: &[(&str, u32, Voi, Reference, f64)] = &[
        ("CT_small.dcm", 0, Window(40.0, 400.0), Dcmj2pnm, 1.0),
        ("CT_small.dcm", 0, MinMax, Dcmj2pnm, 1.0),
        ("MR_small.dcm", 0, MinMax, Dcmj2pnm, 1.0),
        ("MR_small.dcm", 0, Window(600.0, 1200.0), Dcmj2pnm, 1.0),
        (
            "MR_small_bigendian.dcm",
            0,
            Window(600.0, 1200.0),
            Dcmj2pnm,
            1.0,
        ),
        (
            "MR_small_implicit.dcm",
            0,
            Window(600.0, 1200.0),
            Dcmj2pnm,
            1.0,
        ),
        ("MR_small_RLE.dcm", 0, Window(600.0, 1200.0), Dcmj2pnm, 1.0),
        (
            "MR_small_jpeg_ls_lossless.dcm",
            0,
            Window(600.0, 1200.0),
            Dcml2pnm,
            1.0,
        ),
        (
            "MR_small_jp2klossless.dcm",
            0,
            Window(600.0, 1200.0),
            GdcmThenDcm2pnm,
            1.0,
        ),
        (
            "JPEG2000.dcm",
            0,
            Window(1000.0, 3000.0),
            GdcmThenDcm2pnm,
            1.0,
        ),
        (
            "693_J2KI.dcm",
            0,
            Window(2000.0, 4000.0),
            GdcmThenDcm2pnm,
            2.0,
        ),
        (
            "JPEGLSNearLossless_16.dcm",
            0,
            Window(2000.0, 4000.0),
            Dcml2pnm,
            2.0,
        ),
        ("image_dfl.dcm", 0, Window(128.0, 256.0), Dcmj2pnm, 1.0),
        ("JPGExtended.dcm", 0, MinMax, Dcmj2pnm, 2.0),
        ("JPEG-lossy.dcm", 0, Window(1000.0, 2000.0), Dcmj2pnm, 2.0),
        ("SC_rgb_rle_32bit.dcm", 0, Colour, Dcmj2pnm, 1.0),
        ("SC_jpeg_no_color_transform.dcm", 0, Colour, Dcmj2pnm, 2.0),
        ("SC_rgb_jpeg.dcm", 0, Colour, GdcmThenDcm2pnm, 2.0),
        ("liver_1frame.dcm", 0, MinMax, Dcmj2pnm, 1.0),
        ("SC_rgb_rle.dcm", 0, Colour, Dcmj2pnm, 1.0),
        ("SC_rgb_rle_16bit.dcm", 0, Colour, Dcmj2pnm, 1.0),
        ("SC_rgb_rle_2frame.dcm", 1, Colour, Dcmj2pnm, 1.0),
        ("SC_rgb_small_odd.dcm", 0, Colour, Dcmj2pnm, 1.0),
        ("SC_rgb_small_odd_big_endian.dcm", 0, Colour, Dcmj2pnm, 1.0),
        ("SC_rgb_jpeg_dcmtk.dcm", 0, Colour, Dcmj2pnm, 2.0),
        ("SC_rgb_dcmtk_+eb+cy+n1.dcm", 0, Colour, Dcmj2pnm, 2.0),
        ("SC_rgb_jpeg_gdcm.dcm", 0, Colour, Dcmj2pnm, 1.0),
        ("SC_ybr_full_422_uncompressed.dcm", 0, Colour, Dcmj2pnm, 1.0),
        ("SC_rgb_gdcm_KY.dcm", 0, Colour, GdcmThenDcm2pnm, 1.0),
        ("SC_rgb_jls_lossy_line.dcm", 0, Colour, Dcml2pnm, 2.0),
        ("examples_palette.dcm", 0, Colour, Dcmj2pnm, 1.0),
        ("examples_ybr_color.dcm", 0, Colour, Dcmj2pnm, 2.0),
        ("examples_rgb_color.dcm", 0, Colour, Dcmj2pnm, 1.0),
        ("GDCMJ2K_TextGBR.dcm", 0, Colour, GdcmThenDcm2pnm, 1.0),
    ];
    let mut failures = Vec::new();
    for &(name, frame, voi, tool, tolerance) in cases {
        let file = pydicom(name);
        if let Err(e) =
            std::panic::catch_unwind(|| compare(name, &file, frame, voi, tool, tolerance))
        {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .unwrap_or_else(|| "panic".into());
            failures.push(msg);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} files differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
