//! The study browser's view of studies the index had to split or could not group by UID: two
//! patients' files under one Study Instance UID arrive as two flagged studies, each with only its
//! own patient's text, and no identifier crosses IPC.

use lucent_viewer::{Viewer, with_commands};
use tauri::ipc::{CallbackFn, InvokeBody};
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
    let mut session = lucent_core::Session::new().with_data_dir(dir.path().join("data"));
    session
        .open(&[dir.path().join("a"), dir.path().join("b")])
        .unwrap();
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
    assert!(!text.contains(&alpha.study_instance_uid), "no UID crosses IPC");
    assert_ne!(studies[0]["id"], studies[1]["id"]);
}
