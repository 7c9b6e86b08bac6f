//! Small statistics (percentiles, geometric means, min/median/max) and what this process's
//! threads did (CPU time per thread from `/proc/self/task/*/schedstat`).

use serde::Serialize;
use std::collections::BTreeMap;

/// The p-th percentile (0..=1) of samples (nearest rank on the sorted samples).
pub fn percentile(samples: &[f64], p: f64) -> f64 {
    if samples.is_empty() {
        return f64::NAN;
    }
    let mut v = samples.to_vec();
    v.sort_by(f64::total_cmp);
    let rank = ((v.len() as f64 - 1.0) * p.clamp(0.0, 1.0)).round() as usize;
    v[rank]
}

/// Geometric mean of positive values; `None` when there are none.
pub fn geometric_mean(values: &[f64]) -> Option<f64> {
    let positive: Vec<f64> = values
        .iter()
        .copied()
        .filter(|v| *v > 0.0 && v.is_finite())
        .collect();
    if positive.is_empty() {
        return None;
    }
    Some((positive.iter().map(|v| v.ln()).sum::<f64>() / positive.len() as f64).exp())
}

/// Minimum, median and maximum of samples (`None` when there are none).
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Spread {
    /// Smallest sample.
    pub min: f64,
    /// Median (nearest rank).
    pub median: f64,
    /// Largest sample.
    pub max: f64,
}

/// The [`Spread`] of samples.
pub fn spread(samples: &[f64]) -> Option<Spread> {
    (!samples.is_empty()).then(|| Spread {
        min: percentile(samples, 0.0),
        median: percentile(samples, 0.5),
        max: percentile(samples, 1.0),
    })
}

/// CPU nanoseconds each thread of this process has run so far, by thread id: the first field of
/// `/proc/self/task/TID/schedstat` (up to date for threads that are not running: the kernel adds
/// a running thread's time at its next tick or switch), and for the calling thread its
/// `CLOCK_THREAD_CPUTIME_ID` (exact). Take it while the measured threads wait. Empty where
/// `/proc` is missing.
pub fn thread_cpu_ns() -> BTreeMap<u32, u64> {
    let mut out = BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return out;
    };
    for task in tasks.flatten() {
        let Some(tid) = task
            .file_name()
            .to_str()
            .and_then(|t| t.parse::<u32>().ok())
        else {
            continue;
        };
        if let Some(ns) = std::fs::read_to_string(task.path().join("schedstat"))
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        {
            out.insert(tid, ns);
        }
    }
    let own = std::fs::read_link("/proc/thread-self")
        .ok()
        .and_then(|l| l.file_name()?.to_str()?.parse::<u32>().ok());
    if let Some(tid) = own {
        let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
        let ns = u64::try_from(t.tv_sec).unwrap_or(0) * 1_000_000_000
            + u64::try_from(t.tv_nsec).unwrap_or(0);
        out.insert(tid, ns);
    }
    out
}

/// What this process's threads did between two [`thread_cpu_ns`] snapshots taken `wall_ms`
/// apart: the threads that ran for at least a tenth of the interval (a thread that only hands
/// work over and waits stays below it), and all threads' CPU time over the wall time.
pub fn threads_between(
    before: &BTreeMap<u32, u64>,
    after: &BTreeMap<u32, u64>,
    wall_ms: f64,
) -> (usize, f64) {
    let deltas: Vec<f64> = after
        .iter()
        .map(|(tid, ns)| ns.saturating_sub(before.get(tid).copied().unwrap_or(0)) as f64 / 1e6)
        .collect();
    let busy = deltas.iter().filter(|&&ms| ms >= wall_ms * 0.1).count();
    let cpu: f64 = deltas.iter().sum();
    (busy, if wall_ms > 0.0 { cpu / wall_ms } else { 0.0 })
}

/// Resident anonymous memory of this process (`RssAnon`), in MiB.
pub use lucent_core::rss_anon_mb;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_and_means() {
        let v = [5.0, 1.0, 3.0, 2.0, 4.0];
        assert_eq!(percentile(&v, 0.5), 3.0);
        assert_eq!(percentile(&v, 0.0), 1.0);
        assert_eq!(percentile(&v, 1.0), 5.0);
        assert!((geometric_mean(&[2.0, 8.0]).unwrap() - 4.0).abs() < 1e-12);
        assert_eq!(geometric_mean(&[]), None);
        assert_eq!(
            spread(&v),
            Some(Spread {
                min: 1.0,
                median: 3.0,
                max: 5.0
            })
        );
        let before = BTreeMap::from([(1, 0), (2, 0)]);
        let after = BTreeMap::from([(1, 9_000_000), (2, 50_000), (3, 2_000_000)]);
        let (busy, cpu) = threads_between(&before, &after, 10.0);
        assert_eq!(busy, 2, "threads 1 and 3 ran ≥ 1 ms of 10");
        assert!((cpu - 1.105).abs() < 1e-9);
    }
}
