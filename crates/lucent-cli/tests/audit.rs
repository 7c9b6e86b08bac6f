//! The audited CLI against the real keychain: a render leaves a 110103 record, no PHI anywhere
//! under `LUCENT_DATA_DIR` or in the output, verify catches a flipped byte, and an audit that
//! cannot be written (or a missing keychain) stops the render. Who (the OS account whatever
//! `$USER` says), where (the managed policy over `LUCENT_DATA_DIR`, relocations and recreated
//! folders reported by verify), `lucent policy show`, and owner-only files.

use lucent_testdata::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn lucent(args: &[&str], cwd: &Path, data: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lucent"))
        .args(args)
        .current_dir(cwd)
        .env("LUCENT_DATA_DIR", data)
        .output()
        .expect("run lucent")
}

const MARKERS: &[&str] = &[
    "ZQXNAME",
    "ZQXPID4471",
    "19010203",
    "ZQXSTUDYDESC",
    "ZQXSERIESDESC",
    "ZQXINSTITUTION",
    "2.25.770011",
    "2.25.770022",
    "2.25.770033",
];

fn marker_study(dir: &Path) -> PathBuf {
    let mut s = ImageSpec::new(
        "2.25.770011".into(),
        "2.25.770022".into(),
        "2.25.770033".into(),
    );
    s.patient_name = b"ZQXNAME^MARKER".to_vec();
    s.patient_id = b"ZQXPID4471".to_vec();
    s.patient_birth_date = Some("19010203".into());
    s.study_description = b"ZQXSTUDYDESC".to_vec();
    s.series_description = b"ZQXSERIESDESC".to_vec();
    s.institution_name = b"ZQXINSTITUTION".to_vec();
    let path = dir.join("marker.dcm");
    s.write(&path).unwrap();
    path
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn forget_keys(data: &Path) {
    if let Ok(k) = lucent_audit::AuditKeychain::open(data) {
        let _ = k.forget();
    }
}

#[test]
fn render_is_audited_phi_free_and_verifiable() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let file = marker_study(tmp.path());
    let mut outputs = Vec::new();
    let render = lucent(
        &["render", file.to_str().unwrap(), "-o", "out.png"],
        tmp.path(),
        &data,
    );
    assert_eq!(
        render.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&render.stderr)
    );
    outputs.push(render);
    let verify = lucent(&["audit", "verify"], tmp.path(), &data);
    assert_eq!(
        verify.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
    outputs.push(verify);
    let show = lucent(&["audit", "show", "--json"], tmp.path(), &data);
    assert_eq!(show.status.code(), Some(0));
    let records: Vec<serde_json::Value> = String::from_utf8_lossy(&show.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let access = records
        .iter()
        .find(|r| r["event_code"] == "110103")
        .expect("a 110103 record");
    for field in [
        "seq",
        "time",
        "event_code",
        "action",
        "outcome",
        "user",
        "objects",
    ] {
        assert!(!access[field].is_null(), "{field} missing in {access}");
    }
    assert_eq!(access["action"], "R");
    assert_eq!(access["outcome"], 0);
    assert!(access["time"].as_str().unwrap().ends_with('Z'));
    outputs.push(show);
    let find = lucent(
        &["audit", "find-study", "2.25.770011", "--json"],
        tmp.path(),
        &data,
    );
    assert_eq!(find.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&find.stdout).lines().count(),
        1,
        "the one access of that study"
    );
    outputs.push(find);
    // show and find-study are themselves recorded (110101).
    let after = lucent(&["audit", "show", "--json"], tmp.path(), &data);
    assert!(
        String::from_utf8_lossy(&after.stdout)
            .matches("\"110101\"")
            .count()
            >= 2
    );
    outputs.push(after);

    let mut files = Vec::new();
    files_under(&data, &mut files);
    assert!(!files.is_empty());
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        for m in MARKERS {
            assert!(
                !bytes.windows(m.len()).any(|w| w == m.as_bytes()),
                "{m} found in {}",
                f.display()
            );
        }
    }
    for out in &outputs {
        for stream in [&out.stdout, &out.stderr] {
            let text = String::from_utf8_lossy(stream);
            for m in MARKERS {
                assert!(!text.contains(m), "{m} in the output: {text}");
            }
        }
    }

    // One byte flipped inside the log: verify fails and names the record.
    let log = data.join("audit").join("audit-000001.log");
    let mut bytes = std::fs::read(&log).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    std::fs::write(&log, &bytes).unwrap();
    let verify = lucent(&["audit", "verify", "--json"], tmp.path(), &data);
    assert_eq!(verify.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&verify.stdout).unwrap();
    assert_eq!(doc["intact"], false);
    assert!(doc["first_bad"]["reason"].as_str().is_some());
    forget_keys(&data);
}

#[test]
fn an_unwritable_audit_location_stops_the_render() {
    let tmp = tempfile::tempdir().unwrap();
    let file = marker_study(tmp.path());
    std::fs::write(tmp.path().join("regular"), b"x").unwrap();
    let data = tmp.path().join("regular").join("data");
    let out = lucent(
        &["render", file.to_str().unwrap(), "-o", "out.png"],
        tmp.path(),
        &data,
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("error: E_AUDIT_UNAVAILABLE: "),
        "{stderr}"
    );
    assert!(
        !tmp.path().join("out.png").exists(),
        "no pixels without an audit record"
    );
}

#[test]
fn without_a_keychain_studies_do_not_open_and_the_user_is_told_why() {
    let tmp = tempfile::tempdir().unwrap();
    let file = marker_study(tmp.path());
    let out = Command::new(env!("CARGO_BIN_EXE_lucent"))
        .args(["render", file.to_str().unwrap(), "-o", "out.png"])
        .current_dir(tmp.path())
        .env("LUCENT_DATA_DIR", tmp.path().join("data"))
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("error: E_KEYCHAIN_UNAVAILABLE: "),
        "{stderr}"
    );
    assert!(stderr.contains("keychain"), "{stderr}");
    assert!(!tmp.path().join("out.png").exists());
    let verify = Command::new(env!("CARGO_BIN_EXE_lucent"))
        .args(["audit", "verify"])
        .env("LUCENT_DATA_DIR", tmp.path().join("data"))
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .output()
        .unwrap();
    assert_eq!(verify.status.code(), Some(2), "verify could not run");
}

#[test]
fn export_writes_schema_valid_messages_with_the_study_and_patient_and_is_itself_audited() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let file = marker_study(tmp.path());
    let render = lucent(
        &["render", file.to_str().unwrap(), "-o", "out.png"],
        tmp.path(),
        &data,
    );
    assert_eq!(render.status.code(), Some(0));

    let export = lucent(
        &["audit", "export", "--format", "xml", "-o", "export.xml"],
        tmp.path(),
        &data,
    );
    assert_eq!(
        export.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    assert!(export.stdout.is_empty() && export.stderr.is_empty());
    let doc = tmp.path().join("export.xml");
    assert_audit_export_valid(&doc);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&doc).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o077,
            0,
            "the export holds PHI: owner-only, not {mode:o}"
        );
    }
    let xml = std::fs::read_to_string(&doc).unwrap();
    assert_eq!(
        xml.matches("<AuditMessage>").count(),
        2,
        "the log's start and the access: {xml}"
    );
    assert_eq!(xml.matches("<EventID csd-code=\"110103\"").count(), 1);
    assert!(xml.contains("<EventTypeCode csd-code=\"110134\""));
    assert!(
        xml.contains("UserID=\"lucent\" AlternativeUserID=\""),
        "the process"
    );
    assert!(xml.contains("<EventID csd-code=\"110103\""));
    assert!(xml.contains(
        "ParticipantObjectID=\"2.25.770011\" ParticipantObjectTypeCode=\"2\" ParticipantObjectTypeCodeRole=\"3\""
    ));
    assert!(xml.contains("csd-code=\"110180\""));
    assert!(xml.contains("ParticipantObjectID=\"ZQXPID4471\" ParticipantObjectTypeCode=\"1\""));
    assert!(xml.contains("<ParticipantObjectName>ZQXNAME^MARKER</ParticipantObjectName>"));

    // The export was recorded (110101) before it was written: the next export, to stdout, has it.
    let again = lucent(&["audit", "export", "--format", "xml"], tmp.path(), &data);
    assert_eq!(again.status.code(), Some(0));
    let again_doc = tmp.path().join("again.xml");
    std::fs::write(&again_doc, &again.stdout).unwrap();
    assert_audit_export_valid(&again_doc);
    let text = String::from_utf8_lossy(&again.stdout);
    assert!(text.contains("<EventID csd-code=\"110101\""), "{text}");
    assert!(text.contains("export xml: 2 record(s) to a file"));
    assert!(text.contains("<ParticipantObjectName>Security Audit Log</ParticipantObjectName>"));

    // --since in the future selects nothing (an empty, still valid document).
    let none = lucent(
        &[
            "audit",
            "export",
            "--format",
            "xml",
            "--since",
            "2999-01-01T00:00:00Z",
        ],
        tmp.path(),
        &data,
    );
    assert_eq!(none.status.code(), Some(0));
    assert!(!String::from_utf8_lossy(&none.stdout).contains("<AuditMessage>"));

    // The log under another data folder (another key): a clean typed error, nothing written.
    let other = tmp.path().join("other");
    std::fs::create_dir_all(other.join("audit")).unwrap();
    for f in std::fs::read_dir(data.join("audit")).unwrap().flatten() {
        std::fs::copy(f.path(), other.join("audit").join(f.file_name())).unwrap();
    }
    let foreign = lucent(
        &["audit", "export", "--format", "xml", "-o", "foreign.xml"],
        tmp.path(),
        &other,
    );
    assert_eq!(foreign.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&foreign.stderr);
    assert!(stderr.starts_with("error: E_AUDIT_KEY_LOST"), "{stderr}");
    assert!(!tmp.path().join("foreign.xml").exists());

    // A tampered log is not exported.
    let log = data.join("audit").join("audit-000001.log");
    let mut bytes = std::fs::read(&log).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    std::fs::write(&log, &bytes).unwrap();
    let tampered = lucent(
        &["audit", "export", "--format", "xml", "-o", "tampered.xml"],
        tmp.path(),
        &data,
    );
    assert_eq!(tampered.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&tampered.stderr).starts_with("error: E_AUDIT_TAMPERED"));
    assert!(!tmp.path().join("tampered.xml").exists());
    for out in [&foreign, &tampered] {
        let text = String::from_utf8_lossy(&out.stderr);
        for m in MARKERS {
            assert!(!text.contains(m), "{m} in an error: {text}");
        }
    }
    forget_keys(&data);
    forget_keys(&other);
}

fn id(args: &[&str]) -> String {
    let out = Command::new("id").args(args).output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn account() -> String {
    match id(&["-un"]) {
        name if name.is_empty() => format!("uid:{}", id(&["-u"])),
        name => name,
    }
}

/// `lucent` with a managed policy file of the test's choosing (the `test-override` feature the
/// dev-dependencies turn on; a release build has no such variable).
fn lucent_with_policy(args: &[&str], cwd: &Path, data: &Path, policy: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lucent"))
        .args(args)
        .current_dir(cwd)
        .env("LUCENT_DATA_DIR", data)
        .env("LUCENT_TEST_POLICY_FILE", policy)
        .output()
        .expect("run lucent")
}

fn write_policy(path: &Path, text: &str, mode: u32) {
    std::fs::write(path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    #[cfg(not(unix))]
    let _ = mode;
}

fn show_json(cwd: &Path, data: &Path) -> Vec<serde_json::Value> {
    let show = lucent(&["audit", "show", "--json"], cwd, data);
    assert_eq!(show.status.code(), Some(0));
    String::from_utf8_lossy(&show.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Found by the security review: the user came from `$USER`. With `USER` and `LOGNAME` saying
/// `mallory`, every record names the OS account of the process's real uid.
#[cfg(unix)]
#[test]
fn regression_records_name_the_os_account_whatever_user_says() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let file = marker_study(tmp.path());
    let render = Command::new(env!("CARGO_BIN_EXE_lucent"))
        .args(["render", file.to_str().unwrap(), "-o", "out.png"])
        .current_dir(tmp.path())
        .env("LUCENT_DATA_DIR", &data)
        .env("USER", "mallory")
        .env("LOGNAME", "mallory")
        .output()
        .unwrap();
    assert_eq!(
        render.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&render.stderr)
    );
    let records = show_json(tmp.path(), &data);
    assert!(records.len() >= 2);
    for r in &records {
        assert_eq!(r["user"], account().as_str(), "{r}");
        assert_eq!(r["uid"].to_string(), id(&["-u"]));
        assert_eq!(r["process"], "lucent");
    }
    forget_keys(&data);
}

/// The managed policy's audit folder wins over `LUCENT_DATA_DIR`: the log goes there (per OS
/// account), nothing is written to the user's choice, verify and `policy show` agree.
#[cfg(unix)]
#[test]
fn the_policy_audit_directory_wins_over_lucent_data_dir() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let managed = tmp.path().join("managed");
    let policy = tmp.path().join("policy.toml");
    write_policy(
        &policy,
        &format!("[audit]\ndirectory = \"{}/{{user}}\"\n", managed.display()),
        0o644,
    );
    let file = marker_study(tmp.path());
    let render = lucent_with_policy(
        &["render", file.to_str().unwrap(), "-o", "out.png"],
        tmp.path(),
        &data,
        &policy,
    );
    assert_eq!(
        render.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&render.stderr)
    );
    let audit = managed.join(account());
    assert!(audit.join("audit-000001.log").is_file());
    assert!(
        !data.join("audit").exists(),
        "the user's choice is not used"
    );
    let verify = lucent_with_policy(&["audit", "verify"], tmp.path(), &data, &policy);
    assert_eq!(
        verify.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
    let show = lucent_with_policy(&["policy", "show"], tmp.path(), &data, &policy);
    assert_eq!(show.status.code(), Some(0));
    let text = String::from_utf8_lossy(&show.stdout);
    assert!(
        text.starts_with(&format!("policy file: {} (present)\n", policy.display())),
        "{text}"
    );
    assert!(
        text.contains(&format!("audit.directory = {}\n", audit.display())),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "source: policy file: audit.directory = \"{}/{{user}}\"",
            managed.display()
        )),
        "{text}"
    );
    let json = lucent_with_policy(&["policy", "show", "--json"], tmp.path(), &data, &policy);
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(doc["keys"][0]["key"], "audit.directory");
    assert_eq!(doc["keys"][0]["source"], "policy");
    if let Ok(k) = lucent_audit::AuditKeychain::open(&audit) {
        let _ = k.forget();
    }
}

#[test]
fn policy_show_without_a_policy_file_names_the_defaults() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let absent = tmp.path().join("no-policy.toml");
    let show = lucent_with_policy(&["policy", "show"], tmp.path(), &data, &absent);
    assert_eq!(show.status.code(), Some(0));
    let text = String::from_utf8_lossy(&show.stdout);
    assert_eq!(
        text,
        format!(
            "policy file: {} (absent: every key has its default)\naudit.directory = {}\n    source: default: LUCENT_DATA_DIR\n",
            absent.display(),
            data.join("audit").display()
        )
    );
}

/// Fail closed: a policy that does not parse, has an unknown key, or that others could change
/// refuses every study (E_POLICY_INVALID), `policy show` says why, and verify cannot run.
#[cfg(unix)]
#[test]
fn an_invalid_or_unprotected_policy_is_refused_and_no_study_opens() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let file = marker_study(tmp.path());
    let policy = tmp.path().join("policy.toml");
    let cases = [
        ("[audit\n", 0o644, "not a valid policy"),
        (
            "[audit]\ndirectory = \"/var/lib/lucent/{user}\"\nretention_days = 30\n",
            0o644,
            "retention_days",
        ),
        (
            "[audit]\ndirectory = \"/var/lib/lucent/{user}\"\n",
            0o664,
            "writable",
        ),
    ];
    for (text, mode, why) in cases {
        write_policy(&policy, text, mode);
        let render = lucent_with_policy(
            &["render", file.to_str().unwrap(), "-o", "out.png"],
            tmp.path(),
            &data,
            &policy,
        );
        assert_eq!(render.status.code(), Some(1), "{why}");
        let stderr = String::from_utf8_lossy(&render.stderr);
        assert!(
            stderr.starts_with("error: E_POLICY_INVALID: "),
            "{why}: {stderr}"
        );
        assert!(stderr.contains(why), "{why}: {stderr}");
        assert!(!tmp.path().join("out.png").exists(), "{why}: no pixels");
        assert!(!data.exists(), "{why}: nothing written");
        let show = lucent_with_policy(&["policy", "show"], tmp.path(), &data, &policy);
        assert_eq!(show.status.code(), Some(1), "{why}");
        assert!(String::from_utf8_lossy(&show.stderr).starts_with("error: E_POLICY_INVALID: "));
        let verify = lucent_with_policy(&["audit", "verify"], tmp.path(), &data, &policy);
        assert_eq!(verify.status.code(), Some(2), "{why}");
        assert!(String::from_utf8_lossy(&verify.stderr).contains("E_POLICY_INVALID"));
    }
}

fn verify_json(cwd: &Path, data: &Path) -> serde_json::Value {
    let verify = lucent(&["audit", "verify", "--json"], cwd, data);
    serde_json::from_slice(&verify.stdout).unwrap()
}

/// Found by the security review: a fresh `LUCENT_DATA_DIR` started a new log with no trace of the
/// one before. Verify reports the relocation, naming the earlier log's token and last record, and
/// whether it is still there (then missing once deleted). Other tests move the OS user's anchor
/// in parallel: a round whose relocation names another test's log is tried again.
#[test]
fn regression_verify_reports_a_relocation_to_a_fresh_data_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let file = marker_study(tmp.path());
    let render = |data: &Path| {
        let out = lucent(
            &["render", file.to_str().unwrap(), "-o", "out.png"],
            tmp.path(),
            data,
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    for round in 0..25 {
        let a = tmp.path().join(format!("a{round}"));
        let b = tmp.path().join(format!("b{round}"));
        render(&a);
        render(&b);
        let a_token = lucent_audit::location_token(&a.join("audit"));
        let doc = verify_json(tmp.path(), &b);
        assert_eq!(doc["intact"], true, "{doc}");
        let relocation = &doc["relocations"][0];
        if relocation["previous"] != a_token.as_str() {
            forget_keys(&a);
            forget_keys(&b);
            continue;
        }
        assert_eq!(relocation["seq"], 1, "{doc}");
        assert_eq!(relocation["recreated"], false);
        assert_eq!(relocation["previous_present_then"], true);
        let a_records = show_json(tmp.path(), &a);
        assert!(
            relocation["previous_last_seq"].as_u64().unwrap() >= 2,
            "{doc} {a_records:?}"
        );
        let text = String::from_utf8_lossy(&lucent(&["audit", "verify"], tmp.path(), &b).stdout)
            .into_owned();
        assert!(text.contains("relocation at record 1 ("), "{text}");
        assert!(
            text.contains(&format!("took over from log {a_token}")),
            "{text}"
        );
        // The earlier log deleted: verify says it is missing now.
        forget_keys(&a);
        std::fs::remove_dir_all(&a).unwrap();
        let doc = verify_json(tmp.path(), &b);
        if doc["active"] == doc["location"] {
            assert_eq!(
                doc["relocations"][0]["previous_present_now"], false,
                "{doc}"
            );
            let text =
                String::from_utf8_lossy(&lucent(&["audit", "verify"], tmp.path(), &b).stdout)
                    .into_owned();
            assert!(text.contains("it is MISSING now"), "{text}");
        }
        forget_keys(&b);
        return;
    }
    panic!("no relocation named the log before it in 25 rounds");
}

/// Found by the security review: deleting the data folder left no trace. While the keychain
/// still holds its key and anchor, verify fails on the emptied folder, and the next log starts
/// with a record of the loss that verify reports.
#[test]
fn regression_a_deleted_and_recreated_data_directory_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let file = marker_study(tmp.path());
    let render = || {
        lucent(
            &["render", file.to_str().unwrap(), "-o", "out.png"],
            tmp.path(),
            &data,
        )
    };
    assert_eq!(render().status.code(), Some(0));
    std::fs::remove_dir_all(&data).unwrap();
    let gone = lucent(&["audit", "verify"], tmp.path(), &data);
    assert_eq!(
        gone.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&gone.stdout)
    );
    assert!(String::from_utf8_lossy(&gone.stdout).contains("anchor"));
    assert_eq!(render().status.code(), Some(0));
    let verify = lucent(&["audit", "verify"], tmp.path(), &data);
    assert_eq!(verify.status.code(), Some(0));
    let text = String::from_utf8_lossy(&verify.stdout);
    assert!(text.contains("recreated at record 1"), "{text}");
    assert!(
        text.contains("last record 2"),
        "the start and the access before: {text}"
    );
    forget_keys(&data);
}

/// Everything Lucent writes under the data folder is owner-only even under umask 022: folders
/// 0700, files 0600 (the log, the lock, an export written there); the export's temporary file
/// is gone.
#[cfg(unix)]
#[test]
fn regression_files_are_0600_and_folders_0700_under_umask_022() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let file = marker_study(tmp.path());
    let export = data.join("export.xml");
    let under_umask = |args: &[&str]| {
        let out = Command::new("sh")
            .arg("-c")
            .arg("umask 022 && exec \"$0\" \"$@\"")
            .arg(env!("CARGO_BIN_EXE_lucent"))
            .args(args)
            .current_dir(tmp.path())
            .env("LUCENT_DATA_DIR", &data)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    under_umask(&["render", file.to_str().unwrap(), "-o", "out.png"]);
    under_umask(&["audit", "show"]);
    under_umask(&[
        "audit",
        "export",
        "--format",
        "xml",
        "-o",
        export.to_str().unwrap(),
    ]);
    under_umask(&[
        "audit",
        "export",
        "--format",
        "xml",
        "-o",
        export.to_str().unwrap(),
    ]);
    let mut files = Vec::new();
    files_under(&data, &mut files);
    assert!(files.len() >= 3, "{files:?}");
    for f in &files {
        let mode = std::fs::metadata(f).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", f.display());
        assert!(
            !f.to_string_lossy().ends_with(".partial"),
            "{}",
            f.display()
        );
    }
    for dir in [data.clone(), data.join("audit")] {
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "{}", dir.display());
    }
    let png = std::fs::metadata(tmp.path().join("out.png"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(png & 0o077, 0, "a rendered frame is PHI: {png:o}");
    forget_keys(&data);
}

/// `lucent info` discloses patient text only after the listing is recorded: when the audit trail
/// cannot be written it prints nothing of the study and fails with the code (fail closed); when
/// it can, the listing (110103, STUDY-LISTED) is in the log before the output.
#[test]
fn info_prints_no_patient_text_that_the_audit_trail_has_not_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    marker_study(tmp.path());
    std::fs::write(tmp.path().join("plain-file"), b"x").unwrap();
    let out = lucent(
        &["info", "marker.dcm"],
        tmp.path(),
        &tmp.path().join("plain-file").join("data"),
    );
    assert_eq!(out.status.code(), Some(1));
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    for marker in MARKERS {
        assert!(
            !stdout.contains(marker) && !stderr.contains(marker),
            "{marker}: {stdout}{stderr}"
        );
    }
    assert!(stderr.starts_with("error: E_AUDIT_UNAVAILABLE"), "{stderr}");

    let data = tmp.path().join("data");
    let out = lucent(&["info", "marker.dcm"], tmp.path(), &data);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Patient ZQXNAME^MARKER"));
    let bodies = lucent_audit::read_bodies(&data.join("audit")).unwrap();
    assert!(
        bodies
            .iter()
            .any(|b| b.event_code == "110103" && b.event_type.as_deref() == Some("STUDY-LISTED")),
        "the listing is recorded"
    );
    forget_keys(&data);
}
