//! Human-readable outputs: a Markdown report and an SVG bar chart (written directly: a chart of
//! bars and labels needs no plotting library, and plotters would need a font backend to lay out
//! SVG text).

use super::decode::DecodeResult;
use super::stats::geometric_mean;
use std::fmt::Write;

fn num(v: Option<f64>, digits: usize) -> String {
    v.map(|x| format!("{x:.digits$}"))
        .unwrap_or_else(|| "–".into())
}

/// Targets from the performance issue, by summary key.
fn target(key: &str) -> f64 {
    match key {
        "pydicom" | "gdcm" => 2.0,
        _ => 1.0,
    }
}

/// The Markdown report of a decode run.
pub fn decode_markdown(r: &DecodeResult) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Lucent decode benchmark\n");
    let _ = writeln!(
        s,
        "Machine: {} CPUs, {} GB, {}. Repetitions: {}.\n",
        r.machine.cpus, r.machine.memory_gb, r.machine.os, r.repeat
    );
    let _ = writeln!(s, "| tool | version |\n|---|---|");
    for (t, v) in &r.tools {
        let _ = writeln!(s, "| {t} | {} |", v.as_deref().unwrap_or("not installed"));
    }
    let _ = writeln!(
        s,
        "\n## Summary\n\n{} image files; Lucent's pixels match the reference decoder on {}; {} had no reference.\n",
        r.summary.files, r.summary.files_matching, r.summary.files_without_reference
    );
    let _ = writeln!(
        s,
        "| Lucent vs | compared modes | speedup (geometric mean) | target | met |\n|---|---|---|---|---|"
    );
    for (k, v) in &r.summary.speedup_vs {
        let modes = match k.as_str() {
            "pydicom" | "gdcm" => "Lucent in-process-all / peer in-process",
            _ => "per process / per process",
        };
        let met = v
            .map(|x| if x >= target(k) { "yes" } else { "no" })
            .unwrap_or("–");
        let _ = writeln!(
            s,
            "| {k} | {modes} | {}× | ≥ {}× | {met} |",
            num(*v, 2),
            target(k)
        );
    }
    let _ = writeln!(
        s,
        "\n## Cases\n\n| file | transfer syntax | photometric | tool | mode | frames/s | p50 ms | p95 ms | peak RSS MB | pixels match | error |\n|---|---|---|---|---|---|---|---|---|---|---|"
    );
    for c in &r.cases {
        let name = std::path::Path::new(&c.file)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "| {name} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            c.transfer_syntax,
            c.photometric,
            c.tool,
            c.mode,
            num(c.frames_per_s, 1),
            num(c.ms_p50, 2),
            num(c.ms_p95, 2),
            num(c.peak_rss_mb, 0),
            c.pixels_match
                .map(|m| if m { "yes" } else { "NO" })
                .unwrap_or("–"),
            c.error.as_deref().unwrap_or("").replace('|', "/"),
        );
    }
    s
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Horizontal bars: geometric-mean frames/s per tool and mode over files whose pixels match.
pub fn decode_svg(r: &DecodeResult) -> String {
    let mut groups: Vec<(String, f64)> = Vec::new();
    for (tool, mode) in [
        ("lucent", "in-process-1"),
        ("lucent", "in-process-all"),
        ("pydicom", "in-process-1"),
        ("gdcm", "in-process-1"),
        ("lucent", "per-process"),
        ("dcmtk", "per-process"),
        ("gdcm", "per-process"),
    ] {
        let values: Vec<f64> = r
            .cases
            .iter()
            .filter(|c| c.tool == tool && c.mode == mode && c.pixels_match == Some(true))
            .filter_map(|c| c.frames_per_s)
            .collect();
        if let Some(g) = geometric_mean(&values) {
            groups.push((format!("{tool} {mode}"), g));
        }
    }
    let (w, bar, left, top) = (900.0, 28.0, 220.0, 50.0);
    let h = top + bar * groups.len() as f64 + 40.0;
    let max = groups.iter().map(|g| g.1).fold(1.0, f64::max);
    let mut s = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="13"><rect width="100%" height="100%" fill="white"/><text x="10" y="25" font-size="16">Frames per second (geometric mean over {} files whose pixels match; higher is better)</text>"#,
        r.summary.files_matching
    );
    for (i, (label, v)) in groups.iter().enumerate() {
        let y = top + bar * i as f64;
        let len = (w - left - 120.0) * v / max;
        let color = if label.starts_with("lucent") {
            "#1f6feb"
        } else {
            "#8b949e"
        };
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" text-anchor="end">{}</text><rect x="{left}" y="{}" width="{len:.1}" height="{}" fill="{color}"/><text x="{}" y="{}">{v:.1}</text>"#,
            left - 8.0,
            y + bar * 0.65,
            escape(label),
            y + 4.0,
            bar - 8.0,
            left + len + 6.0,
            y + bar * 0.65
        );
    }
    s.push_str("</svg>\n");
    s
}
