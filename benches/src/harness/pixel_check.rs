//! The pixel check of the QA harness: Lucent's first frame against the reference decoder's
//! under the same window. `lucent-bench decode` records it per file (a mismatch is not a win)
//! and `lucent-bench conformance` reports it (docs/CONFORMANCE.md).

use super::files::FileInfo;
use super::peers::{self, dcmtk_args};
use lucent_pixels::{PixelFile, RenderOptions, RenderedFrame, VoiChoice};
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

/// The explicit window used to compare greyscale pixels: the file's first window, else Lucent's
/// min–max window. Both decoders then apply the same LINEAR window, so the check is about the
/// decoded values, not about VOI policy (dcmtk 3.6.7 ignores LINEAR_EXACT, functional-group
/// windows and Pixel Padding Value, which Lucent honours).
pub(crate) fn comparison_window(file: &PixelFile) -> Option<(f64, f64)> {
    if !file.info.photometric.is_monochrome() {
        return None;
    }
    if let Some(w) = file.info.default_window(0) {
        return Some((w.center, w.width));
    }
    let decoded = file.decode_frame(0).ok()?;
    match lucent_pixels::render::resolve_voi(&file.info, &decoded, 0, VoiChoice::MinMax).0 {
        lucent_pixels::lut::VoiTransform::Window(w) => Some((w.center, w.width.max(1.0))),
        lucent_pixels::lut::VoiTransform::Table(_) => None,
    }
}

/// Lucent's first frame against the reference decoder's, under the same window.
pub(crate) struct Comparison {
    /// Which peer gave the reference image (`dcmtk`, or `gdcm` via `gdcmconv --raw` + dcmtk).
    pub(crate) reference: Option<&'static str>,
    /// Lucent's error when it could not render the frame.
    pub(crate) lucent_error: Option<lucent_pixels::PixelError>,
    /// Mean absolute difference (`None`: no reference, Lucent failed, or the sizes differ).
    pub(crate) mad: Option<f64>,
    /// The tolerance for this file: 1 grey level, 2 for lossy data.
    pub(crate) tolerance: f64,
}

impl Comparison {
    /// Whether Lucent's pixels match; `None` when no reference decoder rendered the file.
    pub(crate) fn matches(&self) -> Option<bool> {
        self.reference?;
        Some(self.mad.is_some_and(|d| d <= self.tolerance))
    }
}

/// Renders frame 0 with Lucent and with the reference decoder and compares. The reference is
/// dcmtk; when Lucent does not match dcmtk (or dcmtk cannot render the file), GDCM is asked too
/// and the closer of the two is kept (dcmtk 3.6.7 mis-reads 32-bit big endian data, for example,
/// where GDCM and pydicom agree with Lucent).
pub(crate) fn compare(f: &FileInfo, work: &Path) -> Comparison {
    let file = PixelFile::open(&f.path);
    let window = file.as_ref().ok().and_then(comparison_window);
    let voi = match window {
        Some((center, width)) => VoiChoice::Explicit { center, width },
        None => lucent_voi(f),
    };
    // Like with like: dcmtk draws every overlay plane by default (`+O 0`, see `dcmtk_args`), so
    // Lucent draws them too (PS3.3 C.9; what either viewer shows by default). pydicom, the third
    // opinion, draws none: on a file with overlays it can only disagree with both.
    let options = RenderOptions {
        voi,
        overlays: true,
        shutters: true,
    };
    let lucent = file.and_then(|p| p.render(0, options));
    let lossy = lucent.as_ref().is_ok_and(|l| l.lossy);
    let tolerance = if lossy { 2.0 } else { 1.0 };
    let reference = work.join("reference.png");
    let by_dcmtk = || {
        let _ = std::fs::remove_file(&reference);
        peers::dcmtk_program(&f.transfer_syntax)
            .and_then(|p| peers::time_process(p, &dcmtk_args(f, &f.path, &reference, window)).ok())
            .and_then(|_| read_png(&reference))
    };
    let by_gdcm = || {
        let _ = std::fs::remove_file(&reference);
        let raw = work.join("raw.dcm");
        peers::time_process(
            "gdcmconv",
            &[
                "--raw".into(),
                f.path.display().to_string(),
                raw.display().to_string(),
            ],
        )
        .ok()?;
        peers::time_process("dcm2pnm", &dcmtk_args(f, &raw, &reference, window)).ok()?;
        read_png(&reference)
    };
    let mad_to = |image: &RenderedFrame| lucent.as_ref().ok().and_then(|l| l.mean_abs_diff(image));
    let mut best: Option<(&'static str, Option<f64>)> = by_dcmtk().map(|i| ("dcmtk", mad_to(&i)));
    if !best.is_some_and(|(_, mad)| mad.is_some_and(|d| d <= tolerance))
        && let Some(image) = by_gdcm()
    {
        let gdcm = ("gdcm", mad_to(&image));
        let closer = match (best, gdcm.1) {
            (None, _) => true,
            (Some((_, None)), Some(_)) => true,
            (Some((_, Some(d))), Some(g)) => g < d,
            _ => false,
        };
        if closer {
            best = Some(gdcm);
        }
    }
    // Both peers disagree with Lucent on a greyscale image: pydicom decides (on the raw values
    // the same window is applied to; see peers::pydicom_grey).
    let matched = |b: Option<(&'static str, Option<f64>)>| {
        b.is_some_and(|(_, mad)| mad.is_some_and(|d| d <= tolerance))
    };
    if !matched(best)
        && lucent.is_ok()
        && let Some((center, width)) = window
        && let Some(image) = peers::pydicom_grey(&f.path, center, width, work)
    {
        let third = ("pydicom", mad_to(&image));
        if matched(Some(third)) {
            best = Some(third);
        }
    }
    Comparison {
        reference: best.map(|(peer, _)| peer),
        lucent_error: lucent.err(),
        mad: best.and_then(|(_, mad)| mad),
        tolerance,
    }
}

/// Lucent's first frame compared with the reference decoder's.
pub(crate) fn pixels_match(f: &FileInfo, work: &Path) -> Option<bool> {
    compare(f, work).matches()
}
