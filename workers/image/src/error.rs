//! `ImageError`: why one image could not be turned into a frame. Every variant is a reason to
//! skip the image (logged once with its path) and move on to the next one; none is fatal.

use std::io;

/// Why an image was skipped.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// The file could not be opened or read.
    #[error("cannot read the file: {0}")]
    Io(#[from] io::Error),
    /// The file is empty.
    #[error("the file is empty")]
    Empty,
    /// The file is larger than the configured maximum.
    #[error("the file is {bytes} bytes, over the limit of {limit}")]
    FileTooLarge {
        /// Its size.
        bytes: u64,
        /// The limit.
        limit: u64,
    },
    /// The header claims more pixels than allowed (a decompression bomb or an absurd photo).
    #[error("the image claims {width}×{height} pixels, over the limit of {limit}")]
    TooManyPixels {
        /// Claimed width.
        width: u32,
        /// Claimed height.
        height: u32,
        /// The pixel limit.
        limit: u64,
    },
    /// Decoding would need more memory than allowed.
    #[error("decoding needs {bytes} bytes, over the limit of {limit}")]
    TooMuchMemory {
        /// Bytes needed.
        bytes: u64,
        /// The limit.
        limit: u64,
    },
    /// Not an image in a format this build decodes (or the content does not match the name).
    #[error("not a supported image: {0}")]
    Unsupported(String),
    /// The decoder failed: truncated or corrupt data.
    #[error("corrupt or truncated image: {0}")]
    Corrupt(String),
    /// Decoding and scaling took longer than the per-image budget.
    #[error("took more than the {budget_ms} ms budget")]
    TooSlow {
        /// The budget.
        budget_ms: u32,
    },
    /// Not a failure of the photo: the worker had no memory free for this decode now and
    /// postponed it (it is tried again later; never a reason to skip).
    #[error("postponed: no memory free for it now")]
    Deferred,
    /// The target size is unusable (zero or larger than a frame may be).
    #[error("bad target size {width}×{height}")]
    BadTarget {
        /// Requested width.
        width: u32,
        /// Requested height.
        height: u32,
    },
}

impl ImageError {
    /// A short, stable tag for counters and throttled logs.
    pub fn tag(&self) -> &'static str {
        match self {
            ImageError::Io(_) => "io",
            ImageError::Empty => "empty",
            ImageError::FileTooLarge { .. } => "file-too-large",
            ImageError::TooManyPixels { .. } => "too-many-pixels",
            ImageError::TooMuchMemory { .. } => "too-much-memory",
            ImageError::Unsupported(_) => "unsupported",
            ImageError::Corrupt(_) => "corrupt",
            ImageError::TooSlow { .. } => "too-slow",
            ImageError::Deferred => "deferred",
            ImageError::BadTarget { .. } => "bad-target",
        }
    }
}
