//! The worker supervisor: starts every enabled worker at boot, watches heartbeats, restarts
//! with backoff, bumps epochs, and releases shared memory on every path.
//!
//! **Boundary:** it runs on its own thread. The UI (render loop included) only touches the
//! [`Supervisor`] handle, whose every method returns at once: requests go through a bounded
//! queue, answers come back through per-kind drop-oldest [`Mailbox`]es, and lifecycle
//! [`Event`]s (with the shared-memory readers of each new epoch) through a channel polled with
//! `try_recv`.
//!
//! **Invariant:** a new epoch never starts writing before the previous process of that kind is
//! killed and reaped; each epoch gets fresh regions, so nothing an old process wrote can reach a
//! reader of the new one. Answers of an older epoch or an older request generation are dropped
//! and counted.

mod engine;
pub mod mailbox;
mod platform;
pub mod policy;
mod process;

pub use mailbox::{Mailbox, MailboxStats};
pub use policy::{Decision, RestartPolicy, RestartTracker};

use crossbeam_channel::{Receiver, Sender};
use idlewild_protocol::WorkerKind;
use idlewild_protocol::message::{Capabilities, Envelope, FromWorker, RegionRole, ToWorker};
use idlewild_protocol::shm::{FrameReader, StreamReader};
use idlewild_settings::Settings;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// The supervisor could not start a worker or itself.
#[derive(Debug, thiserror::Error)]
pub enum SupervisorError {
    /// The worker executable could not be started.
    #[error("could not start the {kind} worker ({exe}): {source}")]
    Spawn {
        /// The kind.
        kind: WorkerKind,
        /// The executable.
        exe: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A started worker had no pipes.
    #[error("the {0} worker started without its pipes")]
    Pipes(WorkerKind),
    /// A helper thread could not be started.
    #[error("could not start a supervisor thread: {0}")]
    Thread(std::io::Error),
    /// A shared-memory region could not be created or shared.
    #[error("shared memory for the {kind} worker: {source}")]
    Shm {
        /// The kind.
        kind: WorkerKind,
        /// The cause.
        source: idlewild_protocol::shm::ShmError,
    },
}

/// Why a request was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// No such worker is supervised (disabled, or not in this build).
    #[error("the {0} worker is not supervised")]
    Unknown(WorkerKind),
    /// The worker is between processes (starting, backing off, failed).
    #[error("the {0} worker is not running")]
    NotRunning(WorkerKind),
    /// The request queue is full; the supervisor is behind.
    #[error("the supervisor's request queue is full")]
    Busy,
}

/// One region a worker kind gets per epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegionPlan {
    /// What it is for.
    pub role: RegionRole,
    /// Slots (3 for frames).
    pub slots: u32,
    /// Largest payload per slot, in bytes.
    pub max_payload: u64,
}

/// One supervised worker kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkerSpec {
    /// The kind.
    pub kind: WorkerKind,
    /// Its regions.
    pub regions: Vec<RegionPlan>,
}

/// Everything the supervisor needs.
#[derive(Clone, Debug)]
pub struct SupervisorConfig {
    /// The executable started as `<exe> worker <kind>` (normally this very binary).
    pub exe: PathBuf,
    /// Ping period.
    pub heartbeat: Duration,
    /// A worker that has not answered for this many periods is hung.
    pub missed_heartbeats: u32,
    /// Restart schedule and cap.
    pub restart: RestartPolicy,
    /// How long a worker gets to exit after `Shutdown` before it is killed.
    pub shutdown_grace: Duration,
    /// Capacity of each kind's answer mailbox.
    pub mailbox_cap: usize,
    /// How often `[PERF]` lines are logged.
    pub perf_every: Duration,
    /// The workers to run.
    pub workers: Vec<WorkerSpec>,
}

impl SupervisorConfig {
    /// The configuration the settings describe: enabled kinds that this build has a role for.
    pub fn from_settings(settings: &Settings, exe: PathBuf) -> (Self, Vec<WorkerKind>) {
        let w = &settings.workers;
        let enabled = |kind: WorkerKind| match kind {
            WorkerKind::Image => w.image.enabled,
            // Off until their workers exist: the feeds issue brings `workers.rss.enabled` back,
            // the effects issue `workers.prep.enabled` (issue 12 hid the settings).
            WorkerKind::Rss | WorkerKind::Prep => false,
            // Nothing reads the spectrum while the visualizer is off.
            WorkerKind::Fft => w.fft.enabled && settings.visualizer.enabled,
            WorkerKind::Sim => w.sim.enabled,
        };
        let mut unavailable = Vec::new();
        let mut workers = Vec::new();
        for kind in WorkerKind::ALL.into_iter().filter(|k| enabled(*k)) {
            if idlewild_workers::roles::role(kind).is_none() {
                unavailable.push(kind);
                continue;
            }
            workers.push(WorkerSpec {
                kind,
                regions: region_plan(kind, settings),
            });
        }
        let ms = |v: u32| Duration::from_millis(u64::from(v));
        let config = Self {
            exe,
            heartbeat: ms(w.heartbeat_ms),
            missed_heartbeats: w.missed_heartbeats,
            restart: RestartPolicy {
                initial: ms(w.backoff_initial_ms),
                max: ms(w.backoff_max_ms.max(w.backoff_initial_ms)),
                window: Duration::from_secs(u64::from(w.restart_window_s)),
                cap: w.restart_cap,
                retry_after: Duration::from_secs(u64::from(w.failed_retry_s)),
                retry_max: Duration::from_secs(u64::from(
                    w.failed_retry_max_s.max(w.failed_retry_s),
                )),
                ..RestartPolicy::default()
            },
            shutdown_grace: ms(w.shutdown_grace_ms),
            mailbox_cap: 256,
            perf_every: Duration::from_secs(60),
            workers,
        };
        (config, unavailable)
    }
}

/// The regions each kind gets. Frames are sized for the largest picture the worker may
/// deliver; memory is only committed for pages actually written.
pub fn region_plan(kind: WorkerKind, settings: &Settings) -> Vec<RegionPlan> {
    let frames = |max_payload| RegionPlan {
        role: RegionRole::Frames,
        slots: 3,
        max_payload,
    };
    let stream = |slots, max_payload| RegionPlan {
        role: RegionRole::Stream,
        slots,
        max_payload,
    };
    match kind {
        WorkerKind::Sim => {
            let s = &settings.workers.sim;
            let bytes = u64::from(s.frame_width) * u64::from(s.frame_height) * 4;
            vec![frames(bytes), stream(64, 4096)]
        }
        WorkerKind::Image => vec![frames(3840 * 2160 * 4)],
        // 64 spectra (about a second at 60 Hz) of at most 800 bytes.
        WorkerKind::Fft => vec![stream(
            64,
            idlewild_protocol::spectrum::MAX_RECORD_LEN as u64,
        )],
        WorkerKind::Prep => vec![frames(16 << 20)],
        WorkerKind::Rss => Vec::new(),
    }
}

/// Why a worker process ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExitReason {
    /// It exited or was killed by someone else; the exit status in words.
    Died(String),
    /// It stopped answering heartbeats and was killed.
    Hung,
    /// It never said hello / attached in time and was killed.
    StartTimeout,
    /// Its control channel carried garbage and it was killed.
    Corrupt(String),
    /// It could not be started at all.
    SpawnFailed(String),
    /// The supervisor stopped it (shutdown or disabled).
    Stopped,
}

/// The shared-memory readers of one epoch, for the render thread.
#[derive(Default)]
pub struct Readers {
    /// Latest-wins frames.
    pub frames: Option<FrameReader>,
    /// Stream ring.
    pub stream: Option<StreamReader>,
}

impl std::fmt::Debug for Readers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Readers")
            .field("frames", &self.frames.is_some())
            .field("stream", &self.stream.is_some())
            .finish()
    }
}

/// Lifecycle news for the UI.
#[derive(Debug)]
pub enum Event {
    /// A worker process said hello and mapped its regions: its readers replace any older ones.
    Started {
        /// The kind.
        kind: WorkerKind,
        /// Its new epoch.
        epoch: u64,
        /// Its pid.
        pid: u32,
        /// What it can do.
        capabilities: Capabilities,
        /// Readers of its regions.
        readers: Readers,
    },
    /// A worker process ended; `restart_in` says when the next one starts.
    Exited {
        /// The kind.
        kind: WorkerKind,
        /// The epoch that ended.
        epoch: u64,
        /// Its pid.
        pid: u32,
        /// Why.
        reason: ExitReason,
        /// Backoff before the restart (None: no restart follows).
        restart_in: Option<Duration>,
    },
    /// The worker failed too often (or its half-open trial died early) and is not restarted
    /// until its circuit breaker's cool-down has passed; the UI degrades gracefully.
    Failed {
        /// The kind.
        kind: WorkerKind,
        /// Restarts within the window when it gave up.
        restarts: u32,
        /// When its half-open trial starts (its circuit breaker's cool-down).
        retry_in: Duration,
    },
}

/// Counters per kind, for `[PERF]` lines and tests.
#[derive(Debug, Default)]
pub struct KindCounters {
    /// Answers dropped because they came from an older epoch.
    pub stale_epoch: AtomicU64,
    /// Answers dropped because the UI asked for a newer generation since.
    pub stale_generation: AtomicU64,
    /// Messages from the worker rejected for size.
    pub oversize: AtomicU64,
    /// Messages from the worker that did not decode.
    pub decode_errors: AtomicU64,
    /// Control answers dropped because the supervisor thread was behind.
    pub control_dropped: AtomicU64,
    /// Requests refused because the worker's queue was full.
    pub requests_dropped: AtomicU64,
    /// Processes started.
    pub starts: AtomicU64,
}

/// State of one kind shared between the supervisor thread, the reader threads and the UI.
pub struct KindShared {
    /// The kind.
    pub kind: WorkerKind,
    epoch: AtomicU64,
    generation: AtomicU64,
    running: AtomicBool,
    next_seq: AtomicU64,
    /// Answers for the UI.
    pub mailbox: Mailbox<Envelope<FromWorker>>,
    /// Counters.
    pub counters: KindCounters,
}

impl KindShared {
    fn new(kind: WorkerKind, mailbox_cap: usize) -> Self {
        Self {
            kind,
            epoch: AtomicU64::new(0),
            generation: AtomicU64::new(0),
            running: AtomicBool::new(false),
            next_seq: AtomicU64::new(0),
            mailbox: Mailbox::new(mailbox_cap),
            counters: KindCounters::default(),
        }
    }

    /// The current epoch (0 before the first start).
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// The newest request generation seen; answers to older ones are dropped. A new client
    /// (a rebuilt render thread's) starts above it.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Filters an answer by epoch and generation, then queues it for the UI. Unsolicited
    /// messages (`correlation_id` 0: progress, notices) answer no request, so only their epoch
    /// is checked.
    fn deliver(&self, epoch: u64, env: Envelope<FromWorker>) {
        if epoch != self.epoch() || env.epoch != epoch {
            self.counters.stale_epoch.fetch_add(1, Ordering::Relaxed);
        } else if env.correlation_id != 0
            && env.generation < self.generation.load(Ordering::Acquire)
        {
            self.counters
                .stale_generation
                .fetch_add(1, Ordering::Relaxed);
        } else {
            self.mailbox.push(env);
        }
    }
}

enum Command {
    Request(WorkerKind, Envelope<ToWorker>),
    SetEnabled(WorkerKind, bool),
    Shutdown,
}

/// The UI's handle on the supervisor thread. Every method returns without waiting, except
/// [`Supervisor::shutdown`].
pub struct Supervisor {
    commands: Sender<Command>,
    events: Receiver<Event>,
    kinds: Vec<Arc<KindShared>>,
    thread: Option<JoinHandle<()>>,
}

impl Supervisor {
    /// Starts the supervisor thread, which starts every worker in `config` at once.
    pub fn start(config: SupervisorConfig) -> Result<Self, SupervisorError> {
        let kinds: Vec<Arc<KindShared>> = config
            .workers
            .iter()
            .map(|w| Arc::new(KindShared::new(w.kind, config.mailbox_cap)))
            .collect();
        let (commands, command_rx) = crossbeam_channel::bounded(1024);
        let (event_tx, events) = crossbeam_channel::unbounded();
        let engine = engine::Engine::new(config, kinds.clone(), command_rx, event_tx);
        let thread = std::thread::Builder::new()
            .name("supervisor".into())
            .spawn(move || engine.run())
            .map_err(SupervisorError::Thread)?;
        Ok(Self {
            commands,
            events,
            kinds,
            thread: Some(thread),
        })
    }

    /// The next lifecycle event, if any.
    pub fn poll_event(&self) -> Option<Event> {
        self.events.try_recv().ok()
    }

    /// Waits up to `timeout` for a lifecycle event (for tools and tests, never the render loop).
    pub fn wait_event(&self, timeout: Duration) -> Option<Event> {
        self.events.recv_timeout(timeout).ok()
    }

    /// Shared state of a supervised kind (mailbox, counters, epoch).
    pub fn kind(&self, kind: WorkerKind) -> Option<&Arc<KindShared>> {
        self.kinds.iter().find(|k| k.kind == kind)
    }

    /// The next answer of `kind`, if any.
    pub fn poll(&self, kind: WorkerKind) -> Option<Envelope<FromWorker>> {
        self.kind(kind)?.mailbox.poll()
    }

    /// Queues a request for `kind`. `generation` is the UI's request generation: answers to
    /// requests of an older generation are dropped from now on. Returns the request's `seq_no`.
    pub fn request(
        &self,
        kind: WorkerKind,
        body: ToWorker,
        generation: u64,
    ) -> Result<u64, RequestError> {
        let shared = self.kind(kind).ok_or(RequestError::Unknown(kind))?;
        if !shared.running.load(Ordering::Acquire) {
            return Err(RequestError::NotRunning(kind));
        }
        shared.generation.fetch_max(generation, Ordering::AcqRel);
        let seq_no = shared.next_seq.fetch_add(1, Ordering::Relaxed) + 1;
        let env = Envelope::request(kind, seq_no, shared.epoch(), generation, body);
        self.commands
            .try_send(Command::Request(kind, env))
            .map_err(|_| RequestError::Busy)?;
        Ok(seq_no)
    }

    /// Starts or stops a kind (a settings change). Re-enabling a failed worker clears its
    /// restart history.
    pub fn set_enabled(&self, kind: WorkerKind, enabled: bool) -> Result<(), RequestError> {
        self.commands
            .try_send(Command::SetEnabled(kind, enabled))
            .map_err(|_| RequestError::Busy)
    }

    /// Stops every worker (graceful, then killed after the grace period), releases all shared
    /// memory and joins the supervisor thread.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        let _ = self.commands.send(Command::Shutdown);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        self.stop();
    }
}
