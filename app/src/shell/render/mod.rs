//! The render thread: owns the wgpu device, one surface + renderer + show per display, the
//! image client and the visualizer client (the fft worker's newest spectrum, read once per
//! frame); samples everything once per frame and never waits on IPC or the UI thread.
//!
//! **Fallback groups**, each entered for the whole run and logged once with the reason:
//! A, every transition on the best adapter; B, the minimal compositor (crossfade only) when a
//! shader or pipeline fails; C, the CPU compositor ([`output`]'s CPU canvas) when no adapter
//! can draw into the windows, or when the device is lost and cannot be recreated ([`groups`]).
//!
//! **Invariant:** nothing here blocks on another process or thread. Commands from the UI thread
//! arrive through a channel read with `try_recv` (or with a timeout as the frame pacer); worker
//! answers come from the supervisor's mailboxes and frames from shared memory, both polled;
//! metrics leave through a bounded channel with `try_send`. The only waits are the frame pacing
//! itself and the surface's own vsync. The full list, with what holds each, is in Spec.md
//! ("Window shell and render thread").
//!
//! **Invariant:** every iteration bumps the [`Heartbeat`] the UI thread's guardian
//! ([`crate::shell::guard`]) watches, and the loop iterates at least once per frame period.
//!
//! Layout: this file is the loop (commands, pacing, drawing, metrics); [`step`] holds its pure
//! decisions; [`workers`] the worker side (lifecycle, answers, uploads, requests); [`groups`]
//! the fallback groups and device loss; [`output`] one display.
//!
//! Photos are uploaded from the shared-memory slot straight into the renderer's `Next` texture
//! (one copy), at most [`UPLOAD_BUDGET`] bytes per frame, so a 4K photo is spread over several
//! frames instead of causing one long frame.

mod config;
mod groups;
mod output;
mod soft;
mod step;
mod workers;

pub use config::{KenBurnsPaths, ShowConfig};
pub use groups::Group;

use self::groups::{cpu_outputs, gpu_outputs, test_loss_plan};

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::exit::Fatal;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use idlewild_protocol::WorkerKind;

use self::output::Output;
use self::step::{DrawInputs, MetricsClock, Pacer, Rejoin, ResizeSettle};
use super::condition::Condition;
use super::gpu::{Gpu, Target};
use super::guard::{Fault, FaultKind, Heartbeat};
use super::metrics::{MetricsSink, Record, Summary, VisualizerRecord};
use super::picker::Picker;
use crate::images::{Direction, ImageClient};
use crate::supervisor::Supervisor;
use crate::visualizer::VisualizerClient;
use idlewild_renderer::visualizer::BarsStyle;

/// Largest number of photo bytes uploaded per frame (a 1080p photo in one frame, 4K in four).
pub const UPLOAD_BUDGET: usize = 8 << 20;
/// How often a periodic metrics record is written, unless [`ShowConfig::metrics_period`] says
/// otherwise.
pub const METRICS_PERIOD: Duration = Duration::from_secs(10);

/// The metrics period: [`METRICS_PERIOD`], or `IDLEWILD_METRICS_PERIOD_MS` (50 ms at least)
/// so tests can watch a run closely without waiting 10 s per record.
pub fn metrics_period() -> Duration {
    std::env::var("IDLEWILD_METRICS_PERIOD_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(METRICS_PERIOD, |ms| Duration::from_millis(ms.max(50)))
}

/// One display to draw on.
#[derive(Clone)]
pub struct OutputSpec {
    /// The display id the image worker knows it by.
    pub display: u32,
    /// Where to draw.
    pub target: Target,
    /// Its size in physical pixels.
    pub size: (u32, u32),
    /// Its refresh rate in millihertz, when known.
    pub refresh_mhz: Option<u32>,
}

/// What the UI thread tells the render thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// A surface changed size.
    Resize {
        /// The display.
        display: u32,
        /// New size in physical pixels.
        size: (u32, u32),
    },
    /// A window needs its contents again (exposed, shown).
    Redraw {
        /// The display.
        display: u32,
    },
    /// Z or X.
    Step(Direction),
    /// C: the next transition effect.
    Cycle,
    /// Stop drawing and return.
    Quit,
}

/// What the render thread tells the UI thread.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    /// The display's first photo has been presented: show its window.
    FirstFrame {
        /// The display.
        display: u32,
    },
    /// Drawing is impossible; the run ends with this failure (and its exit status).
    Fatal(Fatal),
}

/// Everything the render thread owns.
struct RenderLoop {
    /// `None` in group C.
    gpu: Option<Gpu>,
    outputs: Vec<Output>,
    images: ImageClient,
    /// The fft worker's spectra (`None`: visualizer off).
    visual: Option<VisualizerClient>,
    /// How the bars are drawn (taken from `visual` once).
    bars_style: Option<BarsStyle>,
    supervisor: Arc<Supervisor>,
    picker: Picker,
    config: ShowConfig,
    metrics: Option<MetricsSink>,
    notify: Box<dyn Fn(Notice) + Send>,
    started: Instant,
    metrics_clock: MetricsClock,
    group: Group,
    instance: wgpu::Instance,
    recoveries: u32,
    /// Simulated device losses: (every N seconds, how many), read once from the environment
    /// ([`RenderLoop::test_loss`]).
    test_loss_plan: Option<(f64, u32)>,
    /// Device losses simulated so far.
    test_losses: u32,
    /// When the image worker learns new display sizes.
    resize: ResizeSettle,
    /// What the guardian watches.
    heartbeat: Arc<Heartbeat>,
    /// The test fault this thread suffers, if any.
    fault: Option<Fault>,
    /// A rebuilt thread's workers coming back.
    rejoining: Rejoin,
    /// The image worker refuses requests (logged when it begins and ends).
    refusals: Condition,
    /// Photos the image worker skipped, named once each (up to a limit).
    skipped: HashSet<String>,
    /// Skips in all.
    skips: u64,
}

/// How a render thread is watched and what it must do first: given by the UI thread's guardian
/// ([`crate::shell::guard`]).
#[derive(Default)]
pub struct Watch {
    /// Bumped every loop iteration.
    pub heartbeat: Arc<Heartbeat>,
    /// A test fault to suffer (`IDLEWILD_TEST_RENDER_FAULT`).
    pub fault: Option<Fault>,
    /// This thread replaces one that hung or panicked: restart the workers so their regions'
    /// readers come to it (see [`step::Rejoin`]).
    pub rejoin: bool,
}

/// What a render thread is built from.
pub struct Parts {
    /// The wgpu instance its surfaces were (or will be) made with.
    pub instance: wgpu::Instance,
    /// The displays it draws.
    pub outputs: Vec<OutputSpec>,
    /// The show's timing and looks.
    pub config: ShowConfig,
    /// The image worker's client.
    pub images: ImageClient,
    /// The fft worker's client (None: no visualizer).
    pub visual: Option<VisualizerClient>,
    /// The supervisor (shared with the UI thread).
    pub supervisor: Arc<Supervisor>,
    /// Where `--metrics` records go.
    pub metrics: Option<MetricsSink>,
    /// Posts to the UI thread; it must not block.
    pub notify: Box<dyn Fn(Notice) + Send>,
}

/// Starts the render thread over `parts`, watched through `watch` (a default [`Watch`] for
/// benchmarks, which nobody watches); the returned sender carries [`Command`]s to it.
pub fn spawn(
    parts: Parts,
    watch: Watch,
) -> std::io::Result<(Sender<Command>, std::thread::JoinHandle<()>)> {
    let (tx, rx) = crossbeam_channel::unbounded();
    let handle = std::thread::Builder::new()
        .name("idlewild-render".into())
        .spawn(move || match RenderLoop::new(parts, watch) {
            Ok(mut r) => r.run(&rx),
            Err((notify, fatal)) => {
                tracing::error!("{fatal}");
                notify(Notice::Fatal(fatal));
            }
        })?;
    Ok((tx, handle))
}

type SetupError = (Box<dyn Fn(Notice) + Send>, Fatal);

impl RenderLoop {
    fn new(parts: Parts, watch: Watch) -> Result<Self, SetupError> {
        let Parts {
            instance,
            outputs: specs,
            config,
            images,
            visual,
            supervisor,
            metrics,
            notify,
        } = parts;
        let instance = &instance;
        if specs.is_empty() {
            return Err((notify, Fatal::NoDisplay("no display to draw on".into())));
        }
        let mut config = config;
        let wanted = Group::from_env();
        if wanted != Group::Full {
            tracing::warn!(
                "renderer {}: forced by IDLEWILD_RENDERER",
                wanted.describe()
            );
        }
        let gpu_side = match wanted {
            Group::Cpu => Err("forced by IDLEWILD_RENDERER".to_owned()),
            group => gpu_outputs(instance, specs.clone(), config.timing, group),
        };
        let (gpu, outputs, group) = match gpu_side {
            Ok((gpu, outputs, group)) => (Some(gpu), outputs, group),
            Err(why) => {
                if wanted != Group::Cpu {
                    tracing::warn!("renderer {} for this run: {why}", Group::Cpu.describe());
                }
                match cpu_outputs(specs, &mut config) {
                    Ok(outputs) => (None, outputs, Group::Cpu),
                    Err(cpu) => {
                        return Err((
                            notify,
                            Fatal::NoGraphics(format!(
                                "{why}; and {cpu} (install mesa-vulkan-drivers for a software \
                                 graphics adapter)"
                            )),
                        ));
                    }
                }
            }
        };
        let picker = Picker::new(config.random, config.fixed, &config.pool, config.seed);
        let now = Instant::now();
        let metrics_clock = MetricsClock::new(now, config.metrics_period);
        let (rejoining, rejoin_now) = if watch.rejoin {
            let kinds: Vec<WorkerKind> = [WorkerKind::Image, WorkerKind::Fft]
                .into_iter()
                .filter(|&k| supervisor.kind(k).is_some())
                .collect();
            Rejoin::start(&kinds, now)
        } else {
            (Rejoin::default(), Vec::new())
        };
        let this = Self {
            gpu,
            outputs,
            images,
            bars_style: visual.as_ref().map(|v| v.style().clone()),
            visual,
            supervisor,
            picker,
            config,
            metrics,
            notify,
            started: now,
            metrics_clock,
            group,
            instance: instance.clone(),
            recoveries: 0,
            test_loss_plan: test_loss_plan(),
            test_losses: 0,
            resize: ResizeSettle::default(),
            heartbeat: watch.heartbeat,
            fault: watch.fault,
            rejoining,
            refusals: Condition::default(),
            skipped: HashSet::new(),
            skips: 0,
        };
        this.rejoin(rejoin_now);
        Ok(this)
    }

    fn run(&mut self, rx: &Receiver<Command>) {
        let begun = Instant::now();
        let mut pacer = Pacer::new(begun);
        self.heartbeat.busy(false);
        loop {
            self.heartbeat.beat();
            self.suffer_test_fault(begun);
            // Commands first, so a hotkey acts in this very frame.
            loop {
                match rx.try_recv() {
                    Ok(Command::Quit) => return,
                    Ok(cmd) => self.command(cmd),
                    Err(crossbeam_channel::TryRecvError::Empty) => break,
                    Err(crossbeam_channel::TryRecvError::Disconnected) => return,
                }
            }
            let lost = self
                .gpu
                .as_ref()
                .is_some_and(|g| g.lost.load(Ordering::Acquire));
            if lost || self.gpu.is_some() && self.test_loss() {
                // Recreating pipelines can take seconds on a software rasteriser.
                self.heartbeat.busy(true);
                let recovered = self.recover();
                self.heartbeat.busy(false);
                if let Err(why) = recovered {
                    (self.notify)(Notice::Fatal(Fatal::NoGraphics(why)));
                    return;
                }
            }
            let now = Instant::now();
            self.lifecycle(now);
            self.settle_resize(now);
            self.answers();
            let now = Instant::now();
            self.uploads();
            self.requests(now);
            let animating = self.frame(now);
            self.write_metrics(now);
            // Pace: one frame per refresh while something moves, otherwise look again soon
            // (timers, answers) without drawing. A command ends the wait early.
            let target = step::frame_target(self.outputs.iter().map(|o| o.frame_target));
            let next_frame = pacer.next(now, target, animating);
            let wait = next_frame.saturating_duration_since(Instant::now());
            match rx.recv_timeout(wait) {
                Ok(Command::Quit) | Err(RecvTimeoutError::Disconnected) => return,
                Ok(cmd) => self.command(cmd),
                Err(RecvTimeoutError::Timeout) => {}
            }
        }
    }

    /// `IDLEWILD_TEST_RENDER_FAULT`: panics, or sleeps forever holding everything it owns,
    /// once its time has come.
    fn suffer_test_fault(&self, begun: Instant) {
        match step::fault_due(self.fault, begun, Instant::now()) {
            None => {}
            Some(FaultKind::Panic) => {
                panic!("IDLEWILD_TEST_RENDER_FAULT: the render thread panics")
            }
            Some(FaultKind::Hang) => {
                tracing::warn!("IDLEWILD_TEST_RENDER_FAULT: the render thread hangs");
                loop {
                    std::thread::sleep(Duration::from_secs(3600));
                }
            }
        }
    }

    fn command(&mut self, cmd: Command) {
        match cmd {
            Command::Resize { display, size } => {
                if let Some(o) = self.outputs.iter_mut().find(|o| o.display == display)
                    && o.resize(self.gpu.as_ref(), size)
                {
                    self.resize.resized(Instant::now());
                }
            }
            Command::Redraw { display } => {
                if let Some(o) = self.output(display) {
                    o.redraw = true;
                }
            }
            Command::Step(dir) => {
                for o in &mut self.outputs {
                    if o.show.user(dir) {
                        // The photo being uploaded is not the one wanted any more.
                        o.upload = None;
                        self.images.release(&self.supervisor);
                    }
                }
            }
            Command::Cycle => {
                let id = self.picker.cycle();
                tracing::info!("transition: {}", id.desc().label);
                // Show the new effect at once, on the next photo.
                self.command(Command::Step(Direction::Next));
            }
            Command::Quit => {}
        }
    }

    fn output(&mut self, display: u32) -> Option<&mut Output> {
        self.outputs.iter_mut().find(|o| o.display == display)
    }

    /// Advances every show and draws what changed. True while something animates.
    fn frame(&mut self, now: Instant) -> bool {
        let mut animating = false;
        let config = &self.config;
        let picker = &mut self.picker;
        // The newest spectrum, read once per frame straight from the fft worker's ring.
        let (bars, bars_changed) = match self.visual.as_mut() {
            Some(v) => v.sample(now),
            None => (None, false),
        };
        for o in &mut self.outputs {
            let tick = o.show.tick(now, &mut || config.pick(picker));
            if tick.promote {
                o.promote_next();
            }
            o.paths.follow(&tick, now);
            if let Some(run) = tick.finished {
                if tick.watchdog {
                    tracing::warn!(
                        "display {}: the {} transition overran twice its {:?}; completed",
                        o.display,
                        run.id.desc().key,
                        run.duration
                    );
                }
                if let Some(m) = &self.metrics {
                    let t_s = self.started.elapsed().as_secs_f64();
                    m.send(Record {
                        effect: Some(run.id.desc().key),
                        watchdog: Some(tick.watchdog),
                        ..o.transition.record("transition", t_s, o.display)
                    });
                }
            }
            let (state, state_moving) =
                config.frame_state(&tick, &o.paths, o.show.has_photo(), now);
            let decision = step::draw_decision(DrawInputs {
                promote: tick.promote,
                running: tick.running.is_some(),
                redraw: o.redraw,
                state_changed: state != o.state,
                state_moving,
                uploading: o.upload.is_some(),
                bars_shown: bars.is_some(),
                bars_changed,
                has_photo: o.show.has_photo(),
            });
            let moving = decision.moving;
            animating |= moving;
            if !decision.draw {
                continue;
            }
            o.redraw = false;
            o.state = state;
            if let Some(style) = &self.bars_style {
                o.set_bars(style, bars.as_ref());
            }
            if o.draw(
                self.gpu.as_ref(),
                &state,
                now,
                tick.running.is_some(),
                moving,
            ) && !o.announced
            {
                o.announced = true;
                (self.notify)(Notice::FirstFrame { display: o.display });
            }
        }
        animating
    }

    fn write_metrics(&mut self, now: Instant) {
        if !self.metrics_clock.due(now) {
            return;
        }
        let Some(m) = &self.metrics else {
            return;
        };
        let t_s = self.started.elapsed().as_secs_f64();
        for o in &mut self.outputs {
            m.send(o.period.record("periodic", t_s, o.display));
        }
        if let Some(v) = self.visual.as_mut() {
            let (stats, bars, fade) = v.take_stats();
            let mut latencies = stats.latencies;
            m.send_visualizer(VisualizerRecord {
                kind: "visualizer",
                t_s,
                epoch: stats.epoch,
                ticks: stats.ticks,
                drops: stats.drops,
                missed: stats.missed,
                source: stats.source,
                layout: v.order().name(),
                fade,
                latency: Summary::of(&mut latencies),
                bars: bars.iter().map(|b| (b * 1000.0).round() / 1000.0).collect(),
                lost_records: 0,
            });
        }
    }
}
