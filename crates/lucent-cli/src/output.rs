//! Files the CLI writes for the user: owner-only (0600) whatever the umask, because they hold
//! PHI (an audit export names patients; a rendered frame shows one).

use std::io::Write;
use std::path::Path;

/// Writes a file readable by its owner only (0600), replacing it atomically: the bytes go to a
/// temporary file created exclusively (`O_EXCL`) with an unpredictable name beside the target
/// (tempfile), which is synced and then renamed over it. A failure removes the temporary file.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if path.file_name().is_none() {
        return Err(std::io::Error::other("the output path names no file"));
    }
    // tempfile creates the file 0600 whatever the umask.
    let mut tmp = tempfile::Builder::new()
        .prefix(".lucent-")
        .suffix(".partial")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Writes `bytes` to `path` in place (so `-o /dev/stdout` works), creating it 0600 if it does
/// not exist; an existing file keeps its mode.
pub(crate) fn write_owner_only(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(bytes)
}
