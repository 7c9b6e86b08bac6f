//! End-to-end tests of the `lucent` binary: exit codes, error lines, JSON schema stability.

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

/// A small deterministic corpus: a 3-slice CT (shuffled names, reversed numbers), a 3-frame
/// enhanced MR, and a text file.
fn corpus(dir: &Path) {
    let study = StudyIdentity::phantom(1, "PHANTOM^CT");
    let p = CtSeries {
        seed: 1,
        slices: 3,
        size: 16,
        numbering: Numbering::Reversed,
        ..CtSeries::default()
    };
    write_all(&dir.join("ct"), &ct_series_specs(&study, &p), Some(4)).unwrap();
    let mut mf = enhanced_mr_spec(&study, 1, 3);
    mf.pixels = Pixels::Mono8(vec![7; 3 * 128 * 128]);
    mf.write(&dir.join("mf").join("ENHANCED.dcm")).unwrap();
    std::fs::write(dir.join("notes.txt"), b"not dicom\n").unwrap();
}

#[test]
fn info_json_schema_is_stable() {
    let dir = tempfile::tempdir().unwrap();
    corpus(dir.path());
    let out = lucent(&["info", ".", "--json"], dir.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        stdout.lines().count(),
        1,
        "exactly one JSON object on one line"
    );
    let snapshot = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/info.json");
    if std::env::var_os("LUCENT_BLESS").is_some() {
        std::fs::write(&snapshot, &stdout).unwrap();
    }
    let expected = std::fs::read_to_string(&snapshot).unwrap_or_default();
    assert_eq!(
        stdout, expected,
        "schema changed: review, then LUCENT_BLESS=1 cargo test -p lucent-cli"
    );
}

#[test]
fn info_json_is_well_formed_and_ordered() {
    let dir = tempfile::tempdir().unwrap();
    corpus(dir.path());
    let out = lucent(&["info", "ct", "mf", "notes.txt", "--json"], dir.path());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let series = doc["studies"][0]["series"].as_array().unwrap();
    assert_eq!(series.len(), 2);
    let z: Vec<f64> = series[0]["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["position"][2].as_f64().unwrap())
        .collect();
    assert!(z.windows(2).all(|w| w[0] < w[1]), "{z:?}");
    assert_eq!(series[1]["instances"][0]["frames"], 3);
    assert_eq!(doc["skipped"][0]["code"], "E_NOT_DICOM");
    assert_eq!(doc["skipped"][0]["path"], "notes.txt");
}

#[test]
fn human_tree_names_patient_series_and_skips() {
    let dir = tempfile::tempdir().unwrap();
    corpus(dir.path());
    let out = lucent(&["info", "."], dir.path());
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("1 study, 4 images, 1 skipped"), "{text}");
    assert!(text.contains("Patient PHANTOM^CT"), "{text}");
    assert!(
        text.contains("stack 0: 3 images, 3 frames, 16×16"),
        "{text}"
    );
    assert!(text.contains("1 image, 3 frames, 128×128"), "{text}");
    assert!(text.contains("notes.txt: E_NOT_DICOM"), "{text}");
}

#[test]
fn missing_path_is_exit_1_with_one_error_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = lucent(&["info", "nope", "--json"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error: E_PATH_NOT_FOUND: nope"),
        "{stderr}"
    );
}

#[test]
fn usage_errors_are_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(lucent(&["info"], dir.path()).status.code(), Some(2));
    assert_eq!(
        lucent(&["info", ".", "--bogus"], dir.path()).status.code(),
        Some(2)
    );
    assert_eq!(lucent(&[], dir.path()).status.code(), Some(2));
}

#[test]
fn junk_only_scan_is_exit_0_with_everything_skipped() {
    let dir = tempfile::tempdir().unwrap();
    corpus(dir.path());
    let junk_dir = dir.path().join("junk");
    write_junk(&junk_dir, &dir.path().join("ct").join("IM00001.dcm"), 5).unwrap();
    let out = lucent(&["info", "junk", "--json"], dir.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["studies"].as_array().unwrap().len(), 0);
    let skipped = doc["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 8);
    assert!(
        skipped
            .iter()
            .all(|s| s["code"].as_str().unwrap().starts_with("E_"))
    );
}
