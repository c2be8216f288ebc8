//! The photos of `bench frames`: every photo prepared once before any scenario (which also
//! tells its size and how long the worker's path takes), the large ones kept, and the links
//! that put them in a folder for an image worker.

use super::{LARGE_PIXELS, SHOWN};
use anyhow::Context;
use idlewild_image::prepare::prepare_file;
use idlewild_protocol::message::image::{ImageLimits, ScaleOptions};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// One photo found and prepared once, before any scenario.
pub(super) struct Photo {
    pub(super) path: PathBuf,
    pub(super) source: (u32, u32),
    pub(super) prepare_ms: f64,
}

pub(super) fn pixels_of(p: &Photo) -> u64 {
    u64::from(p.source.0) * u64::from(p.source.1)
}

/// Every photo prepared once (which also tells its size), largest first: those of at least
/// [`LARGE_PIXELS`], or the [`SHOWN`] largest when fewer are that large.
pub(super) fn large_photos(all: &[PathBuf], size: (u32, u32)) -> Vec<Photo> {
    let mut buf = Vec::new();
    let mut found: Vec<Photo> = all
        .iter()
        .filter_map(|path| {
            let t = Instant::now();
            let prepared = prepare_default(path, size, &mut buf).ok()?;
            Some(Photo {
                path: path.clone(),
                source: (prepared.source_width, prepared.source_height),
                prepare_ms: t.elapsed().as_secs_f64() * 1e3,
            })
        })
        .collect();
    found.sort_by_key(|p| std::cmp::Reverse(pixels_of(p)));
    let large = found
        .iter()
        .filter(|p| pixels_of(p) >= LARGE_PIXELS)
        .count();
    found.truncate(large.max(SHOWN));
    found
}

/// The worker's path for one photo with the default scaling and limits, into `out`.
fn prepare_default(
    path: &Path,
    size: (u32, u32),
    out: &mut Vec<u8>,
) -> Result<idlewild_image::prepare::Prepared, idlewild_image::ImageError> {
    let (scale, limits) = (ScaleOptions::default(), ImageLimits::default());
    prepare_file(path, size, &scale, &limits, None, out)
}

pub(super) fn prepare(path: &Path, size: (u32, u32)) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    prepare_default(path, size, &mut out)
        .with_context(|| format!("cannot prepare {}", path.display()))?;
    Ok(out)
}

pub(super) fn link_name(i: usize, target: &Path) -> String {
    let ext = target.extension().and_then(|e| e.to_str()).unwrap_or("jpg");
    format!("{i:03}.{ext}")
}

#[cfg(unix)]
pub(super) fn link(target: &Path, at: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, at)
}

/// Symbolic links need a privilege on Windows: copies instead.
#[cfg(not(unix))]
pub(super) fn link(target: &Path, at: &Path) -> std::io::Result<()> {
    std::fs::copy(target, at).map(|_| ())
}
