//! No method of the facade reveals pixels, values or patient text without an audit record.
//!
//! Every public method of [`Session`] is classified below; a method added without a class
//! fails [`every_public_session_method_is_classified`]. Then each class is checked by what it
//! does: a method that reads pixels or values must record a viewing first and, when that record
//! cannot be written, return nothing but `E_AUDIT_UNAVAILABLE`; a method that shows listed text
//! must show nothing of an open whose listing could not be recorded.

use lucent_core::{ErrorCode, HasErrorCode, Session, VoiChoice};
use lucent_testdata::*;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Read pixels or stored values: each records the study's viewing before it returns anything.
const RECORD_A_VIEWING_FIRST: &[&str] = &[
    "stack_frame",
    "stack_frame_pyramid",
    "frame_values",
    "default_window",
    "render_frame",
    "render_file",
    "decode_file",
];

/// Show what the open's listing record covers (patient and study text, thumbnails, the
/// structure of the stacks, paths for local tools): nothing of an unrecorded open.
const COVERED_BY_THE_LISTING: &[&str] = &[
    "studies",
    "thumbnail",
    "stack_geometry",
    "slice_locations",
    "frames",
    "frame_count",
    "index",
    "skipped",
    "skipped_counts",
    "instance",
    "stack_paths",
];

/// Reveal nothing about patients: construction, the audit trail itself, the cache's size and
/// statistics, prefetch (it only warms the cache; what it decodes is returned through the
/// gate), the benchmark's cold start, and `open` (which records the listing).
const NO_PATIENT_DATA: &[&str] = &[
    "new",
    "with_data_dir",
    "with_application",
    "set_cache_bytes",
    "cache_stats",
    "reset_cache_stats",
    "clear_cache",
    "audit_log",
    "audit_application",
    "audit_rejected_request",
    "prefetch",
    "make_cold",
    "open",
];

/// The `pub fn` names in the files that hold `impl Session` blocks.
fn public_session_methods() -> BTreeSet<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![src.join("page_cache.rs")];
    for entry in std::fs::read_dir(src.join("session")).unwrap() {
        files.push(entry.unwrap().path());
    }
    let mut names = BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let Some(start) = text.find("impl Session {") else {
            continue;
        };
        for line in text[start..].lines() {
            if line.starts_with("#[cfg(test)]") {
                break;
            }
            if let Some(rest) = line.trim_start().strip_prefix("pub fn ") {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                names.insert(name);
            }
        }
    }
    names
}

#[test]
fn every_public_session_method_is_classified() {
    let classified: BTreeSet<String> = RECORD_A_VIEWING_FIRST
        .iter()
        .chain(COVERED_BY_THE_LISTING)
        .chain(NO_PATIENT_DATA)
        .map(|s| s.to_string())
        .collect();
    let found = public_session_methods();
    assert!(
        found.len() > 20,
        "the scan found too few methods: {found:?}"
    );
    let unclassified: Vec<_> = found.difference(&classified).collect();
    assert!(
        unclassified.is_empty(),
        "classify these public Session methods in tests/gate.rs (and prove their class): {unclassified:?}"
    );
    let gone: Vec<_> = classified.difference(&found).collect();
    assert!(gone.is_empty(), "classified but no longer public: {gone:?}");
}

fn ct(dir: &Path, seed: u64, name: &str) -> Vec<PathBuf> {
    let study = StudyIdentity::phantom(seed, name);
    let p = CtSeries {
        seed,
        slices: 3,
        size: 32,
        ..CtSeries::default()
    };
    write_all(dir, &ct_series_specs(&study, &p), None).unwrap()
}

/// Replaces the session's audit folder by a plain file: every later append fails.
fn break_audit(data: &Path) {
    let audit = data.join("audit");
    std::fs::rename(&audit, data.join("audit-moved")).unwrap();
    std::fs::write(&audit, b"not a folder").unwrap();
}

fn forget_key(data: &Path) {
    let _ = lucent_audit::AuditKeychain::open(data).and_then(|k| k.forget());
}

#[test]
fn every_method_that_reads_pixels_fails_closed_when_its_viewing_cannot_be_recorded() {
    for method in RECORD_A_VIEWING_FIRST {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let paths = ct(&dir.path().join("ct"), 41, "PHANTOM^GATE");
        let session = Session::new().with_data_dir(data.clone());
        session.open(&[dir.path().join("ct")]).unwrap();
        let series = session.studies()[0].series[0].id;
        let frame = session.frames(series).unwrap()[0];
        break_audit(&data);
        let voi = VoiChoice::FromHeader;
        let code = match *method {
            "stack_frame" => session.stack_frame(series, 0, voi).map(|_| ()),
            "stack_frame_pyramid" => session.stack_frame_pyramid(series, 0, voi, 16).map(|_| ()),
            "frame_values" => session.frame_values(series, 0).map(|_| ()),
            "default_window" => session.default_window(series, 0).map(|_| ()),
            "render_frame" => session.render_frame(frame, voi).map(|_| ()),
            "render_file" => session.render_file(&paths[0], 0, voi).map(|_| ()),
            "decode_file" => session.decode_file(&paths[0], 0).map(|_| ()),
            other => panic!("no check written for {other}"),
        }
        .expect_err(method)
        .code();
        assert_eq!(code, ErrorCode::AuditUnavailable, "{method}");
        forget_key(&data);
    }
}

#[test]
fn an_open_whose_listing_was_not_recorded_shows_nothing_through_any_listing_method() {
    let dir = tempfile::tempdir().unwrap();
    ct(&dir.path().join("ct"), 42, "PHANTOM^UNLISTED");
    std::fs::write(dir.path().join("plain-file"), b"x").unwrap();
    let session = Session::new().with_data_dir(dir.path().join("plain-file").join("data"));
    assert_eq!(
        session.open(&[dir.path().join("ct")]).unwrap_err().code(),
        ErrorCode::AuditUnavailable
    );
    assert!(session.studies().is_empty());
    assert!(session.index().studies.is_empty());
    assert!(session.skipped().is_empty() && session.skipped_counts().is_empty());
    // No id was handed out, so no stack can be named: a forged id is unknown everywhere.
    let forged = lucent_core::SeriesId::parse("se-0123456789abcdef").unwrap();
    for (method, result) in [
        ("thumbnail", session.thumbnail(forged, 16).map(|_| ())),
        ("stack_geometry", session.stack_geometry(forged).map(|_| ())),
        (
            "slice_locations",
            session.slice_locations(forged).map(|_| ()),
        ),
        ("frames", session.frames(forged).map(|_| ())),
        ("frame_count", session.frame_count(forged).map(|_| ())),
        ("stack_paths", session.stack_paths(forged).map(|_| ())),
    ] {
        assert_eq!(result.unwrap_err().code(), ErrorCode::UnknownId, "{method}");
    }
    let forged_instance = lucent_core::InstanceId::parse("in-0123456789abcdef").unwrap();
    assert_eq!(
        session.instance(forged_instance).unwrap_err().code(),
        ErrorCode::UnknownId
    );
}
