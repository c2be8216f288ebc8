//! `[display]`: which monitors show photos, how photos are scaled and moved, and how long each
//! one stays.

use serde::{Deserialize, Serialize};

use crate::options::{OptionDefault, OptionKind, OptionSpec};

/// Options of the `[display]` section.
pub const OPTIONS: &[OptionSpec] = &[
    OptionSpec {
        key: "display.mode",
        label: "Scaling",
        help: "How photos are scaled to a screen: fill crops to cover it, fit shows the whole \
               photo with borders, shrink is like fit but never enlarges small photos.",
        kind: OptionKind::Enum {
            values: &["fill", "fit", "shrink"],
        },
        default: OptionDefault::Enum("fill"),
    },
    OptionSpec {
        key: "display.interval_s",
        label: "Seconds per photo",
        help: "How many seconds each photo stays on screen.",
        kind: OptionKind::Int { min: 3, max: 3600 },
        default: OptionDefault::Int(12),
    },
    OptionSpec {
        key: "display.same_image_all_monitors",
        label: "Same photo on every monitor",
        help: "Show one photo on all monitors instead of a different photo on each.",
        kind: OptionKind::Bool,
        default: OptionDefault::Bool(false),
    },
    OptionSpec {
        key: "display.blur_bars",
        label: "Blurred borders",
        help: "In fit and shrink modes, fill the borders with a blurred, darkened copy of the \
               photo instead of black.",
        kind: OptionKind::Bool,
        default: OptionDefault::Bool(true),
    },
    OptionSpec {
        key: "display.sharpen",
        label: "Sharpen downscaled photos",
        help: "Sharpen lightly when a photo is shrunk to less than half its size.",
        kind: OptionKind::Bool,
        default: OptionDefault::Bool(true),
    },
    OptionSpec {
        key: "display.monitors",
        label: "Monitors",
        help: "The monitors that show photos, by number counting from 1 (\"1\", \"2\") or by \
               name as the operating system reports it (e.g. \"DP-1\"). Empty means every \
               monitor.",
        kind: OptionKind::StringList { allowed: None },
        default: OptionDefault::StringList(&[]),
    },
    OptionSpec {
        key: "display.ken_burns",
        label: "Pan and zoom",
        help: "Slow pan and zoom while a photo is shown.",
        kind: OptionKind::Bool,
        default: OptionDefault::Bool(true),
    },
    OptionSpec {
        key: "display.ken_burns_zoom_pct",
        label: "Largest zoom (%)",
        help: "How far pan and zoom enlarges a photo at most, in percent of its shown size.",
        kind: OptionKind::Int { min: 100, max: 200 },
        default: OptionDefault::Int(115),
    },
    OptionSpec {
        key: "display.ken_burns_speed_pct",
        label: "Pan and zoom speed (%)",
        help: "How fast photos pan and zoom, in percent of the normal speed.",
        kind: OptionKind::Int { min: 10, max: 400 },
        default: OptionDefault::Int(100),
    },
];

/// How photos are scaled to a screen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DisplayMode {
    /// Scale to cover the whole screen, cropping what overflows.
    #[default]
    Fill,
    /// Scale to show the whole photo, leaving borders.
    Fit,
    /// Like `Fit`, but never enlarge a photo beyond its own size.
    Shrink,
}

/// The `[display]` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Display {
    /// How photos are scaled to a screen.
    pub mode: DisplayMode,
    /// Seconds each photo stays on screen (3 to 3600).
    pub interval_s: u32,
    /// Whether all monitors show the same photo.
    pub same_image_all_monitors: bool,
    /// Fit/shrink: blurred copy of the photo in the borders instead of black.
    pub blur_bars: bool,
    /// Light sharpening when a photo is downscaled by more than 2×.
    pub sharpen: bool,
    /// The monitors that show photos: 1-based numbers (`"2"`) or the names the operating
    /// system reports (`"DP-1"`); empty means all. Entries are not checked against the
    /// monitors present, which may change between runs.
    pub monitors: Vec<String>,
    /// Slow pan and zoom ("Ken Burns effect") while a photo is shown.
    pub ken_burns: bool,
    /// Largest pan-and-zoom enlargement, in percent of the shown size (100 to 200).
    pub ken_burns_zoom_pct: u32,
    /// Pan-and-zoom speed, in percent of the normal speed (10 to 400).
    pub ken_burns_speed_pct: u32,
}

impl Default for Display {
    fn default() -> Self {
        Self {
            mode: DisplayMode::Fill,
            interval_s: 12,
            same_image_all_monitors: false,
            blur_bars: true,
            sharpen: true,
            monitors: Vec::new(),
            ken_burns: true,
            ken_burns_zoom_pct: 115,
            ken_burns_speed_pct: 100,
        }
    }
}
