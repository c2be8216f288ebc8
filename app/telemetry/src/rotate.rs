//! Size-rotated log file (`<stem>.log`, `<stem>.log.1` … `<stem>.log.N`), owned by the file
//! logging thread (a [`Sink`] behind a [`LogQueue`](crate::LogQueue)).
//!
//! **Invariant:** a log call never panics and never returns an error to the logger. I/O failures
//! are counted ([`RotatingFile::error_count`]), the first one is reported once (through the
//! reporter the owner gives, which queues it for stderr), and the writer tries to reopen the file
//! on the next record. Opening, writing and rotating all happen on the sink thread, so a bad
//! destination (an unwritable directory, a FIFO nobody reads, a full disk) stalls that thread at
//! worst, never a caller.
//!
//! The file is opened with `O_NONBLOCK` (Unix): a FIFO with no reader fails with `ENXIO` instead
//! of blocking `open()` forever; once open, the flag is cleared so writes to a FIFO whose reader
//! is slow wait on the sink thread rather than failing. Only regular files rotate: renaming a FIFO
//! or a device such as `/dev/full` would not make room, it would only lose the user's node.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{Sink, TelemetryError};

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

impl FileSink {
    /// Path of the current log file.
    pub fn path(&self) -> PathBuf {
        self.dir.join(file_name(&self.stem, 0))
    }
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

/// Receives the one report of a log-file problem.
type Reporter = Box<dyn FnMut(String) + Send>;

/// A size-rotating log file with a single owner (the file logging thread).
pub struct RotatingFile {
    sink: FileSink,
    /// Open current file; `None` before the first record and after an I/O error until the next
    /// successful reopen.
    file: Option<File>,
    /// Bytes in the current file (as far as this process knows).
    size: u64,
    /// Whether the current file is a regular file (only those rotate).
    regular: bool,
    errors: Arc<AtomicU64>,
    report: Option<Reporter>,
}

impl RotatingFile {
    /// A writer that opens nothing yet: the first record creates the directory and opens the
    /// file (on the thread that writes it). `report` gets the first problem, once.
    pub fn new(sink: FileSink, report: impl FnMut(String) + Send + 'static) -> Self {
        Self {
            sink,
            file: None,
            size: 0,
            regular: true,
            errors: Arc::new(AtomicU64::new(0)),
            report: Some(Box::new(report)),
        }
    }

    /// Creates the directory if needed and opens (appending to) `<dir>/<stem>.log` now; problems
    /// are returned rather than reported.
    pub fn open(sink: FileSink) -> Result<Self, TelemetryError> {
        let mut f = Self::new(sink, |_| {});
        f.try_open()?;
        Ok(f)
    }

    /// Path of the current log file.
    pub fn path(&self) -> PathBuf {
        self.sink.path()
    }

    /// Number of I/O errors swallowed so far.
    pub fn error_count(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }

    /// The error counter, to read after the writer has moved to its thread.
    pub fn error_counter(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.errors)
    }

    fn try_open(&mut self) -> Result<(), TelemetryError> {
        let path = self.path();
        let file = match open_append(&path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                fs::create_dir_all(&self.sink.dir).map_err(|source| TelemetryError::CreateDir {
                    path: self.sink.dir.clone(),
                    source,
                })?;
                open_append(&path)
            }
            other => other,
        }
        .map_err(|source| TelemetryError::OpenFile {
            path: path.clone(),
            source,
        })?;
        // An unreadable size only delays the first rotation; it is no reason to refuse logging.
        let meta = file.metadata().ok();
        self.regular = meta.as_ref().is_none_or(|m| m.is_file());
        self.size = meta.map_or(0, |m| m.len());
        self.file = Some(file);
        Ok(())
    }

    /// Writes one record, rotating first if it would not fit.
    pub fn write_record(&mut self, buf: &[u8]) {
        let len = buf.len() as u64;
        if self.file.is_some()
            && self.regular
            && self.size > 0
            && self.size.saturating_add(len) > self.sink.max_bytes
        {
            self.rotate();
        }
        if self.file.is_none()
            && let Err(e) = self.try_open()
        {
            return self.record_error(&e);
        }
        if let Some(file) = self.file.as_mut() {
            match file.write_all(buf) {
                Ok(()) => self.size = self.size.saturating_add(len),
                Err(source) => {
                    self.file = None;
                    let path = self.path();
                    self.record_error(&TelemetryError::Write { path, source });
                }
            }
        }
    }

    /// Shifts `<stem>.log.i` to `.i+1`, dropping the oldest, and reopens a fresh current file.
    fn rotate(&mut self) {
        // Close first: Windows cannot rename a file that is open.
        self.file = None;
        let keep = self.sink.keep;
        let oldest = self.sink.dir.join(file_name(&self.sink.stem, keep));
        match fs::remove_file(&oldest) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                self.record_error(&TelemetryError::Rotate {
                    path: oldest,
                    source: e,
                })
            }
            _ => {}
        }
        for (from, to) in rotation_plan(&self.sink.stem, keep) {
            let from = self.sink.dir.join(&from);
            match fs::rename(&from, self.sink.dir.join(&to)) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => {
                    self.record_error(&TelemetryError::Rotate {
                        path: from,
                        source: e,
                    })
                }
                _ => {}
            }
        }
        if let Err(e) = self.try_open() {
            self.record_error(&e);
        }
        // Counted from zero even if a rename failed, so a stuck rotation is retried only once per
        // `max_bytes` rather than on every record.
        self.size = 0;
    }

    /// Counts an error; the first one goes to the reporter.
    fn record_error(&mut self, err: &TelemetryError) {
        if self.errors.fetch_add(1, Ordering::Relaxed) == 0
            && let Some(mut report) = self.report.take()
        {
            let cause = std::error::Error::source(err)
                .map(|s| format!(": {s}"))
                .unwrap_or_default();
            report(format!(
                "idlewild-telemetry: {err}{cause}; the show goes on, and further log-file errors \
                 are only counted\n"
            ));
        }
    }
}

impl Sink for RotatingFile {
    fn write_line(&mut self, line: &[u8]) {
        self.write_record(line);
    }
}

/// Opens for appending without ever blocking in `open()` (see the module header).
fn open_append(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        let fd = file.as_raw_fd();
        // SAFETY: fcntl on a descriptor this function owns; F_GETFL/F_SETFL touch only its flags.
        let ok = unsafe {
            let flags = libc::fcntl(fd, libc::F_GETFL);
            flags >= 0 && libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK) >= 0
        };
        if !ok {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(file)
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
