//! Every event the product emits, exported as DICOM audit messages (PS3.15 A.5.1) and checked
//! against the schema (`scripts/validate-audit-export.sh`, xmllint): 110100 start and stop,
//! 110103 success and failure, 110113 for a refused request and for a failed verification, 110101.
//! Needs the real keychain (`scripts/with-keyring.sh`) and xmllint (the test command installs
//! both).

use lucent_audit::export::to_xml;
use lucent_audit::{Action, Event, EventId, RecordBody};
use lucent_core::{Session, VoiChoice};
use lucent_testdata::*;

#[test]
fn every_event_the_product_emits_exports_schema_valid() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("lucent-data");
    let study = StudyIdentity::phantom(11, "ZQX<MARKUP>&NAME^JOHN");
    let p = CtSeries {
        seed: 11,
        slices: 2,
        size: 16,
        ..CtSeries::default()
    };
    write_all(&dir.path().join("ct"), &ct_series_specs(&study, &p), None).unwrap();
    std::fs::write(dir.path().join("junk.dcm"), b"not dicom at all").unwrap();

    let session = Session::new().with_data_dir(data.clone());
    session.audit_application(true).unwrap();
    session.open(&[dir.path().join("ct")]).unwrap();
    let series = session.studies()[0].series[0].id;
    let frames = session.frames(series).unwrap();
    session
        .render_frame(frames[0], VoiChoice::FromHeader)
        .unwrap();
    assert!(
        session
            .render_file(&dir.path().join("junk.dcm"), 0, VoiChoice::FromHeader)
            .is_err()
    );
    let first = session.instance(frames[0].instance).unwrap().path.clone();
    assert!(
        session
            .render_file(&first, 99, VoiChoice::FromHeader)
            .is_err()
    );
    session.audit_rejected_request("unknown series id").unwrap();
    let log = session.audit_log().unwrap();
    log.append(&[Event::new(EventId::AuditLogUsed, Action::Read)])
        .unwrap();
    log.remember_failed_verification("record 3 in audit-000001.log: MAC mismatch")
        .unwrap();
    session.audit_application(false).unwrap();

    let log = session.audit_log().unwrap();
    let records = log.read_all().unwrap();
    let refs: Vec<&RecordBody> = records.iter().collect();
    let export = to_xml(&refs, log.keys(), "file:///var/lib/lucent/audit").unwrap();
    assert_eq!(export.records, records.len());
    assert_eq!(export.messages, records.len());
    let doc = dir.path().join("export.xml");
    std::fs::write(&doc, &export.xml).unwrap();
    assert_audit_export_valid(&doc);

    let xml = &export.xml;
    for code in ["110100", "110101", "110103", "110113"] {
        assert!(
            xml.contains(&format!("<EventID csd-code=\"{code}\"")),
            "{code}"
        );
    }
    for event_type in ["110120", "110121", "110132", "110133"] {
        assert!(
            xml.contains(&format!("<EventTypeCode csd-code=\"{event_type}\"")),
            "EventTypeCode {event_type}"
        );
    }
    // The real Study Instance UID (ID type 110180) and the patient, unsealed and escaped.
    let uid = &study.study_instance_uid;
    let patient_id = String::from_utf8_lossy(&study.patient_id);
    assert!(xml.contains(&format!("ParticipantObjectID=\"{uid}\"")));
    assert!(xml.contains(&format!("ParticipantObjectID=\"{patient_id}\"")));
    assert!(xml.contains(
        "<ParticipantObjectName>ZQX&lt;MARKUP&gt;&amp;NAME^JOHN</ParticipantObjectName>"
    ));
    // Failures carry their code; the frame failure names the study, the junk file none.
    assert!(xml.contains("<EventOutcomeDescription>E_NOT_DICOM</EventOutcomeDescription>"));
    assert!(xml.contains("E_FRAME_OUT_OF_RANGE"));
    let _ = lucent_audit::AuditKeychain::open(&data).and_then(|k| k.forget());
}
