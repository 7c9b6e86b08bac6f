//! Files the CLI writes for the user: owner-only (0600) whatever the umask, because they hold
//! PHI (a rendered frame shows a patient). An audit export is written by the facade
//! (`lucent_core::audit_trail`), replaced atomically.

use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` in place (so `-o /dev/stdout` works), creating it 0600 if it does
/// not exist; an existing file keeps its mode.
pub(crate) fn write_owner_only(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(bytes)
}
