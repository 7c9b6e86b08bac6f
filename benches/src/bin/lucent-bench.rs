//! `lucent-bench`: the QA harness. See the README's "QA: benchmarking a build" section.
//!
//! ```text
//! lucent-bench decode DIR... [--against dcmtk,gdcm,pydicom] [--repeat N] [--threads N]
//!                            [--all-frames] [--json OUT.json] [--report OUT.md] [--plot OUT.svg]
//! lucent-bench conformance DIR... [--markdown OUT.md] [--json OUT.json]
//! lucent-bench hostile DIR... [--as-gib 4] [--timeout-s 15] [--jobs 2] [--limit N]
//!                            [--min-rendered-percent P] [--json OUT.json] [--report OUT.md]
//! lucent-bench viewer DIR... [--cache-mb 1024] [--json OUT.json]
//! lucent-bench scale [--slices 500,1000,3000] [--cache-mb 256] [--json OUT.json]
//! ```
//! Progress goes to stderr; results to the files named, and a short summary to stdout.

use clap::{Parser, Subcommand};
use lucent_bench::harness::{conformance, decode, hostile, peers, viewer};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "lucent-bench", version, about = "Lucent's QA harness")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decode + modality LUT + window to 8 bits: Lucent against the peers, per file, like with
    /// like (the same window and frames; one thread against one process, N threads against N
    /// processes).
    Decode {
        /// Folders or files (scanned recursively for images).
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// Peers: any of dcmtk, gdcm, pydicom.
        #[arg(long, value_delimiter = ',', default_value = "dcmtk,gdcm,pydicom")]
        against: Vec<String>,
        /// Repetitions per file and mode.
        #[arg(long, default_value_t = 5)]
        repeat: usize,
        /// Workers of the all-cores modes: Lucent's threads and each peer's processes (0: cores).
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Time all frames of multi-frame files in process, not just the first (per process
        /// still times frame 1).
        #[arg(long)]
        all_frames: bool,
        /// JSON result.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Markdown report.
        #[arg(long)]
        report: Option<PathBuf>,
        /// SVG chart.
        #[arg(long)]
        plot: Option<PathBuf>,
    },
    /// Decoder conformance: every image against the reference decoder, grouped by transfer
    /// syntax × photometric × bit depth (docs/CONFORMANCE.md).
    Conformance {
        /// Folders or files (scanned recursively for images).
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// Markdown report.
        #[arg(long)]
        markdown: Option<PathBuf>,
        /// JSON, one object per file.
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// A malformed corpus through `lucent info --json` and `lucent render`, one process per run
    /// under an address-space and a time limit; exits 1 on any panic, crash, hang or untyped
    /// error. Run it with a keychain (`scripts/with-keyring.sh`): render audits every open.
    Hostile {
        /// Folders or files.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// Address-space limit per process, GiB.
        #[arg(long, default_value_t = 4)]
        as_gib: u64,
        /// Time limit per process, seconds.
        #[arg(long, default_value_t = 15)]
        timeout_s: u64,
        /// Parallel processes.
        #[arg(long, default_value_t = 2)]
        jobs: usize,
        /// At most this many files, spread evenly over the corpus (0: all).
        #[arg(long, default_value_t = 0)]
        limit: usize,
        /// Fail unless at least this percentage of the files render to an image.
        #[arg(long, default_value_t = hostile::DEFAULT_MIN_RENDERED_PERCENT)]
        min_rendered_percent: f64,
        /// JSON result.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Markdown report.
        #[arg(long)]
        report: Option<PathBuf>,
    },
    /// The viewer's access pattern on a folder: first image, scroll cold and warm.
    Viewer {
        /// Folders or files.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// Frame cache cap in MiB.
        #[arg(long, default_value_t = 1024)]
        cache_mb: u64,
        /// JSON result.
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// First image, scroll latency and memory against series length (generated series).
    Scale {
        /// Series lengths.
        #[arg(long, value_delimiter = ',', default_value = "500,1000,3000")]
        slices: Vec<usize>,
        /// Frame cache cap in MiB.
        #[arg(long, default_value_t = 256)]
        cache_mb: u64,
        /// JSON result.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Internal: run one point in this process and print it as JSON.
        #[arg(long, hide = true)]
        one: bool,
    },
}

fn write_json(path: &Option<PathBuf>, value: &impl serde::Serialize) -> Result<(), String> {
    if let Some(p) = path {
        let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
        std::fs::write(p, text).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    Ok(())
}

fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Decode {
            inputs,
            against,
            repeat,
            threads,
            all_frames,
            json,
            report,
            plot,
        } => {
            let opts = decode::DecodeOptions {
                inputs,
                against,
                repeat,
                threads,
                all_frames,
            };
            let result = decode::run(&opts);
            decode::write_outputs(&result, json.as_deref(), report.as_deref(), plot.as_deref())
                .map_err(|e| e.to_string())?;
            let show = |ratios: &std::collections::BTreeMap<String, decode::Ratio>| {
                ratios
                    .iter()
                    .map(|(k, r)| {
                        format!(
                            "{k} {} over {} files",
                            r.speedup
                                .map(|x| format!("{x:.2}×"))
                                .unwrap_or_else(|| "–".into()),
                            r.files
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            println!(
                "{} files ({} matching the reference); Lucent 1 thread vs 1: {}; Lucent {} threads vs {} processes: {}",
                result.summary.files,
                result.summary.files_matching,
                show(&result.summary.one_thread),
                result.workers,
                result.workers,
                show(&result.summary.all_cores),
            );
            Ok(())
        }
        Command::Hostile {
            inputs,
            as_gib,
            timeout_s,
            jobs,
            limit,
            min_rendered_percent,
            json,
            report,
        } => {
            let opts = hostile::HostileOptions {
                inputs,
                lucent: peers::lucent_binary(),
                address_space: as_gib << 30,
                timeout: std::time::Duration::from_secs(timeout_s),
                jobs,
                limit,
                min_rendered_percent,
            };
            let result = hostile::run(&opts);
            write_json(&json, &result)?;
            let md = hostile::markdown(&result);
            if let Some(p) = &report {
                std::fs::write(p, &md).map_err(|e| format!("{}: {e}", p.display()))?;
            }
            println!(
                "{}",
                md.lines()
                    .next()
                    .unwrap_or_default()
                    .trim_start_matches("# ")
            );
            for (command, totals) in &result.totals {
                println!("  {command}: {totals:?}");
            }
            for f in result.failures.iter().take(20) {
                println!("  FAIL {} {}: {:?}", f.command, f.file, f.outcome);
            }
            let problems = result.problems();
            if !problems.is_empty() {
                return Err(problems.join("; "));
            }
            Ok(())
        }
        Command::Conformance {
            inputs,
            markdown,
            json,
        } => {
            let results = conformance::run(&inputs);
            write_json(&json, &results)?;
            let md = conformance::markdown(&results, &inputs, &conformance::tools_text());
            if let Some(p) = &markdown {
                std::fs::write(p, &md).map_err(|e| format!("{}: {e}", p.display()))?;
            }
            let summary = md
                .lines()
                .find(|l| l.starts_with("**") && l.contains(" images: "))
                .unwrap_or_default()
                .trim_matches('*')
                .to_string();
            println!("{summary}");
            Ok(())
        }
        Command::Viewer {
            inputs,
            cache_mb,
            json,
        } => {
            let result = viewer::run(&inputs, cache_mb, None)?;
            write_json(&json, &result)?;
            println!(
                "{}",
                serde_json::to_string(&result).map_err(|e| e.to_string())?
            );
            match result.frames_failed() {
                0 => Ok(()),
                n => Err(format!("{n} frame(s) failed: the run does not count")),
            }
        }
        Command::Scale {
            slices,
            cache_mb,
            json,
            one,
        } => {
            if one {
                let r = viewer::scale_one(slices[0], cache_mb, None)?;
                println!("{}", serde_json::to_string(&r).map_err(|e| e.to_string())?);
                return match r.frames_failed {
                    0 => Ok(()),
                    n => Err(format!("{n} frame(s) failed")),
                };
            }
            let exe = std::env::current_exe().map_err(|e| e.to_string())?;
            let mut runs = Vec::new();
            for n in slices {
                eprintln!("scale: {n} slices");
                let out = std::process::Command::new(&exe)
                    .args([
                        "scale",
                        "--one",
                        "--slices",
                        &n.to_string(),
                        "--cache-mb",
                        &cache_mb.to_string(),
                    ])
                    .output()
                    .map_err(|e| e.to_string())?;
                // A run whose frames failed still reports them (and fails the command below).
                let r = match serde_json::from_slice::<viewer::ScaleRun>(&out.stdout) {
                    Ok(r) if out.status.success() || r.frames_failed > 0 => r,
                    _ => {
                        return Err(format!(
                            "scale run for {n} slices failed: {}",
                            String::from_utf8_lossy(&out.stderr)
                        ));
                    }
                };
                runs.push(r);
            }
            let failed: usize = runs.iter().map(|r| r.frames_failed).sum();
            let result = viewer::ScaleResult {
                schema: "lucent-bench/scale/2",
                cache_mb,
                runs,
            };
            write_json(&json, &result)?;
            println!(
                "{}",
                serde_json::to_string(&result).map_err(|e| e.to_string())?
            );
            match failed {
                0 => Ok(()),
                n => Err(format!("{n} frame(s) failed: the run does not count")),
            }
        }
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}
