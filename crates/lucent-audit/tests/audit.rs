//! The audit trail against the real OS keychain (run under `scripts/with-keyring.sh`, as the
//! README's test command does): tamper suite, crash suite, concurrency, rotation, fail-closed,
//! lost key.

use lucent_audit::log::log_files;
use lucent_audit::{
    Action, AuditError, AuditLog, Event, EventId, Keychain, StudyIdentity, StudyObject,
    Verification, read_bodies, unseal, verification_inputs, verify,
};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

fn open(data: &Path) -> AuditLog {
    AuditLog::open(data, "lucent-test").unwrap_or_else(|e| {
        panic!("{e}\n(the audit tests need a real Secret Service: run them through scripts/with-keyring.sh)")
    })
}

fn access(uid: &str) -> Event {
    Event {
        objects: vec![StudyObject {
            identity: StudyIdentity {
                study_instance_uid: uid.into(),
                patient_id: Some("PID-SECRET-1".into()),
                patient_name: Some("SECRET^PATIENT".into()),
            },
            modality: Some("CT".into()),
            instances: 3,
        }],
        ..Event::new(EventId::InstancesAccessed, Action::Read)
    }
}

fn check(data: &Path) -> Verification {
    let (dir, _, keys, anchor) = verification_inputs(data).unwrap();
    verify(&dir, &keys.expect("keys"), anchor.as_ref()).unwrap()
}

struct Fixture {
    _tmp: tempfile::TempDir,
    data: PathBuf,
}

impl Fixture {
    fn with_records(n: usize) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        let log = open(&data);
        for i in 0..n {
            log.append(&[access(&format!("2.25.{i}"))]).unwrap();
        }
        Fixture { _tmp: tmp, data }
    }

    fn file(&self) -> PathBuf {
        log_files(&self.data.join("audit")).unwrap().remove(0)
    }

    /// Offsets of each frame in the first file.
    fn frames(&self) -> Vec<(usize, usize)> {
        let bytes = std::fs::read(self.file()).unwrap();
        let mut out = Vec::new();
        let mut at = 0;
        while at < bytes.len() {
            let len = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize + 8;
            out.push((at, len));
            at += len;
        }
        out
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if let Ok(k) = Keychain::open(&self.data) {
            let _ = k.forget();
        }
    }
}

#[test]
fn appended_records_verify_and_carry_no_readable_phi() {
    let f = Fixture::with_records(5);
    let v = check(&f.data);
    assert!(v.intact(), "{v:?}");
    assert_eq!(v.records, 5);
    let raw = std::fs::read(f.file()).unwrap();
    let text = String::from_utf8_lossy(&raw);
    for marker in ["PID-SECRET-1", "SECRET^PATIENT", "2.25.3"] {
        assert!(!text.contains(marker), "{marker} readable in the log");
    }
    let log = open(&f.data);
    let bodies = log.read_all().unwrap();
    assert_eq!(
        bodies.iter().map(|b| b.seq).collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5]
    );
    assert!(
        bodies
            .iter()
            .all(|b| b.event_code == "110103" && b.action == "R" && b.outcome == 0)
    );
    let o = &bodies[3].objects[0];
    let opened = unseal(log.keys(), &o.token, &o.sealed).expect("unseal with the keychain key");
    assert_eq!(opened.study_instance_uid, "2.25.3");
    assert_eq!(opened.patient_name.as_deref(), Some("SECRET^PATIENT"));
}

#[test]
fn tamper_suite_every_change_is_detected() {
    let f = Fixture::with_records(8);
    let path = f.file();
    let original = std::fs::read(&path).unwrap();
    let frames = f.frames();
    let restore = || std::fs::write(&path, &original).unwrap();
    assert!(check(&f.data).intact());

    // Byte flips at many positions, each on a fresh copy.
    let mut state = 0x9e37_79b9u64;
    for _ in 0..64 {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let at = (state >> 33) as usize % original.len();
        let mut bytes = original.clone();
        bytes[at] ^= 1 << ((state >> 29) % 8);
        std::fs::write(&path, &bytes).unwrap();
        assert!(!check(&f.data).intact(), "flip at byte {at} not detected");
    }
    restore();

    // A deleted record.
    let (at, len) = frames[3];
    let mut bytes = original.clone();
    bytes.drain(at..at + len);
    std::fs::write(&path, &bytes).unwrap();
    let v = check(&f.data);
    assert!(!v.intact() && v.problem.as_ref().unwrap().0 == 5, "{v:?}");
    restore();

    // Two records swapped.
    let (a, alen) = frames[2];
    let (b, blen) = frames[3];
    let mut bytes = original[..a].to_vec();
    bytes.extend_from_slice(&original[b..b + blen]);
    bytes.extend_from_slice(&original[a..a + alen]);
    bytes.extend_from_slice(&original[b + blen..]);
    std::fs::write(&path, &bytes).unwrap();
    assert!(!check(&f.data).intact(), "swap not detected");
    restore();

    // Truncation at a record boundary (the last two records removed).
    std::fs::write(&path, &original[..frames[6].0]).unwrap();
    let v = check(&f.data);
    assert!(
        v.problem.as_ref().is_some_and(|p| p.2.contains("anchor")),
        "{v:?}"
    );
    restore();

    // Replaced by an older copy: two more records appended, then the old file put back.
    let log = open(&f.data);
    log.append(&[access("2.25.100")]).unwrap();
    log.append(&[access("2.25.101")]).unwrap();
    assert!(check(&f.data).intact());
    std::fs::write(&path, &original).unwrap();
    let v = check(&f.data);
    assert!(
        v.problem.as_ref().is_some_and(|p| p.2.contains("anchor")),
        "rollback: {v:?}"
    );

    // A record forged without the key: valid structure and chain, wrong MAC.
    let current = std::fs::read(&path).unwrap();
    let last = *f.frames().last().unwrap();
    let payload = &current[last.0 + 8..last.0 + last.1];
    let mut body: serde_json::Value = serde_json::from_slice(&payload[32..]).unwrap();
    body["seq"] = serde_json::json!(body["seq"].as_u64().unwrap() + 1);
    body["prev"] = serde_json::json!(sha2_hex(payload));
    let body = serde_json::to_vec(&body).unwrap();
    let mut forged_payload = vec![0x5Au8; 32];
    forged_payload.extend(&body);
    let mut forged = current.clone();
    forged.extend((forged_payload.len() as u32).to_le_bytes());
    forged.extend(crc32(&forged_payload).to_le_bytes());
    forged.extend(&forged_payload);
    std::fs::write(&path, &forged).unwrap();
    let v = check(&f.data);
    assert!(
        v.problem.as_ref().is_some_and(|p| p.2.contains("MAC")),
        "forgery: {v:?}"
    );
}

fn sha2_hex(data: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn crc32(data: &[u8]) -> u32 {
    crc32fast::hash(data)
}

#[test]
fn crash_suite_killed_appenders_lose_no_acknowledged_record() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut acknowledged = 0u64;
    let mut state = 12345u64;
    let runs = 200;
    for _ in 0..runs {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let delay = Duration::from_micros(20_000 + (state >> 40) % 100_000);
        let mut child = Command::new(env!("CARGO_BIN_EXE_lucent-audit-stress"))
            .arg(&data)
            .arg("100000")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .filter_map(|l| l.strip_prefix("ack ").and_then(|s| s.parse::<u64>().ok()))
                .max()
        });
        std::thread::sleep(delay);
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        if let Some(seq) = reader.join().unwrap() {
            acknowledged = acknowledged.max(seq);
        }
    }
    // The next appender repairs any torn tail (recording 110113); then the whole log verifies.
    let log = open(&data);
    log.append(&[Event::new(EventId::ApplicationActivity, Action::Execute)])
        .unwrap();
    let v = check(&data);
    assert!(v.intact(), "{v:?}");
    let bodies = read_bodies(&data.join("audit")).unwrap();
    assert!(acknowledged > 0, "the children never got to append");
    assert!(
        bodies.iter().filter(|b| b.event_code == "110103").count() as u64
            >= acknowledged.min(bodies.len() as u64) / 2,
        "acknowledged records missing"
    );
    let seqs: Vec<u64> = bodies.iter().map(|b| b.seq).collect();
    assert!(
        seqs.contains(&acknowledged),
        "acknowledged record {acknowledged} missing"
    );
    assert_eq!(
        seqs,
        (1..=seqs.len() as u64).collect::<Vec<_>>(),
        "one gapless chain"
    );
    let _ = Keychain::open(&data).unwrap().forget();
    eprintln!(
        "crash suite: {runs} kills, {} records, last acknowledged {acknowledged}",
        bodies.len()
    );
}

/// Found by the hostile corpus run (`lucent render` in two processes on a fresh data folder):
/// both created a key, the second overwrote the first, and the first failed its read-back (or,
/// had the timing been different, MACed records with a key the keychain no longer held). Keys are
/// now created under the log's lock.
#[test]
fn regression_processes_opening_a_fresh_log_at_once_share_one_key() {
    for round in 0..3 {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        let children: Vec<_> = (0..6)
            .map(|_| {
                Command::new(env!("CARGO_BIN_EXE_lucent-audit-stress"))
                    .arg(&data)
                    .arg("3")
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "round {round}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let v = check(&data);
        assert!(v.intact(), "round {round}: {v:?}");
        assert_eq!(v.records, 18);
        let _ = Keychain::open(&data).unwrap().forget();
    }
}

#[test]
fn two_processes_appending_at_once_leave_one_chain() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    open(&data); // create the key first so both children share it
    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_lucent-audit-stress"))
            .arg(&data)
            .arg("100")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap()
    };
    let (mut a, mut b) = (spawn(), spawn());
    assert!(a.wait().unwrap().success());
    assert!(b.wait().unwrap().success());
    let v = check(&data);
    assert!(v.intact(), "{v:?}");
    assert_eq!(v.records, 200);
    let _ = Keychain::open(&data).unwrap().forget();
}

#[test]
fn rotation_keeps_one_chain_across_files_and_a_missing_file_is_detected() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let log = open(&data).with_rotation(2048);
    for i in 0..30 {
        log.append(&[access(&format!("2.25.{i}"))]).unwrap();
    }
    let files = log_files(&data.join("audit")).unwrap();
    assert!(files.len() >= 3, "{files:?}");
    let v = check(&data);
    assert!(v.intact() && v.records == 30, "{v:?}");
    std::fs::remove_file(&files[1]).unwrap();
    assert!(!check(&data).intact(), "a deleted middle file is detected");
    let _ = Keychain::open(&data).unwrap().forget();
}

#[test]
fn an_unwritable_audit_location_fails_closed() {
    let tmp = tempfile::tempdir().unwrap();
    let regular = tmp.path().join("a-file");
    std::fs::write(&regular, b"x").unwrap();
    let err = AuditLog::open(&regular.join("data"), "lucent-test").unwrap_err();
    assert!(matches!(err, AuditError::Unwritable { .. }), "{err}");
    assert_eq!(
        lucent_error::HasErrorCode::code(&err),
        lucent_error::ErrorCode::AuditUnavailable
    );
}

#[test]
fn a_lost_key_makes_the_log_unverifiable_and_refuses_appends() {
    let f = Fixture::with_records(2);
    Keychain::open(&f.data).unwrap().forget().unwrap();
    let err = AuditLog::open(&f.data, "lucent-test").unwrap_err();
    assert!(matches!(err, AuditError::KeyLost { .. }), "{err}");
    let (_, _, keys, _) = verification_inputs(&f.data).unwrap();
    assert!(keys.is_none());
}

#[test]
fn a_torn_tail_is_repaired_and_recorded() {
    let f = Fixture::with_records(3);
    let path = f.file();
    let mut bytes = std::fs::read(&path).unwrap();
    let (at, len) = *f.frames().last().unwrap();
    bytes.truncate(at + len / 2); // the last record half-written
    std::fs::write(&path, &bytes).unwrap();
    let v = check(&f.data);
    assert!(
        v.problem.as_ref().is_some_and(|p| p.2.contains("torn")),
        "verify reports, never repairs: {v:?}"
    );
    assert_eq!(
        std::fs::read(&path).unwrap().len(),
        bytes.len(),
        "verify did not modify the log"
    );
    let log = open(&f.data);
    let appended = log.append(&[access("2.25.9")]).unwrap();
    assert!(
        appended.alerts.iter().any(|a| a.contains("torn tail")),
        "{appended:?}"
    );
    let bodies = log.read_all().unwrap();
    assert!(bodies.iter().any(|b| b.event_code == "110113"));
    // The half-written record was never acknowledged; the chain is whole again except that the
    // anchor still remembers record 3: that rollback is itself alerted.
    assert!(
        appended.alerts.iter().any(|a| a.contains("anchor")),
        "{appended:?}"
    );
}
