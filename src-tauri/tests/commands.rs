//! The commands through Tauri's mock runtime: DTOs carry ids and display text but no paths,
//! frames arrive as raw bytes, forged ids and unknown fields are refused with `{code, message}`.

use lucent_viewer::{Viewer, with_commands};
use tauri::ipc::{CallbackFn, InvokeBody, InvokeResponseBody};
use tauri::test::{INVOKE_KEY, get_ipc_response, mock_builder, mock_context, noop_assets};
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
    let mut session = lucent_core::Session::new().with_data_dir(dir.path().join("data"));
    session.open(&[dir.path().join("ct")]).unwrap();
    let app = with_commands(mock_builder())
        .manage(Viewer::new(session, None))
        .build(mock_context(noop_assets()))
        .unwrap();
    let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();

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
            assert_eq!(bytes.len(), 24 + 32 * 32);
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
    let bodies = lucent_core::audit::read_bodies(&dir.path().join("data").join("audit")).unwrap();
    assert!(
        bodies.iter().filter(|b| b.event_code == "110113").count() >= 3,
        "{bodies:?}"
    );
    let _ = lucent_core::audit::Keychain::open(&dir.path().join("data")).and_then(|k| k.forget());
}
