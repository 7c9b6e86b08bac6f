//! The hostile corpus generator: every family is there, the count is reached, and the same seed
//! writes the same bytes (a finding must be reproducible from its file name).

use std::collections::BTreeMap;

fn corpus(dir: &std::path::Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

#[test]
fn every_family_is_written_deterministically_up_to_the_count() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let families =
        lucent_testdata::malformed::write_malformed_corpus(a.path(), &[], 900, 3).unwrap();
    lucent_testdata::malformed::write_malformed_corpus(b.path(), &[], 900, 3).unwrap();
    let names: Vec<&str> = families.iter().map(|(f, _)| f.as_str()).collect();
    for family in [
        "truncate", "length", "dims", "offsets", "text", "rle", "bomb", "nest", "dicomdir", "flip",
    ] {
        assert!(names.contains(&family), "{family} missing from {names:?}");
    }
    let (first, second) = (corpus(a.path()), corpus(b.path()));
    assert!(first.len() >= 900, "{}", first.len());
    assert!(first == second, "the same seed must write the same corpus");
    // The specimens the regression tests and the E2E run name are there.
    for name in [
        "bomb-jpegls-huge.dcm",
        "nest-undefined-2000.dcm",
        "dicomdir-dotdot.dcm",
    ] {
        assert!(first.contains_key(name), "{name}");
    }
}
