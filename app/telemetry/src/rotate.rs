//! Size-rotated log file (`<stem>.log`, `<stem>.log.1` … `<stem>.log.N`) usable as a
//! `tracing-subscriber` `MakeWriter`.
//!
//! **Invariant:** a log call never panics and never returns an error to the logger. I/O failures
//! are counted ([`RotatingFile::error_count`]), the first one is reported on stderr, and the writer
//! tries to reopen the file on the next record.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use tracing_subscriber::fmt::MakeWriter;

use crate::TelemetryError;

/// Where and how much to log to disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSink {
    /// Directory holding the log files; created if missing.
    pub dir: PathBuf,
    /// File stem: the current file is `<dir>/<stem>.log`.
    pub stem: String,
    /// A record that would push the current file past this size triggers a rotation first.
    pub max_bytes: u64,
    /// Number of rotated files kept besides the current one; older ones are deleted.
    pub keep: usize,
}

/// Name of the file at rotation `index` (0 is the current file).
fn file_name(stem: &str, index: usize) -> String {
    if index == 0 {
        format!("{stem}.log")
    } else {
        format!("{stem}.log.{index}")
    }
}

/// The renames that make up one rotation, in the order they must run.
///
/// The oldest file is renamed first so nothing is overwritten before it has moved; the caller
/// deletes `<stem>.log.<keep>` beforehand. With `keep == 0` there is nothing to rename (the
/// caller deletes the current file instead).
pub fn rotation_plan(stem: &str, keep: usize) -> Vec<(String, String)> {
    (1..=keep)
        .rev()
        .map(|i| (file_name(stem, i - 1), file_name(stem, i)))
        .collect()
}

/// Mutable part of the writer, behind the mutex.
struct State {
    /// Open current file; `None` after an I/O error until the next successful reopen.
    file: Option<File>,
    /// Bytes in the current file (as far as this process knows).
    size: u64,
}

/// A thread-safe, size-rotating log file.
///
/// Each `write` call is one record and is written whole under the lock; `tracing-subscriber`'s
/// fmt layer writes one event per call, so concurrent events never interleave within a line.
pub struct RotatingFile {
    sink: FileSink,
    state: Mutex<State>,
    errors: AtomicU64,
}

impl RotatingFile {
    /// Creates the directory if needed and opens (appending to) `<dir>/<stem>.log`.
    pub fn open(sink: FileSink) -> Result<Self, TelemetryError> {
        fs::create_dir_all(&sink.dir).map_err(|source| TelemetryError::CreateDir {
            path: sink.dir.clone(),
            source,
        })?;
        let path = sink.dir.join(file_name(&sink.stem, 0));
        let file =
            open_append(&path).map_err(|source| TelemetryError::OpenFile { path, source })?;
        // An unreadable size only delays the first rotation; it is no reason to refuse logging.
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        Ok(Self {
            sink,
            state: Mutex::new(State {
                file: Some(file),
                size,
            }),
            errors: AtomicU64::new(0),
        })
    }

    /// Path of the current log file.
    pub fn path(&self) -> PathBuf {
        self.sink.dir.join(file_name(&self.sink.stem, 0))
    }

    /// Number of I/O errors swallowed so far.
    pub fn error_count(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }

    /// Writes one record, rotating first if it would not fit.
    fn write_record(&self, buf: &[u8]) {
        // A panic while holding the lock cannot leave `State` inconsistent, so poison is ignored.
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let len = buf.len() as u64;
        if state.file.is_some()
            && state.size > 0
            && state.size.saturating_add(len) > self.sink.max_bytes
        {
            self.rotate(&mut state);
        }
        if state.file.is_none() {
            match open_append(&self.path()) {
                Ok(file) => {
                    state.size = file.metadata().map(|m| m.len()).unwrap_or(0);
                    state.file = Some(file);
                }
                Err(e) => return self.record_error("reopen", &e),
            }
        }
        if let Some(file) = state.file.as_mut() {
            match file.write_all(buf) {
                Ok(()) => state.size = state.size.saturating_add(len),
                Err(e) => {
                    state.file = None;
                    self.record_error("write", &e);
                }
            }
        }
    }

    /// Shifts `<stem>.log.i` to `.i+1`, dropping the oldest, and reopens a fresh current file.
    fn rotate(&self, state: &mut State) {
        // Close first: Windows cannot rename a file that is open.
        state.file = None;
        let stem = &self.sink.stem;
        let keep = self.sink.keep;
        self.remove_if_present(&file_name(stem, keep));
        for (from, to) in rotation_plan(stem, keep) {
            match fs::rename(self.sink.dir.join(&from), self.sink.dir.join(&to)) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => self.record_error("rotate", &e),
                _ => {}
            }
        }
        match open_append(&self.path()) {
            Ok(file) => state.file = Some(file),
            Err(e) => self.record_error("reopen", &e),
        }
        // Counted from zero even if a rename failed, so a stuck rotation is retried only once per
        // `max_bytes` rather than on every record.
        state.size = 0;
    }

    fn remove_if_present(&self, name: &str) {
        match fs::remove_file(self.sink.dir.join(name)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => self.record_error("remove", &e),
            _ => {}
        }
    }

    /// Counts an error; the first one is reported on stderr (without panicking if that fails).
    fn record_error(&self, what: &str, err: &io::Error) {
        if self.errors.fetch_add(1, Ordering::Relaxed) == 0 {
            let _ = writeln!(
                io::stderr(),
                "idlewild-telemetry: {what} {} failed: {err}; further log-file errors are only counted",
                self.path().display()
            );
        }
    }
}

fn open_append(path: &std::path::Path) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

impl Write for &RotatingFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_record(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        // Records go straight to the OS (the file is unbuffered), so there is nothing to flush.
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for RotatingFile {
    type Writer = &'a RotatingFile;

    fn make_writer(&'a self) -> Self::Writer {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_plan_table() {
        let p = |v: &[(&str, &str)]| -> Vec<(String, String)> {
            v.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };
        let cases: &[(usize, Vec<(String, String)>)] = &[
            (0, vec![]),
            (1, p(&[("ui.log", "ui.log.1")])),
            (
                3,
                p(&[
                    ("ui.log.2", "ui.log.3"),
                    ("ui.log.1", "ui.log.2"),
                    ("ui.log", "ui.log.1"),
                ]),
            ),
        ];
        for (keep, expected) in cases {
            assert_eq!(&rotation_plan("ui", *keep), expected, "keep={keep}");
        }
    }
}
