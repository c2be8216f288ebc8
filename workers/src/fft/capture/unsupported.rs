//! Platforms without a loopback source: macOS (CoreAudio has none; a virtual device such as
//! BlackHole would be needed) and anything else cpal supports. Every call reports why.

use super::CaptureError;
use super::stream::Opened;

/// Nothing to connect to.
pub(crate) struct Backend;

impl Backend {
    /// Always [`CaptureError::Unsupported`].
    pub(crate) fn connect() -> Result<Backend, CaptureError> {
        Err(CaptureError::Unsupported)
    }

    /// Never reached: [`Backend::connect`] always fails here.
    pub(crate) fn alive(&self) -> bool {
        false
    }

    /// Never reached: [`Backend::connect`] always fails here.
    pub(crate) fn default_output_key(&self) -> Result<String, CaptureError> {
        Err(CaptureError::Unsupported)
    }

    /// Never reached: [`Backend::connect`] always fails here.
    pub(crate) fn open(&self, _buffer_frames: u32) -> Result<Opened, CaptureError> {
        Err(CaptureError::Unsupported)
    }
}
