//! `lucent-bench viewer` and `scale`: the viewer's access pattern through the facade (the same
//! code as the app, minus IPC): time to first image, then scrolling forward and back with
//! prefetch, per-frame latency warm and cold, cache hit rate, peak `RssAnon`.

use super::stats::{percentile, rss_anon_mb};
use lucent_core::{Session, VoiChoice};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Frames prefetched ahead in the scroll direction.
pub const PREFETCH_AHEAD: usize = 8;

/// Latency of one scroll pass.
#[derive(Debug, Clone, Serialize)]
pub struct Pass {
    /// `cold` (empty cache, files dropped from the page cache) or `warm`.
    pub kind: &'static str,
    /// Frames shown.
    pub frames: usize,
    /// Median per-frame latency (ms).
    pub ms_p50: f64,
    /// 95th percentile.
    pub ms_p95: f64,
    /// 99th percentile.
    pub ms_p99: f64,
    /// Frames served from the cache.
    pub cache_hit_rate: f64,
}

/// The viewer benchmark's result.
#[derive(Debug, Clone, Serialize)]
pub struct ViewerResult {
    /// Schema id.
    pub schema: &'static str,
    /// Frames in the stack scrolled (the largest stack found).
    pub frames: usize,
    /// Open (index) + first frame rendered, from the open call.
    pub first_image_ms: f64,
    /// Of which indexing.
    pub index_ms: f64,
    /// Scroll passes (forward and back each).
    pub passes: Vec<Pass>,
    /// Peak resident anonymous memory sampled during the run (MiB).
    pub peak_rss_anon_mb: f64,
    /// Frame cache cap (MiB).
    pub cache_mb: u64,
}

/// Drops the files of a stack from the page cache (`posix_fadvise(DONTNEED)`).
fn drop_page_cache(paths: &[PathBuf]) {
    for p in paths {
        if let Ok(f) = std::fs::File::open(p) {
            let _ = f.sync_all();
            let _ = rustix::fs::fadvise(&f, 0, None, rustix::fs::Advice::DontNeed);
        }
    }
}

fn scroll(
    session: &mut Session,
    series: lucent_core::SeriesId,
    n: usize,
    kind: &'static str,
    peak: &mut f64,
) -> Pass {
    session
        .cache()
        .stats
        .hits
        .store(0, std::sync::atomic::Ordering::Relaxed);
    session
        .cache()
        .stats
        .misses
        .store(0, std::sync::atomic::Ordering::Relaxed);
    let voi = VoiChoice::FromHeader;
    let order: Vec<usize> = (0..n).chain((0..n).rev()).collect();
    let mut ms = Vec::with_capacity(order.len());
    let mut previous = 0usize;
    for (step, &i) in order.iter().enumerate() {
        let direction = if i >= previous { 1 } else { -1 };
        let t = Instant::now();
        let _ = session.stack_frame(series, i, voi);
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
        let _ = session.prefetch(series, i, direction, PREFETCH_AHEAD);
        previous = i;
        if step % 64 == 0 {
            *peak = peak.max(rss_anon_mb().unwrap_or(0.0));
        }
    }
    *peak = peak.max(rss_anon_mb().unwrap_or(0.0));
    Pass {
        kind,
        frames: ms.len(),
        ms_p50: percentile(&ms, 0.5),
        ms_p95: percentile(&ms, 0.95),
        ms_p99: percentile(&ms, 0.99),
        cache_hit_rate: session.cache().hit_rate(),
    }
}

/// Opens `inputs`, shows the first frame of the largest stack, scrolls it cold then warm.
pub fn run(
    inputs: &[PathBuf],
    cache_mb: u64,
    data_dir: Option<&Path>,
) -> Result<ViewerResult, String> {
    let mut session = Session::new().with_application("lucent-bench");
    if let Some(d) = data_dir {
        session = session.with_data_dir(d.to_path_buf());
    }
    session.set_cache_bytes(cache_mb * 1024 * 1024);
    // Open the audit trail before timing (process start and keychain set-up are excluded).
    session.audit_log().map_err(|e| e.to_string())?;
    let mut peak = rss_anon_mb().unwrap_or(0.0);
    let started = Instant::now();
    session.open(inputs).map_err(|e| e.to_string())?;
    let index_ms = started.elapsed().as_secs_f64() * 1000.0;
    let studies = session.studies();
    let series = studies
        .iter()
        .flat_map(|s| s.series.iter())
        .max_by_key(|s| s.frame_count)
        .map(|s| s.id)
        .ok_or("no image found")?;
    session
        .stack_frame(series, 0, VoiChoice::FromHeader)
        .map_err(|e| e.to_string())?;
    let first_image_ms = started.elapsed().as_secs_f64() * 1000.0;
    let n = session.frame_count(series).map_err(|e| e.to_string())?;
    let paths: Vec<PathBuf> = session
        .frames(series)
        .map_err(|e| e.to_string())?
        .iter()
        .filter_map(|f| session.instance(f.instance).ok().map(|i| i.path.clone()))
        .collect();
    session.cache().clear();
    drop_page_cache(&paths);
    let cold = scroll(&mut session, series, n, "cold", &mut peak);
    let warm = scroll(&mut session, series, n, "warm", &mut peak);
    Ok(ViewerResult {
        schema: "lucent-bench/viewer/1",
        frames: n,
        first_image_ms,
        index_ms,
        passes: vec![cold, warm],
        peak_rss_anon_mb: peak,
        cache_mb,
    })
}

/// One point of the scale benchmark.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct ScaleRun {
    /// Slices in the generated series.
    pub slices: usize,
    /// Open + first image (ms).
    pub first_image_ms: f64,
    /// Scroll p95 per frame (ms), forward and back, prefetching.
    pub scroll_ms_p95: f64,
    /// Peak `RssAnon` (MiB).
    pub peak_rss_anon_mb: f64,
}

/// The scale benchmark's result.
#[derive(Debug, Clone, Serialize)]
pub struct ScaleResult {
    /// Schema id.
    pub schema: &'static str,
    /// Frame cache cap (MiB).
    pub cache_mb: u64,
    /// One run per series length, each in a fresh process.
    pub runs: Vec<ScaleRun>,
}

/// One scale point, run in this (fresh) process.
pub fn scale_one(
    slices: usize,
    cache_mb: u64,
    data_dir: Option<&Path>,
) -> Result<ScaleRun, String> {
    let dir = crate::bench_data_dir().join(format!("scale-{slices}"));
    let marker = dir.join(".complete");
    if !marker.exists() {
        let study = lucent_testdata::StudyIdentity::phantom(4242, "PHANTOM^SCALE");
        let p = lucent_testdata::CtSeries {
            seed: 4242,
            slices,
            distinct_pixels: false,
            ..Default::default()
        };
        lucent_testdata::write_all(&dir, &lucent_testdata::ct_series_specs(&study, &p), None)
            .map_err(|e| e.to_string())?;
        std::fs::write(&marker, b"").map_err(|e| e.to_string())?;
    }
    let r = run(&[dir], cache_mb, data_dir)?;
    Ok(ScaleRun {
        slices,
        first_image_ms: r.first_image_ms,
        scroll_ms_p95: r.passes.iter().map(|p| p.ms_p95).fold(0.0, f64::max),
        peak_rss_anon_mb: r.peak_rss_anon_mb,
    })
}
