//! The naive path the benchmarks compare against: what a straightforward program does with
//! the `image` crate (`image::open`, then a Lanczos3 resize-to-fill, then RGBA8). No limits, no
//! DCT-domain scaling, no SIMD resize. Kept here, beside the real path, so both are built with
//! the same compiler settings.

use crate::ImageError;
use std::path::Path;

/// Decodes `path` and scales it to cover `width`×`height` (centre crop) the naive way.
pub fn naive_fill(path: &Path, width: u32, height: u32) -> Result<Vec<u8>, ImageError> {
    let img = image::open(path).map_err(|e| ImageError::Corrupt(e.to_string()))?;
    let filled = img.resize_to_fill(width, height, image::imageops::FilterType::Lanczos3);
    Ok(filled.to_rgba8().into_raw())
}
