//! The capture manager thread: connect, open, follow the default output device, report
//! status changes, retry with backoff, until the owning [`Capture`](super::Capture) is dropped.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use super::backend::Backend;
use super::backoff::Backoff;
use super::ring::Ring;
use super::stream::Opened;
use super::{CaptureConfig, CaptureError, CaptureStatus};

/// A floor for [`CaptureConfig::device_poll`]: each poll is a request to the audio server.
const MIN_POLL: Duration = Duration::from_millis(50);

/// How long a default-device poll may take: the audio server's client has no timeout of its
/// own, and a server that stopped answering must read as "no audio", not as a device that is
/// still capturing.
const POLL_TIMEOUT: Duration = Duration::from_secs(1);

/// A session that lasted this long counts as working: the next failure retries at once and the
/// backoff starts over.
const STABLE_SESSION: Duration = Duration::from_secs(5);

/// The ring the audio callback currently writes, with its rate.
pub(crate) struct Current {
    /// Written by the audio callback, read by `Capture::drain_into`.
    pub(crate) ring: Arc<Ring>,
    /// The rate of the samples in `ring`.
    pub(crate) sample_rate: u32,
}

/// How a capture session ended.
enum End {
    /// The owner dropped the [`Capture`].
    Stop,
    /// The default output device changed: reopen at once.
    Switched,
    /// The stream or the device failed.
    Failed(CaptureError),
}

/// The manager thread's state.
pub(crate) struct Manager {
    config: CaptureConfig,
    backoff: Backoff,
    current: Arc<Mutex<Option<Current>>>,
    stop: Receiver<()>,
    status: Sender<CaptureStatus>,
    last: Option<CaptureStatus>,
    /// Shared with the poll helper threads (see [`POLL_TIMEOUT`]).
    backend: Option<Arc<Backend>>,
}

impl Manager {
    /// A manager that will publish rings into `current` and statuses on `status`, and ends
    /// when `stop` disconnects.
    pub(crate) fn new(
        config: CaptureConfig,
        current: Arc<Mutex<Option<Current>>>,
        stop: Receiver<()>,
        status: Sender<CaptureStatus>,
    ) -> Manager {
        Manager {
            backoff: Backoff::new(config.retry_initial, config.retry_max),
            config,
            current,
            stop,
            status,
            last: None,
            backend: None,
        }
    }

    /// Opens, follows and reopens the capture until the owner stops it.
    pub(crate) fn run(&mut self) {
        let mut wait = Duration::ZERO;
        // Whether the failure being handled already had its one immediate retry.
        let mut retried = false;
        loop {
            if self.sleep(wait) {
                return;
            }
            let opened = match self.open() {
                Ok(opened) => opened,
                Err(CaptureError::Unsupported) => {
                    self.no_audio(&CaptureError::Unsupported);
                    // Nothing will ever change here: just wait to be stopped.
                    let _ = self.stop.recv();
                    return;
                }
                Err(e) => {
                    // The newest attempt says best why there is no audio now.
                    self.no_audio(&e);
                    wait = self.backoff.next_jittered();
                    continue;
                }
            };
            let began = Instant::now();
            self.publish(CaptureStatus::Capturing {
                device: opened.name.clone(),
                sample_rate: opened.sample_rate,
            });
            *self.current.lock().unwrap_or_else(PoisonError::into_inner) = Some(Current {
                ring: Arc::clone(&opened.ring),
                sample_rate: opened.sample_rate,
            });
            let end = self.follow(&opened);
            if let End::Failed(e @ CaptureError::Unresponsive { .. }) = &end {
                // Say so now: closing the stream is itself a request to the server that stopped
                // answering, so it happens on a thread of its own, which may wait forever.
                self.no_audio(e);
                let closing = std::thread::Builder::new()
                    .name("fft-capture-close".into())
                    .spawn(move || drop(opened));
                if let Err(e) = closing {
                    tracing::warn!("cannot close the capture stream aside ({e}); leaking it");
                }
            } else {
                drop(opened);
            }
            if began.elapsed() >= STABLE_SESSION {
                self.backoff.reset();
                retried = false;
            }
            match end {
                End::Stop => return,
                End::Switched => {
                    tracing::info!("the default output device changed; reopening");
                    wait = Duration::ZERO;
                }
                End::Failed(CaptureError::Unresponsive { .. }) => {
                    // Reported above; a hung server gets no immediate retry.
                    wait = self.backoff.next_jittered();
                }
                End::Failed(e) if !retried => {
                    // One immediate retry: a server restart or a device switch that surfaced
                    // as an error must not cost a backoff, and if the retry fails its own
                    // error is the reason reported (e.g. "not running" rather than "lost").
                    tracing::info!("audio capture ended ({e}); reopening");
                    retried = true;
                    wait = Duration::ZERO;
                }
                End::Failed(e) => {
                    // A stream that fails again right after opening: back off.
                    self.no_audio(&e);
                    wait = self.backoff.next_jittered();
                }
            }
        }
    }

    /// Sleeps `wait`, or less if stopped. Returns whether the owner asked to stop.
    fn sleep(&self, wait: Duration) -> bool {
        match self.stop.recv_timeout(wait) {
            Ok(()) | Err(RecvTimeoutError::Disconnected) => true,
            Err(RecvTimeoutError::Timeout) => false,
        }
    }

    /// Connects if needed (replacing a dead connection) and opens the loopback stream.
    fn open(&mut self) -> Result<Opened, CaptureError> {
        let backend = match self.backend.take().filter(|b| b.alive()) {
            Some(backend) => backend,
            None => Arc::new(Backend::connect()?),
        };
        let opened = backend.open(self.config.buffer_frames);
        self.backend = Some(backend);
        opened
    }

    /// Watches a running stream: its errors, default-device changes, the stop signal.
    fn follow(&mut self, opened: &Opened) -> End {
        let mut errors = opened.errors.clone();
        let poll = self.config.device_poll.max(MIN_POLL);
        loop {
            crossbeam_channel::select! {
                recv(self.stop) -> _ => return End::Stop,
                recv(errors) -> error => match error {
                    // WASAPI reports a default-device switch as an invalidated stream: a changed
                    // default means reopen, not failure.
                    Ok(error) => return match self.default_changed_within(opened, POLL_TIMEOUT) {
                        Ok(true) => End::Switched,
                        // The server hangs: that, not the stream's error, is what happened.
                        Err(e @ CaptureError::Unresponsive { .. }) => End::Failed(e),
                        _ => End::Failed(CaptureError::Stream {
                            device: opened.name.clone(),
                            source: error,
                        }),
                    },
                    // The stream's error reporter ended: nothing more can come from it.
                    Err(_) => errors = crossbeam_channel::never(),
                },
                default(poll) => match self.default_changed_within(opened, POLL_TIMEOUT) {
                    Ok(false) => {}
                    Ok(true) => return End::Switched,
                    Err(e) => return End::Failed(e),
                },
            }
        }
    }

    /// Whether the default output device is no longer the one `opened` follows.
    fn default_changed(&self, opened: &Opened) -> Result<bool, CaptureError> {
        let backend = self.backend.as_ref().ok_or(CaptureError::NoDefaultOutput)?;
        Ok(backend.default_output_key()? != opened.key)
    }

    /// [`Self::default_changed`], asked on a helper thread and given up after `limit`: a hung
    /// server then ends the session (its connection is dropped here; the helper, stuck in the
    /// request, ends whenever the server answers or goes away).
    fn default_changed_within(
        &mut self,
        opened: &Opened,
        limit: Duration,
    ) -> Result<bool, CaptureError> {
        let backend = Arc::clone(self.backend.as_ref().ok_or(CaptureError::NoDefaultOutput)?);
        let (tx, rx) = crossbeam_channel::bounded(1);
        let spawned = std::thread::Builder::new()
            .name("fft-capture-poll".into())
            .spawn(move || {
                let _ = tx.send(backend.default_output_key());
            });
        if spawned.is_err() {
            // No thread to spare: ask here, without the limit.
            return self.default_changed(opened);
        }
        match rx.recv_timeout(limit) {
            Ok(key) => Ok(key? != opened.key),
            Err(_) => {
                self.backend = None;
                Err(CaptureError::Unresponsive {
                    limit_ms: limit.as_millis() as u64,
                })
            }
        }
    }

    /// Reports `NoAudio` (logging a warning on the way into it).
    fn no_audio(&mut self, error: &CaptureError) {
        let status = CaptureStatus::NoAudio {
            reason: error.to_string(),
        };
        if self.last.as_ref() == Some(&status) {
            return;
        }
        if matches!(self.last, Some(CaptureStatus::NoAudio { .. })) {
            tracing::debug!("still no audio: {error}");
        } else {
            tracing::warn!("no audio: {error}");
        }
        // A status change replaces the old stream's samples as well.
        *self.current.lock().unwrap_or_else(PoisonError::into_inner) = None;
        self.publish(status);
    }

    /// Sends `status` unless it is what was sent last.
    fn publish(&mut self, status: CaptureStatus) {
        if self.last.as_ref() != Some(&status) {
            // The receiver may be gone (the owner only drains samples); that is fine.
            let _ = self.status.send(status.clone());
            self.last = Some(status);
        }
    }
}
