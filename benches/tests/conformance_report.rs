//! The committed `docs/CONFORMANCE.md` is not stale. Its header pins what it was generated from:
//! per input, the number of image files and the digest of their names and SHA-256s, and the
//! digest of the comparison rules' sources (`conformance::RULES_DIGEST_SOURCES`). This test
//! recomputes what it can without the shared reference set: the rules' digest, the generated
//! inputs (regenerated here with the current generator), the fetched pydicom files
//! (`test-data/fetch.sh`). Tests never read the shared reference set, so for it only the form
//! is provable here: the report names it with a well-formed digest (`scripts/conformance.sh`
//! writes the line from the set it ran on). Regenerate with `scripts/conformance.sh`.

use lucent_bench::harness::conformance::{DISPLAY_CLASSES_FOLDER, input_line, rules_line};
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn report() -> String {
    std::fs::read_to_string(repo().join("docs/CONFORMANCE.md")).expect("docs/CONFORMANCE.md")
}

const REGENERATE: &str = "docs/CONFORMANCE.md is stale: regenerate it with scripts/conformance.sh";

/// The report's line for the input named `name`.
fn line_for<'a>(report: &'a str, name: &str) -> Option<&'a str> {
    report
        .lines()
        .find(|l| l.starts_with(&format!("- `{name}`: ")))
}

#[test]
fn the_committed_report_was_generated_by_these_rules() {
    let report = report();
    assert!(
        report.contains(&rules_line()),
        "{REGENERATE} (the comparison rules changed)"
    );
}

#[test]
fn the_committed_report_covers_the_generated_and_fetched_inputs_as_they_are() {
    let report = report();
    let tmp = tempfile::tempdir().unwrap();
    let sample = tmp.path().join("conformance-sample");
    lucent_testdata::write_sample_study(&sample).unwrap();
    let display = tmp.path().join(DISPLAY_CLASSES_FOLDER);
    lucent_testdata::write_display_classes(&display).unwrap();
    let fetched = repo().join("test-data/cache/pydicom-3.0.1");
    assert!(
        fetched.exists(),
        "fetched test files missing: run test-data/fetch.sh"
    );
    for input in [&sample, &display, &fetched] {
        let expected = input_line(input);
        let name = input.file_name().unwrap().to_string_lossy();
        assert_eq!(
            line_for(&report, &name),
            Some(expected.as_str()),
            "{REGENERATE} (input {name} changed)"
        );
    }
}

#[test]
fn the_committed_report_names_the_reference_set_it_was_generated_from() {
    let report = report();
    let line = line_for(&report, "dicom-reference").expect("the report covers the reference set");
    let digest = line
        .rsplit_once("digest `")
        .and_then(|(_, d)| d.strip_suffix('`'))
        .expect("a digest");
    assert!(
        digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit()),
        "{line}"
    );
    let files: usize = line
        .split_once("`: ")
        .and_then(|(_, rest)| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("a file count");
    assert!(files > 0, "{line}");
}

/// The staleness check can fail: one more file in an input changes its line.
#[test]
fn a_report_from_another_input_set_is_caught() {
    let report = report();
    let tmp = tempfile::tempdir().unwrap();
    let display = tmp.path().join(DISPLAY_CLASSES_FOLDER);
    lucent_testdata::write_display_classes(&display).unwrap();
    std::fs::write(
        display.join("extra.dcm"),
        std::fs::read(display.join("mislabelled-rle.dcm")).unwrap(),
    )
    .unwrap();
    assert_ne!(
        line_for(&report, DISPLAY_CLASSES_FOLDER),
        Some(input_line(&display).as_str())
    );
}
