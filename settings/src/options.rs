//! The option table types and the combined table: the single source of truth for validation,
//! repair, the CLI (`settings get/set/list`) and, later, the settings dialog.

use toml_edit::{Array, Item, Value};

use crate::SettingsError;
use crate::sections::{display, logging, sources, transitions, workers};

/// One user-visible setting: its dotted key, how to describe it, its kind and its default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionSpec {
    /// Dotted key as written in the file and on the command line, e.g. `display.mode`.
    pub key: &'static str,
    /// Short human label for dialogs and listings.
    pub label: &'static str,
    /// One or two sentences of help.
    pub help: &'static str,
    /// What values are allowed.
    pub kind: OptionKind,
    /// The value used when the key is missing or invalid.
    pub default: OptionDefault,
}

/// The kind of value a setting holds, with its allowed range or values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionKind {
    /// `true` or `false`.
    Bool,
    /// A whole number in `min..=max`.
    Int {
        /// Smallest allowed value.
        min: i64,
        /// Largest allowed value.
        max: i64,
    },
    /// One of a fixed set of lowercase words.
    Enum {
        /// The allowed words, in the order they are shown to the user.
        values: &'static [&'static str],
    },
    /// A list of strings (for example folder paths).
    StringList,
}

/// A setting's default value, typed by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionDefault {
    /// Default of an [`OptionKind::Bool`].
    Bool(bool),
    /// Default of an [`OptionKind::Int`].
    Int(i64),
    /// Default of an [`OptionKind::Enum`].
    Enum(&'static str),
    /// Default of an [`OptionKind::StringList`].
    StringList(&'static [&'static str]),
}

/// Every section's table, in the order sections appear in listings.
const SECTIONS: &[&[OptionSpec]] = &[
    display::OPTIONS,
    transitions::OPTIONS,
    sources::OPTIONS,
    workers::OPTIONS,
    logging::OPTIONS,
];

/// Every setting, section by section, in display order.
pub fn options() -> impl Iterator<Item = &'static OptionSpec> {
    SECTIONS.iter().flat_map(|section| section.iter())
}

/// The setting with this dotted key, if there is one.
pub fn find_option(key: &str) -> Option<&'static OptionSpec> {
    options().find(|spec| spec.key == key)
}

impl OptionKind {
    /// The allowed values in words: `true or false`, `3 to 3600`, `fill, fit, shrink`.
    pub fn allowed(&self) -> String {
        match self {
            Self::Bool => "true or false".to_owned(),
            Self::Int { min, max } => format!("{min} to {max}"),
            Self::Enum { values } => values.join(", "),
            Self::StringList => "a list of strings".to_owned(),
        }
    }
}

impl OptionDefault {
    /// The default as a TOML value.
    pub fn to_value(&self) -> Value {
        match *self {
            Self::Bool(b) => Value::from(b),
            Self::Int(i) => Value::from(i),
            Self::Enum(s) => Value::from(s),
            Self::StringList(list) => string_array(list.iter().copied()),
        }
    }
}

impl OptionSpec {
    /// The default as shown to the user (same format as [`crate::SettingsStore::get`]).
    pub fn default_text(&self) -> String {
        display_value(&self.default.to_value())
    }

    /// Parses a command-line value for this setting into its canonical TOML value.
    ///
    /// Booleans accept true/false, yes/no, on/off and 1/0; enums are case-insensitive; a list
    /// accepts a TOML array (`["a", "b"]`), an empty string for the empty list, or any other
    /// text as a one-element list (so a single folder path needs no quoting).
    pub fn parse(&self, input: &str) -> Result<Value, SettingsError> {
        let text = input.trim();
        let candidate = match self.kind {
            OptionKind::Bool => match text.to_ascii_lowercase().as_str() {
                "true" | "yes" | "on" | "1" => Value::from(true),
                "false" | "no" | "off" | "0" => Value::from(false),
                _ => Value::from(text),
            },
            OptionKind::Int { .. } => match text.parse::<i64>() {
                Ok(n) => Value::from(n),
                Err(_) => Value::from(text),
            },
            OptionKind::Enum { .. } => Value::from(text),
            OptionKind::StringList if text.is_empty() => string_array(std::iter::empty()),
            OptionKind::StringList if text.starts_with('[') => {
                text.parse::<Value>().unwrap_or_else(|_| Value::from(text))
            }
            OptionKind::StringList => string_array(std::iter::once(input)),
        };
        self.check_value(&candidate)
            .map_err(|reason| SettingsError::InvalidValue {
                key: self.key.to_owned(),
                value: input.to_owned(),
                reason,
            })
    }

    /// Checks an item found in a settings file; returns the canonical value or why it is bad.
    pub(crate) fn check(&self, item: &Item) -> Result<Value, String> {
        match item.as_value() {
            Some(value) => self.check_value(value),
            None => Err(format!("is a table, not {}", self.kind.allowed())),
        }
    }

    /// Checks a value against the kind; returns the canonical form or a reason that reads
    /// after the value ("is not between 3 and 3600").
    fn check_value(&self, value: &Value) -> Result<Value, String> {
        match self.kind {
            OptionKind::Bool => value
                .as_bool()
                .map(Value::from)
                .ok_or_else(|| "is not true or false".to_owned()),
            OptionKind::Int { min, max } => match value.as_integer() {
                Some(n) if (min..=max).contains(&n) => Ok(Value::from(n)),
                Some(_) => Err(format!("is not between {min} and {max}")),
                None => Err("is not a whole number".to_owned()),
            },
            OptionKind::Enum { values } => value
                .as_str()
                .and_then(|s| values.iter().find(|v| v.eq_ignore_ascii_case(s.trim())))
                .map(|v| Value::from(*v))
                .ok_or_else(|| format!("is not one of {}", values.join(", "))),
            OptionKind::StringList => value
                .as_array()
                .and_then(|array| array.iter().map(Value::as_str).collect::<Option<Vec<_>>>())
                .map(|list| string_array(list.into_iter()))
                .ok_or_else(|| "is not a list of strings".to_owned()),
        }
    }
}

/// A freshly formatted TOML array of strings: `["a", "b"]`.
pub(crate) fn string_array<'a>(items: impl Iterator<Item = &'a str>) -> Value {
    let mut array: Array = items.collect();
    array.fmt();
    Value::Array(array)
}

/// A value as TOML source text, without surrounding whitespace or comments: `"zoom"`, `12`.
pub(crate) fn toml_text(value: &Value) -> String {
    value.clone().decorated("", "").to_string()
}

/// A value as the user sees it in `get` and `list`: strings bare, everything else as TOML.
pub(crate) fn display_value(value: &Value) -> String {
    match value.as_str() {
        Some(s) => s.to_owned(),
        None => toml_text(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(key: &str) -> &'static OptionSpec {
        find_option(key).expect("key exists in the table")
    }

    #[test]
    fn parse_accepts_and_canonicalises() {
        let cases: &[(&str, &str, &str)] = &[
            ("display.mode", "Fit", "fit"),
            ("display.mode", " shrink ", "shrink"),
            ("display.interval_s", "3", "3"),
            ("display.interval_s", "3600", "3600"),
            ("transitions.random", "no", "false"),
            ("transitions.random", "ON", "true"),
            ("transitions.random", "1", "true"),
            ("sources.folders", "", "[]"),
            (
                "sources.folders",
                "/home/me/My Pictures",
                r#"["/home/me/My Pictures"]"#,
            ),
            ("sources.folders", r#"["a", 'b']"#, r#"["a", "b"]"#),
            ("logging.level", "TRACE", "trace"),
        ];
        for &(key, input, expected) in cases {
            let value = spec(key)
                .parse(input)
                .unwrap_or_else(|e| panic!("{key}={input}: {e}"));
            assert_eq!(display_value(&value), expected, "{key}={input}");
        }
    }

    #[test]
    fn parse_rejects_with_readable_sentences() {
        let cases: &[(&str, &str, &str)] = &[
            (
                "display.mode",
                "zoom",
                r#"display.mode: "zoom" is not one of fill, fit, shrink"#,
            ),
            (
                "display.interval_s",
                "2",
                r#"display.interval_s: "2" is not between 3 and 3600"#,
            ),
            (
                "display.interval_s",
                "1.5",
                r#"display.interval_s: "1.5" is not a whole number"#,
            ),
            (
                "transitions.random",
                "maybe",
                r#"transitions.random: "maybe" is not true or false"#,
            ),
            (
                "sources.folders",
                "[1, 2]",
                r#"sources.folders: "[1, 2]" is not a list of strings"#,
            ),
            (
                "sources.folders",
                "[oops",
                r#"sources.folders: "[oops" is not a list of strings"#,
            ),
        ];
        for &(key, input, expected) in cases {
            let err = spec(key).parse(input).expect_err(input);
            assert_eq!(err.to_string(), expected);
        }
    }

    #[test]
    fn check_rejects_wrong_types_from_files() {
        let doc: toml_edit::DocumentMut = "a = 1\nb = 'x'\nc = [1]\n[t]\n".parse().expect("toml");
        let cases: &[(&str, &str, &str)] = &[
            ("display.mode", "a", "is not one of fill, fit, shrink"),
            ("display.interval_s", "b", "is not a whole number"),
            ("sources.folders", "c", "is not a list of strings"),
            ("transitions.random", "t", "is a table, not true or false"),
        ];
        for &(key, field, reason) in cases {
            assert_eq!(
                spec(key).check(&doc[field]).map(|v| toml_text(&v)),
                Err(reason.to_owned()),
                "{key}"
            );
        }
    }

    #[test]
    fn keys_are_unique_and_defaults_fit_their_kind() {
        let mut keys: Vec<_> = options().map(|s| s.key).collect();
        let total = keys.len();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), total, "duplicate keys in the option tables");
        for spec in options() {
            let default = spec.default.to_value();
            assert_eq!(
                spec.check_value(&default).map(|v| toml_text(&v)),
                Ok(toml_text(&default))
            );
            if let OptionKind::Int { min, max } = spec.kind {
                assert!(min <= max, "{}", spec.key);
            }
        }
    }
}
