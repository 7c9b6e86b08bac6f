//! Display shutters (PS3.3 C.7.6.11) on generated DX phantoms, against dcmtk and an independent
//! reference for the shutter geometry.
//!
//! dcmtk 3.6.7 is the reference for the windowed pixels but not for the shutter: `dcmp2pgm`
//! builds a default presentation state that carries the image's shutter (`dcmpsmk`'s "+s"), yet
//! `DVPresentationState::renderPixelData` applies only bitmap shutters, so its PGM shows the
//! whole image. The visible area therefore comes from `shutter_reference.py` (pydicom + numpy,
//! per-pixel ray casting and an exact on-edge test; Lucent uses exact scanline spans). Expected
//! image: dcmtk's pixel where the reference says visible, the shutter's display value where it
//! says hidden; every pixel must be within 1 grey level. The phantoms' windowed values stay in
//! 40..215 and the shutter values are 0, 16 or 255, so a pixel hidden or shown wrongly fails.

mod common;

use common::{have, keep_failure_images, read_pgm, read_png, run};
use dicom_core::value::PrimitiveValue;
use dicom_core::{DataElement, Tag, VR};
use dicom_dictionary_std::tags;
use lucent_pixels::DisplayNote;
use lucent_pixels::shutter::ShapeKind;
use lucent_pixels::{PixelFile, RenderOptions, RenderedFrame, Renderer, VoiChoice};
use lucent_testdata::*;
use std::path::{Path, PathBuf};

const ROWS: u16 = 96;
const COLUMNS: u16 = 128;
/// The phantoms' window: what dcmp2pgm's default presentation state takes and what Lucent's
/// `VoiChoice::FromHeader` applies.
const WINDOW: (f64, f64) = (2048.0, 4096.0);

/// A 96 × 128 DX image (12 bits stored, a diagonal texture in 700..3400) with one window.
fn dx_phantom(seed: u64) -> ImageSpec {
    let study = StudyIdentity::phantom(seed, "PHANTOM^SHUTTER");
    let mut s = ImageSpec::new(
        study.study_instance_uid.clone(),
        uid(seed, &[1]),
        uid(seed, &[2]),
    );
    s.sop_class_uid = sop_class::DX_IMAGE;
    s.modality = "DX";
    s.rows = ROWS;
    s.columns = COLUMNS;
    s.pixel_spacing = Some([0.2, 0.2]);
    s.pixels = Pixels::Mono16 {
        signed: false,
        bits_stored: 12,
        values: (0..u32::from(ROWS) * u32::from(COLUMNS))
            .map(|i| {
                let (r, c) = (i / u32::from(COLUMNS), i % u32::from(COLUMNS));
                (700 + (r * 23 + c * 11) % 2700) as u16
            })
            .collect(),
    };
    s.windows = vec![(WINDOW.0, WINDOW.1, "FULL")];
    s
}

/// A data set's shutter attributes.
type Attributes = Vec<(Tag, Value)>;

/// Shutter attributes: IS and CS as text, US as numbers.
enum Value {
    Text(&'static str),
    Unsigned(Vec<u16>),
}

fn shutter_file(dir: &Path, name: &str, spec: &ImageSpec, shutter: &[(Tag, Value)]) -> PathBuf {
    let path = dir.join(format!("{name}.dcm"));
    spec.write(&path).unwrap();
    let mut file = dicom_object::open_file(&path).unwrap();
    for (tag, value) in shutter {
        let (vr, v) = match value {
            Value::Text(t) => (
                if *tag == tags::SHUTTER_SHAPE {
                    VR::CS
                } else {
                    VR::IS
                },
                PrimitiveValue::Strs(t.split('\\').map(String::from).collect()),
            ),
            Value::Unsigned(v) => (VR::US, PrimitiveValue::U16(v.as_slice().into())),
        };
        file.put(DataElement::new(*tag, vr, v));
    }
    file.write_to_file(&path).unwrap();
    path
}

use Value::{Text, Unsigned};

fn rectangle(
    left: &'static str,
    right: &'static str,
    upper: &'static str,
    lower: &'static str,
) -> Attributes {
    vec![
        (tags::SHUTTER_LEFT_VERTICAL_EDGE, Text(left)),
        (tags::SHUTTER_RIGHT_VERTICAL_EDGE, Text(right)),
        (tags::SHUTTER_UPPER_HORIZONTAL_EDGE, Text(upper)),
        (tags::SHUTTER_LOWER_HORIZONTAL_EDGE, Text(lower)),
    ]
}

fn circle(centre: &'static str, radius: &'static str) -> Attributes {
    vec![
        (tags::CENTER_OF_CIRCULAR_SHUTTER, Text(centre)),
        (tags::RADIUS_OF_CIRCULAR_SHUTTER, Text(radius)),
    ]
}

fn shape(names: &'static str, mut attributes: Attributes) -> Attributes {
    attributes.insert(0, (tags::SHUTTER_SHAPE, Text(names)));
    attributes
}

fn require_tools() {
    for tool in ["dcmp2pgm", "dcmj2pnm", "python3"] {
        assert!(have(tool), "{tool} is missing: run scripts/test.sh");
    }
}

/// The reference's visible mask (true = shown), row-major.
fn reference_mask(file: &Path, work: &Path) -> Vec<bool> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/shutter_reference.py");
    let mask = work.join("mask.pgm");
    run(
        "python3",
        &[script.as_os_str(), file.as_os_str(), mask.as_os_str()],
    );
    read_pgm(&mask).pixels.iter().map(|&v| v == 255).collect()
}

/// dcmtk's rendering with its default presentation state (the image's window, no shutter
/// drawn); asserts that the window it used is [`WINDOW`].
fn dcmp2pgm(file: &Path, work: &Path) -> RenderedFrame {
    let out = work.join("dcmtk.pgm");
    let log = run(
        "dcmp2pgm",
        &["-v".as_ref(), file.as_os_str(), out.as_os_str()],
    );
    let window = format!("window center={} width={}", WINDOW.0, WINDOW.1);
    assert!(
        log.contains(&window),
        "dcmp2pgm did not use {window}:\n{log}"
    );
    read_pgm(&out)
}

/// Lucent's render under the file's VOI, with or without the shutter.
fn render(file: &Path, shutters: bool) -> RenderedFrame {
    let f = PixelFile::open(file).unwrap();
    let decoded = f.decode_frame(0).unwrap();
    Renderer::default()
        .render(
            &f.info,
            &decoded,
            0,
            RenderOptions {
                voi: VoiChoice::FromHeader,
                overlays: false,
                shutters,
            },
        )
        .unwrap()
}

/// Lucent against `reference` where the mask says visible and `hidden` elsewhere, per pixel.
fn assert_matches(
    name: &str,
    actual: &RenderedFrame,
    reference: &RenderedFrame,
    visible: &[bool],
    hidden: &[u8],
) {
    let c = usize::from(actual.channels);
    assert_eq!(
        (actual.width, actual.height, actual.channels),
        (reference.width, reference.height, reference.channels),
        "{name}: size"
    );
    let mut expected = reference.clone();
    for (i, _) in visible.iter().enumerate().filter(|(_, v)| !**v) {
        expected.pixels[i * c..(i + 1) * c].copy_from_slice(hidden);
    }
    let wrong = actual
        .pixels
        .chunks_exact(c)
        .zip(expected.pixels.chunks_exact(c))
        .filter(|(a, e)| a.iter().zip(e.iter()).any(|(a, e)| a.abs_diff(*e) > 1))
        .count();
    if wrong > 0 {
        let dir = keep_failure_images(name, &[("lucent", actual), ("expected", &expected)]);
        panic!(
            "{name}: {wrong} of {} pixels differ by more than 1 (hidden by the reference: {}); images in {}",
            visible.len(),
            visible.iter().filter(|v| !**v).count(),
            dir.display()
        );
    }
}

#[test]
fn greyscale_shutters_match_dcmtk_and_the_reference_geometry() {
    require_tools();
    let dir = tempfile::tempdir().unwrap();
    let spec = dx_phantom(71);
    let mut mono1 = spec.clone();
    mono1.photometric_override = Some("MONOCHROME1");
    let value = |p: u16| (tags::SHUTTER_PRESENTATION_VALUE, Unsigned(vec![p]));
    let cases: Vec<(&str, &ImageSpec, Attributes, u8)> = vec![
        // (a) No Shutter Presentation Value: black.
        (
            "rectangular",
            &spec,
            shape("RECTANGULAR", rectangle("20", "100", "10", "80")),
            0,
        ),
        // (b) White; the circle reaches past the top and bottom rows.
        (
            "circular",
            &spec,
            {
                let mut a = shape("CIRCULAR", circle("48\\64", "52"));
                a.push(value(0xFFFF));
                a
            },
            255,
        ),
        // (c) A concave pentagon, vertices as row\column.
        (
            "polygonal",
            &spec,
            {
                let mut a = shape(
                    "POLYGONAL",
                    vec![(
                        tags::VERTICES_OF_THE_POLYGONAL_SHUTTER,
                        Text("10\\20\\85\\10\\60\\64\\90\\120\\5\\110"),
                    )],
                );
                a.push(value(0x1000));
                a
            },
            16,
        ),
        // (d) Rectangle and circle: only what is inside both is shown.
        (
            "rectangle-and-circle",
            &spec,
            {
                let mut a = rectangle("10", "118", "5", "90");
                a.extend(circle("50\\60", "45"));
                let mut a = shape("RECTANGULAR\\CIRCULAR", a);
                a.push(value(0x1000));
                a
            },
            16,
        ),
        // (e) MONOCHROME1: the image is inverted, the P-value (white) is not.
        (
            "monochrome1",
            &mono1,
            {
                let mut a = shape("RECTANGULAR", rectangle("5", "120", "30", "70"));
                a.push(value(0xFFFF));
                a
            },
            255,
        ),
    ];
    for (name, spec, attributes, hidden) in cases {
        let work = tempfile::tempdir().unwrap();
        let file = shutter_file(dir.path(), name, spec, &attributes);
        let reference = dcmp2pgm(&file, work.path());
        let visible = reference_mask(&file, work.path());
        let hidden_count = visible.iter().filter(|v| !**v).count();
        assert!(
            hidden_count > 0 && hidden_count < visible.len(),
            "{name}: the shutter must hide part of the image"
        );
        let shown = render(&file, true);
        assert_eq!(shown.notes, [], "{name}");
        assert_matches(name, &shown, &reference, &visible, &[hidden]);
        // Turned off, the whole image is shown: dcmtk's pixels everywhere.
        assert_eq!(
            render(&file, false).notes,
            [DisplayNote::ShutterTurnedOff],
            "{name}"
        );
        assert_matches(
            &format!("{name}-off"),
            &render(&file, false),
            &reference,
            &vec![true; visible.len()],
            &[hidden],
        );
    }
}

#[test]
fn malformed_shutters_are_ignored_and_the_image_shown() {
    require_tools();
    let dir = tempfile::tempdir().unwrap();
    let spec = dx_phantom(72);
    let cases: Vec<(&str, Attributes, Vec<DisplayNote>)> = vec![
        (
            "odd-vertex-values",
            shape(
                "POLYGONAL",
                vec![(
                    tags::VERTICES_OF_THE_POLYGONAL_SHUTTER,
                    Text("10\\20\\85\\10\\60"),
                )],
            ),
            vec![DisplayNote::MalformedShutterIgnored {
                shape: ShapeKind::Polygonal,
            }],
        ),
        (
            "left-beyond-right",
            shape("RECTANGULAR", rectangle("100", "20", "10", "80")),
            vec![DisplayNote::MalformedShutterIgnored {
                shape: ShapeKind::Rectangular,
            }],
        ),
        (
            "bitmap",
            vec![
                (tags::SHUTTER_SHAPE, Text("BITMAP")),
                (tags::SHUTTER_OVERLAY_GROUP, Unsigned(vec![0x6000])),
            ],
            vec![DisplayNote::BitmapShutterNotApplied],
        ),
    ];
    for (name, attributes, issues) in cases {
        let work = tempfile::tempdir().unwrap();
        let file = shutter_file(dir.path(), name, &spec, &attributes);
        let f = PixelFile::open(&file).unwrap();
        assert_eq!(f.info.notes, issues, "{name}");
        assert!(f.info.shutter.is_none(), "{name}");
        let reference = dcmp2pgm(&file, work.path());
        let all = vec![true; reference.pixels.len()];
        assert_matches(name, &render(&file, true), &reference, &all, &[0]);
    }
}

#[test]
fn colour_shutter_uses_the_cielab_value() {
    require_tools();
    let dir = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let study = StudyIdentity::phantom(73, "PHANTOM^SHUTTER");
    let spec = rgb_us_spec(&study, 73);
    // sRGB green, (0, 255, 0), is L* 87.82, a* −79.27, b* 80.99 in the D50 PCS; encoded
    // (C.10.7.1.1) as L × 65535 / 100, (a + 128) × 257, (b + 128) × 257.
    let green = vec![57552, 12523, 53711];
    let attributes = {
        let mut a = shape("CIRCULAR", circle("128\\128", "100"));
        a.push((tags::SHUTTER_PRESENTATION_VALUE, Unsigned(vec![0])));
        a.push((
            tags::SHUTTER_PRESENTATION_COLOR_CIE_LAB_VALUE,
            Unsigned(green),
        ));
        a
    };
    let file = shutter_file(dir.path(), "rgb-cielab", &spec, &attributes);
    let png = work.path().join("dcmtk.png");
    run(
        "dcmj2pnm",
        &["+on".as_ref(), file.as_os_str(), png.as_os_str()],
    );
    let reference = read_png(&png);
    let visible = reference_mask(&file, work.path());
    let actual = render(&file, true);
    // The conversion is Lucent's own (dcmtk draws no shutter); allow one level per channel
    // against the exact sRGB green the value encodes.
    let hidden = actual
        .pixels
        .chunks_exact(3)
        .zip(&visible)
        .find(|(_, v)| !**v)
        .map(|(p, _)| [p[0], p[1], p[2]])
        .unwrap();
    assert!(
        hidden[0] <= 1 && hidden[1] >= 254 && hidden[2] <= 1,
        "CIELab green shown as {hidden:?}"
    );
    assert_matches("rgb-cielab", &actual, &reference, &visible, &hidden);
}
