//! The visualizer in the CPU compositor (fallback group C): the same rectangles as the GPU
//! (from [`Band`]), the same colours, blended over the finished photo in the same space as the
//! GPU's blend unit would: linear light for an sRGB target, encoded values for a plain one.
//!
//! Only lit pixels are touched, and a bar's colour is worked out once per row, so the cost is a
//! table lookup and a multiply-add per channel of each lit pixel.

use super::Bars;
use super::geometry::{Band, Rect};
use crate::cpu::{ENCODE_STEPS, Tables, srgb_to_linear, tables};

/// Draws `bars` over the photo already in `out` (rows of `size.0` pixels). `unpack` and `pack`
/// convert between a pixel of `out` and its RGB bytes.
pub(crate) fn overlay(
    bars: &Bars,
    size: (u32, u32),
    linear: bool,
    out: &mut [u32],
    unpack: impl Fn(u32) -> [u8; 3],
    pack: impl Fn(u8, u8, u8) -> u32,
) {
    if !bars.visible() {
        return;
    }
    let band = Band::new(&bars.style, size);
    let palette = bars.style.palette.palette();
    let ghost = palette.ghost_colour();
    let mut canvas = Canvas {
        out,
        width: size.0 as usize,
        tables: linear.then(tables),
        unpack,
        pack,
    };
    let n = bars.count as u32;
    for i in 0..bars.count {
        let rects = band.rects(
            i as u32,
            n,
            u32::from(bars.levels[i]),
            u32::from(bars.ghosts[i]),
        );
        let [low, high] = palette.bar_colours(i, bars.count);
        canvas.fill(rects.bar, bars.bar_alpha(), |y| {
            let t = band.shade(y);
            [0, 1, 2].map(|c| low[c] * (1.0 - t) + high[c] * t)
        });
        // Caps after their bar, as the GPU draws them, so they blend over it.
        for cap in rects.caps {
            canvas.fill(cap, bars.cap_alpha(), |_| ghost);
        }
    }
}

/// The output buffer and how to blend into it.
struct Canvas<'a, U, P> {
    out: &'a mut [u32],
    width: usize,
    /// The sRGB tables when blending in linear light.
    tables: Option<&'static Tables>,
    unpack: U,
    pack: P,
}

impl<U: Fn(u32) -> [u8; 3], P: Fn(u8, u8, u8) -> u32> Canvas<'_, U, P> {
    /// Blends `rect` (clipped to the buffer) with alpha `alpha`, each row in the sRGB-encoded
    /// colour `colour(row)`.
    fn fill(&mut self, rect: Rect, alpha: f32, colour: impl Fn(u32) -> [f32; 3]) {
        if rect.is_empty() || alpha <= 0.0 || self.width == 0 {
            return;
        }
        let height = self.out.len() / self.width;
        let x0 = (rect.x0 as usize).min(self.width);
        let x1 = (rect.x1 as usize).min(self.width);
        for y in rect.y0..rect.y1.min(height as u32) {
            let encoded = colour(y);
            let row_start = y as usize * self.width;
            let row = &mut self.out[row_start + x0..row_start + x1];
            match self.tables {
                Some(tab) => {
                    // The colour's share of the result, in linear light, once per row.
                    let share = encoded.map(|c| srgb_to_linear(c) * alpha);
                    let scale = (ENCODE_STEPS - 1) as f32;
                    for px in row {
                        let p = (self.unpack)(*px);
                        let [r, g, b] = [0, 1, 2].map(|c| {
                            let l = tab.decode[p[c] as usize] * (1.0 - alpha) + share[c];
                            tab.encode[((l * scale + 0.5) as usize).min(ENCODE_STEPS - 1)]
                        });
                        *px = (self.pack)(r, g, b);
                    }
                }
                None => {
                    let share = encoded.map(|c| c * 255.0 * alpha);
                    for px in row {
                        let p = (self.unpack)(*px);
                        // `as u8` saturates, so rounding error can never wrap.
                        let [r, g, b] = [0, 1, 2]
                            .map(|c| (f32::from(p[c]) * (1.0 - alpha) + share[c] + 0.5) as u8);
                        *px = (self.pack)(r, g, b);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::visualizer::{BarsStyle, PaletteId};

    /// A flat photo in a colour no palette produces, so every lit pixel changes.
    const PHOTO: [u8; 3] = [128, 64, 32];

    fn photo(size: (u32, u32)) -> Vec<u32> {
        let [r, g, b] = PHOTO;
        vec![u32::from_ne_bytes([r, g, b, 255]); (size.0 * size.1) as usize]
    }

    fn rgb(px: u32) -> [u8; 3] {
        let [r, g, b, _] = px.to_ne_bytes();
        [r, g, b]
    }

    fn draw(bars: &Bars, size: (u32, u32), linear: bool) -> Vec<u32> {
        let mut out = photo(size);
        overlay(bars, size, linear, &mut out, rgb, |r, g, b| {
            u32::from_ne_bytes([r, g, b, 255])
        });
        out
    }

    #[test]
    fn only_the_bar_and_cap_rectangles_change() {
        let size = (40, 30);
        let style = BarsStyle {
            opacity: 1.0,
            ghost_opacity: 1.0,
            palette: PaletteId::by_id("mono").expect("registered"),
            ..BarsStyle::default()
        };
        let bars = Bars::new(&style, &[1.0, 0.0, 0.5], &[1.0, 0.0, 0.9], 1.0).expect("3");
        for linear in [false, true] {
            let out = draw(&bars, size, linear);
            let band = Band::new(&style, size);
            let rects: Vec<_> = (0..3)
                .map(|i| {
                    band.rects(
                        i,
                        3,
                        u32::from(bars.levels[i as usize]),
                        u32::from(bars.ghosts[i as usize]),
                    )
                })
                .collect();
            for y in 0..size.1 {
                for x in 0..size.0 {
                    let inside = |r: &Rect| r.x0 <= x && x < r.x1 && r.y0 <= y && y < r.y1;
                    let lit = rects
                        .iter()
                        .any(|b| inside(&b.bar) || b.caps.iter().any(inside));
                    let changed = rgb(out[(y * size.0 + x) as usize]) != PHOTO;
                    assert_eq!(lit, changed, "({x}, {y}) linear {linear}");
                }
            }
            // Fully opaque white ghost caps are exactly white, in both blend spaces.
            let cap = rects[0].caps[0];
            assert_eq!(rgb(out[(cap.y0 * size.0 + cap.x0) as usize]), [255; 3]);
        }
    }

    #[test]
    fn half_alpha_blends_in_the_target_space() {
        // A mono full-height cap of white at alpha 0.5 over red 128: encoded half way is 192,
        // linear-light half way (0.608) encodes to 205.
        let style = BarsStyle {
            ghost_opacity: 0.5,
            opacity: 0.0,
            palette: PaletteId::by_id("mono").expect("registered"),
            ..BarsStyle::default()
        };
        let bars = Bars::new(&style, &[0.0; 8], &[1.0; 8], 1.0).expect("8");
        let size = (64, 48);
        let band = Band::new(&style, size);
        let cap = band.rects(0, 8, 0, 65535).caps[0];
        for (linear, want) in [(false, 192), (true, 205)] {
            let out = draw(&bars, size, linear);
            let [v, _, _] = rgb(out[(cap.y0 * size.0 + cap.x0) as usize]);
            assert!(v.abs_diff(want) <= 1, "linear {linear}: {v}");
        }
    }

    #[test]
    fn nothing_visible_leaves_the_photo_alone() {
        let style = BarsStyle::default();
        for bars in [
            Bars::new(&style, &[1.0; 8], &[1.0; 8], 0.0).expect("8"),
            Bars::new(&style, &[], &[], 1.0).expect("empty"),
            Bars::default(),
        ] {
            assert_eq!(draw(&bars, (16, 16), true), photo((16, 16)));
        }
    }
}
