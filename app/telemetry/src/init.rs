//! Global tracing set-up (filter, stderr and rotating-file outputs, each behind its own logging
//! thread), a bounded flush, and a panic hook that logs.
//!
//! Timestamps are wall-clock UTC in RFC 3339 with microseconds (`SystemTime`), not uptime: the UI
//! and each worker write their own files, and only a shared wall clock lets lines from several
//! processes (and a user's "it froze at 3 pm") be lined up. UTC rather than local time because it
//! never jumps at DST changes and needs no time-zone lookup. They are taken when the event
//! happens, on the caller's thread, not when a logging thread gets round to writing the line.

use std::any::Any;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use tracing_subscriber::fmt::{self, time::SystemTime};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{EnvFilter, registry};

use crate::queue::{DEFAULT_CAPACITY, LogQueue, StderrSink};
use crate::{FileSink, RotatingFile, TelemetryError};

/// Environment variable that, when set and non-empty, replaces [`LogConfig::level`].
pub const ENV_VAR: &str = "IDLEWILD_LOG";

/// How long dropping the [`LogGuard`] (the end of a run) and the panic hook wait for queued
/// lines to be written: long enough for a healthy disk, short enough that a stuck destination
/// cannot hold up the exit.
pub const EXIT_FLUSH: Duration = Duration::from_millis(200);

/// What to log and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    /// `EnvFilter` directive, e.g. `"info"` or `"info,idlewild_workers=debug"`.
    pub level: String,
    /// Size-rotated log file, if any.
    pub file: Option<FileSink>,
    /// Whether to log to stderr as well.
    pub stderr: bool,
    /// Whether stderr output may use ANSI colours (files never do).
    pub ansi: bool,
}

impl Default for LogConfig {
    /// `info` to stderr without colours and no file.
    fn default() -> Self {
        Self {
            level: "info".to_owned(),
            file: None,
            stderr: true,
            ansi: false,
        }
    }
}

/// The process's logging threads, for [`flush`] and the panic hook.
struct Installed {
    queues: Vec<LogQueue>,
    /// Whether log lines reach stderr (else the panic hook also runs the default one).
    stderr: bool,
}

static INSTALLED: OnceLock<Installed> = OnceLock::new();

/// Returned by [`init`]; dropping it (at the end of a run) waits up to [`EXIT_FLUSH`] for the
/// queued lines to be written. Logging itself goes on after the drop.
#[derive(Default)]
pub struct LogGuard {
    file: Option<PathBuf>,
    file_errors: Option<Arc<AtomicU64>>,
    queues: Vec<LogQueue>,
}

impl LogGuard {
    /// Path of the current log file, if file logging is on (whether or not it could be opened).
    pub fn log_file(&self) -> Option<PathBuf> {
        self.file.clone()
    }

    /// I/O errors swallowed by the file writer so far (0 without a file).
    pub fn file_errors(&self) -> u64 {
        self.file_errors
            .as_ref()
            .map_or(0, |e| e.load(Ordering::Relaxed))
    }

    /// Lines dropped so far because a logging queue was full (all destinations).
    pub fn dropped(&self) -> u64 {
        self.queues.iter().map(LogQueue::dropped).sum()
    }
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        flush_all(&self.queues, EXIT_FLUSH);
    }
}

/// Waits up to `timeout` in all for every line logged so far to be written. True when they were.
/// Never waits longer, whatever the destinations do; a no-op before [`init`].
pub fn flush(timeout: Duration) -> bool {
    INSTALLED
        .get()
        .is_none_or(|i| flush_all(&i.queues, timeout))
}

fn flush_all(queues: &[LogQueue], timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    queues
        .iter()
        .all(|q| q.flush(deadline.saturating_duration_since(Instant::now())))
}

/// The filter directive in force: a non-blank `env` value wins over the configured `level`.
pub fn filter_directive<'a>(env: Option<&'a str>, level: &'a str) -> &'a str {
    match env.map(str::trim) {
        Some(directive) if !directive.is_empty() => directive,
        _ => level,
    }
}

/// Installs the global subscriber. Fails, without side effects on logging, if one is installed
/// or the filter is invalid. A log file that cannot be opened is no failure: the file thread
/// reports it once on stderr and logging goes on without it.
pub fn init(cfg: &LogConfig) -> Result<LogGuard, TelemetryError> {
    if tracing::dispatcher::has_been_set() {
        return Err(TelemetryError::AlreadyInitialized);
    }
    let env = std::env::var(ENV_VAR).ok();
    let directive = filter_directive(env.as_deref(), &cfg.level);
    let filter = EnvFilter::try_new(directive).map_err(|source| TelemetryError::InvalidFilter {
        directive: directive.to_owned(),
        source,
    })?;
    // Always started: besides log lines it carries the file thread's one problem report.
    let stderr = LogQueue::spawn("idlewild-log-stderr", DEFAULT_CAPACITY, StderrSink::new())
        .map_err(TelemetryError::Spawn)?;
    let mut guard = LogGuard {
        file: cfg.file.as_ref().map(FileSink::path),
        file_errors: None,
        queues: vec![stderr.clone()],
    };
    let file = match cfg.file.clone() {
        Some(sink) => {
            let reports = stderr.clone();
            let writer = RotatingFile::new(sink, move |text| {
                reports.push(text.into_bytes());
            });
            guard.file_errors = Some(writer.error_counter());
            let queue = LogQueue::spawn("idlewild-log-file", DEFAULT_CAPACITY, writer)
                .map_err(TelemetryError::Spawn)?;
            guard.queues.push(queue.clone());
            Some(queue)
        }
        None => None,
    };

    let stderr_layer = cfg.stderr.then(|| {
        fmt::layer()
            .with_timer(SystemTime)
            .with_ansi(cfg.ansi)
            .with_writer(stderr.clone())
    });
    let file_layer = file.map(|f| {
        fmt::layer()
            .with_timer(SystemTime)
            .with_ansi(false)
            .with_writer(f)
    });
    let subscriber = registry().with(filter).with(stderr_layer).with(file_layer);
    tracing::subscriber::set_global_default(subscriber)
        .map_err(|_| TelemetryError::AlreadyInitialized)?;
    let _ = INSTALLED.set(Installed {
        queues: guard.queues.clone(),
        stderr: cfg.stderr,
    });
    Ok(guard)
}

/// Logs every panic at error level (target `panic`, with process, thread, location, payload and,
/// under `RUST_BACKTRACE`, the backtrace) and waits up to [`EXIT_FLUSH`] for it to be written, so
/// it is on stderr and in the file even if the process ends right after.
///
/// With [`init`]'s stderr output on, that line is the panic's only stderr message: the default
/// hook would write to stderr on the panicking thread, synchronously, and a full pipe or a paused
/// terminal would then hang that thread. Without it (or before [`init`]) the previously installed
/// hook runs too.
pub fn install_panic_hook(process: &'static str) {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = payload_text(info.payload());
        let location = info
            .location()
            .map_or_else(|| "<unknown>".to_owned(), |l| l.to_string());
        let thread = std::thread::current();
        let thread = thread.name().unwrap_or("<unnamed>");
        let backtrace = std::backtrace::Backtrace::capture();
        if backtrace.status() == std::backtrace::BacktraceStatus::Captured {
            tracing::error!(target: "panic", process, thread, location = %location,
                "panic: {payload}\n{backtrace}");
        } else {
            tracing::error!(target: "panic", process, thread, location = %location,
                "panic: {payload}");
        }
        match INSTALLED.get() {
            Some(installed) if installed.stderr => {
                flush_all(&installed.queues, EXIT_FLUSH);
            }
            Some(installed) => {
                flush_all(&installed.queues, EXIT_FLUSH);
                previous(info);
            }
            None => previous(info),
        }
    }));
}

/// The text of a panic payload (`panic!` with a literal or with formatting), or a placeholder.
fn payload_text(payload: &(dyn Any + Send)) -> &str {
    match (
        payload.downcast_ref::<&str>(),
        payload.downcast_ref::<String>(),
    ) {
        (Some(text), _) => text,
        (_, Some(text)) => text,
        _ => "<non-string payload>",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_directive_table() {
        let cases = [
            (None, "info", "info"),
            (Some(""), "info", "info"),
            (Some("  "), "warn", "warn"),
            (Some("debug"), "info", "debug"),
            (Some(" idlewild=trace "), "info", "idlewild=trace"),
        ];
        for (env, level, expected) in cases {
            assert_eq!(
                filter_directive(env, level),
                expected,
                "env={env:?} level={level}"
            );
        }
    }

    #[test]
    fn payload_text_table() {
        let cases: [(Box<dyn Any + Send>, &str); 3] = [
            (Box::new("literal"), "literal"),
            (Box::new(String::from("formatted 42")), "formatted 42"),
            (Box::new(42u32), "<non-string payload>"),
        ];
        for (payload, expected) in cases {
            assert_eq!(payload_text(payload.as_ref()), expected);
        }
    }

    #[test]
    fn bad_directive_is_an_error() {
        let cfg = LogConfig {
            level: "idlewild=loud".to_owned(),
            ..LogConfig::default()
        };
        // Only meaningful when IDLEWILD_LOG does not override the level.
        if std::env::var(ENV_VAR).is_err() && !tracing::dispatcher::has_been_set() {
            assert!(matches!(
                init(&cfg),
                Err(TelemetryError::InvalidFilter { .. })
            ));
        }
    }
}
