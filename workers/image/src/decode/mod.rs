//! File → upright RGBA8, with limits checked before anything large is allocated.
//!
//! The pipeline for one photo: `read` the file safely (regular files only, size-capped),
//! `sniff` the format from its magic bytes and read the claimed size from the header, check
//! the pixel and memory limits, decode (`jpeg` for JPEG, `other` for everything `image`
//! reads), composite any transparency over black, and apply the EXIF orientation (`orient`).
//! `meta` turns EXIF into the title and capture date shown on screen.
//!
//! **Invariant:** a returned [`Decoded`] is opaque (alpha 255 everywhere), upright, and its
//! buffer is exactly `width × height × 4` bytes.
//!
//! **Invariant:** no input makes this module panic or hang: third-party decoder calls run under
//! `guard`, which turns a decoder panic into [`ImageError::Corrupt`].

mod jpeg;
mod meta;
mod orient;
mod other;
mod read;
mod sniff;

use crate::ImageError;
use idlewild_protocol::message::image::ImageLimits;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::time::Instant;

use orient::swaps_axes;

/// What the caller needs from one decode.
#[derive(Clone, Copy, Debug, Default)]
pub struct DecodeRequest {
    /// Size, pixel, memory and time limits.
    pub limits: ImageLimits,
    /// The smallest size (after EXIF orientation) the caller needs. Lets JPEG decode at 1/2,
    /// 1/4 or 1/8 scale in the DCT domain while staying at least this large in both axes.
    /// `None`: full size.
    pub hint: Option<(u32, u32)>,
    /// Give up with [`ImageError::TooSlow`] when this instant has passed at a stage boundary.
    pub deadline: Option<Instant>,
}

/// What the photo says about itself (from EXIF), for the on-screen caption.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PhotoMeta {
    /// EXIF `ImageDescription`, trimmed; `None` when empty or a camera's boilerplate.
    pub title: Option<String>,
    /// EXIF `DateTimeOriginal` (or `DateTime`) as `YYYY-MM-DD HH:MM:SS`.
    pub taken: Option<String>,
}

/// A decoded, upright, opaque photo.
#[derive(Clone)]
pub struct Decoded {
    /// Tightly packed RGBA8, orientation applied, alpha 255 everywhere.
    pub rgba: Vec<u8>,
    /// Width of `rgba` (may be smaller than `source_width` after DCT scaling).
    pub width: u32,
    /// Height of `rgba`.
    pub height: u32,
    /// The photo's full width after orientation.
    pub source_width: u32,
    /// The photo's full height after orientation.
    pub source_height: u32,
    /// Title and capture date.
    pub meta: PhotoMeta,
}

impl std::fmt::Debug for Decoded {
    // The pixel buffer is megabytes; a derived Debug would print every byte.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decoded")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("source_width", &self.source_width)
            .field("source_height", &self.source_height)
            .field("rgba_len", &self.rgba.len())
            .field("meta", &self.meta)
            .finish()
    }
}

/// Reads and decodes one file. Refuses non-regular files, empty files and files over
/// `limits.max_file_bytes` before reading them.
pub fn decode_file(path: &Path, req: &DecodeRequest) -> Result<Decoded, ImageError> {
    let bytes = read::read_limited(path, req.limits.max_file_bytes)?;
    decode_bytes(&bytes, req)
}

/// Reads a photo file with the same checks as [`decode_file`] (for the prepare path, which
/// decodes with a hint of its own).
pub(crate) fn read_file(path: &Path, limits: &ImageLimits) -> Result<Vec<u8>, ImageError> {
    read::read_limited(path, limits.max_file_bytes)
}

/// Decodes an image held in memory (the format is taken from its content, never a name).
pub fn decode_bytes(bytes: &[u8], req: &DecodeRequest) -> Result<Decoded, ImageError> {
    decode_with_hint(bytes, &req.limits, req.deadline, &|_| req.hint, &|_| Ok(()))
}

/// Admission of a decode's memory: called with the decode's estimated peak allocation once the
/// header is read and before any pixel buffer exists. It may wait (for a cache to make room)
/// or refuse (the error is returned from the decode).
pub type Admit<'a> = &'a dyn Fn(u64) -> Result<(), ImageError>;

/// Decodes with a hint computed from the photo's upright size once the header is read: the
/// prepare path knows the target, not the photo, so it cannot fill [`DecodeRequest::hint`]
/// up front.
pub(crate) fn decode_with_hint(
    bytes: &[u8],
    limits: &ImageLimits,
    deadline: Option<Instant>,
    hint: &dyn Fn((u32, u32)) -> Option<(u32, u32)>,
    admit: Admit<'_>,
) -> Result<Decoded, ImageError> {
    if bytes.is_empty() {
        return Err(ImageError::Empty);
    }
    // Bytes from elsewhere than a file (a feed download) obey the same size limit.
    let len = bytes.len() as u64;
    if len > limits.max_file_bytes {
        return Err(ImageError::FileTooLarge {
            bytes: len,
            limit: limits.max_file_bytes,
        });
    }
    let ctx = Ctx {
        limits,
        deadline,
        hint,
        admit,
    };
    match sniff::sniff(bytes) {
        Some(sniff::Format::Jpeg) => jpeg::decode(bytes, &ctx),
        Some(format) => other::decode(bytes, format, &ctx),
        None => Err(ImageError::Unsupported(
            "the content is not JPEG, PNG, GIF, WebP, BMP or TIFF".into(),
        )),
    }
}

/// What every format's decoder needs besides the bytes.
pub(crate) struct Ctx<'a> {
    limits: &'a ImageLimits,
    deadline: Option<Instant>,
    hint: &'a dyn Fn((u32, u32)) -> Option<(u32, u32)>,
    admit: Admit<'a>,
}

impl Ctx<'_> {
    /// Refuses a header that claims more pixels than allowed; called before any pixel buffer
    /// exists, so a 100000×100000 claim costs nothing.
    fn check_pixels(&self, width: u32, height: u32) -> Result<(), ImageError> {
        if width == 0 || height == 0 {
            return Err(ImageError::Corrupt(format!(
                "the header claims a {width}×{height} image"
            )));
        }
        let pixels = u64::from(width) * u64::from(height);
        if pixels > self.limits.max_pixels {
            return Err(ImageError::TooManyPixels {
                width,
                height,
                limit: self.limits.max_pixels,
            });
        }
        Ok(())
    }

    /// Refuses a decode whose estimated peak allocation is over the limit, then asks the
    /// caller's admission (which may wait for memory to be freed).
    fn check_memory(&self, bytes: u64) -> Result<(), ImageError> {
        if bytes > self.limits.max_decoded_bytes {
            return Err(ImageError::TooMuchMemory {
                bytes,
                limit: self.limits.max_decoded_bytes,
            });
        }
        (self.admit)(bytes)
    }

    /// Stage boundary: gives up once the deadline has passed.
    fn check_deadline(&self) -> Result<(), ImageError> {
        check_deadline(self.deadline, self.limits)
    }
}

/// Returns [`ImageError::TooSlow`] once `deadline` has passed.
pub(crate) fn check_deadline(
    deadline: Option<Instant>,
    limits: &ImageLimits,
) -> Result<(), ImageError> {
    match deadline {
        Some(deadline) if Instant::now() >= deadline => Err(ImageError::TooSlow {
            budget_ms: limits.time_budget_ms,
        }),
        _ => Ok(()),
    }
}

/// Runs a third-party decoder call so that a panic inside it becomes `Corrupt` instead of
/// taking the worker down. The closures only touch the input bytes and buffers they own, and
/// everything they touched is dropped on the error path, so no broken state is observed.
fn guard<T>(what: &str, f: impl FnOnce() -> T) -> Result<T, ImageError> {
    catch_unwind(AssertUnwindSafe(f))
        .map_err(|_| ImageError::Corrupt(format!("the {what} decoder panicked on this file")))
}

/// Turns a decoder's pixels (already RGBA8, tightly packed) into a [`Decoded`]: composites
/// transparency over black when the source had alpha, then applies the EXIF orientation.
fn finish(
    mut rgba: Vec<u8>,
    size: (u32, u32),
    has_alpha: bool,
    orientation: u8,
    source: (u32, u32),
    meta: PhotoMeta,
) -> Result<Decoded, ImageError> {
    let expected = size.0 as usize * size.1 as usize * 4;
    if rgba.len() != expected {
        return Err(ImageError::Corrupt(format!(
            "the decoder returned {} bytes for a {}×{} image",
            rgba.len(),
            size.0,
            size.1
        )));
    }
    if has_alpha {
        composite_over_black(&mut rgba);
    }
    let (rgba, width, height) = orient::apply(rgba, size.0, size.1, orientation);
    let (source_width, source_height) = if swaps_axes(orientation) {
        (source.1, source.0)
    } else {
        source
    };
    Ok(Decoded {
        rgba,
        width,
        height,
        source_width,
        source_height,
        meta,
    })
}

/// Composites RGBA8 over black in place, leaving it opaque. Colour × alpha is exactly the
/// premultiplied colour, so resizing the result afterwards is the premultiply-aware resize of
/// the original: no dark or bright fringes where transparent pixels meet opaque ones.
pub(crate) fn composite_over_black(rgba: &mut [u8]) {
    let (pixels, _) = rgba.as_chunks_mut::<4>();
    for p in pixels {
        let a = u16::from(p[3]);
        if a != 255 {
            // (x·a + 127) / 255, rounded to nearest, in integers.
            for c in &mut p[..3] {
                *c = ((u16::from(*c) * a + 127) / 255) as u8;
            }
            p[3] = 255;
        }
    }
}

/// Expands `n` pixels of `channels` bytes each (1: gray, 3: RGB), stored at the start of
/// `buf`, into RGBA8 in place. Works from the end backwards so nothing is read after it was
/// overwritten; `buf` must hold `n × 4` bytes.
fn expand_in_place(buf: &mut [u8], n: usize, channels: usize) {
    debug_assert!(buf.len() >= n * 4);
    match channels {
        1 => {
            for i in (0..n).rev() {
                let g = buf[i];
                buf[i * 4..i * 4 + 4].copy_from_slice(&[g, g, g, 255]);
            }
        }
        3 => {
            for i in (0..n).rev() {
                let (r, g, b) = (buf[i * 3], buf[i * 3 + 1], buf[i * 3 + 2]);
                buf[i * 4..i * 4 + 4].copy_from_slice(&[r, g, b, 255]);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decoder_panic_becomes_corrupt() {
        // (The panic message still goes to stderr: the hook is global and tests run in
        // parallel, so it is not silenced here.)
        let r: Result<(), _> = guard("test", || panic!("a decoder bug"));
        assert!(matches!(r, Err(ImageError::Corrupt(_))));
        assert_eq!(guard("test", || 7).ok(), Some(7));
    }

    #[test]
    fn compositing_over_black_is_premultiplying() {
        let mut px = vec![255, 128, 0, 128, 10, 20, 30, 255, 200, 200, 200, 0];
        composite_over_black(&mut px);
        assert_eq!(px, [128, 64, 0, 255, 10, 20, 30, 255, 0, 0, 0, 255]);
    }

    #[test]
    fn expanding_gray_and_rgb_in_place() {
        let mut gray = vec![1, 2, 0, 0, 0, 0, 0, 0];
        expand_in_place(&mut gray, 2, 1);
        assert_eq!(gray, [1, 1, 1, 255, 2, 2, 2, 255]);
        let mut rgb = vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 0, 0];
        expand_in_place(&mut rgb, 3, 3);
        assert_eq!(rgb, [1, 2, 3, 255, 4, 5, 6, 255, 7, 8, 9, 255]);
    }
}
