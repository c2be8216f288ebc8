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
//! itself and the surface's own vsync.
//!
//! Photos are uploaded from the shared-memory slot straight into the renderer's `Next` texture
//! (one copy), at most [`UPLOAD_BUDGET`] bytes per frame, so a 4K photo is spread over several
//! frames instead of causing one long frame.

mod config;
mod groups;
mod output;
mod soft;

pub use config::{KenBurnsPaths, ShowConfig};
pub use groups::Group;

use self::groups::{cpu_outputs, gpu_outputs, test_loss_plan};

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use idlewild_protocol::WorkerKind;
use idlewild_protocol::message::image::{DisplaySpec, ImageResponse};

use self::output::{Output, Upload};
use super::gpu::{Gpu, Target};
use super::metrics::{MetricsSink, Record, Summary, VisualizerRecord};
use super::picker::Picker;
use super::show::Arrival;
use crate::images::{Direction, ImageClient, ImageEvent};
use crate::supervisor::{Event, Supervisor};
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
    /// Drawing is impossible; the run ends with this message.
    Fatal(String),
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
    next_metrics: Instant,
    group: Group,
    instance: wgpu::Instance,
    recoveries: u32,
    /// Simulated device losses: (every N seconds, how many), read once from the environment
    /// ([`RenderLoop::test_loss`]).
    test_loss_plan: Option<(f64, u32)>,
    /// Device losses simulated so far.
    test_losses: u32,
    /// A display was resized at this time; the image worker learns the new sizes once the
    /// size has been still for [`RESIZE_SETTLE`].
    resized: Option<Instant>,
}

/// How long a window's size must stay unchanged before photos are asked for at the new size.
const RESIZE_SETTLE: Duration = Duration::from_millis(300);

/// Starts the render thread over `outputs`. `notify` posts to the UI thread (it must not
/// block); the returned sender carries [`Command`]s the other way.
#[allow(clippy::too_many_arguments)]
pub fn spawn(
    instance: wgpu::Instance,
    outputs: Vec<OutputSpec>,
    config: ShowConfig,
    images: ImageClient,
    visual: Option<VisualizerClient>,
    supervisor: Arc<Supervisor>,
    metrics: Option<MetricsSink>,
    notify: Box<dyn Fn(Notice) + Send>,
) -> std::io::Result<(Sender<Command>, std::thread::JoinHandle<()>)> {
    let (tx, rx) = crossbeam_channel::unbounded();
    let handle = std::thread::Builder::new()
        .name("idlewild-render".into())
        .spawn(move || {
            match RenderLoop::new(
                &instance, outputs, config, images, visual, supervisor, metrics, notify,
            ) {
                Ok(mut r) => r.run(&rx),
                Err((notify, message)) => {
                    tracing::error!("{message}");
                    notify(Notice::Fatal(message));
                }
            }
        })?;
    Ok((tx, handle))
}

type SetupError = (Box<dyn Fn(Notice) + Send>, String);

impl RenderLoop {
    #[allow(clippy::too_many_arguments)]
    fn new(
        instance: &wgpu::Instance,
        specs: Vec<OutputSpec>,
        config: ShowConfig,
        images: ImageClient,
        visual: Option<VisualizerClient>,
        supervisor: Arc<Supervisor>,
        metrics: Option<MetricsSink>,
        notify: Box<dyn Fn(Notice) + Send>,
    ) -> Result<Self, SetupError> {
        if specs.is_empty() {
            return Err((notify, "no display to draw on".into()));
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
                            format!(
                                "{why}; and {cpu} (install mesa-vulkan-drivers for a software \
                                 graphics adapter)"
                            ),
                        ));
                    }
                }
            }
        };
        let picker = Picker::new(config.random, config.fixed, &config.pool, config.seed);
        let now = Instant::now();
        let next_metrics = now + config.metrics_period;
        Ok(Self {
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
            next_metrics,
            group,
            instance: instance.clone(),
            recoveries: 0,
            test_loss_plan: test_loss_plan(),
            test_losses: 0,
            resized: None,
        })
    }

    fn run(&mut self, rx: &Receiver<Command>) {
        let mut next_frame = Instant::now();
        loop {
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
            if (lost || self.gpu.is_some() && self.test_loss())
                && let Err(why) = self.recover()
            {
                (self.notify)(Notice::Fatal(why));
                return;
            }
            self.lifecycle();
            self.settle_resize();
            self.answers();
            let now = Instant::now();
            self.uploads();
            self.requests(now);
            let animating = self.frame(now);
            self.write_metrics(now);
            // Pace: one frame per refresh while something moves, otherwise look again soon
            // (timers, answers) without drawing. A command ends the wait early.
            let target = self
                .outputs
                .iter()
                .map(|o| o.frame_target)
                .min()
                .unwrap_or(Duration::from_millis(16));
            next_frame = if animating {
                (next_frame + target).max(now)
            } else {
                now + target
            };
            let wait = next_frame.saturating_duration_since(Instant::now());
            match rx.recv_timeout(wait) {
                Ok(Command::Quit) | Err(RecvTimeoutError::Disconnected) => return,
                Ok(cmd) => self.command(cmd),
                Err(RecvTimeoutError::Timeout) => {}
            }
        }
    }

    fn command(&mut self, cmd: Command) {
        match cmd {
            Command::Resize { display, size } => {
                if let Some(o) = self.outputs.iter_mut().find(|o| o.display == display)
                    && o.resize(self.gpu.as_ref(), size)
                {
                    self.resized = Some(Instant::now());
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

    /// Tells the image worker the displays' new sizes once a resize has settled, so photos stop
    /// being stretched from the old size.
    fn settle_resize(&mut self) {
        let Some(at) = self.resized else {
            return;
        };
        if at.elapsed() < RESIZE_SETTLE {
            return;
        }
        self.resized = None;
        // The frames region holds at most a 4K frame; a larger window keeps stretching.
        if self
            .outputs
            .iter()
            .any(|o| u64::from(o.size().0) * u64::from(o.size().1) > 3840 * 2160)
        {
            tracing::info!("window larger than 4K: photos stay at their previous size");
            return;
        }
        let displays: Vec<DisplaySpec> = self
            .outputs
            .iter()
            .map(|o| DisplaySpec {
                id: o.display,
                width: o.size().0,
                height: o.size().1,
            })
            .collect();
        if let Err(e) = self.images.reconfigure(&self.supervisor, &displays) {
            tracing::warn!("cannot tell the image worker the new size: {e}");
        }
    }

    /// Worker processes starting and stopping.
    fn lifecycle(&mut self) {
        while let Some(event) = self.supervisor.poll_event() {
            match event {
                Event::Started {
                    kind: WorkerKind::Image,
                    readers,
                    ..
                } => {
                    if let Err(e) = self.images.attach(&self.supervisor, readers.frames) {
                        tracing::warn!("cannot configure the image worker: {e}");
                    }
                }
                Event::Exited {
                    kind: WorkerKind::Image,
                    ..
                } => {
                    self.images.detach();
                    // A frame half uploaded came from the old process's region.
                    for o in &mut self.outputs {
                        if o.upload.take().is_some() {
                            o.show.upload_failed();
                        }
                    }
                }
                Event::Failed {
                    kind: WorkerKind::Image,
                    restarts,
                } => tracing::error!(
                    "the image worker failed {restarts} times and is not restarted; the photo \
                     on screen stays"
                ),
                Event::Started {
                    kind: WorkerKind::Fft,
                    epoch,
                    readers,
                    ..
                } => {
                    if let Some(v) = self.visual.as_mut() {
                        v.attach(&self.supervisor, readers.stream, epoch);
                    }
                }
                Event::Exited {
                    kind: WorkerKind::Fft,
                    ..
                } => {
                    if let Some(v) = self.visual.as_mut() {
                        v.detach();
                    }
                }
                Event::Failed {
                    kind: WorkerKind::Fft,
                    restarts,
                } => tracing::error!(
                    "the fft worker failed {restarts} times and is not restarted; the \
                     visualizer stays hidden"
                ),
                _ => {}
            }
        }
    }

    fn answers(&mut self) {
        if let Some(v) = self.visual.as_mut() {
            v.answers(&self.supervisor);
        }
        for event in self.images.poll(&self.supervisor) {
            match event {
                ImageEvent::Frame(info) => {
                    let display = info.display;
                    let Some(o) = self.outputs.iter_mut().find(|o| o.display == display) else {
                        self.images.release(&self.supervisor);
                        continue;
                    };
                    match o.show.frame_arrived() {
                        Arrival::Upload => {
                            o.upload = Some(Upload {
                                info,
                                next_row: 0,
                                spent: Duration::ZERO,
                            })
                        }
                        Arrival::Drop => self.images.release(&self.supervisor),
                    }
                }
                ImageEvent::Worker(ImageResponse::NoImages {
                    display: id,
                    message,
                }) => {
                    tracing::warn!("display {id}: {message}");
                    if let Some(o) = self.output(id) {
                        o.show.answered_empty();
                    }
                }
                ImageEvent::Worker(ImageResponse::Skipped { source, reason }) => {
                    tracing::info!("skipped {source}: {reason}");
                }
                ImageEvent::Failed { display, message } => {
                    tracing::warn!("the image worker refused a request: {message}");
                    if let Some(o) = display.and_then(|d| self.output(d)) {
                        o.show.answered_empty();
                    }
                }
                ImageEvent::Worker(_) => {}
            }
        }
    }

    /// Moves at most [`UPLOAD_BUDGET`] bytes of photos from shared memory into textures.
    fn uploads(&mut self) {
        let mut budget = UPLOAD_BUDGET;
        for o in &mut self.outputs {
            if budget == 0 {
                break;
            }
            // The `Next` texture is the transition's target while one runs.
            if o.show.in_transition() {
                continue;
            }
            let Some(up) = o.upload.as_mut() else {
                continue;
            };
            let (width, height) = (up.info.width, up.info.height);
            let row_bytes = width as usize * 4;
            let rows = (budget / row_bytes.max(1)).max(1) as u32;
            let first = up.next_row;
            let last = (first + rows).min(height);
            let started = Instant::now();
            let queue = self.gpu.as_ref().map(|g| &g.queue);
            let canvas = &mut o.canvas;
            let write = |meta: &idlewild_protocol::shm::SlotMeta, bytes: &[u8]| {
                if (meta.width, meta.height) != (width, height)
                    || bytes.len() != row_bytes * height as usize
                {
                    return Err(format!(
                        "the frame is {}x{} ({} bytes), announced {width}x{height}",
                        meta.width,
                        meta.height,
                        bytes.len()
                    ));
                }
                let part = &bytes[first as usize * row_bytes..last as usize * row_bytes];
                canvas.write_rows(queue, (width, height), first, part)
            };
            let read = if first == 0 {
                self.images.read_frame(write)
            } else {
                self.images.read_frame_again(write)
            };
            let took = started.elapsed();
            up.spent += took;
            budget = budget.saturating_sub((last - first) as usize * row_bytes);
            let failure = match read {
                Ok(Some(Ok(()))) => None,
                Ok(Some(Err(e))) => Some(e),
                Ok(None) => Some("the frame is gone (the worker restarted)".into()),
                Err(e) => Some(format!("the frame could not be read: {e}")),
            };
            if let Some(why) = failure {
                tracing::warn!("display {}: photo dropped: {why}", o.display);
                o.upload = None;
                o.show.upload_failed();
                self.images.release(&self.supervisor);
                continue;
            }
            up.next_row = last;
            if last == height {
                o.period.upload(up.spent);
                tracing::debug!(
                    "display {}: {} ({}x{}) uploaded in {:?}",
                    o.display,
                    up.info.source,
                    width,
                    height,
                    up.spent
                );
                o.upload = None;
                o.show.uploaded();
                self.images.release(&self.supervisor);
            }
        }
    }

    fn requests(&mut self, now: Instant) {
        for o in &mut self.outputs {
            for dir in o.show.requests(now) {
                if let Err(e) = self.images.request(&self.supervisor, o.display, dir) {
                    // Queued anyway; sent when the supervisor catches up.
                    tracing::debug!("image request deferred: {e}");
                }
            }
        }
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
            let (state, moving) = config.frame_state(&tick, &o.paths, o.show.has_photo(), now);
            // Moving bars are continuous drawing too: their frames count in the metrics.
            let moving = moving || o.upload.is_some() || bars.is_some() || bars_changed;
            let draw = tick.promote
                || tick.running.is_some()
                || o.redraw
                || state != o.state
                || bars_changed;
            animating |= moving;
            if !draw || !o.show.has_photo() && !o.redraw {
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
        if now < self.next_metrics {
            return;
        }
        self.next_metrics += self.config.metrics_period;
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
