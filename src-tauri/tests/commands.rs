//! The commands through Tauri's mock runtime: DTOs carry ids and display text but no paths,
//! frames arrive as raw bytes, forged ids and unknown fields are refused with `{code, message}`.

use lucent_viewer::ipc::FRAME_HEADER_BYTES;
use lucent_viewer::{Viewer, with_commands};
use tauri::WebviewWindow;
use tauri::ipc::{CallbackFn, InvokeBody, InvokeResponseBody};
use tauri::test::{
    INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder, mock_context, noop_assets,
};
use tauri::webview::InvokeRequest;

fn request(cmd: &str, body: serde_json::Value) -> InvokeRequest {
    InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: "tauri://localhost".parse().unwrap(),
        body: InvokeBody::Json(body),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    }
}

/// The app on Tauri's mock runtime over `session`, and its main webview (keep the app alive).
fn mock_viewer(
    session: lucent_core::Session,
) -> (tauri::App<MockRuntime>, WebviewWindow<MockRuntime>) {
    let app = with_commands(mock_builder())
        .manage(Viewer::new(session, None))
        .build(mock_context(noop_assets()))
        .unwrap();
    let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();
    (app, webview)
}

#[test]
fn commands_answer_with_ids_pixels_and_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let study = lucent_testdata::StudyIdentity::phantom(31, "PHANTOM^IPC");
    let p = lucent_testdata::CtSeries {
        seed: 31,
        slices: 3,
        size: 32,
        ..Default::default()
    };
    lucent_testdata::write_all(
        &dir.path().join("ct"),
        &lucent_testdata::ct_series_specs(&study, &p),
        None,
    )
    .unwrap();
    let session = lucent_core::Session::new().with_data_dir(dir.path().join("data"));
    session.open(&[dir.path().join("ct")]).unwrap();
    let (_app, webview) = mock_viewer(session);

    let studies = get_ipc_response(&webview, request("studies", serde_json::json!({})))
        .unwrap()
        .deserialize::<serde_json::Value>()
        .unwrap();
    let text = studies.to_string();
    assert!(text.contains("PHANTOM^IPC"));
    assert!(
        !text.contains(&dir.path().display().to_string()),
        "no paths cross IPC: {text}"
    );
    assert!(!text.contains(".dcm"));
    let series = studies[0]["series"][0]["id"].as_str().unwrap().to_string();
    assert!(series.starts_with("se-"));

    let frame = get_ipc_response(
        &webview,
        request("frame", serde_json::json!({"request": {"series": series, "index": 1, "window": {"center": 40, "width": 400}}})),
    )
    .unwrap();
    match frame {
        InvokeResponseBody::Raw(bytes) => {
            assert_eq!(&bytes[..4], &32u32.to_le_bytes());
            assert_eq!(bytes.len(), FRAME_HEADER_BYTES + 32 * 32);
        }
        other => panic!("frames must be raw bytes, got {other:?}"),
    }

    // The stack says where it lies (orientation, an opaque frame-of-reference id, never the UID).
    let stack = get_ipc_response(
        &webview,
        request("stack", serde_json::json!({"request": {"series": series}})),
    )
    .unwrap()
    .deserialize::<serde_json::Value>()
    .unwrap();
    assert_eq!(
        stack["orientation"],
        serde_json::json!([1.0, 0.0, 0.0, 0.0, 1.0, 0.0])
    );
    assert!(
        stack["frameOfReference"]
            .as_str()
            .unwrap()
            .starts_with("fr-")
    );
    assert!(
        !stack.to_string().contains("2.25."),
        "no UID crosses IPC: {stack}"
    );
    assert_eq!(stack["modality"], "CT");
    // Values for the probe and ROI statistics: raw bytes, stored values + rescale + unit.
    let values = get_ipc_response(
        &webview,
        request(
            "values",
            serde_json::json!({"request": {"series": series, "index": 1}}),
        ),
    )
    .unwrap();
    match values {
        InvokeResponseBody::Raw(bytes) => {
            assert_eq!(bytes.len(), 32 + 4 * 32 * 32 + 2);
            assert_eq!(&bytes[8..12], &0u32.to_le_bytes(), "a rescale, not a table");
            assert_eq!(&bytes[24..32], &(-1024.0f64).to_le_bytes());
            assert_eq!(&bytes[bytes.len() - 2..], b"HU");
        }
        other => panic!("values must be raw bytes, got {other:?}"),
    }
    let out_of_range = get_ipc_response(
        &webview,
        request(
            "values",
            serde_json::json!({"request": {"series": series, "index": 3}}),
        ),
    )
    .unwrap_err();
    assert_eq!(
        out_of_range["code"], "E_FRAME_OUT_OF_RANGE",
        "{out_of_range}"
    );

    let forged = get_ipc_response(
        &webview,
        request(
            "frame",
            serde_json::json!({"request": {"series": "se-0000000000000001", "index": 0}}),
        ),
    )
    .unwrap_err();
    assert_eq!(forged["code"], "E_UNKNOWN_ID", "{forged}");
    let malformed = get_ipc_response(
        &webview,
        request(
            "frame",
            serde_json::json!({"request": {"series": "/etc/passwd", "index": 0}}),
        ),
    )
    .unwrap_err();
    assert_eq!(malformed["code"], "E_UNKNOWN_ID");
    let extra = get_ipc_response(
        &webview,
        request(
            "frame",
            serde_json::json!({"request": {"series": series, "index": 0, "path": "/etc/passwd"}}),
        ),
    );
    assert!(extra.is_err(), "unknown fields are refused");
    let bad_window = get_ipc_response(
        &webview,
        request("frame", serde_json::json!({"request": {"series": series, "index": 0, "window": {"center": 0, "width": -5}}})),
    )
    .unwrap_err();
    assert_eq!(bad_window["code"], "E_INVALID_ARGUMENT");
    // The refused requests were audited as security alerts.
    let bodies = lucent_audit::read_bodies(&dir.path().join("data").join("audit")).unwrap();
    assert!(
        bodies.iter().filter(|b| b.event_code == "110113").count() >= 3,
        "{bodies:?}"
    );
    let _ = lucent_audit::AuditKeychain::open(&dir.path().join("data")).and_then(|k| k.forget());
}

/// Writes a CT study of `slices` slices into `folder`.
fn ct_study(folder: &std::path::Path, seed: u64, name: &str, slices: usize) {
    let study = lucent_testdata::StudyIdentity::phantom(seed, name);
    let p = lucent_testdata::CtSeries {
        seed,
        slices,
        size: 32,
        ..Default::default()
    };
    lucent_testdata::write_all(folder, &lucent_testdata::ct_series_specs(&study, &p), None)
        .unwrap();
}

/// Every file and folder name under `dir`, and `dir`'s own name.
fn names_under(dir: &std::path::Path) -> Vec<String> {
    let mut names = vec![dir.file_name().unwrap().to_string_lossy().into_owned()];
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            names.push(entry.file_name().to_string_lossy().into_owned());
            if entry.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                stack.push(entry.path());
            }
        }
    }
    names
}

/// Issue 16: no path or file name crosses IPC in any error the webview can receive: unknown
/// and malformed ids, an invalid window, out-of-range frames and tiles, a folder that disappears
/// before the scan (the `open-error` event), files that become unreadable, truncated or vanish
/// after indexing, and a tampered audit log. Fails on code that sent `e.to_string()` (which
/// names the folder, or the audit log's path).
#[test]
fn no_error_the_webview_can_receive_names_a_path_or_a_file() {
    use tauri::Listener;
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("study-broken-files");
    let intact = dir.path().join("study-audited-later");
    ct_study(&broken, 41, "PHANTOM^BROKEN", 3);
    ct_study(&intact, 42, "PHANTOM^LATER", 2);
    let vanishing = dir.path().join("folder-that-vanishes");
    std::fs::create_dir(&vanishing).unwrap();
    let data = dir.path().join("lucent-data-dir");
    let session = lucent_core::Session::new().with_data_dir(data.clone());
    session.open(&[broken.clone(), intact.clone()]).unwrap();
    // Write the audit log now (its file must exist to be tampered with below).
    session.audit_application(true).unwrap();
    // Every name the test created, taken before anything is removed (Lucent's fixed folder and
    // lock names are words its messages use: "audit", "lock").
    let names: Vec<String> = names_under(dir.path())
        .into_iter()
        .filter(|n| n != "audit" && n != "lock")
        .collect();
    assert!(names.iter().any(|n| n.ends_with(".dcm")) && names.iter().any(|n| n.ends_with(".log")));
    let (app, webview) = mock_viewer(session);
    let studies = get_ipc_response(&webview, request("studies", serde_json::json!({})))
        .unwrap()
        .deserialize::<serde_json::Value>()
        .unwrap();
    let series_of = |patient: &str| {
        studies
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["patientName"] == patient)
            .unwrap()["series"][0]["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let broken_series = series_of("PHANTOM^BROKEN");
    let later_series = series_of("PHANTOM^LATER");

    let mut errors: Vec<(String, serde_json::Value)> = Vec::new();
    let mut refused = |what: &str, cmd: &str, body: serde_json::Value| {
        let e = get_ipc_response(&webview, request(cmd, body))
            .expect_err(&format!("{what} must be refused"));
        errors.push((what.to_string(), e));
    };
    let r = |v: serde_json::Value| serde_json::json!({ "request": v });

    // Ids and arguments from the webview.
    for cmd in ["frame", "values"] {
        refused(
            "unknown id",
            cmd,
            r(serde_json::json!({"series": "se-0000000000000001", "index": 0})),
        );
        refused(
            "malformed id",
            cmd,
            r(serde_json::json!({"series": "../../etc/passwd", "index": 0})),
        );
    }
    for cmd in ["stack", "thumbnail"] {
        refused(
            "unknown id",
            cmd,
            r(serde_json::json!({"series": "se-0000000000000001"})),
        );
        refused("malformed id", cmd, r(serde_json::json!({"series": "x"})));
    }
    refused(
        "unknown tile id",
        "tile",
        r(
            serde_json::json!({"series": "se-0000000000000001", "index": 0, "level": 0, "tx": 0, "ty": 0}),
        ),
    );
    refused(
        "invalid window",
        "frame",
        r(
            serde_json::json!({"series": later_series, "index": 0, "window": {"center": 0, "width": 0}}),
        ),
    );
    refused(
        "out-of-range frame",
        "frame",
        r(serde_json::json!({"series": later_series, "index": 7})),
    );
    refused(
        "out-of-range values",
        "values",
        r(serde_json::json!({"series": later_series, "index": 2})),
    );
    refused(
        "unknown field",
        "frame",
        r(serde_json::json!({"series": later_series, "index": 0, "path": "/etc/passwd"})),
    );
    refused(
        "benchmark report outside benchmark mode",
        "bench_report",
        serde_json::json!({"report": {}}),
    );
    refused(
        "benchmark cold start outside benchmark mode",
        "bench_cold",
        r(serde_json::json!({"series": later_series})),
    );

    // Files that change after indexing: one becomes a folder (unreadable), one is cut short,
    // one is deleted. Every frame, the values, the stack and the thumbnail then fail.
    let mut files: Vec<_> = std::fs::read_dir(&broken)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 3);
    std::fs::remove_file(&files[0]).unwrap();
    std::fs::create_dir(&files[0]).unwrap();
    let bytes = std::fs::read(&files[1]).unwrap();
    std::fs::write(&files[1], &bytes[..bytes.len() / 3]).unwrap();
    std::fs::remove_file(&files[2]).unwrap();
    for index in 0..3 {
        refused(
            "frame of a changed file",
            "frame",
            r(serde_json::json!({"series": broken_series, "index": index})),
        );
        refused(
            "values of a changed file",
            "values",
            r(serde_json::json!({"series": broken_series, "index": index})),
        );
        refused(
            "tile of a changed file",
            "tile",
            r(
                serde_json::json!({"series": broken_series, "index": index, "level": 0, "tx": 0, "ty": 0}),
            ),
        );
    }
    refused(
        "thumbnail of changed files",
        "thumbnail",
        r(serde_json::json!({"series": broken_series})),
    );

    // A tampered audit log: a flipped byte in the first record's length. The next study to be
    // audited cannot be shown.
    let audit = data.join("audit");
    let log = lucent_audit::log::log_files(&audit).unwrap()[0].clone();
    let mut bytes = std::fs::read(&log).unwrap();
    bytes[3] ^= 0x80;
    std::fs::write(&log, &bytes).unwrap();
    refused(
        "frame with a tampered audit log",
        "frame",
        r(serde_json::json!({"series": later_series, "index": 0})),
    );
    assert!(
        errors
            .last()
            .is_some_and(|(_, e)| e["code"] == "E_AUDIT_TAMPERED"),
        "{errors:?}"
    );

    // A folder that disappears between the user's choice and the scan: the `open-error` event.
    let (tx, rx) = std::sync::mpsc::channel();
    app.listen("open-error", move |event| {
        let _ = tx.send(event.payload().to_string());
    });
    std::fs::remove_dir(&vanishing).unwrap();
    lucent_viewer::open_paths(app.handle(), vec![vanishing.clone()]);
    let event = rx
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("an open-error event");
    let event: serde_json::Value = serde_json::from_str(&event).unwrap();
    assert_eq!(event["code"], "E_PATH_NOT_FOUND", "{event}");
    errors.push(("open-error event for a vanished folder".into(), event));

    // The scan: no temporary folder, file or folder name, and no path fragment at all.
    assert_eq!(errors.len(), 27, "every provoked error is collected");
    let mut leaks = Vec::new();
    for (what, e) in &errors {
        let text = match e {
            serde_json::Value::String(s) => s.clone(),
            other => {
                assert!(
                    other["code"].as_str().is_some_and(|c| c.starts_with("E_")),
                    "{what}: {other}"
                );
                assert!(other["message"].is_string(), "{what}: {other}");
                other.to_string()
            }
        };
        // The request's own text (an echo of what the webview sent) is not a leak.
        let text = text
            .replace("../../etc/passwd", "")
            .replace("/etc/passwd", "");
        for name in &names {
            if text.contains(name.as_str()) {
                leaks.push(format!("{what}: names {name:?}: {text}"));
            }
        }
        if text.contains('/') || text.contains('\\') {
            leaks.push(format!("{what}: a path separator: {text}"));
        }
    }
    assert!(leaks.is_empty(), "{leaks:#?}");
    drop(webview);
    drop(app);
    let _ = lucent_audit::AuditKeychain::open(&data).and_then(|k| k.forget());
}

/// The study browser's view of studies the index had to split: two patients' files under one
/// Study Instance UID arrive as two flagged studies, each with only its own patient's text, and
/// no identifier crosses IPC.
#[test]
fn a_study_uid_shared_by_two_patients_is_two_flagged_studies_in_the_browser() {
    let dir = tempfile::tempdir().unwrap();
    let alpha = lucent_testdata::StudyIdentity::phantom(41, "PATIENT^ALPHA");
    // The same Study Instance UID (same seed), another patient.
    let bravo = lucent_testdata::StudyIdentity {
        patient_name: b"PATIENT^BRAVO".to_vec(),
        patient_id: b"OTHER-0001".to_vec(),
        ..alpha.clone()
    };
    let series = |seed, number| lucent_testdata::CtSeries {
        seed,
        slices: 2,
        size: 16,
        series_number: number,
        ..Default::default()
    };
    for (name, identity, number) in [("a", &alpha, 2), ("b", &bravo, 3)] {
        lucent_testdata::write_all(
            &dir.path().join(name),
            &lucent_testdata::ct_series_specs(identity, &series(41, number)),
            None,
        )
        .unwrap();
    }
    let session = lucent_core::Session::new().with_data_dir(dir.path().join("data"));
    session
        .open(&[dir.path().join("a"), dir.path().join("b")])
        .unwrap();
    let (_app, webview) = mock_viewer(session);
    let studies = get_ipc_response(&webview, request("studies", serde_json::json!({})))
        .unwrap()
        .deserialize::<serde_json::Value>()
        .unwrap();
    let studies = studies.as_array().unwrap();
    assert_eq!(studies.len(), 2, "one study per patient: {studies:?}");
    let mut names: Vec<&str> = studies
        .iter()
        .map(|s| s["patientName"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["PATIENT^ALPHA", "PATIENT^BRAVO"]);
    for s in studies {
        assert_eq!(s["series"].as_array().unwrap().len(), 1, "{s}");
        let warnings = s["warnings"].as_array().unwrap();
        assert_eq!(warnings.len(), 1, "{s}");
        assert!(
            warnings[0]
                .as_str()
                .unwrap()
                .contains("Another patient's files carry this Study Instance UID"),
            "{s}"
        );
    }
    let text = serde_json::Value::Array(studies.clone()).to_string();
    assert!(
        !text.contains(&alpha.study_instance_uid),
        "no UID crosses IPC"
    );
    assert_ne!(studies[0]["id"], studies[1]["id"]);
}

/// The raw bytes of a command's answer.
fn raw_answer(webview: &WebviewWindow<MockRuntime>, cmd: &str, body: serde_json::Value) -> Vec<u8> {
    match get_ipc_response(
        webview,
        request(cmd, serde_json::json!({ "request": body })),
    ) {
        Ok(InvokeResponseBody::Raw(bytes)) => bytes,
        other => panic!("{cmd} {body}: expected raw bytes, got {other:?}"),
    }
}

/// Overlay planes (PS3.3 C.9) are drawn unless the request turns them off: in a frame, and in
/// the tiles of a large frame (cut from the rendered full frame, so the overlay is burnt in
/// before the pyramid is built; a pyramid with overlays is never served for a request without).
#[test]
fn overlays_are_drawn_in_frames_and_tiles_unless_turned_off() {
    let dir = tempfile::tempdir().unwrap();
    let study = lucent_testdata::StudyIdentity::phantom(45, "PHANTOM^OVERLAY");
    let (_, graphics) = lucent_testdata::overlay_phantom_specs(&study, 45).remove(0);
    graphics.write(&dir.path().join("ov/mr.dcm")).unwrap();
    let mut large = lucent_testdata::large_dx_spec(&study, 45);
    large.overlays = vec![lucent_testdata::OverlaySpec {
        group: 0x6000,
        rows: 300,
        columns: 300,
        origin: [1, 1],
        region_of_interest: false,
        frames: None,
        bits: lucent_testdata::OverlayBits::Separate(lucent_testdata::overlay_pattern(300, 300, 1)),
    }];
    large.write(&dir.path().join("ov/dx.dcm")).unwrap();
    let session = lucent_core::Session::new().with_data_dir(dir.path().join("data"));
    session.open(&[dir.path().join("ov")]).unwrap();
    let (_app, webview) = mock_viewer(session);
    let studies = get_ipc_response(&webview, request("studies", serde_json::json!({})))
        .unwrap()
        .deserialize::<serde_json::Value>()
        .unwrap();
    let series: Vec<(String, String)> = studies[0]["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let id = s["id"].as_str().unwrap().to_string();
            (id, s.to_string())
        })
        .collect();
    let id_of = |modality: &str| {
        series
            .iter()
            .find(|(_, text)| text.contains(modality))
            .map(|(id, _)| id.clone())
            .unwrap_or_else(|| panic!("no {modality} series in {series:?}"))
    };
    let (mr, dx) = (id_of("\"MR\""), id_of("\"DX\""));

    let frame = |overlays: Option<bool>| {
        let mut body = serde_json::json!({"series": mr, "index": 0});
        if let Some(on) = overlays {
            body["overlays"] = on.into();
        }
        raw_answer(&webview, "frame", body)
    };
    let (default, on, off) = (frame(None), frame(Some(true)), frame(Some(false)));
    assert_eq!(default, on, "overlays are on by default");
    assert_ne!(on, off, "the overlay changes the frame");
    // The graphics plane covers the whole image with a 2-pixel border: the first row is white.
    let pixels = &on[FRAME_HEADER_BYTES..];
    assert!(pixels[..256].iter().all(|&p| p == 255));
    assert!(off[FRAME_HEADER_BYTES..][..256].iter().any(|&p| p != 255));

    let tile = |overlays: bool| {
        // The coarse level first (it builds the pyramid), then a full-resolution tile.
        raw_answer(
            &webview,
            "frame",
            serde_json::json!({"series": dx, "index": 0, "maxDim": 1024, "overlays": overlays}),
        );
        raw_answer(
            &webview,
            "tile",
            serde_json::json!({"series": dx, "index": 0, "level": 0, "tx": 0, "ty": 0, "overlays": overlays}),
        )
    };
    let (tile_on, tile_off) = (tile(true), tile(false));
    assert_ne!(tile_on, tile_off, "tiles carry the overlay of their frame");
    assert_eq!(tile(true), tile_on, "the same request gives the same tile");
}
