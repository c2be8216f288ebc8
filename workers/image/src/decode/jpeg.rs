//! JPEG: the marker walk decides, before any pixel is decoded, whether the file is complete,
//! how big it is, how it is oriented and at which DCT scale to decode it; then the faster
//! decoder for that case runs.
//!
//! ## Which decoder (measured, release build, this project's 2-core machine, best of 3–5)
//!
//! Decode only, milliseconds, ranges over repeated runs (the machine is shared and noisy);
//! "scaled" is jpeg-decoder at the DCT scale a 1920×1080 fill target allows:
//!
//! | photo                                          | zune-jpeg | jpeg-decoder | scaled (1/2)  |
//! |------------------------------------------------|----------:|-------------:|--------------:|
//! | Elephants 5640×3172, progressive, 16 MB        |   633–666 |      789–830 | 708–753       |
//! | Elephants 3840×2160, progressive, 8 MB         |   282–298 |      350–358 | 331–341       |
//! | Elephants 5640 re-encoded baseline 4:2:0 q90   |   128–165 |      140–170 | 110–125       |
//! | … baseline 4:4:4 q90                           |   150–154 |      208–232 | 150–152       |
//! | … progressive 4:2:0 q90                        |   164–208 |      191–232 | 139–159       |
//! | 4000×2250 baseline 4:2:0 q90                   |     52–60 |        68–80 | 56–73         |
//! | GreenTraditional 1900×1200 baseline            |    7.3–10 |        14–21 | (full size)   |
//! | Storm 1920×1280                                |     15–22 |        29–30 | (full size)   |
//! | Wood 2560×1920                                 |     17–22 |        35–41 | (full size)   |
//!
//! Resizing to 1920×1080 afterwards costs 15–36 ms from 5640×3172 and 6–12 ms from the
//! half-scale 2820×1586, whose RGBA buffer is 18 MB instead of 72 MB.
//!
//! So: **when the hint allows 1/2, 1/4 or 1/8, jpeg-decoder decodes at that scale.** On
//! camera-like files (0.3–0.4 bytes per pixel) it is the fastest path, decode and resize
//! together, and it keeps the pixel memory at a quarter or less. The exception is the two very
//! dense progressive Elephants files (~1 byte per pixel), where entropy decoding dominates and
//! zune-jpeg's faster Huffman decoder would win by 60–80 ms of decode, 10–20 % after the larger
//! resize; we keep DCT scaling there too, so that no fill/fit of a large photo ever holds the
//! full-size RGBA buffer (predictable memory in a worker that may run under a job memory limit).
//! **At full scale zune-jpeg decodes** (1.3–2× faster than jpeg-decoder on every real photo).
//! CMYK/YCCK, lossless and 12-bit files always go to jpeg-decoder: zune-jpeg's CMYK output
//! assumes Adobe-inverted data and it reads neither lossless nor 12-bit JPEG.

use super::sniff::{self, JpegInfo};
use super::{Ctx, Decoded, expand_in_place, finish, guard, meta, swaps_axes};
use crate::ImageError;

/// Decodes a JPEG (the caller has checked the SOI magic).
pub(super) fn decode(bytes: &[u8], ctx: &Ctx<'_>) -> Result<Decoded, ImageError> {
    let info = sniff::jpeg_info(bytes);
    if !info.has_frame {
        return Err(ImageError::Corrupt("JPEG without a frame header".into()));
    }
    ctx.check_pixels(info.width, info.height)?;
    if !info.complete {
        return Err(ImageError::Corrupt(
            "truncated JPEG: no end-of-image marker after the scan data".into(),
        ));
    }
    let exif = match info.exif {
        Some((start, end)) => meta::parse(&bytes[start..end]),
        None => meta::ExifInfo {
            orientation: 1,
            meta: Default::default(),
        },
    };
    let swap = swaps_axes(exif.orientation);
    let stored = (info.width, info.height);
    let upright = if swap { (stored.1, stored.0) } else { stored };
    // The hint is in upright terms; the DCT scale applies to the stored image.
    let wanted = (ctx.hint)(upright).map(|(w, h)| if swap { (h, w) } else { (w, h) });
    let scalable = info.precision == 8 && !info.lossless;
    let factor = if scalable {
        dct_factor(stored, wanted)
    } else {
        1
    };
    let size = (stored.0.div_ceil(factor), stored.1.div_ceil(factor));
    ctx.check_memory(peak_bytes(&info, size, swap))?;
    ctx.check_deadline()?;

    let use_zune = factor == 1 && scalable && matches!(info.components, 1 | 3);
    tracing::trace!(
        width = stored.0,
        height = stored.1,
        factor,
        decoder = if use_zune {
            "zune-jpeg"
        } else {
            "jpeg-decoder"
        },
        "decoding JPEG"
    );
    let (rgba, size) = if use_zune {
        decode_zune(bytes, info.components)?
    } else {
        decode_jpeg_decoder(bytes, &info, factor, ctx.limits.max_decoded_bytes)?
    };
    ctx.check_deadline()?;
    finish(rgba, size, false, exif.orientation, stored, exif.meta)
}

/// The largest DCT reduction (8, 4, 2 or 1) that keeps the decoded image at least `wanted` in
/// both axes. jpeg-decoder's own `scale()` only guarantees one axis, so the choice is made
/// here and passed to it as an exact size.
pub(crate) fn dct_factor(stored: (u32, u32), wanted: Option<(u32, u32)>) -> u32 {
    let Some((ww, wh)) = wanted else { return 1 };
    [8, 4, 2]
        .into_iter()
        .find(|&f| stored.0.div_ceil(f) >= ww && stored.1.div_ceil(f) >= wh)
        .unwrap_or(1)
}

/// An upper bound of the decode's peak allocation: progressive coefficient storage (2 bytes
/// per sample at full size), the decoder's planes and interleaved output, our RGBA buffer, and
/// the rotated copy when the orientation swaps axes.
fn peak_bytes(info: &JpegInfo, size: (u32, u32), swap: bool) -> u64 {
    let comps = u64::from(info.components.max(1));
    let full = u64::from(info.width) * u64::from(info.height);
    let out = u64::from(size.0) * u64::from(size.1);
    let coefficients = if info.progressive {
        full * comps * 2
    } else {
        0
    };
    coefficients + out * (2 * comps + 4) + if swap { out * 4 } else { 0 }
}

/// Full-size decode with zune-jpeg, straight into the buffer that becomes the RGBA image.
fn decode_zune(bytes: &[u8], components: u8) -> Result<(Vec<u8>, (u32, u32)), ImageError> {
    use zune_core::bytestream::ZCursor;
    use zune_core::colorspace::ColorSpace;
    use zune_core::options::DecoderOptions;

    let (colorspace, channels) = if components == 1 {
        (ColorSpace::Luma, 1)
    } else {
        (ColorSpace::RGB, 3)
    };
    // Our own checks ran already; zune's default 16384-pixel side limit would refuse
    // legitimate panoramas.
    let options = DecoderOptions::default()
        .set_max_width(usize::from(u16::MAX))
        .set_max_height(usize::from(u16::MAX))
        .set_strict_mode(false)
        .jpeg_set_out_colorspace(colorspace);
    let result = guard("JPEG (zune-jpeg)", || {
        let mut decoder = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(bytes), options);
        decoder.decode_headers().map_err(|e| e.to_string())?;
        let (w, h) = decoder
            .dimensions()
            .ok_or("no dimensions after the headers")?;
        let n = w * h;
        let needed = decoder.output_buffer_size().ok_or("no output size")?;
        if needed != n * channels {
            return Err(format!("unexpected output size {needed} for {w}×{h}"));
        }
        let mut buf = vec![0u8; n * 4];
        decoder
            .decode_into(&mut buf[..needed])
            .map_err(|e| e.to_string())?;
        expand_in_place(&mut buf, n, channels);
        Ok((buf, (w as u32, h as u32)))
    })?;
    result.map_err(ImageError::Corrupt)
}

/// Decode with jpeg-decoder, at `1/factor` scale, converting whatever it outputs to RGBA8.
fn decode_jpeg_decoder(
    bytes: &[u8],
    info: &JpegInfo,
    factor: u32,
    max_bytes: u64,
) -> Result<(Vec<u8>, (u32, u32)), ImageError> {
    use jpeg_decoder::{Decoder, Error};

    let result = guard("JPEG (jpeg-decoder)", || {
        let mut decoder = Decoder::new(bytes);
        decoder.set_max_decoding_buffer_size(usize::try_from(max_bytes).unwrap_or(usize::MAX));
        if factor > 1 {
            // Sides fit u16: a JPEG header cannot express more.
            let w = info.width.div_ceil(factor) as u16;
            let h = info.height.div_ceil(factor) as u16;
            decoder.scale(w, h)?;
        }
        let pixels = decoder.decode()?;
        let out = decoder
            .info()
            .ok_or_else(|| Error::Format("no frame information".into()))?;
        Ok::<_, Error>((pixels, out))
    })?;
    let (pixels, out) = result.map_err(|e| match e {
        Error::Unsupported(feature) => ImageError::Unsupported(format!("JPEG feature {feature:?}")),
        other => ImageError::Corrupt(other.to_string()),
    })?;
    let size = (u32::from(out.width), u32::from(out.height));
    let n = size.0 as usize * size.1 as usize;
    let comps = usize::from(info.components.max(1));
    let rgba = to_rgba(pixels, n, comps, info)?;
    Ok((rgba, size))
}

/// Converts jpeg-decoder's output (gray, RGB, CMYK, or 16-bit samples from lossless files)
/// to RGBA8.
fn to_rgba(
    mut px: Vec<u8>,
    n: usize,
    comps: usize,
    info: &JpegInfo,
) -> Result<Vec<u8>, ImageError> {
    if px.len() == n * comps * 2 && info.precision > 8 {
        // Lossless files with more than 8 bits come out as native-endian u16 samples.
        let shift = u32::from(info.precision - 8);
        px = px
            .as_chunks::<2>()
            .0
            .iter()
            .map(|s| (u16::from_ne_bytes(*s) >> shift).min(255) as u8)
            .collect();
    }
    if px.len() != n * comps {
        return Err(ImageError::Corrupt(format!(
            "JPEG decoder returned {} bytes for {n} pixels of {comps} components",
            px.len()
        )));
    }
    match comps {
        1 | 3 => {
            px.resize(n * 4, 0);
            expand_in_place(&mut px, n, comps);
        }
        4 => cmyk_to_rgba(&mut px, info.adobe_transform.is_some()),
        _ => {
            return Err(ImageError::Unsupported(format!(
                "JPEG with {comps} components"
            )));
        }
    }
    Ok(px)
}

/// jpeg-decoder hands 4-component images back as CMYK after undoing Adobe's inversion
/// (`255 − stored`) and, for YCCK, after the YCC → CMY step. Adobe APP14 files (Photoshop's
/// and every other writer's) store inverted inks, so its output then *is* the ink amounts.
/// Files without APP14 store plain inks (the rule libjpeg-based readers such as Pillow and
/// GIMP follow), so jpeg-decoder's inversion there yields `255 − ink`.
fn cmyk_to_rgba(px: &mut [u8], output_is_ink: bool) {
    let (pixels, _) = px.as_chunks_mut::<4>();
    for p in pixels {
        let [c, m, y, k] = p.map(|v| {
            if output_is_ink {
                255 - u16::from(v)
            } else {
                u16::from(v)
            }
        });
        // Now each value is "how much light passes": (1 − ink).
        let mix = |v: u16| ((v * k + 127) / 255) as u8;
        *p = [mix(c), mix(m), mix(y), 255];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dct_factor_keeps_both_axes_at_least_the_hint() {
        assert_eq!(dct_factor((5640, 3172), Some((1921, 1080))), 2);
        assert_eq!(dct_factor((5640, 3172), Some((1410, 793))), 4);
        assert_eq!(dct_factor((5640, 3172), Some((1410, 794))), 2);
        assert_eq!(dct_factor((5640, 3172), Some((100, 100))), 8);
        assert_eq!(dct_factor((1920, 1080), Some((1920, 1080))), 1);
        assert_eq!(dct_factor((1920, 1080), None), 1);
        // A tall panorama hint must not pick a factor that only satisfies one axis.
        assert_eq!(dct_factor((8000, 1000), Some((1000, 1000))), 1);
    }

    #[test]
    fn cmyk_conversion_follows_the_adobe_marker() {
        // Ink output (Adobe file): C=255 (full cyan), K=0 → cyan.
        let mut px = vec![255, 0, 0, 0];
        cmyk_to_rgba(&mut px, true);
        assert_eq!(px, [0, 255, 255, 255]);
        // Inverted output (no Adobe marker): the same cyan reads 0, 255, 255, 255.
        let mut px = vec![0, 255, 255, 255];
        cmyk_to_rgba(&mut px, false);
        assert_eq!(px, [0, 255, 255, 255]);
        // Half black.
        let mut px = vec![0, 0, 0, 128];
        cmyk_to_rgba(&mut px, true);
        assert_eq!(px, [127, 127, 127, 255]);
    }
}
