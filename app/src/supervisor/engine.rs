//! The supervisor thread: one loop over commands, process news and a short tick.
//!
//! Per kind the state machine is `Off → Live → (Waiting → Live)* → Failed → Live (trial) → …`,
//! where `Live` holds the process, the regions of its epoch and its health, and `Failed` waits
//! for the circuit breaker's cool-down ([`super::policy`]) before a half-open trial. Every transition out of `Live` goes
//! through [`Engine::finish`], after the process was killed and reaped, so regions are released
//! and events sent on every path.

use super::process::{Internal, Process};
use super::{
    Command, Decision, Event, ExitReason, KindShared, Readers, RegionPlan, RestartTracker,
    SupervisorConfig, WorkerSpec,
};
use crossbeam_channel::{Receiver, Sender};
use idlewild_protocol::clock::mono_ns;
use idlewild_protocol::message::{
    Capabilities, Envelope, FromWorker, PROTOCOL_VERSION, RegionGrant, RegionRole, ToWorker,
};
use idlewild_protocol::shm::{FrameReader, LayoutParams, SharedRegion, StreamReader};
use idlewild_telemetry::LatencyHistogram;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// Shortest time a starting worker gets to say hello and map its regions.
const MIN_START_TIMEOUT: Duration = Duration::from_secs(10);

pub(super) struct Engine {
    config: SupervisorConfig,
    commands: Receiver<Command>,
    events: Sender<Event>,
    internal_tx: Sender<Internal>,
    internal_rx: Receiver<Internal>,
    workers: Vec<Managed>,
    rng: fastrand::Rng,
    last_perf: Instant,
}

struct Managed {
    spec: WorkerSpec,
    shared: Arc<KindShared>,
    epoch: u64,
    enabled: bool,
    phase: Phase,
    tracker: RestartTracker,
    rtt: LatencyHistogram,
}

enum Phase {
    Off,
    Waiting(Instant),
    Live(Box<Live>),
    /// Past the restart cap; a half-open trial starts at this instant.
    Failed(Instant),
}

struct Live {
    process: Process,
    regions: Vec<(RegionPlan, Arc<SharedRegion>)>,
    readers: Option<Readers>,
    started: Instant,
    last_pong: Option<Instant>,
    next_ping: Instant,
    beat: u64,
    capabilities: Option<Capabilities>,
    attached: bool,
    announced: bool,
    stopping: Option<Instant>,
}

impl Engine {
    pub(super) fn new(
        config: SupervisorConfig,
        kinds: Vec<Arc<KindShared>>,
        commands: Receiver<Command>,
        events: Sender<Event>,
    ) -> Self {
        let workers = config
            .workers
            .iter()
            .zip(kinds)
            .map(|(spec, shared)| Managed {
                spec: spec.clone(),
                shared,
                epoch: 0,
                enabled: true,
                phase: Phase::Off,
                tracker: RestartTracker::default(),
                rtt: LatencyHistogram::new(),
            })
            .collect();
        let (internal_tx, internal_rx) = crossbeam_channel::bounded(4096);
        Self {
            config,
            commands,
            events,
            internal_tx,
            internal_rx,
            workers,
            rng: fastrand::Rng::new(),
            last_perf: Instant::now(),
        }
    }

    pub(super) fn run(mut self) {
        for i in 0..self.workers.len() {
            self.start(i);
        }
        let tick =
            (self.config.heartbeat / 4).clamp(Duration::from_millis(5), Duration::from_millis(50));
        loop {
            crossbeam_channel::select! {
                recv(self.commands) -> cmd => match cmd {
                    Ok(Command::Shutdown) | Err(_) => return self.shutdown_all(),
                    Ok(cmd) => self.command(cmd),
                },
                recv(self.internal_rx) -> msg => if let Ok(msg) = msg { self.internal(msg) },
                default(self.next_wake(tick)) => {}
            }
            self.tick(Instant::now());
        }
    }

    /// How long the loop may sleep: until the earliest restart or ping deadline, at most `tick`
    /// (health checks), so a 1 ms backoff really restarts after about 1 ms.
    fn next_wake(&self, tick: Duration) -> Duration {
        let now = Instant::now();
        let deadline = |w: &Managed| match &w.phase {
            Phase::Waiting(until) | Phase::Failed(until) => Some(*until),
            Phase::Live(live) if live.stopping.is_none() => Some(live.next_ping),
            _ => None,
        };
        self.workers
            .iter()
            .filter_map(deadline)
            .map(|d| d.saturating_duration_since(now))
            .fold(tick, Duration::min)
    }

    fn start(&mut self, i: usize) {
        let w = &mut self.workers[i];
        let kind = w.spec.kind;
        w.epoch += 1;
        // Publish the new epoch before the process exists, so its first answers pass the
        // epoch filter and nothing of the old epoch can.
        w.shared.epoch.store(w.epoch, Ordering::Release);
        let epoch = w.epoch;
        match self.spawn(i) {
            Ok(live) => {
                let w = &mut self.workers[i];
                w.shared.counters.starts.fetch_add(1, Ordering::Relaxed);
                tracing::info!(target: "health", kind = %kind, pid = live.process.pid, epoch, "[HEALTH] worker spawned");
                w.phase = Phase::Live(Box::new(live));
            }
            Err(e) => {
                tracing::error!(target: "health", kind = %kind, epoch, "[HEALTH] {e}");
                self.workers[i].phase = Phase::Off;
                self.finish(i, 0, Duration::ZERO, ExitReason::SpawnFailed(e.to_string()));
            }
        }
    }

    fn spawn(&mut self, i: usize) -> Result<Live, super::SupervisorError> {
        let w = &self.workers[i];
        let (kind, epoch) = (w.spec.kind, w.epoch);
        let shm = |source| super::SupervisorError::Shm { kind, source };
        let mut regions = Vec::new();
        for plan in &w.spec.regions {
            let params = match plan.role {
                RegionRole::Frames => LayoutParams::frames(kind, epoch, plan.max_payload),
                RegionRole::Stream => {
                    LayoutParams::stream(kind, epoch, plan.slots, plan.max_payload)
                }
            };
            regions.push((*plan, Arc::new(SharedRegion::create(params).map_err(shm)?)));
        }
        let mut readers = Readers::default();
        for (plan, region) in &regions {
            match plan.role {
                RegionRole::Frames => {
                    readers.frames = Some(FrameReader::new(region.clone()).map_err(shm)?)
                }
                RegionRole::Stream => {
                    readers.stream = Some(StreamReader::new(region.clone()).map_err(shm)?)
                }
            }
        }
        let only_regions: Vec<_> = regions.iter().map(|(_, r)| r.clone()).collect();
        let mut process = Process::spawn(
            &self.config.exe,
            kind,
            epoch,
            &only_regions,
            self.internal_tx.clone(),
            w.shared.clone(),
        )?;
        let mut grants = Vec::new();
        for (plan, region) in &regions {
            match region.token_for_child(&process.child) {
                Ok(token) => grants.push(RegionGrant {
                    role: plan.role,
                    token,
                    layout: *region.params(),
                }),
                Err(source) => {
                    process.kill_and_reap();
                    return Err(shm(source));
                }
            }
        }
        let heartbeat_ms = u32::try_from(self.config.heartbeat.as_millis()).unwrap_or(u32::MAX);
        let attach = self.envelope(
            i,
            ToWorker::Attach {
                heartbeat_ms,
                regions: grants,
            },
        );
        process.send(attach);
        let now = Instant::now();
        Ok(Live {
            process,
            regions,
            readers: Some(readers),
            started: now,
            last_pong: None,
            next_ping: now,
            beat: 0,
            capabilities: None,
            attached: false,
            announced: false,
            stopping: None,
        })
    }

    fn envelope(&self, i: usize, body: ToWorker) -> Envelope<ToWorker> {
        let w = &self.workers[i];
        let seq_no = w.shared.next_seq.fetch_add(1, Ordering::Relaxed) + 1;
        Envelope::request(w.spec.kind, seq_no, w.epoch, 0, body)
    }

    fn index(&self, kind: idlewild_protocol::WorkerKind) -> Option<usize> {
        self.workers.iter().position(|w| w.spec.kind == kind)
    }

    fn command(&mut self, cmd: Command) {
        match cmd {
            Command::Request(kind, mut env) => {
                let Some(i) = self.index(kind) else { return };
                let w = &mut self.workers[i];
                let sent = match &w.phase {
                    Phase::Live(live) if live.announced && live.stopping.is_none() => {
                        env.epoch = w.epoch;
                        live.process.send(env)
                    }
                    _ => false,
                };
                if !sent {
                    w.shared
                        .counters
                        .requests_dropped
                        .fetch_add(1, Ordering::Relaxed);
                }
            }
            Command::SetEnabled(kind, on) => {
                let Some(i) = self.index(kind) else { return };
                let now = Instant::now();
                let grace = self.config.shutdown_grace;
                let shutdown = self.envelope(i, ToWorker::Shutdown);
                let w = &mut self.workers[i];
                match (on, &mut w.phase) {
                    (true, Phase::Off | Phase::Failed(_)) => {
                        w.enabled = true;
                        w.tracker.reset();
                        self.start(i);
                    }
                    (false, Phase::Live(live)) => {
                        w.enabled = false;
                        live.process.send(shutdown);
                        live.stopping = Some(now + grace);
                    }
                    // A failed worker switched off must not come back at its half-open trial.
                    (false, Phase::Waiting(_) | Phase::Failed(_)) => {
                        w.enabled = false;
                        w.phase = Phase::Off;
                    }
                    (enabled, _) => w.enabled = enabled,
                }
            }
            Command::Shutdown => {}
        }
    }

    fn internal(&mut self, msg: Internal) {
        let now = Instant::now();
        let (kind, epoch) = match &msg {
            Internal::Control { kind, epoch, .. }
            | Internal::Closed { kind, epoch }
            | Internal::Corrupt { kind, epoch, .. } => (*kind, *epoch),
        };
        let Some(i) = self.index(kind) else { return };
        if self.workers[i].epoch != epoch || !matches!(self.workers[i].phase, Phase::Live(_)) {
            return; // News of a process that is already gone.
        }
        match msg {
            Internal::Control { env, .. } => self.control(i, env, now),
            Internal::Closed { .. } => {
                // Stdout closed: the process is exiting or gone. Reap it now rather than at the
                // next tick.
                self.reap(i, None);
            }
            Internal::Corrupt { error, .. } => self.reap(i, Some(ExitReason::Corrupt(error))),
        }
    }

    fn control(&mut self, i: usize, env: Envelope<FromWorker>, now: Instant) {
        let w = &mut self.workers[i];
        let Phase::Live(live) = &mut w.phase else {
            return;
        };
        if env.version != PROTOCOL_VERSION {
            tracing::error!(target: "health", kind = %w.spec.kind, "worker speaks protocol {}; expected {PROTOCOL_VERSION}", env.version);
        }
        match env.body {
            FromWorker::Hello { capabilities, .. } => live.capabilities = Some(capabilities),
            FromWorker::Attached => {
                live.attached = true;
                live.regions.iter().for_each(|(_, r)| r.child_attached());
            }
            FromWorker::Pong { .. } => {
                live.last_pong = Some(now);
                w.rtt.record(mono_ns().saturating_sub(env.ts_req));
            }
            FromWorker::Error { message } => {
                tracing::warn!(target: "health", kind = %w.spec.kind, pid = live.process.pid, epoch = w.epoch, "[HEALTH] worker reports: {message}");
            }
            FromWorker::Sim(_) | FromWorker::Image(_) | FromWorker::Fft(_) => {}
        }
        if !live.announced
            && live.attached
            && let Some(capabilities) = live.capabilities
        {
            live.announced = true;
            live.last_pong = Some(now);
            w.shared.running.store(true, Ordering::Release);
            let startup = now - live.started;
            tracing::info!(target: "health", kind = %w.spec.kind, pid = live.process.pid, epoch = w.epoch, startup_ms = startup.as_millis() as u64, "[HEALTH] worker ready");
            let readers = live.readers.take().unwrap_or_default();
            let _ = self.events.send(Event::Started {
                kind: w.spec.kind,
                epoch: w.epoch,
                pid: live.process.pid,
                capabilities,
                readers,
            });
        }
    }

    fn tick(&mut self, now: Instant) {
        let hung_after = self.config.heartbeat * self.config.missed_heartbeats;
        let start_timeout = hung_after.max(MIN_START_TIMEOUT);
        for i in 0..self.workers.len() {
            let verdict = match &mut self.workers[i].phase {
                Phase::Waiting(until) if now >= *until => {
                    self.start(i);
                    continue;
                }
                Phase::Failed(until) if now >= *until => {
                    let w = &mut self.workers[i];
                    w.tracker.on_retry();
                    tracing::warn!(target: "health", kind = %w.spec.kind, epoch = w.epoch + 1, "[HEALTH] cool-down over; half-open trial of a failed worker");
                    self.start(i);
                    continue;
                }
                Phase::Live(live) => {
                    if let Ok(Some(_)) = live.process.child.try_wait() {
                        Some(None)
                    } else if live.stopping.is_some_and(|deadline| now >= deadline) {
                        Some(Some(ExitReason::Stopped))
                    } else if !live.announced && now - live.started > start_timeout {
                        Some(Some(ExitReason::StartTimeout))
                    } else if live.last_pong.is_some_and(|t| now - t > hung_after) {
                        Some(Some(ExitReason::Hung))
                    } else {
                        None
                    }
                }
                _ => None,
            };
            match verdict {
                Some(reason) => self.reap(i, reason),
                None => self.ping(i, now),
            }
        }
        if now - self.last_perf >= self.config.perf_every {
            self.last_perf = now;
            self.log_perf();
        }
    }

    fn ping(&mut self, i: usize, now: Instant) {
        let heartbeat = self.config.heartbeat;
        let Phase::Live(live) = &self.workers[i].phase else {
            return;
        };
        if now < live.next_ping || live.stopping.is_some() {
            return;
        }
        let beat = live.beat + 1;
        let env = self.envelope(i, ToWorker::Ping { beat });
        if let Phase::Live(live) = &mut self.workers[i].phase {
            live.beat = beat;
            live.next_ping = now + heartbeat;
            live.process.send(env);
        }
    }

    /// Kills (if needed) and reaps the live process of worker `i`, then finishes the epoch.
    /// `reason` None means "it died on its own": the exit status says how.
    fn reap(&mut self, i: usize, reason: Option<ExitReason>) {
        let w = &mut self.workers[i];
        let Phase::Live(mut live) = std::mem::replace(&mut w.phase, Phase::Off) else {
            return;
        };
        let status = live.process.kill_and_reap();
        let pid = live.process.pid;
        let ran_for = live.started.elapsed();
        let reason = match reason {
            Some(r) => r,
            None if live.stopping.is_some() => ExitReason::Stopped,
            None => {
                ExitReason::Died(status.map_or_else(|| "unknown status".into(), |s| s.to_string()))
            }
        };
        // Dropping `live` releases this side's mappings of the epoch's regions and its pipes.
        drop(live);
        self.finish(i, pid, ran_for, reason);
    }

    fn finish(&mut self, i: usize, pid: u32, ran_for: Duration, reason: ExitReason) {
        let now = Instant::now();
        let sample = self.rng.f64();
        let w = &mut self.workers[i];
        w.shared.running.store(false, Ordering::Release);
        let (kind, epoch) = (w.spec.kind, w.epoch);
        let (restart_in, failed) = if reason == ExitReason::Stopped || !w.enabled {
            tracing::info!(target: "health", kind = %kind, pid, epoch, "[HEALTH] worker stopped");
            w.phase = Phase::Off;
            (None, None)
        } else {
            match w
                .tracker
                .on_exit(&self.config.restart, now, ran_for, sample)
            {
                Decision::Restart { delay, attempt } => {
                    tracing::warn!(target: "health", kind = %kind, pid, epoch, ?reason, attempt, restart_in_ms = delay.as_millis() as u64, "[HEALTH] worker ended; restarting");
                    w.phase = Phase::Waiting(now + delay);
                    (Some(delay), None)
                }
                Decision::GiveUp {
                    restarts_in_window,
                    retry_in,
                    opened,
                } => {
                    tracing::error!(target: "health", kind = %kind, pid, epoch, ?reason, restarts_in_window, opened, retry_in_s = retry_in.as_secs(), "[HEALTH] worker failed; not restarted until a half-open trial after its cool-down (the UI carries on without it)");
                    w.phase = Phase::Failed(now + retry_in);
                    (None, Some((restarts_in_window, retry_in)))
                }
            }
        };
        let _ = self.events.send(Event::Exited {
            kind,
            epoch,
            pid,
            reason,
            restart_in,
        });
        if let Some((restarts, retry_in)) = failed {
            let _ = self.events.send(Event::Failed {
                kind,
                restarts,
                retry_in,
            });
        }
    }

    fn log_perf(&mut self) {
        for w in &mut self.workers {
            let Phase::Live(live) = &w.phase else {
                continue;
            };
            let c = &w.shared.counters;
            let m = w.shared.mailbox.stats();
            tracing::info!(
                target: "perf",
                kind = %w.spec.kind, pid = live.process.pid, epoch = w.epoch,
                "[PERF] heartbeat rtt {} | mailbox len={} high={} dropped={} | stale epoch={} generation={} | rejected oversize={} undecodable={} | requests dropped={}",
                w.rtt, m.len, m.high_water, m.dropped,
                c.stale_epoch.load(Ordering::Relaxed), c.stale_generation.load(Ordering::Relaxed),
                c.oversize.load(Ordering::Relaxed), c.decode_errors.load(Ordering::Relaxed),
                c.requests_dropped.load(Ordering::Relaxed),
            );
            w.rtt.reset();
        }
    }

    fn shutdown_all(mut self) {
        let deadline = Instant::now() + self.config.shutdown_grace;
        for i in 0..self.workers.len() {
            let shutdown = self.envelope(i, ToWorker::Shutdown);
            if let Phase::Live(live) = &mut self.workers[i].phase {
                live.process.send(shutdown);
                live.stopping = Some(deadline);
            } else {
                self.workers[i].phase = Phase::Off;
            }
        }
        loop {
            let now = Instant::now();
            let mut alive = false;
            for i in 0..self.workers.len() {
                let Phase::Live(live) = &mut self.workers[i].phase else {
                    continue;
                };
                let exited = matches!(live.process.child.try_wait(), Ok(Some(_)));
                if exited || now >= deadline {
                    if !exited {
                        tracing::warn!(target: "health", kind = %self.workers[i].spec.kind, "[HEALTH] worker ignored shutdown; killing it");
                    }
                    self.reap(i, Some(ExitReason::Stopped));
                } else {
                    alive = true;
                }
            }
            if !alive {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        tracing::info!(target: "health", "[HEALTH] supervisor stopped; all workers reaped and shared memory released");
    }
}
