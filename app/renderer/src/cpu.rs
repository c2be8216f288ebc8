//! Fallback group C: a CPU compositor for machines where no graphics adapter exists at all (not
//! even a software rasteriser such as lavapipe). It holds the same two frames as
//! [`Renderer`](crate::Renderer), takes the same staged uploads and [`FrameState`], and draws
//! every transition as a crossfade into a `0x00RRGGBB` pixel buffer (the format window-system
//! blitters such as `softbuffer` take) or into RGBA bytes.
//!
//! **Exact ends.** Progress 0 copies the current frame and progress 1 the next one, byte for
//! byte, as the GPU renderer does. In between, the blend happens in linear light (sRGB decoded
//! by a table, re-encoded by a 16K-entry table), matching the GPU crossfade on an sRGB target to
//! within one step; [`CpuCompositor::new`] with `linear = false` blends the encoded values, like
//! a plain `Unorm` target.
//!
//! A frame whose size differs from the target (a window resized before a photo of the new size
//! arrives) is stretched with nearest-neighbour sampling. Ken Burns views are not drawn: the
//! host turns Ken Burns off in this group, since a full-screen resample per frame on the CPU is
//! what this fallback cannot afford.
//!
//! The audio visualizer's bars ([`CpuCompositor::set_visualizer`]) are drawn over the finished
//! photo by [`crate::visualizer`], on the same pixels and blended in the same space as on the GPU.

use std::sync::OnceLock;

use crate::RenderError;
use crate::frame::FrameState;
use crate::renderer::Slot;
use crate::visualizer::{self, Bars, BarsStyle};

/// Largest image side accepted, as a texture limit would (16K).
pub const MAX_SIDE: u32 = 16_384;

/// One frame: tightly packed RGBA rows, or nothing yet (drawn black).
#[derive(Debug, Default)]
struct CpuFrame {
    rgba: Vec<u8>,
    size: (u32, u32),
}

impl CpuFrame {
    fn is_empty(&self) -> bool {
        self.rgba.is_empty()
    }
}

/// The group C compositor. See the module documentation.
#[derive(Debug)]
pub struct CpuCompositor {
    size: (u32, u32),
    /// Indexed like the GPU renderer's: 0 current, 1 next.
    frames: [CpuFrame; 2],
    progress: f32,
    linear: bool,
    /// What the visualizer draws over the photo (nothing by default).
    bars: Bars,
}

/// The sRGB decode table (byte to linear light) and the encode table (linear light, quantised
/// to [`ENCODE_STEPS`], to byte), built once. The visualizer's overlay blends through them too.
pub(crate) struct Tables {
    pub(crate) decode: [f32; 256],
    pub(crate) encode: Vec<u8>,
}

/// Entries of the linear-to-sRGB table: fine enough that the darkest codes (where sRGB is
/// steepest) are still within one step of the exact encoding.
pub(crate) const ENCODE_STEPS: usize = 1 << 14;

pub(crate) fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut decode = [0.0f32; 256];
        for (code, out) in decode.iter_mut().enumerate() {
            *out = srgb_to_linear(code as f32 / 255.0);
        }
        let encode = (0..ENCODE_STEPS)
            .map(|i| {
                let linear = i as f32 / (ENCODE_STEPS - 1) as f32;
                (linear_to_srgb(linear) * 255.0).round().clamp(0.0, 255.0) as u8
            })
            .collect();
        Tables { decode, encode }
    })
}

/// The sRGB transfer function, encoded value to linear light (both in 0..=1).
pub fn srgb_to_linear(v: f32) -> f32 {
    if v <= 0.040_45 {
        v / 12.92
    } else {
        ((v + 0.055) / 1.055).powf(2.4)
    }
}

/// The inverse of [`srgb_to_linear`].
pub fn linear_to_srgb(v: f32) -> f32 {
    if v <= 0.003_130_8 {
        v * 12.92
    } else {
        1.055 * v.powf(1.0 / 2.4) - 0.055
    }
}

impl CpuCompositor {
    /// A compositor for a target of `size` that shows black until images arrive. `linear`:
    /// blend in linear light (as on an sRGB surface), else in encoded values.
    pub fn new(size: (u32, u32), linear: bool) -> Self {
        if linear {
            tables();
        }
        Self {
            size: clamp_size(size),
            frames: Default::default(),
            progress: 0.0,
            linear,
            bars: Bars::default(),
        }
    }

    /// The target size in pixels.
    pub fn size(&self) -> (u32, u32) {
        self.size
    }

    /// Records a new target size; frames already held are stretched to it until new ones come.
    pub fn resize(&mut self, size: (u32, u32)) {
        self.size = clamp_size(size);
    }

    /// Starts a staged upload of a `width` x `height` RGBA8 image into `slot` (the buffer is
    /// reallocated only when the size changes), as [`Renderer::begin_image`](crate::Renderer::begin_image).
    pub fn begin_image(&mut self, slot: Slot, width: u32, height: u32) -> Result<(), RenderError> {
        RenderError::check_size(width, height, MAX_SIDE)?;
        let frame = &mut self.frames[index(slot)];
        if frame.size != (width, height) || frame.is_empty() {
            frame.rgba = vec![0; width as usize * height as usize * 4];
            frame.size = (width, height);
        }
        Ok(())
    }

    /// Copies whole rows into the image begun in `slot`, from row `first_row`; the same rules
    /// as [`Renderer::write_rows`](crate::Renderer::write_rows).
    pub fn write_rows(
        &mut self,
        slot: Slot,
        first_row: u32,
        rows: &[u8],
    ) -> Result<(), RenderError> {
        let frame = &mut self.frames[index(slot)];
        let (width, height) = frame.size;
        let row_bytes = width as usize * 4;
        let bad = || RenderError::BadRows {
            first_row,
            len: rows.len(),
            row_bytes,
            width,
            height,
        };
        if frame.is_empty() || rows.is_empty() || !rows.len().is_multiple_of(row_bytes) {
            return Err(bad());
        }
        let start = first_row as usize * row_bytes;
        let end = start + rows.len();
        if end > frame.rgba.len() {
            return Err(bad());
        }
        frame.rgba[start..end].copy_from_slice(rows);
        Ok(())
    }

    /// A whole image in one call.
    pub fn set_image(
        &mut self,
        slot: Slot,
        rgba: &[u8],
        width: u32,
        height: u32,
    ) -> Result<(), RenderError> {
        RenderError::check_rgba(rgba.len(), width, height)?;
        self.begin_image(slot, width, height)?;
        self.write_rows(slot, 0, rgba)
    }

    /// The next frame becomes the current one (no copy).
    pub fn promote_next(&mut self) {
        self.frames.swap(0, 1);
    }

    /// Takes the progress of `state` (clamped); every transition is drawn as a crossfade.
    pub fn update(&mut self, state: &FrameState) {
        self.progress = state.sanitized().progress;
    }

    /// Sets the visualizer bars drawn over the photo by the following renders; the same inputs
    /// and rules as [`Renderer::set_visualizer`](crate::Renderer::set_visualizer).
    pub fn set_visualizer(
        &mut self,
        style: &BarsStyle,
        levels: &[f32],
        ghosts: &[f32],
        fade: f32,
    ) -> Result<(), RenderError> {
        self.bars = Bars::new(style, levels, ghosts, fade)?;
        Ok(())
    }

    /// Draws the current state into `out` as `0x00RRGGBB` pixels, rows of the target width.
    /// `out` must hold exactly width × height pixels of the current target size.
    pub fn render_xrgb(&self, out: &mut [u32]) {
        let pack = |r, g, b| u32::from_be_bytes([0, r, g, b]);
        self.draw(out, pack);
        let unpack = |px: u32| {
            let [_, r, g, b] = px.to_be_bytes();
            [r, g, b]
        };
        visualizer::cpu::overlay(&self.bars, self.size, self.linear, out, unpack, pack);
    }

    /// Draws the current state as tightly packed opaque RGBA bytes (tests, snapshots).
    pub fn render_rgba(&self) -> Vec<u8> {
        let mut px = vec![0u32; self.size.0 as usize * self.size.1 as usize];
        let pack = |r, g, b| u32::from_ne_bytes([r, g, b, 255]);
        self.draw(&mut px, pack);
        let unpack = |px: u32| {
            let [r, g, b, _] = px.to_ne_bytes();
            [r, g, b]
        };
        visualizer::cpu::overlay(&self.bars, self.size, self.linear, &mut px, unpack, pack);
        px.into_iter().flat_map(u32::to_ne_bytes).collect()
    }

    fn draw(&self, out: &mut [u32], pack: impl Fn(u8, u8, u8) -> u32) {
        let width = self.size.0 as usize;
        assert_eq!(
            out.len(),
            width * self.size.1 as usize,
            "buffer of the wrong size"
        );
        let [current, next] = &self.frames;
        // Exact ends: the one frame that shows, copied.
        let only = if self.progress <= 0.0 {
            Some(current)
        } else if self.progress >= 1.0 {
            Some(next)
        } else {
            None
        };
        if let Some(frame) = only {
            let s = Sampler::new(frame, self.size);
            for (y, row) in out.chunks_exact_mut(width).enumerate() {
                match s.row(y) {
                    Some(src) => {
                        for (x, px) in row.iter_mut().enumerate() {
                            let p = s.at(src, x);
                            *px = pack(p[0], p[1], p[2]);
                        }
                    }
                    None => row.fill(pack(0, 0, 0)),
                }
            }
            return;
        }
        let (a, b) = (
            Sampler::new(current, self.size),
            Sampler::new(next, self.size),
        );
        let t = self.progress;
        let tables = self.linear.then(tables);
        let weight = (t * 256.0).round() as u32;
        const BLACK: [u8; 4] = [0, 0, 0, 255];
        for (y, row) in out.chunks_exact_mut(width).enumerate() {
            let (ra, rb) = (a.row(y), b.row(y));
            for (x, px) in row.iter_mut().enumerate() {
                let pa = ra.map_or(&BLACK[..], |src| a.at(src, x));
                let pb = rb.map_or(&BLACK[..], |src| b.at(src, x));
                let mix = |i: usize| -> u8 {
                    match tables {
                        Some(tab) => {
                            let l = tab.decode[pa[i] as usize] * (1.0 - t)
                                + tab.decode[pb[i] as usize] * t;
                            tab.encode[(l * (ENCODE_STEPS - 1) as f32 + 0.5) as usize]
                        }
                        None => {
                            ((u32::from(pa[i]) * (256 - weight) + u32::from(pb[i]) * weight + 128)
                                >> 8) as u8
                        }
                    }
                };
                *px = pack(mix(0), mix(1), mix(2));
            }
        }
    }
}

/// Reads one frame at target coordinates: 1:1 when the sizes agree, else nearest-neighbour.
struct Sampler<'a> {
    frame: &'a CpuFrame,
    /// Source column of each target column (empty when 1:1).
    columns: Vec<u32>,
    target: (u32, u32),
}

impl<'a> Sampler<'a> {
    fn new(frame: &'a CpuFrame, target: (u32, u32)) -> Self {
        let columns = if frame.is_empty() || frame.size.0 == target.0 {
            Vec::new()
        } else {
            (0..target.0)
                .map(|x| nearest(x, target.0, frame.size.0))
                .collect()
        };
        Self {
            frame,
            columns,
            target,
        }
    }

    /// The source row shown at target row `y`, or `None` when there is no image.
    fn row(&self, y: usize) -> Option<&'a [u8]> {
        if self.frame.is_empty() {
            return None;
        }
        let (w, h) = self.frame.size;
        let sy = if h == self.target.1 {
            y as u32
        } else {
            nearest(y as u32, self.target.1, h)
        } as usize;
        let row_bytes = w as usize * 4;
        Some(&self.frame.rgba[sy * row_bytes..(sy + 1) * row_bytes])
    }

    /// The pixel shown at target column `x` of `row`.
    fn at(&self, row: &'a [u8], x: usize) -> &'a [u8] {
        let sx = if self.columns.is_empty() {
            x
        } else {
            self.columns[x] as usize
        };
        &row[sx * 4..sx * 4 + 4]
    }
}

/// The source index whose centre is nearest the centre of target index `i`.
fn nearest(i: u32, target: u32, source: u32) -> u32 {
    let s = ((2 * u64::from(i) + 1) * u64::from(source) / (2 * u64::from(target))) as u32;
    s.min(source - 1)
}

fn index(slot: Slot) -> usize {
    match slot {
        Slot::Current => 0,
        Slot::Next => 1,
    }
}

fn clamp_size(size: (u32, u32)) -> (u32, u32) {
    (size.0.clamp(1, MAX_SIDE), size.1.clamp(1, MAX_SIDE))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TransitionId;

    fn image(w: u32, h: u32, f: impl Fn(u32, u32) -> [u8; 4]) -> Vec<u8> {
        (0..h)
            .flat_map(|y| (0..w).map(move |x| (x, y)))
            .flat_map(|(x, y)| f(x, y))
            .collect()
    }

    fn at(progress: f32) -> FrameState {
        FrameState {
            progress,
            ..FrameState::new(TransitionId::all().last().unwrap())
        }
    }

    fn loaded(linear: bool) -> (CpuCompositor, Vec<u8>, Vec<u8>) {
        let a = image(7, 5, |x, y| [(x * 30) as u8, (y * 50) as u8, 7, 255]);
        let b = image(7, 5, |x, y| {
            [200, (x * y * 9) as u8, (255 - x * 20) as u8, 255]
        });
        let mut c = CpuCompositor::new((7, 5), linear);
        c.set_image(Slot::Current, &a, 7, 5).unwrap();
        c.set_image(Slot::Next, &b, 7, 5).unwrap();
        (c, a, b)
    }

    #[test]
    fn the_ends_are_the_frames_exactly_in_both_blend_modes() {
        for linear in [true, false] {
            let (mut c, a, b) = loaded(linear);
            c.update(&at(0.0));
            assert_eq!(c.render_rgba(), a);
            c.update(&at(1.0));
            assert_eq!(c.render_rgba(), b);
            // Out of range is clamped, as on the GPU.
            c.update(&at(-3.0));
            assert_eq!(c.render_rgba(), a);
            c.update(&at(9.0));
            assert_eq!(c.render_rgba(), b);
        }
    }

    #[test]
    fn the_xrgb_buffer_holds_the_same_pixels() {
        let (mut c, a, _) = loaded(true);
        c.update(&at(0.0));
        let mut out = vec![0u32; 35];
        c.render_xrgb(&mut out);
        for (px, rgba) in out.iter().zip(a.chunks_exact(4)) {
            assert_eq!(px.to_be_bytes(), [0, rgba[0], rgba[1], rgba[2]]);
        }
    }

    #[test]
    fn half_way_blends_in_linear_light_or_in_encoded_values() {
        // Black to white: linear light half way is sRGB 188, encoded half way 128.
        for (linear, want) in [(true, 188u8), (false, 128)] {
            let mut c = CpuCompositor::new((2, 1), linear);
            c.set_image(Slot::Current, &[0, 0, 0, 255, 0, 0, 0, 255], 2, 1)
                .unwrap();
            c.set_image(Slot::Next, &[255; 8], 2, 1).unwrap();
            c.update(&at(0.5));
            let px = c.render_rgba();
            assert_eq!(&px[..4], &[want, want, want, 255], "linear {linear}");
        }
    }

    #[test]
    fn the_encode_table_is_within_one_step_of_the_exact_curve() {
        let tab = tables();
        for i in 0..=1000 {
            let l = i as f32 / 1000.0;
            let exact = linear_to_srgb(l) * 255.0;
            let got = f32::from(tab.encode[(l * (ENCODE_STEPS - 1) as f32 + 0.5) as usize]);
            assert!((got - exact).abs() <= 1.0, "{l}: {got} vs {exact}");
        }
        for code in 0..=255u8 {
            let back = linear_to_srgb(tab.decode[code as usize]) * 255.0;
            assert!((back - f32::from(code)).abs() < 0.01);
        }
    }

    #[test]
    fn staged_rows_equal_one_upload_and_bad_rows_are_refused() {
        let (mut c, a, _) = loaded(false);
        let mut d = CpuCompositor::new((7, 5), false);
        d.begin_image(Slot::Current, 7, 5).unwrap();
        d.write_rows(Slot::Current, 0, &a[..7 * 4 * 2]).unwrap();
        d.write_rows(Slot::Current, 2, &a[7 * 4 * 2..]).unwrap();
        c.update(&at(0.0));
        d.update(&at(0.0));
        assert_eq!(c.render_rgba(), d.render_rgba());
        assert!(d.write_rows(Slot::Current, 4, &a[..7 * 4 * 2]).is_err());
        assert!(d.write_rows(Slot::Current, 0, &a[..5]).is_err());
        assert!(d.write_rows(Slot::Current, 0, &[]).is_err());
        assert!(
            d.write_rows(Slot::Next, 0, &a[..28]).is_err(),
            "nothing begun"
        );
        assert!(d.begin_image(Slot::Next, 0, 5).is_err());
        assert!(d.begin_image(Slot::Next, MAX_SIDE + 1, 5).is_err());
        assert!(d.set_image(Slot::Next, &a[..8], 7, 5).is_err());
    }

    #[test]
    fn promote_swaps_and_missing_frames_are_black() {
        let (mut c, _, b) = loaded(false);
        c.promote_next();
        c.update(&at(0.0));
        assert_eq!(c.render_rgba(), b);
        let mut empty = CpuCompositor::new((3, 2), true);
        empty.update(&at(0.0));
        assert_eq!(empty.render_rgba(), [0, 0, 0, 255].repeat(6));
        // Half way from nothing to a photo: the photo fades in from black.
        empty.set_image(Slot::Next, &[255; 24], 3, 2).unwrap();
        empty.update(&at(0.5));
        assert_eq!(&empty.render_rgba()[..4], &[188, 188, 188, 255]);
    }

    #[test]
    fn a_frame_of_another_size_is_stretched_by_nearest_neighbour() {
        // 2x1 source (red, blue) on a 4x2 target: each source pixel covers two columns.
        let mut c = CpuCompositor::new((4, 2), true);
        c.set_image(Slot::Current, &[255, 0, 0, 255, 0, 0, 255, 255], 2, 1)
            .unwrap();
        c.update(&at(0.0));
        let px = c.render_rgba();
        let red = [255, 0, 0, 255];
        let blue = [0, 0, 255, 255];
        let want: Vec<u8> = [red, red, blue, blue, red, red, blue, blue].concat();
        assert_eq!(px, want);
        // Shrinking picks the nearest centres: columns 1 and 4 of 6 for a 2-wide target.
        assert_eq!(nearest(0, 2, 6), 1);
        assert_eq!(nearest(1, 2, 6), 4);
        assert_eq!(nearest(5, 6, 6), 5);
        c.resize((1, 1));
        assert_eq!(c.render_rgba().len(), 4);
    }

    #[test]
    fn every_transition_is_a_crossfade_here() {
        let (mut c, _, _) = loaded(true);
        c.update(&at(0.3));
        let reference = c.render_rgba();
        for id in TransitionId::all() {
            c.update(&FrameState {
                progress: 0.3,
                ..FrameState::new(id)
            });
            assert_eq!(c.render_rgba(), reference, "{}", id.desc().key);
        }
    }
}
