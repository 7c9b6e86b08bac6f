//! `lucent-bench viewer` and `scale`: the viewer's access pattern through the facade (the same
//! code as the app, minus IPC): time to first image, then scrolling forward and back with
//! prefetch, per-frame latency cold and warm, cache hit rate, peak memory of the process tree.
//!
//! A frame that fails is counted per error code and its time is left out of the latencies (an
//! error returns fast: timed, it would flatter the pass); the command then exits non-zero. The
//! cold pass starts from [`lucent_core::Session::make_cold`]: frame cache emptied, the stack's
//! files evicted from the page cache, the pages still resident counted in the JSON.

use super::stats::percentile;
use lucent_core::page_cache::ColdStart;
use lucent_core::process_memory::{PeakMemory, Sampler};
use lucent_core::{HasErrorCode, Session, VoiChoice};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Frames prefetched ahead in the scroll direction.
pub const PREFETCH_AHEAD: usize = 8;

/// How often the process tree's memory is sampled.
pub const MEMORY_SAMPLE_INTERVAL: Duration = Duration::from_millis(50);

/// Latency of one scroll pass.
#[derive(Debug, Clone, Serialize)]
pub struct Pass {
    /// `cold` (after [`Session::make_cold`]) or `warm`.
    pub kind: &'static str,
    /// Frames asked for (forward and back).
    pub frames: usize,
    /// Frames that failed; they are not in the latencies.
    pub frames_failed: usize,
    /// Failed frames per error code.
    pub errors: BTreeMap<String, usize>,
    /// Median per-frame latency of the frames shown (ms).
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
    /// How cold the cold pass started.
    pub cold_start: ColdStart,
    /// Scroll passes (forward and back each).
    pub passes: Vec<Pass>,
    /// Peak memory of this process and its descendants, sampled during the run.
    pub memory: PeakMemory,
    /// Frame cache cap (MiB).
    pub cache_mb: u64,
}

impl ViewerResult {
    /// Frames that failed over all passes: the run fails if this is not 0.
    pub fn frames_failed(&self) -> usize {
        self.passes.iter().map(|p| p.frames_failed).sum()
    }
}

fn scroll(
    session: &mut Session,
    series: lucent_core::SeriesId,
    n: usize,
    kind: &'static str,
) -> Pass {
    session.reset_cache_stats();
    let voi = VoiChoice::FromHeader;
    let order: Vec<usize> = (0..n).chain((0..n).rev()).collect();
    let mut ms = Vec::with_capacity(order.len());
    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    let mut previous = 0usize;
    for &i in &order {
        let direction = if i >= previous { 1 } else { -1 };
        let t = Instant::now();
        match session.stack_frame(series, i, voi) {
            Ok(_) => ms.push(t.elapsed().as_secs_f64() * 1000.0),
            Err(e) => *errors.entry(e.code().as_str().to_string()).or_default() += 1,
        }
        let _ = session.prefetch(series, i, direction, PREFETCH_AHEAD);
        previous = i;
    }
    Pass {
        kind,
        frames: order.len(),
        frames_failed: errors.values().sum(),
        errors,
        ms_p50: percentile(&ms, 0.5),
        ms_p95: percentile(&ms, 0.95),
        ms_p99: percentile(&ms, 0.99),
        cache_hit_rate: session.cache_stats().hit_rate,
    }
}

/// Opens `inputs`, shows the first frame of the largest stack, scrolls it cold then warm. An
/// error before the scroll (nothing to open, the first frame) is an `Err`; failed frames while
/// scrolling are counted in the result ([`ViewerResult::frames_failed`]).
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
    let sampler =
        Sampler::start(std::process::id(), MEMORY_SAMPLE_INTERVAL).map_err(|e| e.to_string())?;
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
        .map_err(|e| format!("first frame: {e}"))?;
    let first_image_ms = started.elapsed().as_secs_f64() * 1000.0;
    let n = session.frame_count(series).map_err(|e| e.to_string())?;
    let cold_start = session.make_cold(series).map_err(|e| e.to_string())?;
    let cold = scroll(&mut session, series, n, "cold");
    let warm = scroll(&mut session, series, n, "warm");
    Ok(ViewerResult {
        schema: "lucent-bench/viewer/2",
        frames: n,
        first_image_ms,
        index_ms,
        cold_start,
        passes: vec![cold, warm],
        memory: sampler.finish(),
        cache_mb,
    })
}

/// One point of the scale benchmark.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScaleRun {
    /// Slices in the generated series.
    pub slices: usize,
    /// Open + first image (ms).
    pub first_image_ms: f64,
    /// Scroll p95 per frame (ms), forward and back, prefetching; the worse of the passes.
    pub scroll_ms_p95: f64,
    /// Frames that failed over both passes (the run fails unless 0).
    pub frames_failed: usize,
    /// Pages of the series' files still resident when the cold pass started.
    pub cold_resident_pages: Option<u64>,
    /// Peak `RssAnon` summed over the process tree (MiB).
    pub peak_tree_rss_anon_mb: f64,
    /// Peak `Pss` summed over the process tree (MiB), when readable.
    pub peak_tree_pss_mb: Option<f64>,
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
        frames_failed: r.frames_failed(),
        cold_resident_pages: r.cold_start.page_cache.resident_pages_after,
        peak_tree_rss_anon_mb: r.memory.tree_rss_anon_mb,
        peak_tree_pss_mb: r.memory.tree_pss_mb,
    })
}
