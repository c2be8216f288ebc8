//! `[input]`: which mouse and keyboard activity ends the screensaver.

use serde::{Deserialize, Serialize};

use crate::options::{OptionDefault, OptionKind, OptionSpec};

/// Options of the `[input]` section.
pub const OPTIONS: &[OptionSpec] = &[
    OptionSpec {
        key: "input.hard_exit",
        label: "Only Esc and Q exit",
        help: "Only Esc and Q end the screensaver; mouse movement, clicks and other keys are \
               ignored.",
        kind: OptionKind::Bool,
        default: OptionDefault::Bool(false),
    },
    OptionSpec {
        key: "input.mouse_threshold_px",
        label: "Mouse movement to exit (pixels)",
        help: "How far the mouse must move, in pixels from where it was first seen, to end the \
               screensaver.",
        kind: OptionKind::Int { min: 1, max: 200 },
        default: OptionDefault::Int(10),
    },
];

/// The `[input]` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Input {
    /// Only Esc and Q end the screensaver; other keys, clicks and mouse movement are ignored.
    pub hard_exit: bool,
    /// Distance in pixels the mouse must move from where it was first seen to end the
    /// screensaver (1 to 200); unused when `hard_exit` is on.
    pub mouse_threshold_px: u32,
}

impl Default for Input {
    fn default() -> Self {
        Self {
            hard_exit: false,
            mouse_threshold_px: 10,
        }
    }
}
