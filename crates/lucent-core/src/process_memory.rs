//! Memory of a process and all its descendants, read from `/proc` (Linux), for the benchmarks.
//!
//! The viewer's pixels do not all live in its own process: WebKit's web process holds the
//! canvases and decoded images, its network process the IPC buffers. A figure from
//! `/proc/self` alone understates the viewer, so the benchmarks report the sum over the process
//! tree, and each process on its own:
//!
//! - `RssAnon` (`/proc/PID/status`): resident anonymous memory, what the memory targets are
//!   stated in (file pages of mapped or cached DICOM files excluded). Summed over processes it
//!   counts a page shared by two of them twice (copy-on-write after `fork`).
//! - `Pss` (`/proc/PID/smaps_rollup`, Linux 4.14+): proportional set size, shared pages split
//!   between the processes that map them (file-backed pages included), so the tree's sum counts
//!   each page once. `None` where the kernel has no `smaps_rollup` or it cannot be read.
//!
//! [`tree_memory`] reads the tree once; [`Sampler`] samples it on a thread and keeps the peaks.
//! Descendants are found by each process's parent id (`/proc/PID/stat`), so a process started
//! after the previous sample is counted from the next one on. Elsewhere than Linux the tree is
//! empty.

use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// One process's memory at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProcessMemory {
    /// Process id.
    pub pid: u32,
    /// Its command name (`/proc/PID/comm`, at most 15 bytes: `WebKitWebProces`).
    pub name: String,
    /// `RssAnon` in KiB.
    pub rss_anon_kib: u64,
    /// `Pss` in KiB, when `smaps_rollup` could be read.
    pub pss_kib: Option<u64>,
}

/// A process tree's memory at one moment: the root first, then its descendants.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct TreeMemory {
    /// Every process of the tree that could be read.
    pub processes: Vec<ProcessMemory>,
}

const KIB_PER_MIB: f64 = 1024.0;

impl TreeMemory {
    /// Sum of `RssAnon` over the tree, in KiB.
    pub fn rss_anon_kib(&self) -> u64 {
        self.processes.iter().map(|p| p.rss_anon_kib).sum()
    }

    /// Sum of `Pss` over the tree, in KiB; `None` when any process's could not be read (a
    /// partial sum would understate the tree).
    pub fn pss_kib(&self) -> Option<u64> {
        self.processes.iter().map(|p| p.pss_kib).sum()
    }
}

/// The value in KiB of a `Name:   1234 kB` line of a `/proc` file.
fn kib_field(text: &str, name: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The parent id from `/proc/PID/stat` (`pid (comm) state ppid ...`; the command name may hold
/// spaces and parentheses, so the fields are read after the last `)`).
fn parent_of(stat: &str) -> Option<u32> {
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// One process's memory; `None` when it has gone or cannot be read.
pub fn process_memory(pid: u32) -> Option<ProcessMemory> {
    let dir = Path::new("/proc").join(pid.to_string());
    let status = std::fs::read_to_string(dir.join("status")).ok()?;
    // A kernel thread or a zombie has no RssAnon line: it holds no user memory.
    let rss_anon_kib = kib_field(&status, "RssAnon").unwrap_or(0);
    let pss_kib = std::fs::read_to_string(dir.join("smaps_rollup"))
        .ok()
        .and_then(|s| kib_field(&s, "Pss"));
    let name = std::fs::read_to_string(dir.join("comm"))
        .map(|s| s.trim_end().to_string())
        .unwrap_or_default();
    Some(ProcessMemory {
        pid,
        name,
        rss_anon_kib,
        pss_kib,
    })
}

/// `root` and the ids of all its descendants (children, their children, …), root first.
pub fn process_tree(root: u32) -> Vec<u32> {
    let mut children: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            if let Some(ppid) = std::fs::read_to_string(entry.path().join("stat"))
                .ok()
                .as_deref()
                .and_then(parent_of)
            {
                children.entry(ppid).or_default().push(pid);
            }
        }
    }
    let mut tree = vec![root];
    let mut next = 0;
    while next < tree.len() {
        let pid = tree[next];
        next += 1;
        for &child in children.get(&pid).map(Vec::as_slice).unwrap_or_default() {
            // A pid reused while /proc was read could form a cycle: never visit twice.
            if !tree.contains(&child) {
                tree.push(child);
            }
        }
    }
    tree
}

/// The memory of `root` and all its descendants now.
pub fn tree_memory(root: u32) -> TreeMemory {
    TreeMemory {
        processes: process_tree(root)
            .into_iter()
            .filter_map(process_memory)
            .collect(),
    }
}

/// The highest values seen over a run's samples, for the tree and per process.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PeakMemory {
    /// What is summed and how (a sentence for the JSON reader).
    pub measure: &'static str,
    /// Samples taken.
    pub samples: u64,
    /// Highest sum of `RssAnon` over the tree in one sample (MiB).
    pub tree_rss_anon_mb: f64,
    /// Highest sum of `Pss` over the tree in one sample (MiB); `None` if any sample lacked one.
    pub tree_pss_mb: Option<f64>,
    /// Per process (by pid), the highest `RssAnon` and `Pss` it had in any sample.
    pub processes: Vec<ProcessPeak>,
}

/// One process's peaks over a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProcessPeak {
    /// Process id.
    pub pid: u32,
    /// Command name.
    pub name: String,
    /// Highest `RssAnon` (MiB).
    pub rss_anon_mb: f64,
    /// Highest `Pss` (MiB), when readable.
    pub pss_mb: Option<f64>,
}

const MEASURE: &str = "sum over the process and all its descendants (/proc/PID/stat parent ids) \
    of RssAnon (/proc/PID/status) and of Pss (/proc/PID/smaps_rollup), sampled during the run; \
    the tree's peak is the highest sum in one sample";

/// Accumulates samples of a tree into its peaks.
#[derive(Debug, Clone, Default)]
pub struct PeakTracker {
    samples: u64,
    tree_rss_anon_kib: u64,
    tree_pss_kib: Option<u64>,
    pss_missing: bool,
    processes: BTreeMap<u32, (String, u64, Option<u64>)>,
}

impl PeakTracker {
    /// Adds one sample.
    pub fn add(&mut self, tree: &TreeMemory) {
        self.samples += 1;
        self.tree_rss_anon_kib = self.tree_rss_anon_kib.max(tree.rss_anon_kib());
        match tree.pss_kib() {
            Some(p) => self.tree_pss_kib = Some(self.tree_pss_kib.unwrap_or(0).max(p)),
            None => self.pss_missing = true,
        }
        for p in &tree.processes {
            let e = self
                .processes
                .entry(p.pid)
                .or_insert_with(|| (p.name.clone(), 0, None));
            e.0.clone_from(&p.name);
            e.1 = e.1.max(p.rss_anon_kib);
            e.2 = match (e.2, p.pss_kib) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
        }
    }

    /// Samples `root`'s tree now and adds it.
    pub fn sample(&mut self, root: u32) {
        self.add(&tree_memory(root));
    }

    /// The peaks so far.
    pub fn peak(&self) -> PeakMemory {
        let mb = |kib: u64| kib as f64 / KIB_PER_MIB;
        PeakMemory {
            measure: MEASURE,
            samples: self.samples,
            tree_rss_anon_mb: mb(self.tree_rss_anon_kib),
            tree_pss_mb: if self.pss_missing {
                None
            } else {
                self.tree_pss_kib.map(mb)
            },
            processes: self
                .processes
                .iter()
                .map(|(&pid, (name, rss, pss))| ProcessPeak {
                    pid,
                    name: name.clone(),
                    rss_anon_mb: mb(*rss),
                    pss_mb: pss.map(mb),
                })
                .collect(),
        }
    }
}

/// Samples a process tree on its own thread until [`Sampler::finish`].
pub struct Sampler {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<PeakTracker>>,
}

impl Sampler {
    /// Starts sampling `root`'s tree every `interval` (one sample at once).
    pub fn start(root: u32, interval: Duration) -> std::io::Result<Sampler> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("memory-sampler".into())
            .spawn(move || {
                let mut tracker = PeakTracker::default();
                loop {
                    tracker.sample(root);
                    if flag.load(Ordering::Relaxed) {
                        return tracker;
                    }
                    std::thread::park_timeout(interval);
                }
            })?;
        Ok(Sampler {
            stop,
            thread: Some(thread),
        })
    }

    /// Takes a last sample, stops the thread and returns the peaks.
    pub fn finish(mut self) -> PeakMemory {
        self.stop_thread()
            .map(|t| t.peak())
            .unwrap_or_else(|| PeakTracker::default().peak())
    }

    fn stop_thread(&mut self) -> Option<PeakTracker> {
        self.stop.store(true, Ordering::Relaxed);
        let thread = self.thread.take()?;
        thread.thread().unpark();
        thread.join().ok()
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        let _ = self.stop_thread();
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::io::{BufRead, Write};
    use std::process::{Command, Stdio};

    /// MiB the child holds, every page written (so resident and anonymous).
    const CHILD_MIB: usize = 96;
    const CHILD_ENV: &str = "LUCENT_TEST_HOLD_MEMORY";
    const READY: &str = "LUCENT-CHILD-HOLDS-ITS-MEMORY";

    /// Run as a child by the test below: holds `CHILD_MIB` MiB until its stdin closes.
    #[test]
    #[ignore = "run as a child process by tree_sum_includes_a_child_holding_memory"]
    fn child_holding_memory() {
        if std::env::var_os(CHILD_ENV).is_none() {
            return;
        }
        let held: Vec<u8> = vec![1u8; CHILD_MIB << 20];
        // libtest may print the test's name on the same line first: the marker ends the line.
        let touched: u64 = held.iter().step_by(4096).map(|&b| u64::from(b)).sum();
        println!(" {touched} pages {READY}");
        std::io::stdout().flush().unwrap();
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
        std::hint::black_box(&held);
    }

    #[test]
    fn tree_sum_includes_a_child_holding_memory() {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--ignored",
                "--exact",
                "process_memory::tests::child_holding_memory",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        while !line.trim_end().ends_with(READY) {
            line.clear();
            assert!(out.read_line(&mut line).unwrap() > 0, "child ended early");
        }
        let own = process_memory(std::process::id()).unwrap();
        let tree = tree_memory(std::process::id());
        let mut tracker = PeakTracker::default();
        tracker.add(&tree);
        drop(child.stdin.take());
        child.wait().unwrap();

        let held_kib = (CHILD_MIB as u64) << 10;
        let theirs = tree
            .processes
            .iter()
            .find(|p| p.pid == child.id())
            .expect("the child is in the tree");
        assert!(theirs.rss_anon_kib >= held_kib, "{theirs:?}");
        assert!(
            tree.rss_anon_kib() >= own.rss_anon_kib + held_kib,
            "the tree's sum {} KiB includes the child's {held_kib} KiB over our {} KiB",
            tree.rss_anon_kib(),
            own.rss_anon_kib
        );
        if let (Some(sum), Some(mine)) = (tree.pss_kib(), own.pss_kib) {
            assert!(sum >= mine + held_kib, "Pss sum {sum} KiB, ours {mine} KiB");
        }
        let peak = tracker.peak();
        assert!(peak.tree_rss_anon_mb >= CHILD_MIB as f64, "{peak:?}");
        assert!(
            peak.processes
                .iter()
                .any(|p| p.pid == child.id() && p.rss_anon_mb >= CHILD_MIB as f64),
            "{peak:?}"
        );
    }

    #[test]
    fn parent_id_is_read_after_the_command_name() {
        assert_eq!(parent_of("42 (a) b) c) S 7 42 42 0"), Some(7));
        assert_eq!(parent_of("42 (cat) R 1 42"), Some(1));
        assert_eq!(parent_of("garbage"), None);
        assert_eq!(
            kib_field("Name: x\nRssAnon:\t  2048 kB\n", "RssAnon"),
            Some(2048)
        );
        assert_eq!(kib_field("Pss_Anon: 5 kB\nPss: 9 kB\n", "Pss"), Some(9));
    }

    #[test]
    fn the_peak_is_the_highest_sum_in_one_sample() {
        let p = |pid, rss, pss| ProcessMemory {
            pid,
            name: format!("p{pid}"),
            rss_anon_kib: rss,
            pss_kib: pss,
        };
        let mut t = PeakTracker::default();
        t.add(&TreeMemory {
            processes: vec![p(1, 1024, Some(2048)), p(2, 4096, Some(4096))],
        });
        t.add(&TreeMemory {
            processes: vec![p(1, 3072, Some(3072)), p(2, 1024, Some(1024))],
        });
        let peak = t.peak();
        assert_eq!(peak.samples, 2);
        assert_eq!(peak.tree_rss_anon_mb, 5.0, "max of 5 and 4 MiB, not 3 + 4");
        assert_eq!(peak.tree_pss_mb, Some(6.0));
        assert_eq!(peak.processes[0].rss_anon_mb, 3.0);
        assert_eq!(peak.processes[1].rss_anon_mb, 4.0);
        t.add(&TreeMemory {
            processes: vec![p(1, 0, None)],
        });
        assert_eq!(
            t.peak().tree_pss_mb,
            None,
            "a sample without Pss: no Pss sum"
        );
    }
}
