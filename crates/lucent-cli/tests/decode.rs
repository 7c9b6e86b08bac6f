//! `lucent decode FILE --frame N --raw OUT`: one frame's stored values for QA, in the documented
//! layout, audited exactly like `lucent render` (a 110103 record before any pixel; no keychain or
//! no audit location, no output). Runs with a keychain (`scripts/with-keyring.sh`).

use lucent_testdata::*;
use std::path::Path;
use std::process::{Command, Output};

fn lucent(args: &[&str], cwd: &Path, data: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lucent"))
        .args(args)
        .current_dir(cwd)
        .env("LUCENT_DATA_DIR", data)
        .output()
        .expect("run lucent")
}

fn forget_keys(data: &Path) {
    if let Ok(k) = lucent_audit::AuditKeychain::open(data) {
        let _ = k.forget();
    }
}

/// A signed 16-bit CT whose stored values are known, and a 3-frame enhanced MR.
fn write_files(dir: &Path) -> (ImageSpec, ImageSpec) {
    let study = StudyIdentity::phantom(73, "PHANTOM^DECODE");
    let mut ct = ct_slice_spec(&study, 73);
    ct.rows = 4;
    ct.columns = 3;
    ct.pixels = Pixels::Mono16 {
        signed: true,
        bits_stored: 16,
        values: [-1024i16, -1, 0, 1, 40, 400, 1000, 3000, -2000, 7, 8, 9]
            .iter()
            .map(|&v| v as u16)
            .collect(),
    };
    ct.pixel_padding_value = None;
    ct.write(&dir.join("ct.dcm")).unwrap();
    let mr = enhanced_mr_spec(&study, 73, 3);
    mr.write(&dir.join("mr.dcm")).unwrap();
    (ct, mr)
}

#[test]
fn writes_the_stored_values_of_a_frame_and_is_audited() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let (_, mr) = write_files(tmp.path());
    let out = lucent(&["decode", "ct.dcm", "--raw", "ct.raw"], tmp.path(), &data);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let raw = std::fs::read(tmp.path().join("ct.raw")).unwrap();
    let values: Vec<i16> = raw
        .chunks_exact(2)
        .map(|c| i16::from_le_bytes([c[0], c[1]]))
        .collect();
    assert_eq!(
        values,
        [-1024, -1, 0, 1, 40, 400, 1000, 3000, -2000, 7, 8, 9],
        "rows × columns, little endian, signed"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("layout: 4 rows, 3 columns, 12 samples of 16 bits (signed)"),
        "{stderr}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(tmp.path().join("ct.raw"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "stored values are PHI: owner only");
    }

    // Frame 2 of the multi-frame file is that frame's values, not frame 0's.
    let out = lucent(
        &["decode", "mr.dcm", "--frame", "2", "--raw", "mr2.raw"],
        tmp.path(),
        &data,
    );
    assert_eq!(out.status.code(), Some(0));
    let Pixels::Mono16 { values, .. } = &mr.pixels else {
        panic!("the enhanced MR phantom is 16-bit")
    };
    let per_frame = usize::from(mr.rows) * usize::from(mr.columns);
    let expected: Vec<u8> = values[2 * per_frame..3 * per_frame]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    assert_eq!(std::fs::read(tmp.path().join("mr2.raw")).unwrap(), expected);

    // A frame out of range is an error, recorded, and writes nothing.
    let out = lucent(
        &["decode", "mr.dcm", "--frame", "3", "--raw", "none.raw"],
        tmp.path(),
        &data,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: E_FRAME_OUT_OF_RANGE"));
    assert!(!tmp.path().join("none.raw").exists());

    let show = lucent(&["audit", "show", "--json"], tmp.path(), &data);
    assert_eq!(show.status.code(), Some(0));
    let records: Vec<serde_json::Value> = String::from_utf8_lossy(&show.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let accesses = records
        .iter()
        .filter(|r| r["event_code"] == "110103" && r["outcome"] == 0)
        .count();
    assert!(accesses >= 1, "the decode was recorded: {records:?}");
    assert!(
        records
            .iter()
            .any(|r| r["error_code"] == "E_FRAME_OUT_OF_RANGE"),
        "the failed decode was recorded: {records:?}"
    );
    forget_keys(&data);
}

#[test]
fn without_a_keychain_or_an_audit_location_nothing_is_decoded() {
    let tmp = tempfile::tempdir().unwrap();
    write_files(tmp.path());
    let out = Command::new(env!("CARGO_BIN_EXE_lucent"))
        .args(["decode", "ct.dcm", "--raw", "out.raw"])
        .current_dir(tmp.path())
        .env("LUCENT_DATA_DIR", tmp.path().join("data"))
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("error: E_KEYCHAIN_UNAVAILABLE: "),
        "{stderr}"
    );
    assert!(!tmp.path().join("out.raw").exists());

    std::fs::write(tmp.path().join("regular"), b"x").unwrap();
    let out = lucent(
        &["decode", "ct.dcm", "--raw", "out.raw"],
        tmp.path(),
        &tmp.path().join("regular").join("data"),
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("error: E_AUDIT_UNAVAILABLE: "),
        "{stderr}"
    );
    assert!(
        !tmp.path().join("out.raw").exists(),
        "no pixels without an audit record"
    );
}
