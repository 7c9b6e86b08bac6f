//! Small statistics: percentiles and geometric means.

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
    }
}
