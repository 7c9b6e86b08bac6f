//! `lucent-bench decode`: Lucent against dcmtk, GDCM and pydicom on the same files, with a check
//! that Lucent's pixels match the reference decoder (a mismatch is not a win). Like with like:
//! every tool gets the same explicit window and the same frames; Lucent on one thread (inside a
//! one-thread rayon pool, checked by counting the threads that ran) against each peer on one
//! thread / one process, and Lucent on N threads against N peer processes ([`RATIOS`]).

use super::files::{FileInfo, image_files};
use super::peers::{self, PeerTiming, PythonPeer, dcmtk_args};
use super::pixel_check::{compare, lucent_voi};
use super::report;
use super::stats::{Spread, geometric_mean, spread, thread_cpu_ns, threads_between};
use lucent_pixels::{PixelFile, VoiChoice};
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
    /// Workers of the all-cores modes: Lucent's threads and each peer's processes (0 = cores).
    pub threads: usize,
    /// Time every frame instead of the first (in process; per process times frame 1).
    pub all_frames: bool,
}

/// One thread (Lucent) or one process (a peer), one file at a time.
pub const IN_PROCESS_1: &str = "in-process-1";
/// Lucent on N threads; each Python peer as N persistent processes decoding the same file at once.
pub const IN_PROCESS_ALL: &str = "in-process-all";
/// One process per file, one at a time (`lucent --threads 1 render`, dcmtk, gdcmconv).
pub const PER_PROCESS_1: &str = "per-process-1";
/// N processes per file at once.
pub const PER_PROCESS_ALL: &str = "per-process-all";

/// The ratios of the summary: (group, key, peer tool, mode of both sides). Both sides of a ratio
/// run in the same mode: the same file, the same window, the same frames, the same number of
/// threads or processes. `gdcmconv --raw` only decompresses and is in none of them.
pub const RATIOS: &[(&str, &str, &str, &str)] = &[
    ("one_thread", "pydicom", "pydicom", IN_PROCESS_1),
    ("one_thread", "gdcm", "gdcm", IN_PROCESS_1),
    ("one_thread", "dcmtk", "dcmtk", PER_PROCESS_1),
    ("all_cores", "pydicom", "pydicom", IN_PROCESS_ALL),
    ("all_cores", "gdcm", "gdcm", IN_PROCESS_ALL),
    ("all_cores", "dcmtk", "dcmtk", PER_PROCESS_ALL),
];

/// The machine the numbers come from.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    /// CPU model (`/proc/cpuinfo` model name).
    pub cpu_model: String,
    /// Logical CPUs available to this process.
    pub cores: usize,
    /// Memory in GB.
    pub memory_gb: f64,
    /// OS description (`/etc/os-release`).
    pub os: String,
    /// Kernel release.
    pub kernel: String,
}

fn first_line_value(path: &str, key: &str) -> Option<String> {
    std::fs::read_to_string(path).ok().and_then(|text| {
        text.lines().find_map(|l| {
            let (k, v) = l.split_once([':', '='])?;
            (k.trim() == key).then(|| v.trim().trim_matches('"').to_string())
        })
    })
}

impl Machine {
    /// Reads this machine's description.
    pub fn current() -> Self {
        let memory_gb = first_line_value("/proc/meminfo", "MemTotal")
            .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
            .map(|kb| (kb / 1024.0 / 1024.0 * 10.0).round() / 10.0)
            .unwrap_or(0.0);
        Machine {
            cpu_model: first_line_value("/proc/cpuinfo", "model name")
                .unwrap_or_else(|| "unknown".into()),
            cores: cores(),
            memory_gb,
            os: first_line_value("/etc/os-release", "PRETTY_NAME")
                .unwrap_or_else(|| std::env::consts::OS.to_string()),
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map(|k| k.trim().to_string())
                .unwrap_or_else(|_| "unknown".into()),
        }
    }
}

fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// The load averages (1, 5, 15 minutes) from `/proc/loadavg`: the machine is shared.
pub fn load_average() -> Option<[f64; 3]> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    let mut v = text.split_whitespace().map(|x| x.parse::<f64>().ok());
    Some([v.next()??, v.next()??, v.next()??])
}

/// Now as `YYYY-MM-DDTHH:MM:SSZ` (UTC).
pub fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
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
    /// Frames each worker decodes per repetition.
    pub frames: u32,
    /// `lucent`, `dcmtk`, `gdcm`, `pydicom` or `gdcmconv` (decompress only).
    pub tool: &'static str,
    /// [`IN_PROCESS_1`], [`IN_PROCESS_ALL`], [`PER_PROCESS_1`] or [`PER_PROCESS_ALL`].
    pub mode: &'static str,
    /// Threads (Lucent in process) or processes (peers, per process) working at once.
    pub workers: usize,
    /// The explicit window `[centre, width]` every tool was given (`null`: colour, or a
    /// greyscale file whose VOI is a table; then no tool is given a window).
    pub window: Option<[f64; 2]>,
    /// Throughput: frames decoded by all workers over the wall time.
    pub frames_per_s: Option<f64>,
    /// Milliseconds of one repetition of one worker: min, median, max over the repetitions.
    pub ms: Option<Spread>,
    /// CPU time of all threads (in process) or children (per process) over wall time: ≈ 1 per
    /// busy worker.
    pub cpu_per_wall: Option<f64>,
    /// Lucent in process: threads that ran for at least a tenth of the timed interval.
    pub threads_observed: Option<usize>,
    /// Peak resident memory (per process: of the largest child; in process: of the harness).
    pub peak_rss_mb: Option<f64>,
    /// Whether Lucent's pixels for this file match the reference decoder; `null` when no
    /// reference decoded it (see `pixel_check.rs`).
    pub pixels_match: Option<bool>,
    /// How the tool read the file when it matters (e.g. GDCM's reader).
    pub note: Option<String>,
    /// Why this tool could not decode the file.
    pub error: Option<String>,
}

/// The whole result (schema documented in the README).
#[derive(Debug, Clone, Serialize)]
pub struct DecodeResult {
    /// Schema id.
    pub schema: &'static str,
    /// When the run started (UTC).
    pub date: String,
    /// The command line.
    pub command: Vec<String>,
    /// Machine.
    pub machine: Machine,
    /// Load averages (1, 5, 15 min) before and after the run.
    pub load_before: Option<[f64; 3]>,
    /// See `load_before`.
    pub load_after: Option<[f64; 3]>,
    /// Tool versions (`null` when not installed).
    pub tools: BTreeMap<String, Option<String>>,
    /// What one repetition of each tool does.
    pub timed: BTreeMap<String, String>,
    /// Repetitions.
    pub repeat: usize,
    /// Workers of the all-cores modes.
    pub workers: usize,
    /// Whether every frame was timed in process.
    pub all_frames: bool,
    /// Measurements.
    pub cases: Vec<Case>,
    /// Geometric-mean speedups.
    pub summary: Summary,
}

/// One speedup of Lucent over a peer.
#[derive(Debug, Clone, Serialize)]
pub struct Ratio {
    /// The peer tool.
    pub peer: String,
    /// The mode of both sides.
    pub mode: String,
    /// Geometric mean over the files of Lucent's frames/s over the peer's.
    pub speedup: Option<f64>,
    /// Files in the mean: both decoded them and Lucent's pixels match the reference.
    pub files: usize,
    /// Smallest per-file ratio.
    pub min: Option<f64>,
    /// Largest per-file ratio.
    pub max: Option<f64>,
}

/// The ratios over one transfer syntax.
#[derive(Debug, Clone, Serialize)]
pub struct ClassSummary {
    /// Transfer syntax name.
    pub name: String,
    /// Image files of this syntax.
    pub files: usize,
    /// As [`Summary::one_thread`], over this syntax's files.
    pub one_thread: BTreeMap<String, Ratio>,
    /// As [`Summary::all_cores`], over this syntax's files.
    pub all_cores: BTreeMap<String, Ratio>,
}

/// Speedups of Lucent over each peer.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Lucent on one thread against each peer on one thread / one process ([`RATIOS`]).
    pub one_thread: BTreeMap<String, Ratio>,
    /// Lucent on all cores against N peer processes ([`RATIOS`]).
    pub all_cores: BTreeMap<String, Ratio>,
    /// The same per transfer syntax UID.
    pub by_class: BTreeMap<String, ClassSummary>,
    /// Image files measured.
    pub files: usize,
    /// Files whose Lucent pixels match the reference.
    pub files_matching: usize,
    /// Files no reference decoder could decode (pixels_match null).
    pub files_without_reference: usize,
}

fn case(f: &FileInfo, frames: u32, tool: &'static str, mode: &'static str, workers: usize) -> Case {
    Case {
        file: f.path.display().to_string(),
        transfer_syntax: f.transfer_syntax.clone(),
        photometric: f.photometric.clone(),
        frames,
        tool,
        mode,
        workers,
        window: None,
        frames_per_s: None,
        ms: None,
        cpu_per_wall: None,
        threads_observed: None,
        peak_rss_mb: None,
        pixels_match: None,
        note: None,
        error: None,
    }
}

fn lucent_render_all(path: &Path, first: u32, count: u32, voi: VoiChoice) -> Result<u32, String> {
    let file = PixelFile::open(path).map_err(|e| e.to_string())?;
    for k in first..first.saturating_add(count) {
        file.render(k, voi).map_err(|e| e.to_string())?;
    }
    Ok(count)
}

/// Lucent in process on `pool` (one or N threads): `workers × repeat` opens + renders, all
/// started at once, with the threads that ran. Every rayon user inside (jpeg-decoder's rayon
/// workers included) runs on `pool`, never on the global pool.
fn time_lucent(c: &mut Case, pool: &rayon::ThreadPool, path: &Path, voi: VoiChoice, repeat: usize) {
    let workers = c.workers;
    let frames = c.frames;
    // Read while the pool's threads wait: before `install` and after it returns.
    let before = thread_cpu_ns();
    let t = Instant::now();
    let runs: Vec<Result<f64, String>> = pool.install(|| {
        use rayon::prelude::*;
        (0..workers * repeat)
            .into_par_iter()
            .map(|_| {
                let t = Instant::now();
                lucent_render_all(path, 0, frames, voi).map(|_| t.elapsed().as_secs_f64() * 1000.0)
            })
            .collect()
    });
    let wall = t.elapsed().as_secs_f64() * 1000.0;
    let after = thread_cpu_ns();
    let (busy, cpu) = threads_between(&before, &after, wall);
    match runs.into_iter().collect::<Result<Vec<f64>, String>>() {
        Ok(ms) => {
            c.frames_per_s = Some(f64::from(frames) * ms.len() as f64 / (wall / 1000.0));
            c.ms = spread(&ms);
            c.cpu_per_wall = Some(cpu);
            c.threads_observed = Some(busy);
            c.peak_rss_mb = super::stats::rss_anon_mb();
        }
        Err(e) => c.error = Some(e),
    }
}

/// A Python peer in process: each of `peers` (one or N processes) times the same request at once.
fn time_python(
    c: &mut Case,
    peers: &mut [PythonPeer],
    path: &Path,
    count: Option<u32>,
    repeat: usize,
    window: Option<(f64, f64)>,
) {
    let t = Instant::now();
    let sent: Vec<Result<(), String>> = peers
        .iter_mut()
        .map(|p| p.send(path, 0, count, repeat, window))
        .collect();
    let answers: Vec<Result<PeerTiming, String>> = peers
        .iter_mut()
        .zip(sent)
        .map(|(p, s)| s.and_then(|()| p.receive()))
        .collect();
    let wall = t.elapsed().as_secs_f64() * 1000.0;
    // A peer that died on this file (GDCM crashes on some) is started again, so that the files
    // after it are still measured.
    for (p, a) in peers.iter_mut().zip(&answers) {
        if a.as_ref().is_err_and(|e| e.starts_with(peers::PEER_GONE))
            && let Some(fresh) = p.restart()
        {
            *p = fresh;
        }
    }
    match answers
        .into_iter()
        .collect::<Result<Vec<PeerTiming>, String>>()
    {
        Ok(a) => {
            let ms: Vec<f64> = a.iter().flat_map(|t| t.ms.iter().copied()).collect();
            let cpu: f64 = a.iter().flat_map(|t| t.cpu_ms.iter()).sum();
            let frames: u32 = a.first().map(|t| t.frames).unwrap_or(0);
            c.frames = frames;
            let decoded = f64::from(frames) * ms.len() as f64;
            // One process: its own clock (no pipe round trip); N processes: the harness's wall.
            let busy: f64 = if a.len() == 1 { ms.iter().sum() } else { wall };
            c.frames_per_s = (busy > 0.0).then(|| decoded / (busy / 1000.0));
            c.cpu_per_wall = (busy > 0.0).then(|| cpu / busy);
            c.ms = spread(&ms);
            c.note = a.first().and_then(|t| t.via.clone());
        }
        Err(e) => c.error = Some(e),
    }
}

/// A program and its arguments.
type Invocation = (String, Vec<String>);

/// A command per process: `repeat` rounds of `c.workers` processes at once.
fn time_command(c: &mut Case, program: &str, args: &[String], repeat: usize) {
    let mut ms = Vec::new();
    let (mut wall, mut cpu, mut cpu_known) = (0.0, 0.0, true);
    let mut rss: Option<f64> = None;
    for _ in 0..repeat {
        match peers::time_processes(program, args, c.workers) {
            Ok(run) => {
                wall += run.wall_ms;
                for p in &run.each {
                    ms.push(p.ms);
                    rss = match (rss, p.peak_rss_mb) {
                        (Some(a), Some(b)) => Some(a.max(b)),
                        (a, b) => a.or(b),
                    };
                    match p.cpu_ms {
                        Some(v) => cpu += v,
                        None => cpu_known = false,
                    }
                }
            }
            Err(e) => {
                c.error = Some(e);
                return;
            }
        }
    }
    c.frames_per_s = (wall > 0.0).then(|| ms.len() as f64 / (wall / 1000.0));
    c.cpu_per_wall = (cpu_known && wall > 0.0).then(|| cpu / wall);
    c.ms = spread(&ms);
    c.peak_rss_mb = rss;
}

/// Runs the decode benchmark.
pub fn run(opts: &DecodeOptions) -> DecodeResult {
    let date = utc_now();
    let load_before = load_average();
    let files = image_files(&opts.inputs);
    let work = tempfile::tempdir().expect("temp dir");
    let helper = work.path().join("lucent_bench_peer.py");
    std::fs::write(&helper, peers::PYTHON_HELPER).expect("write helper");
    let wants = |t: &str| opts.against.iter().any(|a| a == t);
    let workers = if opts.threads == 0 {
        cores()
    } else {
        opts.threads
    };
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
    tools.insert("gdcmconv".into(), gdcm_cli.clone());
    // N persistent processes per Python peer; the first also runs the one-process mode.
    let start = |python: &str, mode: &str| -> Vec<PythonPeer> {
        if !wants(mode) {
            return Vec::new();
        }
        let peers: Vec<PythonPeer> = (0..workers)
            .map_while(|_| PythonPeer::start(python, mode, &helper))
            .collect();
        if peers.len() == workers {
            peers
        } else {
            Vec::new()
        }
    };
    let mut gdcm_py = start("/usr/bin/python3", "gdcm");
    let mut pydicom = start("python3", "pydicom");
    tools.insert("gdcm".into(), gdcm_py.first().map(|p| p.version.clone()));
    tools.insert("pydicom".into(), pydicom.first().map(|p| p.version.clone()));
    let timed: BTreeMap<String, String> = tools
        .keys()
        .map(|t| (t.clone(), peers::timed(t).to_string()))
        .collect();
    let one_thread = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("thread pool");
    let all_threads = rayon::ThreadPoolBuilder::new()
        .num_threads(workers)
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
        let count = (!opts.all_frames).then_some(1);
        let comparison = compare(f, work.path());
        let matched = comparison.matches();
        // The same explicit window for every tool: the one the pixel check applied.
        let window = comparison.window;
        let voi = match window {
            Some((center, width)) => VoiChoice::Explicit { center, width },
            None => lucent_voi(f),
        };
        let mut file_cases = Vec::new();

        for (mode, pool, n) in [
            (IN_PROCESS_1, &one_thread, 1),
            (IN_PROCESS_ALL, &all_threads, workers),
        ] {
            let mut c = case(f, frames, "lucent", mode, n);
            time_lucent(&mut c, pool, &f.path, voi, repeat);
            file_cases.push(c);
        }
        for (tool, peers) in [("pydicom", &mut pydicom), ("gdcm", &mut gdcm_py)] {
            if peers.is_empty() {
                continue;
            }
            for (mode, n) in [(IN_PROCESS_1, 1), (IN_PROCESS_ALL, workers)] {
                let mut c = case(f, frames, tool, mode, n);
                time_python(&mut c, &mut peers[..n], &f.path, count, repeat, window);
                file_cases.push(c);
            }
        }

        // Per process, frame 1 only: lucent render (audited open included), dcmtk, gdcmconv.
        let out_png = work.path().join("out.png");
        let mut commands: Vec<(&'static str, Result<Invocation, String>)> = Vec::new();
        let mut lucent_args = vec![
            "--threads".to_string(),
            "1".into(),
            "render".into(),
            f.path.display().to_string(),
            "--overlays".into(),
            "-o".into(),
            out_png.display().to_string(),
        ];
        if let Some((c, w)) = window {
            lucent_args.push(format!("--window={c},{w}"));
        }
        commands.push((
            "lucent",
            Ok((lucent_bin.display().to_string(), lucent_args)),
        ));
        if dcmtk.is_some() {
            commands.push((
                "dcmtk",
                peers::dcmtk_program(&f.transfer_syntax)
                    .map(|p| (p.to_string(), dcmtk_args(f, &f.path, &out_png, window)))
                    .ok_or_else(|| format!("dcmtk has no decoder for {}", f.transfer_syntax)),
            ));
        }
        if gdcm_cli.is_some() {
            let raw = work.path().join("gdcm-raw.dcm");
            commands.push((
                "gdcmconv",
                Ok((
                    "gdcmconv".into(),
                    vec![
                        "--raw".into(),
                        f.path.display().to_string(),
                        raw.display().to_string(),
                    ],
                )),
            ));
        }
        for &(tool, ref command) in &commands {
            for (mode, n) in [(PER_PROCESS_1, 1), (PER_PROCESS_ALL, workers)] {
                let mut c = case(f, 1, tool, mode, n);
                match command {
                    Ok((program, args)) => time_command(&mut c, program, args, repeat),
                    Err(e) => c.error = Some(e.clone()),
                }
                file_cases.push(c);
            }
        }
        for c in &mut file_cases {
            c.pixels_match = matched;
            c.window = window.map(|(center, width)| [center, width]);
        }
        cases.extend(file_cases);
        progress.inc(1);
    }
    progress.finish_and_clear();
    let summary = summarize(&cases, files.len());
    DecodeResult {
        schema: "lucent-bench/decode/2",
        date,
        command: std::env::args().collect(),
        machine: Machine::current(),
        load_before,
        load_after: load_average(),
        tools,
        timed,
        repeat,
        workers,
        all_frames: opts.all_frames,
        cases,
        summary,
    }
}

fn ratio(cases: &[Case], files: &[&str], peer: &str, mode: &str) -> Ratio {
    let fps = |file: &str, tool: &str| {
        cases
            .iter()
            .find(|c| c.file == file && c.tool == tool && c.mode == mode && c.error.is_none())
            .and_then(|c| c.frames_per_s)
    };
    let ratios: Vec<f64> = files
        .iter()
        .filter_map(|n| Some(fps(n, "lucent")? / fps(n, peer)?))
        .collect();
    let s = spread(&ratios);
    Ratio {
        peer: peer.to_string(),
        mode: mode.to_string(),
        speedup: geometric_mean(&ratios),
        files: ratios.len(),
        min: s.map(|s| s.min),
        max: s.map(|s| s.max),
    }
}

fn ratios(cases: &[Case], files: &[&str], group: &str) -> BTreeMap<String, Ratio> {
    RATIOS
        .iter()
        .filter(|r| r.0 == group)
        .map(|&(_, key, peer, mode)| (key.to_string(), ratio(cases, files, peer, mode)))
        .collect()
}

/// Computes the summary from the cases (the same rule QA can recompute from the JSON): for each
/// of [`RATIOS`], the geometric mean over files whose pixels match of Lucent's frames/s over the
/// peer's in the same mode.
pub fn summarize(cases: &[Case], files: usize) -> Summary {
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
    let mut by_class = BTreeMap::new();
    let mut syntaxes: Vec<&str> = cases.iter().map(|c| c.transfer_syntax.as_str()).collect();
    syntaxes.sort_unstable();
    syntaxes.dedup();
    for ts in syntaxes {
        let of_class = |n: &&str| {
            cases
                .iter()
                .any(|c| c.file == *n && c.transfer_syntax == ts)
        };
        let class_files: Vec<&str> = matching.iter().copied().filter(of_class).collect();
        by_class.insert(
            ts.to_string(),
            ClassSummary {
                name: lucent_pixels::frames::transfer_syntax_name(ts).to_string(),
                files: names.iter().copied().filter(of_class).count(),
                one_thread: ratios(cases, &class_files, "one_thread"),
                all_cores: ratios(cases, &class_files, "all_cores"),
            },
        );
    }
    let without = names
        .iter()
        .filter(|n| {
            cases
                .iter()
                .any(|c| c.file == **n && c.pixels_match.is_none())
        })
        .count();
    Summary {
        one_thread: ratios(cases, &matching, "one_thread"),
        all_cores: ratios(cases, &matching, "all_cores"),
        by_class,
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
