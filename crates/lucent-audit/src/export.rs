//! The audit trail as DICOM audit messages (PS3.15 A.5.1, XML) for a hospital's audit record
//! repository (IHE ATNA).
//!
//! [`to_xml`] turns records into one document: `<AuditMessages>` holding one `AuditMessage` per
//! record (per record and patient, should a record ever name studies of several patients: A.5.3.6
//! allows one patient per message). Each message follows the event's table in PS3.15 A.5.3:
//!
//! | Record | EventTypeCode | Active participants | Participant objects |
//! |---|---|---|---|
//! | 110100 Application Activity (A.5.3.1) | 110120 / 110121 | OS user (110151 Application Launcher), the process (110150 Application) | none |
//! | 110101 Audit Log Used (A.5.3.2) | — | OS user (requestor), the process | the audit log: URI (12, RFC-3881), role 13 |
//! | 110103 DICOM Instances Accessed (A.5.3.6) | — (viewed) / STUDY-LISTED, 99LUCENT (listed in the study browser) | OS user (requestor), the process | each study (110180 Study Instance UID, role 3) and its patient (2, RFC-3881, "Patient Number", role 1) |
//! | 110113 Security Alert (A.5.3.11) | 110132 / 110133 / 110134 | OS user (requestor), the process | the alert's subject with an "Alert Description" detail |
//!
//! The OS user is the account of the process's real uid; the process is its executable name
//! (UserID) and pid (AlternativeUserID).
//!
//! The identifiers a 110103 message needs (Study Instance UID, Patient ID, Patient's Name) are
//! unsealed with the keychain's key; a record whose seal does not open fails the whole export
//! with `E_AUDIT_UNSEALABLE` (nothing partial is produced). The output holds PHI: the caller
//! decides where it goes and records the export (110101) before writing it.

use crate::error::AuditError;
use crate::keys::AuditKeys;
use crate::record::{EventType, RecordBody, StudyIdentity, unseal};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use std::fmt::Write as _;

/// The name of the document's root element (DICOM defines only `AuditMessage`).
pub const ROOT_ELEMENT: &str = "AuditMessages";

/// An export: the XML text and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlExport {
    /// The document (UTF-8, with an XML declaration).
    pub xml: String,
    /// Records exported.
    pub records: usize,
    /// `AuditMessage` elements written.
    pub messages: usize,
}

/// One study of a record, unsealed.
struct OpenedStudy<'a> {
    identity: StudyIdentity,
    modality: Option<&'a str>,
    instances: u32,
}

/// Writes `records` as DICOM audit messages. `audit_log_uri` names the log in 110101 and
/// audit-integrity 110113 messages (e.g. `file:///home/u/.local/share/lucent/audit`).
pub fn to_xml(
    records: &[&RecordBody],
    keys: &AuditKeys,
    audit_log_uri: &str,
) -> Result<XmlExport, AuditError> {
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(xml, "<{ROOT_ELEMENT}>");
    let mut messages = 0;
    for record in records {
        let studies = record
            .objects
            .iter()
            .map(|o| {
                unseal(keys, &o.token, &o.sealed)
                    .map(|identity| OpenedStudy {
                        identity,
                        modality: o.modality.as_deref(),
                        instances: o.instances,
                    })
                    .ok_or(AuditError::Unsealable { seq: record.seq })
            })
            .collect::<Result<Vec<_>, _>>()?;
        for patient_group in group_by_patient(studies) {
            write_message(&mut xml, record, &patient_group, audit_log_uri);
            messages += 1;
        }
    }
    let _ = writeln!(xml, "</{ROOT_ELEMENT}>");
    Ok(XmlExport {
        xml,
        records: records.len(),
        messages,
    })
}

/// Studies grouped by patient (ID and name), in first-seen order; a record without studies is
/// one empty group, so that every record gives at least one message.
fn group_by_patient(studies: Vec<OpenedStudy<'_>>) -> Vec<Vec<OpenedStudy<'_>>> {
    let mut groups: Vec<Vec<OpenedStudy<'_>>> = Vec::new();
    for study in studies {
        let same = |g: &Vec<OpenedStudy<'_>>| {
            g[0].identity.patient_id == study.identity.patient_id
                && g[0].identity.patient_name == study.identity.patient_name
        };
        match groups.iter_mut().find(|g| same(g)) {
            Some(group) => group.push(study),
            None => groups.push(vec![study]),
        }
    }
    if groups.is_empty() {
        groups.push(Vec::new());
    }
    groups
}

fn write_message(xml: &mut String, r: &RecordBody, studies: &[OpenedStudy<'_>], log_uri: &str) {
    let event_type = r.event_type_code();
    xml.push_str("  <AuditMessage>\n");
    // EventIdentification (A.5.1): EventID, EventTypeCode*, EventOutcomeDescription?.
    let _ = writeln!(
        xml,
        "    <EventIdentification EventActionCode=\"{}\" EventDateTime=\"{}\" EventOutcomeIndicator=\"{}\">",
        attr(&r.action),
        attr(&r.time),
        r.outcome
    );
    coded(xml, 6, "EventID", &r.event_code, "DCM", &r.event);
    if let Some(t) = event_type {
        coded(xml, 6, "EventTypeCode", t.code(), t.scheme(), t.meaning());
    }
    let description = match (&r.error_code, &r.detail) {
        (Some(code), Some(detail)) => Some(format!("{code}: {detail}")),
        (Some(code), None) => Some(code.clone()),
        (None, Some(detail)) => Some(detail.clone()),
        (None, None) => None,
    };
    if let Some(d) = description {
        let _ = writeln!(
            xml,
            "      <EventOutcomeDescription>{}</EventOutcomeDescription>",
            text(&d)
        );
    }
    xml.push_str("    </EventIdentification>\n");

    // The person: the OS account of the process's real uid (A.5.2.1 UserID).
    let launcher = r.event_code == "110100";
    let _ = write!(
        xml,
        "    <ActiveParticipant UserID=\"{}\" UserIsRequestor=\"true\" NetworkAccessPointID=\"{}\" NetworkAccessPointTypeCode=\"1\"",
        attr(&r.user),
        attr(&r.host)
    );
    if launcher {
        xml.push_str(">\n");
        coded(
            xml,
            6,
            "RoleIDCode",
            "110151",
            "DCM",
            "Application Launcher",
        );
        xml.push_str("    </ActiveParticipant>\n");
    } else {
        xml.push_str("/>\n");
    }
    // The process (A.5.2.1): UserID its executable name, AlternativeUserID the process id as the
    // OS's logs show it; records from before the executable name was stored give the pid alone.
    let process_ids = match &r.process {
        Some(name) => format!("UserID=\"{}\" AlternativeUserID=\"{}\"", attr(name), r.pid),
        None => format!("UserID=\"{}\"", r.pid),
    };
    let _ = writeln!(
        xml,
        "    <ActiveParticipant {process_ids} UserName=\"{}\" UserIsRequestor=\"false\" NetworkAccessPointID=\"{}\" NetworkAccessPointTypeCode=\"1\">",
        attr(&r.app),
        attr(&r.host)
    );
    coded(xml, 6, "RoleIDCode", "110150", "DCM", "Application");
    xml.push_str("    </ActiveParticipant>\n");

    // The workstation: an end-user display device (A.5.1, AuditSourceTypeCode 1).
    let _ = writeln!(
        xml,
        "    <AuditSourceIdentification AuditSourceID=\"{}\">\n      <AuditSourceTypeCode csd-code=\"1\"/>\n    </AuditSourceIdentification>",
        attr(&r.host)
    );

    match r.event_code.as_str() {
        "110101" => audit_log_object(xml, log_uri, None),
        "110113" => match event_type {
            Some(EventType::UseOfRestrictedFunction) => {
                // The subject is this node's application (A.5.3.11: ID type 110182 Node ID).
                let _ = writeln!(
                    xml,
                    "    <ParticipantObjectIdentification ParticipantObjectID=\"{}\" ParticipantObjectTypeCode=\"2\">",
                    attr(&r.host)
                );
                coded(
                    xml,
                    6,
                    "ParticipantObjectIDTypeCode",
                    "110182",
                    "DCM",
                    "Node ID",
                );
                let _ = writeln!(
                    xml,
                    "      <ParticipantObjectName>{}</ParticipantObjectName>",
                    text(&r.app)
                );
                alert_description(xml, r.detail.as_deref());
                xml.push_str("    </ParticipantObjectIdentification>\n");
            }
            _ => audit_log_object(xml, log_uri, Some(r.detail.as_deref().unwrap_or(""))),
        },
        _ => {
            for study in studies {
                study_object(xml, study);
            }
            if let Some(first) = studies.first() {
                patient_object(xml, &first.identity);
            }
        }
    }
    xml.push_str("  </AuditMessage>\n");
}

/// The audit log as a participant object (A.5.3.2; also the subject of audit-integrity alerts).
fn audit_log_object(xml: &mut String, log_uri: &str, alert: Option<&str>) {
    let _ = writeln!(
        xml,
        "    <ParticipantObjectIdentification ParticipantObjectID=\"{}\" ParticipantObjectTypeCode=\"2\" ParticipantObjectTypeCodeRole=\"13\">",
        attr(log_uri)
    );
    coded(
        xml,
        6,
        "ParticipantObjectIDTypeCode",
        "12",
        "RFC-3881",
        "URI",
    );
    xml.push_str("      <ParticipantObjectName>Security Audit Log</ParticipantObjectName>\n");
    if let Some(description) = alert {
        alert_description(xml, Some(description));
    }
    xml.push_str("    </ParticipantObjectIdentification>\n");
}

fn alert_description(xml: &mut String, description: Option<&str>) {
    let _ = writeln!(
        xml,
        "      <ParticipantObjectDetail type=\"Alert Description\" value=\"{}\"/>",
        B64.encode(description.unwrap_or("").as_bytes())
    );
}

/// A study (A.5.3.6): type 2 system object, role 3 report, life cycle 6 access / use.
fn study_object(xml: &mut String, study: &OpenedStudy<'_>) {
    let _ = writeln!(
        xml,
        "    <ParticipantObjectIdentification ParticipantObjectID=\"{}\" ParticipantObjectTypeCode=\"2\" ParticipantObjectTypeCodeRole=\"3\" ParticipantObjectDataLifeCycle=\"6\">",
        attr(study.identity.study_instance_uid.trim())
    );
    coded(
        xml,
        6,
        "ParticipantObjectIDTypeCode",
        "110180",
        "DCM",
        "Study Instance UID",
    );
    // A name or a query is required (CP-2399); the record keeps the modality and the count.
    let name = match study.modality {
        Some(m) if !m.is_empty() => format!("{m} study, {} instance(s)", study.instances),
        _ => format!("study, {} instance(s)", study.instances),
    };
    let _ = writeln!(
        xml,
        "      <ParticipantObjectName>{}</ParticipantObjectName>",
        text(&name)
    );
    xml.push_str("    </ParticipantObjectIdentification>\n");
}

/// The patient (A.5.3.6): type 1 person, role 1 patient, ID type (2, RFC-3881, "Patient Number").
/// Patient ID and Patient's Name are type 2 attributes: empty when the file had none.
fn patient_object(xml: &mut String, identity: &StudyIdentity) {
    let _ = writeln!(
        xml,
        "    <ParticipantObjectIdentification ParticipantObjectID=\"{}\" ParticipantObjectTypeCode=\"1\" ParticipantObjectTypeCodeRole=\"1\">",
        attr(identity.patient_id.as_deref().unwrap_or(""))
    );
    coded(
        xml,
        6,
        "ParticipantObjectIDTypeCode",
        "2",
        "RFC-3881",
        "Patient Number",
    );
    let _ = writeln!(
        xml,
        "      <ParticipantObjectName>{}</ParticipantObjectName>",
        text(identity.patient_name.as_deref().unwrap_or(""))
    );
    xml.push_str("    </ParticipantObjectIdentification>\n");
}

/// A coded element (`csd-code`, `codeSystemName`, `originalText`: PS3.15 A.5.1).
fn coded(xml: &mut String, indent: usize, element: &str, code: &str, system: &str, meaning: &str) {
    let _ = writeln!(
        xml,
        "{:indent$}<{element} csd-code=\"{}\" codeSystemName=\"{}\" originalText=\"{}\"/>",
        "",
        attr(code),
        attr(system),
        attr(meaning)
    );
}

/// Text content: markup escaped, characters XML 1.0 cannot hold replaced by U+FFFD.
fn text(s: &str) -> String {
    escape(s, false)
}

/// An attribute value: as [`text`], plus quotes and whitespace that attribute normalisation
/// would change.
fn attr(s: &str) -> String {
    escape(s, true)
}

fn escape(s: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            // XML 1.0 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::record::{Action, Event, EventId, GENESIS, Origin, StudyObject, build_body};
    use lucent_error::{ErrorCode, HasErrorCode};

    fn access(keys: &AuditKeys, seq: u64, patient: &str) -> RecordBody {
        let event = Event {
            objects: vec![StudyObject {
                identity: StudyIdentity {
                    study_instance_uid: format!("2.25.{seq}"),
                    patient_id: Some(format!("PID-{patient}")),
                    patient_name: Some(format!("{patient}^TEST")),
                },
                modality: Some("MR".into()),
                instances: 2,
            }],
            ..Event::new(EventId::InstancesAccessed, Action::Read)
        };
        build_body(keys, &Origin::current("test"), seq, GENESIS, &event).unwrap()
    }

    #[test]
    fn the_wrong_key_fails_the_whole_export_cleanly() {
        let keys = AuditKeys::derive(&[1; 32]);
        let other = AuditKeys::derive(&[2; 32]);
        let records = [access(&keys, 1, "ALPHA"), access(&keys, 2, "BRAVO")];
        let refs: Vec<&RecordBody> = records.iter().collect();
        let ok = to_xml(&refs, &keys, "file:///a").unwrap();
        assert_eq!((ok.records, ok.messages), (2, 2));
        assert!(ok.xml.contains("ParticipantObjectID=\"PID-BRAVO\""));
        let err = to_xml(&refs, &other, "file:///a").unwrap_err();
        assert!(matches!(err, AuditError::Unsealable { seq: 1 }), "{err:?}");
        assert_eq!(err.code(), ErrorCode::AuditUnsealable);
        assert!(!err.to_string().contains("ALPHA") && !err.to_string().contains("2.25.1"));
    }

    #[test]
    fn a_record_naming_two_patients_becomes_one_message_per_patient() {
        let keys = AuditKeys::derive(&[3; 32]);
        let a = access(&keys, 1, "ALPHA");
        let b = access(&keys, 2, "BRAVO");
        let mut both = a.clone();
        both.objects.extend(b.objects.clone());
        both.objects.extend(a.objects.clone());
        let out = to_xml(&[&both], &keys, "file:///a").unwrap();
        assert_eq!((out.records, out.messages), (1, 2));
        let first = out.xml.split("</AuditMessage>").next().unwrap();
        assert_eq!(
            first.matches("110180").count(),
            2,
            "ALPHA's two studies together"
        );
        assert_eq!(
            first.matches("ParticipantObjectTypeCodeRole=\"1\"").count(),
            1
        );
    }

    #[test]
    fn records_written_before_event_types_were_stored_get_them_from_their_detail() {
        let keys = AuditKeys::derive(&[4; 32]);
        let mut start = build_body(
            &keys,
            &Origin::current("test"),
            1,
            GENESIS,
            &Event {
                detail: Some("application start".into()),
                ..Event::new(EventId::ApplicationActivity, Action::Execute)
            },
        )
        .unwrap();
        assert_eq!(start.event_type, None);
        assert_eq!(start.event_type_code(), Some(EventType::ApplicationStart));
        start.detail = Some("rejected request: unknown series id".into());
        start.event_code = "110113".into();
        assert_eq!(
            start.event_type_code(),
            Some(EventType::UseOfRestrictedFunction)
        );
        start.event_type = Some("110133".into());
        assert_eq!(
            start.event_type_code(),
            Some(EventType::AuditRecordingStopped)
        );
    }

    #[test]
    fn escaping_keeps_markup_and_control_characters_out() {
        assert_eq!(text("A<B>&C"), "A&lt;B&gt;&amp;C");
        assert_eq!(attr("say \"hi\"\n"), "say &quot;hi&quot;&#10;");
        assert_eq!(text("bell\u{7}\u{FFFF}"), "bell\u{FFFD}\u{FFFD}");
        assert_eq!(text("Müller^Jürgen 山田"), "Müller^Jürgen 山田");
    }
}
