//! Reading a photo file safely: regular files only, size checked before reading, read capped.
//!
//! A screensaver walks folders it does not control. A FIFO or device named `x.jpg` must not
//! block the worker, and a file that grows while being read must not make it allocate without
//! bound.

use crate::ImageError;
use std::fs::{File, OpenOptions};
use std::io::Read;
use std::path::Path;

/// Reads the whole file if it is a non-empty regular file of at most `max_bytes` bytes.
pub(crate) fn read_limited(path: &Path, max_bytes: u64) -> Result<Vec<u8>, ImageError> {
    // Metadata first: opening a FIFO for reading blocks until a writer appears.
    let meta = std::fs::metadata(path)?;
    check_kind_and_size(&meta, max_bytes)?;

    let file = open_nonblocking(path)?;
    // The path may have been swapped between the two calls; the open handle is what we read.
    let meta = file.metadata()?;
    let len = check_kind_and_size(&meta, max_bytes)?;

    // The cap (one byte over the limit, to notice growth) bounds the read whatever the
    // metadata said; the capacity is the size we expect, so a normal read never reallocates.
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)?;
    let read = bytes.len() as u64;
    if read > max_bytes {
        return Err(ImageError::FileTooLarge {
            bytes: read,
            limit: max_bytes,
        });
    }
    if read == 0 {
        return Err(ImageError::Empty);
    }
    Ok(bytes)
}

/// Checks the file is regular, non-empty and within the limit; returns its length.
fn check_kind_and_size(meta: &std::fs::Metadata, max_bytes: u64) -> Result<u64, ImageError> {
    if !meta.is_file() {
        return Err(ImageError::Unsupported(
            "not a regular file (a folder, pipe or device)".into(),
        ));
    }
    let len = meta.len();
    if len == 0 {
        return Err(ImageError::Empty);
    }
    if len > max_bytes {
        return Err(ImageError::FileTooLarge {
            bytes: len,
            limit: max_bytes,
        });
    }
    Ok(len)
}

/// Opens for reading without ever blocking in `open` (unix: `O_NONBLOCK`, which has no effect
/// on reads of regular files). Windows has no FIFOs in the file namespace to worry about.
fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}
