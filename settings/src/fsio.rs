//! File operations with crash-safety rules: atomic replacement and never-overwriting backups.
//!
//! **Invariant:** the settings file is only ever replaced whole (temp file in the same folder,
//! fsync, rename, fsync of the folder), so a crash leaves either the old or the new content.
//! A backup is a copy written with `create_new`: an existing backup is never overwritten.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::warn;

use crate::SettingsError;

/// Distinguishes temp files of concurrent writers within one process.
static TEMP_COUNTER: AtomicU32 = AtomicU32::new(0);

/// Replaces the file at `path` with `bytes` atomically, creating its folder if needed.
///
/// A symlinked settings file (dotfile managers do this) is written through: its target is
/// replaced and the link stays. An existing file's permissions are kept.
pub(crate) fn atomic_write(path: &Path, bytes: &[u8]) -> Result<(), SettingsError> {
    let target = match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            fs::canonicalize(path).map_err(|e| SettingsError::io("resolve the link", path, e))?
        }
        _ => path.to_path_buf(),
    };
    let dir = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir).map_err(|e| SettingsError::io("create the folder", &dir, e))?;
    let (temp, file) =
        create_temp(&dir, &target).map_err(|e| SettingsError::io("write", &dir, e))?;
    let written = write_and_rename(file, &temp, &target, bytes);
    if written.is_err() {
        // Best effort: the temp file is ours and useless now.
        let _ = fs::remove_file(&temp);
    }
    written.map_err(|e| SettingsError::io("write", &target, e))?;
    if let Err(err) = sync_dir(&dir) {
        warn!(dir = %dir.display(), %err, "could not flush the settings folder to disk");
    }
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

/// Copies `bytes` (the content of the unusable file at `path`) to a backup beside it and
/// returns the backup's path. If an existing backup already holds exactly these bytes, its
/// path is returned instead, so repeated launches on one broken file make one backup.
pub(crate) fn backup_copy(path: &Path, bytes: &[u8], now_secs: u64) -> io::Result<PathBuf> {
    if let Some(existing) = identical_backup(path, bytes) {
        return Ok(existing);
    }
    for attempt in 0..1000 {
        let candidate = backup_name(path, now_secs, attempt);
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&candidate)
        {
            Ok(mut file) => {
                let written = file.write_all(bytes).and_then(|()| file.sync_all());
                if let Err(err) = written {
                    let _ = fs::remove_file(&candidate);
                    return Err(err);
                }
                return Ok(candidate);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        "every backup name is taken",
    ))
}

/// `settings.toml.corrupt-<secs>` for the first attempt, then `…-<secs>-<attempt>`.
pub(crate) fn backup_name(path: &Path, secs: u64, attempt: u32) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".corrupt-{secs}"));
    if attempt > 0 {
        name.push(format!("-{attempt}"));
    }
    path.with_file_name(name)
}

fn identical_backup(path: &Path, bytes: &[u8]) -> Option<PathBuf> {
    let prefix = format!("{}.corrupt-", path.file_name()?.to_string_lossy());
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::read_dir(dir).ok()?.flatten().find_map(|entry| {
        let candidate = entry.path();
        let same_name = entry.file_name().to_string_lossy().starts_with(&prefix);
        let same_len = entry
            .metadata()
            .is_ok_and(|m| m.is_file() && m.len() == bytes.len() as u64);
        (same_name && same_len && fs::read(&candidate).is_ok_and(|c| c == bytes))
            .then_some(candidate)
    })
}

/// Seconds since the Unix epoch (0 if the clock is before it).
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
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
    fn backup_names_count_up() {
        let p = Path::new("/cfg/settings.toml");
        assert_eq!(
            backup_name(p, 17, 0),
            Path::new("/cfg/settings.toml.corrupt-17")
        );
        assert_eq!(
            backup_name(p, 17, 2),
            Path::new("/cfg/settings.toml.corrupt-17-2")
        );
    }

    #[test]
    fn atomic_write_replaces_whole_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("nested/settings.toml");
        for content in ["first = 1\n", "second = 2\n"] {
            atomic_write(&path, content.as_bytes()).expect("write");
            assert_eq!(fs::read_to_string(&path).expect("read"), content);
            assert_eq!(names(&dir.path().join("nested")), ["settings.toml"]);
        }
    }

    #[test]
    fn failed_rename_cleans_up_and_keeps_the_target() {
        // A directory cannot be replaced by a file, even by root.
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("settings.toml");
        fs::create_dir(&path).expect("mkdir");
        fs::write(path.join("inside"), "kept").expect("write");
        let err = atomic_write(&path, b"x = 1\n").expect_err("rename over a directory fails");
        assert!(err.to_string().starts_with("could not write "), "{err}");
        assert_eq!(names(dir.path()), ["settings.toml"]);
        assert_eq!(
            fs::read_to_string(path.join("inside")).expect("read"),
            "kept"
        );
    }

    #[cfg(unix)]
    #[test]
    fn writes_through_a_symlink() {
        let dir = tempfile::tempdir().expect("tempdir");
        let real = dir.path().join("real.toml");
        let link = dir.path().join("settings.toml");
        fs::write(&real, "old = 1\n").expect("write");
        std::os::unix::fs::symlink(&real, &link).expect("symlink");
        atomic_write(&link, b"new = 1\n").expect("write");
        assert!(
            fs::symlink_metadata(&link)
                .expect("meta")
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read_to_string(&real).expect("read"), "new = 1\n");
    }

    #[test]
    fn backups_never_overwrite_and_are_not_duplicated() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("settings.toml");
        let first = backup_copy(&path, b"[a", 5).expect("backup");
        assert_eq!(first, dir.path().join("settings.toml.corrupt-5"));
        // Same bytes again: the existing backup is reused.
        assert_eq!(backup_copy(&path, b"[a", 5).expect("backup"), first);
        // Different bytes in the same second: a counter is added.
        let second = backup_copy(&path, b"[b", 5).expect("backup");
        assert_eq!(second, dir.path().join("settings.toml.corrupt-5-1"));
        assert_eq!(fs::read(&first).expect("read"), b"[a");
        assert_eq!(fs::read(&second).expect("read"), b"[b");
    }
}
