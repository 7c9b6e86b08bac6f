//! The audited CLI against the real keychain: a render leaves a 110103 record, no PHI anywhere
//! under `LUCENT_DATA_DIR` or in the output, verify catches a flipped byte, and an audit that
//! cannot be written (or a missing keychain) stops the render.

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
    if let Ok(k) = lucent_core::audit::Keychain::open(data) {
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
    assert_eq!(xml.matches("<AuditMessage>").count(), 1, "{xml}");
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
    assert!(text.contains("export xml: 1 record(s) to a file"));
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
