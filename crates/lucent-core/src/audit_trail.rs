//! The audit trail as local tools use it — verify, show, find a study's records, export — with
//! the rules each one follows decided here, so the CLI's `lucent audit` and the viewer apply the
//! same ones.
//!
//! - [`verify`] only reads: it opens no log for appending and creates no key. A failed
//!   verification is handed to the next appending process through the keychain (recorded then
//!   as 110113), never written by the verifier. It reports every relocation the log records and
//!   whether each earlier log still holds records.
//! - [`AuditTrail::show`] and [`AuditTrail::find_study`] hand the records to the caller, then
//!   record the reading as (110101, DCM, "Audit Log Used") (PS3.15 A.5.3.2). Records name
//!   studies by token: nothing they show identifies a patient.
//! - [`AuditTrail::export_xml`] (DICOM audit messages, PS3.15 A.5.1, for an audit record
//!   repository; the one deliberate PHI output): verify first (a tampered log is not exported and
//!   the failure is remembered for the next appender), build the document in memory, record the
//!   export as 110101 before any of it is written, then write it — to a file created owner-only
//!   and replaced atomically, or to the caller's standard output.

use crate::data_dir::audit_location;
use lucent_audit::{Action, ActiveLog, AuditError, AuditLog, Event, EventId, Origin};
pub use lucent_audit::{PreviousLog, RecordBody, Relocation, Verification};
use lucent_error::{ErrorCode, HasErrorCode};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// What a verification found, and where the log stands among the OS user's logs.
#[derive(Debug, Clone)]
pub struct TrailCheck {
    /// The chain, the anchor and the relocations the log records.
    pub verification: Verification,
    /// This log's location token (`loc-` + 16 hex digits; no path).
    pub location: String,
    /// The OS user's active log as the keychain anchors it.
    active: Option<ActiveLog>,
}

impl TrailCheck {
    /// The location token of the OS user's active log, when one is anchored.
    pub fn active_location(&self) -> Option<&str> {
        self.active.as_ref().map(|a| a.token.as_str())
    }

    /// Whether the log a relocation took over from holds records now: `Some(false)` for a log
    /// recreated in its own folder (the earlier one is gone by definition), `None` when the
    /// keychain no longer remembers the earlier log's folder.
    pub fn previous_present_now(&self, relocation: &Relocation) -> Option<bool> {
        if relocation.recreated {
            return Some(false);
        }
        let dir = self
            .active
            .as_ref()?
            .known_dir(&relocation.previous.token)?;
        Some(lucent_audit::log::holds_records(Path::new(dir)))
    }
}

/// Verifies the log the data-directory rule and the managed policy name (`explicit_data_dir`
/// over the environment's; see [`crate::data_dir`]), without creating anything: no log file, no
/// key. A log whose key is gone is reported as unverifiable, an absent log as intact and empty.
pub fn verify(explicit_data_dir: Option<&Path>) -> Result<TrailCheck, AuditError> {
    let location = audit_location(explicit_data_dir)?;
    let (dir, keychain, keys, anchor) = lucent_audit::verification_inputs_at(&location)?;
    let has_log = lucent_audit::log::log_files(&dir)
        .map(|f| !f.is_empty())
        .unwrap_or(false);
    let verification = match (&keys, has_log) {
        (Some(keys), _) => lucent_audit::verify(&dir, keys, anchor.as_ref())?,
        (None, false) => Verification {
            records: 0,
            files: 0,
            problem: None,
            relocations: Vec::new(),
        },
        (None, true) => Verification {
            records: 0,
            files: 0,
            problem: Some((
                0,
                String::new(),
                "unverifiable: the log's key is not in the keychain".into(),
            )),
            relocations: Vec::new(),
        },
    };
    if let Some((seq, file, reason)) = &verification.problem {
        let _ = keychain.set_pending_alert(&format!("record {seq} in {file}: {reason}"));
    }
    let location = lucent_audit::location_token(&dir);
    let active = keychain.active_log(Origin::current("").uid)?;
    Ok(TrailCheck {
        verification,
        location,
        active,
    })
}

/// Where an export goes.
pub enum ExportTarget<'a> {
    /// A file, created owner-only (0600) and replaced atomically.
    File(&'a Path),
    /// The process's standard output (or what the caller writes to in its place).
    StandardOutput(&'a mut dyn Write),
}

/// What an export wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exported {
    /// Records exported.
    pub records: usize,
    /// `AuditMessage` elements written.
    pub messages: usize,
}

/// Why an export did not complete.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The log could not be read, verified or unsealed, or the export not recorded: nothing was
    /// written.
    #[error(transparent)]
    Audit(#[from] AuditError),
    /// The export was recorded, but its file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    File {
        /// The file asked for.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The export was recorded, but standard output refused it (a closed pipe among others).
    #[error("cannot write output: {0}")]
    StandardOutput(std::io::Error),
}

impl HasErrorCode for ExportError {
    fn code(&self) -> ErrorCode {
        match self {
            ExportError::Audit(e) => e.code(),
            ExportError::File { .. } | ExportError::StandardOutput(_) => ErrorCode::Io,
        }
    }
}

/// The audit log opened for a local tool: every reading of it is itself recorded.
#[derive(Debug)]
pub struct AuditTrail {
    log: AuditLog,
}

impl AuditTrail {
    /// Opens the log the data-directory rule and the managed policy name (creating it and its
    /// key when there is none); `app` names the tool in the records it appends.
    pub fn open(explicit_data_dir: Option<&Path>, app: &str) -> Result<Self, AuditError> {
        let location = audit_location(explicit_data_dir)?;
        Ok(AuditTrail {
            log: AuditLog::open_at(&location, app)?,
        })
    }

    /// Hands the records at or after `since` to `show`, then records the reading (110101).
    /// Returns how many were shown.
    pub fn show<E: From<AuditError>>(
        &self,
        since: Option<SystemTime>,
        show: impl FnOnce(&[&RecordBody]) -> Result<(), E>,
    ) -> Result<usize, E> {
        let records = self.log.read_all()?;
        let selected = since_filter(&records, since);
        show(&selected)?;
        self.record_use(&format!("show: {} record(s) read", selected.len()))?;
        Ok(selected.len())
    }

    /// Hands the records that involve the study with this Study Instance UID (found by its
    /// token) to `show`, then records the search (110101). Returns how many were found.
    pub fn find_study<E: From<AuditError>>(
        &self,
        study_instance_uid: &str,
        show: impl FnOnce(&[&RecordBody]) -> Result<(), E>,
    ) -> Result<usize, E> {
        let token = lucent_audit::study_token(self.log.keys(), study_instance_uid);
        let records = self.log.read_all()?;
        let selected: Vec<&RecordBody> = records
            .iter()
            .filter(|r| r.objects.iter().any(|o| o.token == token))
            .collect();
        show(&selected)?;
        self.record_use(&format!("find-study: {} record(s) found", selected.len()))?;
        Ok(selected.len())
    }

    /// Exports the records at or after `since` as DICOM audit messages (PS3.15 A.5.1 XML):
    /// verified, built in memory, recorded (110101), then written to `target`.
    pub fn export_xml(
        &self,
        since: Option<SystemTime>,
        target: ExportTarget<'_>,
    ) -> Result<Exported, ExportError> {
        let verification = self.log.verify()?;
        if let Some((seq, file, reason)) = &verification.problem {
            let _ = self
                .log
                .remember_failed_verification(&format!("record {seq} in {file}: {reason}"));
            return Err(AuditError::Tampered {
                seq: *seq,
                file: file.clone(),
                reason: format!(
                    "{reason}; not exported (run `lucent audit verify` and see docs/AUDIT.md)"
                ),
            }
            .into());
        }
        let records = self.log.read_all()?;
        let selected = since_filter(&records, since);
        let export =
            lucent_audit::export::to_xml(&selected, self.log.keys(), &file_uri(self.log.dir()))?;
        let destination = match target {
            ExportTarget::File(_) => format!("to a file ({} message(s))", export.messages),
            ExportTarget::StandardOutput(_) => {
                format!("to standard output ({} message(s))", export.messages)
            }
        };
        self.record_use(&format!(
            "export xml: {} record(s) {destination}",
            export.records
        ))?;
        match target {
            ExportTarget::File(path) => {
                crate::owner_only::write_replacing(path, export.xml.as_bytes()).map_err(
                    |source| ExportError::File {
                        path: path.to_path_buf(),
                        source,
                    },
                )?
            }
            ExportTarget::StandardOutput(out) => out
                .write_all(export.xml.as_bytes())
                .map_err(ExportError::StandardOutput)?,
        }
        Ok(Exported {
            records: export.records,
            messages: export.messages,
        })
    }

    /// Records a use of the log (110101, R) with a PHI-free detail.
    fn record_use(&self, detail: &str) -> Result<(), AuditError> {
        let event = Event {
            detail: Some(detail.into()),
            ..Event::new(EventId::AuditLogUsed, Action::Read)
        };
        self.log.append(&[event])?;
        Ok(())
    }
}

/// The records at or after `since` (compared as RFC 3339 UTC text with milliseconds, the
/// records' own form).
fn since_filter(records: &[RecordBody], since: Option<SystemTime>) -> Vec<&RecordBody> {
    let since = since.map(|t| humantime::format_rfc3339_millis(t).to_string());
    records
        .iter()
        .filter(|r| since.as_deref().is_none_or(|s| r.time.as_str() >= s))
        .collect()
}

/// A `file://` URI for a local path (RFC 8089), bytes outside RFC 3986's unreserved set and `/`
/// percent-encoded.
fn file_uri(path: &Path) -> String {
    let mut uri = String::from("file://");
    for &b in path.as_os_str().as_encoded_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            uri.push(b as char);
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_uris_are_percent_encoded() {
        assert_eq!(
            file_uri(Path::new("/home/a b/lücent")),
            "file:///home/a%20b/l%C3%BCcent"
        );
    }

    #[test]
    fn since_keeps_the_records_at_or_after_it() {
        let body = |time: &str| RecordBody {
            v: 1,
            seq: 1,
            time: time.into(),
            key_id: String::new(),
            prev: String::new(),
            event_code: "110101".into(),
            event: String::new(),
            action: "R".into(),
            outcome: 0,
            user: String::new(),
            host: String::new(),
            app: String::new(),
            pid: 0,
            objects: Vec::new(),
            error_code: None,
            detail: None,
            event_type: None,
            uid: None,
            process: None,
            previous_log: None,
        };
        let records = [
            body("2026-11-23T09:59:59.999Z"),
            body("2026-11-23T10:00:00.000Z"),
            body("2026-11-24T08:00:00.000Z"),
        ];
        let since = humantime::parse_rfc3339("2026-11-23T10:00:00Z").unwrap();
        let kept: Vec<&str> = since_filter(&records, Some(since))
            .iter()
            .map(|r| r.time.as_str())
            .collect();
        assert_eq!(
            kept,
            ["2026-11-23T10:00:00.000Z", "2026-11-24T08:00:00.000Z"]
        );
        assert_eq!(since_filter(&records, None).len(), 3);
    }
}
