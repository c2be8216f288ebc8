//! The loopback source on Windows: WASAPI loopback of the default render device. cpal opens an
//! *input* stream on an *output* device in loopback mode (`AUDCLNT_STREAMFLAGS_LOOPBACK`), so
//! the default output device is opened as it is, with its output (mix) format. Loopback delivers
//! no packets while nothing plays; the caller treats that as silence.

use cpal::traits::{DeviceTrait, HostTrait};

use super::CaptureError;
use super::stream::{Opened, build, device_key, display_name};

/// The WASAPI host (stateless; kept for symmetry with the pulse backend).
pub(crate) struct Backend {
    host: cpal::Host,
}

impl Backend {
    /// Opens WASAPI, which every supported Windows has.
    pub(crate) fn connect() -> Result<Backend, CaptureError> {
        let host = cpal::host_from_id(cpal::HostId::Wasapi)
            .map_err(|e| CaptureError::NoServer(format!("WASAPI is not available: {e}")))?;
        Ok(Backend { host })
    }

    /// WASAPI has no connection that could die.
    pub(crate) fn alive(&self) -> bool {
        true
    }

    /// The endpoint id of the current default render device.
    pub(crate) fn default_output_key(&self) -> Result<String, CaptureError> {
        let device = self
            .host
            .default_output_device()
            .ok_or(CaptureError::NoDefaultOutput)?;
        device_key(&device)
    }

    /// Opens the default render device in loopback mode.
    pub(crate) fn open(&self, buffer_frames: u32) -> Result<Opened, CaptureError> {
        let device = self
            .host
            .default_output_device()
            .ok_or(CaptureError::NoDefaultOutput)?;
        let key = device_key(&device)?;
        let name = display_name(&device, &key);
        // Loopback captures the render mix, so the stream takes the device's output format.
        let config = device
            .default_output_config()
            .map_err(|e| CaptureError::Open {
                device: name.clone(),
                source: e,
            })?;
        build(&device, config, buffer_frames, name, key)
    }
}
