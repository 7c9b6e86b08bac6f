//! `lucent-bench viewer` and `scale` end to end on generated series: the schema, the cold
//! start (cache emptied, files evicted and checked), the process-tree memory, and a failed frame
//! counted per error code and failing the run (exit status 1) instead of timed as a fast frame.

use lucent_testdata::*;
use std::path::Path;
use std::process::{Command, Output};

fn bench(args: &[&str], data: &Path) -> (Output, serde_json::Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_lucent-bench"))
        .args(args)
        .env("LUCENT_DATA_DIR", data)
        .output()
        .expect("run lucent-bench");
    let json = serde_json::from_slice(
        out.stdout
            .split(|&b| b == b'\n')
            .rfind(|l| !l.is_empty())
            .unwrap_or(&[]),
    )
    .unwrap_or(serde_json::Value::Null);
    (out, json)
}

fn ok(args: &[&str], data: &Path) -> serde_json::Value {
    let (out, json) = bench(args, data);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    json
}

fn ct_series(dir: &Path, seed: u64, slices: usize) {
    let study = StudyIdentity::phantom(seed, "PHANTOM^QA");
    let p = CtSeries {
        seed,
        slices,
        size: 128,
        distinct_pixels: false,
        ..CtSeries::default()
    };
    write_all(dir, &ct_series_specs(&study, &p), None).unwrap();
}

/// Halves a native file's Pixel Data: its declared length and the file both end half-way, so
/// the header indexes (the length fits the file) but the frame cannot be read (`E_TRUNCATED`).
fn halve_pixel_data(path: &Path) {
    let mut b = std::fs::read(path).unwrap();
    let tag = [0xE0, 0x7F, 0x10, 0x00];
    let at = b.windows(4).rposition(|w| w == tag).expect("Pixel Data");
    let (len_at, value_at) = if &b[at + 4..at + 6] == b"OW" || &b[at + 4..at + 6] == b"OB" {
        (at + 8, at + 12)
    } else {
        (at + 4, at + 8)
    };
    let len = u32::from_le_bytes(b[len_at..len_at + 4].try_into().unwrap());
    let half = (len / 2) & !1;
    b[len_at..len_at + 4].copy_from_slice(&half.to_le_bytes());
    b.truncate(value_at + half as usize);
    std::fs::write(path, &b).unwrap();
}

#[test]
fn viewer_and_scale_report_latency_cache_cold_start_and_tree_memory() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ct");
    ct_series(&dir, 91, 40);
    let data = tmp.path().join("data");
    let v = ok(
        &["viewer", dir.to_str().unwrap(), "--cache-mb", "64"],
        &data,
    );
    assert_eq!(v["schema"], "lucent-bench/viewer/2");
    assert_eq!(v["frames"], 40);
    assert!(v["first_image_ms"].as_f64().unwrap() > 0.0);
    let passes = v["passes"].as_array().unwrap();
    assert_eq!(passes.len(), 2);
    assert_eq!(passes[0]["kind"], "cold");
    for p in passes {
        assert_eq!(p["frames"], 80, "forward and back: {p}");
        assert_eq!(p["frames_failed"], 0, "{p}");
    }
    assert!(
        passes[1]["cache_hit_rate"].as_f64().unwrap() > 0.99,
        "warm pass is served from the cache: {v}"
    );
    let cold = &v["cold_start"];
    assert_eq!(cold["frame_cache_bytes_after"], 0, "{cold}");
    assert_eq!(cold["page_cache"]["files"], 40, "{cold}");
    assert_eq!(cold["page_cache"]["files_failed"], 0, "{cold}");
    // Residency is counted when fincore (util-linux) is there (null otherwise): the 40 files
    // (about 9 pages each) are evicted, at most a page each may stay.
    let resident = &cold["page_cache"]["resident_pages_after"];
    assert!(
        resident.is_null() || resident.as_u64().is_some_and(|p| p <= 40),
        "{cold}"
    );
    let m = &v["memory"];
    assert!(m["tree_rss_anon_mb"].as_f64().unwrap() > 0.0, "{m}");
    assert!(m["samples"].as_u64().unwrap() >= 2, "{m}");
    assert!(
        m["processes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "lucent-bench"),
        "{m}"
    );

    let s = ok(&["scale", "--slices", "20,40", "--cache-mb", "16"], &data);
    assert_eq!(s["schema"], "lucent-bench/scale/2");
    assert_eq!(s["cache_mb"], 16);
    let runs = s["runs"].as_array().unwrap();
    assert_eq!(
        runs.iter()
            .map(|r| r["slices"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        vec![20, 40]
    );
    for r in runs {
        for field in ["first_image_ms", "scroll_ms_p95", "peak_tree_rss_anon_mb"] {
            assert!(r[field].as_f64().unwrap() > 0.0, "{field} in {r}");
        }
        assert_eq!(r["frames_failed"], 0, "{r}");
    }
    let _ = lucent_audit::AuditKeychain::open(&data).and_then(|k| k.forget());
}

#[test]
fn a_failed_frame_is_counted_and_fails_the_viewer_run() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ct");
    ct_series(&dir, 92, 12);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "dcm"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 12);
    // One slice, not the first shown (the first image failing is a different error).
    halve_pixel_data(&files[6]);
    let data = tmp.path().join("data");
    let (out, v) = bench(
        &["viewer", dir.to_str().unwrap(), "--cache-mb", "64"],
        &data,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}\n{v}");
    assert!(stderr.contains("frame(s) failed"), "{stderr}");
    assert_eq!(v["frames"], 12, "the slice was indexed: {v}");
    for p in v["passes"].as_array().unwrap() {
        // Scrolled forward and back, the broken slice is asked for twice per pass.
        assert_eq!(p["frames_failed"], 2, "{p}");
        assert_eq!(p["errors"]["E_TRUNCATED"], 2, "{p}");
        assert_eq!(p["frames"], 24, "{p}");
    }
    let _ = lucent_audit::AuditKeychain::open(&data).and_then(|k| k.forget());
}
