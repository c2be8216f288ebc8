//! The typed settings model, one module per `[section]`, each beside its option table.
//!
//! **Invariant:** every leaf of a serialized [`Settings`] (except `version`) has exactly one row
//! in some section's `OPTIONS` table, and that row's default equals the struct's default; the
//! `table_matches_struct` test enforces it.

pub mod display;
pub mod input;
pub mod logging;
pub mod sources;
pub mod transitions;
pub mod visualizer;
pub mod workers;

use serde::{Deserialize, Serialize};

use crate::CURRENT_VERSION;
use display::Display;
use input::Input;
use logging::Logging;
use sources::Sources;
use transitions::Transitions;
use visualizer::Visualizer;
use workers::Workers;

/// All of Idlewild's settings, as stored in `settings.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Format version of the file; older files are upgraded on load (see [`CURRENT_VERSION`]).
    pub version: u32,
    /// How photos are shown on screens.
    pub display: Display,
    /// How one photo gives way to the next.
    pub transitions: Transitions,
    /// Which mouse and keyboard activity ends the screensaver.
    pub input: Input,
    /// Where photos come from.
    pub sources: Sources,
    /// The audio-spectrum bars.
    pub visualizer: Visualizer,
    /// Supervision of the worker processes, and which workers run.
    pub workers: Workers,
    /// Log output.
    pub logging: Logging,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            version: CURRENT_VERSION,
            display: Display::default(),
            transitions: Transitions::default(),
            input: Input::default(),
            sources: Sources::default(),
            visualizer: Visualizer::default(),
            workers: Workers::default(),
            logging: Logging::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use toml_edit::TableLike;

    use super::*;
    use crate::options::{options, toml_text};

    /// Collects `dotted.key → TOML text` for every leaf value under `table`.
    /// (The serializer writes nested structs as inline tables.)
    fn leaves(prefix: &str, table: &dyn TableLike, out: &mut BTreeMap<String, String>) {
        for (key, item) in table.iter() {
            let path = if prefix.is_empty() {
                key.to_owned()
            } else {
                format!("{prefix}.{key}")
            };
            match (item.as_table_like(), item.as_value()) {
                (Some(inner), _) => leaves(&path, inner, out),
                (None, Some(value)) => {
                    out.insert(path, toml_text(value));
                }
                _ => panic!("unexpected item at {path}: {item:?}"),
            }
        }
    }

    #[test]
    fn table_matches_struct() {
        let doc = toml_edit::ser::to_document(&Settings::default()).expect("defaults serialize");
        let mut struct_leaves = BTreeMap::new();
        leaves("", doc.as_table(), &mut struct_leaves);
        assert_eq!(
            struct_leaves.remove("version"),
            Some(CURRENT_VERSION.to_string())
        );

        let table_defaults: BTreeMap<String, String> = options()
            .map(|s| (s.key.to_owned(), toml_text(&s.default.to_value())))
            .collect();
        assert_eq!(
            table_defaults.len(),
            options().count(),
            "duplicate keys in the tables"
        );
        assert_eq!(struct_leaves, table_defaults);
    }
}
