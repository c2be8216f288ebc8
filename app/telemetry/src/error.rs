//! The one error type of the telemetry subsystem.

use std::path::PathBuf;

/// Everything that can go wrong while setting up logging.
///
/// A log call never sees one: file problems (`CreateDir`, `OpenFile`, `Write`, `Rotate`) arise on
/// the file logging thread, which counts them and reports the first once on stderr.
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
    /// A record could not be written to the log file.
    #[error("cannot write log file {path}")]
    Write {
        /// The current log file.
        path: PathBuf,
        /// Underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A rotation could not remove or rename a file.
    #[error("cannot rotate log file {path}")]
    Rotate {
        /// The file being removed or renamed.
        path: PathBuf,
        /// Underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A logging thread could not be started.
    #[error("cannot start the logging thread")]
    Spawn(#[source] std::io::Error),
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
