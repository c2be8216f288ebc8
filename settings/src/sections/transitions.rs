//! `[transitions]`: how one photo gives way to the next: which effect, its easing and length,
//! and each effect's own options (`[transitions.slide]`, `[transitions.wipe]`, ...). The option
//! rows mirror the renderer's registry tables key for key (the app's tests compare them).

use serde::{Deserialize, Serialize};

use crate::options::{OptionDefault, OptionKind, OptionSpec};

/// Every transition effect, by the key the renderer's registry knows it under, in the order
/// the settings dialog lists them. The app's tests check that it equals the registry's keys.
pub const TRANSITION_EFFECTS: &[&str] = &["crossfade", "slide", "wipe", "diffuse", "blinds"];

/// Every easing curve by name: `linear`, then the in, out and in-out forms of quad, cubic,
/// quart, expo, sine, circ and back (the renderer's `Easing::from_name` reads these).
pub const EASINGS: &[&str] = &[
    "linear",
    "quad-in",
    "quad-out",
    "quad-in-out",
    "cubic-in",
    "cubic-out",
    "cubic-in-out",
    "quart-in",
    "quart-out",
    "quart-in-out",
    "expo-in",
    "expo-out",
    "expo-in-out",
    "sine-in",
    "sine-out",
    "sine-in-out",
    "circ-in",
    "circ-out",
    "circ-in-out",
    "back-in",
    "back-out",
    "back-in-out",
];

/// Declares the row of one effect's own duration, `transitions.durations.<effect>`.
const fn duration(key: &'static str, label: &'static str, help: &'static str) -> OptionSpec {
    OptionSpec {
        key,
        label,
        help,
        kind: OptionKind::Int {
            min: 0,
            max: 10_000,
        },
        default: OptionDefault::Int(0),
    }
}

/// Slide directions, as the renderer's registry lists them ("random": one per transition).
pub const SLIDE_DIRECTIONS: &[&str] = &["left", "right", "up", "down", "random"];
/// Wipe directions, as the renderer's registry lists them.
pub const WIPE_DIRECTIONS: &[&str] = &[
    "left",
    "right",
    "up",
    "down",
    "diagonal-down-right",
    "diagonal-down-left",
    "random",
];
/// Blinds orientations, as the renderer's registry lists them.
pub const BLINDS_ORIENTATIONS: &[&str] = &["horizontal", "vertical"];

/// Options of the `[transitions]` section and its `durations` and per-effect subsections.
pub const OPTIONS: &[OptionSpec] = &[
    OptionSpec {
        key: "transitions.duration_ms",
        label: "Transition length (ms)",
        help: "How long the change from one photo to the next takes, in milliseconds.",
        kind: OptionKind::Int {
            min: 100,
            max: 10_000,
        },
        default: OptionDefault::Int(1500),
    },
    OptionSpec {
        key: "transitions.random",
        label: "Random transitions",
        help: "Pick a different transition effect at random for each change.",
        kind: OptionKind::Bool,
        default: OptionDefault::Bool(true),
    },
    OptionSpec {
        key: "transitions.effect",
        label: "Transition effect",
        help: "The effect used for every change when random transitions are off.",
        kind: OptionKind::Enum {
            values: TRANSITION_EFFECTS,
        },
        default: OptionDefault::Enum("crossfade"),
    },
    OptionSpec {
        key: "transitions.pool",
        label: "Effects to pick from",
        help: "The effects random transitions pick from, e.g. [\"slide\", \"wipe\"]. Empty means \
               every effect.",
        kind: OptionKind::StringList {
            allowed: Some(TRANSITION_EFFECTS),
        },
        default: OptionDefault::StringList(&[]),
    },
    OptionSpec {
        key: "transitions.easing",
        label: "Easing",
        help: "How a transition speeds up and slows down: linear keeps an even pace; the in \
               forms start slowly, the out forms end slowly, the in-out forms do both.",
        kind: OptionKind::Enum { values: EASINGS },
        default: OptionDefault::Enum("cubic-in-out"),
    },
    duration(
        "transitions.durations.crossfade",
        "Crossfade length (ms)",
        "Length of a crossfade in milliseconds; 0 uses transitions.duration_ms.",
    ),
    duration(
        "transitions.durations.slide",
        "Slide length (ms)",
        "Length of a slide in milliseconds; 0 uses transitions.duration_ms.",
    ),
    duration(
        "transitions.durations.wipe",
        "Wipe length (ms)",
        "Length of a wipe in milliseconds; 0 uses transitions.duration_ms.",
    ),
    duration(
        "transitions.durations.diffuse",
        "Diffuse length (ms)",
        "Length of a diffuse transition in milliseconds; 0 uses transitions.duration_ms.",
    ),
    duration(
        "transitions.durations.blinds",
        "Blinds length (ms)",
        "Length of a blinds transition in milliseconds; 0 uses transitions.duration_ms.",
    ),
    OptionSpec {
        key: "transitions.slide.direction",
        label: "Slide direction",
        help: "Which way the pictures move: the new one pushes the old one out of the opposite \
               edge; random picks one per change.",
        kind: OptionKind::Enum {
            values: SLIDE_DIRECTIONS,
        },
        default: OptionDefault::Enum("random"),
    },
    OptionSpec {
        key: "transitions.wipe.direction",
        label: "Wipe direction",
        help: "Which way the edge travels across the screen, uncovering the new picture behind \
               it; random picks one per change.",
        kind: OptionKind::Enum {
            values: WIPE_DIRECTIONS,
        },
        default: OptionDefault::Enum("random"),
    },
    OptionSpec {
        key: "transitions.wipe.softness",
        label: "Wipe edge softness (px)",
        help: "Width of the blend along the moving edge in pixels; 0 is a hard edge.",
        kind: OptionKind::Int { min: 0, max: 64 },
        default: OptionDefault::Int(8),
    },
    OptionSpec {
        key: "transitions.diffuse.block_px",
        label: "Diffuse block size (px)",
        help: "Side of the square blocks that switch to the new picture one by one, in pixels.",
        kind: OptionKind::Int { min: 4, max: 256 },
        default: OptionDefault::Int(16),
    },
    OptionSpec {
        key: "transitions.blinds.count",
        label: "Blinds slats",
        help: "How many slats the picture is cut into.",
        kind: OptionKind::Int { min: 2, max: 64 },
        default: OptionDefault::Int(12),
    },
    OptionSpec {
        key: "transitions.blinds.orientation",
        label: "Blinds orientation",
        help: "Horizontal slats (stacked top to bottom) or vertical ones (side by side).",
        kind: OptionKind::Enum {
            values: BLINDS_ORIENTATIONS,
        },
        default: OptionDefault::Enum("horizontal"),
    },
];

/// The `[transitions]` section.
///
/// Effect and easing names are kept as the strings the renderer's registry and easing table
/// look up; after loading they are always entries of [`TRANSITION_EFFECTS`] and [`EASINGS`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Transitions {
    /// Length of a transition in milliseconds (100 to 10000), unless its effect has its own.
    pub duration_ms: u32,
    /// Whether each change picks a random transition effect.
    pub random: bool,
    /// The effect used when `random` is off; one of [`TRANSITION_EFFECTS`].
    pub effect: String,
    /// The effects `random` picks from, each one of [`TRANSITION_EFFECTS`]; empty means all.
    pub pool: Vec<String>,
    /// The easing curve of every transition; one of [`EASINGS`].
    pub easing: String,
    /// Per-effect lengths overriding `duration_ms`; read them through
    /// [`Transitions::duration_ms_for`].
    pub durations: TransitionDurations,
    /// `[transitions.slide]`.
    pub slide: SlideOptions,
    /// `[transitions.wipe]`.
    pub wipe: WipeOptions,
    /// `[transitions.diffuse]`.
    pub diffuse: DiffuseOptions,
    /// `[transitions.blinds]`.
    pub blinds: BlindsOptions,
}

/// `[transitions.slide]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SlideOptions {
    /// One of [`SLIDE_DIRECTIONS`].
    pub direction: String,
}

impl Default for SlideOptions {
    fn default() -> Self {
        Self {
            direction: "random".to_owned(),
        }
    }
}

/// `[transitions.wipe]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WipeOptions {
    /// One of [`WIPE_DIRECTIONS`].
    pub direction: String,
    /// Soft edge width in pixels (0 to 64).
    pub softness: u32,
}

impl Default for WipeOptions {
    fn default() -> Self {
        Self {
            direction: "random".to_owned(),
            softness: 8,
        }
    }
}

/// `[transitions.diffuse]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DiffuseOptions {
    /// Block side in pixels (4 to 256).
    pub block_px: u32,
}

impl Default for DiffuseOptions {
    fn default() -> Self {
        Self { block_px: 16 }
    }
}

/// `[transitions.blinds]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BlindsOptions {
    /// Number of slats (2 to 64).
    pub count: u32,
    /// One of [`BLINDS_ORIENTATIONS`].
    pub orientation: String,
}

impl Default for BlindsOptions {
    fn default() -> Self {
        Self {
            count: 12,
            orientation: "horizontal".to_owned(),
        }
    }
}

impl Default for Transitions {
    fn default() -> Self {
        Self {
            duration_ms: 1500,
            random: true,
            effect: "crossfade".to_owned(),
            pool: Vec::new(),
            easing: "cubic-in-out".to_owned(),
            durations: TransitionDurations::default(),
            slide: SlideOptions::default(),
            wipe: WipeOptions::default(),
            diffuse: DiffuseOptions::default(),
            blinds: BlindsOptions::default(),
        }
    }
}

/// `[transitions.durations]`: one length per effect in milliseconds (0 to 10000), where 0
/// means "use `transitions.duration_ms`".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TransitionDurations {
    /// Length of a crossfade; 0 uses the common length.
    pub crossfade: u32,
    /// Length of a slide; 0 uses the common length.
    pub slide: u32,
    /// Length of a wipe; 0 uses the common length.
    pub wipe: u32,
    /// Length of a diffuse transition; 0 uses the common length.
    pub diffuse: u32,
    /// Length of a blinds transition; 0 uses the common length.
    pub blinds: u32,
}

impl TransitionDurations {
    /// The length set for `effect`; 0 when it has none of its own or is not an effect.
    fn get(&self, effect: &str) -> u32 {
        match effect {
            "crossfade" => self.crossfade,
            "slide" => self.slide,
            "wipe" => self.wipe,
            "diffuse" => self.diffuse,
            "blinds" => self.blinds,
            _ => 0,
        }
    }
}

impl Transitions {
    /// The options set for `effect`, as (renderer option key, value as text) pairs ready for
    /// the renderer's `parse_params`; empty for an effect without options or no effect.
    pub fn effect_options(&self, effect: &str) -> Vec<(&'static str, String)> {
        match effect {
            "slide" => vec![("direction", self.slide.direction.clone())],
            "wipe" => vec![
                ("direction", self.wipe.direction.clone()),
                ("softness", self.wipe.softness.to_string()),
            ],
            "diffuse" => vec![("block_px", self.diffuse.block_px.to_string())],
            "blinds" => vec![
                ("count", self.blinds.count.to_string()),
                ("orientation", self.blinds.orientation.clone()),
            ],
            _ => Vec::new(),
        }
    }

    /// How long a transition with `effect` (a key of [`TRANSITION_EFFECTS`]) takes, in
    /// milliseconds: the effect's own length when set (non-zero), otherwise `duration_ms`. A
    /// name that is no effect gets `duration_ms` too.
    pub fn duration_ms_for(&self, effect: &str) -> u32 {
        match self.durations.get(effect) {
            0 => self.duration_ms,
            own => own,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::find_option;

    #[test]
    fn duration_ms_for_prefers_the_effects_own_length() {
        let t = Transitions {
            duration_ms: 1500,
            durations: TransitionDurations {
                slide: 800,
                blinds: 10_000,
                ..TransitionDurations::default()
            },
            ..Transitions::default()
        };
        let cases = [
            ("crossfade", 1500),
            ("slide", 800),
            ("wipe", 1500),
            ("diffuse", 1500),
            ("blinds", 10_000),
            ("spin", 1500),
            ("", 1500),
        ];
        for (effect, expected) in cases {
            assert_eq!(t.duration_ms_for(effect), expected, "{effect}");
        }
    }

    #[test]
    fn every_effect_has_its_own_length_row_and_field() {
        let durations = TransitionDurations {
            crossfade: 1,
            slide: 2,
            wipe: 3,
            diffuse: 4,
            blinds: 5,
        };
        let mut fields = Vec::new();
        for &effect in TRANSITION_EFFECTS {
            let key = format!("transitions.durations.{effect}");
            assert!(find_option(&key).is_some(), "{key}");
            fields.push(durations.get(effect));
        }
        fields.sort_unstable();
        assert_eq!(fields, [1, 2, 3, 4, 5], "each effect reads its own field");
    }

    #[test]
    fn every_effect_option_row_is_read_by_effect_options_with_its_default() {
        let t = Transitions::default();
        let mut read = Vec::new();
        for &effect in TRANSITION_EFFECTS {
            for (key, value) in t.effect_options(effect) {
                let row = format!("transitions.{effect}.{key}");
                let spec = find_option(&row).unwrap_or_else(|| panic!("no row {row}"));
                let default = match spec.default {
                    crate::options::OptionDefault::Int(v) => v.to_string(),
                    crate::options::OptionDefault::Enum(v) => v.to_owned(),
                    other => panic!("{row}: unexpected default {other:?}"),
                };
                assert_eq!(value, default, "{row}: the struct default is the row's");
                read.push(row);
            }
        }
        let rows: Vec<String> = OPTIONS
            .iter()
            .map(|o| o.key)
            .filter(|k| {
                let rest = k.strip_prefix("transitions.").unwrap_or("");
                rest.contains('.') && !rest.starts_with("durations.")
            })
            .map(str::to_owned)
            .collect();
        assert_eq!(read, rows, "every option row is read, in table order");
        assert!(t.effect_options("crossfade").is_empty());
        assert!(t.effect_options("spin").is_empty());
    }

    #[test]
    fn easings_are_linear_then_three_forms_of_each_curve() {
        let curves = ["quad", "cubic", "quart", "expo", "sine", "circ", "back"];
        let mut expected = vec!["linear".to_owned()];
        for curve in curves {
            for form in ["in", "out", "in-out"] {
                expected.push(format!("{curve}-{form}"));
            }
        }
        assert_eq!(EASINGS, expected);
    }
}
