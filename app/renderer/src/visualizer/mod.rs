//! The audio-spectrum visualizer: bars drawn over the photo in the same render pass, on the GPU
//! ([`Renderer::set_visualizer`](crate::Renderer::set_visualizer)) and in the CPU compositor
//! ([`CpuCompositor::set_visualizer`](crate::CpuCompositor::set_visualizer)).
//!
//! A mode is one row of [`VISUALIZER_MODES`] and one WGSL file in `shaders/` named by its id,
//! appended to the prelude `shaders/visualizer.wgsl`; palettes are rows of
//! [`palette::PALETTES`]. Where the bars go is decided by [`geometry`], pure integer arithmetic
//! that the WGSL repeats operation for operation, so both paths light exactly the same pixels.
//!
//! **Boundary:** levels arrive already analysed, smoothed and ordered left to right (the fft
//! worker does that, centre-out layout included); this module only draws them.

pub(crate) mod cpu;
pub mod geometry;
pub(crate) mod gpu;
pub mod palette;

use crate::RenderError;
use geometry::Spans;
pub use geometry::{BarRects, Rect, bar_rects};
pub use palette::{PALETTES, Palette, PaletteId};

/// The most bars one frame may hold (the settings allow 8 to 96).
pub const MAX_BARS: usize = 96;

/// A visualizer mode: one row of [`VISUALIZER_MODES`] and one WGSL file named by its id.
///
/// The WGSL file defines `mode_spans` and `mode_shade`; `spans` and `shade` are their Rust twins,
/// written with the same operations so the CPU compositor and the tests agree with the GPU.
#[derive(Debug, Clone, Copy)]
pub struct VisualizerMode {
    /// Stable id, as written in settings files; also the shader's file name without `.wgsl`.
    pub id: &'static str,
    /// Human-readable name for the settings dialog.
    pub label: &'static str,
    /// The mode's WGSL, embedded at compile time and appended to `shaders/visualizer.wgsl`.
    pub wgsl: &'static str,
    /// Rows of a bar and its ghost caps inside the band: `(level, ghost, cap rows, band
    /// height)`, levels in 1/65535ths (see [`geometry::quantise`]).
    pub spans: fn(u32, u32, u32, u32) -> Spans,
    /// Where a pixel row sits on the low→high gradient (0..=1, clamped by the caller): `(row
    /// centre, band height)`, the row counted down from the band's top edge.
    pub shade: fn(f32, u32) -> f32,
}

/// Every visualizer mode, in the order of the settings' `visualizer.mode` choices. The first row
/// is the default.
pub const VISUALIZER_MODES: &[VisualizerMode] = &[
    VisualizerMode {
        id: "bars",
        label: "Bars",
        wgsl: include_str!("../../../../shaders/bars.wgsl"),
        spans: geometry::bars_spans,
        shade: geometry::bars_shade,
    },
    VisualizerMode {
        id: "mirror",
        label: "Mirror",
        wgsl: include_str!("../../../../shaders/mirror.wgsl"),
        spans: geometry::mirror_spans,
        shade: geometry::mirror_shade,
    },
];

// The constant `VisualizerModeId::BARS` names row 0; this keeps a reordering from changing it.
const _: () = assert!(matches!(VISUALIZER_MODES[0].id.as_bytes(), b"bars"));

/// A mode known to exist in [`VISUALIZER_MODES`]; the index is private, so the renderer never
/// meets an unknown mode at draw time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VisualizerModeId(usize);

impl VisualizerModeId {
    /// Bars rising from the baseline (row 0).
    pub const BARS: VisualizerModeId = VisualizerModeId(0);

    /// Looks a mode up by its id, as written in settings files.
    pub fn by_id(id: &str) -> Option<VisualizerModeId> {
        VISUALIZER_MODES
            .iter()
            .position(|m| m.id == id)
            .map(VisualizerModeId)
    }

    /// Every mode, in registry order.
    pub fn all() -> impl Iterator<Item = VisualizerModeId> {
        (0..VISUALIZER_MODES.len()).map(VisualizerModeId)
    }

    /// The mode's id.
    pub fn id(self) -> &'static str {
        self.mode().id
    }

    /// The registry row of this mode.
    pub fn mode(self) -> &'static VisualizerMode {
        &VISUALIZER_MODES[self.0]
    }

    /// Position in [`VISUALIZER_MODES`]; the GPU side keeps its pipelines in the same order.
    pub(crate) fn index(self) -> usize {
        self.0
    }
}

impl Default for VisualizerModeId {
    fn default() -> Self {
        VisualizerModeId::BARS
    }
}

/// Where the band of bars sits on the screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Placement {
    /// Along the bottom edge; bars rise from it.
    #[default]
    Bottom,
    /// Along the top edge; bars hang down from it (the bottom band flipped).
    Top,
    /// Vertically centred; bars rise from the band's lower edge.
    Centre,
}

impl Placement {
    /// Every placement, in the order of the settings' `visualizer.placement` choices.
    pub const ALL: [Placement; 3] = [Placement::Bottom, Placement::Top, Placement::Centre];

    /// The word used in settings files.
    pub fn id(self) -> &'static str {
        match self {
            Placement::Bottom => "bottom",
            Placement::Top => "top",
            Placement::Centre => "centre",
        }
    }

    /// The placement a settings word names.
    pub fn by_id(id: &str) -> Option<Placement> {
        Placement::ALL.into_iter().find(|p| p.id() == id)
    }
}

/// How the bars look. Out-of-range values are clamped when drawn (NaN takes the default), so a
/// hand-edited settings file cannot break a frame.
#[derive(Clone, Debug, PartialEq)]
pub struct BarsStyle {
    /// The mode (bars or mirror).
    pub mode: VisualizerModeId,
    /// Where the band sits.
    pub placement: Placement,
    /// Band height as a fraction of the output height, `0.05..=1`.
    pub height: f32,
    /// Band width as a fraction of the output width, `0.1..=1`, centred horizontally.
    pub width: f32,
    /// Gap between bars as a fraction of the bar pitch, `0..=0.8`, split evenly on both sides of
    /// each bar.
    pub gap: f32,
    /// The named palette: bar gradient colours and the ghost cap colour.
    pub palette: PaletteId,
    /// Opacity of the peak ("ghost") caps, `0..=1`; independent of `opacity`.
    pub ghost_opacity: f32,
    /// Opacity of the bars over the photo, `0..=1`.
    pub opacity: f32,
}

impl Default for BarsStyle {
    fn default() -> Self {
        BarsStyle {
            mode: VisualizerModeId::BARS,
            placement: Placement::Bottom,
            height: 0.25,
            width: 0.8,
            gap: 0.25,
            palette: PaletteId::AURORA,
            ghost_opacity: 0.6,
            opacity: 0.85,
        }
    }
}

impl BarsStyle {
    /// This style with every number in its documented range; NaN becomes the default's value.
    pub fn sanitized(&self) -> BarsStyle {
        let default = BarsStyle::default();
        let clamp = |value: f32, (min, max): (f32, f32), fallback: f32| {
            if value.is_nan() {
                fallback
            } else {
                value.clamp(min, max)
            }
        };
        BarsStyle {
            height: clamp(self.height, (0.05, 1.0), default.height),
            width: clamp(self.width, (0.1, 1.0), default.width),
            gap: clamp(self.gap, (0.0, 0.8), default.gap),
            ghost_opacity: clamp(self.ghost_opacity, (0.0, 1.0), default.ghost_opacity),
            opacity: clamp(self.opacity, (0.0, 1.0), default.opacity),
            ..self.clone()
        }
    }
}

/// One frame's visualizer input, sanitised: what both the GPU and the CPU path draw from.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Bars {
    /// Already [sanitized](BarsStyle::sanitized).
    pub style: BarsStyle,
    /// Bars in use, `0..=MAX_BARS`; 0 draws nothing.
    pub count: usize,
    /// Levels in 1/65535ths ([`geometry::quantise`]); entries past `count` are 0.
    pub levels: [u16; MAX_BARS],
    /// Ghost levels, likewise.
    pub ghosts: [u16; MAX_BARS],
    /// `0..=1`, multiplies both opacities.
    pub fade: f32,
}

impl Default for Bars {
    /// Nothing to draw.
    fn default() -> Self {
        Bars {
            style: BarsStyle::default(),
            count: 0,
            levels: [0; MAX_BARS],
            ghosts: [0; MAX_BARS],
            fade: 0.0,
        }
    }
}

impl Bars {
    /// Checks and sanitises what `set_visualizer` was given (see its documentation).
    pub fn new(
        style: &BarsStyle,
        levels: &[f32],
        ghosts: &[f32],
        fade: f32,
    ) -> Result<Bars, RenderError> {
        if levels.len() != ghosts.len() || levels.len() > MAX_BARS {
            return Err(RenderError::BadBars {
                levels: levels.len(),
                ghosts: ghosts.len(),
                max: MAX_BARS,
            });
        }
        let mut bars = Bars {
            style: style.sanitized(),
            count: levels.len(),
            fade: if fade.is_nan() {
                0.0
            } else {
                fade.clamp(0.0, 1.0)
            },
            ..Bars::default()
        };
        for (out, &level) in bars.levels.iter_mut().zip(levels) {
            *out = geometry::quantise(level);
        }
        for (out, &ghost) in bars.ghosts.iter_mut().zip(ghosts) {
            *out = geometry::quantise(ghost);
        }
        Ok(bars)
    }

    /// Alpha of the bars: opacity times fade.
    pub fn bar_alpha(&self) -> f32 {
        self.style.opacity * self.fade
    }

    /// Alpha of the ghost caps: ghost opacity times fade.
    pub fn cap_alpha(&self) -> f32 {
        self.style.ghost_opacity * self.fade
    }

    /// False when nothing at all would be drawn, so the renderer can skip the draw call and the
    /// output stays byte-identical to the photo alone.
    pub fn visible(&self) -> bool {
        let lit = |q: &[u16]| q[..self.count].iter().any(|&v| v > 0);
        (self.bar_alpha() > 0.0 && lit(&self.levels))
            || (self.cap_alpha() > 0.0 && lit(&self.ghosts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_resolve_to_their_own_rows() {
        for id in VisualizerModeId::all() {
            assert_eq!(VisualizerModeId::by_id(id.id()), Some(id));
        }
        assert_eq!(
            VisualizerModeId::by_id("bars"),
            Some(VisualizerModeId::BARS)
        );
        assert!(VisualizerModeId::by_id("mirror").is_some());
        assert_eq!(VisualizerModeId::by_id("waves"), None);
        for p in Placement::ALL {
            assert_eq!(Placement::by_id(p.id()), Some(p));
        }
        assert_eq!(Placement::by_id("middle"), None);
    }

    #[test]
    fn sanitized_clamps_every_number_and_nan_takes_the_default() {
        let wild = BarsStyle {
            height: 0.0,
            width: 7.0,
            gap: f32::NAN,
            ghost_opacity: -1.0,
            opacity: f32::NAN,
            ..BarsStyle::default()
        }
        .sanitized();
        assert_eq!(
            (
                wild.height,
                wild.width,
                wild.gap,
                wild.ghost_opacity,
                wild.opacity
            ),
            (0.05, 1.0, 0.25, 0.0, 0.85)
        );
        assert_eq!(BarsStyle::default().sanitized(), BarsStyle::default());
    }

    #[test]
    fn bars_check_lengths_quantise_and_know_when_nothing_shows() {
        let style = BarsStyle::default();
        assert!(matches!(
            Bars::new(&style, &[0.5; 3], &[0.5; 2], 1.0),
            Err(RenderError::BadBars {
                levels: 3,
                ghosts: 2,
                ..
            })
        ));
        assert!(Bars::new(&style, &[0.5; 97], &[0.5; 97], 1.0).is_err());
        let bars = Bars::new(&style, &[1.0, f32::NAN, -2.0, 5.0], &[0.5; 4], f32::NAN)
            .expect("valid lengths");
        assert_eq!(&bars.levels[..5], &[65535, 0, 0, 65535, 0]);
        assert_eq!(bars.fade, 0.0);
        assert!(!bars.visible(), "fade 0");
        let shown = Bars { fade: 1.0, ..bars };
        assert!(shown.visible());
        assert!(!Bars::new(&style, &[], &[], 1.0).expect("empty").visible());
        assert!(
            !Bars::new(&style, &[0.0; 8], &[0.0; 8], 1.0)
                .expect("8")
                .visible()
        );
        let caps_only = Bars::new(&style, &[0.0; 8], &[0.3; 8], 1.0).expect("8");
        assert!(caps_only.visible());
        let no_caps = BarsStyle {
            ghost_opacity: 0.0,
            ..style
        };
        assert!(
            !Bars::new(&no_caps, &[0.0; 8], &[0.3; 8], 1.0)
                .expect("8")
                .visible()
        );
    }
}
