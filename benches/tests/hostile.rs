//! `lucent-bench hostile` cannot pass when nothing was tested: a caught codec panic, a run
//! without a keychain (every render refused before decoding) and a run with too few renders
//! that produced an image each fail it, and a healthy run on the same files passes.
//!
//! Needs the `lucent` built next to `lucent-bench` by the tests (`cargo test --workspace`; its
//! lucent-pixels has the test-only `test-panic` feature through lucent-cli's dev-dependencies),
//! a Secret Service (run under `scripts/with-keyring.sh`, as the README's test command does),
//! and the files of `test-data/fetch.sh`.

use lucent_testdata::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Files of the pydicom wheel that reach each contained codec: jpeg-decoder, libjpeg-turbo-rs
/// (12-bit), CharLS and OpenJPEG.
const CODEC_FILES: &[&str] = &[
    "SC_rgb_jpeg_dcmtk.dcm",
    "JPGExtended.dcm",
    "MR_small_jpeg_ls_lossless.dcm",
    "JPEG2000.dcm",
];

fn pydicom_test_files() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../test-data/cache/pydicom-3.0.1/data/test_files");
    assert!(
        dir.join("../../.complete").exists(),
        "fetched test files missing: run test-data/fetch.sh (the README's test command does)"
    );
    dir
}

/// A corpus of the codec files and one native phantom.
fn corpus(dir: &Path) -> PathBuf {
    let corpus = dir.join("corpus");
    std::fs::create_dir_all(&corpus).unwrap();
    for name in CODEC_FILES {
        std::fs::copy(pydicom_test_files().join(name), corpus.join(name)).unwrap();
    }
    let study = StudyIdentity::phantom(18, "PHANTOM^HOSTILE");
    ct_slice_spec(&study, 18)
        .write(&corpus.join("native-ct.dcm"))
        .unwrap();
    corpus
}

struct Run {
    success: bool,
    stdout: String,
    result: serde_json::Value,
}

/// `lucent-bench hostile CORPUS` with `env` added (and `remove` removed) for it and its children.
fn hostile(dir: &Path, corpus: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let json = dir.join("hostile.json");
    let _ = std::fs::remove_file(&json);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lucent-bench"));
    cmd.arg("hostile")
        .arg(corpus)
        .args(args)
        .arg("--json")
        .arg(&json)
        .env("LUCENT_DATA_DIR", dir.join("data"))
        .env_remove("LUCENT_TEST_CODEC_PANIC");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run lucent-bench");
    Run {
        success: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr),
        result: serde_json::from_slice(&std::fs::read(&json).unwrap_or_default())
            .unwrap_or(serde_json::Value::Null),
    }
}

fn renders(r: &Run, kind: &str) -> u64 {
    r.result["totals"]["render"][kind].as_u64().unwrap_or(0)
}

#[test]
fn a_healthy_run_passes_and_a_caught_codec_panic_fails_it() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = corpus(tmp.path());
    let files = CODEC_FILES.len() as u64 + 1;

    let healthy = hostile(tmp.path(), &corpus, &[], &[]);
    assert!(healthy.success, "{}", healthy.stdout);
    assert_eq!(renders(&healthy, "ok"), files, "{}", healthy.stdout);

    // Every codec call panics inside lucent-pixels' containment: the viewer would get a typed
    // E_INTERNAL; the harness must count each as a failure, not as a codec's rejection.
    let panicking = hostile(
        tmp.path(),
        &corpus,
        &[],
        &[("LUCENT_TEST_CODEC_PANIC", "1")],
    );
    assert!(
        renders(&panicking, "panic") == CODEC_FILES.len() as u64,
        "every codec file's render must count as a panic (and the lucent next to lucent-bench be \
         the test build: cargo test --workspace builds it with lucent-pixels/test-panic): {}",
        panicking.stdout
    );
    assert!(!panicking.success, "{}", panicking.stdout);
    assert_eq!(renders(&panicking, "typed"), 0, "{}", panicking.stdout);
    assert_eq!(renders(&panicking, "ok"), 1, "the native file has no codec");
    let failures = panicking.result["failures"].as_array().unwrap();
    assert!(
        failures
            .iter()
            .filter(|f| f["command"] == "render")
            .all(|f| f["outcome"]["panic"]
                .as_str()
                .is_some_and(|m| m.contains("panicked at"))),
        "{failures:?}"
    );
}

#[test]
fn a_run_without_a_keychain_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = corpus(tmp.path());
    // No Secret Service: a D-Bus session address where nothing listens.
    let bus = format!("unix:path={}", tmp.path().join("no-bus").display());
    let r = hostile(
        tmp.path(),
        &corpus,
        &[],
        &[("DBUS_SESSION_BUS_ADDRESS", bus.as_str())],
    );
    assert!(!r.success, "{}", r.stdout);
    assert_eq!(
        renders(&r, "environment"),
        CODEC_FILES.len() as u64 + 1,
        "{}",
        r.stdout
    );
    assert_eq!(renders(&r, "ok") + renders(&r, "typed"), 0, "{}", r.stdout);
    let codes = &r.result["failures"][0]["outcome"]["environment"][0];
    assert!(
        codes
            .as_str()
            .is_some_and(|c| c.starts_with("E_KEYCHAIN") || c.starts_with("E_AUDIT")),
        "{}",
        r.result["failures"]
    );
}

#[test]
fn a_run_with_too_few_renders_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let valid = tmp.path().join("valid.dcm");
    ct_slice_spec(&StudyIdentity::phantom(18, "PHANTOM^HOSTILE"), 18)
        .write(&valid)
        .unwrap();
    let corpus = tmp.path().join("junk");
    write_junk(&corpus, &valid, 18).unwrap();
    // Every file is refused with a typed error (E_NOT_DICOM, …): no failure, and no image.
    let r = hostile(tmp.path(), &corpus, &[], &[]);
    assert!(!r.success, "{}", r.stdout);
    assert_eq!(r.result["failures"].as_array().map(Vec::len), Some(0));
    assert_eq!(r.result["rendered"], 0);
    assert!(
        r.stdout.contains("renders produced an image"),
        "{}",
        r.stdout
    );
    // The floor is what fails it: without one the same run passes.
    let r = hostile(tmp.path(), &corpus, &["--min-rendered-percent", "0"], &[]);
    assert!(r.success, "{}", r.stdout);
}
