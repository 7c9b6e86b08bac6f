//! Shared code of the fuzz targets: a scratch file per process (the pixel pipeline reads files,
//! as the viewer does) and the decode harness.

use std::io::Write;
use std::path::PathBuf;
use std::sync::OnceLock;

/// A scratch folder that lives as long as the fuzzing process.
pub fn scratch() -> &'static std::path::Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("scratch folder"))
        .path()
}

/// Writes `bytes` to the scratch file `name` and returns its path.
pub fn write_scratch(name: &str, bytes: &[u8]) -> PathBuf {
    let path = scratch().join(name);
    let mut f = std::fs::File::create(&path).expect("scratch file");
    f.write_all(bytes).expect("write scratch file");
    path
}

/// Wraps the input as one frame of `transfer_syntax` (see
/// `lucent_testdata::malformed::fuzz_decode_file`), then opens, decodes and renders it. Any
/// error is fine; a panic, crash, hang or leak is a finding.
pub fn decode(transfer_syntax: &str, input: &[u8]) {
    let Some(file) = lucent_testdata::malformed::fuzz_decode_file(transfer_syntax, input) else {
        return;
    };
    let path = write_scratch("frame.dcm", &file);
    if let Ok(pixels) = lucent_pixels::PixelFile::open(&path) {
        let _ = pixels.render(0, lucent_pixels::VoiChoice::FromHeader);
    }
}
