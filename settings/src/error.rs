//! The settings subsystem's error enum: every failure a caller can see, worded for the user.

use std::io;
use std::path::PathBuf;

/// Everything that can go wrong when reading or changing settings.
///
/// Loading never fails (it falls back to defaults and reports why); these errors come from
/// `get`, `set`, and from locating the settings file.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The key names no setting.
    #[error("there is no setting called {key:?}; `idlewild settings list` shows every key")]
    UnknownKey {
        /// The key as the user typed it.
        key: String,
    },
    /// The value does not fit the setting's kind, range or allowed values.
    #[error("{key}: {value:?} {reason}")]
    InvalidValue {
        /// The setting's dotted key.
        key: String,
        /// The value as the user typed it.
        value: String,
        /// Why it was refused, phrased to follow the value ("is not between 3 and 3600").
        reason: String,
    },
    /// The file was written by a newer Idlewild; changing it could lose its newer settings.
    #[error(
        "{} was written by a newer Idlewild (settings version {found}, this one understands \
         up to {supported}); refusing to change it",
        path.display()
    )]
    NewerVersion {
        /// The settings file.
        path: PathBuf,
        /// The version found in the file.
        found: u32,
        /// The newest version this build understands ([`crate::CURRENT_VERSION`]).
        supported: u32,
    },
    /// A file-system operation failed.
    #[error("could not {action} {}: {source}", path.display())]
    Io {
        /// What was being done, as a verb phrase ("read", "write", "back up").
        action: &'static str,
        /// The file or folder involved.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// The platform has no per-user configuration folder (for example, no home directory).
    #[error(
        "could not find this user's configuration folder (is HOME set?); \
         pass --settings FILE to choose a settings file"
    )]
    NoConfigDir,
    /// The effective settings could not be encoded as TOML; this indicates a bug.
    #[error("could not encode the settings as TOML: {0}")]
    Encode(#[from] toml_edit::ser::Error),
}

impl SettingsError {
    /// Wraps an I/O error with the action and path it concerns.
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Self::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
