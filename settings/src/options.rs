//! The option table types and the combined table: the single source of truth for validation,
//! repair, the CLI (`settings get/set/list`) and, later, the settings dialog.

use toml_edit::{Array, Item, Value};

use crate::SettingsError;
use crate::sections::{display, input, logging, sources, transitions, visualizer, workers};

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

impl OptionSpec {
    /// A `Bool` row.
    pub(crate) const fn toggle(
        key: &'static str,
        label: &'static str,
        help: &'static str,
        default: bool,
    ) -> OptionSpec {
        OptionSpec {
            key,
            label,
            help,
            kind: OptionKind::Bool,
            default: OptionDefault::Bool(default),
        }
    }

    /// An `Int` row over `min..=max`.
    pub(crate) const fn int(
        key: &'static str,
        label: &'static str,
        help: &'static str,
        (min, max): (i64, i64),
        default: i64,
    ) -> OptionSpec {
        OptionSpec {
            key,
            label,
            help,
            kind: OptionKind::Int { min, max },
            default: OptionDefault::Int(default),
        }
    }

    /// An `Enum` row whose default is its first word.
    pub(crate) const fn choice(
        key: &'static str,
        label: &'static str,
        help: &'static str,
        values: &'static [&'static str],
    ) -> OptionSpec {
        OptionSpec {
            key,
            label,
            help,
            kind: OptionKind::Enum { values },
            default: OptionDefault::Enum(values[0]),
        }
    }
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
    /// A list of strings: free text (folder paths, monitor names) or words from a fixed set.
    StringList {
        /// The words entries must be (matched case-insensitively, stored as written here), or
        /// `None` when any string is allowed.
        allowed: Option<&'static [&'static str]>,
    },
    /// One line of free text (a file path); empty means "none".
    Text {
        /// Longest accepted text, in bytes.
        max_len: usize,
    },
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
    /// Default of an [`OptionKind::Text`].
    Text(&'static str),
}

/// Every section's table, in the order sections appear in listings.
const SECTIONS: &[&[OptionSpec]] = &[
    display::OPTIONS,
    transitions::OPTIONS,
    input::OPTIONS,
    sources::OPTIONS,
    visualizer::OPTIONS,
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
            Self::StringList { allowed: None } => "a list of strings".to_owned(),
            Self::StringList {
                allowed: Some(words),
            } => format!("a list drawn from {}", words.join(", ")),
            Self::Text { max_len } => format!("one line of text (at most {max_len} bytes)"),
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
            Self::Text(text) => Value::from(text),
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
    /// text as a one-element list (so a single folder path needs no quoting). A list of allowed
    /// words also accepts them separated by commas or spaces (`slide, wipe`), since no word
    /// contains either.
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
            OptionKind::StringList { .. } if text.is_empty() => string_array(std::iter::empty()),
            OptionKind::StringList { .. } if text.starts_with('[') => {
                text.parse::<Value>().unwrap_or_else(|_| Value::from(text))
            }
            OptionKind::StringList { allowed: Some(_) } => string_array(
                text.split(|c: char| c == ',' || c.is_whitespace())
                    .filter(|word| !word.is_empty()),
            ),
            OptionKind::StringList { allowed: None } => string_array(std::iter::once(input)),
            // `""` is how listings show the empty text, so it reads back as empty.
            OptionKind::Text { .. } if text == r#""""# => Value::from(""),
            OptionKind::Text { .. } => Value::from(text),
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

    /// The value used in place of an `item` that [`Self::check`] refused: a list of allowed
    /// words keeps its known words (so one misspelt entry does not undo the rest); anything
    /// else falls back to the default.
    pub(crate) fn salvage(&self, item: &Item) -> Value {
        if let OptionKind::StringList {
            allowed: Some(words),
        } = self.kind
            && let Some(list) = item.as_value().and_then(strings)
        {
            let (known, _) = sort_words(&list, words);
            return string_array(known.into_iter());
        }
        self.default.to_value()
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
            OptionKind::StringList { allowed } => {
                let list = strings(value).ok_or_else(|| "is not a list of strings".to_owned())?;
                let Some(words) = allowed else {
                    return Ok(string_array(list.into_iter()));
                };
                match sort_words(&list, words) {
                    (known, unknown) if unknown.is_empty() => Ok(string_array(known.into_iter())),
                    (_, unknown) => Err(unknown_words(&unknown, words)),
                }
            }
            OptionKind::Text { max_len } => match value.as_str() {
                Some(text) if text.contains(['\n', '\r', '\0']) => {
                    Err("is not a single line".to_owned())
                }
                Some(text) if text.len() > max_len => {
                    Err(format!("is longer than {max_len} bytes"))
                }
                Some(text) => Ok(Value::from(text.trim())),
                None => Err("is not text".to_owned()),
            },
        }
    }
}

/// The entries of an array whose entries are all strings.
fn strings(value: &Value) -> Option<Vec<&str>> {
    value
        .as_array()
        .and_then(|array| array.iter().map(Value::as_str).collect())
}

/// Splits `list` into the allowed words it names, in their canonical spelling and in the
/// list's order, and the entries that name none.
fn sort_words<'a>(
    list: &[&'a str],
    words: &'static [&'static str],
) -> (Vec<&'static str>, Vec<&'a str>) {
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for &entry in list {
        match words.iter().find(|w| w.eq_ignore_ascii_case(entry.trim())) {
            Some(word) => known.push(*word),
            None => unknown.push(entry),
        }
    }
    (known, unknown)
}

/// Why a list with `unknown` entries was refused, phrased to follow the list.
fn unknown_words(unknown: &[&str], words: &[&str]) -> String {
    let quoted: Vec<String> = unknown.iter().map(|entry| format!("{entry:?}")).collect();
    let (them, verb) = match unknown {
        [_] => ("which is", "one of"),
        _ => ("which are", "among"),
    };
    format!(
        "has {}, {them} not {verb} {}",
        quoted.join(", "),
        words.join(", ")
    )
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

/// A value as the user sees it in `get` and `list`: strings bare (the empty one as `""`),
/// everything else as TOML.
pub(crate) fn display_value(value: &Value) -> String {
    match value.as_str() {
        // Nothing at all would read as a missing value in listings: show the empty string.
        Some("") => "\"\"".to_owned(),
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
            (
                "visualizer.audio_file",
                " /music/demo.wav ",
                "/music/demo.wav",
            ),
            ("visualizer.audio_file", "", "\"\""),
            ("visualizer.audio_file", r#""""#, r#""""#),
            ("transitions.effect", "Blinds", "blinds"),
            ("transitions.easing", "back-in-out", "back-in-out"),
            ("transitions.pool", "", "[]"),
            ("transitions.pool", "wipe", r#"["wipe"]"#),
            (
                "transitions.pool",
                "slide, Wipe  blinds",
                r#"["slide", "wipe", "blinds"]"#,
            ),
            ("transitions.pool", r#"["DIFFUSE"]"#, r#"["diffuse"]"#),
            ("transitions.durations.slide", "0", "0"),
            ("display.monitors", "DP-1", r#"["DP-1"]"#),
            (
                "display.monitors",
                r#"["1", "HDMI 2"]"#,
                r#"["1", "HDMI 2"]"#,
            ),
            ("input.mouse_threshold_px", "200", "200"),
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
            (
                "transitions.pool",
                "slide, zoom",
                r#"transitions.pool: "slide, zoom" has "zoom", which is not one of crossfade, slide, wipe, diffuse, blinds"#,
            ),
            (
                "transitions.pool",
                r#"["zoom", "spin"]"#,
                r#"transitions.pool: "[\"zoom\", \"spin\"]" has "zoom", "spin", which are not among crossfade, slide, wipe, diffuse, blinds"#,
            ),
            (
                "transitions.easing",
                "cubic",
                r#"transitions.easing: "cubic" is not one of linear, quad-in, quad-out, quad-in-out, cubic-in, cubic-out, cubic-in-out, quart-in, quart-out, quart-in-out, expo-in, expo-out, expo-in-out, sine-in, sine-out, sine-in-out, circ-in, circ-out, circ-in-out, back-in, back-out, back-in-out"#,
            ),
            (
                "transitions.durations.wipe",
                "10001",
                r#"transitions.durations.wipe: "10001" is not between 0 and 10000"#,
            ),
            (
                "input.mouse_threshold_px",
                "0",
                r#"input.mouse_threshold_px: "0" is not between 1 and 200"#,
            ),
        ];
        for &(key, input, expected) in cases {
            let err = spec(key).parse(input).expect_err(input);
            assert_eq!(err.to_string(), expected);
        }
    }

    #[test]
    fn check_rejects_wrong_types_from_files() {
        let long = "x".repeat(4097);
        let doc: toml_edit::DocumentMut =
            format!("a = 1\nb = 'x'\nc = [1]\ne = \"a\\nb.wav\"\nf = '{long}'\n[t]\n")
                .parse()
                .expect("toml");
        let cases: &[(&str, &str, &str)] = &[
            ("display.mode", "a", "is not one of fill, fit, shrink"),
            ("display.interval_s", "b", "is not a whole number"),
            ("sources.folders", "c", "is not a list of strings"),
            ("transitions.random", "t", "is a table, not true or false"),
            ("visualizer.audio_file", "a", "is not text"),
            ("visualizer.audio_file", "e", "is not a single line"),
            ("visualizer.audio_file", "f", "is longer than 4096 bytes"),
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
    fn a_refused_word_list_keeps_its_known_words() {
        let doc: toml_edit::DocumentMut =
            "a = ['Slide', 'zoom', 'wipe']\nb = ['zoom']\nc = ['slide', 1]\nd = 'slide'\n"
                .parse()
                .expect("toml");
        let pool = spec("transitions.pool");
        let cases = [
            ("a", r#"["slide", "wipe"]"#),
            ("b", "[]"),
            ("c", "[]"),
            ("d", "[]"),
        ];
        for (field, salvaged) in cases {
            assert!(pool.check(&doc[field]).is_err(), "{field}");
            assert_eq!(toml_text(&pool.salvage(&doc[field])), salvaged, "{field}");
        }
        // Other kinds fall back to their default.
        assert_eq!(toml_text(&spec("sources.folders").salvage(&doc["c"])), "[]");
        assert_eq!(
            toml_text(&spec("display.mode").salvage(&doc["d"])),
            r#""fill""#
        );
    }

    #[test]
    fn allowed_values_in_words() {
        let cases = [
            ("sources.folders", "a list of strings"),
            (
                "transitions.pool",
                "a list drawn from crossfade, slide, wipe, diffuse, blinds",
            ),
            ("transitions.durations.blinds", "0 to 10000"),
            ("display.ken_burns_speed_pct", "10 to 400"),
        ];
        for (key, allowed) in cases {
            assert_eq!(spec(key).kind.allowed(), allowed, "{key}");
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
