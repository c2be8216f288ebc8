//! Building and starting the capture stream once a backend has chosen the device: the audio
//! callback (mix down to mono, push into a fresh ring), the error channel, and a `play` that
//! cannot hang the manager.

use std::sync::Arc;
use std::time::Duration;

use cpal::traits::{DeviceTrait, StreamTrait};
use crossbeam_channel::Receiver;
use idlewild_protocol::clock::mono_ns;

use super::CaptureError;
use super::convert;
use super::ring::Ring;

/// How long stream creation may take before the server counts as unresponsive.
const BUILD_TIMEOUT: Duration = Duration::from_secs(3);

/// How long to wait for `play` before carrying on without its answer.
const PLAY_WAIT: Duration = Duration::from_secs(2);

/// An open, playing loopback stream and what the manager needs to follow it.
pub(crate) struct Opened {
    /// Kept alive for as long as the capture should run; dropping it stops the stream.
    _stream: Arc<cpal::Stream>,
    /// Where the audio callback writes mono samples.
    pub(crate) ring: Arc<Ring>,
    /// Human-readable name of the source (e.g. "Monitor of Null Output").
    pub(crate) name: String,
    /// Frames per second of the samples in `ring`.
    pub(crate) sample_rate: u32,
    /// Identity of the default output device this capture follows; a different key from
    /// `Backend::default_output_key` means the user switched outputs.
    pub(crate) key: String,
    /// Errors the stream reported from its own threads.
    pub(crate) errors: Receiver<cpal::Error>,
}

/// The backend's stable id of a device (pulse: its name; WASAPI: the endpoint id).
pub(crate) fn device_key(device: &cpal::Device) -> Result<String, CaptureError> {
    device
        .id()
        .map(|id| id.id().to_owned())
        .map_err(|e| CaptureError::Lost(format!("cannot identify the default output: {e}")))
}

/// The device's human-readable name, or `fallback` when it has none.
pub(crate) fn display_name(device: &cpal::Device, fallback: &str) -> String {
    device
        .description()
        .map(|d| d.name().to_owned())
        .unwrap_or_else(|_| fallback.to_owned())
}

/// Builds and starts an input stream on `device` whose callback mixes every buffer down to mono
/// into a fresh ring holding about half a second. `key` identifies the default output followed.
pub(crate) fn build(
    device: &cpal::Device,
    supported: cpal::SupportedStreamConfig,
    buffer_frames: u32,
    name: String,
    key: String,
) -> Result<Opened, CaptureError> {
    let format = supported.sample_format();
    if !convert::supported(format) {
        return Err(CaptureError::Format {
            device: name,
            format: format.to_string(),
        });
    }
    let sample_rate = supported.sample_rate();
    let channels = usize::from(supported.channels()).max(1);
    // A fixed period: with the default size, capture through pulse was erratic (MACHINE_NOTES,
    // "Audio"). Clamped into what the device says it takes.
    let frames = match *supported.buffer_size() {
        cpal::SupportedBufferSize::Range { min, max } => buffer_frames.clamp(min, max.max(min)),
        cpal::SupportedBufferSize::Unknown => buffer_frames,
    }
    .max(1);
    let config = cpal::StreamConfig {
        channels: supported.channels(),
        sample_rate,
        buffer_size: cpal::BufferSize::Fixed(frames),
    };
    let capacity = (sample_rate as usize / 2).max(2 * frames as usize);
    let ring = Arc::new(Ring::new(capacity));
    let producer = Arc::clone(&ring);
    let on_data = move |data: &cpal::Data, _: &cpal::InputCallbackInfo| {
        // Arrival time of this buffer, taken first so that conversion time does not count.
        let now = mono_ns();
        convert::with_mono(data, channels, |samples| producer.push(samples, now));
    };
    // Bounded and non-blocking: the error callback runs on the backend's own threads.
    let (error_tx, errors) = crossbeam_channel::bounded(4);
    let on_error = move |e: cpal::Error| {
        let _ = error_tx.try_send(e);
    };
    let stream = device
        .build_input_stream_raw(config, format, on_data, on_error, Some(BUILD_TIMEOUT))
        .map_err(|e| CaptureError::Open {
            device: name.clone(),
            source: e,
        })?;
    let stream = Arc::new(stream);
    start(&stream, &name)?;
    tracing::info!(
        device = %name,
        sample_rate,
        channels,
        format = %format,
        buffer_frames = frames,
        "audio capture opened"
    );
    Ok(Opened {
        _stream: stream,
        ring,
        name,
        sample_rate,
        key,
        errors,
    })
}

/// Starts the stream. pulse's `play` returns only once the first data arrived, so it runs on a
/// helper thread, and a source that stays silent longer than [`PLAY_WAIT`] is not an error (the
/// stream is already running by then; the helper ends with the first packet or the stream).
fn start(stream: &Arc<cpal::Stream>, name: &str) -> Result<(), CaptureError> {
    let (tx, rx) = crossbeam_channel::bounded(1);
    let helper = Arc::clone(stream);
    std::thread::Builder::new()
        .name("idlewild-capture-play".into())
        .spawn(move || {
            let _ = tx.send(helper.play());
        })
        .map_err(|e| CaptureError::Lost(format!("cannot start a thread: {e}")))?;
    match rx.recv_timeout(PLAY_WAIT) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(CaptureError::Open {
            device: name.to_owned(),
            source: e,
        }),
        Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
            tracing::debug!(device = %name, "no audio data yet; treating the source as silent");
            Ok(())
        }
        Err(crossbeam_channel::RecvTimeoutError::Disconnected) => Err(CaptureError::Lost(
            "the stream's start-up thread ended without an answer".into(),
        )),
    }
}
