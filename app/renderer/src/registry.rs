//! The transition registry: one `const` row per transition, with its WGSL source and option table.
//!
//! Adding a transition is one WGSL file in `shaders/` named by its key and one row here; the
//! renderer builds a pipeline per row (the file appended to the shared prelude
//! `shaders/common.wgsl`), and the settings dialog, validation and CLI overrides are meant to be
//! derived from the option tables. A transition's option values reach its shader as
//! `frame.params`, in the order of its table (at most [`MAX_OPTIONS`]).

use crate::error::ParamError;

/// The most options one transition may declare: they travel to the shader in one `vec4<f32>`.
pub const MAX_OPTIONS: usize = 4;

/// What kind of value an option holds, so the settings dialog can pick the right widget.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OptionKind {
    /// A number in `min..=max` (a slider or spin box).
    Number,
    /// One of a fixed list of named choices (a drop-down). The value is the index into the list
    /// as an `f32`; `min` is 0 and `max` the last index.
    Choice(&'static [&'static str]),
}

/// One tunable of a transition, as the settings dialog and validation see it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OptionDesc {
    /// Stable key used in settings files and on the command line.
    pub key: &'static str,
    /// Human-readable label for the settings dialog.
    pub label: &'static str,
    /// One sentence for the settings dialog's tooltip and the CLI help.
    pub help: &'static str,
    /// Number or choice.
    pub kind: OptionKind,
    /// Smallest accepted value.
    pub min: f32,
    /// Largest accepted value.
    pub max: f32,
    /// Value used when the user has not set one.
    pub default: f32,
}

impl OptionDesc {
    /// A numeric option.
    pub const fn number(
        key: &'static str,
        label: &'static str,
        help: &'static str,
        (min, max): (f32, f32),
        default: f32,
    ) -> OptionDesc {
        OptionDesc {
            key,
            label,
            help,
            kind: OptionKind::Number,
            min,
            max,
            default,
        }
    }

    /// A choice among `choices`, defaulting to `choices[default]`.
    pub const fn choice(
        key: &'static str,
        label: &'static str,
        help: &'static str,
        choices: &'static [&'static str],
        default: usize,
    ) -> OptionDesc {
        assert!(!choices.is_empty() && default < choices.len());
        OptionDesc {
            key,
            label,
            help,
            kind: OptionKind::Choice(choices),
            min: 0.0,
            max: (choices.len() - 1) as f32,
            default: default as f32,
        }
    }

    /// Brings `value` into `min..=max` (a choice also to a whole index); a NaN (from a
    /// hand-edited file) becomes the default.
    pub fn clamp(&self, value: f32) -> f32 {
        if value.is_nan() {
            return self.default;
        }
        let value = value.clamp(self.min, self.max);
        match self.kind {
            OptionKind::Number => value,
            OptionKind::Choice(_) => value.round(),
        }
    }

    /// Reads a value as written by a user: a number, or for a choice also its name (any case).
    /// The result is clamped like [`OptionDesc::clamp`]; text that is neither is refused.
    pub fn parse(&self, text: &str) -> Option<f32> {
        let text = text.trim();
        if let OptionKind::Choice(choices) = self.kind
            && let Some(index) = choices.iter().position(|c| c.eq_ignore_ascii_case(text))
        {
            return Some(index as f32);
        }
        text.parse::<f32>()
            .ok()
            .filter(|v| !v.is_nan())
            .map(|v| self.clamp(v))
    }
}

/// Description of one transition: what the user sees, and the shader that draws it.
#[derive(Debug, Clone, Copy)]
pub struct TransitionDesc {
    /// Stable key; also the file name (without `.wgsl`) of its shader in `shaders/`.
    pub key: &'static str,
    /// Human-readable name for the settings dialog.
    pub label: &'static str,
    /// How long the transition runs unless the user overrides it.
    pub default_duration_ms: u32,
    /// The transition's tunables, at most [`MAX_OPTIONS`]; may be empty.
    pub options: &'static [OptionDesc],
    /// WGSL source of the transition's `blend(pixel)`, embedded at compile time so the renderer
    /// never reads files. It is appended to `shaders/common.wgsl`, which declares the bindings,
    /// the `fetch_*` helpers and the entry point `fs_main` (exact frames at progress 0 and 1).
    pub wgsl: &'static str,
}

impl TransitionDesc {
    /// The option defaults in table order, unused entries 0: what `FrameState::params` holds
    /// when the user has set nothing.
    pub fn default_params(&self) -> [f32; MAX_OPTIONS] {
        let mut params = [0.0; MAX_OPTIONS];
        for (param, option) in params.iter_mut().zip(self.options) {
            *param = option.default;
        }
        params
    }

    /// The defaults with `values` applied by key, each clamped to its option's range. A key this
    /// transition does not have is refused; a key given twice takes its last value.
    pub fn params_from(&self, values: &[(&str, f32)]) -> Result<[f32; MAX_OPTIONS], ParamError> {
        let mut params = self.default_params();
        for &(key, value) in values {
            let (index, option) = self.option(key)?;
            params[index] = option.clamp(value);
        }
        Ok(params)
    }

    /// Like [`TransitionDesc::params_from`] for values as text (`"left"`, `"8"`), as they come
    /// from a command line or a settings file.
    pub fn parse_params(&self, values: &[(&str, &str)]) -> Result<[f32; MAX_OPTIONS], ParamError> {
        let mut params = self.default_params();
        for &(key, text) in values {
            let (index, option) = self.option(key)?;
            params[index] = option.parse(text).ok_or_else(|| ParamError::BadValue {
                transition: self.key,
                key: option.key,
                value: text.to_owned(),
            })?;
        }
        Ok(params)
    }

    /// Brings every entry of `params` into its option's range and zeroes the unused ones, so a
    /// shader never sees a value its table does not allow (a block size of 0, say).
    pub fn clamp_params(&self, params: [f32; MAX_OPTIONS]) -> [f32; MAX_OPTIONS] {
        let mut out = [0.0; MAX_OPTIONS];
        for ((out, option), value) in out.iter_mut().zip(self.options).zip(params) {
            *out = option.clamp(value);
        }
        out
    }

    fn option(&self, key: &str) -> Result<(usize, &'static OptionDesc), ParamError> {
        self.options
            .iter()
            .enumerate()
            .find(|(_, o)| o.key == key)
            .ok_or_else(|| ParamError::UnknownKey {
                transition: self.key,
                key: key.to_owned(),
                known: self.options.iter().map(|o| o.key).collect(),
            })
    }
}

/// The four straight directions, in the order the slide shader expects; the last entry asks the
/// shader to pick one from the seed.
const SLIDE_DIRECTIONS: &[&str] = &["left", "right", "up", "down", "random"];
/// The wipe's directions: four straight ones, the two diagonals (from the top-left corner towards
/// the bottom-right, and from the top-right towards the bottom-left), then "pick from the seed".
const WIPE_DIRECTIONS: &[&str] = &[
    "left",
    "right",
    "up",
    "down",
    "diagonal-down-right",
    "diagonal-down-left",
    "random",
];

/// Every transition the renderer can draw. The first row is the default.
pub const TRANSITIONS: &[TransitionDesc] = &[
    TransitionDesc {
        key: "crossfade",
        label: "Crossfade",
        default_duration_ms: 1500,
        // Crossfade's only parameter is its duration, which every transition has.
        options: &[],
        wgsl: include_str!("../../../shaders/crossfade.wgsl"),
    },
    TransitionDesc {
        key: "slide",
        label: "Slide",
        default_duration_ms: 1200,
        options: &[OptionDesc::choice(
            "direction",
            "Direction",
            "Which way the pictures move: the new one pushes the old one out of the opposite edge.",
            SLIDE_DIRECTIONS,
            4,
        )],
        wgsl: include_str!("../../../shaders/slide.wgsl"),
    },
    TransitionDesc {
        key: "wipe",
        label: "Wipe",
        default_duration_ms: 1200,
        options: &[
            OptionDesc::choice(
                "direction",
                "Direction",
                "Which way the edge travels across the screen, uncovering the new picture behind it.",
                WIPE_DIRECTIONS,
                6,
            ),
            OptionDesc::number(
                "softness",
                "Edge softness (px)",
                "Width of the blend along the moving edge in pixels; 0 is a hard edge.",
                (0.0, 64.0),
                8.0,
            ),
        ],
        wgsl: include_str!("../../../shaders/wipe.wgsl"),
    },
    TransitionDesc {
        key: "diffuse",
        label: "Diffuse",
        default_duration_ms: 1500,
        options: &[OptionDesc::number(
            "block_px",
            "Block size (px)",
            "Side of the square blocks that switch to the new picture one by one, in pixels.",
            (4.0, 256.0),
            16.0,
        )],
        wgsl: include_str!("../../../shaders/diffuse.wgsl"),
    },
    TransitionDesc {
        key: "blinds",
        label: "Blinds",
        default_duration_ms: 1500,
        options: &[
            OptionDesc::number(
                "count",
                "Slats",
                "How many slats the picture is cut into.",
                (2.0, 64.0),
                12.0,
            ),
            OptionDesc::choice(
                "orientation",
                "Orientation",
                "Horizontal slats (stacked top to bottom) or vertical ones (side by side).",
                &["horizontal", "vertical"],
                0,
            ),
        ],
        wgsl: include_str!("../../../shaders/blinds.wgsl"),
    },
];

/// A transition known to exist in [`TRANSITIONS`].
///
/// The index is private, so a `TransitionId` can only come from the registry itself and the
/// renderer never has to handle an unknown transition at draw time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TransitionId(usize);

impl TransitionId {
    /// The crossfade transition (the registry's first row).
    pub const CROSSFADE: TransitionId = TransitionId(0);

    /// Looks a transition up by its key, as written in settings files.
    pub fn from_key(key: &str) -> Option<TransitionId> {
        TRANSITIONS
            .iter()
            .position(|t| t.key == key)
            .map(TransitionId)
    }

    /// Every registered transition, in registry order.
    pub fn all() -> impl Iterator<Item = TransitionId> {
        (0..TRANSITIONS.len()).map(TransitionId)
    }

    /// The registry row of this transition.
    pub fn desc(self) -> &'static TransitionDesc {
        &TRANSITIONS[self.0]
    }

    /// Shorthand for `self.desc().default_params()`.
    pub fn default_params(self) -> [f32; MAX_OPTIONS] {
        self.desc().default_params()
    }

    /// Position of this transition in [`TRANSITIONS`]; the renderer keeps its pipelines in the
    /// same order.
    pub(crate) fn index(self) -> usize {
        self.0
    }
}

impl Default for TransitionId {
    fn default() -> Self {
        TransitionId::CROSSFADE
    }
}

// The constant above names row 0; this keeps a reordering of the table from silently changing it.
const _: () = assert!(matches!(TRANSITIONS[0].key.as_bytes(), b"crossfade"));

// Option values travel to the shader in one vec4, so no row may declare more than four.
const _: () = {
    let mut i = 0;
    while i < TRANSITIONS.len() {
        assert!(TRANSITIONS[i].options.len() <= MAX_OPTIONS);
        i += 1;
    }
};

#[cfg(test)]
mod tests {
    use super::*;

    fn desc(key: &str) -> &'static TransitionDesc {
        TransitionId::from_key(key).expect("registered").desc()
    }

    #[test]
    fn keys_are_unique_and_resolve_to_their_own_row() {
        for id in TransitionId::all() {
            assert_eq!(TransitionId::from_key(id.desc().key), Some(id));
        }
        assert_eq!(TransitionId::from_key("no-such-transition"), None);
    }

    #[test]
    fn option_tables_are_consistent() {
        for t in TRANSITIONS {
            for (i, o) in t.options.iter().enumerate() {
                let name = format!("{}.{}", t.key, o.key);
                assert!(o.min <= o.default && o.default <= o.max, "{name} default");
                assert!(!o.help.is_empty() && !o.label.is_empty(), "{name} text");
                assert!(
                    t.options[..i].iter().all(|other| other.key != o.key),
                    "{name} is declared twice"
                );
                if let OptionKind::Choice(choices) = o.kind {
                    assert_eq!((o.min, o.max), (0.0, (choices.len() - 1) as f32), "{name}");
                    assert_eq!(o.default.fract(), 0.0, "{name} default is an index");
                }
            }
        }
    }

    #[test]
    fn option_clamp_handles_range_choice_and_nan() {
        let number = OptionDesc::number("k", "K", "help", (0.0, 2.0), 1.0);
        assert_eq!(number.clamp(-1.0), 0.0);
        assert_eq!(number.clamp(3.0), 2.0);
        assert_eq!(number.clamp(0.5), 0.5);
        assert_eq!(number.clamp(f32::NAN), 1.0);
        let choice = OptionDesc::choice("c", "C", "help", &["a", "b", "c"], 1);
        assert_eq!((choice.min, choice.max, choice.default), (0.0, 2.0, 1.0));
        assert_eq!(choice.clamp(1.4), 1.0);
        assert_eq!(choice.clamp(1.6), 2.0);
        assert_eq!(choice.clamp(7.0), 2.0);
        assert_eq!(choice.clamp(f32::NAN), 1.0);
    }

    #[test]
    fn option_parse_accepts_numbers_and_choice_names() {
        let wipe = desc("wipe");
        let direction = &wipe.options[0];
        assert_eq!(direction.parse("up"), Some(2.0));
        assert_eq!(direction.parse(" Random "), Some(6.0));
        assert_eq!(direction.parse("3"), Some(3.0));
        assert_eq!(direction.parse("sideways"), None);
        let softness = &wipe.options[1];
        assert_eq!(softness.parse("100"), Some(64.0));
        assert_eq!(softness.parse("2.5"), Some(2.5));
        assert_eq!(softness.parse("NaN"), None);
        assert_eq!(softness.parse("up"), None);
    }

    #[test]
    fn default_params_follow_the_table_and_pad_with_zero() {
        assert_eq!(TransitionId::CROSSFADE.default_params(), [0.0; 4]);
        assert_eq!(desc("slide").default_params(), [4.0, 0.0, 0.0, 0.0]);
        assert_eq!(desc("wipe").default_params(), [6.0, 8.0, 0.0, 0.0]);
        assert_eq!(desc("diffuse").default_params(), [16.0, 0.0, 0.0, 0.0]);
        assert_eq!(desc("blinds").default_params(), [12.0, 0.0, 0.0, 0.0]);
    }

    #[test]
    fn params_from_sets_by_key_and_clamps() {
        let wipe = desc("wipe");
        assert_eq!(
            wipe.params_from(&[("softness", 1000.0), ("direction", 1.0)]),
            Ok([1.0, 64.0, 0.0, 0.0])
        );
        assert_eq!(
            wipe.params_from(&[("softness", -1.0), ("softness", 3.0)]),
            Ok([6.0, 3.0, 0.0, 0.0]),
            "the last value of a repeated key wins"
        );
        assert!(matches!(
            wipe.params_from(&[("speed", 1.0)]),
            Err(ParamError::UnknownKey { transition: "wipe", ref key, .. }) if key == "speed"
        ));
        assert_eq!(
            desc("blinds").parse_params(&[("orientation", "vertical"), ("count", "3")]),
            Ok([3.0, 1.0, 0.0, 0.0])
        );
        assert!(matches!(
            desc("blinds").parse_params(&[("orientation", "diagonal")]),
            Err(ParamError::BadValue {
                key: "orientation",
                ..
            })
        ));
    }

    #[test]
    fn clamp_params_bounds_every_used_entry_and_zeroes_the_rest() {
        let diffuse = desc("diffuse");
        assert_eq!(
            diffuse.clamp_params([0.0, 5.0, f32::NAN, 1.0]),
            [4.0, 0.0, 0.0, 0.0]
        );
        assert_eq!(
            diffuse.clamp_params([f32::NAN, 0.0, 0.0, 0.0]),
            [16.0, 0.0, 0.0, 0.0]
        );
    }
}
