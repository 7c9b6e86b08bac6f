//! `lucent audit verify|show|find-study`: the audit trail from the command line.
//!
//! The log is the one `lucent_core::audit::location::resolve` names (the managed policy's
//! folder, else the user's data directory). `verify` only reads (exit 0 intact, 1 tampered or
//! corrupt naming the first bad record, 2 could not run); a failed verification is handed to the
//! next appending process through the keychain, which records it as 110113. It also reports
//! every relocation the log records (the log it took over from, and whether that one is still
//! there) and says when the OS user's active log is another one. `show` and `find-study` append 110101 (Audit Log Used) after
//! reading. Their output never contains readable PHI: studies appear as tokens.
//!
//! `export --format xml` is the exception by design: it writes DICOM audit messages (PS3.15
//! A.5.1) for a hospital's audit record repository, with the Study Instance UIDs and the patients'
//! IDs and names unsealed with the keychain's key. It verifies the log first (a tampered log is
//! not exported), records the export as 110101 before any of it is written, and writes a file
//! (`-o`, created owner-only, replaced atomically) or stdout.

use crate::CliError;
use clap::Subcommand;
use lucent_core::audit::{
    Action, AuditLocation, Event, EventId, Origin, RecordBody, Relocation, study_token,
};
use lucent_core::{AuditError, AuditLog, ErrorCode, HasErrorCode};
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Check every record's checksum, MAC, sequence and chain, and the keychain anchor.
    Verify {
        /// One JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Print records (JSON Lines with --json).
    Show {
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
        /// Only records at or after this UTC time (RFC 3339, e.g. 2026-11-23T10:00:00Z).
        #[arg(long, value_parser = parse_time)]
        since: Option<SystemTime>,
    },
    /// Export records as DICOM audit messages (PS3.15 A.5.1 XML) for an audit repository.
    /// The output holds PHI (patient IDs and names): keep it where PHI may be kept.
    Export {
        /// Output format (only `xml`, one document with one AuditMessage per record).
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// Only records at or after this UTC time (RFC 3339, e.g. 2026-11-23T10:00:00Z).
        #[arg(long, value_parser = parse_time)]
        since: Option<SystemTime>,
        /// Write to this file (owner-only permissions) instead of stdout.
        #[arg(short = 'o', long = "output")]
        output: Option<PathBuf>,
    },
    /// Print the records that involve a study, found by its Study Instance UID.
    FindStudy {
        /// Study Instance UID.
        uid: String,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
}

/// Export formats.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum ExportFormat {
    /// DICOM PS3.15 A.5.1 audit messages.
    Xml,
}

fn parse_time(s: &str) -> Result<SystemTime, String> {
    humantime::parse_rfc3339_weak(s).map_err(|e| format!("not an RFC 3339 time: {e}"))
}

fn app() -> String {
    format!("lucent {}", env!("CARGO_PKG_VERSION"))
}

/// A record as shown: everything but the sealed identifiers.
#[derive(Serialize)]
struct ShownRecord<'a> {
    seq: u64,
    time: &'a str,
    event_code: &'a str,
    event: &'a str,
    action: &'a str,
    outcome: u8,
    user: &'a str,
    uid: Option<u32>,
    host: &'a str,
    app: &'a str,
    process: Option<&'a str>,
    pid: u32,
    objects: Vec<ShownObject<'a>>,
    error_code: Option<&'a str>,
    detail: Option<&'a str>,
}

#[derive(Serialize)]
struct ShownObject<'a> {
    token: &'a str,
    modality: Option<&'a str>,
    instances: u32,
}

fn shown(r: &RecordBody) -> ShownRecord<'_> {
    ShownRecord {
        seq: r.seq,
        time: &r.time,
        event_code: &r.event_code,
        event: &r.event,
        action: &r.action,
        outcome: r.outcome,
        user: &r.user,
        uid: r.uid,
        host: &r.host,
        app: &r.app,
        process: r.process.as_deref(),
        pid: r.pid,
        objects: r
            .objects
            .iter()
            .map(|o| ShownObject {
                token: &o.token,
                modality: o.modality.as_deref(),
                instances: o.instances,
            })
            .collect(),
        error_code: r.error_code.as_deref(),
        detail: r.detail.as_deref(),
    }
}

fn print_records(records: &[&RecordBody], json: bool) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    for r in records {
        if json {
            serde_json::to_writer(&mut out, &shown(r))?;
            writeln!(out)?;
        } else {
            let objects: Vec<String> = r
                .objects
                .iter()
                .map(|o| {
                    format!(
                        "study {}… {} ×{}",
                        &o.token[..12.min(o.token.len())],
                        o.modality.as_deref().unwrap_or("-"),
                        o.instances
                    )
                })
                .collect();
            writeln!(
                out,
                "{:>6} {} {} {} {} outcome {} {}@{} {}{}{}",
                r.seq,
                r.time,
                r.event_code,
                r.event,
                r.action,
                r.outcome,
                r.user,
                r.host,
                objects.join(", "),
                r.error_code
                    .as_deref()
                    .map(|c| format!(" {c}"))
                    .unwrap_or_default(),
                r.detail
                    .as_deref()
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default(),
            )?;
        }
    }
    Ok(())
}

fn record_use(log: &AuditLog, detail: &str) -> Result<(), CliError> {
    let event = Event {
        detail: Some(detail.into()),
        ..Event::new(EventId::AuditLogUsed, Action::Read)
    };
    log.append(&[event])?;
    Ok(())
}

fn quiet_pipe(result: std::io::Result<()>) -> Result<(), CliError> {
    match result {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(CliError {
            code: ErrorCode::Io,
            message: format!("cannot write output: {e}"),
        }),
        _ => Ok(()),
    }
}

pub fn run(command: AuditCommand) -> Result<ExitCode, CliError> {
    let location = lucent_core::audit::location::resolve(None);
    match command {
        AuditCommand::Verify { json } => match location {
            Ok(location) => verify(&location, json),
            Err(e) => could_not_run(e),
        },
        AuditCommand::Show { json, since } => {
            let location = location?;
            let log = AuditLog::open_at(&location, &app())?;
            let records = log.read_all()?;
            let selected = since_filter(&records, since);
            quiet_pipe(print_records(&selected, json))?;
            record_use(&log, &format!("show: {} record(s) read", selected.len()))?;
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Export {
            format: ExportFormat::Xml,
            since,
            output,
        } => export_xml(&location?, since, output.as_deref()),
        AuditCommand::FindStudy { uid, json } => {
            let location = location?;
            let log = AuditLog::open_at(&location, &app())?;
            let token = study_token(log.keys(), &uid);
            let records = log.read_all()?;
            let selected: Vec<&RecordBody> = records
                .iter()
                .filter(|r| r.objects.iter().any(|o| o.token == token))
                .collect();
            quiet_pipe(print_records(&selected, json))?;
            record_use(
                &log,
                &format!("find-study: {} record(s) found", selected.len()),
            )?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn since_filter(records: &[RecordBody], since: Option<SystemTime>) -> Vec<&RecordBody> {
    let since = since.map(|t| humantime::format_rfc3339_millis(t).to_string());
    records
        .iter()
        .filter(|r| since.as_deref().is_none_or(|s| r.time.as_str() >= s))
        .collect()
}

/// Verify, build the document in memory, record the export (110101), then write it.
fn export_xml(
    location: &AuditLocation,
    since: Option<SystemTime>,
    output: Option<&Path>,
) -> Result<ExitCode, CliError> {
    let log = AuditLog::open_at(location, &app())?;
    let verification = log.verify()?;
    if let Some((seq, file, reason)) = &verification.problem {
        let _ = log.remember_failed_verification(&format!("record {seq} in {file}: {reason}"));
        return Err(AuditError::Tampered {
            seq: *seq,
            file: file.clone(),
            reason: format!(
                "{reason}; not exported (run `lucent audit verify` and see docs/AUDIT.md)"
            ),
        }
        .into());
    }
    let records = log.read_all()?;
    let selected = since_filter(&records, since);
    let log_uri = file_uri(log.dir());
    let export = lucent_core::audit::export::to_xml(&selected, log.keys(), &log_uri)?;
    let destination = match output {
        Some(_) => format!("to a file ({} message(s))", export.messages),
        None => format!("to standard output ({} message(s))", export.messages),
    };
    record_use(
        &log,
        &format!("export xml: {} record(s) {destination}", export.records),
    )?;
    match output {
        Some(path) => {
            crate::output::write_private(path, export.xml.as_bytes()).map_err(|e| CliError {
                code: ErrorCode::Io,
                message: format!("cannot write {}: {e}", path.display()),
            })?
        }
        None => quiet_pipe(std::io::stdout().lock().write_all(export.xml.as_bytes()))?,
    }
    Ok(ExitCode::SUCCESS)
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
    #[test]
    fn file_uris_are_percent_encoded() {
        assert_eq!(
            super::file_uri(std::path::Path::new("/home/a b/lücent")),
            "file:///home/a%20b/l%C3%BCcent"
        );
    }
}

#[derive(Serialize)]
struct VerifyJson {
    intact: bool,
    records: u64,
    files: usize,
    first_bad: Option<FirstBad>,
    /// This log's location token.
    location: String,
    /// The OS user's active log (its token), when one is anchored.
    active: Option<String>,
    relocations: Vec<RelocationJson>,
}

#[derive(Serialize)]
struct FirstBad {
    seq: u64,
    file: String,
    reason: String,
}

#[derive(Serialize)]
struct RelocationJson {
    seq: u64,
    time: String,
    /// The earlier log was in this folder (deleted or emptied).
    recreated: bool,
    previous: String,
    previous_key_id: Option<String>,
    previous_last_seq: Option<u64>,
    previous_head: Option<String>,
    /// Whether the earlier log still held records when this one took over.
    previous_present_then: bool,
    /// Whether it holds records now (`null`: its folder is not remembered).
    previous_present_now: Option<bool>,
}

fn could_not_run(e: AuditError) -> Result<ExitCode, CliError> {
    let _ = writeln!(std::io::stderr(), "error: {}: {e}", e.code());
    Ok(ExitCode::from(2))
}

/// One line about a relocation, for people.
fn relocation_line(r: &Relocation, now: Option<bool>) -> String {
    let p = &r.previous;
    let last = match (p.seq, &p.head) {
        (Some(seq), Some(head)) => format!("last record {seq}, head {head}"),
        _ => "last record unknown".to_string(),
    };
    let key = p.key_id.as_deref().unwrap_or("unknown");
    if r.recreated {
        return format!(
            "recreated at record {} ({}): the log kept in this folder before (key {key}, {last}) was deleted or emptied",
            r.seq, r.time
        );
    }
    let then = if p.present {
        "was still present then"
    } else {
        "was already MISSING then"
    };
    let now = match now {
        Some(true) => "; it is still present now",
        Some(false) => "; it is MISSING now",
        None => "",
    };
    format!(
        "relocation at record {} ({}): this log took over from log {} (key {key}, {last}), which {then}{now}",
        r.seq, r.time, p.token
    )
}

fn verify(location: &AuditLocation, json: bool) -> Result<ExitCode, CliError> {
    let (dir, keychain, keys, anchor) = match lucent_core::audit::verification_inputs_at(location) {
        Ok(inputs) => inputs,
        Err(e) => return could_not_run(e),
    };
    let has_log = lucent_core::audit::log::log_files(&dir)
        .map(|f| !f.is_empty())
        .unwrap_or(false);
    let verification = match (&keys, has_log) {
        (Some(keys), _) => match lucent_core::audit::verify(&dir, keys, anchor.as_ref()) {
            Ok(v) => v,
            Err(e) => return could_not_run(e),
        },
        (None, false) => lucent_core::audit::Verification {
            records: 0,
            files: 0,
            problem: None,
            relocations: Vec::new(),
        },
        (None, true) => lucent_core::audit::Verification {
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
    let here = lucent_core::audit::location_token(&dir);
    let active = match keychain.active_log(Origin::current("").uid) {
        Ok(active) => active,
        Err(e) => return could_not_run(e),
    };
    // Whether each earlier log holds records now, where the keychain remembers its folder.
    let present_now = |r: &Relocation| -> Option<bool> {
        let dir = active.as_ref()?.known_dir(&r.previous.token)?;
        Some(lucent_core::audit::log::holds_records(Path::new(dir)))
    };
    let out = if json {
        let doc = VerifyJson {
            intact: verification.intact(),
            records: verification.records,
            files: verification.files,
            first_bad: verification
                .problem
                .as_ref()
                .map(|(seq, file, reason)| FirstBad {
                    seq: *seq,
                    file: file.clone(),
                    reason: reason.clone(),
                }),
            location: here.clone(),
            active: active.as_ref().map(|a| a.token.clone()),
            relocations: verification
                .relocations
                .iter()
                .map(|r| RelocationJson {
                    seq: r.seq,
                    time: r.time.clone(),
                    recreated: r.recreated,
                    previous: r.previous.token.clone(),
                    previous_key_id: r.previous.key_id.clone(),
                    previous_last_seq: r.previous.seq,
                    previous_head: r.previous.head.clone(),
                    previous_present_then: r.previous.present,
                    previous_present_now: if r.recreated {
                        Some(false)
                    } else {
                        present_now(r)
                    },
                })
                .collect(),
        };
        serde_json::to_string(&doc).unwrap_or_default()
    } else {
        let mut lines = vec![match &verification.problem {
            None => format!(
                "audit log intact: {} record(s) in {} file(s)",
                verification.records, verification.files
            ),
            Some((seq, file, reason)) => {
                format!("audit log NOT intact: first bad record {seq} in {file}: {reason}")
            }
        }];
        for r in &verification.relocations {
            lines.push(relocation_line(r, present_now(r)));
        }
        match &active {
            Some(a) if a.token != here => lines.push(format!(
                "note: this log is {here}; the OS user's active audit log is {}",
                a.token
            )),
            _ => {}
        }
        lines.join("\n")
    };
    let _ = writeln!(std::io::stdout(), "{out}");
    Ok(if verification.intact() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
