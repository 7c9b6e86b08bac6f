//! Indexing: a folder holding the input as one file, scanned as `lucent info` scans (header,
//! instance, geometry, grouping).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = lucent_fuzz::scratch().join("index");
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join("file.dcm");
    if std::fs::write(&path, data).is_ok() {
        let _ = lucent_index::scan(std::slice::from_ref(&dir));
    }
});
