//! The pixel check of the QA harness: Lucent's first frame against one reference decoder's.
//! `lucent-bench decode` records it per file (a mismatch is not a win) and
//! `lucent-bench conformance` reports it (docs/CONFORMANCE.md).
//!
//! **One reference per file, fixed before looking at the result**: dcmtk where dcmtk has a
//! decoder for the transfer syntax ([`peers::dcmtk_program`]), GDCM (`gdcmconv --raw`, then
//! dcmtk's `dcm2pnm` to render) where it has none. Where that reference is known to be wrong for
//! a file, the committed exceptions list (`benches/reference-exceptions.toml`,
//! [`super::exceptions`]) names the file by SHA-256 and the reference used instead (GDCM, or
//! pydicom's values rewritten as a native file, each then rendered by `dcm2pnm`), with the
//! reason and the evidence. Never "whichever agrees".
//!
//! Two comparisons, both required when both can be made:
//! - **stored values, exactly**, for lossless transfer syntaxes
//!   ([`lucent_pixels::stored::is_lossless_transfer_syntax`]): Lucent's decoded samples against
//!   the reference's decompressed file (`lucent_testdata::reference::decompress`), sample by
//!   sample;
//! - **the render**, under one explicit window (the file's first window, else min–max of the
//!   *reference's* decompressed values), both drawing the overlay planes, with the one metric of
//!   [`lucent_pixels::compare`] (mean, fraction of samples > 1 level off, worst 32×32 tile).

use super::exceptions::{self, Exception, Scope};
use super::files::FileInfo;
use super::peers::{self, dcmtk_args};
use lucent_pixels::compare::{self, Tolerance, Verdict};
use lucent_pixels::stored::{self, StoredDifference, StoredValues};
use lucent_pixels::{PixelFile, RenderOptions, RenderedFrame, VoiChoice};
use lucent_testdata::reference::{self as reference_tools, Reference};
use std::path::Path;

/// The peer-independent VOI Lucent uses when no explicit window is asked.
pub(crate) fn lucent_voi(f: &FileInfo) -> VoiChoice {
    if f.has_window {
        VoiChoice::FromHeader
    } else {
        VoiChoice::MinMax
    }
}

fn read_png(path: &Path) -> Option<RenderedFrame> {
    RenderedFrame::read_png(std::fs::File::open(path).ok()?).ok()
}

/// The reference a transfer syntax gets before any result is seen: dcmtk where it has a
/// decoder, else GDCM.
pub(crate) fn designated_reference(transfer_syntax: &str) -> Reference {
    if peers::dcmtk_program(transfer_syntax).is_some() {
        Reference::Dcmtk
    } else {
        Reference::Gdcm
    }
}

/// The outcome of the exact stored-value comparison.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Exact {
    /// Lossy transfer syntax: not compared exactly.
    NotApplicable,
    /// The reference's decompressed file could not be made or read (why).
    NoReference(String),
    /// Every stored value equal.
    Equal,
    /// How they differ.
    Differs(StoredDifference),
}

/// Lucent's first frame against the reference decoder's.
pub(crate) struct Comparison {
    /// The reference of the render (`dcmtk`, `gdcm`, or an exception's), decoded or not; the
    /// exact comparison uses it too unless the exception serves the render only.
    pub(crate) reference: &'static str,
    /// The exception that replaced the designated reference, if any.
    pub(crate) exception: Option<&'static Exception>,
    /// Lucent's error when it could not open, decode or render the frame.
    pub(crate) lucent_error: Option<lucent_pixels::PixelError>,
    /// The render comparison (`None`: no reference render, or Lucent failed).
    pub(crate) render: Option<Verdict>,
    /// Why the reference gave no render.
    pub(crate) render_unavailable: Option<String>,
    /// The exact stored-value comparison.
    pub(crate) exact: Exact,
    /// The render tolerance for this file (lossy when Lucent's render says so).
    pub(crate) tolerance: Tolerance,
    /// The explicit window both sides applied (`None`: colour, or a VOI table); the decode
    /// benchmark gives every tool this same window.
    pub(crate) window: Option<(f64, f64)>,
}

impl Comparison {
    /// Whether any comparison with the reference could be made.
    pub(crate) fn reference_decoded(&self) -> bool {
        self.render.is_some() || matches!(self.exact, Exact::Equal | Exact::Differs(_))
    }

    /// Whether Lucent's pixels match: every comparison made passes. `None` when the reference
    /// decoded nothing to compare with (or Lucent failed and the reference did not decode).
    pub(crate) fn matches(&self) -> Option<bool> {
        if self.lucent_error.is_some() {
            return self.reference_available().then_some(false);
        }
        if !self.reference_decoded() {
            return None;
        }
        let render_ok = self.render.is_none_or(|v| v.matches());
        let exact_ok = !matches!(self.exact, Exact::Differs(_));
        Some(render_ok && exact_ok)
    }

    /// Whether the reference decoded the file at all (used when Lucent failed: a peer rendered
    /// what Lucent refused).
    pub(crate) fn reference_available(&self) -> bool {
        self.reference_decoded() || self.render_unavailable.is_none()
    }

    /// One line with every number: the render metric (mean, fraction, worst tile and where) and
    /// the exact comparison.
    pub(crate) fn detail(&self) -> String {
        let mut parts = Vec::new();
        match &self.render {
            Some(v) => parts.push(format!("render: {v} (tolerance: {})", self.tolerance)),
            None => {
                if let Some(why) = &self.render_unavailable {
                    parts.push(format!("no reference render: {why}"));
                }
            }
        }
        match &self.exact {
            Exact::NotApplicable => {}
            Exact::NoReference(why) => parts.push(format!("stored values not compared: {why}")),
            Exact::Equal => parts.push("stored values: all equal".into()),
            Exact::Differs(d) => parts.push(format!("stored values: {d}")),
        }
        parts.join("; ")
    }
}

/// The explicit window both sides apply to a greyscale frame: the file's first window, else
/// min–max of the reference's decompressed values (Lucent's min–max rule, PS3.3 C.11.2.1.2,
/// applied to the reference's samples and its header's rescale and padding). Both decoders then
/// apply the same LINEAR window, so the check is about the decoded values, not about VOI policy
/// (dcmtk 3.6.7 ignores LINEAR_EXACT, functional-group windows and Pixel Padding Value, which
/// Lucent honours).
fn comparison_window(file: &PixelFile, reference_native: Option<&PixelFile>) -> Option<(f64, f64)> {
    if !file.info.photometric.is_monochrome() {
        return None;
    }
    if let Some(w) = file.info.default_window(0) {
        return Some((w.center, w.width));
    }
    let native = reference_native?;
    let values = stored::read_native_frame(native, 0).ok()?;
    match lucent_pixels::render::resolve_voi(&native.info, &values, 0, VoiChoice::MinMax).0 {
        lucent_pixels::lut::VoiTransform::Window(w) => Some((w.center, w.width.max(1.0))),
        lucent_pixels::lut::VoiTransform::Table(_) => None,
    }
}

/// The reference's render of frame 0 under `window`: dcmtk's converter on the file itself, or
/// dcmtk's `dcm2pnm` on the other reference's decompressed file (`native`).
fn reference_render(
    reference: Reference,
    f: &FileInfo,
    native: Option<&Path>,
    window: Option<(f64, f64)>,
    work: &Path,
) -> Result<RenderedFrame, String> {
    let out = work.join("reference.png");
    let _ = std::fs::remove_file(&out);
    let (program, input) = match reference {
        Reference::Dcmtk => (
            peers::dcmtk_program(&f.transfer_syntax)
                .ok_or_else(|| format!("dcmtk has no decoder for {}", f.transfer_syntax))?,
            f.path.as_path(),
        ),
        Reference::Gdcm | Reference::Pydicom => (
            "dcm2pnm",
            native.ok_or_else(|| format!("{} could not decompress it", reference.name()))?,
        ),
    };
    peers::time_process(program, &dcmtk_args(f, input, &out, window))?;
    read_png(&out).ok_or_else(|| format!("{program} wrote no readable PNG"))
}

/// Renders and decodes frame 0 with Lucent and compares with the file's one reference.
pub(crate) fn compare(f: &FileInfo, work: &Path) -> Comparison {
    let exception = exceptions::for_file(&f.path);
    let designated = designated_reference(&f.transfer_syntax);
    let reference = exception.map(|e| e.reference).unwrap_or(designated);
    // The exact comparison's reference: the exception's, unless it serves the render only.
    let exact_reference = match exception {
        Some(e) if e.scope == Scope::Render => designated,
        _ => reference,
    };
    let file = PixelFile::open(&f.path);
    // The reference's decompressed file: the stored values to compare exactly, the values of
    // the min–max window, and the input of dcm2pnm for GDCM and pydicom.
    let decompress = |by: Reference, name: &str| {
        let path = work.join(name);
        reference_tools::decompress(by, &f.transfer_syntax, &f.path, &path)
            .and_then(|()| PixelFile::open(&path).map_err(|e| e.to_string()))
            .map(|file| (path, file))
    };
    let native = decompress(reference, "reference-native.dcm");
    let exact_native = if exact_reference == reference {
        None
    } else {
        Some(decompress(exact_reference, "exact-reference-native.dcm"))
    };
    let window = file
        .as_ref()
        .ok()
        .and_then(|p| comparison_window(p, native.as_ref().ok().map(|(_, n)| n)));
    let voi = match window {
        Some((center, width)) => VoiChoice::Explicit { center, width },
        None => lucent_voi(f),
    };
    // Like with like: dcmtk draws every overlay plane by default (`+O 0`, see `dcmtk_args`), so
    // Lucent draws them too (PS3.3 C.9; what either viewer shows by default).
    let options = RenderOptions {
        voi,
        overlays: true,
        shutters: true,
    };
    let lucent = file.and_then(|p| {
        let decoded = p.decode_frame(0)?;
        let rendered = lucent_pixels::Renderer::default().render(&p.info, &decoded, 0, options)?;
        Ok((StoredValues::of(&p.info, &decoded), rendered))
    });
    let tolerance = Tolerance::for_lossy(lucent.as_ref().is_ok_and(|(_, r)| r.lossy));
    let expected = reference_render(
        reference,
        f,
        native.as_ref().ok().map(|(p, _)| p.as_path()),
        window,
        work,
    );
    let render = match (&lucent, &expected) {
        (Ok((_, actual)), Ok(expected)) => Some(compare::compare(actual, expected, tolerance)),
        _ => None,
    };
    let exact = if !stored::is_lossless_transfer_syntax(&f.transfer_syntax) {
        Exact::NotApplicable
    } else {
        match (&lucent, exact_native.as_ref().unwrap_or(&native)) {
            (_, Err(why)) => Exact::NoReference(why.clone()),
            (Err(_), _) => Exact::NoReference("Lucent could not decode it".into()),
            (Ok((actual, _)), Ok((_, native))) => match StoredValues::of_native(native, 0) {
                Err(e) => Exact::NoReference(format!("cannot read the reference's values: {e}")),
                Ok(expected) => match stored::compare_exact(actual, &expected) {
                    Ok(()) => Exact::Equal,
                    Err(d) => Exact::Differs(d),
                },
            },
        }
    };
    Comparison {
        reference: reference.name(),
        exception,
        lucent_error: lucent.err(),
        render,
        render_unavailable: expected.err(),
        exact,
        tolerance,
        window,
    }
}
