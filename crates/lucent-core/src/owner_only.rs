//! Files the facade writes for the user that hold PHI (an audit export names patients): readable
//! by their owner only (0600) whatever the umask, and never seen half-written.

use std::io::Write;
use std::path::Path;

/// Writes a file readable by its owner only (0600), replacing it atomically: the bytes go to a
/// temporary file created exclusively (`O_EXCL`) with an unpredictable name beside the target
/// (tempfile), which is synced and then renamed over it. A failure removes the temporary file.
pub(crate) fn write_replacing(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
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

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn replaces_a_wider_file_with_an_owner_only_one_and_leaves_no_temporary() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("export.xml");
        std::fs::write(&target, b"old").unwrap();
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_replacing(&target, b"new").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
        let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let names: Vec<_> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("export.xml")]);
        assert!(write_replacing(&tmp.path().join("missing").join("x"), b"").is_err());
    }
}
