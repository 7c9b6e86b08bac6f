//! `lucent audit verify|show|find-study`: the audit trail from the command line.
//!
//! `verify` only reads (exit 0 intact, 1 tampered or corrupt naming the first bad record, 2 could
//! not run); a failed verification is handed to the next appending process through the keychain,
//! which records it as 110113. `show` and `find-study` append 110101 (Audit Log Used) after
//! reading. Their output never contains readable PHI: studies appear as tokens.
//!
//! `export --format xml` is the exception by design: it writes DICOM audit messages (PS3.15
//! A.5.1) for a hospital's audit record repository, with the Study Instance UIDs and the patients'
//! IDs and names unsealed with the keychain's key. It verifies the log first (a tampered log is
//! not exported), records the export as 110101 before any of it is written, and writes a file
//! (`-o`, created owner-only, replaced atomically) or stdout.

use crate::CliError;
use clap::Subcommand;
use lucent_core::audit::{Action, Event, EventId, RecordBody, study_token};
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
    host: &'a str,
    app: &'a str,
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
        host: &r.host,
        app: &r.app,
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
    let data_dir = lucent_core::audit::data_dir();
    match command {
        AuditCommand::Verify { json } => verify(&data_dir, json),
        AuditCommand::Show { json, since } => {
            let log = AuditLog::open(&data_dir, &app())?;
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
        } => export_xml(&data_dir, since, output.as_deref()),
        AuditCommand::FindStudy { uid, json } => {
            let log = AuditLog::open(&data_dir, &app())?;
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
    data_dir: &Path,
    since: Option<SystemTime>,
    output: Option<&Path>,
) -> Result<ExitCode, CliError> {
    let log = AuditLog::open(data_dir, &app())?;
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
        Some(path) => write_private(path, export.xml.as_bytes()).map_err(|e| CliError {
            code: ErrorCode::Io,
            message: format!("cannot write {}: {e}", path.display()),
        })?,
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

/// Writes a file readable by its owner only, replacing it atomically (temporary file + rename).
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other("the output path names no file"))?;
    let tmp = dir.join(format!(".{}.partial", name.to_string_lossy()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let result = (|| {
        let mut file = options.open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
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
}

#[derive(Serialize)]
struct FirstBad {
    seq: u64,
    file: String,
    reason: String,
}

fn verify(data_dir: &std::path::Path, json: bool) -> Result<ExitCode, CliError> {
    let could_not_run = |e: AuditError| -> Result<ExitCode, CliError> {
        let _ = writeln!(std::io::stderr(), "error: {}: {e}", e.code());
        Ok(ExitCode::from(2))
    };
    let (dir, keychain, keys, anchor) = match lucent_core::audit::verification_inputs(data_dir) {
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
        },
        (None, true) => lucent_core::audit::Verification {
            records: 0,
            files: 0,
            problem: Some((
                0,
                String::new(),
                "unverifiable: the log's key is not in the keychain".into(),
            )),
        },
    };
    if let Some((seq, file, reason)) = &verification.problem {
        let _ = keychain.set_pending_alert(&format!("record {seq} in {file}: {reason}"));
    }
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
        };
        serde_json::to_string(&doc).unwrap_or_default()
    } else {
        match &verification.problem {
            None => format!(
                "audit log intact: {} record(s) in {} file(s)",
                verification.records, verification.files
            ),
            Some((seq, file, reason)) => {
                format!("audit log NOT intact: first bad record {seq} in {file}: {reason}")
            }
        }
    };
    let _ = writeln!(std::io::stdout(), "{out}");
    Ok(if verification.intact() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
