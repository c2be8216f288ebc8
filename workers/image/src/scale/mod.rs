//! Decoded photo → an opaque RGBA8 frame of exactly the display's size: fill (cover and crop),
//! fit (contain, with black or blurred bars) or shrink (fit, never enlarged), with optional
//! light sharpening after strong downscales.
//!
//! Resampling is fast_image_resize's SIMD Lanczos3: the sharpest of its filters without visible
//! ringing on photos, and at 6–12 ms for 2820×1586 → 1920×1080 cheap enough that a softer,
//! faster filter buys nothing worth having. Fill crops inside the resize (a fractional source
//! box), so no cropped copy of the photo is ever made; fit resizes straight into the photo's
//! rectangle of the output.
//!
//! Alpha: [`crate::decode`] hands over photos already composited over black, which is
//! premultiplied colour; resizing those is the premultiply-aware resize, so the resizer's own
//! multiply/divide passes are switched off. A [`Decoded`] built elsewhere with transparency is
//! composited (on a copy) first.
//!
//! Costs at 1920×1080 (release, 2-core machine): blurred bars 1.6–2.6 ms over black ones,
//! sharpening 2–3.5 ms, the opacity check and the final alpha pass together under 1.5 ms.
//! fast_image_resize runs single-threaded: its `rayon` feature made nothing faster here.
//!
//! - `bars`: black or blurred, darkened bars around a fitted photo.
//! - `sharpen`: the light unsharp mask.

mod bars;
mod sharpen;

use crate::ImageError;
use crate::decode::{Decoded, composite_over_black};
use fast_image_resize as fr;
use idlewild_protocol::message::image::{ScaleMode, ScaleOptions};
use std::borrow::Cow;
use std::cell::RefCell;

/// The largest frame side accepted (beyond any display, and keeps `w × h × 4` far from
/// overflowing anything).
pub const MAX_TARGET_SIDE: u32 = 16384;

/// Sharpen only when the photo is shown at less than 1/this of its own size.
const SHARPEN_ABOVE_DOWNSCALE: f64 = 2.0;

/// Where the photo lands in the frame, in frame pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placement {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width of the photo on screen.
    pub width: u32,
    /// Height of the photo on screen.
    pub height: u32,
}

/// Where a photo of `source` size lands in a `target` frame. Fill covers the whole frame (the
/// overflow is cropped, centred); fit is the largest centred rectangle with the photo's aspect
/// ratio; shrink is fit, but never larger than the photo itself. Pure; sizes of 0 count as 1.
pub fn placement(mode: ScaleMode, source: (u32, u32), target: (u32, u32)) -> Placement {
    let (sw, sh) = (u64::from(source.0.max(1)), u64::from(source.1.max(1)));
    let (tw, th) = (target.0.max(1), target.1.max(1));
    let whole = Placement {
        x: 0,
        y: 0,
        width: tw,
        height: th,
    };
    let (w, h) = match mode {
        ScaleMode::Fill => return whole,
        ScaleMode::Shrink if sw <= u64::from(tw) && sh <= u64::from(th) => (sw as u32, sh as u32),
        ScaleMode::Fit | ScaleMode::Shrink => {
            // Compare aspect ratios in integers: which side binds?
            if u64::from(tw) * sh <= u64::from(th) * sw {
                let h = div_round(sh * u64::from(tw), sw).clamp(1, u64::from(th));
                (tw, h as u32)
            } else {
                let w = div_round(sw * u64::from(th), sh).clamp(1, u64::from(tw));
                (w as u32, th)
            }
        }
    };
    Placement {
        x: (tw - w) / 2,
        y: (th - h) / 2,
        width: w,
        height: h,
    }
}

fn div_round(a: u64, b: u64) -> u64 {
    (a + b / 2) / b
}

/// Checks a frame size: both sides in `1..=MAX_TARGET_SIDE`.
pub(crate) fn check_target(width: u32, height: u32) -> Result<usize, ImageError> {
    if width == 0 || height == 0 || width > MAX_TARGET_SIDE || height > MAX_TARGET_SIDE {
        return Err(ImageError::BadTarget { width, height });
    }
    Ok(width as usize * height as usize * 4)
}

thread_local! {
    // The resizer keeps its scratch buffers between calls; one per thread avoids reallocating
    // them for every frame.
    static RESIZER: RefCell<fr::Resizer> = RefCell::new(fr::Resizer::new());
}

/// Scales `src` into `out`, an RGBA8 frame of exactly `target_w × target_h × 4` bytes, which
/// is overwritten entirely and comes out opaque.
pub fn scale_into(
    src: &Decoded,
    target_w: u32,
    target_h: u32,
    opts: &ScaleOptions,
    out: &mut [u8],
) -> Result<(), ImageError> {
    let needed = check_target(target_w, target_h)?;
    if out.len() != needed {
        return Err(ImageError::BadTarget {
            width: target_w,
            height: target_h,
        });
    }
    let (w, h) = (src.width, src.height);
    if w == 0 || h == 0 || src.rgba.len() != w as usize * h as usize * 4 {
        return Err(ImageError::Corrupt(format!(
            "decoded buffer of {} bytes does not match {w}×{h}",
            src.rgba.len()
        )));
    }
    let pixels: Cow<'_, [u8]> = if is_opaque(&src.rgba) {
        Cow::Borrowed(&src.rgba)
    } else {
        let mut copy = src.rgba.clone();
        composite_over_black(&mut copy);
        Cow::Owned(copy)
    };
    // The photo's own size decides the geometry (shrink never enlarges past it); the decoded
    // buffer, possibly DCT-reduced, is only what gets resampled.
    let source = if src.source_width == 0 || src.source_height == 0 {
        (w, h)
    } else {
        (src.source_width, src.source_height)
    };
    let target = (target_w, target_h);
    let place = placement(opts.mode, source, target);

    RESIZER.with_borrow_mut(|resizer| -> Result<(), ImageError> {
        let src_view =
            fr::images::ImageRef::new(w, h, &pixels, fr::PixelType::U8x4).map_err(resize_error)?;
        let lanczos = fr::ResizeOptions::new()
            .resize_alg(fr::ResizeAlg::Convolution(fr::FilterType::Lanczos3))
            .use_alpha(false);
        if opts.mode == ScaleMode::Fill {
            let (left, top, cw, ch) = cover_crop((w, h), target);
            let mut dst =
                fr::images::Image::from_slice_u8(target_w, target_h, out, fr::PixelType::U8x4)
                    .map_err(resize_error)?;
            return resizer
                .resize(&src_view, &mut dst, &lanczos.crop(left, top, cw, ch))
                .map_err(resize_error);
        }
        if place.width == w && place.height == h {
            // Shown at its decoded size (shrink of a small photo): copy, do not resample.
            let stride = target_w as usize * 4;
            let row = w as usize * 4;
            for (y, src_row) in pixels.chunks_exact(row).enumerate() {
                let at = (place.y as usize + y) * stride + place.x as usize * 4;
                out[at..at + row].copy_from_slice(src_row);
            }
        } else {
            let mut dst =
                fr::images::Image::from_slice_u8(target_w, target_h, out, fr::PixelType::U8x4)
                    .map_err(resize_error)?;
            let mut view = fr::images::CroppedImageMut::new(
                &mut dst,
                place.x,
                place.y,
                place.width,
                place.height,
            )
            .map_err(resize_error)?;
            resizer
                .resize(&src_view, &mut view, &lanczos)
                .map_err(resize_error)?;
        }
        bars::fill(out, target, place, opts.blur_bars, resizer)
    })?;

    if opts.sharpen && downscale(opts.mode, source, target, place) > SHARPEN_ABOVE_DOWNSCALE {
        sharpen::unsharp(out, target_w, place);
    }
    // Lanczos' negative lobes and fixed-point rounding could leave 254 in a channel that was
    // 255 everywhere; the frame is promised opaque, so say so explicitly (about 1 ms at 4K).
    for p in out.as_chunks_mut::<4>().0 {
        p[3] = 255;
    }
    Ok(())
}

/// The centred source box (left, top, width, height) whose aspect ratio is the target's:
/// what fill shows of the photo.
fn cover_crop(src: (u32, u32), target: (u32, u32)) -> (f64, f64, f64, f64) {
    let (w, h) = (f64::from(src.0), f64::from(src.1));
    let (tw, th) = (f64::from(target.0), f64::from(target.1));
    let (cw, ch) =
        if u64::from(target.0) * u64::from(src.1) >= u64::from(target.1) * u64::from(src.0) {
            // The frame is relatively wider: all of the width, a band of the height.
            (w, (w * th / tw).clamp(1.0_f64.min(h), h))
        } else {
            ((h * tw / th).clamp(1.0_f64.min(w), w), h)
        };
    ((w - cw) / 2.0, (h - ch) / 2.0, cw, ch)
}

/// How many times smaller than its own size the photo is shown.
fn downscale(mode: ScaleMode, source: (u32, u32), target: (u32, u32), place: Placement) -> f64 {
    let (sw, sh) = (f64::from(source.0), f64::from(source.1));
    match mode {
        ScaleMode::Fill => (sw / f64::from(target.0)).min(sh / f64::from(target.1)),
        ScaleMode::Fit | ScaleMode::Shrink => sw / f64::from(place.width.max(1)),
    }
}

/// True when every alpha byte is 255. Branch-free over blocks of pixels so it vectorises; a
/// 12 MP photo takes well under a millisecond.
fn is_opaque(rgba: &[u8]) -> bool {
    let (blocks, rest) = rgba.as_chunks::<64>();
    let blocks_opaque = blocks.iter().all(|b| {
        let mut and = 255u8;
        for p in b.as_chunks::<4>().0 {
            and &= p[3];
        }
        and == 255
    });
    blocks_opaque && rest.chunks_exact(4).all(|p| p[3] == 255)
}

fn resize_error(e: impl std::fmt::Display) -> ImageError {
    ImageError::Corrupt(format!("resize failed: {e}"))
}
