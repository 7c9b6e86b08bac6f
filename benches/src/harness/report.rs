//! Human-readable outputs: a Markdown report and an SVG bar chart (written directly: a chart of
//! bars and labels needs no plotting library, and plotters would need a font backend to lay out
//! SVG text).

use super::decode::{
    DecodeResult, IN_PROCESS_1, IN_PROCESS_ALL, PER_PROCESS_1, PER_PROCESS_ALL, Ratio,
};
use super::stats::geometric_mean;
use std::collections::BTreeMap;
use std::fmt::Write;

fn num(v: Option<f64>, digits: usize) -> String {
    v.map(|x| format!("{x:.digits$}"))
        .unwrap_or_else(|| "–".into())
}

fn ratio_cell(r: Option<&Ratio>) -> String {
    match r {
        Some(r) if r.files > 0 => format!(
            "{}× ({} files, {}–{})",
            num(r.speedup, 2),
            r.files,
            num(r.min, 2),
            num(r.max, 2)
        ),
        _ => "–".into(),
    }
}

fn ratio_table(s: &mut String, title: &str, ratios: &BTreeMap<String, Ratio>) {
    let _ = writeln!(
        s,
        "### {title}\n\n| Lucent vs | mode (both sides) | speedup: geometric mean (files, per-file min–max) |\n|---|---|---|"
    );
    for (k, r) in ratios {
        let _ = writeln!(s, "| {k} | {} | {} |", r.mode, ratio_cell(Some(r)));
    }
    let _ = writeln!(s);
}

/// The Markdown report of a decode run.
pub fn decode_markdown(r: &DecodeResult) -> String {
    let mut s = String::new();
    let m = &r.machine;
    let load = |l: Option<[f64; 3]>| {
        l.map(|l| format!("{:.2} {:.2} {:.2}", l[0], l[1], l[2]))
            .unwrap_or_else(|| "–".into())
    };
    let _ = writeln!(s, "# Lucent decode benchmark\n");
    let _ = writeln!(
        s,
        "Run {} on {} ({} cores, {} GB, {}, kernel {}); load average (1, 5, 15 min) {} before, {} after. Repetitions: {}; all-cores modes: {} workers; {}.\n\nCommand: `{}`\n",
        r.date,
        m.cpu_model,
        m.cores,
        m.memory_gb,
        m.os,
        m.kernel,
        load(r.load_before),
        load(r.load_after),
        r.repeat,
        r.workers,
        if r.all_frames {
            "every frame in process (frame 1 per process)"
        } else {
            "frame 1"
        },
        r.command.join(" ")
    );
    let _ = writeln!(s, "| tool | version | one repetition |\n|---|---|---|");
    for (t, v) in &r.tools {
        let _ = writeln!(
            s,
            "| {t} | {} | {} |",
            v.as_deref().unwrap_or("not installed"),
            r.timed.get(t).map(String::as_str).unwrap_or("")
        );
    }
    let _ = writeln!(
        s,
        "\nModes: `in-process-1` one thread (Lucent, inside a one-thread pool) or one Python process; `in-process-all` Lucent on N threads, each Python peer as N processes decoding the same file at once; `per-process-1` one process per file; `per-process-all` N processes per file at once. Every tool gets the same explicit window (the pixel check's) and the same frames. Throughput = frames decoded by all workers / wall time.\n"
    );
    let _ = writeln!(
        s,
        "## Summary\n\n{} image files; Lucent's pixels match the reference decoder on {}; {} had no reference. Ratios are over files whose pixels match and that both tools decoded; `gdcmconv --raw` only decompresses and is in no ratio.\n",
        r.summary.files, r.summary.files_matching, r.summary.files_without_reference
    );
    ratio_table(
        &mut s,
        "1 vs 1: Lucent on one thread against each peer on one thread / one process",
        &r.summary.one_thread,
    );
    ratio_table(
        &mut s,
        &format!(
            "All cores: Lucent on {} threads against {} peer processes",
            r.workers, r.workers
        ),
        &r.summary.all_cores,
    );
    let keys: Vec<&String> = r.summary.one_thread.keys().collect();
    let _ = write!(s, "## By transfer syntax\n\n| transfer syntax | files |");
    for k in &keys {
        let _ = write!(s, " 1 vs 1 {k} |");
    }
    for k in &keys {
        let _ = write!(s, " all cores {k} |");
    }
    let _ = writeln!(s, "\n|---|---|{}", "---|".repeat(keys.len() * 2));
    for (ts, class) in &r.summary.by_class {
        let _ = write!(s, "| {} `{ts}` | {} |", class.name, class.files);
        for k in &keys {
            let _ = write!(s, " {} |", ratio_cell(class.one_thread.get(*k)));
        }
        for k in &keys {
            let _ = write!(s, " {} |", ratio_cell(class.all_cores.get(*k)));
        }
        let _ = writeln!(s);
    }
    let _ = writeln!(
        s,
        "\n## Cases\n\n| file | transfer syntax | photometric | tool | mode | workers | frames | frames/s | ms min / median / max | CPU/wall | threads | peak RSS MB | pixels match | note or error |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    );
    for c in &r.cases {
        let name = std::path::Path::new(&c.file)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "| {name} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            c.transfer_syntax,
            c.photometric,
            c.tool,
            c.mode,
            c.workers,
            c.frames,
            num(c.frames_per_s, 1),
            c.ms.map(|m| format!("{:.2} / {:.2} / {:.2}", m.min, m.median, m.max))
                .unwrap_or_else(|| "–".into()),
            num(c.cpu_per_wall, 2),
            c.threads_observed
                .map(|t| t.to_string())
                .unwrap_or_else(|| "–".into()),
            num(c.peak_rss_mb, 0),
            c.pixels_match
                .map(|m| if m { "yes" } else { "NO" })
                .unwrap_or("–"),
            c.error
                .as_deref()
                .or(c.note.as_deref())
                .unwrap_or("")
                .replace('|', "/"),
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
        ("lucent", IN_PROCESS_1),
        ("pydicom", IN_PROCESS_1),
        ("gdcm", IN_PROCESS_1),
        ("lucent", IN_PROCESS_ALL),
        ("pydicom", IN_PROCESS_ALL),
        ("gdcm", IN_PROCESS_ALL),
        ("lucent", PER_PROCESS_1),
        ("dcmtk", PER_PROCESS_1),
        ("gdcmconv", PER_PROCESS_1),
        ("lucent", PER_PROCESS_ALL),
        ("dcmtk", PER_PROCESS_ALL),
        ("gdcmconv", PER_PROCESS_ALL),
    ] {
        let values: Vec<f64> = r
            .cases
            .iter()
            .filter(|c| c.tool == tool && c.mode == mode && c.pixels_match == Some(true))
            .filter_map(|c| c.frames_per_s)
            .collect();
        if let Some(g) = geometric_mean(&values) {
            let label = if tool == "gdcmconv" {
                format!("gdcmconv --raw {mode} (decompress only)")
            } else {
                format!("{tool} {mode}")
            };
            groups.push((label, g));
        }
    }
    let (w, bar, left, top) = (980.0, 28.0, 340.0, 50.0);
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
