//! The renderer's error types: everything that can go wrong between a caller's bytes or a GPU
//! adapter and a finished frame ([`RenderError`]), and a transition option a user got wrong
//! ([`ParamError`]).

/// Errors from creating a renderer, uploading images or reading frames back.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// No wgpu adapter at all could be created (no GPU driver, no software rasteriser).
    #[error("no wgpu adapter available: {0}")]
    NoAdapter(String),
    /// The adapter refused to create a device, or the device reported an error.
    #[error("wgpu device error: {0}")]
    Device(String),
    /// A shader or pipeline failed validation for the requested target format.
    #[error("could not build the pipeline for transition `{transition}`: {message}")]
    Pipeline {
        /// Registry key of the transition whose pipeline failed.
        transition: &'static str,
        /// The validation message wgpu reported.
        message: String,
    },
    /// A visualizer mode's shader or pipeline failed validation for the target format.
    #[error("could not build the pipeline for visualizer mode `{mode}`: {message}")]
    VisualizerPipeline {
        /// Id of the mode whose pipeline failed.
        mode: &'static str,
        /// The validation message wgpu reported.
        message: String,
    },
    /// `set_visualizer` got level and ghost slices of different lengths, or more than
    /// [`MAX_BARS`](crate::MAX_BARS) of them.
    #[error(
        "visualizer input needs as many ghosts as levels, at most {max}: got {levels} levels and \
         {ghosts} ghosts"
    )]
    BadBars {
        /// Levels the caller passed.
        levels: usize,
        /// Ghost levels the caller passed.
        ghosts: usize,
        /// [`MAX_BARS`](crate::MAX_BARS).
        max: usize,
    },
    /// An image buffer does not hold exactly `width * height * 4` bytes, or has a zero side.
    #[error("bad RGBA8 image: {width}x{height} needs {expected} bytes, got {len}")]
    BadImage {
        /// Width the caller claimed.
        width: u32,
        /// Height the caller claimed.
        height: u32,
        /// Bytes the caller passed.
        len: usize,
        /// Bytes a `width` x `height` RGBA8 image needs (0 when that overflows or a side is 0).
        expected: usize,
    },
    /// A staged upload's rows do not fit the image begun with `Renderer::begin_image`: not whole
    /// rows of `width * 4` bytes, none at all, or past the last row.
    #[error(
        "bad rows for a {width}x{height} image: {len} bytes at row {first_row} are not whole \
         rows of {row_bytes} bytes inside the image"
    )]
    BadRows {
        /// First row the caller wanted to write.
        first_row: u32,
        /// Bytes the caller passed.
        len: usize,
        /// Bytes in one row (`width * 4`).
        row_bytes: usize,
        /// Width of the slot's image.
        width: u32,
        /// Height of the slot's image.
        height: u32,
    },
    /// An image is larger than the device's maximum 2D texture size.
    #[error("image {width}x{height} exceeds the device's maximum texture side of {max}")]
    ImageTooLarge {
        /// Width the caller asked for.
        width: u32,
        /// Height the caller asked for.
        height: u32,
        /// The device's `max_texture_dimension_2d`.
        max: u32,
    },
    /// Read-back only supports formats with four bytes per pixel.
    #[error("texture format {0:?} cannot be read back as 4-byte pixels")]
    UnsupportedFormat(wgpu::TextureFormat),
    /// Mapping the read-back buffer or waiting for the GPU failed.
    #[error("reading the frame back failed: {0}")]
    Readback(String),
}

impl RenderError {
    /// `Ok` when a `width` x `height` image has no zero side and none above `max`.
    pub(crate) fn check_size(width: u32, height: u32, max: u32) -> Result<(), RenderError> {
        if width == 0 || height == 0 {
            return Err(RenderError::BadImage {
                width,
                height,
                len: 0,
                expected: 0,
            });
        }
        if width > max || height > max {
            return Err(RenderError::ImageTooLarge { width, height, max });
        }
        Ok(())
    }

    /// `Ok` when `len` bytes are exactly one `width` x `height` RGBA8 image with no zero side,
    /// else [`RenderError::BadImage`].
    pub(crate) fn check_rgba(len: usize, width: u32, height: u32) -> Result<(), RenderError> {
        let expected = (width as usize)
            .checked_mul(height as usize)
            .and_then(|px| px.checked_mul(4))
            .unwrap_or(0);
        if expected == 0 || len != expected {
            return Err(RenderError::BadImage {
                width,
                height,
                len,
                expected,
            });
        }
        Ok(())
    }
}

/// A transition option value that cannot be used (from a command line or a settings file).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParamError {
    /// The transition has no option with this key.
    #[error("transition `{transition}` has no option `{key}` (it has: {})", key_list(.known))]
    UnknownKey {
        /// Registry key of the transition.
        transition: &'static str,
        /// The key the caller gave.
        key: String,
        /// The transition's option keys, for the message.
        known: Vec<&'static str>,
    },
    /// The value is neither a number nor, for a choice, one of its names.
    #[error("`{value}` is not a value of option `{key}` of transition `{transition}`")]
    BadValue {
        /// Registry key of the transition.
        transition: &'static str,
        /// The option's key.
        key: &'static str,
        /// The text the caller gave.
        value: String,
    },
}

/// `a, b, c`, or `none` for a transition without options.
fn key_list(keys: &[&str]) -> String {
    if keys.is_empty() {
        "none".to_owned()
    } else {
        keys.join(", ")
    }
}
