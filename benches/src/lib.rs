//! Lucent's QA harness (`lucent-bench`) and shared fixtures for the micro-benchmarks.
//!
//! - [`harness::decode`]: Lucent against dcmtk, GDCM and pydicom, with pixel checks.
//! - [`harness::viewer`]: the viewer's access pattern (first image, scrolling, cache, memory),
//!   and the scale runs over generated series.
//! - [`harness::conformance`]: the decoder conformance report (`docs/CONFORMANCE.md`).
//! - [`harness::hostile`]: the malformed corpus through `lucent info` and `lucent render` under
//!   memory and time limits.
//! - [`harness::report`]: Markdown and SVG outputs.
//!
//! Generated corpora are cached under `target/bench-data` (a marker file records completion),
//! so a benchmark measures Lucent, not the generator.

use lucent_testdata::{CtSeries, StudyIdentity, ct_series_specs, write_all};
use std::path::{Path, PathBuf};

/// The harness modules.
pub mod harness {
    pub mod conformance;
    pub mod decode;
    pub mod exceptions;
    pub mod files;
    pub mod hostile;
    pub mod peers;
    pub mod pixel_check;
    pub mod report;
    pub mod stats;
    pub mod viewer;
}

/// The cache folder for generated benchmark corpora (`target/bench-data`).
pub fn bench_data_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("..")
                .join("target")
        });
    target.join("bench-data")
}

/// A folder of `files` single-frame 512×512 CT files (20 series of `files / 20` slices), made
/// once. Pixels are shared between slices: the index benchmark reads headers only.
pub fn ct_corpus(files: usize) -> std::io::Result<PathBuf> {
    let dir = bench_data_dir().join(format!("ct-{files}"));
    let marker = dir.join(".complete");
    if marker.exists() {
        return Ok(dir);
    }
    let series = 20.min(files.max(1));
    let per_series = files / series;
    for k in 0..series {
        let seed = 1000 + k as u64;
        let study = StudyIdentity::phantom(seed / 4, "PHANTOM^BENCH");
        let slices = if k + 1 == series {
            files - per_series * (series - 1)
        } else {
            per_series
        };
        let p = CtSeries {
            seed,
            slices,
            series_number: k as i32 + 1,
            distinct_pixels: false,
            ..CtSeries::default()
        };
        write_all(
            &dir.join(format!("series-{k:02}")),
            &ct_series_specs(&study, &p),
            Some(seed),
        )?;
    }
    std::fs::write(&marker, b"")?;
    Ok(dir)
}
