//! Golden renders: Lucent's pixels against an independent decoder under the same window.
//!
//! References (Debian packages installed by `scripts/test.sh`): dcmtk `dcmj2pnm` (uncompressed,
//! RLE, JPEG), `dcml2pnm` (JPEG-LS), and for JPEG 2000 `gdcmconv --raw` followed by `dcm2pnm`.
//! Renders are compared with the one metric of `lucent_pixels::compare` (lossless: mean absolute
//! difference ≤ 1, ≤ 0.1 % of samples > 1 level off, no 32×32 tile mean > 2; lossy: 2, 1 %, 4);
//! for lossless transfer syntaxes the decoded stored values must also equal the reference's
//! decompressed file's exactly (`lucent_testdata::reference`). On a render failure both images
//! are written to `target/golden-failures/`. Overlay planes (PS3.3 C.9):
//! both sides draw them ([`compare_with_overlays`]: dcmtk's default `+O 0`, Lucent's
//! `RenderOptions::overlays`) or neither does (`compare`: dcmtk `-O`).

mod common;

use common::{have, keep_failure_images, read_png, run};
use lucent_pixels::compare::{self, Difference, Tolerance, Verdict};
use lucent_pixels::stored::{self, StoredValues};
use lucent_pixels::{
    DisplayNote, OverlayProblem, PixelFile, RenderOptions, RenderedFrame, VoiChoice,
};
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
    /// The file's own VOI when it has no usable one (a malformed VOI LUT, a window of width 0):
    /// Lucent's header order ends at min–max (`VoiChoice::FromHeader`), dcmtk's `+Wm`.
    HeaderFallsBackToMinMax,
    /// Colour images: no VOI.
    Colour,
}

use Voi::{Colour, Header, HeaderFallsBackToMinMax, MinMax, Window};

#[derive(Clone, Copy)]
enum Reference {
    /// dcmtk's JPEG-capable converter (also uncompressed and RLE), overlay planes not drawn
    /// (`-O`; Lucent draws none either).
    Dcmj2pnm,
    /// `dcmj2pnm` drawing every overlay plane (its default, `+O 0`), and Lucent drawing them too.
    Dcmj2pnmWithOverlays,
    /// dcmtk's JPEG-LS converter.
    Dcml2pnm,
    /// GDCM decompresses (JPEG 2000), dcmtk renders.
    GdcmThenDcm2pnm,
}

fn require_tools() {
    for tool in ["dcmj2pnm", "dcml2pnm", "dcm2pnm", "gdcmconv"] {
        assert!(
            have(tool),
            "{tool} is missing: run scripts/test.sh (installs dcmtk and libgdcm-tools)"
        );
    }
}

fn reference(tool: Reference, file: &Path, frame: u32, voi: Voi, work: &Path) -> RenderedFrame {
    let out = work.join("reference.png");
    let mut args: Vec<String> = vec!["+on".into(), "+F".into(), (frame + 1).to_string()];
    // dcmtk draws every overlay plane by default (`+O 0`); `-O` draws none.
    if !matches!(tool, Reference::Dcmj2pnmWithOverlays) {
        args.push("-O".into());
    }
    match voi {
        Window(c, w) => args.extend(["+Ww".into(), c.to_string(), w.to_string()]),
        Header => args.extend(["+Wi".into(), "1".into()]),
        MinMax | HeaderFallsBackToMinMax => args.push("+Wm".into()),
        Colour => {}
    }
    let (program, input) = match tool {
        Reference::Dcmj2pnm | Reference::Dcmj2pnmWithOverlays => ("dcmj2pnm", file.to_path_buf()),
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

/// The render tolerance of lossless data (the one metric, `lucent_pixels::compare`).
const LOSSLESS: Tolerance = Tolerance::LOSSLESS;
/// The render tolerance of lossy data.
const LOSSY: Tolerance = Tolerance::LOSSY;

/// Renders with Lucent and the reference (both drawing the overlay planes only for
/// [`Reference::Dcmj2pnmWithOverlays`]) and fails when the render is outside `tolerance`, or,
/// for a lossless transfer syntax, when one stored value differs from the reference's
/// decompressed file.
fn compare(name: &str, file: &Path, frame: u32, voi: Voi, tool: Reference, tolerance: Tolerance) {
    compare_with(name, file, file, frame, voi, tool, tolerance);
}

/// As [`compare`], both drawing the overlay planes (`dcmj2pnm`'s default).
fn compare_with_overlays(name: &str, file: &Path, frame: u32, voi: Voi, tolerance: Tolerance) {
    compare(
        name,
        file,
        frame,
        voi,
        Reference::Dcmj2pnmWithOverlays,
        tolerance,
    );
}

/// [`compare`], the reference rendering `reference_file` (the same pixels in another file).
fn compare_with(
    name: &str,
    file: &Path,
    reference_file: &Path,
    frame: u32,
    voi: Voi,
    tool: Reference,
    tolerance: Tolerance,
) {
    let failures: Vec<String> = [
        render_check(name, file, reference_file, frame, voi, tool, tolerance).err(),
        stored_check(file, reference_file, frame, tool).err(),
    ]
    .into_iter()
    .flatten()
    .collect();
    assert!(failures.is_empty(), "{name}: {}", failures.join("; "));
}

/// The render against the reference's under the one metric (mean, fraction > 1 level off,
/// worst 32×32 tile); the error gives all three numbers and where the worst tile is.
fn render_check(
    name: &str,
    file: &Path,
    reference_file: &Path,
    frame: u32,
    voi: Voi,
    tool: Reference,
    tolerance: Tolerance,
) -> Result<Difference, String> {
    let work = tempfile::tempdir().unwrap();
    let expected = reference(tool, reference_file, frame, voi, work.path());
    // Lucent draws the overlay planes exactly when the reference does.
    let overlays = matches!(tool, Reference::Dcmj2pnmWithOverlays);
    let choice = match voi {
        Window(center, width) => VoiChoice::Explicit { center, width },
        Header | Colour | HeaderFallsBackToMinMax => VoiChoice::FromHeader,
        MinMax => VoiChoice::MinMax,
    };
    let options = RenderOptions {
        voi: choice,
        overlays,
        shutters: true,
    };
    let actual = PixelFile::open(file)
        .and_then(|f| f.render(frame, options))
        .unwrap_or_else(|e| panic!("{name}: Lucent cannot render {}: {e}", file.display()));
    match compare::compare(&actual, &expected, tolerance) {
        Verdict::Within(d) => Ok(d),
        verdict => {
            let dir = keep_failure_images(name, &[("lucent", &actual), ("reference", &expected)]);
            Err(format!(
                "render: {verdict}, outside {tolerance}; images in {}",
                dir.display()
            ))
        }
    }
}

/// The reference tool family of a golden reference.
fn decompressing_reference(tool: Reference) -> lucent_testdata::reference::Reference {
    match tool {
        Reference::GdcmThenDcm2pnm => lucent_testdata::reference::Reference::Gdcm,
        _ => lucent_testdata::reference::Reference::Dcmtk,
    }
}

/// Lossless means exact: for a lossless transfer syntax, Lucent's decoded stored values of
/// `frame` against the reference's decompressed file (`dcmconv +te`, `dcmdjpeg +cn`, `dcmdrle`,
/// `dcmdjpls`, `gdcmconv --raw`: `lucent_testdata::reference`), sample by sample. `Ok(false)`
/// when the syntax is lossy (nothing to compare exactly).
fn stored_check(
    file: &Path,
    reference_file: &Path,
    frame: u32,
    tool: Reference,
) -> Result<bool, String> {
    let reference_pixels = PixelFile::open(reference_file).map_err(|e| e.to_string())?;
    let syntax = reference_pixels.info.transfer_syntax.clone();
    if !stored::is_lossless_transfer_syntax(&syntax) {
        return Ok(false);
    }
    let work = tempfile::tempdir().unwrap();
    let native = work.path().join("native.dcm");
    lucent_testdata::reference::decompress(
        decompressing_reference(tool),
        &syntax,
        reference_file,
        &native,
    )?;
    let expected = PixelFile::open(&native)
        .and_then(|n| StoredValues::of_native(&n, frame))
        .map_err(|e| format!("the reference's decompressed file: {e}"))?;
    let lucent = PixelFile::open(file).map_err(|e| e.to_string())?;
    let decoded = lucent.decode_frame(frame).map_err(|e| e.to_string())?;
    stored::compare_exact(&StoredValues::of(&lucent.info, &decoded), &expected)
        .map(|()| true)
        .map_err(|d| d.to_string())
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
        LOSSLESS,
    );
    compare(
        "ct-lung",
        &d.join("ct.dcm"),
        0,
        Window(-600.0, 1500.0),
        R,
        LOSSLESS,
    );
    compare(
        "ct-bone-implicit",
        &d.join("ct-implicit.dcm"),
        0,
        Window(300.0, 1500.0),
        R,
        LOSSLESS,
    );
    compare(
        "mr-12bit",
        &d.join("mr.dcm"),
        0,
        Window(1600.0, 3200.0),
        R,
        LOSSLESS,
    );
    compare(
        "monochrome1",
        &d.join("mono1.dcm"),
        0,
        Window(1000.0, 2000.0),
        R,
        LOSSLESS,
    );
    compare(
        "mono-8bit",
        &d.join("mono8.dcm"),
        0,
        Window(100.0, 120.0),
        R,
        LOSSLESS,
    );
    compare("rgb", &d.join("rgb.dcm"), 0, Colour, R, LOSSLESS);
    compare(
        "ct-header-window",
        &d.join("ct.dcm"),
        0,
        Header,
        R,
        LOSSLESS,
    );
    compare(
        "mr-header-window",
        &d.join("mr.dcm"),
        0,
        Header,
        R,
        LOSSLESS,
    );
    compare("mr-min-max", &d.join("mr.dcm"), 0, MinMax, R, LOSSLESS);
    compare(
        "enhanced-frame-5",
        &d.join("enhanced.dcm"),
        5,
        Window(2048.0, 4096.0),
        R,
        LOSSLESS,
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
        assert!(file.info.notes.is_empty(), "{name}: {:?}", file.info.notes);
        assert!(!file.info.overlays.is_empty(), "{name}: no plane read");
        for frame in frames_of(name) {
            let label = format!("{name}-frame-{frame}");
            compare_with_overlays(&label, &path, frame, Header, LOSSLESS);
            compare(
                &format!("{label}-without"),
                &path,
                frame,
                Header,
                Reference::Dcmj2pnm,
                LOSSLESS,
            );
            let drawn = |overlays| {
                let options = RenderOptions {
                    voi: VoiChoice::FromHeader,
                    overlays,
                    shutters: true,
                };
                file.render(frame, options).unwrap().pixels
            };
            let changed = drawn(true) != drawn(false);
            let expect_change = !(name == &"overlay-multi-frame" && [0, 4].contains(&frame));
            assert_eq!(changed, expect_change, "{label}: overlay drawn = {changed}");
        }
    }
}

/// A malformed plane (Overlay Data shorter than its rows × columns) is left out with a display
/// note and the image is shown as without overlays; overlays on a colour image are not drawn
/// (dcmtk draws none there either: checked against `dcmj2pnm`'s default) and a note says so.
#[test]
fn malformed_and_colour_overlays_are_not_drawn_and_say_so() {
    require_tools();
    let dir = tempfile::tempdir().unwrap();
    let study = StudyIdentity::phantom(63, "PHANTOM^OVERLAY");
    let plane = |rows: u16, columns: u16, flags: Vec<bool>| OverlaySpec {
        group: 0x6002,
        rows,
        columns,
        origin: [1, 1],
        region_of_interest: false,
        frames: None,
        bits: OverlayBits::Separate(flags),
    };
    let mut short = mr_series_specs(&study, 63, 1).remove(0);
    short.overlays = vec![plane(256, 256, overlay_pattern(256, 64, 1))];
    let short_path = dir.path().join("short.dcm");
    short.write(&short_path).unwrap();
    let file = PixelFile::open(&short_path).unwrap();
    assert!(file.info.overlays.is_empty());
    assert_eq!(
        file.info.notes,
        vec![DisplayNote::OverlayIgnored {
            group: 0x6002,
            problem: OverlayProblem::DataTooShort
        }]
    );
    let render = |file: &PixelFile, overlays| {
        let options = RenderOptions {
            voi: VoiChoice::FromHeader,
            overlays,
            shutters: true,
        };
        file.render(0, options).unwrap()
    };
    assert_eq!(render(&file, true).pixels, render(&file, false).pixels);
    assert_eq!(
        render(&file, true).notes[0].to_string(),
        "Overlay plane 6002 not drawn: Overlay Data is shorter than the plane"
    );

    let mut colour = rgb_us_spec(&study, 63);
    colour.overlays = vec![plane(256, 256, overlay_pattern(256, 256, 1))];
    let colour_path = dir.path().join("colour.dcm");
    colour.write(&colour_path).unwrap();
    compare_with_overlays("overlay-on-colour", &colour_path, 0, Colour, LOSSLESS);
    let file = PixelFile::open(&colour_path).unwrap();
    let drawn = render(&file, true);
    assert_eq!(drawn.pixels, render(&file, false).pixels);
    assert_eq!(drawn.notes, vec![DisplayNote::OverlaysNotDrawnOnColour]);
}

#[test]
fn fetched_files_match_dcmtk_and_gdcm() {
    require_tools();
    use Reference::*;
    let cases: &[(&str, u32, Voi, Reference, Tolerance)] = &[
        ("CT_small.dcm", 0, Window(40.0, 400.0), Dcmj2pnm, LOSSLESS),
        ("CT_small.dcm", 0, MinMax, Dcmj2pnm, LOSSLESS),
        ("MR_small.dcm", 0, MinMax, Dcmj2pnm, LOSSLESS),
        ("MR_small.dcm", 0, Window(600.0, 1200.0), Dcmj2pnm, LOSSLESS),
        (
            "MR_small_bigendian.dcm",
            0,
            Window(600.0, 1200.0),
            Dcmj2pnm,
            LOSSLESS,
        ),
        (
            "MR_small_implicit.dcm",
            0,
            Window(600.0, 1200.0),
            Dcmj2pnm,
            LOSSLESS,
        ),
        (
            "MR_small_RLE.dcm",
            0,
            Window(600.0, 1200.0),
            Dcmj2pnm,
            LOSSLESS,
        ),
        (
            "MR_small_jpeg_ls_lossless.dcm",
            0,
            Window(600.0, 1200.0),
            Dcml2pnm,
            LOSSLESS,
        ),
        (
            "MR_small_jp2klossless.dcm",
            0,
            Window(600.0, 1200.0),
            GdcmThenDcm2pnm,
            LOSSLESS,
        ),
        (
            "JPEG2000.dcm",
            0,
            Window(1000.0, 3000.0),
            GdcmThenDcm2pnm,
            LOSSLESS,
        ),
        (
            "693_J2KI.dcm",
            0,
            Window(2000.0, 4000.0),
            GdcmThenDcm2pnm,
            LOSSY,
        ),
        (
            "JPEGLSNearLossless_16.dcm",
            0,
            Window(2000.0, 4000.0),
            Dcml2pnm,
            LOSSY,
        ),
        ("image_dfl.dcm", 0, Window(128.0, 256.0), Dcmj2pnm, LOSSLESS),
        ("JPGExtended.dcm", 0, MinMax, Dcmj2pnm, LOSSY),
        ("JPEG-lossy.dcm", 0, Window(1000.0, 2000.0), Dcmj2pnm, LOSSY),
        ("SC_rgb_rle_32bit.dcm", 0, Colour, Dcmj2pnm, LOSSLESS),
        ("SC_jpeg_no_color_transform.dcm", 0, Colour, Dcmj2pnm, LOSSY),
        ("SC_rgb_jpeg.dcm", 0, Colour, GdcmThenDcm2pnm, LOSSY),
        ("liver_1frame.dcm", 0, MinMax, Dcmj2pnm, LOSSLESS),
        ("SC_rgb_rle.dcm", 0, Colour, Dcmj2pnm, LOSSLESS),
        ("SC_rgb_rle_16bit.dcm", 0, Colour, Dcmj2pnm, LOSSLESS),
        ("SC_rgb_rle_2frame.dcm", 1, Colour, Dcmj2pnm, LOSSLESS),
        ("SC_rgb_small_odd.dcm", 0, Colour, Dcmj2pnm, LOSSLESS),
        (
            "SC_rgb_small_odd_big_endian.dcm",
            0,
            Colour,
            Dcmj2pnm,
            LOSSLESS,
        ),
        ("SC_rgb_jpeg_dcmtk.dcm", 0, Colour, Dcmj2pnm, LOSSY),
        ("SC_rgb_jpeg_gdcm.dcm", 0, Colour, Dcmj2pnm, LOSSLESS),
        (
            "SC_ybr_full_422_uncompressed.dcm",
            0,
            Colour,
            Dcmj2pnm,
            LOSSLESS,
        ),
        ("SC_rgb_gdcm_KY.dcm", 0, Colour, GdcmThenDcm2pnm, LOSSLESS),
        ("SC_rgb_jls_lossy_line.dcm", 0, Colour, Dcml2pnm, LOSSY),
        ("examples_palette.dcm", 0, Colour, Dcmj2pnm, LOSSLESS),
        ("examples_ybr_color.dcm", 0, Colour, Dcmj2pnm, LOSSY),
        ("examples_rgb_color.dcm", 0, Colour, Dcmj2pnm, LOSSLESS),
        ("GDCMJ2K_TextGBR.dcm", 0, Colour, GdcmThenDcm2pnm, LOSSLESS),
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

/// A known difference under the strict lossy metric, kept visible rather than tolerated:
/// `SC_rgb_dcmtk_+eb+cy+n1.dcm` (JPEG Baseline, YBR_FULL, 100×100) differs from dcmtk on 1.33 %
/// of its samples by 2 levels (mean 0.06): YCbCr→RGB rounding, where decoders disagree (GDCM
/// differs from dcmtk on 4.5 % of samples, pydicom on 3.3 %, at most 2 levels each; measured with
/// `dcmj2pnm`, `gdcmconv --raw` + `dcm2pnm` and `pixel_array`). The test fails if the difference
/// disappears (drop the entry then) or grows beyond 2 levels in any sample or 4 in any tile.
#[test]
fn known_lossy_colour_rounding_difference_stays_as_measured() {
    require_tools();
    let name = "SC_rgb_dcmtk_+eb+cy+n1.dcm";
    let file = pydicom(name);
    let work = tempfile::tempdir().unwrap();
    let expected = reference(Reference::Dcmj2pnm, &file, 0, Colour, work.path());
    let actual = PixelFile::open(&file)
        .and_then(|f| f.render(0, VoiChoice::FromHeader))
        .unwrap();
    let verdict = compare::compare(&actual, &expected, LOSSY);
    let d = verdict.difference().expect("same size");
    assert!(
        !verdict.matches(),
        "{name} now matches: {d}; drop this known difference"
    );
    let largest = actual
        .pixels
        .iter()
        .zip(&expected.pixels)
        .map(|(a, b)| a.abs_diff(*b))
        .max()
        .unwrap_or(0);
    assert!(
        largest <= 2 && d.mean <= LOSSY.mean && d.worst_tile.mean <= LOSSY.tile_mean,
        "{name}: {d}, largest sample difference {largest}"
    );
}

/// Renders a file's first frame with Lucent's header VOI.
fn lucent_from_header(file: &Path) -> RenderedFrame {
    PixelFile::open(file)
        .and_then(|f| f.render(0, VoiChoice::FromHeader))
        .unwrap_or_else(|e| panic!("Lucent cannot render {}: {e}", file.display()))
}

/// pydicom 3.0.1's display values of frame 0: `apply_modality_lut`, then `apply_voi_lut` with
/// the file's first window under `voi_function`, scaled from pydicom's output range to 0–255.
fn pydicom_windowed(file: &Path, voi_function: &str) -> Vec<u8> {
    let script = r#"
import sys, numpy as np, pydicom
from pydicom.pixels import apply_modality_lut, apply_voi_lut
ds = pydicom.dcmread(sys.argv[1])
ds.VOILUTFunction = sys.argv[2]
m = apply_modality_lut(ds.pixel_array, ds)
v = apply_voi_lut(m, ds, index=0)
lo, hi = 0.0, 2.0 ** ds.BitsStored - 1
slope, intercept = float(ds.get("RescaleSlope", 1)), float(ds.get("RescaleIntercept", 0))
lo, hi = lo * slope + intercept, hi * slope + intercept
sys.stdout.buffer.write(np.clip(np.rint((v - lo) / (hi - lo) * 255), 0, 255).astype(np.uint8).tobytes())
"#;
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(file)
        .arg(voi_function)
        .output()
        .expect("python3 runs (scripts/test.sh installs pydicom)");
    assert!(
        out.status.success(),
        "pydicom failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// PS3.3 C.11.2.1.2: an RT image's LINEAR window 0.108 / 0.215 is narrower than 1, which LINEAR
/// does not allow; as LINEAR it is a threshold (Lucent showed the image uniformly white). Lucent
/// applies it as LINEAR_EXACT and says so. dcmtk 3.6.7 refuses the window (`dcmj2pnm +Wi 1`:
/// "cannot select VOI window 1") and pydicom refuses LINEAR with a width below 1, so neither
/// shows the file's window: the reference is pydicom's LINEAR_EXACT.
#[test]
fn narrow_linear_window_is_shown_as_linear_exact_like_pydicom() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rt.dcm");
    write_display_class("narrow-linear-window", &file).unwrap();
    let actual = lucent_from_header(&file);
    let expected = pydicom_windowed(&file, "LINEAR_EXACT");
    let expected = RenderedFrame::grey(actual.width, actual.height, expected);
    let verdict = compare::compare(&actual, &expected, LOSSLESS);
    assert!(verdict.matches(), "against pydicom: {verdict}");
    let distinct: std::collections::BTreeSet<u8> = actual.pixels.iter().copied().collect();
    assert!(distinct.len() > 50, "a ramp, not a threshold: {distinct:?}");
    assert_eq!(
        actual.notes,
        vec![lucent_pixels::DisplayNote::NarrowWindowAsLinearExact {
            center: 0.108,
            width: 0.215
        }]
    );
}

/// A malformed *optional* LUT — a VOI LUT Sequence item whose LUT Descriptor has two values —
/// made the whole image unviewable. It is ignored with a note and the image shown over its
/// min–max, as dcmtk shows it.
#[test]
fn malformed_voi_lut_is_ignored_and_the_image_shown_like_dcmtk() {
    require_tools();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lut.dcm");
    write_display_class("malformed-voi-lut", &file).unwrap();
    compare(
        "malformed-voi-lut",
        &file,
        0,
        HeaderFallsBackToMinMax,
        Reference::Dcmj2pnm,
        LOSSLESS,
    );
    let notes = lucent_from_header(&file).notes;
    assert!(
        notes.contains(&lucent_pixels::DisplayNote::IgnoredAttribute {
            attribute: "VOI LUT Sequence",
            reason: "its LUT Descriptor or LUT Data is malformed",
        }),
        "{notes:?}"
    );
}

/// A window of width 0 (PS3.3 C.11.2.1.2 requires ≥ 1) is not applied: the frame is shown over
/// its min–max, as dcmtk's, and the corner says which window is in use.
#[test]
fn a_window_without_width_falls_back_to_min_max_and_says_so() {
    require_tools();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("w0.dcm");
    write_display_class("zero-width-window", &file).unwrap();
    compare(
        "zero-width-window",
        &file,
        0,
        HeaderFallsBackToMinMax,
        Reference::Dcmj2pnm,
        LOSSLESS,
    );
    let notes = lucent_from_header(&file).notes;
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert_eq!(
        notes[0],
        lucent_pixels::DisplayNote::InvalidWindowIgnored {
            center: 600.0,
            width: 0.0
        }
    );
    assert!(matches!(
        notes[1],
        lucent_pixels::DisplayNote::MinMaxWindow { .. }
    ));
}

/// Issue 17: Explicit VR Big Endian (PS3.5 A.3) with sequences and items of undefined length
/// (dicom-object writes every sequence and item that way, delimiters in big-endian byte order):
/// the enhanced MR phantom, whose functional groups nest two levels deep.
#[test]
fn big_endian_with_undefined_length_sequences_matches_dcmtk() {
    require_tools();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("enhanced-be.dcm");
    write_display_class("big-endian-undefined-length", &file).unwrap();
    let bytes = std::fs::read(&file).unwrap();
    // The file really has undefined lengths in big-endian order: (5200,9229) SQ, length FFFFFFFF,
    // and big-endian item delimiters (FFFE,E00D).
    assert!(
        bytes.windows(12).any(|w| w
            == [
                0x52, 0x00, 0x92, 0x29, b'S', b'Q', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF
            ]),
        "the Shared Functional Groups Sequence has undefined length"
    );
    assert!(
        bytes
            .windows(8)
            .any(|w| w == [0xFF, 0xFE, 0xE0, 0x0D, 0, 0, 0, 0])
    );
    for frame in [0, 3] {
        compare(
            "big-endian-undefined-length",
            &file,
            frame,
            Window(2048.0, 4096.0),
            Reference::Dcmj2pnm,
            LOSSLESS,
        );
    }
}

/// Issue 17: Bits Allocated 12 (ACR-NEMA 2.0 packing: two samples in three bytes). dcmtk reads
/// the samples as a little-endian bit stream over the 16-bit words of Pixel Data (sample i is
/// bits 12·i … 12·i + 11), frames back to back in that stream, so frame 1 of a 31 × 33 image
/// starts in the middle of a byte. Checked in both byte orders (big endian swaps each word) and
/// through `FrameValues` (the probe's stored values). pydicom 3.0.1 refuses Bits Allocated 12,
/// so dcmtk is the only reference.
#[test]
fn twelve_bit_packed_pixel_data_matches_dcmtk() {
    require_tools();
    let dir = tempfile::tempdir().unwrap();
    let ((rows, columns, frames), values) = twelve_bit_values();
    let n = usize::from(rows) * usize::from(columns);
    let packed = pack_twelve_bit(&values);
    for (name, ts) in [
        ("twelve-bit-le", transfer_syntax::EXPLICIT_LE),
        ("twelve-bit-be", transfer_syntax::EXPLICIT_BE),
    ] {
        let file = dir.path().join(format!("{name}.dcm"));
        write_native_image(
            &file,
            ts,
            "2.25.1717",
            (rows, columns, frames),
            (12, 12, false),
            packed.clone(),
        )
        .unwrap();
        let pixels = PixelFile::open(&file).unwrap_or_else(|e| panic!("{name}: {e}"));
        for frame in 0..frames {
            compare(
                name,
                &file,
                frame,
                Window(2048.0, 4096.0),
                Reference::Dcmj2pnm,
                LOSSLESS,
            );
            let decoded = pixels.decode_frame(frame).unwrap();
            let probed = lucent_pixels::FrameValues::new(&pixels.info, &decoded, None).unwrap();
            let expected: Vec<f32> = values[frame as usize * n..(frame as usize + 1) * n]
                .iter()
                .map(|&v| f32::from(v))
                .collect();
            assert_eq!(
                probed.stored, expected,
                "{name} frame {frame}: stored values"
            );
        }
    }
}

/// The same data set with another transfer syntax in its meta header (dicom-object writes the
/// encapsulated Pixel Data as it was, fragments of undefined length).
fn relabel(source: &Path, transfer_syntax: &str, out: &Path) {
    let mut obj = dicom_object::open_file(source).unwrap();
    set_transfer_syntax(&mut obj, transfer_syntax);
    obj.write_to_file(out).unwrap();
}

fn set_transfer_syntax(obj: &mut dicom_object::DefaultDicomObject, uid: &str) {
    use dicom_encoding::transfer_syntax::TransferSyntaxIndex;
    let ts = dicom_transfer_syntax_registry::TransferSyntaxRegistry
        .get(uid)
        .unwrap();
    obj.meta_mut().set_transfer_syntax(ts);
}

/// Issue 17: encapsulated Pixel Data under a native transfer syntax (a mislabelled file). The
/// generated CT slice is compressed by dcmtk / GDCM (JPEG Lossless SV1, JPEG-LS, JPEG 2000),
/// then its meta header is changed to say Explicit or Implicit VR Little Endian. Lucent decodes
/// the stream as what it is. The reference is dcmtk's rendering of the correctly labelled file:
/// dcmtk 3.6.7 itself does not sniff (`dcmj2pnm` says "no pixel data found in DICOM dataset"
/// for the mislabelled file, `gdcmconv --raw` fails too) and pydicom 3.0.1 reads the fragment
/// bytes as native pixels (noise), so neither can render the mislabelled file.
#[test]
fn mislabelled_encapsulated_pixel_data_is_decoded_as_what_it_is() {
    use lucent_error::{ErrorCode, HasErrorCode};
    require_tools();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let study = StudyIdentity::phantom(63, "PHANTOM^MISLABELLED");
    ct_slice_spec(&study, 63).write(&d.join("ct.dcm")).unwrap();
    let ct = d.join("ct.dcm").into_os_string();
    let path = |name: &str| d.join(name).into_os_string();
    run(
        "dcmcjpeg",
        &["+e1".as_ref(), &ct, &path("jpeg-lossless.dcm")],
    );
    run("dcmcjpls", &[&ct, &path("jpeg-ls.dcm")]);
    run("gdcmconv", &["--j2k".as_ref(), &ct, &path("j2k.dcm")]);
    let cases = [
        (
            "jpeg-lossless.dcm",
            transfer_syntax::EXPLICIT_LE,
            Reference::Dcmj2pnm,
        ),
        (
            "jpeg-ls.dcm",
            transfer_syntax::IMPLICIT_LE,
            Reference::Dcml2pnm,
        ),
        (
            "j2k.dcm",
            transfer_syntax::EXPLICIT_LE,
            Reference::GdcmThenDcm2pnm,
        ),
    ];
    for (source, declared, tool) in cases {
        let source = d.join(source);
        let mislabelled = d.join(format!(
            "mislabelled-{}",
            source.file_name().unwrap().to_str().unwrap()
        ));
        relabel(&source, declared, &mislabelled);
        let name = format!(
            "mislabelled-{}",
            source.file_stem().unwrap().to_str().unwrap()
        );
        compare_with(
            &name,
            &mislabelled,
            &source,
            0,
            Window(40.0, 400.0),
            tool,
            LOSSLESS,
        );
        // The index reads the header of such a file like any other.
        let index = lucent_index::scan(std::slice::from_ref(&mislabelled)).unwrap();
        assert_eq!(index.skipped.len(), 0, "{name}: {:?}", index.skipped);
        assert_eq!(index.studies.len(), 1, "{name}");
        // The viewport and `lucent render` say the file is mislabelled.
        let notes = PixelFile::open(&mislabelled)
            .and_then(|f| f.render(0, VoiChoice::FromHeader))
            .unwrap()
            .notes;
        assert!(
            notes.iter().any(|n| matches!(
                n,
                lucent_pixels::DisplayNote::MislabelledTransferSyntax { .. }
            )),
            "{name}: {notes:?}"
        );
    }

    // The same fragments in a Pixel Data element *of defined length* (the fragments' total, no
    // sequence delimiter): as native data too short, so refused as truncated before; decoded as
    // the JPEG Lossless stream it is.
    let undefined = std::fs::read(d.join("mislabelled-jpeg-lossless.dcm")).unwrap();
    let header = [
        0xE0, 0x7F, 0x10, 0x00, b'O', b'B', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
    ];
    let at = undefined
        .windows(header.len())
        .rposition(|w| w == header)
        .expect("Pixel Data of undefined length");
    let delimiter = [0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0];
    assert!(undefined.ends_with(&delimiter));
    let value = &undefined[at + header.len()..undefined.len() - delimiter.len()];
    let mut defined = undefined[..at + 8].to_vec();
    defined.extend_from_slice(&(value.len() as u32).to_le_bytes());
    defined.extend_from_slice(value);
    let defined_path = d.join("mislabelled-defined-length.dcm");
    std::fs::write(&defined_path, defined).unwrap();
    compare_with(
        "mislabelled-defined-length",
        &defined_path,
        &d.join("jpeg-lossless.dcm"),
        0,
        Window(40.0, 400.0),
        Reference::Dcmj2pnm,
        LOSSLESS,
    );

    // RLE fragments under Explicit VR Little Endian (the display class of docs/CONFORMANCE.md,
    // built without an outside encoder): exactly the gradient it encodes.
    let rle = d.join("mislabelled-rle.dcm");
    write_display_class("mislabelled-rle", &rle).unwrap();
    let file = PixelFile::open(&rle).unwrap();
    match file.decode_frame(0).unwrap().samples {
        lucent_pixels::Samples::U8(v) => {
            assert!(v.iter().enumerate().all(|(i, &x)| x == (i % 251) as u8))
        }
        other => panic!("mislabelled RLE: {other:?}"),
    }
    assert!(matches!(
        file.info.notes[..],
        [lucent_pixels::DisplayNote::MislabelledTransferSyntax {
            declared: "Explicit VR Little Endian",
            found: "RLE Lossless"
        }]
    ));

    // Fragments that hold no known codestream: a typed refusal, never pixels.
    let source = d.join("jpeg-lossless.dcm");
    let mut obj = dicom_object::open_file(&source).unwrap();
    obj.put(dicom_core::DataElement::new(
        dicom_dictionary_std::tags::PIXEL_DATA,
        dicom_core::VR::OB,
        dicom_core::value::PixelFragmentSequence::new(
            Vec::<u32>::new(),
            vec![vec![0x5Au8; 512 * 512 * 2]],
        ),
    ));
    set_transfer_syntax(&mut obj, transfer_syntax::EXPLICIT_LE);
    let unknown = d.join("unknown-codestream.dcm");
    obj.write_to_file(&unknown).unwrap();
    let err = PixelFile::open(&unknown).unwrap_err();
    assert_eq!(err.code(), ErrorCode::UnrecognisedCodestream, "{err}");

    // Encapsulation under Explicit VR Big Endian is not allowed (PS3.5 A.4): refused, typed.
    let be = d.join("big-endian-encapsulated.dcm");
    relabel(&source, transfer_syntax::EXPLICIT_BE, &be);
    let err = PixelFile::open(&be).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Malformed, "{err}");
}

/// A deliberately broken decoder (`lucent_pixels::fault`, the `test-fault` feature) must fail
/// the golden comparison: on the textured phantom, a 64×64 block moved 16 pixels fails the
/// render metric (while its mean absolute difference alone stays ≤ 1, which the old check let
/// through), and one stored value changed by 1 passes every render tolerance (invisible under a
/// 4096-wide window) and fails only the exact stored-value comparison. Without a fault both
/// checks pass, so the failures are the faults'.
#[test]
fn a_broken_decoder_fails_the_golden_comparison() {
    use lucent_pixels::fault::{self, Fault};
    require_tools();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("textured.dcm");
    textured_phantom_spec(&StudyIdentity::phantom(64, "PHANTOM^TEXTURE"), 64)
        .write(&path)
        .unwrap();
    let voi = Window(2048.0, 4096.0);
    let r = Reference::Dcmj2pnm;
    let render = |label: &str| render_check(label, &path, &path, 0, voi, r, LOSSLESS);
    let clean = render("textured-clean").expect("the correct decoder matches dcmtk");
    assert_eq!(stored_check(&path, &path, 0, r), Ok(true));
    assert!(clean.mean < 0.5, "{clean}");

    let shifted = fault::with(Fault::ShiftBlock, || {
        let err = render("textured-shift-block").expect_err("a moved block must fail the metric");
        let moved = PixelFile::open(&path)
            .unwrap()
            .render(
                0,
                VoiChoice::Explicit {
                    center: 2048.0,
                    width: 4096.0,
                },
            )
            .unwrap();
        (err, moved, stored_check(&path, &path, 0, r))
    });
    let (err, moved, stored) = shifted;
    assert!(
        err.contains("worst tile mean") && err.contains("at x "),
        "{err}"
    );
    assert!(stored.is_err(), "the moved block changes stored values too");
    let work = tempfile::tempdir().unwrap();
    let dcmtk = reference(r, &path, 0, voi, work.path());
    let d = compare::difference(&moved, &dcmtk).unwrap();
    assert!(
        d.mean <= 1.0,
        "the old check (mean ≤ 1 only) would have passed it: {d}"
    );
    assert!(
        d.fraction_off > LOSSLESS.fraction_off && d.worst_tile.mean > LOSSY.tile_mean,
        "{d}"
    );
    eprintln!("shift-block fault: {d}");

    let (render_result, stored) = fault::with(Fault::OneValue, || {
        (
            render("textured-one-value"),
            stored_check(&path, &path, 0, r),
        )
    });
    let within = render_result.expect("one stored value is invisible in the render");
    eprintln!(
        "one-value fault: render {within}; {}",
        stored.clone().unwrap_err()
    );
    let message = stored.expect_err("the exact comparison must catch one changed value");
    assert!(
        message.starts_with("1 of 262144 stored values differ"),
        "{message}"
    );
}
