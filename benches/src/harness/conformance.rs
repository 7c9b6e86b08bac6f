//! `lucent-bench conformance`: the decoder conformance report (`docs/CONFORMANCE.md`), in the
//! spirit of a DICOM conformance statement (PS3.2): for every image under the inputs, Lucent's
//! first frame against the reference decoder's (dcmtk's `dcmj2pnm`/`dcml2pnm`, else GDCM's
//! `gdcmconv --raw` then dcmtk) under the same window, both drawing the overlay planes (PS3.3
//! C.9: dcmtk's default, so Lucent is asked to as well; see `pixel_check::compare`), grouped by
//! transfer syntax × photometric interpretation × bits allocated/stored.
//!
//! A file is **matches** (mean absolute difference ≤ 1 grey level, ≤ 2 when lossy), **differs**
//! (rendered, but not within tolerance, or another size), **unsupported** (Lucent refuses it with
//! an error code while a peer renders it), **Lucent only** (Lucent renders it, no peer does:
//! float pixel data, HTJ2K, Deflated Image Frame Compression) or **no decoder** (neither does).

use super::files::{FileInfo, image_files};
use super::pixel_check::compare;
use lucent_error::HasErrorCode;
use lucent_pixels::frames::transfer_syntax_name;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The status of one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Within tolerance of the reference decoder.
    Matches,
    /// Rendered, but not within tolerance (or a different size).
    Differs,
    /// Refused by Lucent (with a code) though a peer renders it.
    Unsupported,
    /// Rendered by Lucent, by no peer.
    LucentOnly,
    /// Rendered by nobody.
    NoDecoder,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::Matches => "matches",
            Status::Differs => "differs",
            Status::Unsupported => "unsupported",
            Status::LucentOnly => "Lucent only",
            Status::NoDecoder => "no decoder",
        }
    }
}

/// One file's row.
#[derive(Debug, Clone, Serialize)]
pub struct FileResult {
    /// Path relative to its input.
    pub file: String,
    /// Transfer Syntax UID.
    pub transfer_syntax: String,
    /// Photometric Interpretation.
    pub photometric: String,
    /// Bits Allocated.
    pub bits_allocated: u16,
    /// Bits Stored.
    pub bits_stored: u16,
    /// Status.
    pub status: Status,
    /// The peer that gave the reference image.
    pub reference: Option<&'static str>,
    /// Mean absolute difference to the reference.
    pub mad: Option<f64>,
    /// Lucent's error code, when it refused the file.
    pub error_code: Option<&'static str>,
    /// Lucent's error message.
    pub error: Option<String>,
    /// The display notes of Lucent's render under the file's own VOI (what the viewer's corner
    /// says), for the files of the display-classes folder.
    pub notes: Vec<String>,
}

/// The folder `lucent-testdata display-classes` writes for the report's display section.
pub const DISPLAY_CLASSES_FOLDER: &str = "display-classes";

/// Runs the comparison over every image under `inputs`.
pub fn run(inputs: &[PathBuf]) -> Vec<FileResult> {
    let work = tempfile::tempdir().expect("temp dir");
    let mut out = Vec::new();
    for input in inputs {
        for f in image_files(std::slice::from_ref(input)) {
            out.push(classify(&f, input, work.path()));
        }
    }
    out
}

fn classify(f: &FileInfo, input: &Path, work: &Path) -> FileResult {
    let c = compare(f, work);
    let status = match (&c.lucent_error, c.reference, c.matches()) {
        (None, Some(_), Some(true)) => Status::Matches,
        (None, Some(_), _) => Status::Differs,
        (None, None, _) => Status::LucentOnly,
        (Some(_), Some(_), _) => Status::Unsupported,
        (Some(_), None, _) => Status::NoDecoder,
    };
    let shown = f
        .path
        .strip_prefix(input.parent().unwrap_or(input))
        .unwrap_or(&f.path)
        .display()
        .to_string();
    let in_display_classes = f
        .path
        .parent()
        .and_then(|p| p.file_name())
        .is_some_and(|n| n == DISPLAY_CLASSES_FOLDER);
    let notes = if in_display_classes {
        lucent_pixels::PixelFile::open(&f.path)
            .and_then(|p| p.render(0, lucent_pixels::VoiChoice::FromHeader))
            .map(|r| r.notes.iter().map(|n| n.to_string()).collect())
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    FileResult {
        file: shown,
        transfer_syntax: f.transfer_syntax.clone(),
        photometric: f.photometric.clone(),
        bits_allocated: f.bits_allocated,
        bits_stored: f.bits_stored,
        status,
        reference: c.reference,
        mad: c.mad,
        error_code: c.lucent_error.as_ref().map(|e| e.code().as_str()),
        error: c.lucent_error.as_ref().map(|e| e.to_string()),
        notes,
    }
}

/// The display section: each class of `lucent_testdata::DISPLAY_CLASSES` with its file's result
/// under the report's comparison rule, the notes Lucent shows, and the golden test that checks
/// it against its own reference (the rule above compares under one explicit LINEAR window, which
/// is not what some classes are about).
fn display_classes(md: &mut String, results: &[FileResult]) {
    let row = |name: &str| {
        let file = format!("{DISPLAY_CLASSES_FOLDER}/{name}.dcm");
        results.iter().find(|r| r.file == file)
    };
    if lucent_testdata::DISPLAY_CLASSES
        .iter()
        .all(|c| row(c.name).is_none())
    {
        return;
    }
    md.push_str(
        "\n## Display classes: shown as the file asks\n\n\
         Generated files (`lucent-testdata display-classes`), one per class of image that must be \
         shown as the file asks, not only decoded. *Status* is this report's comparison (the file's \
         first window applied as LINEAR by both, else min–max); *checked by* names the golden test \
         (`crates/lucent-pixels/tests/`) that checks the class against its own reference; *notes* \
         are what the viewer's corner and `lucent render` say.\n\n\
         | class | holds | status | reference | MAD | notes | checked by |\n|---|---|---|---|---|---|---|\n",
    );
    for class in lucent_testdata::DISPLAY_CLASSES {
        let Some(r) = row(class.name) else { continue };
        let status = match (r.status, r.error_code) {
            (Status::Unsupported | Status::NoDecoder, Some(code)) => {
                format!("{} (`{code}`)", r.status.label())
            }
            (s, _) => s.label().to_string(),
        };
        let _ = writeln!(
            md,
            "| `{}` | {} | {status} | {} | {} | {} | `{}` |",
            class.name,
            class.holds,
            r.reference.unwrap_or("–"),
            r.mad
                .map(|d| format!("{d:.2}"))
                .unwrap_or_else(|| "–".into()),
            if r.notes.is_empty() {
                "–".to_string()
            } else {
                r.notes.join("; ").replace('|', "/")
            },
            class.checked_by.replace('|', "/"),
        );
    }
}

/// `docs/CONFORMANCE.md`: summary, the transfer syntax × photometric × bits table, and every
/// file that does not match.
pub fn markdown(results: &[FileResult], inputs: &[PathBuf], tools: &str) -> String {
    let mut md = String::from(
        "# Lucent decoder conformance\n\n\
         Generated by `scripts/conformance.sh` (`lucent-bench conformance`); do not edit by hand.\n\
         Each image's first frame is rendered by Lucent and by the reference decoder (dcmtk's\n\
         `dcmj2pnm`/`dcml2pnm`, else GDCM's `gdcmconv --raw` then dcmtk) under the same window\n\
         (the file's first window, else Lucent's min–max), both drawing the overlay planes (PS3.3\n\
         C.9; dcmtk's default), and compared. When both disagree with\n\
         Lucent on a greyscale image, pydicom's values under the same window decide. **matches** = mean\n\
         absolute difference ≤ 1 grey level (≤ 2 for lossy data); **differs**; **unsupported** =\n\
         Lucent refuses it (error code) while a peer renders it; **Lucent only** = no peer\n\
         renders it; **no decoder** = nobody does.\n\n",
    );
    let _ = writeln!(md, "Inputs: {}.  ", inputs_text(inputs));
    let _ = writeln!(md, "Tools: {tools}.\n");
    let count = |s: Status| results.iter().filter(|r| r.status == s).count();
    let peer_rendered = results.iter().filter(|r| r.reference.is_some()).count();
    let _ = writeln!(
        md,
        "**{} images: {} match the reference of the {} a peer renders; {} differ; {} unsupported; \
         {} Lucent only; {} no decoder.**\n",
        results.len(),
        count(Status::Matches),
        peer_rendered,
        count(Status::Differs),
        count(Status::Unsupported),
        count(Status::LucentOnly),
        count(Status::NoDecoder),
    );
    md.push_str(
        "Refused on purpose, whatever a peer does: Pixel Data cut short (`E_TRUNCATED`: a partly \
         missing image is not shown as if whole), contradictory pixel attributes such as Bits \
         Stored > Bits Allocated (`E_INVALID_PIXEL_ATTRIBUTES`), and a codestream whose own \
         header declares another image size than Rows × Columns (`E_DECODE_FAILED`: the \
         decompression-bomb guard).\n\n",
    );
    md.push_str("## By transfer syntax, photometric interpretation and bit depth\n\n");
    md.push_str(
        "| transfer syntax | photometric | bits alloc/stored | files | matches | differs | unsupported | Lucent only | no decoder |\n\
         |---|---|---|---|---|---|---|---|---|\n",
    );
    let mut groups: BTreeMap<(String, String, u16, u16), Vec<&FileResult>> = BTreeMap::new();
    for r in results {
        groups
            .entry((
                r.transfer_syntax.clone(),
                r.photometric.clone(),
                r.bits_allocated,
                r.bits_stored,
            ))
            .or_default()
            .push(r);
    }
    for ((ts, photometric, allocated, stored), rows) in &groups {
        let n = |s: Status| {
            let k = rows.iter().filter(|r| r.status == s).count();
            if k == 0 { String::new() } else { k.to_string() }
        };
        let mut codes: Vec<&str> = rows
            .iter()
            .filter(|r| r.status == Status::Unsupported)
            .filter_map(|r| r.error_code)
            .collect();
        codes.dedup();
        let unsupported = match (n(Status::Unsupported), codes.is_empty()) {
            (k, true) => k,
            (k, false) => format!("{k} ({})", codes.join(", ")),
        };
        let _ = writeln!(
            md,
            "| {} `{ts}` | {photometric} | {allocated}/{stored} | {} | {} | {} | {unsupported} | {} | {} |",
            transfer_syntax_name(ts),
            rows.len(),
            n(Status::Matches),
            n(Status::Differs),
            n(Status::LucentOnly),
            n(Status::NoDecoder),
        );
    }
    let arbitrated: Vec<&FileResult> = results
        .iter()
        .filter(|r| r.status == Status::Matches && r.reference == Some("pydicom"))
        .collect();
    if !arbitrated.is_empty() {
        md.push_str(
            "\n## Matches where dcmtk and GDCM both differ (pydicom agrees with Lucent)\n\n",
        );
        for r in arbitrated {
            let _ = writeln!(
                md,
                "- `{}` ({}, {} {}/{})",
                r.file,
                transfer_syntax_name(&r.transfer_syntax),
                r.photometric,
                r.bits_allocated,
                r.bits_stored
            );
        }
    }
    display_classes(&mut md, results);
    md.push_str("\n## Files that do not match\n\n");
    let others: Vec<&FileResult> = results
        .iter()
        .filter(|r| r.status != Status::Matches)
        .collect();
    if others.is_empty() {
        md.push_str("None.\n");
    } else {
        md.push_str(
            "| file | status | reference | MAD | Lucent's error |\n|---|---|---|---|---|\n",
        );
        for r in others {
            let _ = writeln!(
                md,
                "| `{}` | {} | {} | {} | {} |",
                r.file,
                r.status.label(),
                r.reference.unwrap_or("–"),
                r.mad
                    .map(|d| format!("{d:.2}"))
                    .unwrap_or_else(|| "–".into()),
                r.error
                    .as_deref()
                    .map(|e| format!("`{}` {}", r.error_code.unwrap_or(""), e.replace('|', "/")))
                    .unwrap_or_default(),
            );
        }
    }
    md
}

fn inputs_text(inputs: &[PathBuf]) -> String {
    inputs
        .iter()
        .map(|p| format!("`{}`", p.display()))
        .collect::<Vec<_>>()
        .join(", ")
}
