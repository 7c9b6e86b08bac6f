//! The log on disk: framing, append with fsync under a file lock, torn-tail repair, rotation,
//! reading and verification.
//!
//! A log is `audit-000001.log`, `audit-000002.log`, … in its audit folder ([`crate::location`]).
//! Each record is one frame: `length (u32 LE) ‖ CRC-32 (u32 LE) of the rest ‖ MAC (32 bytes) ‖
//! body (JSON)`.
//! The MAC is HMAC-SHA256 over the body; the body holds the hash of the previous record, so the
//! records form one chain across files. An append takes an exclusive lock on `audit/lock`, reads
//! the tail, repairs an incomplete final frame (a torn tail, recorded as 110113), writes its
//! frames with one `write`, `fdatasync`s (plus a directory fsync when it created a file), then
//! stores the anchor (sequence number and head hash) in the keychain.
//!
//! Where: the first append of a process (and of every new log) compares the log's location with
//! the OS user's active-log anchor in the keychain. A log started anywhere else, or in a folder
//! whose earlier log is gone, begins (before anything else) with 110113 Security Alert,
//! EventTypeCode 110134 "Audit Recording Started" (PS3.16 CID 403), naming the earlier log by
//! its location token, key id, last sequence number and head hash ([`PreviousLog`]); then the
//! anchor moves here. [`verify`] reports these relocations. Nothing is refused: several logs may
//! be used one after another (tests use hundreds); each move is on the record.
//!
//! Files here are created owner-only: folders 0700, the lock and log files 0600 (existing ones
//! are narrowed when the log opens), whatever the umask.

use crate::error::AuditError;
use crate::keys::{ActiveLog, Anchor, AuditKeychain, AuditKeys, location_token};
use crate::location::AuditLocation;
use crate::record::{
    Action, Event, EventId, EventType, GENESIS, Origin, Outcome, PreviousLog, RecordBody,
    build_body, hmac, record_hash,
};
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

const HEADER: usize = 8;
const MAC_LEN: usize = 32;
/// Largest record accepted when reading (a record is well under 64 KiB).
const MAX_RECORD: usize = 1 << 20;
/// Default size at which a new log file is started.
pub const DEFAULT_ROTATE_BYTES: u64 = 4 * 1024 * 1024;
/// Records one append may write (a start record, up to four alerts, the event): the anchor may
/// lag the log by at most this many records after a crash between the log's fsync and the
/// keychain write.
pub const MAX_ANCHOR_LAG: u64 = 6;

/// What chose the data directory of [`AuditLog::open`] and [`verification_inputs`].
const GIVEN_BY_CALLER: &str = "the data directory given by the caller";

/// One frame read back.
#[derive(Debug, Clone)]
pub struct Frame {
    /// Byte offset in its file.
    pub offset: u64,
    /// The stored MAC.
    pub mac: [u8; 32],
    /// The body bytes.
    pub body: Vec<u8>,
    /// The CRC matches.
    pub crc_ok: bool,
}

/// What a file scan found after the last complete frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tail {
    /// The file ends at a frame boundary.
    Clean,
    /// An incomplete final frame starting at this offset (a crash during an append).
    Torn {
        /// Where the incomplete frame starts.
        at: u64,
        /// Its bytes present.
        bytes: u64,
    },
    /// A frame whose length field is impossible (corruption or tampering).
    BadLength {
        /// Where.
        at: u64,
    },
}

/// Reads a log file's frames.
pub fn scan(bytes: &[u8]) -> (Vec<Frame>, Tail) {
    let mut frames = Vec::new();
    let mut at = 0usize;
    while at < bytes.len() {
        let rest = &bytes[at..];
        if rest.len() < HEADER {
            return (frames, torn_or_zero(rest, at));
        }
        let len = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        let crc = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]);
        if !(MAC_LEN + 2..=MAX_RECORD).contains(&len) {
            if rest.iter().all(|&b| b == 0) {
                // Zeros after a crash (the file grew before its data reached the disk).
                return (
                    frames,
                    Tail::Torn {
                        at: at as u64,
                        bytes: rest.len() as u64,
                    },
                );
            }
            return (frames, Tail::BadLength { at: at as u64 });
        }
        if rest.len() < HEADER + len {
            return (
                frames,
                Tail::Torn {
                    at: at as u64,
                    bytes: rest.len() as u64,
                },
            );
        }
        let payload = &rest[HEADER..HEADER + len];
        let mut mac = [0u8; 32];
        mac.copy_from_slice(&payload[..MAC_LEN]);
        frames.push(Frame {
            offset: at as u64,
            mac,
            body: payload[MAC_LEN..].to_vec(),
            crc_ok: crc32fast::hash(payload) == crc,
        });
        at += HEADER + len;
    }
    (frames, Tail::Clean)
}

fn torn_or_zero(rest: &[u8], at: usize) -> Tail {
    Tail::Torn {
        at: at as u64,
        bytes: rest.len() as u64,
    }
}

fn encode_frame(mac: &[u8; 32], body: &[u8]) -> Vec<u8> {
    let mut payload = Vec::with_capacity(MAC_LEN + body.len());
    payload.extend_from_slice(mac);
    payload.extend_from_slice(body);
    let mut frame = Vec::with_capacity(HEADER + payload.len());
    frame.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    frame.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    frame.extend(payload);
    frame
}

/// The log files of an audit folder, in order.
pub fn log_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<(u64, PathBuf)> = Vec::new();
    match fs::read_dir(dir) {
        Ok(entries) => {
            for entry in entries {
                let path = entry?.path();
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                if let Some(n) = name
                    .strip_prefix("audit-")
                    .and_then(|r| r.strip_suffix(".log"))
                    && let Ok(n) = n.parse::<u64>()
                {
                    files.push((n, path));
                }
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    files.sort();
    Ok(files.into_iter().map(|(_, p)| p).collect())
}

fn file_name(n: u64) -> String {
    format!("audit-{n:06}.log")
}

fn file_number(path: &Path) -> u64 {
    path.file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_prefix("audit-")?.strip_suffix(".log")?.parse().ok())
        .unwrap_or(0)
}

/// Options that create a file owner-only (0600 whatever the umask).
fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

/// Creates a new, empty log file, owner-only.
fn create_log_file(path: &Path) -> std::io::Result<File> {
    private_options().write(true).create_new(true).open(path)
}

/// Creates `dir` and any missing parents owner-only (0700), and narrows `dir` itself to 0700.
pub fn create_private_dir_all(dir: &Path) -> std::io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)?;
    narrow(dir, 0o700)
}

/// Removes group and other permissions from a file or folder this user owns.
fn narrow(path: &Path, mode: u32) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let current = fs::metadata(path)?.permissions().mode();
        if current & 0o077 != 0 {
            fs::set_permissions(path, fs::Permissions::from_mode(mode))?;
        }
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

/// Narrows the lock and log files of an audit folder to 0600 (logs written before modes were
/// set, or copied in).
fn narrow_files(dir: &Path) -> std::io::Result<()> {
    for file in log_files(dir)?.iter().chain([&dir.join("lock")]) {
        match narrow(file, 0o600) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            other => other?,
        }
    }
    Ok(())
}

/// Takes the exclusive lock (`audit/lock`) under which keys are created and records appended;
/// released when the returned file is dropped or unlocked.
fn lock_log(dir: &Path) -> std::io::Result<File> {
    let lock = private_options()
        .create(true)
        .read(true)
        .write(true)
        .truncate(false)
        .open(dir.join("lock"))?;
    lock.lock()?;
    Ok(lock)
}

/// Whether a folder holds a log file with records.
pub fn holds_records(dir: &Path) -> bool {
    log_files(dir)
        .map(|files| {
            files
                .iter()
                .any(|f| f.metadata().map(|m| m.len() > 0).unwrap_or(false))
        })
        .unwrap_or(false)
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// The audit trail of one data directory.
#[derive(Debug)]
pub struct AuditLog {
    dir: PathBuf,
    keychain: AuditKeychain,
    keys: AuditKeys,
    origin: Origin,
    rotate_bytes: u64,
    /// Location token of `dir`.
    token: String,
    /// Whether this process has compared its location with the OS user's active-log anchor.
    location_checked: AtomicBool,
}

/// The record a log or a process starts with, when it starts one.
struct Start {
    event: Event,
    previous: Option<PreviousLog>,
    /// It reports the earlier log of this very folder (deleted or emptied).
    recreated: bool,
}

/// What an append wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// Sequence numbers written (alerts first, then the events).
    pub seqs: Vec<u64>,
    /// Alerts (110113) recorded before the events.
    pub alerts: Vec<String>,
}

impl AuditLog {
    /// Opens (creating the folder and, for a new log, the key) the audit trail under
    /// `data_dir/audit`, keys namespaced by `data_dir` (callers that honour the managed policy
    /// use [`AuditLog::open_at`] with [`crate::location::resolve`], as the facade does). Fails when the folder cannot
    /// be written, the keychain is unusable, or the log exists but its key is gone.
    pub fn open(data_dir: &Path, app: &str) -> Result<Self, AuditError> {
        Self::open_at(&AuditLocation::in_data_dir(data_dir, GIVEN_BY_CALLER), app)
    }

    /// Opens the audit trail at `location` (see [`AuditLog::open`]).
    pub fn open_at(location: &AuditLocation, app: &str) -> Result<Self, AuditError> {
        let dir = location.dir.clone();
        let unwritable = |e: std::io::Error| AuditError::Unwritable {
            dir: dir.display().to_string(),
            reason: e.to_string(),
        };
        let created = !dir.exists();
        create_private_dir_all(&dir).map_err(unwritable)?;
        if created {
            sync_dir(&dir).map_err(unwritable)?;
            if let Some(parent) = dir.parent() {
                sync_dir(parent).map_err(unwritable)?;
            }
        }
        let keychain = AuditKeychain::open(&location.key_scope)?;
        // Under the append lock: two processes opening a new log at once must not both create a
        // key (the second would overwrite the first's, which then fails its read-back; found
        // running `lucent render` in two processes on a fresh data folder).
        let lock = lock_log(&dir).map_err(unwritable)?;
        narrow_files(&dir).map_err(unwritable)?;
        // Access check: an existing key is read here (read access) and every append writes the
        // anchor (write access) before it is acknowledged; a new log stores its key here (write)
        // and reads it back. A locked or refusing keychain therefore fails the open or the first
        // append, never silently.
        let has_records = log_files(&dir)
            .map_err(unwritable)?
            .iter()
            .any(|f| f.metadata().map(|m| m.len() > 0).unwrap_or(false));
        let keys = match keychain.keys(!has_records)? {
            Some(k) if !has_records => {
                // Just created (or found for an empty log): prove it reads back.
                match keychain.keys(false)? {
                    Some(again) if again.key_id == k.key_id => k,
                    _ => {
                        return Err(AuditError::Keychain(
                            "the audit key did not read back from the keychain".into(),
                        ));
                    }
                }
            }
            Some(k) => k,
            None => {
                return Err(AuditError::KeyLost {
                    key_id: first_key_id(&dir).unwrap_or_else(|| "unknown".into()),
                });
            }
        };
        let _ = lock.unlock();
        let rotate_bytes = std::env::var("LUCENT_AUDIT_ROTATE_BYTES")
            .ok()
            .and_then(|v| v.parse().ok())
            .filter(|&v: &u64| v >= 1024)
            .unwrap_or(DEFAULT_ROTATE_BYTES);
        Ok(AuditLog {
            token: location_token(&dir),
            dir,
            keychain,
            keys,
            origin: Origin::current(app),
            rotate_bytes,
            location_checked: AtomicBool::new(false),
        })
    }

    /// Starts a new log file when the current one reaches `bytes` (default 4 MiB, or
    /// `LUCENT_AUDIT_ROTATE_BYTES`); the chain continues across files.
    pub fn with_rotation(mut self, bytes: u64) -> Self {
        self.rotate_bytes = bytes.max(1024);
        self
    }

    /// The audit folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The location token of the audit folder (what records name instead of its path).
    pub fn location_token(&self) -> &str {
        &self.token
    }

    /// The derived keys (for tokens, unsealing and export).
    pub fn keys(&self) -> &AuditKeys {
        &self.keys
    }

    fn unwritable(&self, e: impl std::fmt::Display) -> AuditError {
        AuditError::Unwritable {
            dir: self.dir.display().to_string(),
            reason: e.to_string(),
        }
    }

    /// Appends events, durably, after any alerts the tail calls for. Returns after fsync.
    pub fn append(&self, events: &[Event]) -> Result<Appended, AuditError> {
        let lock = lock_log(&self.dir).map_err(|e| self.unwritable(e))?;
        let result = self.append_locked(events);
        let _ = lock.unlock();
        result
    }

    fn append_locked(&self, events: &[Event]) -> Result<Appended, AuditError> {
        let mut files = log_files(&self.dir).map_err(|e| self.unwritable(e))?;
        let mut created_file = false;
        if files.is_empty() {
            let first = self.dir.join(file_name(1));
            create_log_file(&first).map_err(|e| self.unwritable(e))?;
            created_file = true;
            files.push(first);
        }
        let mut alerts = Vec::new();
        let mut current = files.last().cloned().unwrap_or_default();
        let bytes = fs::read(&current).map_err(|e| self.unwritable(e))?;
        let (frames, tail) = scan(&bytes);
        let mut file_len = bytes.len() as u64;
        match tail {
            Tail::Clean => {}
            Tail::Torn { at, bytes } => {
                let f = OpenOptions::new()
                    .write(true)
                    .open(&current)
                    .map_err(|e| self.unwritable(e))?;
                f.set_len(at).map_err(|e| self.unwritable(e))?;
                f.sync_all().map_err(|e| self.unwritable(e))?;
                file_len = at;
                alerts.push(format!(
                    "repaired a torn tail: removed an incomplete final record of {bytes} bytes from {}",
                    current.file_name().and_then(|n| n.to_str()).unwrap_or("?")
                ));
            }
            Tail::BadLength { at } => {
                return Err(AuditError::Tampered {
                    seq: 0,
                    file: current.display().to_string(),
                    reason: format!(
                        "a record at byte {at} has an impossible length; run `lucent audit verify`"
                    ),
                });
            }
        }
        // The chain's head: the last frame of the newest file that has one.
        let mut last = frames.last().cloned();
        if last.is_none() && files.len() > 1 {
            let previous = fs::read(&files[files.len() - 2]).map_err(|e| self.unwritable(e))?;
            last = scan(&previous).0.last().cloned();
        }
        let (mut seq, mut head) = match &last {
            Some(frame) => {
                if !frame.crc_ok || hmac(&self.keys.mac, &frame.body) != frame.mac {
                    alerts.push(
                        "the latest audit record fails its checksum or MAC: the log was altered"
                            .into(),
                    );
                }
                let body: Option<RecordBody> = serde_json::from_slice(&frame.body).ok();
                (
                    body.map(|b| b.seq).unwrap_or(0),
                    record_hash(&frame.mac, &frame.body),
                )
            }
            None => (0, GENESIS.to_string()),
        };
        let anchor = self.keychain.anchor()?;
        // Where: compare this log with the OS user's active log (first append of this process,
        // and every append that starts a log).
        let mut active_before = None;
        let mut start = None;
        if seq == 0 || !self.location_checked.load(Ordering::Acquire) {
            let active = self.keychain.active_log(self.origin.uid)?;
            start = self.start_record(seq, anchor.as_ref(), active.as_ref());
            active_before = Some(active);
        }
        let recreated = start.as_ref().is_some_and(|s| s.recreated);
        match anchor {
            // An emptied or deleted log whose start record already names what it lost.
            Some(_) if seq == 0 && recreated => {}
            Some(anchor) if anchor.seq > seq => alerts.push(format!(
                "the audit log ends at record {seq} but the keychain anchor is at {}: records were removed or the log was rolled back",
                anchor.seq
            )),
            Some(anchor) if anchor.seq == seq && anchor.head != head => {
                alerts.push(format!("audit record {seq} differs from the one anchored in the keychain: the log was replaced"))
            }
            Some(anchor) if seq > anchor.seq + MAX_ANCHOR_LAG => alerts.push(format!(
                "the audit log has records past its keychain anchor ({} > {}): records were added outside Lucent",
                seq, anchor.seq
            )),
            None if seq > 0 => alerts.push("the audit log has records but the keychain holds no anchor for it".into()),
            _ => {}
        }
        if let Some(pending) = self.keychain.take_pending_alert()? {
            alerts.push(format!("a verification of the audit log failed: {pending}"));
        }
        // Rotation: a full file is left as it is; the chain continues in the next one.
        if file_len >= self.rotate_bytes {
            current = self.dir.join(file_name(file_number(&current) + 1));
            create_log_file(&current).map_err(|e| self.unwritable(e))?;
            created_file = true;
        }
        let mut buffer = Vec::new();
        let mut seqs = Vec::new();
        let alert_events: Vec<Event> = alerts
            .iter()
            .map(|a| Event {
                id: EventId::SecurityAlert,
                event_type: Some(EventType::AuditRecordingStopped),
                action: Action::Execute,
                outcome: Outcome::MinorFailure,
                objects: Vec::new(),
                error_code: None,
                detail: Some(a.clone()),
            })
            .collect();
        // The start record goes before anything else.
        let (start_event, previous) = match start {
            Some(s) => {
                alerts.insert(0, s.event.detail.clone().unwrap_or_default());
                (Some(s.event), s.previous)
            }
            None => (None, None),
        };
        let first_seq = seq + 1;
        for event in start_event.iter().chain(alert_events.iter()).chain(events) {
            seq += 1;
            let mut body = build_body(&self.keys, &self.origin, seq, &head, event)
                .map_err(|e| self.unwritable(e))?;
            if seq == first_seq && start_event.is_some() {
                body.previous_log = previous.clone();
            }
            let body = serde_json::to_vec(&body).map_err(|e| self.unwritable(e))?;
            let mac = hmac(&self.keys.mac, &body);
            buffer.extend(encode_frame(&mac, &body));
            head = record_hash(&mac, &body);
            seqs.push(seq);
        }
        let mut file = OpenOptions::new()
            .append(true)
            .open(&current)
            .map_err(|e| self.unwritable(e))?;
        file.write_all(&buffer).map_err(|e| self.unwritable(e))?;
        file.sync_data().map_err(|e| self.unwritable(e))?;
        if created_file {
            sync_dir(&self.dir).map_err(|e| self.unwritable(e))?;
        }
        self.keychain.set_anchor(&Anchor { seq, head })?;
        if let Some(before) = active_before {
            let here = ActiveLog {
                v: 1,
                token: self.token.clone(),
                namespace: self.keychain.namespace().to_string(),
                key_id: self.keys.key_id.clone(),
                dir: self.dir.display().to_string(),
                known: Vec::new(),
            };
            let unchanged = before.as_ref().is_some_and(|b| {
                b.token == here.token && b.key_id == here.key_id && b.namespace == here.namespace
            });
            if !unchanged {
                self.keychain
                    .set_active_log(self.origin.uid, &ActiveLog::moved_to(before.as_ref(), here))?;
            }
            self.location_checked.store(true, Ordering::Release);
        }
        Ok(Appended { seqs, alerts })
    }

    /// The 110134 record this append starts with, if any: the first record of a new log (the
    /// first for this OS user, a relocation, or a log recreated where one was deleted), or of a
    /// process writing to a log other than the anchored one.
    fn start_record(
        &self,
        seq: u64,
        anchor: Option<&Anchor>,
        active: Option<&ActiveLog>,
    ) -> Option<Start> {
        let here = &self.token;
        let started = |outcome, detail: String, previous, recreated| {
            Some(Start {
                event: Event {
                    id: EventId::SecurityAlert,
                    event_type: Some(EventType::AuditRecordingStarted),
                    action: Action::Execute,
                    outcome,
                    objects: Vec::new(),
                    error_code: None,
                    detail: Some(detail),
                },
                previous,
                recreated,
            })
        };
        let same_place = active.is_some_and(|a| &a.token == here);
        if seq == 0 {
            let earlier_here = anchor.filter(|a| a.seq > 0);
            if earlier_here.is_some() || same_place {
                let previous = PreviousLog {
                    token: here.clone(),
                    key_id: match (earlier_here, active) {
                        (Some(_), _) => Some(self.keys.key_id.clone()),
                        (None, Some(a)) => Some(a.key_id.clone()),
                        (None, None) => None,
                    },
                    seq: earlier_here.map(|a| a.seq),
                    head: earlier_here.map(|a| a.head.clone()),
                    present: false,
                };
                let detail = format!(
                    "audit log {here} recreated: the log kept here before ({}) is missing: its folder was deleted or emptied",
                    describe(&previous)
                );
                return started(Outcome::MinorFailure, detail, Some(previous), true);
            }
        }
        match active {
            None if seq == 0 => started(
                Outcome::Success,
                format!(
                    "audit recording started in log {here}: the first audit log anchored for this OS user"
                ),
                None,
                false,
            ),
            None => started(
                Outcome::Success,
                format!("audit log {here} anchored for this OS user (no earlier anchor)"),
                None,
                false,
            ),
            Some(a) if &a.token == here => None,
            Some(a) => {
                let theirs = self
                    .keychain
                    .with_namespace(&a.namespace)
                    .anchor()
                    .ok()
                    .flatten();
                let previous = PreviousLog {
                    token: a.token.clone(),
                    key_id: Some(a.key_id.clone()),
                    seq: theirs.as_ref().map(|t| t.seq),
                    head: theirs.map(|t| t.head),
                    present: holds_records(Path::new(&a.dir)),
                };
                let detail = format!(
                    "audit log relocated: this log ({here}) follows log {} ({}), which {} when this log took over",
                    a.token,
                    describe(&previous),
                    if previous.present {
                        "was still present"
                    } else {
                        "was missing"
                    }
                );
                started(Outcome::MinorFailure, detail, Some(previous), false)
            }
        }
    }

    /// Every record body in order, without verification (see [`verify`]).
    pub fn read_all(&self) -> Result<Vec<RecordBody>, AuditError> {
        read_bodies(&self.dir)
    }

    /// The OS user's active log as the keychain anchors it.
    pub fn active_log(&self) -> Result<Option<ActiveLog>, AuditError> {
        self.keychain.active_log(self.origin.uid)
    }

    /// Verifies the whole log against this log's key and the keychain anchor (see [`verify`]).
    pub fn verify(&self) -> Result<Verification, AuditError> {
        verify(&self.dir, &self.keys, self.keychain.anchor()?.as_ref())
    }

    /// Records a failed verification for the next appender (the keychain, not the log).
    pub fn remember_failed_verification(&self, reason: &str) -> Result<(), AuditError> {
        self.keychain.set_pending_alert(reason)
    }
}

/// "key K, last record N, head H" for an earlier log, saying what is unknown.
fn describe(previous: &PreviousLog) -> String {
    let key = previous.key_id.as_deref().unwrap_or("unknown");
    match (previous.seq, &previous.head) {
        (Some(seq), Some(head)) => format!("key {key}, last record {seq}, head {head}"),
        _ => format!("key {key}, last record unknown: its keychain anchor is gone"),
    }
}

fn first_key_id(dir: &Path) -> Option<String> {
    let first = log_files(dir).ok()?.into_iter().next()?;
    let bytes = fs::read(first).ok()?;
    let frame = scan(&bytes).0.into_iter().next()?;
    serde_json::from_slice::<RecordBody>(&frame.body)
        .ok()
        .map(|b| b.key_id)
}

/// All record bodies of the audit folder, in order.
pub fn read_bodies(dir: &Path) -> Result<Vec<RecordBody>, AuditError> {
    let mut out = Vec::new();
    for file in log_files(dir).map_err(|e| AuditError::Unwritable {
        dir: dir.display().to_string(),
        reason: e.to_string(),
    })? {
        let mut bytes = Vec::new();
        File::open(&file)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .map_err(|e| AuditError::Unwritable {
                dir: dir.display().to_string(),
                reason: e.to_string(),
            })?;
        for frame in scan(&bytes).0 {
            let body: RecordBody =
                serde_json::from_slice(&frame.body).map_err(|e| AuditError::Tampered {
                    seq: 0,
                    file: file.display().to_string(),
                    reason: format!("unreadable record at byte {}: {e}", frame.offset),
                })?;
            out.push(body);
        }
    }
    Ok(out)
}

/// The outcome of a verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Records checked.
    pub records: u64,
    /// Files read.
    pub files: usize,
    /// The first problem found: (sequence number or 0, file, reason).
    pub problem: Option<(u64, String, String)>,
    /// The 110134 records (before any problem) that name an earlier log: relocations, and logs
    /// recreated where one was deleted.
    pub relocations: Vec<Relocation>,
}

/// A log that took over from an earlier one, as its 110134 record says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relocation {
    /// The record's sequence number.
    pub seq: u64,
    /// Its time.
    pub time: String,
    /// The earlier log.
    pub previous: PreviousLog,
    /// The earlier log was in this same folder (deleted or emptied, then started again).
    pub recreated: bool,
}

impl Verification {
    /// Whether the log is intact.
    pub fn intact(&self) -> bool {
        self.problem.is_none()
    }
}

/// Verifies the whole chain: framing, CRC, MAC, key id, sequence, previous-record hashes, and the
/// keychain anchor. Never writes to the log.
pub fn verify(
    dir: &Path,
    keys: &AuditKeys,
    anchor: Option<&Anchor>,
) -> Result<Verification, AuditError> {
    let files = log_files(dir).map_err(|e| AuditError::Unwritable {
        dir: dir.display().to_string(),
        reason: e.to_string(),
    })?;
    let mut expected_seq = 1u64;
    let mut head = GENESIS.to_string();
    let mut records = 0u64;
    let here = location_token(dir);
    let relocations = std::cell::RefCell::new(Vec::new());
    let fail = |records: u64, files: usize, seq: u64, file: &Path, reason: String| {
        Ok(Verification {
            records,
            files,
            relocations: relocations.take(),
            problem: Some((
                seq,
                file.file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or("?")
                    .to_string(),
                reason,
            )),
        })
    };
    for (i, file) in files.iter().enumerate() {
        if file_number(file) != i as u64 + 1 {
            return fail(
                records,
                files.len(),
                expected_seq,
                file,
                format!("log file {} is missing", file_name(i as u64 + 1)),
            );
        }
        let bytes = fs::read(file).map_err(|e| AuditError::Unwritable {
            dir: dir.display().to_string(),
            reason: e.to_string(),
        })?;
        let (frames, tail) = scan(&bytes);
        for frame in &frames {
            if !frame.crc_ok {
                return fail(
                    records,
                    files.len(),
                    expected_seq,
                    file,
                    format!("record at byte {} fails its checksum", frame.offset),
                );
            }
            let Ok(body) = serde_json::from_slice::<RecordBody>(&frame.body) else {
                return fail(
                    records,
                    files.len(),
                    expected_seq,
                    file,
                    format!("record at byte {} is not a record", frame.offset),
                );
            };
            if body.key_id != keys.key_id {
                return fail(
                    records,
                    files.len(),
                    body.seq,
                    file,
                    format!(
                        "unverifiable: MACed with key {}, the keychain holds {}",
                        body.key_id, keys.key_id
                    ),
                );
            }
            if hmac(&keys.mac, &frame.body) != frame.mac {
                return fail(
                    records,
                    files.len(),
                    body.seq,
                    file,
                    "MAC mismatch: the record was altered or forged".into(),
                );
            }
            if body.seq != expected_seq {
                return fail(
                    records,
                    files.len(),
                    body.seq,
                    file,
                    format!(
                        "sequence {} where {expected_seq} was expected: records were removed, inserted or reordered",
                        body.seq
                    ),
                );
            }
            if body.prev != head {
                return fail(
                    records,
                    files.len(),
                    body.seq,
                    file,
                    "previous-record hash mismatch: the chain is broken".into(),
                );
            }
            if body.event_type.as_deref() == Some(EventType::AuditRecordingStarted.code())
                && let Some(previous) = body.previous_log.clone()
            {
                relocations.borrow_mut().push(Relocation {
                    seq: body.seq,
                    time: body.time.clone(),
                    recreated: previous.token == here,
                    previous,
                });
            }
            head = record_hash(&frame.mac, &frame.body);
            expected_seq += 1;
            records += 1;
        }
        match tail {
            Tail::Clean => {}
            Tail::Torn { at, .. } if i + 1 == files.len() => {
                return fail(
                    records,
                    files.len(),
                    expected_seq,
                    file,
                    format!(
                        "incomplete final record at byte {at} (a torn tail; the next append repairs it)"
                    ),
                );
            }
            Tail::Torn { at, .. } | Tail::BadLength { at } => {
                return fail(
                    records,
                    files.len(),
                    expected_seq,
                    file,
                    format!("damaged record at byte {at}"),
                );
            }
        }
    }
    let last_seq = expected_seq - 1;
    let last_file = files
        .last()
        .cloned()
        .unwrap_or_else(|| dir.join(file_name(1)));
    match anchor {
        Some(a) if a.seq > last_seq => {
            return fail(
                records,
                files.len(),
                last_seq,
                &last_file,
                format!(
                    "the log ends at record {last_seq}, the keychain anchor at {}: truncated or rolled back",
                    a.seq
                ),
            );
        }
        Some(a) if a.seq == last_seq && a.head != head => {
            return fail(
                records,
                files.len(),
                last_seq,
                &last_file,
                "the latest record differs from the keychain anchor: the log was replaced".into(),
            );
        }
        Some(a) if last_seq > a.seq + MAX_ANCHOR_LAG => {
            return fail(
                records,
                files.len(),
                last_seq,
                &last_file,
                format!("{} records past the keychain anchor", last_seq - a.seq),
            );
        }
        None if last_seq > 0 => {
            return fail(
                records,
                files.len(),
                last_seq,
                &last_file,
                "no keychain anchor for a non-empty log".into(),
            );
        }
        _ => {}
    }
    Ok(Verification {
        records,
        files: files.len(),
        problem: None,
        relocations: relocations.take(),
    })
}

/// Reads the keys and anchor for verification without creating anything.
pub fn verification_inputs(
    data_dir: &Path,
) -> Result<(PathBuf, AuditKeychain, Option<AuditKeys>, Option<Anchor>), AuditError> {
    verification_inputs_at(&AuditLocation::in_data_dir(data_dir, GIVEN_BY_CALLER))
}

/// Reads the keys and anchor of the log at `location` without creating anything.
pub fn verification_inputs_at(
    location: &AuditLocation,
) -> Result<(PathBuf, AuditKeychain, Option<AuditKeys>, Option<Anchor>), AuditError> {
    let keychain = AuditKeychain::open(&location.key_scope)?;
    let keys = keychain.keys(false)?;
    let anchor = keychain.anchor()?;
    Ok((location.dir.clone(), keychain, keys, anchor))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_tails_are_classified() {
        let a = encode_frame(&[1; 32], br#"{"a":1}"#);
        let b = encode_frame(&[2; 32], br#"{"b":2}"#);
        let mut log = [a.clone(), b.clone()].concat();
        let (frames, tail) = scan(&log);
        assert_eq!(frames.len(), 2);
        assert!(frames.iter().all(|f| f.crc_ok));
        assert_eq!(tail, Tail::Clean);
        log.truncate(a.len() + 5);
        assert_eq!(
            scan(&log).1,
            Tail::Torn {
                at: a.len() as u64,
                bytes: 5
            }
        );
        let mut zeros = a.clone();
        zeros.extend([0u8; 40]);
        assert_eq!(
            scan(&zeros).1,
            Tail::Torn {
                at: a.len() as u64,
                bytes: 40
            }
        );
        let mut flipped = [a.clone(), b].concat();
        flipped[a.len() + 12] ^= 0x40;
        let (frames, _) = scan(&flipped);
        assert!(
            !frames[1].crc_ok,
            "a flipped byte in a complete frame is caught by the CRC"
        );
    }
}
