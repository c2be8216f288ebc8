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

    /// What the user should be told about this load, one sentence each, for the log of a run
    /// that starts on these settings: the problem that made the file unusable, a newer version,
    /// one note per repaired key (what was wrong and the value used), and one note naming every
    /// unknown key. Empty when the report [`is_clean`](Self::is_clean) (a backup always comes
    /// with a problem, which names it).
    ///
    /// Loading also logs each item as it finds it, which reaches callers whose logging is up
    /// before they load (the `settings` command). A run sets its logging up *from* the settings,
    /// so it loads first and logs these notes once its logging is up.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        notes.extend(self.problem.clone());
        if let Some(found) = self.newer_version {
            notes.push(format!(
                "the file is from settings version {found}, newer than this Idlewild \
                 understands ({}); using the settings it knows and leaving the file as it is",
                crate::CURRENT_VERSION
            ));
        }
        notes.extend(
            self.repaired
                .iter()
                .map(|r| format!("invalid setting {r} (the file is left as it is)")),
        );
        if !self.unknown_keys.is_empty() {
            let keys = self.unknown_keys.join(", ");
            notes.push(match self.newer_version {
                Some(found) => format!("settings from version {found} ignored: {keys}"),
                None => format!("unknown settings ignored (they stay in the file): {keys}"),
            });
        }
        notes
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

#[cfg(test)]
mod tests {
    use super::*;

    fn repair(key: &str, found: &str, reason: &str, used: &str) -> Repair {
        Repair {
            key: key.to_owned(),
            found: found.to_owned(),
            used: used.to_owned(),
            reason: reason.to_owned(),
        }
    }

    #[test]
    fn notes_name_each_repaired_key_once_and_the_unknown_keys_together() {
        let file = LoadReport {
            source: LoadSource::File,
            ..LoadReport::defaults()
        };
        let mode = repair(
            "display.mode",
            "5",
            "is not one of fill, fit, shrink",
            "\"fill\"",
        );
        let interval = repair(
            "display.interval_s",
            "-3",
            "is not between 3 and 3600",
            "12",
        );
        let cases: Vec<(LoadReport, Vec<&str>)> = vec![
            (LoadReport::defaults(), vec![]),
            (file.clone(), vec![]),
            (
                LoadReport {
                    repaired: vec![mode.clone(), interval.clone()],
                    ..file.clone()
                },
                vec![
                    "invalid setting display.mode: 5 is not one of fill, fit, shrink; using \
                     \"fill\" (the file is left as it is)",
                    "invalid setting display.interval_s: -3 is not between 3 and 3600; using 12 \
                     (the file is left as it is)",
                ],
            ),
            (
                LoadReport {
                    unknown_keys: vec!["workers.rss.enabled".into(), "shiny".into()],
                    ..file.clone()
                },
                vec![
                    "unknown settings ignored (they stay in the file): workers.rss.enabled, shiny",
                ],
            ),
            (
                LoadReport {
                    newer_version: Some(999),
                    unknown_keys: vec!["display.sparkle".into()],
                    repaired: vec![mode.clone()],
                    ..file.clone()
                },
                vec![
                    "the file is from settings version 999, newer than this Idlewild understands \
                     ({current}); using the settings it knows and leaving the file as it is",
                    "invalid setting display.mode: 5 is not one of fill, fit, shrink; using \
                     \"fill\" (the file is left as it is)",
                    "settings from version 999 ignored: display.sparkle",
                ],
            ),
            (
                LoadReport {
                    problem: Some(
                        "/s.toml could not be read as settings (bad); a copy was saved \
                                   as /s.toml.corrupt. Idlewild is using default settings"
                            .into(),
                    ),
                    backup: Some("/s.toml.corrupt".into()),
                    ..LoadReport::defaults()
                },
                vec![
                    "/s.toml could not be read as settings (bad); a copy was saved as \
                      /s.toml.corrupt. Idlewild is using default settings",
                ],
            ),
        ];
        for (report, expected) in cases {
            let current = crate::CURRENT_VERSION.to_string();
            let expected: Vec<String> = expected
                .iter()
                .map(|e| e.replace("{current}", &current))
                .collect();
            assert_eq!(report.notes(), expected, "{report:?}");
            assert_eq!(report.notes().is_empty(), report.is_clean(), "{report:?}");
        }
    }
}
