//! The loopback source on Linux and the BSDs: the monitor of the default sink, through cpal's
//! PulseAudio host (which talks to PulseAudio and to PipeWire's pipewire-pulse alike).
//!
//! A sink's monitor is named `<sink name>.monitor` by both servers. cpal keeps the pulse
//! `SinkInfo` (and its `monitor_source_name`) private, so the monitor is looked up by that name
//! among the sources, falling back to the description pulse gives monitors ("Monitor of …").

use cpal::traits::{DeviceTrait, HostTrait};

use super::CaptureError;
use super::stream::{Opened, build, device_key, display_name};

/// A client connection to the pulse server, kept across reopenings.
pub(crate) struct Backend {
    host: cpal::Host,
}

impl Backend {
    /// Connects to the server the environment names: the first of `PULSE_SERVER=unix:…`,
    /// `$PULSE_RUNTIME_PATH/pulse/native` and `$XDG_RUNTIME_DIR/pulse/native` that is *set*
    /// (the `pulseaudio` crate does not fall back to the next one when a set path is missing,
    /// so a stale `PULSE_SERVER` reads as "not running").
    pub(crate) fn connect() -> Result<Backend, CaptureError> {
        if !cpal::available_hosts().contains(&cpal::HostId::PulseAudio) {
            return Err(CaptureError::NoServer(
                "PulseAudio is not running (no server socket found)".into(),
            ));
        }
        let host = cpal::host_from_id(cpal::HostId::PulseAudio)
            .map_err(|e| CaptureError::NoServer(format!("cannot connect to PulseAudio: {e}")))?;
        Ok(Backend { host })
    }

    /// Whether the server still answers; a dead connection must be replaced, not reused.
    pub(crate) fn alive(&self) -> bool {
        self.host.devices().is_ok()
    }

    /// The name of the current default sink.
    pub(crate) fn default_output_key(&self) -> Result<String, CaptureError> {
        let sink = self
            .host
            .default_output_device()
            .ok_or(CaptureError::NoDefaultOutput)?;
        device_key(&sink)
    }

    /// Opens the monitor of the default sink.
    pub(crate) fn open(&self, buffer_frames: u32) -> Result<Opened, CaptureError> {
        let sink = self
            .host
            .default_output_device()
            .ok_or(CaptureError::NoDefaultOutput)?;
        let key = device_key(&sink)?;
        let sink_name = display_name(&sink, &key);
        let devices = self
            .host
            .devices()
            .map_err(|e| CaptureError::Lost(e.to_string()))?;
        let sources: Vec<cpal::Device> = devices.filter(DeviceTrait::supports_input).collect();
        let by_name = format!("{key}.monitor");
        let by_description = format!("Monitor of {sink_name}");
        let monitor = sources
            .iter()
            .find(|d| d.id().is_ok_and(|id| id.id() == by_name))
            .or_else(|| {
                sources
                    .iter()
                    .find(|d| display_name(d, "") == by_description)
            })
            .ok_or_else(|| CaptureError::NoMonitor(sink_name.clone()))?;
        let name = display_name(monitor, &by_name);
        let config = monitor
            .default_input_config()
            .map_err(|e| CaptureError::Open {
                device: name.clone(),
                source: e,
            })?;
        build(monitor, config, buffer_frames, name, key)
    }
}
