//! What loading, `set` and `list` tell the caller: the report types, free of any I/O.

use std::fmt;
use std::path::PathBuf;

use crate::options::OptionSpec;
use crate::sections::Settings;

/// Where the loaded settings came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadSource {
    /// Built-in defaults: there was no file, or it could not be read or parsed.
    Defaults,
    /// The settings file (possibly with some values repaired).
    File,
}

/// One value that was replaced while loading, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repair {
    /// Dotted key of the setting (or section) that was repaired.
    pub key: String,
    /// The value found, as TOML text (`"zoom"`, `2`, `a table`).
    pub found: String,
    /// The value used instead, as TOML text.
    pub used: String,
    /// Why the found value was refused, phrased to follow it ("is not between 3 and 3600").
    pub reason: String,
}

impl fmt::Display for Repair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} {}; using {}",
            self.key, self.found, self.reason, self.used
        )
    }
}

/// Everything noteworthy about one load. Each item here was also logged with `tracing`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadReport {
    /// Where the settings came from.
    pub source: LoadSource,
    /// Values that were invalid and replaced, one entry per key.
    pub repaired: Vec<Repair>,
    /// Where a copy of an unparsable file was saved; the file itself is left in place.
    pub backup: Option<PathBuf>,
    /// A sentence saying why the file could not be used at all, when it could not.
    pub problem: Option<String>,
    /// Keys in the file that this version does not know; they are ignored but kept in the file.
    pub unknown_keys: Vec<String>,
    /// The file's version, when it is newer than [`crate::CURRENT_VERSION`]; `set` refuses to
    /// write such a file.
    pub newer_version: Option<u32>,
}

impl LoadReport {
    /// A report for settings taken from built-in defaults with nothing to say.
    pub(crate) fn defaults() -> Self {
        Self {
            source: LoadSource::Defaults,
            repaired: Vec::new(),
            backup: None,
            problem: None,
            unknown_keys: Vec::new(),
            newer_version: None,
        }
    }

    /// True when nothing was repaired, ignored or refused.
    pub fn is_clean(&self) -> bool {
        self.repaired.is_empty()
            && self.backup.is_none()
            && self.problem.is_none()
            && self.unknown_keys.is_empty()
            && self.newer_version.is_none()
    }
}

/// The result of [`crate::SettingsStore::load`]: usable settings and how they were obtained.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadOutcome {
    /// The effective settings, always valid.
    pub settings: Settings,
    /// What happened while loading.
    pub report: LoadReport,
}

/// The result of a successful [`crate::SettingsStore::set`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetOutcome {
    /// The value as stored, in canonical form (as `get` prints it).
    pub value: String,
    /// Where the unparsable previous file was copied before a fresh one was written.
    pub backup: Option<PathBuf>,
    /// Repairs that loading the written file still applies (for example `backoff_max_ms`
    /// raised to a larger `backoff_initial_ms`), so the CLI can warn about them.
    pub repaired: Vec<Repair>,
}

/// One row of `settings list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedOption {
    /// The option's table row (key, label, help, kind, default).
    pub spec: &'static OptionSpec,
    /// The effective value, as `get` prints it.
    pub value: String,
    /// The default, in the same format.
    pub default: String,
    /// The allowed values in words (`3 to 3600`, `fill, fit, shrink`).
    pub allowed: String,
}
