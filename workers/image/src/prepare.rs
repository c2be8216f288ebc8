//! The whole worker path for one photo and one display: read, decode at the smallest useful
//! size, scale into a frame. The image worker and the benchmarks both call this, so what is
//! measured is what runs.
//!
//! The decode size comes from [`decode_hint`] once the header has told the photo's size: a
//! 5640×3172 JPEG for a 1920×1080 display is decoded at 2820×1586 in the DCT domain and never
//! exists at full size.

use crate::ImageError;
use crate::decode::{self, PhotoMeta};
use crate::scale::{self, check_target};
use idlewild_protocol::message::image::{ImageLimits, ScaleMode, ScaleOptions};
use std::path::Path;
use std::time::Instant;

/// What was made, besides the pixels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prepared {
    /// Frame size (the target).
    pub width: u32,
    /// Frame size (the target).
    pub height: u32,
    /// The photo's full size after orientation.
    pub source_width: u32,
    /// The photo's full size after orientation.
    pub source_height: u32,
    /// Title and capture date.
    pub meta: PhotoMeta,
    /// Reading and decoding, in microseconds.
    pub decode_us: u64,
    /// Scaling (and bars, sharpening), in microseconds.
    pub scale_us: u64,
}

/// The smallest decoded size (upright) that still scales to `target` at full quality: the
/// photo scaled to cover the target for fill, to fit inside it for fit and shrink; never more
/// than the photo itself. Pure; sizes of 0 count as 1.
pub fn decode_hint(source: (u32, u32), target: (u32, u32), mode: ScaleMode) -> (u32, u32) {
    let (sw, sh) = (u64::from(source.0.max(1)), u64::from(source.1.max(1)));
    let (tw, th) = (u64::from(target.0.max(1)), u64::from(target.1.max(1)));
    // Which side binds: for cover the one that needs the larger scale, for contain the smaller.
    let width_binds = match mode {
        ScaleMode::Fill => tw * sh >= th * sw,
        ScaleMode::Fit | ScaleMode::Shrink => tw * sh <= th * sw,
    };
    let (w, h) = if width_binds {
        (tw, (sh * tw).div_ceil(sw))
    } else {
        ((sw * th).div_ceil(sh), th)
    };
    (w.clamp(1, sw) as u32, h.clamp(1, sh) as u32)
}

/// Prepares a frame into `out`, which is resized to `target.0 × target.1 × 4` bytes (reusing
/// its capacity).
pub fn prepare_file(
    path: &Path,
    target: (u32, u32),
    opts: &ScaleOptions,
    limits: &ImageLimits,
    deadline: Option<Instant>,
    out: &mut Vec<u8>,
) -> Result<Prepared, ImageError> {
    let len = check_target(target.0, target.1)?;
    out.resize(len, 0);
    prepare_into(path, target, opts, limits, deadline, out)
}

/// Prepares a frame straight into `out` (a shared-memory slot, say), which must be exactly
/// `target.0 × target.1 × 4` bytes.
pub fn prepare_into(
    path: &Path,
    target: (u32, u32),
    opts: &ScaleOptions,
    limits: &ImageLimits,
    deadline: Option<Instant>,
    out: &mut [u8],
) -> Result<Prepared, ImageError> {
    prepare_admitted(path, target, opts, limits, deadline, out, &|_| Ok(()))
}

/// [`prepare_into`] with memory admission: `admit` is called with the estimated peak of the
/// decode plus the resize's scratch, after the header is read and before any pixel buffer is
/// allocated (see [`decode::Admit`]).
pub fn prepare_admitted(
    path: &Path,
    target: (u32, u32),
    opts: &ScaleOptions,
    limits: &ImageLimits,
    deadline: Option<Instant>,
    out: &mut [u8],
    admit: decode::Admit<'_>,
) -> Result<Prepared, ImageError> {
    let len = check_target(target.0, target.1)?;
    if out.len() != len {
        return Err(ImageError::BadTarget {
            width: target.0,
            height: target.1,
        });
    }
    let started = Instant::now();
    let decoded = {
        let bytes = decode::read_file(path, limits)?;
        let hint = |source| Some(decode_hint(source, target, opts.mode));
        // The resize keeps an intermediate of at most the frame's width × the decoded height
        // (two passes); charged with the decode, as an upper bound of what scaling adds.
        let with_scratch = |decode_peak: u64| {
            let scratch = u64::from(target.0) * u64::from(target.1.max(1)) * 4 * 2;
            admit(decode_peak.saturating_add(scratch))
        };
        decode::decode_with_hint(&bytes, limits, deadline, &hint, &with_scratch)?
        // The file's bytes are dropped here, before the frame is scaled.
    };
    let decoded_at = Instant::now();
    scale::scale_into(&decoded, target.0, target.1, opts, out)?;
    let scaled_at = Instant::now();
    decode::check_deadline(deadline, limits)?;
    Ok(Prepared {
        width: target.0,
        height: target.1,
        source_width: decoded.source_width,
        source_height: decoded.source_height,
        meta: decoded.meta,
        decode_us: micros(decoded_at - started),
        scale_us: micros(scaled_at - decoded_at),
    })
}

fn micros(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}
