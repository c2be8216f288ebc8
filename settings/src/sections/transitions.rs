//! `[transitions]`: how one photo gives way to the next.

use serde::{Deserialize, Serialize};

use crate::options::{OptionDefault, OptionKind, OptionSpec};

/// Options of the `[transitions]` section.
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
];

/// The `[transitions]` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Transitions {
    /// Length of a transition in milliseconds (100 to 10000).
    pub duration_ms: u32,
    /// Whether each change picks a random transition effect.
    pub random: bool,
}

impl Default for Transitions {
    fn default() -> Self {
        Self {
            duration_ms: 1500,
            random: true,
        }
    }
}
