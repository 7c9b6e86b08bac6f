//! The QA harness end to end on generated files: every tool appears, the summary can be
//! recomputed from the cases, pixels match. (The viewer and scale outputs: `tests/viewer.rs`.)
//! (Assertions on structure and correctness only: speed targets are read from the reports.)

use lucent_testdata::*;
use std::process::Command;

fn geometric_mean(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| (v.iter().map(|x| x.ln()).sum::<f64>() / v.len() as f64).exp())
}

#[test]
fn decode_compares_all_four_tools_and_the_summary_recomputes() {
    let tmp = tempfile::tempdir().unwrap();
    let files = tmp.path().join("files");
    let study = StudyIdentity::phantom(90, "PHANTOM^QA");
    let ct = ct_slice_spec(&study, 90);
    ct.write(&files.join("ct.dcm")).unwrap();
    mr_series_specs(&study, 90, 1)[0]
        .write(&files.join("mr.dcm"))
        .unwrap();
    rgb_us_spec(&study, 90)
        .write(&files.join("us.dcm"))
        .unwrap();
    let json = tmp.path().join("out.json");
    let md = tmp.path().join("out.md");
    let svg = tmp.path().join("out.svg");
    let status = Command::new(env!("CARGO_BIN_EXE_lucent-bench"))
        .args([
            "decode",
            files.to_str().unwrap(),
            "--against",
            "dcmtk,gdcm,pydicom",
            "--repeat",
            "2",
        ])
        .args([
            "--json",
            json.to_str().unwrap(),
            "--report",
            md.to_str().unwrap(),
            "--plot",
            svg.to_str().unwrap(),
        ])
        .env("LUCENT_DATA_DIR", tmp.path().join("data"))
        .status()
        .unwrap();
    assert!(status.success());
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    for tool in ["lucent", "dcmtk", "gdcm", "pydicom"] {
        assert!(
            r["tools"][tool].is_string(),
            "{tool} not installed or not detected: {}",
            r["tools"]
        );
        assert!(
            r["cases"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["tool"] == tool && c["frames_per_s"].is_number()),
            "{tool} has no measurement"
        );
    }
    assert!(r["machine"]["cpus"].as_u64().unwrap() >= 1);
    let cases = r["cases"].as_array().unwrap();
    assert!(
        cases.iter().all(|c| c["pixels_match"] == true),
        "Lucent's pixels match the reference on generated files"
    );
    // Recompute speedup_vs from the cases.
    let fps = |file: &str, tool: &str, mode: &str| {
        cases
            .iter()
            .find(|c| c["file"] == file && c["tool"] == tool && c["mode"] == mode)
            .and_then(|c| c["frames_per_s"].as_f64())
    };
    let mut names: Vec<&str> = cases.iter().map(|c| c["file"].as_str().unwrap()).collect();
    names.dedup();
    for (key, peer, peer_mode, lucent_mode) in [
        ("pydicom", "pydicom", "in-process-1", "in-process-all"),
        ("gdcm", "gdcm", "in-process-1", "in-process-all"),
        ("dcmtk", "dcmtk", "per-process", "per-process"),
        ("gdcm_cli", "gdcm", "per-process", "per-process"),
    ] {
        let ratios: Vec<f64> = names
            .iter()
            .filter_map(|n| Some(fps(n, "lucent", lucent_mode)? / fps(n, peer, peer_mode)?))
            .collect();
        let expected = geometric_mean(&ratios).unwrap();
        let got = r["summary"]["speedup_vs"][key].as_f64().unwrap();
        assert!(
            (expected - got).abs() < 1e-9 * expected.max(1.0),
            "{key}: {expected} vs {got}"
        );
    }
    let report = std::fs::read_to_string(&md).unwrap();
    assert!(report.contains("| Lucent vs |") && report.contains("ct.dcm"));
    let plot = std::fs::read_to_string(&svg).unwrap();
    assert!(plot.starts_with("<svg") && plot.contains("lucent in-process-1"));
    let _ = lucent_core::audit::Keychain::open(&tmp.path().join("data")).and_then(|k| k.forget());
}

#[test]
fn conformance_classifies_each_file_and_groups_them() {
    let tmp = tempfile::tempdir().unwrap();
    let files = tmp.path().join("files");
    let study = StudyIdentity::phantom(91, "PHANTOM^QA");
    ct_slice_spec(&study, 91)
        .write(&files.join("ct.dcm"))
        .unwrap();
    rgb_us_spec(&study, 91)
        .write(&files.join("us.dcm"))
        .unwrap();
    // Pixel Data cut short: Lucent refuses it (E_TRUNCATED), GDCM renders what is there.
    let mut cut = std::fs::read(files.join("ct.dcm")).unwrap();
    cut.truncate(cut.len() - 1000);
    std::fs::write(files.join("cut.dcm"), &cut).unwrap();
    let md = tmp.path().join("conformance.md");
    let json = tmp.path().join("conformance.json");
    let out = Command::new(env!("CARGO_BIN_EXE_lucent-bench"))
        .args(["conformance", files.to_str().unwrap()])
        .args([
            "--markdown",
            md.to_str().unwrap(),
            "--json",
            json.to_str().unwrap(),
        ])
        .env("LUCENT_DATA_DIR", tmp.path().join("data"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let status = |name: &str| {
        rows.iter()
            .find(|r| r["file"].as_str().unwrap().ends_with(name))
            .map(|r| (r["status"].clone(), r["error_code"].clone()))
            .unwrap()
    };
    assert_eq!(status("ct.dcm").0, "matches", "{rows:?}");
    assert_eq!(status("us.dcm").0, "matches", "{rows:?}");
    let cut = status("cut.dcm");
    assert!(cut.0 == "unsupported" || cut.0 == "no_decoder", "{rows:?}");
    assert_eq!(cut.1, "E_TRUNCATED");
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(
        text.contains("| Explicit VR Little Endian `1.2.840.10008.1.2.1` | MONOCHROME2 | 16/16 |"),
        "{text}"
    );
    assert!(
        text.contains("| Explicit VR Little Endian `1.2.840.10008.1.2.1` | RGB | 8/8 | 1 | 1 |"),
        "{text}"
    );
    assert!(text.contains("cut.dcm"));
}
