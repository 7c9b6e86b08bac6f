//! `lucent-bench decode`: Lucent against dcmtk, GDCM and pydicom on the same files, with a check
//! that Lucent's pixels match the reference decoder (a mismatch is not a win).

use super::files::{FileInfo, image_files};
use super::peers::{self, PythonPeer, dcmtk_args};
use super::pixel_check::{lucent_voi, pixels_match};
use super::report;
use super::stats::{geometric_mean, percentile};
use lucent_pixels::{PixelFile, RenderedFrame, VoiChoice};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Options of the decode benchmark.
#[derive(Debug, Clone)]
pub struct DecodeOptions {
    /// Folders or files.
    pub inputs: Vec<PathBuf>,
    /// Peers to run: any of dcmtk, gdcm, pydicom.
    pub against: Vec<String>,
    /// Repetitions per file and mode.
    pub repeat: usize,
    /// Threads for the in-process-all mode (0 = all cores).
    pub threads: usize,
    /// Time every frame instead of the first.
    pub all_frames: bool,
}

/// The machine the numbers come from.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    /// Logical CPUs.
    pub cpus: usize,
    /// Memory in GB.
    pub memory_gb: f64,
    /// OS description.
    pub os: String,
}

impl Machine {
    /// Reads this machine's description.
    pub fn current() -> Self {
        let memory_gb = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|m| {
                m.lines()
                    .find_map(|l| l.strip_prefix("MemTotal:"))
                    .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
            })
            .map(|kb| (kb / 1024.0 / 1024.0 * 10.0).round() / 10.0)
            .unwrap_or(0.0);
        let os = std::fs::read_to_string("/etc/os-release")
            .ok()
            .and_then(|r| {
                r.lines().find_map(|l| {
                    l.strip_prefix("PRETTY_NAME=")
                        .map(|v| v.trim_matches('"').to_string())
                })
            })
            .unwrap_or_else(|| std::env::consts::OS.to_string());
        Machine {
            cpus: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            memory_gb,
            os,
        }
    }
}

/// One (file, tool, mode) measurement.
#[derive(Debug, Clone, Serialize)]
pub struct Case {
    /// The file.
    pub file: String,
    /// Transfer Syntax UID.
    pub transfer_syntax: String,
    /// Photometric Interpretation.
    pub photometric: String,
    /// Frames timed per repetition.
    pub frames: u32,
    /// `lucent`, `dcmtk`, `gdcm` or `pydicom`.
    pub tool: &'static str,
    /// `in-process-1`, `in-process-all` or `per-process`.
    pub mode: &'static str,
    /// Throughput.
    pub frames_per_s: Option<f64>,
    /// Median latency of one repetition.
    pub ms_p50: Option<f64>,
    /// 95th percentile latency.
    pub ms_p95: Option<f64>,
    /// Peak resident memory (per-process: of the child; in-process: of the harness so far).
    pub peak_rss_mb: Option<f64>,
    /// Whether Lucent's pixels for this file match the reference decoder (dcmtk, else GDCM)
    /// within the golden tolerance; `null` when no reference decoded it.
    pub pixels_match: Option<bool>,
    /// Why this tool could not decode the file.
    pub error: Option<String>,
}

/// The whole result (schema documented in the README).
#[derive(Debug, Clone, Serialize)]
pub struct DecodeResult {
    /// Schema id.
    pub schema: &'static str,
    /// Machine.
    pub machine: Machine,
    /// Tool versions (`null` when not installed).
    pub tools: BTreeMap<String, Option<String>>,
    /// Repetitions.
    pub repeat: usize,
    /// Measurements.
    pub cases: Vec<Case>,
    /// Geometric-mean speedups.
    pub summary: Summary,
}

/// Speedups of Lucent over each peer.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Geometric mean, over files both decode with `pixels_match` true, of Lucent's frames/s over
    /// the peer's in the matching mode: `pydicom` and `gdcm` (in process, against Lucent
    /// in-process-all), `dcmtk` and `gdcm_cli` (per process, against Lucent per-process).
    pub speedup_vs: BTreeMap<String, Option<f64>>,
    /// Image files measured.
    pub files: usize,
    /// Files whose Lucent pixels match the reference.
    pub files_matching: usize,
    /// Files no reference decoder could decode (pixels_match null).
    pub files_without_reference: usize,
}

fn case(f: &FileInfo, frames: u32, tool: &'static str, mode: &'static str) -> Case {
    Case {
        file: f.path.display().to_string(),
        transfer_syntax: f.transfer_syntax.clone(),
        photometric: f.photometric.clone(),
        frames,
        tool,
        mode,
        frames_per_s: None,
        ms_p50: None,
        ms_p95: None,
        peak_rss_mb: None,
        pixels_match: None,
        error: None,
    }
}

fn fill(c: &mut Case, ms: &[f64], frames: u32) {
    let total: f64 = ms.iter().sum();
    if total > 0.0 {
        c.frames_per_s = Some(f64::from(frames) * ms.len() as f64 / (total / 1000.0));
    }
    c.ms_p50 = Some(percentile(ms, 0.5));
    c.ms_p95 = Some(percentile(ms, 0.95));
}

fn lucent_render_all(path: &Path, frames: u32, voi: VoiChoice) -> Result<RenderedFrame, String> {
    let file = PixelFile::open(path).map_err(|e| e.to_string())?;
    let mut last = None;
    for k in 0..frames {
        last = Some(file.render(k, voi).map_err(|e| e.to_string())?);
    }
    last.ok_or_else(|| "no frame".into())
}

/// Runs the decode benchmark.
pub fn run(opts: &DecodeOptions) -> DecodeResult {
    let files = image_files(&opts.inputs);
    let work = tempfile::tempdir().expect("temp dir");
    let helper = work.path().join("lucent_bench_peer.py");
    std::fs::write(&helper, peers::PYTHON_HELPER).expect("write helper");
    let wants = |t: &str| opts.against.iter().any(|a| a == t);
    let mut tools: BTreeMap<String, Option<String>> = BTreeMap::new();
    tools.insert("lucent".into(), Some(env!("CARGO_PKG_VERSION").into()));
    let dcmtk = if wants("dcmtk") {
        peers::tool_version("dcmj2pnm")
    } else {
        None
    };
    tools.insert("dcmtk".into(), dcmtk.clone());
    let gdcm_cli = if wants("gdcm") {
        peers::tool_version("gdcmconv")
    } else {
        None
    };
    let mut gdcm_py = if wants("gdcm") {
        PythonPeer::start("/usr/bin/python3", "gdcm", &helper)
    } else {
        None
    };
    tools.insert(
        "gdcm".into(),
        gdcm_cli
            .clone()
            .or_else(|| gdcm_py.as_ref().map(|p| p.version.clone())),
    );
    let mut pydicom = if wants("pydicom") {
        PythonPeer::start("python3", "pydicom", &helper)
    } else {
        None
    };
    tools.insert(
        "pydicom".into(),
        pydicom.as_ref().map(|p| p.version.clone()),
    );
    let threads = if opts.threads == 0 {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    } else {
        opts.threads
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool");
    let lucent_bin = peers::lucent_binary();
    let progress = indicatif::ProgressBar::new(files.len() as u64);
    progress.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut cases = Vec::new();
    let repeat = opts.repeat.max(1);
    for f in &files {
        progress.set_message(
            f.path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        );
        let frames = if opts.all_frames { f.frames } else { 1 };
        let matched = pixels_match(f, work.path());
        let mut file_cases = Vec::new();
        let voi = lucent_voi(f);

        // Lucent in process, one thread.
        let mut c = case(f, frames, "lucent", "in-process-1");
        let mut ms = Vec::new();
        for _ in 0..repeat {
            let t = Instant::now();
            match lucent_render_all(&f.path, frames, voi) {
                Ok(_) => ms.push(t.elapsed().as_secs_f64() * 1000.0),
                Err(e) => {
                    c.error = Some(e);
                    break;
                }
            }
        }
        if c.error.is_none() {
            fill(&mut c, &ms, frames);
        }
        c.peak_rss_mb = super::stats::rss_anon_mb();
        let lucent_ok = c.error.is_none();
        file_cases.push(c);

        // Lucent in process, all cores: `threads × repeat` renders at once.
        let mut c = case(f, frames, "lucent", "in-process-all");
        if lucent_ok {
            let jobs = threads * repeat;
            let t = Instant::now();
            let lat: Vec<f64> = pool.install(|| {
                use rayon::prelude::*;
                (0..jobs)
                    .into_par_iter()
                    .map(|_| {
                        let t = Instant::now();
                        let _ = lucent_render_all(&f.path, frames, voi);
                        t.elapsed().as_secs_f64() * 1000.0
                    })
                    .collect()
            });
            let wall = t.elapsed().as_secs_f64();
            c.frames_per_s = Some(f64::from(frames) * jobs as f64 / wall);
            c.ms_p50 = Some(percentile(&lat, 0.5));
            c.ms_p95 = Some(percentile(&lat, 0.95));
            c.peak_rss_mb = super::stats::rss_anon_mb();
        } else {
            c.error = file_cases[0].error.clone();
        }
        file_cases.push(c);

        // Per process: lucent render (audited open included), dcmtk, gdcmconv.
        let out_png = work.path().join("out.png");
        let per_process = |tool: &'static str, program: String, args: Vec<String>| {
            let mut c = case(f, 1, tool, "per-process");
            let mut ms = Vec::new();
            let mut rss: Option<f64> = None;
            for _ in 0..repeat {
                match peers::time_process(&program, &args) {
                    Ok((t, r)) => {
                        ms.push(t);
                        rss = match (rss, r) {
                            (Some(a), Some(b)) => Some(a.max(b)),
                            (a, b) => a.or(b),
                        };
                    }
                    Err(e) => {
                        c.error = Some(e);
                        break;
                    }
                }
            }
            if c.error.is_none() {
                fill(&mut c, &ms, 1);
                c.peak_rss_mb = rss;
            }
            c
        };
        file_cases.push(per_process(
            "lucent",
            lucent_bin.display().to_string(),
            vec![
                "render".into(),
                f.path.display().to_string(),
                "-o".into(),
                out_png.display().to_string(),
            ],
        ));
        if dcmtk.is_some() {
            match peers::dcmtk_program(&f.transfer_syntax) {
                Some(p) => file_cases.push(per_process(
                    "dcmtk",
                    p.to_string(),
                    dcmtk_args(f, &f.path, &out_png, None),
                )),
                None => {
                    let mut c = case(f, 1, "dcmtk", "per-process");
                    c.error = Some(format!("dcmtk has no decoder for {}", f.transfer_syntax));
                    file_cases.push(c);
                }
            }
        }
        if gdcm_cli.is_some() {
            let raw = work.path().join("gdcm-raw.dcm");
            file_cases.push(per_process(
                "gdcm",
                "gdcmconv".into(),
                vec![
                    "--raw".into(),
                    f.path.display().to_string(),
                    raw.display().to_string(),
                ],
            ));
        }
        // In process, one persistent Python process per peer.
        let window = None;
        for (tool, peer) in [("pydicom", pydicom.as_mut()), ("gdcm", gdcm_py.as_mut())] {
            let Some(peer) = peer else { continue };
            let mut c = case(f, frames, tool, "in-process-1");
            let mut all = Vec::new();
            for k in 0..frames {
                match peer.time(&f.path, k, repeat, window) {
                    Ok(ms) => all.push(ms),
                    Err(e) => {
                        c.error = Some(e);
                        break;
                    }
                }
            }
            if c.error.is_none() {
                let per_rep: Vec<f64> = (0..repeat)
                    .map(|r| all.iter().filter_map(|v| v.get(r)).sum())
                    .collect();
                fill(&mut c, &per_rep, frames);
            }
            file_cases.push(c);
        }
        for c in &mut file_cases {
            c.pixels_match = matched;
        }
        cases.extend(file_cases);
        progress.inc(1);
    }
    progress.finish_and_clear();
    let summary = summarize(&cases, files.len());
    DecodeResult {
        schema: "lucent-bench/decode/1",
        machine: Machine::current(),
        tools,
        repeat,
        cases,
        summary,
    }
}

/// Computes the summary from the cases (the same rule QA can recompute from the JSON).
pub fn summarize(cases: &[Case], files: usize) -> Summary {
    let fps = |file: &str, tool: &str, mode: &str| {
        cases
            .iter()
            .find(|c| c.file == file && c.tool == tool && c.mode == mode && c.error.is_none())
            .and_then(|c| c.frames_per_s)
    };
    let mut names: Vec<&str> = cases.iter().map(|c| c.file.as_str()).collect();
    names.dedup();
    let matching: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| {
            cases
                .iter()
                .any(|c| c.file == *n && c.pixels_match == Some(true))
        })
        .collect();
    let ratio = |peer: &str, peer_mode: &str, lucent_mode: &str| {
        let ratios: Vec<f64> = matching
            .iter()
            .filter_map(|n| Some(fps(n, "lucent", lucent_mode)? / fps(n, peer, peer_mode)?))
            .collect();
        geometric_mean(&ratios)
    };
    let mut speedup_vs = BTreeMap::new();
    speedup_vs.insert(
        "pydicom".into(),
        ratio("pydicom", "in-process-1", "in-process-all"),
    );
    speedup_vs.insert(
        "gdcm".into(),
        ratio("gdcm", "in-process-1", "in-process-all"),
    );
    speedup_vs.insert("dcmtk".into(), ratio("dcmtk", "per-process", "per-process"));
    speedup_vs.insert(
        "gdcm_cli".into(),
        ratio("gdcm", "per-process", "per-process"),
    );
    let without = names
        .iter()
        .filter(|n| {
            cases
                .iter()
                .any(|c| c.file == **n && c.pixels_match.is_none())
        })
        .count();
    Summary {
        speedup_vs,
        files,
        files_matching: matching.len(),
        files_without_reference: without,
    }
}

/// Writes the JSON, Markdown and SVG outputs that were asked for.
pub fn write_outputs(
    result: &DecodeResult,
    json: Option<&Path>,
    markdown: Option<&Path>,
    svg: Option<&Path>,
) -> std::io::Result<()> {
    if let Some(p) = json {
        std::fs::write(
            p,
            serde_json::to_string_pretty(result).map_err(std::io::Error::other)?,
        )?;
    }
    if let Some(p) = markdown {
        std::fs::write(p, report::decode_markdown(result))?;
    }
    if let Some(p) = svg {
        std::fs::write(p, report::decode_svg(result))?;
    }
    Ok(())
}
