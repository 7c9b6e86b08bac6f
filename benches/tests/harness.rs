//! The QA harness end to end on generated files: every tool appears, the summary can be
//! recomputed from the cases, pixels match, the one-thread mode ran on one thread. (The viewer
//! and scale outputs: `tests/viewer.rs`.)
//! (Assertions on structure and correctness only: speed targets are read from the reports.)

use lucent_testdata::*;
use std::path::Path;
use std::process::Command;

/// Runs lucent-bench and requires it to succeed.
fn bench(args: &[&str], data: &Path) {
    let out = Command::new(env!("CARGO_BIN_EXE_lucent-bench"))
        .args(args)
        .env("LUCENT_DATA_DIR", data)
        .output()
        .expect("run lucent-bench");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

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
    assert_eq!(r["schema"], "lucent-bench/decode/2");
    for tool in ["lucent", "dcmtk", "gdcm", "pydicom", "gdcmconv"] {
        assert!(
            r["tools"][tool].is_string(),
            "{tool} not installed or not detected: {}",
            r["tools"]
        );
        assert!(
            r["timed"][tool].as_str().is_some_and(|t| !t.is_empty()),
            "what is timed for {tool}"
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
    assert!(
        r["timed"]["gdcmconv"]
            .as_str()
            .unwrap()
            .starts_with("decompress only"),
        "gdcmconv --raw is labelled for what it does"
    );
    // The machine, the command and the conditions are recorded.
    let m = &r["machine"];
    assert!(m["cores"].as_u64().unwrap() >= 1);
    for field in ["cpu_model", "os", "kernel"] {
        assert!(m[field].as_str().is_some_and(|v| !v.is_empty()), "{field}");
    }
    assert!(m["memory_gb"].as_f64().unwrap() > 0.0);
    assert!(r["date"].as_str().unwrap().ends_with('Z'));
    assert!(r["command"][1] == "decode", "{}", r["command"]);
    assert_eq!(r["load_before"].as_array().unwrap().len(), 3);
    let workers = r["workers"].as_u64().unwrap();
    assert_eq!(workers, m["cores"].as_u64().unwrap());
    let cases = r["cases"].as_array().unwrap();
    assert!(
        cases.iter().all(|c| c["pixels_match"] == true),
        "Lucent's pixels match the reference on generated files"
    );
    // Like with like: every tool of a file got the same explicit window (greyscale files have
    // one), and the all-cores modes run as many workers as the machine has cores.
    for c in cases {
        let grey = c["photometric"].as_str().unwrap().starts_with("MONOCHROME");
        assert_eq!(c["window"].is_array(), grey, "{c}");
        let all = c["mode"].as_str().unwrap().ends_with("-all");
        assert_eq!(
            c["workers"].as_u64().unwrap(),
            if all { workers } else { 1 },
            "{c}"
        );
        if c["error"].is_null() {
            let ms = &c["ms"];
            assert!(
                ms["min"].as_f64() <= ms["median"].as_f64()
                    && ms["median"].as_f64() <= ms["max"].as_f64(),
                "{c}"
            );
        }
    }
    // Recompute both ratios from the cases: Lucent's frames/s over the peer's in the same mode.
    let fps = |file: &str, tool: &str, mode: &str| {
        cases
            .iter()
            .find(|c| c["file"] == file && c["tool"] == tool && c["mode"] == mode)
            .and_then(|c| c["frames_per_s"].as_f64())
    };
    let mut names: Vec<&str> = cases.iter().map(|c| c["file"].as_str().unwrap()).collect();
    names.dedup();
    for (group, key, mode) in [
        ("one_thread", "pydicom", "in-process-1"),
        ("one_thread", "gdcm", "in-process-1"),
        ("one_thread", "dcmtk", "per-process-1"),
        ("all_cores", "pydicom", "in-process-all"),
        ("all_cores", "gdcm", "in-process-all"),
        ("all_cores", "dcmtk", "per-process-all"),
    ] {
        let ratio = &r["summary"][group][key];
        assert_eq!(ratio["peer"], key);
        assert_eq!(ratio["mode"], mode);
        let ratios: Vec<f64> = names
            .iter()
            .filter_map(|n| Some(fps(n, "lucent", mode)? / fps(n, key, mode)?))
            .collect();
        assert_eq!(ratio["files"].as_u64().unwrap() as usize, ratios.len());
        let expected = geometric_mean(&ratios).unwrap();
        let got = ratio["speedup"].as_f64().unwrap();
        assert!(
            (expected - got).abs() < 1e-9 * expected.max(1.0),
            "{group} {key}: {expected} vs {got}"
        );
    }
    // gdcmconv --raw (decompress only) is in no ratio.
    for group in ["one_thread", "all_cores"] {
        assert!(
            r["summary"][group]
                .as_object()
                .unwrap()
                .values()
                .all(|v| v["peer"] != "gdcmconv")
        );
    }
    // Per transfer syntax: this corpus is all Explicit VR Little Endian.
    assert_eq!(r["summary"]["by_class"]["1.2.840.10008.1.2.1"]["files"], 3);
    let report = std::fs::read_to_string(&md).unwrap();
    assert!(report.contains("| Lucent vs |") && report.contains("ct.dcm"));
    assert!(report.contains("1 vs 1") && report.contains("All cores"));
    let plot = std::fs::read_to_string(&svg).unwrap();
    assert!(plot.starts_with("<svg") && plot.contains("lucent in-process-1"));
    let _ = lucent_audit::AuditKeychain::open(&tmp.path().join("data")).and_then(|k| k.forget());
}

/// A 512×512 baseline JPEG (jpeg-decoder hands rows of images wider than 128 pixels to rayon).
fn jpeg_baseline_file() -> Vec<u8> {
    let (w, h) = (512u16, 512u16);
    let luma: Vec<u8> = (0..u32::from(h))
        .flat_map(|y| (0..u32::from(w)).map(move |x| ((x * 7 + y * 13) ^ (x * y / 64)) as u8))
        .collect();
    let mut jpeg = Vec::new();
    jpeg_encoder::Encoder::new(&mut jpeg, 90)
        .encode(&luma, w, h, jpeg_encoder::ColorType::Luma)
        .unwrap();
    if jpeg.len() % 2 == 1 {
        jpeg.push(0);
    }
    // Rows and Columns 512 (stored as value − 1), one sample, 8 bits, then the codestream.
    let mut input = vec![0xFF, 0x01, 0xFF, 0x01, 0, 0];
    input.extend_from_slice(&jpeg);
    lucent_testdata::malformed::fuzz_decode_file("1.2.840.10008.1.2.4.50", &input).unwrap()
}

#[test]
fn decode_one_thread_mode_runs_on_one_thread() {
    let tmp = tempfile::tempdir().unwrap();
    let files = tmp.path().join("files");
    std::fs::create_dir_all(&files).unwrap();
    std::fs::write(files.join("jpeg.dcm"), jpeg_baseline_file()).unwrap();
    let json = tmp.path().join("out.json");
    let (dir, json_path) = (files.to_str().unwrap(), json.to_str().unwrap());
    let args = [
        "decode",
        dir,
        "--against",
        "none",
        "--repeat",
        "20",
        "--json",
        json_path,
    ];
    bench(&args, &tmp.path().join("data"));
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let lucent = |mode: &str| {
        r["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["tool"] == "lucent" && c["mode"] == mode)
            .unwrap_or_else(|| panic!("no lucent {mode} case: {r}"))
            .clone()
    };
    let one = lucent("in-process-1");
    assert!(one["error"].is_null(), "{one}");
    assert_eq!(one["transfer_syntax"], "1.2.840.10008.1.2.4.50");
    assert_eq!(one["threads_observed"], 1, "one thread for real: {one}");
    assert!(one["cpu_per_wall"].as_f64().unwrap() < 1.5, "{one}");
    let all = lucent("in-process-all");
    assert!(
        all["threads_observed"].as_u64().unwrap() <= all["workers"].as_u64().unwrap(),
        "{all}"
    );
    let _ = lucent_audit::AuditKeychain::open(&tmp.path().join("data")).and_then(|k| k.forget());
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

/// `lucent-bench decode`'s pixel check must catch a deliberately broken decoder (the test build
/// of the harness carries lucent-pixels' `test-fault` feature; `LUCENT_TEST_FAULT` switches it
/// on): on the textured phantom, a 64×64 block moved 16 pixels (caught by the render metric) and
/// one stored value changed by 1 (caught only by the exact stored-value comparison) each give
/// `pixels_match: false`; without a fault the same file matches.
#[test]
fn decode_pixel_check_catches_a_broken_decoder() {
    let tmp = tempfile::tempdir().unwrap();
    let files = tmp.path().join("files");
    textured_phantom_spec(&StudyIdentity::phantom(92, "PHANTOM^QA"), 92)
        .write(&files.join("textured.dcm"))
        .unwrap();
    let run = |fault: Option<&str>| {
        let json = tmp.path().join(format!("{}.json", fault.unwrap_or("none")));
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_lucent-bench"));
        cmd.args(["decode", files.to_str().unwrap()])
            .args(["--against", "dcmtk", "--repeat", "1"])
            .args(["--json", json.to_str().unwrap()])
            .env("LUCENT_DATA_DIR", tmp.path().join("data"))
            .env_remove("LUCENT_TEST_FAULT");
        if let Some(fault) = fault {
            cmd.env("LUCENT_TEST_FAULT", fault);
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
        let lucent: Vec<serde_json::Value> = r["cases"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["tool"] == "lucent")
            .map(|c| c["pixels_match"].clone())
            .collect();
        assert!(!lucent.is_empty(), "{r}");
        lucent
    };
    assert!(
        run(None).iter().all(|m| m == true),
        "the correct decoder matches"
    );
    for fault in ["shift-block", "one-value"] {
        let matched = run(Some(fault));
        assert!(
            matched.iter().all(|m| m == false),
            "{fault}: the pixel check must report pixels_match false, got {matched:?}"
        );
    }
    let _ = lucent_audit::AuditKeychain::open(&tmp.path().join("data")).and_then(|k| k.forget());
}
