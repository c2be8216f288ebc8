//! File operations with crash-safety rules: atomic replacement and never-overwriting backups.
//!
//! **Invariant:** the settings file is only ever replaced whole (`idlewild_fsio::atomic_write`:
//! temp file in the same folder, fsync, rename, fsync of the folder), so a crash leaves either
//! the old or the new content.
//! A backup is a copy written with `create_new`: an existing backup is never overwritten.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::SettingsError;

/// Replaces the file at `path` with `bytes` atomically, creating its folder if needed; a
/// symlinked settings file is written through (see [`idlewild_fsio::atomic_write`]).
pub(crate) fn atomic_write(path: &Path, bytes: &[u8]) -> Result<(), SettingsError> {
    idlewild_fsio::atomic_write(path, bytes)
        .map_err(|e| SettingsError::io(e.action, e.path, e.source))
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
