//! [`SettingsStore`]: the settings file on disk, and the operations behind `idlewild settings
//! path|get|set|list`.
//!
//! **Boundary:** loading never writes the settings file (it may add a backup beside it);
//! `set` is the only writer, and it refuses a file from a newer Idlewild.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use directories::ProjectDirs;
use toml_edit::DocumentMut;
use tracing::{debug, warn};

use crate::docpath::{Lookup, insert, lookup};
use crate::evaluate::evaluate;
use crate::fsio::{atomic_write, backup_copy, unix_now};
use crate::migrate::{FileVersion, MIGRATIONS, TooNew, set_version, upgrade};
use crate::options::{OptionSpec, display_value, find_option, options};
use crate::{
    CURRENT_VERSION, ListedOption, LoadOutcome, LoadReport, LoadSource, SetOutcome, Settings,
    SettingsError,
};

/// File name of the settings file inside the configuration folder.
pub const FILE_NAME: &str = "settings.toml";

/// The default settings file: `settings.toml` in the platform's configuration folder for
/// Idlewild (e.g. `~/.config/idlewild/` on Linux, `%APPDATA%\Idlewild\idlewild\config\` on
/// Windows).
pub fn default_path() -> Result<PathBuf, SettingsError> {
    ProjectDirs::from("org", "Idlewild", "idlewild")
        .map(|dirs| dirs.config_dir().join(FILE_NAME))
        .ok_or(SettingsError::NoConfigDir)
}

/// A settings file at a known path; all operations read it afresh.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsStore {
    path: PathBuf,
}

/// What is on disk at the settings path.
enum FileState {
    Missing,
    Parsed(DocumentMut),
    /// Present but not TOML (or not UTF-8): the bytes, for the backup, and why.
    Corrupt {
        bytes: Vec<u8>,
        error: String,
    },
}

impl SettingsStore {
    /// A store for the file at `path` (the CLI's `--settings FILE`).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// A store for the platform's default settings file (see [`default_path`]).
    pub fn at_default_location() -> Result<Self, SettingsError> {
        default_path().map(Self::new)
    }

    /// The settings file's path (printed by `idlewild settings path`).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Loads the settings. Never fails: a missing file gives defaults; an unreadable or
    /// unparsable one gives defaults plus a problem (and, if unparsable, a backup copy); an
    /// invalid value is replaced by its default. Everything noteworthy is logged and reported.
    pub fn load(&self) -> LoadOutcome {
        let mut report = LoadReport::defaults();
        let doc = match self.read() {
            Ok(FileState::Parsed(doc)) => doc,
            Ok(FileState::Missing) => {
                debug!(path = %self.path.display(), "no settings file; using defaults");
                return LoadOutcome {
                    settings: Settings::default(),
                    report,
                };
            }
            Ok(FileState::Corrupt { bytes, error }) => {
                let problem = match backup_copy(&self.path, &bytes, unix_now()) {
                    Ok(backup) => {
                        let text = format!(
                            "{} could not be read as settings ({error}); a copy was saved as {}. \
                             Idlewild is using default settings",
                            self.path.display(),
                            backup.display()
                        );
                        report.backup = Some(backup);
                        text
                    }
                    Err(err) => format!(
                        "{} could not be read as settings ({error}), and it could not be \
                         backed up ({err}). Idlewild is using default settings",
                        self.path.display()
                    ),
                };
                warn!("{problem}");
                report.problem = Some(problem);
                return LoadOutcome {
                    settings: Settings::default(),
                    report,
                };
            }
            Err(err) => {
                let problem = format!("{err}. Idlewild is using default settings");
                warn!("{problem}");
                report.problem = Some(problem);
                return LoadOutcome {
                    settings: Settings::default(),
                    report,
                };
            }
        };

        let evaluation = evaluate(doc);
        if let Some(found) = evaluation.newer_version {
            warn!(
                path = %self.path.display(),
                "settings version {found} is newer than this Idlewild understands \
                 ({CURRENT_VERSION}); using the settings it knows, and `set` will refuse to \
                 change the file"
            );
        }
        report.source = LoadSource::File;
        report.repaired = evaluation.repaired;
        report.unknown_keys = evaluation.unknown_keys;
        report.newer_version = evaluation.newer_version;
        LoadOutcome {
            settings: evaluation.settings,
            report,
        }
    }

    /// The effective value of `key` (after repair), formatted for the user: strings and enum
    /// words bare, lists as TOML arrays.
    pub fn get(&self, key: &str) -> Result<String, SettingsError> {
        let spec = find(key)?;
        effective_value(&self.load().settings, spec)
    }

    /// Sets `key` to the user's `value` and writes the file atomically, keeping comments,
    /// ordering and unknown keys. An unparsable file is backed up first and replaced by a
    /// fresh document; a missing file (and folder) is created.
    pub fn set(&self, key: &str, value: &str) -> Result<SetOutcome, SettingsError> {
        let spec = find(key)?;
        let parsed = spec.parse(value)?;
        let (mut doc, backup) = match self.read()? {
            FileState::Missing => (fresh_document(), None),
            FileState::Parsed(doc) => (doc, None),
            FileState::Corrupt { bytes, error } => {
                let backup = backup_copy(&self.path, &bytes, unix_now())
                    .map_err(|e| SettingsError::io("back up", &self.path, e))?;
                warn!(
                    path = %self.path.display(), backup = %backup.display(),
                    "settings file could not be read ({error}); copied it aside and starting \
                     a fresh one"
                );
                (fresh_document(), Some(backup))
            }
        };

        let version = FileVersion::of(&doc).effective();
        if let Err(TooNew { found, supported }) = upgrade(&mut doc, version, MIGRATIONS) {
            return Err(SettingsError::NewerVersion {
                path: self.path.clone(),
                found,
                supported,
            });
        }
        set_version(&mut doc, i64::from(CURRENT_VERSION));
        if let Some(prefix) = insert(&mut doc, spec.key, parsed.clone()) {
            warn!(
                key = spec.key,
                "{prefix} was not a table; replaced it to set {key}"
            );
        }
        atomic_write(&self.path, doc.to_string().as_bytes())?;

        let evaluation = evaluate(doc);
        Ok(SetOutcome {
            value: display_value(&parsed),
            backup,
            repaired: evaluation.repaired,
        })
    }

    /// Every option with its effective value, default and allowed values, in table order.
    pub fn list(&self) -> Result<Vec<ListedOption>, SettingsError> {
        let settings = self.load().settings;
        let effective = toml_edit::ser::to_document(&settings)?;
        Ok(options()
            .map(|spec| ListedOption {
                spec,
                value: value_in(&effective, spec),
                default: spec.default_text(),
                allowed: spec.kind.allowed(),
            })
            .collect())
    }

    fn read(&self) -> Result<FileState, SettingsError> {
        let bytes = match fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(FileState::Missing),
            Err(e) => return Err(SettingsError::io("read", &self.path, e)),
        };
        let text = match std::str::from_utf8(&bytes) {
            Ok(text) => text,
            Err(e) => {
                let error = format!("it is not UTF-8 text: {e}");
                return Ok(FileState::Corrupt { bytes, error });
            }
        };
        match text.parse::<DocumentMut>() {
            Ok(doc) => Ok(FileState::Parsed(doc)),
            Err(e) => {
                let error = e.to_string().trim_end().to_owned();
                Ok(FileState::Corrupt { bytes, error })
            }
        }
    }
}

fn find(key: &str) -> Result<&'static OptionSpec, SettingsError> {
    find_option(key).ok_or_else(|| SettingsError::UnknownKey {
        key: key.to_owned(),
    })
}

/// The document `set` starts from when there is no usable file.
fn fresh_document() -> DocumentMut {
    let text = format!(
        "# Idlewild settings. `idlewild settings list` shows every key, its default and the \
         allowed values.\nversion = {CURRENT_VERSION}\n"
    );
    text.parse().unwrap_or_default()
}

fn effective_value(settings: &Settings, spec: &OptionSpec) -> Result<String, SettingsError> {
    let effective = toml_edit::ser::to_document(settings)?;
    Ok(value_in(&effective, spec))
}

/// The value of `spec` in a serialized [`Settings`]; every option has one (see the
/// `table_matches_struct` test), the default is a safe answer otherwise.
fn value_in(effective: &DocumentMut, spec: &OptionSpec) -> String {
    match lookup(effective.as_table(), spec.key) {
        Lookup::Found(item) => item.as_value().map(display_value),
        _ => None,
    }
    .unwrap_or_else(|| spec.default_text())
}
