//! `lucent-audit-stress DATA_DIR COUNT [TAG]`: appends COUNT audit records one by one, printing
//! `ack SEQ PAYLOAD` after each append is acknowledged (after fsync and the keychain anchor; an
//! alert the append recorded first is printed as `ack SEQ`), then the append latency
//! p50/p95/p99; `opened` is printed once the log is open. Each record carries a unique payload in its Detail, `stress TAG-I` (TAG defaults
//! to the process id), so a test can find every acknowledged record by its content, not only by
//! its sequence number. Used by the crash and concurrency tests (as the child that is killed or
//! run twice at once) and as the append benchmark.

use lucent_audit::{Action, AuditLog, Event, EventId, StudyIdentity, StudyObject};
use std::io::Write;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if !(3..=4).contains(&args.len()) {
        eprintln!("usage: lucent-audit-stress DATA_DIR COUNT [TAG]");
        std::process::exit(2);
    }
    let count: u64 = args[2].parse().unwrap_or_else(|_| {
        eprintln!("COUNT must be a number");
        std::process::exit(2)
    });
    let tag = args
        .get(3)
        .cloned()
        .unwrap_or_else(|| std::process::id().to_string());
    let opened = Instant::now();
    let log = match AuditLog::open(std::path::Path::new(&args[1]), "lucent-audit-stress") {
        Ok(log) => log,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    let open_ms = opened.elapsed().as_secs_f64() * 1000.0;
    let mut out = std::io::stdout().lock();
    // For the crash suite, which times most of its kills from here (opening costs 150-300 ms).
    let _ = writeln!(out, "opened");
    let _ = out.flush();
    let mut times = Vec::with_capacity(count as usize);
    for i in 0..count {
        let study = StudyObject {
            identity: StudyIdentity {
                study_instance_uid: format!("2.25.{}", 1000 + i % 7),
                patient_id: Some(format!("STRESS-{}", i % 7)),
                patient_name: Some("PHANTOM^STRESS".into()),
            },
            modality: Some("CT".into()),
            instances: 1,
        };
        let payload = format!("stress {tag}-{i}");
        let event = Event {
            objects: vec![study],
            detail: Some(payload.clone()),
            ..Event::new(EventId::InstancesAccessed, Action::Read)
        };
        let started = Instant::now();
        match log.append(&[event]) {
            Ok(appended) => {
                times.push(started.elapsed());
                // Alerts first, then this one event (log.rs, `Appended`).
                if let Some((event_seq, alerts)) = appended.seqs.split_last() {
                    for seq in alerts {
                        let _ = writeln!(out, "ack {seq}");
                    }
                    let _ = writeln!(out, "ack {event_seq} {payload}");
                }
                let _ = out.flush();
            }
            Err(e) => {
                eprintln!("error: {e}");
                std::process::exit(1);
            }
        }
    }
    times.sort();
    let pct = |p: f64| {
        times
            .get(((times.len() as f64 - 1.0) * p).round() as usize)
            .map(|d| d.as_secs_f64() * 1000.0)
            .unwrap_or(0.0)
    };
    let _ = writeln!(
        out,
        "open_ms {open_ms:.3} append_ms p50 {:.3} p95 {:.3} p99 {:.3} n {}",
        pct(0.5),
        pct(0.95),
        pct(0.99),
        times.len()
    );
}
