//! Loopback audio capture for the fft role: whatever the default output device is playing,
//! as mono `f32` samples with their arrival time.
//!
//! **Where the audio comes from.** On Linux the monitor source of the default sink, through
//! cpal's pure-Rust PulseAudio host: it works against PulseAudio and against PipeWire (through
//! pipewire-pulse, which every mainstream PipeWire desktop runs), needs no C library, and a
//! sink monitor is the only portable loopback there is (ALSA has none short of an
//! `snd-aloop` setup). On Windows, WASAPI loopback of the default render device. On macOS and
//! elsewhere there is no loopback without a virtual device, so the status says so.
//!
//! **Shape.** [`Capture::start`] spawns one manager thread that connects, opens the stream,
//! follows default-device changes (polled every [`CaptureConfig::device_poll`]) and retries
//! with exponential backoff while there is no audio; it never panics the caller and never
//! fails. The audio callback converts every buffer to mono and writes it into a lock-free ring
//! holding about half a second (`ring.rs`); it never waits for the consumer, and a slow
//! consumer loses the oldest samples. [`Capture::drain_into`] takes what arrived since the
//! last call. Status changes ([`CaptureStatus`]) arrive on a channel, once per change.
//!
//! A loopback source that delivers nothing (nothing is playing) is silence, not an error.

mod backoff;
mod manager;
// Only platforms with a loopback backend (`cfg(loopback)`, see build.rs) build streams;
// elsewhere the stream plumbing (and the conversion and ring it feeds) is compiled but unused.
#[cfg_attr(not(loopback), allow(dead_code))]
mod convert;
#[cfg_attr(not(loopback), allow(dead_code))]
mod ring;
#[cfg_attr(not(loopback), allow(dead_code))]
mod stream;

#[cfg(all(loopback, not(windows)))]
#[path = "pulse.rs"]
mod backend;
#[cfg(all(loopback, windows))]
#[path = "wasapi.rs"]
mod backend;
#[cfg(not(loopback))]
#[path = "unsupported.rs"]
mod backend;

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use manager::{Current, Manager};

/// Backoff and polling knobs.
#[derive(Clone, Debug)]
pub struct CaptureConfig {
    /// First delay before retrying when there is no audio (default 500 ms).
    pub retry_initial: Duration,
    /// Longest delay between retries (default 30 s).
    pub retry_max: Duration,
    /// How often the default output device is re-checked (default 2 s; at least 50 ms).
    pub device_poll: Duration,
    /// Frames per callback requested from the device (default 1024; pulse needs a fixed size).
    pub buffer_frames: u32,
}

impl Default for CaptureConfig {
    fn default() -> CaptureConfig {
        CaptureConfig {
            retry_initial: Duration::from_millis(500),
            retry_max: Duration::from_secs(30),
            device_poll: Duration::from_secs(2),
            buffer_frames: 1024,
        }
    }
}

/// What the capture is doing; sent on every change (never repeated while unchanged).
#[derive(Clone, Debug, PartialEq)]
pub enum CaptureStatus {
    /// Capturing from this device (human-readable name, e.g. "Monitor of Null Output") at this
    /// rate.
    Capturing {
        /// The source's name as the audio system describes it.
        device: String,
        /// Frames per second.
        sample_rate: u32,
    },
    /// No loopback source: why, in one sentence.
    NoAudio {
        /// E.g. "PulseAudio is not running (no server socket found)".
        reason: String,
    },
}

/// Samples taken by one [`Capture::drain_into`] call.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Drained {
    /// Mono samples appended.
    pub frames: usize,
    /// Their rate.
    pub sample_rate: u32,
    /// `idlewild_protocol::clock::mono_ns()` in the callback that delivered the newest one.
    pub newest_ns: u64,
}

/// Why there is no audio right now (becomes [`CaptureStatus::NoAudio`]'s reason).
#[derive(Debug, thiserror::Error)]
// Without a backend only `Unsupported` is ever built.
#[cfg_attr(not(loopback), allow(dead_code))]
pub(crate) enum CaptureError {
    /// The audio server cannot be reached.
    #[error("{0}")]
    NoServer(String),
    /// The server answers but has no default output device.
    #[error("there is no default output device")]
    NoDefaultOutput,
    /// The default output has no monitor source to capture (pulse only).
    #[cfg_attr(any(not(loopback), windows), allow(dead_code))]
    #[error("the default output device \"{0}\" has no monitor source")]
    NoMonitor(String),
    /// The device offers only a format that is not PCM.
    #[error("\"{device}\" delivers {format} samples, which cannot be analysed")]
    Format {
        /// The source.
        device: String,
        /// Its sample format.
        format: String,
    },
    /// Opening or starting the stream failed.
    #[error("cannot open \"{device}\": {source}")]
    Open {
        /// The source.
        device: String,
        /// What cpal said.
        source: cpal::Error,
    },
    /// The running stream reported an error.
    #[error("the capture from \"{device}\" stopped: {source}")]
    Stream {
        /// The source.
        device: String,
        /// What cpal said.
        source: cpal::Error,
    },
    /// The connection or device went away in some other way.
    #[error("the audio device went away: {0}")]
    Lost(String),
    /// The audio server stopped answering requests (hung, or stopped with SIGSTOP).
    #[error("the audio server did not answer within {limit_ms} ms")]
    Unresponsive {
        /// How long it was given.
        limit_ms: u64,
    },
    /// This platform has no loopback source (only built where there is no backend).
    #[cfg_attr(loopback, allow(dead_code))]
    #[error("no loopback source on this platform (macOS needs a virtual device such as BlackHole)")]
    Unsupported,
}

/// How long `drop` waits for the manager thread before leaving it to finish on its own (it can
/// be inside a call to a hung audio server).
const DROP_WAIT: Duration = Duration::from_secs(1);

/// A running loopback capture. See the module documentation.
pub struct Capture {
    current: Arc<Mutex<Option<Current>>>,
    status: Receiver<CaptureStatus>,
    /// Dropped to tell the manager to stop.
    stop: Option<Sender<()>>,
    /// Disconnects when the manager thread has ended.
    done: Receiver<()>,
    thread: Option<JoinHandle<()>>,
}

impl Capture {
    /// Starts the capture manager thread; never fails (no device = `NoAudio` status + retries
    /// with backoff).
    pub fn start(config: CaptureConfig) -> Capture {
        let current = Arc::new(Mutex::new(None));
        let (status_tx, status) = crossbeam_channel::unbounded();
        let (stop, stop_rx) = crossbeam_channel::bounded(1);
        let (done_tx, done) = crossbeam_channel::bounded::<()>(0);
        let shared = Arc::clone(&current);
        let fallback_tx = status_tx.clone();
        let crash_tx = status_tx.clone();
        let spawned = std::thread::Builder::new()
            .name("idlewild-capture".into())
            .spawn(move || {
                let _done = done_tx;
                // Nothing here should panic, but a panic inside the audio library must end in
                // a status, not in silence nobody can explain.
                let run =
                    AssertUnwindSafe(|| Manager::new(config, shared, stop_rx, status_tx).run());
                if std::panic::catch_unwind(run).is_err() {
                    let reason = "the audio capture thread failed unexpectedly".to_owned();
                    tracing::warn!("no audio: {reason}");
                    let _ = crash_tx.send(CaptureStatus::NoAudio { reason });
                }
            });
        let thread = match spawned {
            Ok(handle) => Some(handle),
            Err(e) => {
                let reason = format!("cannot start the capture thread: {e}");
                tracing::warn!("no audio: {reason}");
                let _ = fallback_tx.send(CaptureStatus::NoAudio { reason });
                None
            }
        };
        Capture {
            current,
            status,
            stop: Some(stop),
            done,
            thread,
        }
    }

    /// Appends every mono `f32` sample captured since the last call (channels averaged) to
    /// `out`; `None` when nothing arrived. `newest_ns` is `idlewild_protocol::clock::mono_ns()`
    /// taken in the callback that delivered the newest sample. After a device or rate change
    /// only samples of the newest stream are returned.
    pub fn drain_into(&self, out: &mut Vec<f32>) -> Option<Drained> {
        // Held only by consumers and, briefly, by the manager swapping rings; never by the
        // audio callback, which owns its ring directly.
        let guard = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        let current = guard.as_ref()?;
        let taken = current.ring.drain_into(out)?;
        if taken.dropped > 0 {
            tracing::trace!(dropped = taken.dropped, "capture consumer fell behind");
        }
        Some(Drained {
            frames: taken.samples,
            sample_rate: current.sample_rate,
            newest_ns: taken.newest_ns,
        })
    }

    /// Status changes (the first one soon after start). Meant for a single consumer: each
    /// change is delivered once.
    pub fn status(&self) -> Receiver<CaptureStatus> {
        self.status.clone()
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        // Disconnecting the stop channel wakes the manager wherever it waits.
        drop(self.stop.take());
        let Some(thread) = self.thread.take() else {
            return;
        };
        match self.done.recv_timeout(DROP_WAIT) {
            Err(RecvTimeoutError::Disconnected) => {
                let _ = thread.join();
            }
            Ok(()) | Err(RecvTimeoutError::Timeout) => {
                tracing::warn!("the audio capture thread is stuck in the audio system; leaving it");
            }
        }
    }
}
