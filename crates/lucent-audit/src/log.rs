//! The log on disk: framing, append with fsync under a file lock, torn-tail repair, rotation,
//! reading and verification.
//!
//! A log is `audit-000001.log`, `audit-000002.log`, … in `$LUCENT_DATA_DIR/audit/`. Each record is
//! one frame: `length (u32 LE) ‖ CRC-32 (u32 LE) of the rest ‖ MAC (32 bytes) ‖ body (JSON)`.
//! The MAC is HMAC-SHA256 over the body; the body holds the hash of the previous record, so the
//! records form one chain across files. An append takes an exclusive lock on `audit/lock`, reads
//! the tail, repairs an incomplete final frame (a torn tail, recorded as 110113), writes its
//! frames with one `write`, `fdatasync`s (plus a directory fsync when it created a file), then
//! stores the anchor (sequence number and head hash) in the keychain.

use crate::error::AuditError;
use crate::keys::{Anchor, AuditKeys, Keychain};
use crate::record::{
    Action, Event, EventId, EventType, GENESIS, Origin, Outcome, RecordBody, build_body, hmac,
    record_hash,
};
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

const HEADER: usize = 8;
const MAC_LEN: usize = 32;
/// Largest record accepted when reading (a record is well under 64 KiB).
const MAX_RECORD: usize = 1 << 20;
/// Default size at which a new log file is started.
pub const DEFAULT_ROTATE_BYTES: u64 = 4 * 1024 * 1024;
/// Records one append may write (alerts plus the event): the anchor may lag the log by at most
/// this many records after a crash between the log's fsync and the keychain write.
pub const MAX_ANCHOR_LAG: u64 = 4;

/// The root of everything Lucent writes: `LUCENT_DATA_DIR`, else the platform data folder
/// (`$XDG_DATA_HOME/lucent`, `~/.local/share/lucent` on Linux).
pub fn data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("LUCENT_DATA_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("lucent");
    }
    let home = std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .unwrap_or_default();
    PathBuf::from(home)
        .join(".local")
        .join("share")
        .join("lucent")
}

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

/// Takes the exclusive lock (`audit/lock`) under which keys are created and records appended;
/// released when the returned file is dropped or unlocked.
fn lock_log(dir: &Path) -> std::io::Result<File> {
    let lock = OpenOptions::new()
        .create(true)
        .read(true)
        .write(true)
        .truncate(false)
        .open(dir.join("lock"))?;
    lock.lock()?;
    Ok(lock)
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// The audit trail of one data directory.
#[derive(Debug)]
pub struct AuditLog {
    dir: PathBuf,
    keychain: Keychain,
    keys: AuditKeys,
    origin: Origin,
    rotate_bytes: u64,
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
    /// `data_dir/audit`. Fails when the folder cannot be written, the keychain is unusable, or
    /// the log exists but its key is gone.
    pub fn open(data_dir: &Path, app: &str) -> Result<Self, AuditError> {
        let dir = data_dir.join("audit");
        let unwritable = |e: std::io::Error| AuditError::Unwritable {
            dir: dir.display().to_string(),
            reason: e.to_string(),
        };
        let created = !dir.exists();
        fs::create_dir_all(&dir).map_err(unwritable)?;
        if created {
            sync_dir(&dir).map_err(unwritable)?;
            if let Some(parent) = dir.parent() {
                sync_dir(parent).map_err(unwritable)?;
            }
        }
        let keychain = Keychain::open(data_dir)?;
        // Under the append lock: two processes opening a new log at once must not both create a
        // key (the second would overwrite the first's, which then fails its read-back; found
        // running `lucent render` in two processes on a fresh data folder).
        let lock = lock_log(&dir).map_err(unwritable)?;
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
            dir,
            keychain,
            keys,
            origin: Origin::current(app),
            rotate_bytes,
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
            File::create(&first).map_err(|e| self.unwritable(e))?;
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
        match self.keychain.anchor()? {
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
            File::create(&current).map_err(|e| self.unwritable(e))?;
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
        for event in alert_events.iter().chain(events) {
            seq += 1;
            let body = build_body(&self.keys, &self.origin, seq, &head, event)
                .map_err(|e| self.unwritable(e))?;
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
        Ok(Appended { seqs, alerts })
    }

    /// Every record body in order, without verification (see [`verify`]).
    pub fn read_all(&self) -> Result<Vec<RecordBody>, AuditError> {
        read_bodies(&self.dir)
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
    let fail = |records: u64, files: usize, seq: u64, file: &Path, reason: String| {
        Ok(Verification {
            records,
            files,
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
    })
}

/// Reads the keys and anchor for verification without creating anything.
pub fn verification_inputs(
    data_dir: &Path,
) -> Result<(PathBuf, Keychain, Option<AuditKeys>, Option<Anchor>), AuditError> {
    let keychain = Keychain::open(data_dir)?;
    let keys = keychain.keys(false)?;
    let anchor = keychain.anchor()?;
    Ok((data_dir.join("audit"), keychain, keys, anchor))
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
