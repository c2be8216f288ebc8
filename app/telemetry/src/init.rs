//! Global tracing set-up (filter, stderr and rotating-file outputs) and a panic hook that logs.
//!
//! Timestamps are wall-clock UTC in RFC 3339 with microseconds (`SystemTime`), not uptime: the UI
//! and each worker write their own files, and only a shared wall clock lets lines from several
//! processes (and a user's "it froze at 3 pm") be lined up. UTC rather than local time because it
//! never jumps at DST changes and needs no time-zone lookup.

use std::any::Any;
use std::path::PathBuf;
use std::sync::Arc;

use tracing_subscriber::fmt::{self, time::SystemTime};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{EnvFilter, registry};

use crate::{FileSink, RotatingFile, TelemetryError};

/// Environment variable that, when set and non-empty, replaces [`LogConfig::level`].
pub const ENV_VAR: &str = "IDLEWILD_LOG";

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

/// Returned by [`init`]; keeps a handle on the log file for diagnostics.
///
/// Dropping it does not stop logging (records are written unbuffered, so nothing is lost).
#[derive(Default)]
pub struct LogGuard {
    file: Option<Arc<RotatingFile>>,
}

impl LogGuard {
    /// Path of the current log file, if file logging is on.
    pub fn log_file(&self) -> Option<PathBuf> {
        self.file.as_ref().map(|f| f.path())
    }

    /// I/O errors swallowed by the file writer so far (0 without a file).
    pub fn file_errors(&self) -> u64 {
        self.file.as_ref().map_or(0, |f| f.error_count())
    }
}

/// The filter directive in force: a non-blank `env` value wins over the configured `level`.
pub fn filter_directive<'a>(env: Option<&'a str>, level: &'a str) -> &'a str {
    match env.map(str::trim) {
        Some(directive) if !directive.is_empty() => directive,
        _ => level,
    }
}

/// Installs the global subscriber. Fails, without side effects on logging, if one is installed.
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
    let file = cfg
        .file
        .clone()
        .map(RotatingFile::open)
        .transpose()?
        .map(Arc::new);

    let stderr_layer = cfg.stderr.then(|| {
        fmt::layer()
            .with_timer(SystemTime)
            .with_ansi(cfg.ansi)
            .with_writer(std::io::stderr)
    });
    let file_layer = file.clone().map(|f| {
        fmt::layer()
            .with_timer(SystemTime)
            .with_ansi(false)
            .with_writer(f)
    });
    let subscriber = registry().with(filter).with(stderr_layer).with(file_layer);
    tracing::subscriber::set_global_default(subscriber)
        .map_err(|_| TelemetryError::AlreadyInitialized)?;
    Ok(LogGuard { file })
}

/// Logs every panic at error level (target `panic`, with process, thread, location and payload)
/// and then runs the previously installed hook, so the default stderr message still appears.
pub fn install_panic_hook(process: &'static str) {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = payload_text(info.payload());
        let location = info
            .location()
            .map_or_else(|| "<unknown>".to_owned(), |l| l.to_string());
        let thread = std::thread::current();
        tracing::error!(
            target: "panic",
            process,
            thread = thread.name().unwrap_or("<unnamed>"),
            location = %location,
            "panic: {payload}"
        );
        previous(info);
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
