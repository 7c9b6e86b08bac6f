//! Cold starts for the benchmarks: a stack's files evicted from the OS page cache, checked, and
//! the session's decoded frames dropped ([`Session::make_cold`]).
//!
//! Eviction is `fsync` then `posix_fadvise(POSIX_FADV_DONTNEED)` on each file (Linux: the
//! kernel drops the file's clean, unmapped pages). It is advice, so it is verified: the pages
//! still resident afterwards are counted with util-linux's `fincore` (the workspace forbids the
//! `unsafe` that `mmap` + `mincore` would need). A figure called "cold" with many pages still
//! resident is not cold; the count goes into the benchmark's JSON beside it.

use crate::{CoreError, SeriesId, Session};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What evicting a set of files from the page cache achieved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Eviction {
    /// Files asked about.
    pub files: usize,
    /// Files that could not be opened or advised (their pages may stay resident).
    pub files_failed: usize,
    /// Their total size in bytes.
    pub bytes: u64,
    /// Pages of those files resident after the advice (`fincore`); `None` when `fincore` is
    /// missing or failed, so eviction is unverified.
    pub resident_pages_after: Option<u64>,
    /// How residency was checked.
    pub checked_with: &'static str,
}

/// Files per `fincore` call (keeps the argument list well under the system's limit).
const FINCORE_BATCH: usize = 256;

/// Pages of `paths` resident in the page cache, summed (`fincore --raw --noheadings --output
/// PAGES`, one line per file); `None` if `fincore` cannot be run or skips a file.
pub fn resident_pages(paths: &[PathBuf]) -> Option<u64> {
    let mut total = 0u64;
    for batch in paths.chunks(FINCORE_BATCH) {
        let out = Command::new("fincore")
            .args(["--raw", "--noheadings", "--output", "PAGES"])
            .args(batch)
            .output()
            .ok()?;
        if !out.status.success() {
            return None;
        }
        let text = String::from_utf8(out.stdout).ok()?;
        let pages: Vec<u64> = text
            .lines()
            .map(|l| l.trim().parse().ok())
            .collect::<Option<_>>()?;
        if pages.len() != batch.len() {
            return None;
        }
        total += pages.iter().sum::<u64>();
    }
    Some(total)
}

/// Drops one file's pages: `fsync` first (dirty pages are not dropped), then `DONTNEED`.
#[cfg(target_os = "linux")]
fn advise_dont_need(path: &Path) -> std::io::Result<u64> {
    let f = std::fs::File::open(path)?;
    let len = f.metadata()?.len();
    f.sync_all()?;
    rustix::fs::fadvise(&f, 0, None, rustix::fs::Advice::DontNeed)?;
    Ok(len)
}

#[cfg(not(target_os = "linux"))]
fn advise_dont_need(path: &Path) -> std::io::Result<u64> {
    let _ = path;
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

/// Evicts `paths` from the page cache and counts the pages that stayed resident.
pub fn evict(paths: &[PathBuf]) -> Eviction {
    let mut bytes = 0;
    let mut files_failed = 0;
    for p in paths {
        match advise_dont_need(p) {
            Ok(len) => bytes += len,
            Err(_) => files_failed += 1,
        }
    }
    Eviction {
        files: paths.len(),
        files_failed,
        bytes,
        resident_pages_after: resident_pages(paths),
        checked_with: "posix_fadvise(DONTNEED) per file after fsync; residency by fincore (util-linux)",
    }
}

/// What [`Session::make_cold`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ColdStart {
    /// Bytes of decoded frames in the session's cache afterwards (0: emptied).
    pub frame_cache_bytes_after: u64,
    /// The stack's files and the page cache.
    pub page_cache: Eviction,
}

impl Session {
    /// The distinct files of a stack, in display order (one instance is one file).
    pub fn stack_paths(&self, series: SeriesId) -> Result<Vec<PathBuf>, CoreError> {
        let catalogue = self.catalogue();
        let (_, stack) = catalogue.find_series(series)?;
        Ok(stack.instances.iter().map(|i| i.path.clone()).collect())
    }

    /// Makes the next reads of a stack cold, for a benchmark: queued prefetches are cancelled
    /// and the ones running have finished (so none lands afterwards), the frame cache is
    /// emptied (frames, open files and the hit counters), and the stack's files are evicted
    /// from the page cache, with the pages left resident counted.
    pub fn make_cold(&self, series: SeriesId) -> Result<ColdStart, CoreError> {
        let paths = self.stack_paths(series)?;
        self.cancel_prefetches();
        self.clear_cache();
        // Read before the eviction (which runs fincore): the session takes other commands
        // meanwhile, and a frame the UI asks for after the clear is a read of the cold pass.
        let frame_cache_bytes_after = self.cache_stats().bytes;
        let page_cache = evict(&paths);
        Ok(ColdStart {
            frame_cache_bytes_after,
            page_cache,
        })
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn eviction_leaves_few_pages_resident_and_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.bin");
        std::fs::write(&path, vec![7u8; 8 << 20]).unwrap();
        let paths = vec![path.clone()];
        let _ = std::fs::read(&path).unwrap();
        let Some(before) = resident_pages(&paths) else {
            eprintln!("fincore is missing: residency is unverified (the JSON says null)");
            assert_eq!(evict(&paths).resident_pages_after, None);
            return;
        };
        // tmpfs keeps files in memory: nothing to evict there, and fincore counts them all.
        assert!(before > 0, "the file was just read");
        let e = evict(&paths);
        assert_eq!((e.files, e.files_failed, e.bytes), (1, 0, 8 << 20));
        let after = e.resident_pages_after.unwrap();
        assert!(after < before, "{before} pages before, {after} after");
        assert_eq!(
            resident_pages(&[path, dir.path().join("missing")]),
            None,
            "a file fincore cannot read makes the count unknown, not smaller"
        );
    }
}
