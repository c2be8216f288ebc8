//! Crash-safe file replacement: the one implementation of "write a new file over an old one so
//! that a crash leaves either the old or the new content", shared by the settings store and the
//! image worker's state files (scan index, playlist).
//!
//! **Invariant:** a file is only ever replaced whole: a temp file in the same folder (created
//! with `create_new`, so concurrent writers never share one), written, fsynced, renamed over the
//! target, then the folder fsynced (best effort) so the rename itself survives a power cut.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// Distinguishes temp files of concurrent writers within one process.
static TEMP_COUNTER: AtomicU32 = AtomicU32::new(0);

/// A replacement failed; the old file (if any) is untouched and no temp file is left behind.
#[derive(Debug, thiserror::Error)]
#[error("could not {action} {}: {source}", path.display())]
pub struct WriteError {
    /// What was being done: "resolve the link", "create the folder", "write".
    pub action: &'static str,
    /// The path it was done to.
    pub path: PathBuf,
    /// Why it failed.
    #[source]
    pub source: io::Error,
}

fn fail<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> WriteError + 'a {
    move |source| WriteError {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// Replaces the file at `path` with `bytes` atomically, creating its folder if needed.
///
/// A symlinked file (dotfile managers do this) is written through: its target is replaced and
/// the link stays. An existing file's permissions are kept.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let target = match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            fs::canonicalize(path).map_err(fail("resolve the link", path))?
        }
        _ => path.to_path_buf(),
    };
    let dir = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir).map_err(fail("create the folder", &dir))?;
    let (temp, file) = create_temp(&dir, &target).map_err(fail("write", &dir))?;
    let written = write_and_rename(file, &temp, &target, bytes);
    if written.is_err() {
        // Best effort: the temp file is ours and useless now.
        let _ = fs::remove_file(&temp);
    }
    written.map_err(fail("write", &target))?;
    // The data is safe in the old or the new file whatever happens here; some file systems
    // refuse to sync a folder.
    let _ = sync_dir(&dir);
    Ok(())
}

fn create_temp(dir: &Path, target: &Path) -> io::Result<(PathBuf, File)> {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    loop {
        let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let temp = dir.join(format!(".{name}.tmp-{}-{n}", std::process::id()));
        match OpenOptions::new().write(true).create_new(true).open(&temp) {
            Ok(file) => return Ok((temp, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && n < u32::MAX => continue,
            Err(e) => return Err(e),
        }
    }
}

fn write_and_rename(mut file: File, temp: &Path, target: &Path, bytes: &[u8]) -> io::Result<()> {
    file.write_all(bytes)?;
    if let Ok(meta) = fs::metadata(target) {
        file.set_permissions(meta.permissions())?;
    }
    file.sync_all()?;
    drop(file);
    fs::rename(temp, target)
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    // Windows has no directory handles to flush; the rename is durable once it returns.
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .expect("read dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn replaces_whole_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("nested/state.bin");
        for content in ["first", "second, longer"] {
            atomic_write(&path, content.as_bytes()).expect("write");
            assert_eq!(fs::read_to_string(&path).expect("read"), content);
            assert_eq!(names(&dir.path().join("nested")), ["state.bin"]);
        }
    }

    #[test]
    fn a_failed_rename_cleans_up_and_keeps_the_target() {
        // A directory cannot be replaced by a file, even by root.
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.bin");
        fs::create_dir(&path).expect("mkdir");
        fs::write(path.join("inside"), "kept").expect("write");
        let err = atomic_write(&path, b"x").expect_err("rename over a directory fails");
        assert_eq!(err.action, "write");
        assert!(err.to_string().starts_with("could not write "), "{err}");
        assert_eq!(names(dir.path()), ["state.bin"]);
        assert_eq!(
            fs::read_to_string(path.join("inside")).expect("read"),
            "kept"
        );
    }

    #[cfg(unix)]
    #[test]
    fn writes_through_a_symlink_and_keeps_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let real = dir.path().join("real.toml");
        let link = dir.path().join("settings.toml");
        fs::write(&real, "old = 1\n").expect("write");
        fs::set_permissions(&real, fs::Permissions::from_mode(0o600)).expect("chmod");
        std::os::unix::fs::symlink(&real, &link).expect("symlink");
        atomic_write(&link, b"new = 1\n").expect("write");
        assert!(
            fs::symlink_metadata(&link)
                .expect("meta")
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read_to_string(&real).expect("read"), "new = 1\n");
        let mode = fs::metadata(&real).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}
