//! Where each bar and ghost cap goes, in whole pixels: the one geometry rule of the visualizer.
//!
//! Everything here is integer arithmetic on `u32` (levels in 1/65535ths, the gap in 1/256ths of
//! the pitch), and `shaders/visualizer.wgsl` with the mode files repeats it operation for
//! operation. Integer maths rounds the same on every GPU, so the CPU compositor, these tests and
//! the shaders light exactly the same pixels; rectangles are half-open (`x0..x1`, `y0..y1`), so
//! adjacent bars share an edge but never a pixel.
//!
//! The rule, for a target of `W` x `H` pixels and `n` bars:
//! - the band is `round(width·W)` x `round(height·H)` pixels, centred horizontally; at the
//!   bottom, top or vertical centre;
//! - bar `i` spans columns `round((i + gap/2)·pitch)` to `round((i + 1 − gap/2)·pitch)` from the
//!   band's left edge (pitch = band width / n), at least one column;
//! - a mode ([`bars_spans`], [`mirror_spans`]) picks the rows inside the band, measured down from
//!   its top edge as drawn at the bottom of the screen; a `Top` band is that band flipped;
//! - ghost caps are `max(2, round(band height / 60))` rows thick and lie just inside the ghost
//!   level, so a cap never leaves the band.

use super::{BarsStyle, Placement, VisualizerMode};

/// A level of 1 in the fixed-point units levels travel in.
pub const LEVEL_ONE: u32 = 65_535;

/// The largest target side the geometry handles: with it, every product below stays inside
/// `u32`, which WGSL's integers are.
pub const MAX_SIDE: u32 = 32_768;

// `scale` multiplies a level by a side; `columns` multiplies 512 · n by the band width.
const _: () = assert!(LEVEL_ONE as u64 * MAX_SIDE as u64 + 32_767 <= u32::MAX as u64);
const _: () =
    assert!((512 * super::MAX_BARS as u64 + 256) * MAX_SIDE as u64 + 256 * 96 <= u32::MAX as u64);

/// A half-open pixel rectangle: columns `x0..x1`, rows `y0..y1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Rect {
    /// First column.
    pub x0: u32,
    /// First row.
    pub y0: u32,
    /// One past the last column.
    pub x1: u32,
    /// One past the last row.
    pub y1: u32,
}

impl Rect {
    /// True when the rectangle covers no pixel.
    pub fn is_empty(&self) -> bool {
        self.x0 >= self.x1 || self.y0 >= self.y1
    }
}

/// Rows of one bar and its (at most two) ghost caps inside the band, counted down from the band's
/// top edge as drawn at the bottom of the screen; `(a, a)` is empty.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spans {
    /// The bar's rows.
    pub bar: (u32, u32),
    /// The caps' rows; a mode with one cap leaves the second empty.
    pub caps: [(u32, u32); 2],
}

/// What one bar draws, in target pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BarRects {
    /// The bar (empty at level 0).
    pub bar: Rect,
    /// The ghost caps, drawn over the bar (empty where unused or at ghost level 0).
    pub caps: [Rect; 2],
}

/// A level in `0..=1` as fixed point; NaN and negatives are 0, above 1 is 1.
pub fn quantise(level: f32) -> u16 {
    if level.is_nan() {
        return 0;
    }
    // Truncating the non-negative value plus a half rounds to nearest.
    (level.clamp(0.0, 1.0) * LEVEL_ONE as f32 + 0.5) as u16
}

/// `q` (in 1/65535ths) of `px` pixels, rounded to the nearest pixel (65535 is odd, so there are
/// no ties).
pub fn scale(q: u32, px: u32) -> u32 {
    (q * px + LEVEL_ONE / 2) / LEVEL_ONE
}

/// The `bars` mode: a bar rises from the band's bottom row; its cap's top edge sits at the ghost
/// level (or the cap rests on the baseline while the ghost is lower than the cap is thick).
pub fn bars_spans(level: u32, ghost: u32, cap: u32, band_h: u32) -> Spans {
    let cap = cap.min(band_h);
    let height = scale(level, band_h);
    let ghost = scale(ghost, band_h);
    let first_cap = if ghost == 0 {
        (0, 0)
    } else {
        let top = band_h - ghost.max(cap);
        (top, top + cap)
    };
    Spans {
        bar: (band_h - height, band_h),
        caps: [first_cap, (0, 0)],
    }
}

/// The `mirror` mode: a bar grows up and down from the band's centre line by the same number of
/// rows, each half at most half the band; one cap marks the ghost level on each side.
pub fn mirror_spans(level: u32, ghost: u32, cap: u32, band_h: u32) -> Spans {
    let centre = band_h / 2;
    let cap = cap.min(centre);
    let half = scale(level, centre);
    let ghost = scale(ghost, centre);
    let caps = if ghost == 0 || cap == 0 {
        [(0, 0); 2]
    } else {
        let reach = ghost.max(cap);
        [
            (centre - reach, centre - reach + cap),
            (centre + reach - cap, centre + reach),
        ]
    };
    Spans {
        bar: (centre - half, centre + half),
        caps,
    }
}

/// The `bars` gradient: 0 at the baseline, 1 at the band's top edge.
pub fn bars_shade(row: f32, band_h: u32) -> f32 {
    (band_h as f32 - row) / band_h as f32
}

/// The `mirror` gradient: 0 on the centre line, 1 at the band's top and bottom edges.
pub fn mirror_shade(row: f32, band_h: u32) -> f32 {
    let centre = (band_h / 2) as f32;
    (row - centre).abs() / centre.max(1.0)
}

/// The band of one style on one target, in pixels: everything per-frame drawing needs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Band {
    pub mode: &'static VisualizerMode,
    /// Left column.
    pub x0: u32,
    /// Top row.
    pub y0: u32,
    /// Width in pixels, at least 1.
    pub width: u32,
    /// Height in pixels, at least 1.
    pub height: u32,
    /// Gap between bars in 1/256ths of the pitch (0..=205).
    pub gap: u32,
    /// Ghost cap thickness in rows.
    pub cap: u32,
    /// A `Top` band: the mode's rows are flipped.
    pub flipped: bool,
}

impl Band {
    /// The band of `style` (sanitised here) on a target of `size`.
    pub fn new(style: &BarsStyle, (w, h): (u32, u32)) -> Band {
        let style = style.sanitized();
        let (w, h) = (w.clamp(1, MAX_SIDE), h.clamp(1, MAX_SIDE));
        let side = |fraction: f32, of: u32| ((fraction * of as f32 + 0.5) as u32).clamp(1, of);
        let (width, height) = (side(style.width, w), side(style.height, h));
        let y0 = match style.placement {
            Placement::Bottom => h - height,
            Placement::Top => 0,
            Placement::Centre => (h - height) / 2,
        };
        Band {
            mode: style.mode.mode(),
            x0: (w - width) / 2,
            y0,
            width,
            height,
            gap: (style.gap * 256.0 + 0.5) as u32,
            cap: ((height + 30) / 60).max(2).min(height),
            flipped: style.placement == Placement::Top,
        }
    }

    /// Columns `x0..x1` of bar `i` of `n`.
    pub fn columns(&self, i: u32, n: u32) -> (u32, u32) {
        let den = 512 * n;
        let left = ((512 * i + self.gap) * self.width + 256 * n) / den;
        let right = ((512 * (i + 1) - self.gap) * self.width + 256 * n) / den;
        // Very narrow bars would vanish under the gap; one column still shows the level. On a
        // band narrower than one column per bar that column must still lie inside the band.
        let left = left.min(self.width - 1);
        let right = right.max(left + 1).min(self.width);
        (self.x0 + left, self.x0 + right)
    }

    /// Target rows `y0..y1` of band-local `span`, flipped for a `Top` band.
    pub fn rows(&self, (a, b): (u32, u32)) -> (u32, u32) {
        if self.flipped {
            (self.y0 + self.height - b, self.y0 + self.height - a)
        } else {
            (self.y0 + a, self.y0 + b)
        }
    }

    /// Gradient position (0..=1) of target row `y`, measured at the row's centre.
    pub fn shade(&self, y: u32) -> f32 {
        let mut row = (y - self.y0) as f32 + 0.5;
        if self.flipped {
            row = self.height as f32 - row;
        }
        (self.mode.shade)(row, self.height).clamp(0.0, 1.0)
    }

    /// Bar `i` of `n` at fixed-point `level` with its caps at `ghost`.
    pub fn rects(&self, i: u32, n: u32, level: u32, ghost: u32) -> BarRects {
        let (x0, x1) = self.columns(i, n);
        let spans = (self.mode.spans)(level, ghost, self.cap, self.height);
        let rect = |span: (u32, u32)| {
            let (y0, y1) = self.rows(span);
            Rect { x0, y0, x1, y1 }
        };
        BarRects {
            bar: rect(spans.bar),
            caps: spans.caps.map(rect),
        }
    }
}

/// Bar `i` of `n` of `style` on a target of `size` pixels, at `level` with its ghost caps at
/// `ghost` (both clamped to `0..=1`, NaN as 0). `n` is clamped to `1..=MAX_BARS` and `i` to
/// `0..n`.
pub fn bar_rects(
    style: &BarsStyle,
    size: (u32, u32),
    i: usize,
    n: usize,
    level: f32,
    ghost: f32,
) -> BarRects {
    let n = n.clamp(1, super::MAX_BARS) as u32;
    let i = (i as u32).min(n - 1);
    Band::new(style, size).rects(i, n, u32::from(quantise(level)), u32::from(quantise(ghost)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::visualizer::VisualizerModeId;

    const FHD: (u32, u32) = (1920, 1080);

    fn style(placement: Placement, mode: &str) -> BarsStyle {
        BarsStyle {
            placement,
            mode: VisualizerModeId::by_id(mode).expect("registered"),
            ..BarsStyle::default()
        }
    }

    fn rect(x0: u32, x1: u32, y0: u32, y1: u32) -> Rect {
        Rect { x0, y0, x1, y1 }
    }

    #[test]
    fn quantise_rounds_and_clamps() {
        let cases = [
            (0.0, 0),
            (1.0, 65535),
            (0.5, 32768),
            (-0.1, 0),
            (7.0, 65535),
            (f32::NAN, 0),
            (f32::INFINITY, 65535),
            (f32::NEG_INFINITY, 0),
        ];
        for (level, want) in cases {
            assert_eq!(quantise(level), want, "{level}");
        }
        assert_eq!(scale(65535, 270), 270);
        assert_eq!(scale(32768, 270), 135);
        assert_eq!(scale(0, 270), 0);
        assert_eq!(scale(65535, MAX_SIDE), MAX_SIDE);
    }

    #[test]
    fn default_band_on_full_hd() {
        // 0.8 x 0.25 of 1920 x 1080, centred, on the bottom edge; caps 270 / 60 = 4.5 -> 5 rows.
        let band = Band::new(&BarsStyle::default(), FHD);
        assert_eq!(
            (band.x0, band.y0, band.width, band.height, band.cap),
            (192, 810, 1536, 270, 5)
        );
        assert_eq!(band.gap, 64);
    }

    #[test]
    fn columns_for_8_and_96_bars() {
        let s = BarsStyle::default();
        // 8 bars: pitch 192, a 48-pixel gap split 24 / 24.
        let cases = [
            (0, 192 + 24, 192 + 168),
            (1, 192 + 216, 192 + 360),
            (7, 192 + 1368, 192 + 1512),
        ];
        for (i, x0, x1) in cases {
            let r = bar_rects(&s, FHD, i, 8, 1.0, 0.0).bar;
            assert_eq!((r.x0, r.x1), (x0, x1), "bar {i} of 8");
        }
        // 96 bars: pitch 16, gap 4 -> bars of 12 columns with 2 free on each side.
        for (i, x0) in [(0, 194), (1, 210), (95, 192 + 95 * 16 + 2)] {
            let r = bar_rects(&s, FHD, i, 96, 1.0, 0.0).bar;
            assert_eq!((r.x0, r.x1), (x0, x0 + 12), "bar {i} of 96");
        }
        // No bar ever overlaps the next, and all stay inside the band.
        for n in [8, 13, 64, 96] {
            let band = Band::new(&s, FHD);
            let mut previous_end = band.x0;
            for i in 0..n {
                let (x0, x1) = band.columns(i, n);
                assert!(previous_end <= x0 && x0 < x1, "{n} bars: bar {i}");
                previous_end = x1;
            }
            assert!(previous_end <= band.x0 + band.width);
        }
    }

    #[test]
    fn gap_zero_tiles_the_band_and_the_widest_gap_leaves_a_fifth() {
        let tight = BarsStyle {
            gap: 0.0,
            ..BarsStyle::default()
        };
        let band = Band::new(&tight, (1000, 500));
        let mut edge = band.x0;
        for i in 0..7 {
            let (x0, x1) = band.columns(i, 7);
            assert_eq!(x0, edge, "bar {i} starts where the last ended");
            edge = x1;
        }
        assert_eq!(edge, band.x0 + band.width);
        let wide = BarsStyle {
            gap: 5.0,
            ..BarsStyle::default()
        };
        // Pitch 100: 0.8 of it (205/256) is gap, 40 on each side -> 20 columns of bar.
        let r = bar_rects(&wide, (1000, 500), 0, 8, 1.0, 0.0).bar;
        assert_eq!((r.x0, r.x1), (100 + 40, 100 + 60));
        // A band narrower than one column per bar still shows every bar a column wide.
        let r = bar_rects(&wide, (20, 20), 3, 96, 1.0, 0.0).bar;
        assert_eq!(r.x1 - r.x0, 1);
    }

    #[test]
    fn bars_rise_from_the_baseline_and_caps_sit_at_the_ghost_level() {
        let s = style(Placement::Bottom, "bars");
        let x = (192 + 24, 192 + 168);
        let cases = [
            // (level, ghost, bar, cap)
            (
                1.0,
                1.0,
                rect(x.0, x.1, 810, 1080),
                rect(x.0, x.1, 810, 815),
            ),
            // 0.75 quantises to 49151/65535 of 270 rows = 202.499 -> 202.
            (
                0.5,
                0.75,
                rect(x.0, x.1, 945, 1080),
                rect(x.0, x.1, 878, 883),
            ),
            // Level 0 draws nothing; so does ghost 0.
            (
                0.0,
                0.0,
                rect(x.0, x.1, 1080, 1080),
                rect(x.0, x.1, 810, 810),
            ),
            // A ghost lower than the cap is thick rests the cap on the baseline.
            (
                0.0,
                0.01,
                rect(x.0, x.1, 1080, 1080),
                rect(x.0, x.1, 1075, 1080),
            ),
            // Clamping: NaN and negatives are 0, above 1 is 1.
            (
                f32::NAN,
                2.0,
                rect(x.0, x.1, 1080, 1080),
                rect(x.0, x.1, 810, 815),
            ),
            (
                -1.0,
                -1.0,
                rect(x.0, x.1, 1080, 1080),
                rect(x.0, x.1, 810, 810),
            ),
        ];
        for (level, ghost, bar, cap) in cases {
            let r = bar_rects(&s, FHD, 0, 8, level, ghost);
            assert_eq!(r.bar.is_empty(), bar.is_empty(), "{level} {ghost}");
            if !bar.is_empty() {
                assert_eq!(r.bar, bar, "bar at {level}");
            }
            assert_eq!(r.caps[0].is_empty(), cap.is_empty(), "{level} {ghost}");
            if !cap.is_empty() {
                assert_eq!(r.caps[0], cap, "cap at {ghost}");
            }
            assert!(r.caps[1].is_empty(), "bars mode has one cap");
        }
    }

    #[test]
    fn top_hangs_down_and_centre_sits_in_the_middle() {
        let top = bar_rects(&style(Placement::Top, "bars"), FHD, 0, 8, 0.5, 0.75);
        assert_eq!((top.bar.y0, top.bar.y1), (0, 135));
        assert_eq!((top.caps[0].y0, top.caps[0].y1), (197, 202));
        // 1080 - 270 = 810 free rows, 405 above the band.
        let centre = bar_rects(&style(Placement::Centre, "bars"), FHD, 0, 8, 0.5, 0.75);
        assert_eq!((centre.bar.y0, centre.bar.y1), (405 + 135, 405 + 270));
        assert_eq!((centre.caps[0].y0, centre.caps[0].y1), (405 + 68, 405 + 73));
    }

    #[test]
    fn mirror_grows_both_ways_from_the_centre_line() {
        for (placement, y0) in [
            (Placement::Bottom, 810),
            (Placement::Top, 0),
            (Placement::Centre, 405),
        ] {
            let s = style(placement, "mirror");
            let full = bar_rects(&s, FHD, 0, 8, 1.0, 1.0);
            assert_eq!((full.bar.y0, full.bar.y1), (y0, y0 + 270), "{placement:?}");
            // One cap at each end (a flipped band swaps which is which).
            let mut caps = full.caps.map(|c| (c.y0, c.y1));
            caps.sort();
            assert_eq!(caps, [(y0, y0 + 5), (y0 + 265, y0 + 270)], "{placement:?}");
            // Half a level is 68 of the 135 rows on each side of row y0 + 135.
            let half = bar_rects(&s, FHD, 0, 8, 0.5, 0.0);
            assert_eq!((half.bar.y0, half.bar.y1), (y0 + 135 - 68, y0 + 135 + 68));
            assert!(half.caps.iter().all(Rect::is_empty));
            assert!(bar_rects(&s, FHD, 0, 8, 0.0, 0.0).bar.is_empty());
        }
    }

    #[test]
    fn shades_run_from_baseline_or_centre_to_the_far_edge() {
        let bottom = Band::new(&style(Placement::Bottom, "bars"), FHD);
        assert!(bottom.shade(1079) < 0.01 && bottom.shade(810) > 0.99);
        let top = Band::new(&style(Placement::Top, "bars"), FHD);
        assert!(top.shade(0) < 0.01 && top.shade(269) > 0.99);
        assert_eq!(
            top.shade(10),
            bottom.shade(1069),
            "a flipped band shades flipped"
        );
        let mirror = Band::new(&style(Placement::Bottom, "mirror"), FHD);
        assert!(mirror.shade(810 + 135) < 0.01);
        assert!(mirror.shade(810) > 0.99 && mirror.shade(1079) > 0.99);
    }

    #[test]
    fn odd_inputs_stay_inside_the_target() {
        for mode in ["bars", "mirror"] {
            for placement in Placement::ALL {
                for size in [(1, 1), (7, 3), (64, 48), (MAX_SIDE + 5, 2)] {
                    for n in [0, 1, 8, 96, 500] {
                        let s = BarsStyle {
                            height: 1.0,
                            width: 1.0,
                            ..style(placement, mode)
                        };
                        let r = bar_rects(&s, size, n, n, 1.0, 1.0);
                        let (w, h) = (size.0.min(MAX_SIDE), size.1);
                        for rect in [r.bar, r.caps[0], r.caps[1]] {
                            assert!(rect.x1 <= w && rect.y1 <= h, "{size:?} {n}: {rect:?}");
                            assert!(rect.y0 <= rect.y1, "{size:?} {n}: {rect:?}");
                        }
                        // A mirror needs two rows to grow both ways from its centre line.
                        assert!(h < 2 || !r.bar.is_empty(), "a full bar shows: {size:?}");
                    }
                }
            }
        }
    }
}
