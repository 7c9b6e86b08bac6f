//! What a file was when it was indexed, so that the pixels shown later come from that same file.
//!
//! A study index remembers files by path, and pixels are read later, by path again. In between,
//! a file on a share can be replaced (a re-exported study, a swapped file), and patient B's pixels
//! would then appear under patient A's name and be audited as A. A [`FileFingerprint`] — size,
//! modification time and a SHA-256 of the header bytes (everything before Pixel Data) — is taken
//! at index time from the open file the header was read from; the pixel pipeline takes it again
//! from the descriptor it then reads pixels from (never stat-then-open) and refuses the file when
//! it differs, or when its SOP Instance UID does ([`check`]).

use crate::error::HeaderError;
use crate::header::{Header, read_header_from};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::time::SystemTime;

/// Size, modification time and header hash of a file as it was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileFingerprint {
    /// File size in bytes.
    pub len: u64,
    /// Last modification time, when the file system reports one.
    pub modified: Option<SystemTime>,
    /// SHA-256 of the file's bytes before the Pixel Data element (the whole file when the data
    /// set is deflated, because the pixel data is inside the deflate stream).
    pub header_sha256: [u8; 32],
}

/// How a file differs from the one that was indexed (no path, no PHI: safe to show and audit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileChange {
    /// The size changed.
    Size,
    /// The modification time changed.
    ModificationTime,
    /// The header bytes changed.
    Header,
    /// The SOP Instance UID is another one.
    SopInstance,
}

impl std::fmt::Display for FileChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FileChange::Size => "its size changed",
            FileChange::ModificationTime => "its modification time changed",
            FileChange::Header => "its header changed",
            FileChange::SopInstance => "it holds another SOP Instance",
        })
    }
}

/// A file opened once: its descriptor, its header read from that descriptor, and its
/// fingerprint taken from the same descriptor.
#[derive(Debug)]
pub struct OpenedFile {
    /// The open file; later reads must use it (positioned reads), not the path.
    pub file: File,
    /// The header as read from `file`.
    pub header: Header,
    /// The fingerprint of `file`.
    pub fingerprint: FileFingerprint,
}

/// Opens `path` once and reads its header and fingerprint from that one descriptor.
pub fn open(path: &std::path::Path) -> Result<OpenedFile, HeaderError> {
    let file = File::open(path)?;
    let meta = file.metadata()?;
    let header = read_header_from(Box::new(file.try_clone()?), meta.len())?;
    let header_sha256 = hash_prefix(&file, header_end(&header))?;
    Ok(OpenedFile {
        fingerprint: FileFingerprint {
            len: meta.len(),
            modified: meta.modified().ok(),
            header_sha256,
        },
        file,
        header,
    })
}

/// Whether the size and modification time of the open file are still those of `expected`: a
/// cheap check (one `fstat`) for a file that stays open between reads and may be written to in
/// place.
pub fn check_metadata(file: &File, expected: &FileFingerprint) -> Result<(), FileChange> {
    let meta = file.metadata().map_err(|_| FileChange::Size)?;
    if meta.len() != expected.len {
        return Err(FileChange::Size);
    }
    if meta.modified().ok() != expected.modified {
        return Err(FileChange::ModificationTime);
    }
    Ok(())
}

/// Compares a file as opened now with the file as indexed: SOP Instance UID, size, modification
/// time and header hash, in that order.
pub fn check(
    indexed_sop_instance_uid: &str,
    indexed: &FileFingerprint,
    now_sop_instance_uid: &str,
    now: &FileFingerprint,
) -> Result<(), FileChange> {
    if indexed_sop_instance_uid != now_sop_instance_uid {
        return Err(FileChange::SopInstance);
    }
    if indexed.len != now.len {
        return Err(FileChange::Size);
    }
    if indexed.modified != now.modified {
        return Err(FileChange::ModificationTime);
    }
    if indexed.header_sha256 != now.header_sha256 {
        return Err(FileChange::Header);
    }
    Ok(())
}

/// Where the hashed header bytes end: at the Pixel Data element, or the end of the file for a
/// deflated data set. A file without top-level Pixel Data is never shown as an image (it is a
/// DICOMDIR or is skipped), so nothing of it is hashed.
fn header_end(header: &Header) -> u64 {
    match header.pixel_data {
        Some(p) if !header.deflated => p.element_offset.min(header.file_len),
        Some(_) => header.file_len,
        None => 0,
    }
}

/// SHA-256 of the first `len` bytes of `file`, read with positioned reads (the descriptor's
/// offset is left alone).
fn hash_prefix(file: &File, len: u64) -> Result<[u8; 32], HeaderError> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut at = 0u64;
    while at < len {
        let want = usize::try_from((len - at).min(buf.len() as u64)).unwrap_or(buf.len());
        let n = file.read_at(&mut buf[..want], at)?;
        if n == 0 {
            return Err(HeaderError::Truncated {
                what: "the header ended while it was being hashed".into(),
                at,
            });
        }
        hasher.update(&buf[..n]);
        at += n as u64;
    }
    Ok(hasher.finalize().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(len: u64, byte: u8) -> FileFingerprint {
        FileFingerprint {
            len,
            modified: Some(SystemTime::UNIX_EPOCH),
            header_sha256: [byte; 32],
        }
    }

    #[test]
    fn any_difference_is_a_change() {
        let a = fp(10, 1);
        assert_eq!(check("1.2", &a, "1.2", &a), Ok(()));
        assert_eq!(check("1.2", &a, "1.3", &a), Err(FileChange::SopInstance));
        assert_eq!(check("1.2", &a, "1.2", &fp(11, 1)), Err(FileChange::Size));
        assert_eq!(check("1.2", &a, "1.2", &fp(10, 2)), Err(FileChange::Header));
        let later = FileFingerprint {
            modified: Some(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1)),
            ..a
        };
        assert_eq!(
            check("1.2", &a, "1.2", &later),
            Err(FileChange::ModificationTime)
        );
    }
}
