//! Regression tests named after what the hostile corpus (`lucent-testdata malformed`, run by
//! `lucent-bench hostile`) found.

use std::time::{Duration, Instant};

/// `dicomdir-many.dcm`: a DICOMDIR naming 10,000 files that are not there, in a folder of 7,700
/// files, kept `lucent info` busy for 33 s (past the corpus's 15 s limit): every missing name
/// listed the whole folder for the case-insensitive fallback. Each folder is now listed once.
/// (The bound is generous: the fixed code takes ~50 ms here, the old one ~10 s on this folder.)
#[test]
fn regression_hostile_dicomdir_many_missing_references_does_not_hang() {
    let media = tempfile::tempdir().unwrap();
    for i in 0..3_000 {
        std::fs::write(media.path().join(format!("other{i:05}")), b"x").unwrap();
    }
    let refs: Vec<Vec<String>> = (0..10_000).map(|i| vec![format!("IM{i:05}")]).collect();
    let dicomdir = lucent_testdata::write_dicomdir(media.path(), &refs, 1).unwrap();
    let started = Instant::now();
    let header = lucent_index::header::read_header(&dicomdir).unwrap();
    let found = lucent_index::dicomdir::references(&header, &dicomdir);
    assert!(found.files.is_empty());
    assert_eq!(found.refused.len(), 10_000);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}
