//! `lucent-bench hostile`: every file of a malformed corpus through `lucent info --json` and
//! `lucent render`, each in its own process under an address-space limit (`prlimit --as`, 4 GiB
//! by default) and a time limit (15 s), the way a CD, a USB stick or a PACS would hand them over.
//!
//! Each run is classified: **ok** (exit 0), **typed** (exit 1 with one `error: E_…` line; the
//! code is counted), or a failure: **panic** (exit 101, `E_INTERNAL` — which is what a codec
//! panic caught by lucent-pixels becomes — or a panic message on stderr: a contained bug is still
//! a bug), **crash** (killed by a signal: SIGSEGV, SIGABRT — which is also how an allocation past
//! the address-space limit ends), **hang** (past the time limit, killed), **untyped** (any other
//! exit or an error line without a code), **environment** (a keychain, audit-trail or managed-policy
//! code: the file was never decoded, so the run proves nothing about it).
//!
//! The run passes when no run failed **and** at least [`HostileOptions::min_rendered`] renders
//! succeeded: a run in which every render ends in a typed error (a build that refuses everything)
//! must not pass. The command exits non-zero otherwise.

use serde::Serialize;
use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Options.
#[derive(Debug, Clone)]
pub struct HostileOptions {
    /// Folders (or files) of the corpus.
    pub inputs: Vec<PathBuf>,
    /// The `lucent` binary.
    pub lucent: PathBuf,
    /// Address-space limit per process, bytes.
    pub address_space: u64,
    /// Time limit per process.
    pub timeout: Duration,
    /// Parallel processes.
    pub jobs: usize,
    /// At most this many files (0: all), taken evenly across the sorted list.
    pub limit: usize,
    /// The run fails when fewer than this percentage of the files run render to an image
    /// (exit 0). See `DEFAULT_MIN_RENDERED_PERCENT` for how the default was chosen.
    pub min_rendered_percent: f64,
}

/// The default floor of renders that produce an image, as a percentage of the files run.
///
/// Most of the corpus is refused by design (truncated, lying lengths, broken attributes): a
/// healthy run measured 550 of 7,733 files rendering to an image (7.1 %), and 21 of the 300 that
/// `--limit 300` picks (7.0 %; release build, 2 jobs, 2026-12). The floor is about half of that:
/// 12 of 300. A build that refuses everything (no keychain, a decoder or audit path broken for
/// every file) gives 0 and fails; the spread of a changed corpus generator stays above it.
pub const DEFAULT_MIN_RENDERED_PERCENT: f64 = 4.0;

/// How one run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Exit 0.
    Ok,
    /// Exit 1 with a typed error: (code, the error line).
    Typed(String, String),
    /// A panic (exit 101 or E_INTERNAL).
    Panic(String),
    /// Killed by a signal.
    Crash(String),
    /// Past the time limit.
    Hang,
    /// Anything else.
    Untyped(String),
    /// A keychain, audit-trail or managed-policy error: (code, the error line). Not about the
    /// file: the environment of the run is broken (e.g. no Secret Service).
    Environment(String, String),
}

impl Outcome {
    fn is_failure(&self) -> bool {
        !matches!(self, Outcome::Ok | Outcome::Typed(..))
    }
}

/// Whether a code says the run's environment failed (the access could not be audited or
/// authorised), not that the file was refused.
fn is_environment_code(code: &str) -> bool {
    use lucent_error::ErrorCode;
    matches!(
        ErrorCode::from_code_str(code),
        Some(
            ErrorCode::AuditUnavailable
                | ErrorCode::KeychainUnavailable
                | ErrorCode::AuditKeyLost
                | ErrorCode::AuditTampered
                | ErrorCode::AuditUnsealable
                | ErrorCode::PolicyInvalid
        )
    )
}

/// One (file, command) run.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    /// The file.
    pub file: String,
    /// `info` or `render`.
    pub command: &'static str,
    /// How it ended.
    pub outcome: Outcome,
    /// Wall time, ms.
    pub ms: f64,
}

/// The result.
#[derive(Debug, Clone, Serialize)]
pub struct HostileResult {
    /// Schema id.
    pub schema: &'static str,
    /// Files run.
    pub files: usize,
    /// Limits used.
    pub address_space_bytes: u64,
    /// Time limit, s.
    pub timeout_s: f64,
    /// Per command: ok, typed, panic, crash, hang, untyped counts.
    pub totals: BTreeMap<String, BTreeMap<String, usize>>,
    /// Typed error codes seen, per command.
    pub codes: BTreeMap<String, BTreeMap<String, usize>>,
    /// One error line per code (the first seen), for reading the report.
    pub examples: BTreeMap<String, String>,
    /// Every failing run.
    pub failures: Vec<Run>,
    /// The ten slowest runs.
    pub slowest: Vec<Run>,
    /// Wall time of the whole run, s.
    pub wall_s: f64,
    /// Renders that ended with an image.
    pub rendered: usize,
    /// The floor for `rendered` this run was held to.
    pub min_rendered: usize,
}

impl HostileResult {
    /// Number of failing runs (the target is 0).
    pub fn failure_count(&self) -> usize {
        self.failures.len()
    }

    /// Why the run fails, if it does: failing runs, and too few renders.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.failures.is_empty() {
            out.push(format!("{} failing runs", self.failures.len()));
        }
        if self.rendered < self.min_rendered {
            out.push(format!(
                "only {} of {} renders produced an image; at least {} must",
                self.rendered, self.files, self.min_rendered
            ));
        }
        out
    }
}

fn files(inputs: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for input in inputs {
        for e in walkdir::WalkDir::new(input)
            .sort_by_file_name()
            .into_iter()
            .flatten()
        {
            if e.file_type().is_file() {
                out.push(e.into_path());
            }
        }
    }
    out
}

/// Runs one command on one file under the limits.
fn run_one(opts: &HostileOptions, file: &Path, command: &'static str, out_png: &Path) -> Run {
    let mut cmd = Command::new("prlimit");
    cmd.arg(format!("--as={}", opts.address_space))
        .arg("--core=0")
        .arg("--")
        .arg(&opts.lucent);
    match command {
        "info" => {
            cmd.args(["info", "--json"]).arg(file);
        }
        _ => {
            cmd.arg("render").arg(file).arg("-o").arg(out_png);
        }
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let outcome = match cmd.spawn() {
        Err(e) => Outcome::Untyped(format!("could not start: {e}")),
        Ok(mut child) => {
            // Drain the pipes on threads so a chatty child cannot block on a full pipe.
            let mut stdout = child.stdout.take();
            let mut stderr = child.stderr.take();
            let out_thread = std::thread::spawn(move || {
                let mut s = Vec::new();
                if let Some(o) = stdout.as_mut() {
                    let _ = std::io::Read::read_to_end(o, &mut s);
                }
                s
            });
            let err_thread = std::thread::spawn(move || {
                let mut s = Vec::new();
                if let Some(e) = stderr.as_mut() {
                    let _ = std::io::Read::read_to_end(e, &mut s);
                }
                s
            });
            let deadline = started + opts.timeout;
            let status = loop {
                match child.try_wait() {
                    Ok(Some(status)) => break Some(status),
                    Ok(None) if Instant::now() >= deadline => {
                        let _ = child.kill();
                        let _ = child.wait();
                        break None;
                    }
                    Ok(None) => std::thread::sleep(Duration::from_millis(2)),
                    Err(_) => break None,
                }
            };
            let stdout = out_thread.join().unwrap_or_default();
            let stderr = err_thread.join().unwrap_or_default();
            classify(status, &stdout, &stderr)
        }
    };
    Run {
        file: file.display().to_string(),
        command,
        outcome,
        ms: started.elapsed().as_secs_f64() * 1000.0,
    }
}

fn classify(status: Option<std::process::ExitStatus>, stdout: &[u8], stderr: &[u8]) -> Outcome {
    let Some(status) = status else {
        return Outcome::Hang;
    };
    let stderr = String::from_utf8_lossy(stderr);
    let first_error = stderr
        .lines()
        .find(|l| l.starts_with("error: "))
        .map(str::to_string);
    if let Some(signal) = status.signal() {
        return Outcome::Crash(format!(
            "signal {signal}: {}",
            stderr.lines().last().unwrap_or("")
        ));
    }
    let contained_bug =
        String::from_utf8_lossy(stdout).contains("E_INTERNAL") || stderr.contains("E_INTERNAL");
    // The default panic hook prints this even when the panic is caught (lucent-pixels contains
    // codec panics, the CLI contains the rest): whatever the exit, a panic happened.
    let panic_message = stderr.lines().find(|l| l.contains("panicked at"));
    if let Some(line) = panic_message {
        return Outcome::Panic(line.to_string());
    }
    match status.code() {
        Some(0) if contained_bug => Outcome::Panic("E_INTERNAL in the output".into()),
        Some(0) => Outcome::Ok,
        Some(101) => Outcome::Panic(stderr.lines().next().unwrap_or("").to_string()),
        Some(1) => match first_error.as_deref().and_then(|l| {
            l.strip_prefix("error: ")?
                .split(':')
                .next()
                .filter(|c| c.starts_with("E_"))
                .map(str::to_string)
        }) {
            Some(code) if code == "E_INTERNAL" => Outcome::Panic(first_error.unwrap_or_default()),
            Some(code) if is_environment_code(&code) => {
                Outcome::Environment(code, first_error.unwrap_or_default())
            }
            Some(code) => Outcome::Typed(code, first_error.unwrap_or_default()),
            None => Outcome::Untyped(stderr.lines().next().unwrap_or("").to_string()),
        },
        other => Outcome::Untyped(format!(
            "exit {other:?}: {}",
            stderr.lines().next().unwrap_or("")
        )),
    }
}

/// Runs the corpus.
pub fn run(opts: &HostileOptions) -> HostileResult {
    let mut all = files(&opts.inputs);
    if opts.limit > 0 && all.len() > opts.limit {
        let step = all.len() as f64 / opts.limit as f64;
        all = (0..opts.limit)
            .map(|i| all[(i as f64 * step) as usize].clone())
            .collect();
    }
    let work = tempfile::tempdir().expect("temp dir");
    let started = Instant::now();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs.max(1))
        .build()
        .expect("thread pool");
    let progress = indicatif::ProgressBar::new(all.len() as u64);
    let runs: Vec<Run> = pool.install(|| {
        use rayon::prelude::*;
        all.par_iter()
            .flat_map_iter(|f| {
                let out_png = work.path().join(format!(
                    "out-{}.png",
                    rayon::current_thread_index().unwrap_or(0)
                ));
                let runs = [
                    run_one(opts, f, "info", &out_png),
                    run_one(opts, f, "render", &out_png),
                ];
                progress.inc(1);
                runs
            })
            .collect()
    });
    progress.finish_and_clear();
    let mut totals: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    let mut codes: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    let mut examples: BTreeMap<String, String> = BTreeMap::new();
    for r in &runs {
        let kind = match &r.outcome {
            Outcome::Ok => "ok",
            Outcome::Typed(code, line) => {
                examples.entry(code.clone()).or_insert_with(|| line.clone());
                *codes
                    .entry(r.command.into())
                    .or_default()
                    .entry(code.clone())
                    .or_default() += 1;
                "typed"
            }
            Outcome::Panic(_) => "panic",
            Outcome::Crash(_) => "crash",
            Outcome::Hang => "hang",
            Outcome::Untyped(_) => "untyped",
            Outcome::Environment(..) => "environment",
        };
        *totals
            .entry(r.command.into())
            .or_default()
            .entry(kind.into())
            .or_default() += 1;
    }
    let mut slowest = runs.clone();
    slowest.sort_by(|a, b| b.ms.total_cmp(&a.ms));
    slowest.truncate(10);
    HostileResult {
        schema: "lucent-bench/hostile/1",
        files: all.len(),
        address_space_bytes: opts.address_space,
        timeout_s: opts.timeout.as_secs_f64(),
        totals,
        codes,
        examples,
        failures: runs
            .iter()
            .filter(|r| r.outcome.is_failure())
            .cloned()
            .collect(),
        slowest,
        wall_s: started.elapsed().as_secs_f64(),
        rendered: runs
            .iter()
            .filter(|r| r.command == "render" && r.outcome == Outcome::Ok)
            .count(),
        min_rendered: (all.len() as f64 * opts.min_rendered_percent / 100.0).ceil() as usize,
    }
}

/// A short Markdown report.
pub fn markdown(r: &HostileResult) -> String {
    use std::fmt::Write as _;
    let problems = r.problems();
    let verdict = if problems.is_empty() {
        "passed".to_string()
    } else {
        format!("FAILED: {}", problems.join("; "))
    };
    let mut md = format!(
        "# Hostile input: {} files, {} failing runs, {} renders with an image (at least {} required): {verdict}\n\nEach file through `lucent info --json` and `lucent render`, one process each, address space ≤ {} GiB, {} s each; {:.0} s in all.\n\n| command | ok | typed error | panic | crash | hang | untyped | environment |\n|---|---|---|---|---|---|---|---|\n",
        r.files,
        r.failure_count(),
        r.rendered,
        r.min_rendered,
        r.address_space_bytes >> 30,
        r.timeout_s,
        r.wall_s
    );
    for (command, t) in &r.totals {
        let n = |k: &str| t.get(k).copied().unwrap_or(0);
        let _ = writeln!(
            md,
            "| {command} | {} | {} | {} | {} | {} | {} | {} |",
            n("ok"),
            n("typed"),
            n("panic"),
            n("crash"),
            n("hang"),
            n("untyped"),
            n("environment")
        );
    }
    md.push_str("\n## Typed errors\n\n");
    for (command, c) in &r.codes {
        let list: Vec<String> = c.iter().map(|(k, v)| format!("`{k}` {v}")).collect();
        let _ = writeln!(md, "- {command}: {}", list.join(", "));
    }
    md.push_str("\n## One example per code\n\n");
    for (code, line) in &r.examples {
        let _ = writeln!(md, "- `{code}`: {}", line.replace('`', "'"));
    }
    md.push_str("\n## Slowest runs\n\n");
    for s in &r.slowest {
        let _ = writeln!(md, "- {:.0} ms `{}` {}", s.ms, s.command, s.file);
    }
    if !r.failures.is_empty() {
        md.push_str("\n## Failures\n\n");
        for f in &r.failures {
            let _ = writeln!(md, "- `{}` {}: {:?}", f.command, f.file, f.outcome);
        }
    }
    md
}
