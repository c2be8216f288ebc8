//! File-format versions and the migration chain that upgrades older settings documents.
//!
//! `MIGRATIONS[i]` turns a version `i + 1` document into a version `i + 2` one, editing the
//! `toml_edit` document in place so the user's comments and unknown keys survive. A file
//! without `version` predates versioning and counts as version 1.

use toml_edit::{DocumentMut, Item, Value};

/// The settings format version this build reads and writes.
pub const CURRENT_VERSION: u32 = 1;

/// One upgrade step: edits a version N document into version N + 1 (the runner updates the
/// `version` key itself).
pub(crate) type Migration = fn(&mut DocumentMut);

/// The upgrade chain; its length must stay `CURRENT_VERSION - 1`.
pub(crate) const MIGRATIONS: &[Migration] = &[];

const _: () = assert!(MIGRATIONS.len() + 1 == CURRENT_VERSION as usize);

/// What the `version` key of a document says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FileVersion {
    /// No `version` key: a pre-release file, treated as version 1.
    Missing,
    /// A usable version number (at least 1).
    Valid(u32),
    /// Something that is not a version number; the TOML text of it.
    Invalid(String),
}

impl FileVersion {
    /// Reads the `version` key of `doc`.
    pub(crate) fn of(doc: &DocumentMut) -> Self {
        match doc.get("version") {
            None => Self::Missing,
            Some(item) => match item.as_integer().map(u32::try_from) {
                Some(Ok(v)) if v >= 1 => Self::Valid(v),
                _ => Self::Invalid(item_text(item)),
            },
        }
    }

    /// The version the document is treated as: missing or invalid count as version 1.
    pub(crate) fn effective(&self) -> u32 {
        match self {
            Self::Valid(v) => *v,
            Self::Missing | Self::Invalid(_) => 1,
        }
    }
}

/// The document is newer than the chain knows how to handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TooNew {
    /// The version found in the document.
    pub(crate) found: u32,
    /// The newest version the chain produces.
    pub(crate) supported: u32,
}

/// Runs the steps of `chain` needed to bring a document at version `from` to the chain's
/// newest version (`chain.len() + 1`), setting `version` after each step. Returns the number
/// of steps run; a document that is already current is left untouched.
pub(crate) fn upgrade(
    doc: &mut DocumentMut,
    from: u32,
    chain: &[Migration],
) -> Result<usize, TooNew> {
    let supported = newest(chain);
    if from > supported {
        return Err(TooNew {
            found: from,
            supported,
        });
    }
    let start = from.saturating_sub(1) as usize;
    for (index, step) in chain.iter().enumerate().skip(start) {
        step(doc);
        let reached = i64::try_from(index + 2).unwrap_or(i64::MAX);
        set_version(doc, reached);
    }
    Ok(chain.len() - start.min(chain.len()))
}

/// The version a chain upgrades to.
pub(crate) fn newest(chain: &[Migration]) -> u32 {
    u32::try_from(chain.len() + 1).unwrap_or(u32::MAX)
}

/// Writes `version = n`, keeping the comment and spacing of an existing `version` line.
pub(crate) fn set_version(doc: &mut DocumentMut, n: i64) {
    match doc.get_mut("version") {
        Some(Item::Value(old)) if old.as_integer() == Some(n) => {}
        Some(Item::Value(old)) => {
            let decor = old.decor().clone();
            *old = Value::from(n);
            *old.decor_mut() = decor;
        }
        _ => {
            let root = doc.as_table_mut();
            root.insert("version", Item::Value(Value::from(n)));
            // Put `version` first, taking over the comment above the old first line.
            let first = root
                .iter()
                .find(|(_, item)| item.is_value())
                .map(|(key, _)| key.to_owned());
            let comment = first.filter(|key| key != "version").and_then(|key| {
                let mut key = root.key_mut(&key)?;
                let prefix = key.leaf_decor().prefix().cloned();
                key.leaf_decor_mut().set_prefix("");
                prefix
            });
            root.sort_values_by(|a, _, b, _| (a.get() != "version").cmp(&(b.get() != "version")));
            if let (Some(comment), Some(mut key)) = (comment, root.key_mut("version")) {
                key.leaf_decor_mut().set_prefix(comment);
            }
        }
    }
}

fn item_text(item: &Item) -> String {
    match item.as_value() {
        Some(value) => crate::options::toml_text(value),
        None => "a table".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// v1 → v2: `display.scale` was renamed `display.mode`.
    fn rename_scale(doc: &mut DocumentMut) {
        let scale = doc
            .get_mut("display")
            .and_then(Item::as_table_like_mut)
            .and_then(|t| t.remove("scale"));
        if let (Some(scale), Some(display)) = (
            scale,
            doc.get_mut("display").and_then(Item::as_table_like_mut),
        ) {
            display.insert("mode", scale);
        }
    }

    /// v2 → v3: `interval` in minutes became `interval_s` in seconds.
    fn minutes_to_seconds(doc: &mut DocumentMut) {
        let Some(display) = doc.get_mut("display").and_then(Item::as_table_like_mut) else {
            return;
        };
        if let Some(minutes) = display.remove("interval").and_then(|i| i.as_integer()) {
            display.insert("interval_s", Item::Value(Value::from(minutes * 60)));
        }
    }

    const CHAIN: &[Migration] = &[rename_scale, minutes_to_seconds];

    fn doc(text: &str) -> DocumentMut {
        text.parse().expect("test TOML parses")
    }

    #[test]
    fn reads_versions() {
        let cases = [
            ("", FileVersion::Missing),
            ("version = 1", FileVersion::Valid(1)),
            ("version = 7", FileVersion::Valid(7)),
            ("version = 0", FileVersion::Invalid("0".into())),
            ("version = -3", FileVersion::Invalid("-3".into())),
            ("version = 'one'", FileVersion::Invalid("'one'".into())),
            (
                "version = 99999999999",
                FileVersion::Invalid("99999999999".into()),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(FileVersion::of(&doc(text)), expected, "{text}");
        }
    }

    #[test]
    fn upgrade_runs_only_the_needed_steps_in_order() {
        let v1 = "# mine\nversion = 1\n[display]\nscale = 'fit' # keep\ninterval = 2\n";
        let cases: &[(&str, u32, usize, &str)] = &[
            (
                v1,
                1,
                2,
                "# mine\nversion = 3\n[display]\nmode = 'fit' # keep\ninterval_s = 120\n",
            ),
            (
                "version = 2\n[display]\ninterval = 1\n",
                2,
                1,
                "version = 3\n[display]\ninterval_s = 60\n",
            ),
            (
                "version = 3\n[display]\ninterval = 1\n",
                3,
                0,
                "version = 3\n[display]\ninterval = 1\n",
            ),
        ];
        for &(before, from, steps, after) in cases {
            let mut d = doc(before);
            assert_eq!(upgrade(&mut d, from, CHAIN), Ok(steps), "{before}");
            assert_eq!(d.to_string(), after, "{before}");
        }
    }

    #[test]
    fn upgrade_refuses_newer_documents_untouched() {
        let mut d = doc("version = 4\n[display]\nscale = 'fit'\n");
        assert_eq!(
            upgrade(&mut d, 4, CHAIN),
            Err(TooNew {
                found: 4,
                supported: 3
            })
        );
        assert_eq!(d.to_string(), "version = 4\n[display]\nscale = 'fit'\n");
    }

    #[test]
    fn todays_chain_is_a_no_op_at_the_current_version() {
        let mut d = doc("[display]\nmode = 'fit'\n");
        assert_eq!(upgrade(&mut d, 1, MIGRATIONS), Ok(0));
        assert_eq!(d.to_string(), "[display]\nmode = 'fit'\n");
        assert_eq!(newest(MIGRATIONS), CURRENT_VERSION);
    }
}
