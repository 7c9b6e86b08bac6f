//! `lucent-mutate`: mutation fuzzing of the pixel pipeline's decoders, crash-isolated.
//!
//! ```text
//! lucent-mutate [--iterations N] [--seed S] FILE...
//! ```
//! For every seed file, N mutants (byte flips and overwrites in the pixel data, truncations,
//! duplicated chunks) are opened and every frame rendered. Each seed runs in a child process; a
//! child that dies by a signal or exceeds the time limit is a crash or hang, reported with the
//! mutant's number so it can be reproduced (`--only K`). The summary counts outcomes per error
//! code: the evidence for the decoder containment decision (`docs/ARCHITECTURE.md`).

use lucent_error::HasErrorCode;
use lucent_pixels::{PixelFile, VoiChoice};
use lucent_testdata::Rng;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Longest one mutant may take (open + render up to 4 frames) before it counts as a hang.
const MUTANT_TIME_LIMIT: Duration = Duration::from_secs(15);

fn mutate(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut m = seed.to_vec();
    let len = m.len().max(1) as u64;
    // Mutate mostly the last 80% of the file, where pixel data lives.
    let region = |rng: &mut Rng| ((len / 5) + rng.below(len - len / 5)) as usize;
    match rng.below(5) {
        0 | 1 => {
            for _ in 0..=rng.below(16) {
                let i = region(rng).min(m.len().saturating_sub(1));
                if let Some(b) = m.get_mut(i) {
                    *b ^= 1 << rng.below(8);
                }
            }
        }
        2 => {
            let i = region(rng).min(m.len().saturating_sub(4));
            let v = [0x00, 0xFF, 0x7F, 0x80][rng.below(4) as usize];
            for b in m.iter_mut().skip(i).take(4) {
                *b = v;
            }
        }
        3 => {
            let cut = region(rng);
            m.truncate(cut);
        }
        _ => {
            let start = region(rng).min(m.len());
            let end = (start + 1 + rng.below(256) as usize).min(m.len());
            let chunk = m[start..end].to_vec();
            let at = region(rng).min(m.len());
            m.splice(at..at, chunk);
        }
    }
    m
}

/// Child: runs mutants `from..iterations` of one seed, printing each index before running it.
fn worker(file: &Path, seed: u64, from: u64, iterations: u64, only: Option<u64>) {
    let bytes = std::fs::read(file).expect("read seed");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("mutant.dcm");
    let mut rng = Rng::new(seed);
    let mut out = std::io::stdout().lock();
    for i in 0..iterations {
        let mutant = mutate(&bytes, &mut rng);
        if i < from || only.is_some_and(|k| k != i) {
            continue;
        }
        std::fs::write(&path, &mutant).expect("write mutant");
        let _ = writeln!(out, "start {i}");
        let _ = out.flush();
        let outcome = match PixelFile::open(&path) {
            Err(e) => e.code().as_str().to_string(),
            Ok(f) => {
                let mut code = "OK".to_string();
                for k in 0..f.frame_count().min(4) {
                    if let Err(e) = f.render(k, VoiChoice::FromHeader) {
                        code = e.code().as_str().to_string();
                        break;
                    }
                }
                code
            }
        };
        let _ = writeln!(out, "done {i} {outcome}");
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--worker") {
        let file = PathBuf::from(&args[1]);
        let parse = |i: usize| args[i].parse::<u64>().expect("number");
        let only = args.get(5).map(|s| s.parse::<u64>().expect("number"));
        worker(&file, parse(2), parse(3), parse(4), only);
        return;
    }
    let mut iterations = 2000u64;
    let mut seed = 1u64;
    let mut only = None;
    let mut files = Vec::new();
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--iterations" => {
                iterations = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("--iterations N")
            }
            "--seed" => seed = it.next().and_then(|v| v.parse().ok()).expect("--seed S"),
            "--only" => only = it.next().and_then(|v| v.parse().ok()),
            _ => files.push(PathBuf::from(a)),
        }
    }
    if files.is_empty() {
        eprintln!("usage: lucent-mutate [--iterations N] [--seed S] [--only K] FILE...");
        std::process::exit(2);
    }
    let exe = std::env::current_exe().expect("own path");
    let started = Instant::now();
    let mut totals: BTreeMap<String, u64> = BTreeMap::new();
    let mut incidents = Vec::new();
    for file in &files {
        let mut from = 0;
        let mut per_file: BTreeMap<String, u64> = BTreeMap::new();
        while from < iterations {
            let mut child = Command::new(&exe)
                .arg("--worker")
                .arg(file)
                .args([seed.to_string(), from.to_string(), iterations.to_string()])
                .args(only.map(|k: u64| k.to_string()))
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn worker");
            let stdout = child.stdout.take().expect("stdout");
            let progress = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
            let seen = progress.clone();
            let reader = std::thread::spawn(move || {
                let mut last_started = None;
                let mut outcomes = Vec::new();
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    let parts: Vec<&str> = line.split_whitespace().collect();
                    seen.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    match parts.as_slice() {
                        ["start", i] => last_started = i.parse::<u64>().ok(),
                        ["done", _, code] => outcomes.push(code.to_string()),
                        _ => {}
                    }
                }
                (last_started, outcomes)
            });
            let mut deadline = Instant::now() + MUTANT_TIME_LIMIT;
            let mut last_progress = 0;
            let status = loop {
                if let Some(status) = child.try_wait().expect("wait") {
                    break Some(status);
                }
                let now_progress = progress.load(std::sync::atomic::Ordering::Relaxed);
                if now_progress != last_progress {
                    last_progress = now_progress;
                    deadline = Instant::now() + MUTANT_TIME_LIMIT;
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    break None;
                }
                std::thread::sleep(Duration::from_millis(20));
            };
            let (last_started, outcomes) = reader.join().expect("reader");
            for code in outcomes {
                *per_file.entry(code).or_default() += 1;
            }
            match status {
                Some(s) if s.success() => break,
                Some(s) => {
                    let k = last_started.unwrap_or(from);
                    incidents.push(format!(
                        "CRASH {} mutant {k} (--seed {seed} --only {k}): {s}",
                        file.display()
                    ));
                    *per_file.entry("CRASH".into()).or_default() += 1;
                    from = k + 1;
                }
                None => {
                    let k = last_started.unwrap_or(from);
                    incidents.push(format!(
                        "HANG {} mutant {k} (--seed {seed} --only {k}): over {MUTANT_TIME_LIMIT:?}",
                        file.display()
                    ));
                    *per_file.entry("HANG".into()).or_default() += 1;
                    from = k + 1;
                }
            }
            if only.is_some() {
                break;
            }
        }
        let summary: Vec<String> = per_file.iter().map(|(k, v)| format!("{k}={v}")).collect();
        println!("{}: {}", file.display(), summary.join(" "));
        for (k, v) in per_file {
            *totals.entry(k).or_default() += v;
        }
    }
    let executions: u64 = totals.values().sum();
    println!(
        "total: {executions} executions in {:.1} s; {}",
        started.elapsed().as_secs_f64(),
        totals
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    for i in &incidents {
        println!("{i}");
    }
    if !incidents.is_empty() {
        std::process::exit(1);
    }
}
