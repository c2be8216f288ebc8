//! `[logging]`: log verbosity and log-file rotation.

use serde::{Deserialize, Serialize};

use crate::options::{OptionDefault, OptionKind, OptionSpec};

/// Options of the `[logging]` section.
pub const OPTIONS: &[OptionSpec] = &[
    OptionSpec {
        key: "logging.level",
        label: "Log level",
        help: "The least severe kind of message written to the log.",
        kind: OptionKind::Enum {
            values: &["error", "warn", "info", "debug", "trace"],
        },
        default: OptionDefault::Enum("info"),
    },
    OptionSpec {
        key: "logging.max_file_mb",
        label: "Log file size (MB)",
        help: "A log file is rotated when it grows past this many megabytes.",
        kind: OptionKind::Int { min: 1, max: 1024 },
        default: OptionDefault::Int(8),
    },
    OptionSpec {
        key: "logging.keep_files",
        label: "Log files kept",
        help: "How many rotated log files are kept before the oldest is deleted.",
        kind: OptionKind::Int { min: 1, max: 50 },
        default: OptionDefault::Int(3),
    },
];

/// Log verbosity, from least to most verbose.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    /// Only errors.
    Error,
    /// Errors and warnings.
    Warn,
    /// Normal operation messages.
    #[default]
    Info,
    /// Detail for diagnosing problems.
    Debug,
    /// Everything.
    Trace,
}

impl LogLevel {
    /// The level's name as written in the file, which is also a `tracing` filter directive.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warn => "warn",
            Self::Info => "info",
            Self::Debug => "debug",
            Self::Trace => "trace",
        }
    }
}

/// The `[logging]` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Logging {
    /// The least severe kind of message logged.
    pub level: LogLevel,
    /// Size in megabytes at which a log file is rotated (1 to 1024).
    pub max_file_mb: u32,
    /// Number of rotated log files kept (1 to 50).
    pub keep_files: u32,
}

impl Default for Logging {
    fn default() -> Self {
        Self {
            level: LogLevel::Info,
            max_file_mb: 8,
            keep_files: 3,
        }
    }
}
