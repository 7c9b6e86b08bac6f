//! Audit records: the PS3.15 A.5 event vocabulary, PHI-free bodies, MACs, tokens and seals.
//!
//! A record body is JSON with a fixed field order: format version, sequence number, UTC time,
//! key id, the hash of the previous record, the event (PS3.16 CID 400–403 codes: 110100
//! Application Activity, 110101 Audit Log Used, 110103 DICOM Instances Accessed, 110106 Export,
//! 110113 Security Alert), EventActionCode, EventOutcomeIndicator (0, 4, 8, 12), the OS user,
//! host, application, and the objects. A study is an HMAC-SHA256 token of its Study Instance UID
//! plus the UID, Patient ID and Patient Name sealed with AES-256-GCM (the token as associated
//! data): nothing readable identifies a patient. Non-PHI detail (modality, counts, error code)
//! is in clear.

use crate::keys::{AuditKeys, hex};
pub use crate::origin::Origin;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Audit event IDs (DICOM PS3.15 A.5.3, codes from PS3.16 CID 400).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventId {
    /// (110100, DCM, "Application Activity"): start and stop.
    ApplicationActivity,
    /// (110101, DCM, "Audit Log Used").
    AuditLogUsed,
    /// (110103, DCM, "DICOM Instances Accessed").
    InstancesAccessed,
    /// (110106, DCM, "Export").
    Export,
    /// (110113, DCM, "Security Alert").
    SecurityAlert,
}

impl EventId {
    /// The DCM code value.
    pub fn code(self) -> &'static str {
        match self {
            EventId::ApplicationActivity => "110100",
            EventId::AuditLogUsed => "110101",
            EventId::InstancesAccessed => "110103",
            EventId::Export => "110106",
            EventId::SecurityAlert => "110113",
        }
    }

    /// The code meaning.
    pub fn meaning(self) -> &'static str {
        match self {
            EventId::ApplicationActivity => "Application Activity",
            EventId::AuditLogUsed => "Audit Log Used",
            EventId::InstancesAccessed => "DICOM Instances Accessed",
            EventId::Export => "Export",
            EventId::SecurityAlert => "Security Alert",
        }
    }
}

/// EventTypeCode of the events that need one (PS3.15 A.5.3.1: CID 401 for 110100; A.5.3.11: CID
/// 403 for 110113).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    /// (110120, DCM, "Application Start").
    ApplicationStart,
    /// (110121, DCM, "Application Stop").
    ApplicationStop,
    /// (110132, DCM, "Use of Restricted Function"): a UI asked for something it may not have.
    UseOfRestrictedFunction,
    /// (110133, DCM, "Audit Recording Stopped"): the trail was interrupted or altered (a torn
    /// tail, records past the anchor, a replaced log, a failed verification).
    AuditRecordingStopped,
    /// (110134, DCM, "Audit Recording Started"): the first record of a log, or of a process in a
    /// log other than the one anchored for the OS user (a relocation; see [`PreviousLog`]).
    AuditRecordingStarted,
    /// (STUDY-LISTED, 99LUCENT, "Study Listed") on a 110103: the studies' patient and study text
    /// (and thumbnails) were shown in a study list, which is not the same as a study viewed. A
    /// private code (PS3.16 8.2: coding scheme designators beginning "99" are private); a 110103
    /// without an EventTypeCode is a study viewed.
    StudyListed,
}

impl EventType {
    /// Every type, for lookups.
    pub const ALL: [EventType; 6] = [
        EventType::ApplicationStart,
        EventType::ApplicationStop,
        EventType::UseOfRestrictedFunction,
        EventType::AuditRecordingStopped,
        EventType::AuditRecordingStarted,
        EventType::StudyListed,
    ];

    /// The DCM code value.
    pub fn code(self) -> &'static str {
        match self {
            EventType::ApplicationStart => "110120",
            EventType::ApplicationStop => "110121",
            EventType::UseOfRestrictedFunction => "110132",
            EventType::AuditRecordingStopped => "110133",
            EventType::AuditRecordingStarted => "110134",
            EventType::StudyListed => "STUDY-LISTED",
        }
    }

    /// The coding scheme designator: `DCM`, or Lucent's private scheme.
    pub fn scheme(self) -> &'static str {
        match self {
            EventType::StudyListed => "99LUCENT",
            _ => "DCM",
        }
    }

    /// The code meaning.
    pub fn meaning(self) -> &'static str {
        match self {
            EventType::ApplicationStart => "Application Start",
            EventType::ApplicationStop => "Application Stop",
            EventType::UseOfRestrictedFunction => "Use of Restricted Function",
            EventType::AuditRecordingStopped => "Audit Recording Stopped",
            EventType::AuditRecordingStarted => "Audit Recording Started",
            EventType::StudyListed => "Study Listed",
        }
    }

    /// The type with this code value.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.code() == code)
    }
}

/// EventActionCode (PS3.15 A.5.1): C, R, U, D, E.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Create.
    Create,
    /// Read.
    Read,
    /// Update.
    Update,
    /// Delete.
    Delete,
    /// Execute.
    Execute,
}

impl Action {
    fn letter(self) -> &'static str {
        match self {
            Action::Create => "C",
            Action::Read => "R",
            Action::Update => "U",
            Action::Delete => "D",
            Action::Execute => "E",
        }
    }
}

/// EventOutcomeIndicator (PS3.15 A.5.1): 0 success, 4 minor, 8 serious, 12 major failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// 0.
    Success,
    /// 4.
    MinorFailure,
    /// 8.
    SeriousFailure,
    /// 12.
    MajorFailure,
}

impl Outcome {
    fn value(self) -> u8 {
        match self {
            Outcome::Success => 0,
            Outcome::MinorFailure => 4,
            Outcome::SeriousFailure => 8,
            Outcome::MajorFailure => 12,
        }
    }
}

/// A study as the caller knows it. The identifiers are PHI: they are only ever stored sealed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StudyIdentity {
    /// Study Instance UID.
    pub study_instance_uid: String,
    /// Patient ID.
    pub patient_id: Option<String>,
    /// Patient's Name.
    pub patient_name: Option<String>,
}

/// A study involved in an event, with non-PHI detail.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StudyObject {
    /// Who (sealed in the record).
    pub identity: StudyIdentity,
    /// Modalities in the study as known (non-PHI).
    pub modality: Option<String>,
    /// Instances involved.
    pub instances: u32,
}

/// An event to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Which event.
    pub id: EventId,
    /// EventTypeCode, where the event has one.
    pub event_type: Option<EventType>,
    /// Action code.
    pub action: Action,
    /// Outcome.
    pub outcome: Outcome,
    /// Studies involved.
    pub objects: Vec<StudyObject>,
    /// The stable error code of a failure.
    pub error_code: Option<String>,
    /// Non-PHI detail (e.g. "repaired a torn tail of 17 bytes").
    pub detail: Option<String>,
}

impl Event {
    /// A successful event without objects.
    pub fn new(id: EventId, action: Action) -> Self {
        Event {
            id,
            event_type: None,
            action,
            outcome: Outcome::Success,
            objects: Vec::new(),
            error_code: None,
            detail: None,
        }
    }
}

/// One object as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredObject {
    /// HMAC-SHA256(token key, Study Instance UID), hex.
    pub token: String,
    /// Modality.
    pub modality: Option<String>,
    /// Instances.
    pub instances: u32,
    /// base64(nonce ‖ AES-256-GCM(identifiers, aad = token)).
    pub sealed: String,
}

/// A record body: exactly what the MAC covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordBody {
    /// Format version (1).
    pub v: u32,
    /// Sequence number, from 1, without gaps across rotated files.
    pub seq: u64,
    /// UTC time, RFC 3339 with milliseconds.
    pub time: String,
    /// Master key id.
    pub key_id: String,
    /// Hex SHA-256 of the previous record (MAC ‖ body); 64 zeros for the first.
    pub prev: String,
    /// Event ID code (DCM).
    pub event_code: String,
    /// Event ID meaning.
    pub event: String,
    /// EventActionCode.
    pub action: String,
    /// EventOutcomeIndicator.
    pub outcome: u8,
    /// OS account name of the process's real uid (`uid:NNNN` without one).
    pub user: String,
    /// Host name.
    pub host: String,
    /// Application and version.
    pub app: String,
    /// Process id.
    pub pid: u32,
    /// Objects.
    pub objects: Vec<StoredObject>,
    /// Stable error code of a failure.
    pub error_code: Option<String>,
    /// Non-PHI detail.
    pub detail: Option<String>,
    /// EventTypeCode value (DCM), where the event has one. Absent from records written before it
    /// existed (format version 1 either way; see [`RecordBody::event_type_code`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    /// The real uid of the process (absent from older records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<u32>,
    /// The executable name of the process (absent from older records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process: Option<String>,
    /// On a 110134 record that starts a log somewhere else than the log anchored for the OS user
    /// (or in a folder whose earlier log is gone): that earlier log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_log: Option<PreviousLog>,
}

/// The log that was active for the OS user before this one (no paths: a location token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviousLog {
    /// Its location token (`loc-` + 16 hex digits of a hash of its canonical folder).
    pub token: String,
    /// Its key id, where known.
    pub key_id: Option<String>,
    /// Its last record's sequence number, where its anchor was still in the keychain.
    pub seq: Option<u64>,
    /// Its last record's hash, likewise.
    pub head: Option<String>,
    /// Whether its folder still held log files when this record was written.
    pub present: bool,
}

impl RecordBody {
    /// The record's EventTypeCode: the stored one, or for records written before the field
    /// existed, the one their fixed detail texts imply.
    pub fn event_type_code(&self) -> Option<EventType> {
        if let Some(code) = &self.event_type {
            return EventType::from_code(code);
        }
        let detail = self.detail.as_deref().unwrap_or("");
        match self.event_code.as_str() {
            "110100" if detail == "application start" => Some(EventType::ApplicationStart),
            "110100" if detail == "application stop" => Some(EventType::ApplicationStop),
            "110113" if detail.starts_with("rejected request") => {
                Some(EventType::UseOfRestrictedFunction)
            }
            "110113" => Some(EventType::AuditRecordingStopped),
            _ => None,
        }
    }
}

type HmacSha256 = Hmac<Sha256>;

/// HMAC-SHA256.
pub fn hmac(key: &[u8; 32], data: &[u8]) -> [u8; 32] {
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// The token of a study.
pub fn study_token(keys: &AuditKeys, study_instance_uid: &str) -> String {
    hex(&hmac(&keys.token, study_instance_uid.trim().as_bytes()))
}

/// Seals identifiers (`lucent_vault::seal` with the seal key, the token as associated data).
pub fn seal(keys: &AuditKeys, token: &str, identity: &StudyIdentity) -> Result<String, String> {
    let plaintext = serde_json::to_vec(identity).map_err(|e| e.to_string())?;
    let sealed =
        lucent_vault::seal(&keys.seal, token.as_bytes(), &plaintext).map_err(|e| e.to_string())?;
    Ok(B64.encode(sealed))
}

/// Opens sealed identifiers; `None` with the wrong key or altered data.
pub fn unseal(keys: &AuditKeys, token: &str, sealed: &str) -> Option<StudyIdentity> {
    let bytes = B64.decode(sealed).ok()?;
    let plaintext = lucent_vault::open(&keys.seal, token.as_bytes(), &bytes).ok()?;
    serde_json::from_slice(&plaintext).ok()
}

/// Builds the body of the record that follows `prev` (seq, hash).
pub fn build_body(
    keys: &AuditKeys,
    origin: &Origin,
    seq: u64,
    prev: &str,
    event: &Event,
) -> Result<RecordBody, String> {
    let objects = event
        .objects
        .iter()
        .map(|o| {
            let token = study_token(keys, &o.identity.study_instance_uid);
            let sealed = seal(keys, &token, &o.identity)?;
            Ok(StoredObject {
                token,
                modality: o.modality.clone(),
                instances: o.instances,
                sealed,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(RecordBody {
        v: 1,
        seq,
        time: humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string(),
        key_id: keys.key_id.clone(),
        prev: prev.to_string(),
        event_code: event.id.code().into(),
        event: event.id.meaning().into(),
        action: event.action.letter().into(),
        outcome: event.outcome.value(),
        user: origin.user.clone(),
        host: origin.host.clone(),
        app: origin.app.clone(),
        pid: origin.pid,
        objects,
        error_code: event.error_code.clone(),
        detail: event.detail.clone(),
        event_type: event.event_type.map(|t| t.code().to_string()),
        uid: origin.uid,
        process: Some(origin.process.clone()),
        previous_log: None,
    })
}

/// The hash that chains records: SHA-256(MAC ‖ body bytes).
pub fn record_hash(mac: &[u8; 32], body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(mac);
    h.update(body);
    hex(&h.finalize())
}

/// The hash before the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealing_round_trips_and_fails_with_the_wrong_key_or_token() {
        let keys = AuditKeys::derive(&[1; 32]);
        let other = AuditKeys::derive(&[2; 32]);
        let id = StudyIdentity {
            study_instance_uid: "1.2.3".into(),
            patient_id: Some("PID-7".into()),
            patient_name: Some("DOE^JANE".into()),
        };
        let token = study_token(&keys, &id.study_instance_uid);
        let sealed = seal(&keys, &token, &id).unwrap();
        assert!(!sealed.contains("DOE") && !sealed.contains("PID-7"));
        assert_eq!(unseal(&keys, &token, &sealed), Some(id.clone()));
        assert_eq!(unseal(&other, &token, &sealed), None, "wrong key");
        assert_eq!(
            unseal(&keys, &study_token(&keys, "1.2.4"), &sealed),
            None,
            "bound to its token"
        );
        assert_ne!(
            study_token(&keys, "1.2.3"),
            study_token(&other, "1.2.3"),
            "tokens are keyed"
        );
    }
}
