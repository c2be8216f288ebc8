//! The transition registry: one `const` row per transition, with its WGSL source and option table.
//!
//! Adding a transition is one WGSL file in `shaders/` named by its key and one row here; the
//! renderer builds a pipeline per row, and the settings dialog, validation and CLI overrides are
//! meant to be derived from the option tables.

/// One tunable of a transition, as the settings dialog and validation see it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OptionDesc {
    /// Stable key used in settings files and on the command line.
    pub key: &'static str,
    /// Human-readable label for the settings dialog.
    pub label: &'static str,
    /// Smallest accepted value.
    pub min: f32,
    /// Largest accepted value.
    pub max: f32,
    /// Value used when the user has not set one.
    pub default: f32,
}

impl OptionDesc {
    /// Brings `value` into `min..=max`; a NaN (from a hand-edited file) becomes the default.
    pub fn clamp(&self, value: f32) -> f32 {
        if value.is_nan() {
            self.default
        } else {
            value.clamp(self.min, self.max)
        }
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
    /// The transition's tunables; may be empty.
    pub options: &'static [OptionDesc],
    /// WGSL source, embedded at compile time so the renderer never reads files.
    pub wgsl: &'static str,
}

/// Every transition the renderer can draw. The first row is the default.
pub const TRANSITIONS: &[TransitionDesc] = &[TransitionDesc {
    key: "crossfade",
    label: "Crossfade",
    default_duration_ms: 1500,
    // Crossfade's only parameter is its duration, which every transition has.
    options: &[],
    wgsl: include_str!("../../../shaders/crossfade.wgsl"),
}];

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_resolve_to_their_own_row() {
        for id in TransitionId::all() {
            assert_eq!(TransitionId::from_key(id.desc().key), Some(id));
        }
        assert_eq!(TransitionId::from_key("no-such-transition"), None);
    }

    #[test]
    fn option_defaults_lie_inside_their_ranges() {
        for t in TRANSITIONS {
            for o in t.options {
                assert!(
                    o.min <= o.default && o.default <= o.max,
                    "{}.{}",
                    t.key,
                    o.key
                );
            }
        }
    }

    #[test]
    fn option_clamp_handles_range_and_nan() {
        let o = OptionDesc {
            key: "k",
            label: "K",
            min: 0.0,
            max: 2.0,
            default: 1.0,
        };
        assert_eq!(o.clamp(-1.0), 0.0);
        assert_eq!(o.clamp(3.0), 2.0);
        assert_eq!(o.clamp(0.5), 0.5);
        assert_eq!(o.clamp(f32::NAN), 1.0);
    }
}
