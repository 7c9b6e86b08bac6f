//! `lucent-bench conformance`: the decoder conformance report (`docs/CONFORMANCE.md`), in the
//! spirit of a DICOM conformance statement (PS3.2): for every image under the inputs, Lucent's
//! first frame against its one reference decoder's ([`pixel_check::compare`]: dcmtk, GDCM where
//! dcmtk has no decoder, or the reference a committed exception names), grouped by transfer
//! syntax × photometric interpretation × bits allocated/stored.
//!
//! A file **matches** when every comparison made passes (lossless transfer syntaxes: the stored
//! values exactly; the render under the one metric of `lucent_pixels::compare`); **differs**
//! otherwise (or another size); **unsupported**: Lucent refuses it with an error code while the
//! reference decodes it; **finding**: only Lucent renders it and the file is from a malformed
//! corpus or the reference, though it has a decoder for the transfer syntax, refuses it — a
//! file to look at, not a success; **Lucent only**: no reference has a decoder for it (float
//! pixel data in a render, HTJ2K, Deflated Image Frame Compression); **no decoder**: neither
//! Lucent nor the reference decodes it.
//!
//! The report is pinned to its inputs and its generator: its header records, per input, the
//! number of image files and a digest of their names and SHA-256s ([`input_digest`]), the tool
//! versions, and a digest of the sources of the comparison rules ([`RULES_DIGEST_SOURCES`]).
//! `benches/tests/conformance_report.rs` fails when the committed report no longer matches.

use super::files::{FileInfo, image_files};
use super::pixel_check::{Comparison, Exact, compare};
use super::{exceptions, peers};
use lucent_error::HasErrorCode;
use lucent_pixels::frames::transfer_syntax_name;
use lucent_testdata::reference::decompressor;
use serde::Serialize;
use sha2::{Digest, Sha256};
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
    /// Refused by Lucent (with a code) though the reference decodes it.
    Unsupported,
    /// Rendered only by Lucent, and malformed (a malformed corpus, or the reference refuses it
    /// though it has a decoder for the transfer syntax): to be looked at, not a success.
    Finding,
    /// Rendered by Lucent; no reference has a decoder for it.
    LucentOnly,
    /// Decoded neither by Lucent nor by the reference.
    NoDecoder,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::Matches => "matches",
            Status::Differs => "differs",
            Status::Unsupported => "unsupported",
            Status::Finding => "finding",
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
    /// SHA-256 of the file.
    pub sha256: String,
    /// The reference decoder asked (decoded or not).
    pub reference: &'static str,
    /// The exception of `benches/reference-exceptions.toml` that chose it, by name.
    pub exception: Option<String>,
    /// Whether the reference decoded the file (so that a comparison was made).
    pub reference_decoded: bool,
    /// Mean absolute difference of the render.
    pub mad: Option<f64>,
    /// Fraction of samples more than 1 level off in the render.
    pub fraction_off: Option<f64>,
    /// The worst 32×32 tile's mean absolute difference.
    pub worst_tile_mad: Option<f64>,
    /// The exact stored-value comparison: `true` all equal, `false` differs, `null` not made.
    pub stored_values_equal: Option<bool>,
    /// Every number and the reason of anything not compared.
    pub detail: String,
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

/// Whether a file is from a malformed corpus (a `malformed` folder on its path).
fn in_malformed_corpus(path: &Path) -> bool {
    path.components().any(|c| c.as_os_str() == "malformed")
}

fn status_of(f: &FileInfo, c: &Comparison) -> Status {
    match (&c.lucent_error, c.reference_decoded(), c.matches()) {
        (None, true, Some(true)) => Status::Matches,
        (None, true, _) => Status::Differs,
        (None, false, _) => {
            let has_decoder = exceptions::for_file(&f.path).is_some()
                || decompressor(
                    super::pixel_check::designated_reference(&f.transfer_syntax),
                    &f.transfer_syntax,
                )
                .is_some();
            if in_malformed_corpus(&f.path) || has_decoder {
                Status::Finding
            } else {
                Status::LucentOnly
            }
        }
        (Some(_), _, _) if c.reference_available() => Status::Unsupported,
        (Some(_), _, _) => Status::NoDecoder,
    }
}

fn classify(f: &FileInfo, input: &Path, work: &Path) -> FileResult {
    let c = compare(f, work);
    let status = status_of(f, &c);
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
    let difference = c.render.and_then(|v| v.difference());
    let detail = c
        .detail()
        .replace(&f.path.display().to_string(), &shown)
        .replace(&work.display().to_string(), "…");
    FileResult {
        file: shown,
        transfer_syntax: f.transfer_syntax.clone(),
        photometric: f.photometric.clone(),
        bits_allocated: f.bits_allocated,
        bits_stored: f.bits_stored,
        status,
        sha256: exceptions::sha256_of(&f.path).unwrap_or_default(),
        reference: c.reference,
        exception: c.exception.map(|e| e.name.clone()),
        reference_decoded: c.reference_decoded(),
        mad: difference.map(|d| d.mean),
        fraction_off: difference.map(|d| d.fraction_off),
        worst_tile_mad: difference.map(|d| d.worst_tile.mean),
        stored_values_equal: match c.exact {
            Exact::Equal => Some(true),
            Exact::Differs(_) => Some(false),
            _ => None,
        },
        // Without this machine's paths: the report is reproducible.
        detail,
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
         first window applied as LINEAR by both, else min–max of the reference's values; stored values \
         compared exactly for lossless syntaxes); *checked by* names the golden test \
         (`crates/lucent-pixels/tests/`) that checks the class against its own reference; *notes* \
         are what the viewer's corner and `lucent render` say.\n\n\
         | class | holds | status | reference | render (MAD / % > 1 / worst tile) | stored values | notes | checked by |\n|---|---|---|---|---|---|---|---|\n",
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
            "| `{}` | {} | {status} | {} | {} | {} | {} | `{}` |",
            class.name,
            class.holds,
            r.reference,
            render_numbers(r),
            stored_text(r),
            if r.notes.is_empty() {
                "–".to_string()
            } else {
                r.notes.join("; ").replace('|', "/")
            },
            class.checked_by.replace('|', "/"),
        );
    }
}

fn render_numbers(r: &FileResult) -> String {
    match (r.mad, r.fraction_off, r.worst_tile_mad) {
        (Some(m), Some(f), Some(t)) => format!("{m:.2} / {:.2} % / {t:.2}", f * 100.0),
        _ => "–".into(),
    }
}

fn stored_text(r: &FileResult) -> &'static str {
    match r.stored_values_equal {
        Some(true) => "equal",
        Some(false) => "DIFFER",
        None => "–",
    }
}

/// The sources whose text decides how files are compared and reported: the metric, the
/// stored-value comparison, the reference choice and its decompressors, the exceptions list,
/// the pixel check and this report. [`rules_digest`] is their SHA-256; the report records it, so
/// a report generated before any of them changed is detectably stale.
pub const RULES_DIGEST_SOURCES: &[(&str, &str)] = &[
    (
        "crates/lucent-pixels/src/compare.rs",
        include_str!("../../../crates/lucent-pixels/src/compare.rs"),
    ),
    (
        "crates/lucent-pixels/src/stored.rs",
        include_str!("../../../crates/lucent-pixels/src/stored.rs"),
    ),
    (
        "test-data/generator/src/reference.rs",
        include_str!("../../../test-data/generator/src/reference.rs"),
    ),
    (
        "benches/reference-exceptions.toml",
        exceptions::EXCEPTIONS_TOML,
    ),
    (
        "benches/src/harness/pixel_check.rs",
        include_str!("pixel_check.rs"),
    ),
    (
        "benches/src/harness/conformance.rs",
        include_str!("conformance.rs"),
    ),
];

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// SHA-256 over the comparison rules' sources ([`RULES_DIGEST_SOURCES`]: each path, a NUL, its
/// text, a NUL).
pub fn rules_digest() -> String {
    let mut all = Vec::new();
    for (path, text) in RULES_DIGEST_SOURCES {
        all.extend_from_slice(path.as_bytes());
        all.push(0);
        all.extend_from_slice(text.as_bytes());
        all.push(0);
    }
    sha256_hex(&all)
}

/// The image files of one input and the digest of their names and contents: SHA-256 over the
/// lines `relative/path<TAB>sha256<LF>`, sorted by path (the files the report covers, as
/// [`image_files`] finds them).
pub fn input_digest(input: &Path) -> (usize, String) {
    let mut lines: Vec<String> = image_files(&[input.to_path_buf()])
        .iter()
        .map(|f| {
            let name = f.path.strip_prefix(input).unwrap_or(&f.path);
            let hash = exceptions::sha256_of(&f.path).unwrap_or_default();
            format!("{}\t{hash}\n", name.display())
        })
        .collect();
    lines.sort();
    (lines.len(), sha256_hex(lines.concat().as_bytes()))
}

/// The line the report gives each input: `` - `NAME`: N image files, digest `HEX` `` (NAME the
/// input's folder name).
pub fn input_line(input: &Path) -> String {
    let (files, digest) = input_digest(input);
    let name = input
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| input.display().to_string());
    format!("- `{name}`: {files} image files, digest `{digest}`")
}

/// The line that records the comparison rules' digest.
pub fn rules_line() -> String {
    format!("Comparison rules digest: `{}`.", rules_digest())
}

/// The reference tools and their versions.
pub fn tools_text() -> String {
    let version = |p: &str| peers::tool_version(p).unwrap_or_else(|| "not installed".into());
    format!(
        "dcmtk {} (dcmj2pnm, dcml2pnm, dcm2pnm, dcmconv, dcmdjpeg, dcmdrle, dcmdjpls), GDCM {} (gdcmconv)",
        version("dcmj2pnm"),
        version("gdcmconv")
    )
}

/// `docs/CONFORMANCE.md`: provenance, summary, the transfer syntax × photometric × bits table,
/// the exceptions applied, the display classes, and every file that does not match.
pub fn markdown(results: &[FileResult], inputs: &[PathBuf], tools: &str) -> String {
    let mut md = String::from(
        "# Lucent decoder conformance\n\n\
         Generated by `scripts/conformance.sh` (`lucent-bench conformance`); do not edit by hand.\n\
         Each image's first frame is decoded and rendered by Lucent and compared with **one\n\
         reference decoder, fixed by transfer syntax before any result is seen**: dcmtk where it\n\
         has a decoder, GDCM (`gdcmconv --raw`, then dcmtk's `dcm2pnm`) where it has none, or the\n\
         reference a committed exception names (`benches/reference-exceptions.toml`, listed below\n\
         with the reason and the evidence). Two comparisons, each required when it can be made:\n\n\
         - **lossless transfer syntaxes: stored values, exactly** — Lucent's decoded samples\n\
         against the reference's decompressed file (`dcmconv +te`, `dcmdjpeg +cn`, `dcmdrle`,\n\
         `dcmdjpls`, `gdcmconv --raw`), sample by sample;\n\
         - **the render** under one explicit window (the file's first window, else min–max of the\n\
         reference's decompressed values), both drawing the overlay planes (PS3.3 C.9; dcmtk's\n\
         default): mean absolute difference ≤ 1 grey level, at most 0.1 % of samples more than 1\n\
         level off and no 32×32 tile with a mean above 2 (lossy data: 2, 1 %, 4).\n\n\
         **matches** = every comparison made passes; **differs**; **unsupported** = Lucent refuses\n\
         it (error code) while the reference decodes it; **finding** = only Lucent renders it and\n\
         the file is malformed (from a malformed corpus, or the reference refuses it although it\n\
         has a decoder for its transfer syntax): a file to look at, not a success; **Lucent only**\n\
         = no reference has a decoder for it; **no decoder** = neither Lucent nor the reference\n\
         decodes it.\n\n",
    );
    md.push_str(
        "Inputs, pinned by hash (per input: its image files, and SHA-256 over the sorted lines \
         `relative/path<TAB>sha256` of those files; `benches/tests/conformance_report.rs` checks \
         that this report is not stale):\n\n",
    );
    for input in inputs {
        let _ = writeln!(md, "{}", input_line(input));
    }
    let _ = writeln!(md, "\n{}  ", rules_line());
    let _ = writeln!(md, "Tools: {tools}.\n");
    let count = |s: Status| results.iter().filter(|r| r.status == s).count();
    let compared = results.iter().filter(|r| r.reference_decoded).count();
    let _ = writeln!(
        md,
        "**{} images: {} match the reference of the {} the reference decodes; {} differ; {} unsupported; \
         {} findings; {} Lucent only; {} no decoder.**\n",
        results.len(),
        count(Status::Matches),
        compared,
        count(Status::Differs),
        count(Status::Unsupported),
        count(Status::Finding),
        count(Status::LucentOnly),
        count(Status::NoDecoder),
    );
    let exact = results
        .iter()
        .filter(|r| r.stored_values_equal.is_some())
        .count();
    let equal = results
        .iter()
        .filter(|r| r.stored_values_equal == Some(true))
        .count();
    let _ = writeln!(
        md,
        "Stored values compared exactly on {exact} files (lossless transfer syntaxes the reference \
         decompresses): {equal} equal.\n"
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
        "| transfer syntax | photometric | bits alloc/stored | files | matches | differs | unsupported | finding | Lucent only | no decoder |\n\
         |---|---|---|---|---|---|---|---|---|---|\n",
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
            "| {} `{ts}` | {photometric} | {allocated}/{stored} | {} | {} | {} | {unsupported} | {} | {} | {} |",
            transfer_syntax_name(ts),
            rows.len(),
            n(Status::Matches),
            n(Status::Differs),
            n(Status::Finding),
            n(Status::LucentOnly),
            n(Status::NoDecoder),
        );
    }
    md.push_str("\n## Exceptions: where the designated reference is wrong\n\n");
    let listed = exceptions::all();
    if listed.is_empty() {
        md.push_str("None.\n");
    } else {
        md.push_str(
            "From `benches/reference-exceptions.toml`; a file is matched by its SHA-256.\n\n\
             | file | designated | used instead | reason | evidence | in this run |\n|---|---|---|---|---|---|\n",
        );
        for e in listed {
            let hits: Vec<&str> = results
                .iter()
                .filter(|r| r.sha256 == e.sha256)
                .map(|r| r.file.as_str())
                .collect();
            let _ = writeln!(
                md,
                "| `{}` (`{}…`) | {} | {} | {} | {} | {} |",
                e.name,
                &e.sha256[..12],
                e.designated.name(),
                e.reference.name(),
                e.reason.replace('|', "/"),
                e.evidence.replace('|', "/"),
                if hits.is_empty() {
                    "not in the inputs".to_string()
                } else {
                    hits.iter()
                        .map(|h| format!("`{h}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                },
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
            "| file | status | reference | render (MAD / % > 1 / worst tile) | stored values | details | Lucent's error |\n|---|---|---|---|---|---|---|\n",
        );
        for r in others {
            let _ = writeln!(
                md,
                "| `{}` | {} | {} | {} | {} | {} | {} |",
                r.file,
                r.status.label(),
                r.reference,
                render_numbers(r),
                stored_text(r),
                r.detail.replace('|', "/"),
                r.error
                    .as_deref()
                    .map(|e| format!("`{}` {}", r.error_code.unwrap_or(""), e.replace('|', "/")))
                    .unwrap_or_default(),
            );
        }
    }
    md
}
