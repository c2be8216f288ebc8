//! The load pipeline after parsing, free of I/O: migrate, validate every option against its
//! table row, repair what is invalid, note unknown keys, build the typed [`Settings`].

use toml_edit::{DocumentMut, Item};
use tracing::{error, info, warn};

use crate::docpath::{Lookup, insert, lookup, unknown_keys};
use crate::migrate::{FileVersion, MIGRATIONS, Migration, TooNew, upgrade};
use crate::options::{options, toml_text};
use crate::{CURRENT_VERSION, Repair, Settings};

/// What a parsed document amounts to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Evaluation {
    /// The effective settings: valid values from the document, defaults elsewhere.
    pub(crate) settings: Settings,
    /// Invalid values replaced, in table order (cross-field repairs last).
    pub(crate) repaired: Vec<Repair>,
    /// Keys no option claims.
    pub(crate) unknown_keys: Vec<String>,
    /// The document's version when newer than the chain supports.
    pub(crate) newer_version: Option<u32>,
}

/// Evaluates `doc` with today's migration chain, logging each repair and unknown key.
pub(crate) fn evaluate(doc: DocumentMut) -> Evaluation {
    evaluate_with(doc, MIGRATIONS)
}

/// Evaluates `doc`, upgrading it with `chain` first (tests inject their own chain).
pub(crate) fn evaluate_with(mut doc: DocumentMut, chain: &[Migration]) -> Evaluation {
    let mut repaired = Vec::new();
    let version = FileVersion::of(&doc);
    if let FileVersion::Invalid(found) = &version {
        repaired.push(Repair {
            key: "version".to_owned(),
            found: found.clone(),
            used: "1".to_owned(),
            reason: "is not a version number".to_owned(),
        });
    }
    // A newer document is read as it is: its known keys are used, nothing is migrated.
    let newer_version = match upgrade(&mut doc, version.effective(), chain) {
        Ok(0) => None,
        Ok(steps) => {
            info!(
                from = version.effective(),
                steps, "settings upgraded in memory; `set` saves it"
            );
            None
        }
        Err(TooNew { found, .. }) => Some(found),
    };

    let mut clean = DocumentMut::new();
    for spec in options() {
        match lookup(doc.as_table(), spec.key) {
            Lookup::Missing => {}
            Lookup::Found(item) => match spec.check(item) {
                Ok(value) => {
                    insert(&mut clean, spec.key, value);
                }
                Err(reason) => {
                    // Usually the default; a list of allowed words keeps its known words.
                    let used = spec.salvage(item);
                    repaired.push(Repair {
                        key: spec.key.to_owned(),
                        found: item_text(item),
                        used: toml_text(&used),
                        reason,
                    });
                    insert(&mut clean, spec.key, used);
                }
            },
            Lookup::Blocked { prefix, item } => {
                if !repaired.iter().any(|r| r.key == prefix) {
                    repaired.push(Repair {
                        key: prefix,
                        found: item_text(item),
                        used: "defaults".to_owned(),
                        reason: "is not a table".to_owned(),
                    });
                }
            }
        }
    }

    let mut settings = toml_edit::de::from_document::<Settings>(clean).unwrap_or_else(|err| {
        // Unreachable while `table_matches_struct` and the min/max round-trip tests pass.
        error!(%err, "validated settings did not deserialize; using defaults");
        Settings::default()
    });
    settings.version = CURRENT_VERSION;
    repaired.extend(settings.workers.repair_backoff());

    let unknown_keys = unknown_keys(doc.as_table(), &is_known_leaf, &is_known_table);
    for repair in &repaired {
        warn!(key = %repair.key, found = %repair.found, used = %repair.used, "invalid setting: {repair}");
    }
    for key in &unknown_keys {
        match newer_version {
            Some(found) => info!(key, "setting from settings version {found} ignored"),
            None => info!(key, "unknown setting ignored (it stays in the file)"),
        }
    }
    Evaluation {
        settings,
        repaired,
        unknown_keys,
        newer_version,
    }
}

fn is_known_leaf(path: &str) -> bool {
    path == "version" || options().any(|spec| spec.key == path)
}

fn is_known_table(path: &str) -> bool {
    options().any(|spec| {
        spec.key
            .strip_prefix(path)
            .is_some_and(|rest| rest.starts_with('.'))
    })
}

fn item_text(item: &Item) -> String {
    match item.as_value() {
        Some(value) => toml_text(value),
        None => "a table".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sections::display::DisplayMode;

    fn eval(text: &str) -> Evaluation {
        evaluate(text.parse().expect("test TOML parses"))
    }

    #[test]
    fn invalid_values_are_repaired_one_entry_per_key() {
        let cases: &[(&str, &str, &str, &str)] = &[
            (
                "[display]\nmode = 'zoom'",
                "display.mode",
                "'zoom'",
                "\"fill\"",
            ),
            ("[display]\ninterval_s = 2", "display.interval_s", "2", "12"),
            (
                "[display]\ninterval_s = '12'",
                "display.interval_s",
                "'12'",
                "12",
            ),
            (
                "[display]\ninterval_s = 12.5",
                "display.interval_s",
                "12.5",
                "12",
            ),
            (
                "[transitions]\nrandom = 'yes'",
                "transitions.random",
                "'yes'",
                "true",
            ),
            (
                "[sources]\nfolders = '/pics'",
                "sources.folders",
                "'/pics'",
                "[]",
            ),
            (
                "[sources]\nfolders = ['/a', 3]",
                "sources.folders",
                "['/a', 3]",
                "[]",
            ),
            (
                "[workers.sim]\nframe_width = 0",
                "workers.sim.frame_width",
                "0",
                "640",
            ),
            ("[logging]\nlevel = 5", "logging.level", "5", "\"info\""),
            (
                "[logging.level]\nx = 1",
                "logging.level",
                "a table",
                "\"info\"",
            ),
            ("display = 'big'", "display", "'big'", "defaults"),
            ("workers.fft = true", "workers.fft", "true", "defaults"),
            ("version = 'one'", "version", "'one'", "1"),
            (
                "[transitions]\neffect = 'spin'",
                "transitions.effect",
                "'spin'",
                "\"crossfade\"",
            ),
            (
                "[transitions]\neasing = 'bounce-out'",
                "transitions.easing",
                "'bounce-out'",
                "\"cubic-in-out\"",
            ),
            (
                "[transitions]\npool = ['slide', 'zoom', 'Wipe', 'spin']",
                "transitions.pool",
                "['slide', 'zoom', 'Wipe', 'spin']",
                "[\"slide\", \"wipe\"]",
            ),
            (
                "[transitions]\npool = ['zoom']",
                "transitions.pool",
                "['zoom']",
                "[]",
            ),
            (
                "[transitions]\npool = 'slide'",
                "transitions.pool",
                "'slide'",
                "[]",
            ),
            (
                "[transitions.durations]\nwipe = -1",
                "transitions.durations.wipe",
                "-1",
                "0",
            ),
            (
                "transitions.durations = 800",
                "transitions.durations",
                "800",
                "defaults",
            ),
            (
                "[transitions.wipe]\ndirection = 'sideways'",
                "transitions.wipe.direction",
                "'sideways'",
                "\"random\"",
            ),
            (
                "[transitions.diffuse]\nblock_px = 2",
                "transitions.diffuse.block_px",
                "2",
                "16",
            ),
            (
                "[transitions.blinds]\ncount = 65",
                "transitions.blinds.count",
                "65",
                "12",
            ),
            (
                "transitions.slide = 'left'",
                "transitions.slide",
                "'left'",
                "defaults",
            ),
            (
                "[display]\nmonitors = [1, 2]",
                "display.monitors",
                "[1, 2]",
                "[]",
            ),
            (
                "[display]\nken_burns_zoom_pct = 99",
                "display.ken_burns_zoom_pct",
                "99",
                "115",
            ),
            (
                "[display]\nken_burns_speed_pct = 401",
                "display.ken_burns_speed_pct",
                "401",
                "100",
            ),
            (
                "[input]\nmouse_threshold_px = 0",
                "input.mouse_threshold_px",
                "0",
                "10",
            ),
            (
                "[input]\nhard_exit = 'esc'",
                "input.hard_exit",
                "'esc'",
                "false",
            ),
            ("input = true", "input", "true", "defaults"),
            (
                "[workers]\nbackoff_initial_ms = 500\nbackoff_max_ms = 100",
                "workers.backoff_max_ms",
                "100",
                "500",
            ),
        ];
        for &(text, key, found, used) in cases {
            let ev = eval(text);
            assert_eq!(ev.repaired.len(), 1, "{text}: {:?}", ev.repaired);
            let r = &ev.repaired[0];
            assert_eq!(
                (r.key.as_str(), r.found.as_str(), r.used.as_str()),
                (key, found, used)
            );
            let workers = &ev.settings.workers;
            assert!(workers.backoff_max_ms >= workers.backoff_initial_ms);
        }
    }

    #[test]
    fn valid_values_are_used_and_normalised() {
        let ev = eval("[display]\nmode = 'Fit'\ninterval_s = 3600\n[sources]\nfolders = ['/a']");
        assert!(ev.repaired.is_empty());
        assert_eq!(ev.settings.display.mode, DisplayMode::Fit);
        assert_eq!(ev.settings.display.interval_s, 3600);
        assert_eq!(
            ev.settings.sources.folders,
            [std::path::PathBuf::from("/a")]
        );
    }

    #[test]
    fn a_word_list_keeps_its_known_words_in_the_typed_settings() {
        let ev = eval("[transitions]\npool = ['zoom', 'Blinds', 'slide']\n");
        assert_eq!(ev.repaired.len(), 1);
        assert_eq!(
            ev.repaired[0].to_string(),
            "transitions.pool: ['zoom', 'Blinds', 'slide'] has \"zoom\", which is not one of \
             crossfade, slide, wipe, diffuse, blinds; using [\"blinds\", \"slide\"]"
        );
        assert_eq!(ev.settings.transitions.pool, ["blinds", "slide"]);
    }

    #[test]
    fn a_bad_section_is_reported_once() {
        let ev = eval("display = 3\n");
        assert_eq!(ev.repaired.iter().filter(|r| r.key == "display").count(), 1);
        assert!(ev.unknown_keys.is_empty());
        assert_eq!(ev.settings, Settings::default());
    }

    #[test]
    fn newer_documents_are_read_best_effort() {
        let ev = eval("version = 9\nshiny = 1\n[display]\nmode = 'fit'\nsparkle = true\n");
        assert_eq!(ev.newer_version, Some(9));
        assert_eq!(ev.settings.display.mode, DisplayMode::Fit);
        assert_eq!(ev.settings.version, CURRENT_VERSION);
        assert_eq!(ev.unknown_keys, ["shiny", "display.sparkle"]);
    }

    #[test]
    fn an_injected_chain_runs_before_validation() {
        fn rename_scale(doc: &mut DocumentMut) {
            let display = doc.get_mut("display").and_then(Item::as_table_like_mut);
            if let Some(display) = display
                && let Some(scale) = display.remove("scale")
            {
                display.insert("mode", scale);
            }
        }
        let doc: DocumentMut = "[display]\nscale = 'shrink'\n".parse().expect("toml");
        let ev = evaluate_with(doc.clone(), &[rename_scale]);
        assert_eq!(ev.settings.display.mode, DisplayMode::Shrink);
        assert!(ev.unknown_keys.is_empty() && ev.repaired.is_empty());
        // Without the step the old key is merely unknown.
        let ev = evaluate(doc);
        assert_eq!(ev.settings.display.mode, DisplayMode::Fill);
        assert_eq!(ev.unknown_keys, ["display.scale"]);
    }
}
