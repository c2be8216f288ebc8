//! `[visualizer]`: the audio-spectrum bars over the photos: where the sound comes from, how the
//! bars look and how they move.
//!
//! The mode and palette words mirror the renderer's registry tables (`VISUALIZER_MODES`,
//! `PALETTES`); the app's tests check that both sides name the same rows.

use serde::{Deserialize, Serialize};

use crate::options::{OptionDefault, OptionKind, OptionSpec};

/// Visualizer modes, in the renderer's registry order.
pub const VISUALIZER_MODES: &[&str] = &["bars", "mirror"];
/// Colour palettes, in the renderer's registry order.
pub const PALETTES: &[&str] = &["aurora", "ember", "ocean", "mono", "spectrum"];
/// Bar orders.
pub const ORDERS: &[&str] = &["left_to_right", "centre_out"];
/// Where the band of bars sits.
pub const PLACEMENTS: &[&str] = &["bottom", "top", "centre"];

/// Options of the `[visualizer]` section.
pub const OPTIONS: &[OptionSpec] = &[
    OptionSpec::toggle(
        "visualizer.enabled",
        "Show the audio visualizer",
        "Draw spectrum bars of the music the computer is playing over the photos. The bars fade \
         out while nothing plays.",
        true,
    ),
    OptionSpec {
        key: "visualizer.audio_file",
        label: "Audio file",
        help: "A WAV file to visualize (played silently, looping) instead of what the computer \
               plays. Empty means the system's audio output.",
        kind: OptionKind::Text { max_len: 4096 },
        default: OptionDefault::Text(""),
    },
    OptionSpec::choice(
        "visualizer.mode",
        "Style",
        "bars rise from a baseline; mirror grows them up and down from a centre line.",
        VISUALIZER_MODES,
    ),
    OptionSpec::int(
        "visualizer.bars",
        "Number of bars",
        "How many frequency bands are shown.",
        (8, 96),
        64,
    ),
    OptionSpec::choice(
        "visualizer.order",
        "Bar order",
        "left_to_right puts the bass on the left; centre_out puts it in the middle with the \
         treble mirrored towards both edges.",
        ORDERS,
    ),
    OptionSpec::int(
        "visualizer.low_hz",
        "Lowest frequency (Hz)",
        "The lowest frequency shown, in Hz.",
        (20, 1000),
        50,
    ),
    OptionSpec::int(
        "visualizer.high_hz",
        "Highest frequency (Hz)",
        "The highest frequency shown, in Hz.",
        (2000, 20_000),
        10_000,
    ),
    OptionSpec::choice(
        "visualizer.placement",
        "Position",
        "Where the bars sit on the screen.",
        PLACEMENTS,
    ),
    OptionSpec::int(
        "visualizer.height_pct",
        "Height (% of screen)",
        "Height of the band of bars, in percent of the screen's height.",
        (5, 100),
        25,
    ),
    OptionSpec::int(
        "visualizer.width_pct",
        "Width (% of screen)",
        "Width of the band of bars, in percent of the screen's width (centred).",
        (10, 100),
        80,
    ),
    OptionSpec::int(
        "visualizer.gap_pct",
        "Gap between bars (%)",
        "Space between neighbouring bars, in percent of a bar's pitch.",
        (0, 80),
        25,
    ),
    OptionSpec::choice(
        "visualizer.palette",
        "Colours",
        "The bars' colour gradient: aurora, ember, ocean, mono, or spectrum (a hue per bar).",
        PALETTES,
    ),
    OptionSpec::int(
        "visualizer.opacity_pct",
        "Opacity (%)",
        "How opaque the bars are over the photo, in percent.",
        (10, 100),
        85,
    ),
    OptionSpec::int(
        "visualizer.ghost_opacity_pct",
        "Peak marker opacity (%)",
        "Opacity of the peak markers that hold above each bar and then fall; 0 hides them.",
        (0, 100),
        60,
    ),
    OptionSpec::int(
        "visualizer.fall_ms",
        "Fall time (ms)",
        "How long a bar takes to fall from full height to nothing, in milliseconds.",
        (100, 5000),
        600,
    ),
    OptionSpec::int(
        "visualizer.floor_db",
        "Noise floor (dB)",
        "Sound quieter than this (decibels below full scale) shows as empty bars.",
        (-100, -20),
        -70,
    ),
    OptionSpec::toggle(
        "visualizer.auto_sensitivity",
        "Automatic sensitivity",
        "Scale the bars so quiet and loud music both fill them.",
        true,
    ),
    OptionSpec::int(
        "visualizer.tick_hz",
        "Updates per second",
        "How often the spectrum is analysed and the bars move.",
        (30, 120),
        60,
    ),
    OptionSpec::int(
        "visualizer.hide_after_s",
        "Hide after silence (s)",
        "The bars fade out after this many seconds without sound, and come back with it.",
        (1, 600),
        10,
    ),
];

/// The `[visualizer]` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Visualizer {
    /// Draw the bars.
    pub enabled: bool,
    /// A WAV file to visualize instead of the loopback device; empty for none.
    pub audio_file: String,
    /// Visualizer mode (a row of [`VISUALIZER_MODES`]).
    pub mode: String,
    /// Number of bars.
    pub bars: u16,
    /// Bar order (a word of [`ORDERS`]).
    pub order: String,
    /// Lowest frequency shown, Hz.
    pub low_hz: u32,
    /// Highest frequency shown, Hz.
    pub high_hz: u32,
    /// Where the band sits (a word of [`PLACEMENTS`]).
    pub placement: String,
    /// Band height, percent of the screen.
    pub height_pct: u8,
    /// Band width, percent of the screen.
    pub width_pct: u8,
    /// Gap between bars, percent of the pitch.
    pub gap_pct: u8,
    /// Palette (a row of [`PALETTES`]).
    pub palette: String,
    /// Bar opacity, percent.
    pub opacity_pct: u8,
    /// Peak marker opacity, percent.
    pub ghost_opacity_pct: u8,
    /// Full-height fall time, ms.
    pub fall_ms: u32,
    /// Noise floor, dBFS.
    pub floor_db: i16,
    /// Automatic sensitivity.
    pub auto_sensitivity: bool,
    /// Analysis ticks per second.
    pub tick_hz: u16,
    /// Seconds of silence before the bars fade out.
    pub hide_after_s: u32,
}

impl Default for Visualizer {
    fn default() -> Self {
        Self {
            enabled: true,
            audio_file: String::new(),
            mode: VISUALIZER_MODES[0].to_owned(),
            bars: 64,
            order: ORDERS[0].to_owned(),
            low_hz: 50,
            high_hz: 10_000,
            placement: PLACEMENTS[0].to_owned(),
            height_pct: 25,
            width_pct: 80,
            gap_pct: 25,
            palette: PALETTES[0].to_owned(),
            opacity_pct: 85,
            ghost_opacity_pct: 60,
            fall_ms: 600,
            floor_db: -70,
            auto_sensitivity: true,
            tick_hz: 60,
            hide_after_s: 10,
        }
    }
}
