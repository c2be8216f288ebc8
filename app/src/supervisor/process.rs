//! One worker process: spawn it with its regions, and the three threads that serve its pipes.
//!
//! - **writer** thread: drains a bounded queue into the worker's stdin, so the supervisor
//!   thread never blocks on a full pipe.
//! - **reader** thread: decodes the worker's stdout. Control answers (`Hello`, `Attached`,
//!   `Pong`, `Error`) go to the supervisor thread; everything else is filtered by epoch and
//!   generation and lands in the kind's UI mailbox.
//! - **stderr** thread: re-logs the worker's log lines with its kind, pid and epoch, capped in
//!   length and rate so a babbling worker cannot flood the log.

use super::platform;
use super::{KindShared, SupervisorError};
use crossbeam_channel::{Receiver, Sender, TrySendError};
use idlewild_protocol::WorkerKind;
use idlewild_protocol::message::{DEFAULT_MESSAGE_CAP, Envelope, FromWorker, ToWorker};
use idlewild_protocol::shm::SharedRegion;
use idlewild_protocol::wire::{WireError, WireReader, WireWriter};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// Requests queued for one worker's stdin before new ones are refused.
const OUTBOX_CAP: usize = 256;
/// Longest worker log line kept; the rest of the line is cut.
const MAX_LOG_LINE: usize = 2048;
/// Worker log lines re-logged per second before the rest of the second is suppressed.
const LOG_LINES_PER_SEC: u32 = 200;

/// What the per-process threads tell the supervisor thread.
#[derive(Debug)]
pub(crate) enum Internal {
    /// A control answer from the worker of `epoch`.
    Control {
        kind: WorkerKind,
        epoch: u64,
        env: Envelope<FromWorker>,
    },
    /// The worker's stdout closed (it exited or was killed).
    Closed { kind: WorkerKind, epoch: u64 },
    /// The byte stream is corrupt; the worker must be restarted.
    Corrupt {
        kind: WorkerKind,
        epoch: u64,
        error: String,
    },
}

/// A running worker process as the supervisor holds it.
pub(crate) struct Process {
    pub child: Child,
    pub pid: u32,
    pub to_worker: Sender<Envelope<ToWorker>>,
}

impl Process {
    /// Spawns `exe worker <kind> --epoch N --parent-pid P` with `regions` made available to it.
    pub fn spawn(
        exe: &Path,
        kind: WorkerKind,
        epoch: u64,
        regions: &[Arc<SharedRegion>],
        internal: Sender<Internal>,
        shared: Arc<KindShared>,
    ) -> Result<Self, SupervisorError> {
        let mut cmd = Command::new(exe);
        cmd.arg("worker")
            .arg(kind.as_str())
            .arg("--epoch")
            .arg(epoch.to_string())
            .arg("--parent-pid")
            .arg(std::process::id().to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        platform::prepare(&mut cmd, regions);
        let mut child = cmd.spawn().map_err(|source| SupervisorError::Spawn {
            kind,
            exe: exe.to_path_buf(),
            source,
        })?;
        let pid = child.id();
        platform::adopt(&child);
        let (stdin, stdout, stderr) =
            match (child.stdin.take(), child.stdout.take(), child.stderr.take()) {
                (Some(i), Some(o), Some(e)) => (i, o, e),
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(SupervisorError::Pipes(kind));
                }
            };
        let (to_worker, queue) = crossbeam_channel::bounded(OUTBOX_CAP);
        let spawn = |name: String, f: Box<dyn FnOnce() + Send>| {
            std::thread::Builder::new().name(name).spawn(f)
        };
        let threads = [
            spawn(
                format!("{kind}-writer"),
                Box::new(move || write_loop(stdin, queue)),
            ),
            spawn(
                format!("{kind}-reader"),
                Box::new(move || read_loop(stdout, kind, epoch, internal, shared)),
            ),
            spawn(
                format!("{kind}-stderr"),
                Box::new(move || log_loop(stderr, kind, pid, epoch)),
            ),
        ];
        if let Some(Err(e)) = threads.into_iter().find(|t| t.is_err()) {
            let _ = child.kill();
            let _ = child.wait();
            return Err(SupervisorError::Thread(e));
        }
        Ok(Self {
            child,
            pid,
            to_worker,
        })
    }

    /// Queues a message for the worker without waiting. False when the queue is full (the
    /// worker is not reading) or the writer thread is gone.
    pub fn send(&self, env: Envelope<ToWorker>) -> bool {
        match self.to_worker.try_send(env) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => false,
        }
    }

    /// Kills the process (if still alive) and reaps it. Killing first makes the wait short:
    /// the kernel tears a killed process down even when it was stopped.
    pub fn kill_and_reap(&mut self) -> Option<std::process::ExitStatus> {
        if let Ok(Some(status)) = self.child.try_wait() {
            return Some(status);
        }
        let _ = self.child.kill();
        self.child.wait().ok()
    }
}

fn write_loop(stdin: std::process::ChildStdin, queue: Receiver<Envelope<ToWorker>>) {
    let mut writer = WireWriter::new(stdin, DEFAULT_MESSAGE_CAP);
    for env in queue {
        match writer.send(&env) {
            Ok(_) => {}
            Err(WireError::Oversize { len, cap }) => {
                tracing::warn!("refused to send a {len}-byte request (cap {cap} bytes)");
            }
            Err(_) => return,
        }
    }
    // Dropping the writer closes the worker's stdin: a clean "the UI is done" signal.
}

fn read_loop(
    stdout: std::process::ChildStdout,
    kind: WorkerKind,
    epoch: u64,
    internal: Sender<Internal>,
    shared: Arc<KindShared>,
) {
    let mut reader = WireReader::new(stdout, DEFAULT_MESSAGE_CAP);
    let mut throttle = idlewild_telemetry::Throttle::new(Duration::from_secs(10));
    loop {
        match reader.recv::<Envelope<FromWorker>>() {
            Ok(env) => match env.body {
                FromWorker::Hello { .. }
                | FromWorker::Attached
                | FromWorker::Pong { .. }
                | FromWorker::Error { .. } => {
                    if matches!(env.body, FromWorker::Error { .. }) && env.correlation_id != 0 {
                        // An error that answers a request: the UI waits for that answer, so it
                        // gets it too (the supervisor thread logs it).
                        shared.deliver(epoch, env.clone());
                    }
                    if internal
                        .try_send(Internal::Control { kind, epoch, env })
                        .is_err()
                    {
                        shared
                            .counters
                            .control_dropped
                            .fetch_add(1, Ordering::Relaxed);
                    }
                }
                _ => shared.deliver(epoch, env),
            },
            Err(e) if e.is_recoverable() => {
                let (counter, key) = match e {
                    WireError::Oversize { .. } => (&shared.counters.oversize, "oversize"),
                    _ => (&shared.counters.decode_errors, "undecodable"),
                };
                counter.fetch_add(1, Ordering::Relaxed);
                if let idlewild_telemetry::Verdict::Log { suppressed } =
                    throttle.check(key, Instant::now())
                {
                    tracing::warn!(kind = %kind, epoch, suppressed, "[HEALTH] rejected a message from the worker: {e}");
                }
            }
            Err(WireError::Closed) | Err(WireError::Io(_)) => {
                let _ = internal.send(Internal::Closed { kind, epoch });
                return;
            }
            Err(e) => {
                let _ = internal.send(Internal::Corrupt {
                    kind,
                    epoch,
                    error: e.to_string(),
                });
                return;
            }
        }
    }
}

fn log_loop(stderr: std::process::ChildStderr, kind: WorkerKind, pid: u32, epoch: u64) {
    let mut reader = BufReader::new(stderr);
    let mut line = Vec::with_capacity(256);
    let mut second = Instant::now();
    let (mut lines, mut suppressed) = (0u32, 0u64);
    loop {
        line.clear();
        // Read at most MAX_LOG_LINE bytes of the line, then discard the rest of it.
        match (&mut reader)
            .take(MAX_LOG_LINE as u64)
            .read_until(b'\n', &mut line)
        {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        if line.last() != Some(&b'\n') && line.len() >= MAX_LOG_LINE {
            let mut rest = Vec::new();
            if reader.read_until(b'\n', &mut rest).is_err() {
                return;
            }
        }
        if second.elapsed() >= Duration::from_secs(1) {
            if suppressed > 0 {
                tracing::warn!(target: "worker", kind = %kind, pid, epoch, "{suppressed} log lines suppressed");
            }
            second = Instant::now();
            lines = 0;
            suppressed = 0;
        }
        lines += 1;
        if lines > LOG_LINES_PER_SEC {
            suppressed += 1;
            continue;
        }
        let text = String::from_utf8_lossy(&line);
        tracing::info!(target: "worker", kind = %kind, pid, epoch, "{}", text.trim_end());
    }
}
