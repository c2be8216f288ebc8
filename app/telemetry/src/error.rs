//! The one error type of the telemetry subsystem.

use std::path::PathBuf;

/// Everything that can go wrong while setting up logging.
///
/// Failures *after* set-up (a full disk, a vanished log directory) are never errors: a log call
/// must not fail, so the rotating writer counts and swallows them instead.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// The log directory could not be created.
    #[error("cannot create log directory {path}")]
    CreateDir {
        /// Directory that was being created.
        path: PathBuf,
        /// Underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The current log file could not be opened for appending.
    #[error("cannot open log file {path}")]
    OpenFile {
        /// File that was being opened.
        path: PathBuf,
        /// Underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The level directive (from the config or `IDLEWILD_LOG`) is not valid `EnvFilter` syntax.
    #[error("invalid log filter {directive:?}")]
    InvalidFilter {
        /// The directive as given.
        directive: String,
        /// Parser error from `tracing-subscriber`.
        #[source]
        source: tracing_subscriber::filter::ParseError,
    },
    /// A global subscriber is already installed (for example, `init` was called twice).
    #[error("a global tracing subscriber is already installed")]
    AlreadyInitialized,
}
