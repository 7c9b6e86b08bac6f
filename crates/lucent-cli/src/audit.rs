//! `lucent audit verify|show|find-study|export`: the audit trail from the command line, as
//! thin calls into the facade (`lucent_core::audit_trail`, which holds the rules: which log, what
//! is recorded, when, and how an export is written); this file parses and prints.
//!
//! `verify` only reads (exit 0 intact, 1 tampered or corrupt naming the first bad record, 2
//! could not run); it also reports every relocation the log records (the log it took over from,
//! and whether that one is still there) and says when the OS user's active log is another one.
//! `show` and `find-study` print records without readable PHI (studies appear as tokens), and
//! the facade records the reading as 110101. `export --format xml` is the exception by design:
//! DICOM audit messages (PS3.15 A.5.1) with the patients' identifiers, verified, recorded, then
//! written to a file (`-o`, owner-only, replaced atomically) or stdout.

use crate::CliError;
use clap::Subcommand;
use lucent_core::audit_trail::{
    self, AuditTrail, ExportError, ExportTarget, RecordBody, Relocation, TrailCheck,
};
use lucent_core::{AuditError, ErrorCode, HasErrorCode};
use serde::Serialize;
use std::io::Write;
use std::path::PathBuf;
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
    match command {
        AuditCommand::Verify { json } => match audit_trail::verify(None) {
            Ok(check) => Ok(print_verification(&check, json)),
            Err(e) => could_not_run(e),
        },
        AuditCommand::Show { json, since } => {
            AuditTrail::open(None, &app())?
                .show(since, |records| quiet_pipe(print_records(records, json)))?;
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Export {
            format: ExportFormat::Xml,
            since,
            output,
        } => {
            let trail = AuditTrail::open(None, &app())?;
            let mut stdout = std::io::stdout();
            let target = match &output {
                Some(path) => ExportTarget::File(path),
                None => ExportTarget::StandardOutput(&mut stdout),
            };
            match trail.export_xml(since, target) {
                Err(ExportError::StandardOutput(e))
                    if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                result => {
                    result?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::FindStudy { uid, json } => {
            AuditTrail::open(None, &app())?
                .find_study(&uid, |records| quiet_pipe(print_records(records, json)))?;
            Ok(ExitCode::SUCCESS)
        }
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

fn print_verification(check: &TrailCheck, json: bool) -> ExitCode {
    let verification = &check.verification;
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
            location: check.location.clone(),
            active: check.active_location().map(str::to_string),
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
                    previous_present_now: check.previous_present_now(r),
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
            lines.push(relocation_line(r, check.previous_present_now(r)));
        }
        match check.active_location() {
            Some(active) if active != check.location => lines.push(format!(
                "note: this log is {}; the OS user's active audit log is {active}",
                check.location
            )),
            _ => {}
        }
        lines.join("\n")
    };
    let _ = writeln!(std::io::stdout(), "{out}");
    if verification.intact() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
