//! The audit trail against the real OS keychain (run under `scripts/with-keyring.sh`, as the
//! README's test command does): tamper suite, crash suite, concurrency, rotation, fail-closed,
//! lost key, who (the OS account), where (relocations, recreated folders), file modes.
//!
//! Every new log starts with a 110134 record, and the tests run in parallel in one keyring, each
//! in its own folder: a log may also hold relocation records written when another test moved
//! the OS user's active-log anchor. Counts are therefore of the events a test wrote.

use lucent_audit::log::log_files;
use lucent_audit::{
    Action, AuditError, AuditKeychain, AuditLog, Event, EventId, RecordBody, StudyIdentity,
    StudyObject, Verification, location_token, read_bodies, unseal, verification_inputs, verify,
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

/// The records of one event code.
fn count(bodies: &[RecordBody], code: &str) -> usize {
    bodies.iter().filter(|b| b.event_code == code).count()
}

/// Whether a record is a 110134 "Audit Recording Started".
fn is_start(b: &RecordBody) -> bool {
    b.event_code == "110113" && b.event_type.as_deref() == Some("110134")
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
        if let Ok(k) = AuditKeychain::open(&self.data) {
            let _ = k.forget();
        }
    }
}

#[test]
fn appended_records_verify_and_carry_no_readable_phi() {
    let f = Fixture::with_records(5);
    let v = check(&f.data);
    assert!(v.intact(), "{v:?}");
    assert_eq!(v.records, 6, "the log's start record and five accesses");
    let raw = std::fs::read(f.file()).unwrap();
    let text = String::from_utf8_lossy(&raw);
    for marker in ["PID-SECRET-1", "SECRET^PATIENT", "2.25.3"] {
        assert!(!text.contains(marker), "{marker} readable in the log");
    }
    let log = open(&f.data);
    let bodies = log.read_all().unwrap();
    assert_eq!(
        bodies.iter().map(|b| b.seq).collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5, 6]
    );
    assert!(is_start(&bodies[0]), "{:?}", bodies[0]);
    assert!(
        bodies[1..]
            .iter()
            .all(|b| b.event_code == "110103" && b.action == "R" && b.outcome == 0)
    );
    let o = &bodies[4].objects[0];
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
    // Every record a child acknowledged before it was killed: sequence number → its payload.
    let mut acknowledged: std::collections::BTreeMap<u64, String> = Default::default();
    let mut state = 12345u64;
    let runs = 200;
    for run in 0..runs {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let mut child = Command::new(env!("CARGO_BIN_EXE_lucent-audit-stress"))
            .arg(&data)
            .arg("100000")
            .arg(format!("run{run}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (opened_tx, opened_rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut acks = Vec::new();
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line == "opened" {
                    let _ = opened_tx.send(());
                }
                if let Some((seq, payload)) = line
                    .strip_prefix("ack ")
                    .and_then(|l| l.split_once(' '))
                    .and_then(|(seq, payload)| Some((seq.parse::<u64>().ok()?, payload)))
                {
                    acks.push((seq, payload.to_string()));
                }
            }
            acks
        });
        // One kill in four at 0-300 ms from the start (most of them while the log is opened,
        // which takes 150-300 ms, more under load); the others 0-60 ms after the log is open,
        // while appending (an append takes 3-30 ms), so the kills land there whatever the load.
        let jitter = (state >> 40) % 1000;
        if run % 4 == 0 {
            std::thread::sleep(Duration::from_micros(jitter * 300));
        } else {
            let _ = opened_rx.recv_timeout(Duration::from_secs(30));
            std::thread::sleep(Duration::from_micros(jitter * 60));
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        for (seq, payload) in reader.join().unwrap() {
            // A sequence number acknowledged twice would be two records claiming one place.
            if let Some(earlier) = acknowledged.insert(seq, payload.clone()) {
                panic!("seq {seq} acknowledged for {earlier:?} and again for {payload:?}");
            }
        }
    }
    // The next appender repairs any torn tail (recording 110113); then the whole log verifies.
    let log = open(&data);
    log.append(&[Event::new(EventId::ApplicationActivity, Action::Execute)])
        .unwrap();
    let v = check(&data);
    assert!(v.intact(), "{v:?}");
    let bodies = read_bodies(&data.join("audit")).unwrap();
    assert!(!acknowledged.is_empty(), "the children never got to append");
    let logged: std::collections::BTreeMap<u64, Option<&str>> = bodies
        .iter()
        .map(|b| (b.seq, b.detail.as_deref()))
        .collect();
    let lost: Vec<String> = acknowledged
        .iter()
        .filter(|(seq, payload)| logged.get(seq) != Some(&Some(payload.as_str())))
        .map(|(seq, payload)| format!("{seq} {payload:?}: logged as {:?}", logged.get(seq)))
        .collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged records are not in the log with their payload: {lost:?}",
        lost.len(),
        acknowledged.len()
    );
    let seqs: Vec<u64> = bodies.iter().map(|b| b.seq).collect();
    assert_eq!(
        seqs,
        (1..=seqs.len() as u64).collect::<Vec<_>>(),
        "one gapless chain"
    );
    let _ = AuditKeychain::open(&data).unwrap().forget();
    eprintln!(
        "crash suite: {runs} kills, {} records, {} acknowledged, all found with their payload",
        bodies.len(),
        acknowledged.len()
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
        let bodies = read_bodies(&data.join("audit")).unwrap();
        assert_eq!(count(&bodies, "110103"), 18, "round {round}");
        assert!(is_start(&bodies[0]), "round {round}: {:?}", bodies[0]);
        assert_eq!(
            bodies
                .iter()
                .filter(|b| is_start(b) && b.previous_log.is_none())
                .count(),
            usize::from(bodies[0].previous_log.is_none()),
            "one log start, whichever process came first (round {round})"
        );
        let _ = AuditKeychain::open(&data).unwrap().forget();
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
    assert_eq!(
        count(&read_bodies(&data.join("audit")).unwrap(), "110103"),
        200
    );
    let _ = AuditKeychain::open(&data).unwrap().forget();
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
    assert!(v.intact() && v.records == 31, "{v:?}");
    std::fs::remove_file(&files[1]).unwrap();
    assert!(!check(&data).intact(), "a deleted middle file is detected");
    let _ = AuditKeychain::open(&data).unwrap().forget();
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
    AuditKeychain::open(&f.data).unwrap().forget().unwrap();
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

fn run_out(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd).args(args).output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Found by the security review: the user in each record came from `$USER` (then `$LOGNAME`).
/// A child told it is `mallory` still records the account of its real uid (`id -un`), its uid,
/// and its executable.
#[cfg(unix)]
#[test]
fn regression_the_user_is_the_os_account_whatever_user_and_logname_say() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let out = Command::new(env!("CARGO_BIN_EXE_lucent-audit-stress"))
        .arg(&data)
        .arg("2")
        .env("USER", "mallory")
        .env("LOGNAME", "mallory")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bodies = read_bodies(&data.join("audit")).unwrap();
    let uid = run_out("id", &["-u"]);
    let account = match run_out("id", &["-un"]) {
        name if name.is_empty() => format!("uid:{uid}"),
        name => name,
    };
    assert_ne!(account, "mallory");
    for b in &bodies {
        assert_eq!(b.user, account, "{b:?}");
        assert_eq!(b.uid.map(|u| u.to_string()), Some(uid.clone()));
        assert_eq!(b.process.as_deref(), Some("lucent-audit-stress"));
    }
    let _ = AuditKeychain::open(&data).unwrap().forget();
}

/// Found by the security review: deleting the data folder left no trace (a new log, keys still
/// there, nothing said). The recreated log starts by naming the log that was there (its last
/// record and head, from the keychain anchor), and verify reports it.
#[test]
fn regression_a_deleted_and_recreated_data_directory_is_recorded_and_reported() {
    let f = Fixture::with_records(3);
    let (_, _, _, anchor) = verification_inputs(&f.data).unwrap();
    let anchor = anchor.expect("anchored");
    std::fs::remove_dir_all(&f.data).unwrap();
    let before = check(&f.data);
    assert!(
        before
            .problem
            .as_ref()
            .is_some_and(|p| p.2.contains("anchor")),
        "an emptied folder fails verification until a new log starts: {before:?}"
    );
    let log = open(&f.data);
    let appended = log.append(&[access("2.25.77")]).unwrap();
    assert!(appended.alerts[0].contains("recreated"), "{appended:?}");
    let bodies = log.read_all().unwrap();
    assert!(is_start(&bodies[0]));
    assert_eq!(bodies[0].outcome, 4);
    let previous = bodies[0].previous_log.clone().expect("names the lost log");
    assert_eq!(previous.token, location_token(&f.data.join("audit")));
    assert_eq!(previous.seq, Some(anchor.seq));
    assert_eq!(previous.head.as_deref(), Some(anchor.head.as_str()));
    assert!(!previous.present);
    assert_eq!(
        bodies.iter().filter(|b| b.event_code == "110113").count(),
        1,
        "one record for the loss, not a second rollback alert: {bodies:?}"
    );
    let v = check(&f.data);
    assert!(v.intact(), "{v:?}");
    assert_eq!(v.relocations.len(), 1, "{v:?}");
    assert!(v.relocations[0].recreated);
    assert_eq!(v.relocations[0].seq, 1);
}

/// Found by the security review: a fresh `LUCENT_DATA_DIR` got a fresh log and fresh keys with
/// no trace of the log before. The new log starts with a relocation naming the previous log
/// (token, last record, head, whether it is still there), and verify reports it. Other tests
/// move the OS user's anchor in parallel, so a round whose relocation names another test's log
/// is tried again.
#[test]
fn regression_a_fresh_data_directory_after_another_is_a_relocation_verify_reports() {
    let a = Fixture::with_records(1);
    let a_token = location_token(&a.data.join("audit"));
    let mut proved = (false, false);
    for _round in 0..25 {
        // B follows A, which is still there.
        let log_a = open(&a.data);
        let a_last = *log_a
            .append(&[access("2.25.1")])
            .unwrap()
            .seqs
            .last()
            .unwrap();
        let b = Fixture::with_records(1);
        let b_bodies = read_bodies(&b.data.join("audit")).unwrap();
        let start = &b_bodies[0];
        assert!(is_start(start), "{start:?}");
        let Some(previous) = start.previous_log.clone() else {
            continue;
        };
        if previous.token == a_token && previous.seq == Some(a_last) {
            let (_, _, _, a_anchor) = verification_inputs(&a.data).unwrap();
            assert_eq!(previous.head, a_anchor.map(|x| x.head));
            assert!(previous.present);
            assert_eq!(start.outcome, 4);
            assert!(start.detail.as_deref().unwrap().contains(&a_token));
            let v = check(&b.data);
            assert!(v.intact(), "{v:?}");
            assert_eq!(v.relocations.len(), 1, "{v:?}");
            assert_eq!(v.relocations[0].previous, previous);
            assert!(!v.relocations[0].recreated);
            proved.0 = true;
        }
        // C follows B, whose folder is gone by then.
        let b_token = location_token(&b.data.join("audit"));
        std::fs::remove_dir_all(&b.data).unwrap();
        let c = Fixture::with_records(1);
        let c_bodies = read_bodies(&c.data.join("audit")).unwrap();
        if let Some(previous) = &c_bodies[0].previous_log
            && previous.token == b_token
        {
            assert!(!previous.present, "{previous:?}");
            assert!(
                c_bodies[0]
                    .detail
                    .as_deref()
                    .unwrap()
                    .contains("was missing")
            );
            proved.1 = true;
        }
        if proved == (true, true) {
            return;
        }
    }
    panic!("no relocation named the log before it in 25 rounds: {proved:?}");
}

/// Files the audit trail writes are owner-only however permissive the umask: folders 0700, the
/// lock and the log files 0600 (they were 0755 / 0644 under umask 022).
#[cfg(unix)]
#[test]
fn regression_audit_files_are_owner_only_under_umask_022() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let out = Command::new("sh")
        .arg("-c")
        .arg("umask 022 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_lucent-audit-stress"))
        .arg(&data)
        .arg("3")
        .env("LUCENT_AUDIT_ROTATE_BYTES", "1024")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut seen = (0, 0);
    let mut stack = vec![data.clone()];
    while let Some(dir) = stack.pop() {
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "{}", dir.display());
        seen.0 += 1;
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o600, "{}", path.display());
                seen.1 += 1;
            }
        }
    }
    assert!(
        seen.0 >= 2 && seen.1 >= 3,
        "data, audit; lock and rotated logs: {seen:?}"
    );
    // A log written before modes were set is narrowed when it is next opened.
    let audit = data.join("audit");
    let first = log_files(&audit).unwrap().remove(0);
    std::fs::set_permissions(&first, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(&audit, std::fs::Permissions::from_mode(0o755)).unwrap();
    open(&data);
    assert_eq!(
        std::fs::metadata(&first).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(
        std::fs::metadata(&audit).unwrap().permissions().mode() & 0o777,
        0o700
    );
    let _ = AuditKeychain::open(&data).unwrap().forget();
}
