//! PNG, GIF (first frame), WebP, BMP and TIFF through the `image` crate, with its allocation
//! limit set and our pixel limit checked on the header before it allocates pixels.
//!
//! Anything with more than 8 bits per channel or another channel layout is converted to RGBA8
//! by `image`; transparency is composited over black afterwards ([`super::finish`]).

use super::sniff::{self, Format};
use super::{Ctx, Decoded, finish, guard, meta, swaps_axes};
use crate::ImageError;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};
use std::io::Cursor;

/// Decodes a non-JPEG image (the caller has sniffed `format` from the content).
pub(super) fn decode(bytes: &[u8], format: Format, ctx: &Ctx<'_>) -> Result<Decoded, ImageError> {
    if format == Format::Png {
        // Our own IHDR read: refuses a 100000×100000 claim before `image` sees the file, and
        // a PNG cut anywhere before IEND (png decodes one cut after its last IDAT happily).
        let png = sniff::png_info(bytes)
            .ok_or_else(|| ImageError::Corrupt("PNG without an IHDR chunk".into()))?;
        ctx.check_pixels(png.width, png.height)?;
        if !png.complete {
            return Err(ImageError::Corrupt("truncated PNG: no IEND chunk".into()));
        }
    }
    let image_format = match format {
        Format::Png => ImageFormat::Png,
        Format::Gif => ImageFormat::Gif,
        Format::WebP => ImageFormat::WebP,
        Format::Bmp => ImageFormat::Bmp,
        Format::Tiff => ImageFormat::Tiff,
        Format::Jpeg => ImageFormat::Jpeg,
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), image_format);
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(ctx.limits.max_decoded_bytes);
    reader.limits(limits);

    let limit = ctx.limits.max_decoded_bytes;
    let mut decoder =
        guard("image header", || reader.into_decoder())?.map_err(|e| from_image(e, 0, limit))?;
    let (width, height) = decoder.dimensions();
    ctx.check_pixels(width, height)?;

    // Metadata problems lose the metadata, never the photo.
    let orientation = guard("image metadata", || decoder.orientation())
        .ok()
        .and_then(Result::ok)
        .map_or(1, Orientation::to_exif);
    let photo_meta = guard("image metadata", || decoder.exif_metadata())
        .ok()
        .and_then(Result::ok)
        .flatten()
        .map(|tiff| meta::parse(&tiff).meta)
        .unwrap_or_default();

    let color = decoder.color_type();
    let has_alpha = color.has_alpha();
    let native = decoder.total_bytes();
    let rgba_bytes = u64::from(width) * u64::from(height) * 4;
    // The decoder's buffer, plus the RGBA conversion unless it already is RGBA8, plus the
    // rotated copy when the orientation swaps axes.
    let converted = if color == image::ColorType::Rgba8 {
        0
    } else {
        rgba_bytes
    };
    let rotated = if swaps_axes(orientation) {
        rgba_bytes
    } else {
        0
    };
    let needed = native.saturating_add(converted).saturating_add(rotated);
    ctx.check_memory(needed)?;
    ctx.check_deadline()?;

    let image = guard("image", || DynamicImage::from_decoder(decoder))?
        .map_err(|e| from_image(e, needed, limit))?;
    ctx.check_deadline()?;
    let rgba = image.into_rgba8().into_raw();
    finish(
        rgba,
        (width, height),
        has_alpha,
        orientation,
        (width, height),
        photo_meta,
    )
}

/// Maps `image`'s errors onto ours (`needed`: our estimate of the decode's memory, 0 while
/// unknown). Reading from memory, an I/O error can only mean the data ended early.
fn from_image(e: image::ImageError, needed: u64, limit: u64) -> ImageError {
    use image::error::LimitErrorKind;
    match e {
        image::ImageError::Limits(l) => match l.kind() {
            LimitErrorKind::InsufficientMemory => ImageError::TooMuchMemory {
                bytes: needed,
                limit,
            },
            _ => ImageError::Unsupported(l.to_string()),
        },
        image::ImageError::Unsupported(u) => ImageError::Unsupported(u.to_string()),
        other => ImageError::Corrupt(other.to_string()),
    }
}
