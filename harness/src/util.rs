//! Two helpers every layer needs and no library provides in this form.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

/// Writes `bytes` to `path` atomically: a temporary file in the same folder, flushed to disk,
/// then renamed over `path`. Readers see the old file or the new one, never a partial one.
/// The file is created as an ordinary file is (0666 less the umask: 0644 under the usual 022),
/// not with tempfile's private 0600, so that others on a shared cluster folder can read runs.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut file = builder
        .tempfile_in(folder)
        .with_context(|| format!("cannot create a file in {}", folder.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.as_file().sync_all())
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.persist(path)
        .with_context(|| format!("cannot move {} into place", path.display()))?;
    Ok(())
}

/// Lowercase hexadecimal, as SHA-256 digests are printed and pinned.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_writes_replace_whole_files_and_hex_is_lowercase() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json");
        write_atomic(&path, b"first").unwrap();
        write_atomic(&path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary left"
        );
        assert_eq!(hex(&[0x0f, 0xa0]), "0fa0");
    }

    /// Written files are readable by others as the umask allows (0644 under 022), folders
    /// made by `create_dir_all` 0755: what the integrity issue asks of shared cluster folders.
    #[cfg(unix)]
    #[test]
    fn written_files_get_the_umask_mode_not_a_private_one() {
        use std::os::unix::fs::PermissionsExt;
        // SAFETY: umask only reads and sets this process's file-creation mask.
        let umask = unsafe { libc::umask(0o022) };
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("runs/abc");
        std::fs::create_dir_all(&folder).unwrap();
        let path = folder.join("manifest.json");
        write_atomic(&path, b"{}").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let (file, created) = (mode(&path), mode(&folder));
        unsafe { libc::umask(umask) };
        assert_eq!(file, 0o644);
        assert_eq!(created, 0o755);
    }
}
