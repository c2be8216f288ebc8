//! The render thread: owns the wgpu device, one surface + renderer + show per display, and the
//! image client; samples everything once per frame and never waits on IPC or the UI thread.
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

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use idlewild_protocol::WorkerKind;
use idlewild_protocol::message::image::{DisplaySpec, FrameInfo, ImageResponse};
use idlewild_renderer::{Easing, FrameState, ImageView, KenBurns, Renderer, Slot, TransitionId};

use super::gpu::{self, Gpu, Target};
use super::metrics::{FrameStats, MetricsSink, Record};
use super::picker::Picker;
use super::show::{Arrival, Show, Tick, Timing};
use crate::images::{Direction, ImageClient, ImageEvent};
use crate::supervisor::{Event, Supervisor};

/// Largest number of photo bytes uploaded per frame (a 1080p photo in one frame, 4K in four).
pub const UPLOAD_BUDGET: usize = 8 << 20;
/// How often a periodic metrics record is written, unless [`ShowConfig::metrics_period`] says
/// otherwise.
pub const METRICS_PERIOD: Duration = Duration::from_secs(10);

/// One display to draw on.
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

/// How the show runs, from settings.
#[derive(Clone, Debug)]
pub struct ShowConfig {
    /// Photo timing.
    pub timing: Timing,
    /// Progress curve of every transition.
    pub easing: Easing,
    /// Transition length per effect, in registry order.
    pub durations: Vec<Duration>,
    /// Random mode and its pool.
    pub random: bool,
    /// The effect when not random.
    pub fixed: TransitionId,
    /// Random mode's pool (empty: every effect).
    pub pool: Vec<TransitionId>,
    /// Seed for transition choice and randomness.
    pub seed: u64,
    /// Slow pan and zoom while a photo is shown, if on.
    pub ken_burns: Option<KenBurns>,
    /// The longest transition (a Ken Burns path spans the interval plus this).
    pub longest: Duration,
    /// How often a periodic metrics record is written ([`METRICS_PERIOD`]).
    pub metrics_period: Duration,
}

impl ShowConfig {
    /// The effect, seed and duration of the next transition, from `picker`.
    pub fn pick(&self, picker: &mut Picker) -> (TransitionId, u32, Duration) {
        let (id, seed) = picker.pick();
        let duration = TransitionId::all()
            .position(|t| t == id)
            .and_then(|at| self.durations.get(at).copied())
            .unwrap_or(Duration::from_millis(u64::from(
                id.desc().default_duration_ms,
            )));
        (id, seed, duration)
    }

    /// What to draw after `tick`: the transition (eased) and, with Ken Burns on, each slot's
    /// view along its photo's path. The flag says whether anything moves (so the next frame
    /// must be drawn too).
    pub fn frame_state(
        &self,
        tick: &Tick,
        paths: &KenBurnsPaths,
        has_photo: bool,
        now: Instant,
    ) -> (FrameState, bool) {
        let mut state = match tick.running {
            Some(run) => FrameState {
                transition: run.id,
                progress: self.easing.apply(run.progress),
                seed: run.seed,
                ..FrameState::new(run.id)
            },
            None => FrameState::default(),
        };
        let mut moving = tick.running.is_some();
        if let Some(kb) = &self.ken_burns {
            // A photo's path spans its whole time on screen, its transitions included.
            let span = (self.timing.interval + self.longest).as_secs_f32();
            state.views = paths.0.map(|p| {
                p.map_or(ImageView::IDENTITY, |(seed, since)| {
                    kb.view_at(
                        seed,
                        now.saturating_duration_since(since).as_secs_f32(),
                        span,
                    )
                })
            });
            moving |= has_photo;
        }
        (state, moving)
    }
}

/// The Ken Burns paths of the photo on screen and of the one coming in: (seed, on screen since).
#[derive(Clone, Copy, Debug, Default)]
pub struct KenBurnsPaths([Option<(u32, Instant)>; 2]);

impl KenBurnsPaths {
    /// Follows the show: a promoted photo keeps its path (a first photo starts one), a
    /// starting transition starts the incoming photo's path.
    pub fn follow(&mut self, tick: &Tick, now: Instant) {
        if tick.promote {
            self.0[0] = self.0[1].take().or(Some((fastrand::u32(..), now)));
        }
        if let Some(run) = tick.running
            && self.0[1].is_none()
        {
            self.0[1] = Some((run.seed ^ 0x9e37_79b9, now));
        }
    }
}

struct Upload {
    info: FrameInfo,
    next_row: u32,
    spent: Duration,
}

struct Output {
    display: u32,
    target: Target,
    refresh_mhz: Option<u32>,
    /// `None`: offscreen (frames go to `offscreen` and are dropped).
    surface: Option<wgpu::Surface<'static>>,
    offscreen: Option<wgpu::Texture>,
    /// The submission before the last (offscreen pacing: at most two frames in flight).
    in_flight: Option<wgpu::SubmissionIndex>,
    config: wgpu::SurfaceConfiguration,
    renderer: Renderer,
    show: Show,
    upload: Option<Upload>,
    /// The last frame's state, redrawn when only a redraw was asked for.
    state: FrameState,
    frame_target: Duration,
    last_present: Option<Instant>,
    /// The last presented frame was part of continuous drawing (something moved), so the
    /// interval to the next one is a frame time, however long it is.
    last_moving: bool,
    redraw: bool,
    announced: bool,
    period: FrameStats,
    transition: FrameStats,
    paths: KenBurnsPaths,
}

/// Everything the render thread owns.
struct RenderLoop {
    gpu: Gpu,
    outputs: Vec<Output>,
    images: ImageClient,
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
    /// A display was resized at this time; the image worker learns the new sizes once the
    /// size has been still for [`RESIZE_SETTLE`].
    resized: Option<Instant>,
}

/// How long a window's size must stay unchanged before photos are asked for at the new size.
const RESIZE_SETTLE: Duration = Duration::from_millis(300);

/// The renderer's fallback group for this run (group C, a CPU renderer, is not built yet).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    /// A: every transition.
    Full,
    /// B: the minimal compositor (crossfade only), after a shader or pipeline failed.
    Minimal,
}

impl Group {
    /// `IDLEWILD_RENDERER=minimal` forces group B (tests, and users with a broken driver).
    fn from_env() -> Group {
        match std::env::var("IDLEWILD_RENDERER").as_deref() {
            Ok("minimal") | Ok("b") | Ok("B") => {
                tracing::warn!("renderer group B (crossfade only): forced by IDLEWILD_RENDERER");
                Group::Minimal
            }
            _ => Group::Full,
        }
    }
}

/// Device losses survived per run before the run ends instead.
const MAX_RECOVERIES: u32 = 3;

/// Why an output could not be set up.
enum OutputError {
    /// The renderer's pipelines failed: demote and try again with these.
    Pipeline(Box<(String, OutputSpec, Option<wgpu::Surface<'static>>)>),
    /// Anything else.
    Other(String),
}

impl std::fmt::Display for OutputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OutputError::Pipeline(parts) => f.write_str(&parts.0),
            OutputError::Other(why) => f.write_str(why),
        }
    }
}

/// Starts the render thread over `outputs`. `notify` posts to the UI thread (it must not
/// block); the returned sender carries [`Command`]s the other way.
#[allow(clippy::too_many_arguments)]
pub fn spawn(
    instance: wgpu::Instance,
    outputs: Vec<OutputSpec>,
    config: ShowConfig,
    images: ImageClient,
    supervisor: Arc<Supervisor>,
    metrics: Option<MetricsSink>,
    notify: Box<dyn Fn(Notice) + Send>,
) -> std::io::Result<(Sender<Command>, std::thread::JoinHandle<()>)> {
    let (tx, rx) = crossbeam_channel::unbounded();
    let handle = std::thread::Builder::new()
        .name("idlewild-render".into())
        .spawn(move || {
            match RenderLoop::new(
                &instance, outputs, config, images, supervisor, metrics, notify,
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
    fn new(
        instance: &wgpu::Instance,
        specs: Vec<OutputSpec>,
        config: ShowConfig,
        images: ImageClient,
        supervisor: Arc<Supervisor>,
        metrics: Option<MetricsSink>,
        notify: Box<dyn Fn(Notice) + Send>,
    ) -> Result<Self, SetupError> {
        let mut surfaces = Vec::new();
        for spec in &specs {
            match gpu::surface(instance, &spec.target) {
                Ok(s) => surfaces.push(s),
                Err(e) => return Err((notify, e.to_string())),
            }
        }
        if specs.is_empty() {
            return Err((notify, "no display to draw on".into()));
        }
        let gpu = match gpu::open(instance, surfaces.iter().flatten().next()) {
            Ok(g) => g,
            Err(e) => return Err((notify, e.to_string())),
        };
        let mut group = Group::from_env();
        let mut pending: Vec<(OutputSpec, Option<wgpu::Surface<'static>>)> =
            specs.into_iter().zip(surfaces).collect();
        let mut outputs = Vec::new();
        while let Some((spec, surface)) = pending.pop() {
            match Output::new(&gpu, spec, surface, config.timing, group) {
                Ok(o) => outputs.push(o),
                Err(OutputError::Pipeline(parts)) if group == Group::Full => {
                    let (why, spec, surface) = *parts;
                    // Demoted for the whole run: every display draws the same way.
                    tracing::warn!(
                        "renderer group B (crossfade only) for this run: a transition's shader \
                         or pipeline failed: {why}"
                    );
                    group = Group::Minimal;
                    pending.push((spec, surface));
                    for o in outputs.drain(..) {
                        pending.push(o.into_parts());
                    }
                }
                Err(e) => return Err((notify, e.to_string())),
            }
        }
        outputs.sort_by_key(|o| o.display);
        let picker = Picker::new(config.random, config.fixed, &config.pool, config.seed);
        let now = Instant::now();
        let next_metrics = now + config.metrics_period;
        Ok(Self {
            gpu,
            outputs,
            images,
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
            if (self.gpu.lost.load(Ordering::Acquire) || self.test_loss())
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

    /// `IDLEWILD_TEST_DEVICE_LOSS_S=N`: the device counts as lost once, N seconds in, so tests
    /// exercise the real recovery path (wgpu offers no way to lose a device on purpose).
    fn test_loss(&mut self) -> bool {
        static ONCE: std::sync::Once = std::sync::Once::new();
        let Some(after) = std::env::var("IDLEWILD_TEST_DEVICE_LOSS_S")
            .ok()
            .and_then(|v| v.parse::<f64>().ok())
        else {
            return false;
        };
        let mut fire = false;
        if self.started.elapsed().as_secs_f64() >= after {
            ONCE.call_once(|| fire = true);
        }
        fire
    }

    /// A lost device: a new device on the best adapter, every renderer rebuilt (same group),
    /// every show blank again until its next photo arrives. Gives up after
    /// [`MAX_RECOVERIES`].
    fn recover(&mut self) -> Result<(), String> {
        self.recoveries += 1;
        if self.recoveries > MAX_RECOVERIES {
            return Err(format!(
                "the graphics device was lost {} times; giving up",
                self.recoveries
            ));
        }
        tracing::warn!(
            "graphics device lost; recreating it ({} of at most {MAX_RECOVERIES})",
            self.recoveries
        );
        let first = self.outputs.iter().find_map(|o| o.surface.as_ref());
        let gpu = gpu::open(&self.instance, first).map_err(|e| e.to_string())?;
        let mut outputs = Vec::new();
        for o in self.outputs.drain(..) {
            let (spec, surface) = o.into_parts();
            let out = Output::new(&gpu, spec, surface, self.config.timing, self.group)
                .map_err(|e| e.to_string())?;
            outputs.push(out);
        }
        self.outputs = outputs;
        self.gpu = gpu;
        // Uploads in progress went to the old device; the next answers refill the new one.
        self.images.release(&self.supervisor);
        Ok(())
    }

    fn command(&mut self, cmd: Command) {
        match cmd {
            Command::Resize { display, size } => {
                if let Some(o) = self.outputs.iter_mut().find(|o| o.display == display)
                    && o.resize(&self.gpu, size)
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
            .any(|o| u64::from(o.config.width) * u64::from(o.config.height) > 3840 * 2160)
        {
            tracing::info!("window larger than 4K: photos stay at their previous size");
            return;
        }
        let displays: Vec<DisplaySpec> = self
            .outputs
            .iter()
            .map(|o| DisplaySpec {
                id: o.display,
                width: o.config.width,
                height: o.config.height,
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
                _ => {}
            }
        }
    }

    fn answers(&mut self) {
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
            let queue = &self.gpu.queue;
            let renderer = &mut o.renderer;
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
                if first == 0 {
                    renderer
                        .begin_image(Slot::Next, width, height)
                        .map_err(|e| e.to_string())?;
                }
                let part = &bytes[first as usize * row_bytes..last as usize * row_bytes];
                renderer
                    .write_rows(queue, Slot::Next, first, part)
                    .map_err(|e| e.to_string())
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
        for o in &mut self.outputs {
            let tick = o.show.tick(now, &mut || config.pick(picker));
            if tick.promote {
                o.renderer.promote_next();
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
            let moving = moving || o.upload.is_some();
            let draw = tick.promote || tick.running.is_some() || o.redraw || state != o.state;
            animating |= moving;
            if !draw || !o.show.has_photo() && !o.redraw {
                continue;
            }
            o.redraw = false;
            o.state = state;
            o.renderer.update(&state);
            if o.present(&self.gpu, now, tick.running.is_some(), moving) && !o.announced {
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
    }
}

/// The texture an offscreen output draws into.
fn offscreen_target(device: &wgpu::Device, config: &wgpu::SurfaceConfiguration) -> wgpu::Texture {
    device.create_texture(&wgpu::TextureDescriptor {
        label: Some("idlewild offscreen output"),
        size: wgpu::Extent3d {
            width: config.width,
            height: config.height,
            depth_or_array_layers: 1,
        },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format: config.format,
        usage: wgpu::TextureUsages::RENDER_ATTACHMENT,
        view_formats: &[],
    })
}

impl Output {
    fn new(
        gpu: &Gpu,
        spec: OutputSpec,
        surface: Option<wgpu::Surface<'static>>,
        timing: Timing,
        group: Group,
    ) -> Result<Self, OutputError> {
        let config = match &surface {
            Some(surface) => {
                let Some(config) = gpu::configuration(surface, &gpu.adapter, spec.size) else {
                    return Err(OutputError::Other(format!(
                        "display {}: the graphics adapter cannot present to its window",
                        spec.display
                    )));
                };
                surface.configure(&gpu.device, &config);
                config
            }
            None => gpu::offscreen_configuration(spec.size),
        };
        let offscreen = surface
            .is_none()
            .then(|| offscreen_target(&gpu.device, &config));
        let built = match group {
            Group::Full => Renderer::new(&gpu.device, &gpu.queue, config.format, spec.size),
            Group::Minimal => Renderer::minimal(&gpu.device, &gpu.queue, config.format, spec.size),
        };
        let renderer = match built {
            Ok(r) => r,
            Err(e @ idlewild_renderer::RenderError::Pipeline { .. }) => {
                return Err(OutputError::Pipeline(Box::new((
                    e.to_string(),
                    spec,
                    surface,
                ))));
            }
            Err(e) => return Err(OutputError::Other(e.to_string())),
        };
        let hz = spec
            .refresh_mhz
            .filter(|&m| m >= 20_000)
            .map_or(60.0, |m| f64::from(m) / 1000.0);
        Ok(Self {
            display: spec.display,
            target: spec.target,
            refresh_mhz: spec.refresh_mhz,
            surface,
            offscreen,
            in_flight: None,
            config,
            renderer,
            show: Show::new(timing),
            upload: None,
            state: FrameState::default(),
            frame_target: Duration::from_secs_f64(1.0 / hz),
            last_present: None,
            last_moving: false,
            redraw: true,
            announced: false,
            period: FrameStats::default(),
            transition: FrameStats::default(),
            paths: KenBurnsPaths::default(),
        })
    }

    /// Back to what it was made from (to rebuild it on another device or group).
    fn into_parts(self) -> (OutputSpec, Option<wgpu::Surface<'static>>) {
        let spec = OutputSpec {
            display: self.display,
            target: self.target,
            size: (self.config.width, self.config.height),
            refresh_mhz: self.refresh_mhz,
        };
        (spec, self.surface)
    }

    /// True when the size changed.
    fn resize(&mut self, gpu: &Gpu, size: (u32, u32)) -> bool {
        if size.0 == 0 || size.1 == 0 || (self.config.width, self.config.height) == size {
            return false;
        }
        self.config.width = size.0;
        self.config.height = size.1;
        match &self.surface {
            Some(surface) => surface.configure(&gpu.device, &self.config),
            None => self.offscreen = Some(offscreen_target(&gpu.device, &self.config)),
        }
        self.renderer.resize(size);
        self.redraw = true;
        true
    }

    /// Draws the renderer's state into the surface and presents it. False when no frame was
    /// presented (occluded, timed out, reconfigured).
    fn present(&mut self, gpu: &Gpu, now: Instant, in_transition: bool, moving: bool) -> bool {
        let mut encoder = gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("idlewild frame"),
            });
        match (&self.surface, &self.offscreen) {
            (Some(surface), _) => {
                let frame = match surface.get_current_texture() {
                    wgpu::CurrentSurfaceTexture::Success(t) => t,
                    wgpu::CurrentSurfaceTexture::Suboptimal(t) => {
                        surface.configure(&gpu.device, &self.config);
                        t
                    }
                    wgpu::CurrentSurfaceTexture::Timeout
                    | wgpu::CurrentSurfaceTexture::Occluded => return false,
                    wgpu::CurrentSurfaceTexture::Outdated | wgpu::CurrentSurfaceTexture::Lost => {
                        surface.configure(&gpu.device, &self.config);
                        self.redraw = true;
                        return false;
                    }
                    wgpu::CurrentSurfaceTexture::Validation => {
                        tracing::warn!("display {}: the surface refused a frame", self.display);
                        return false;
                    }
                };
                let view = frame
                    .texture
                    .create_view(&wgpu::TextureViewDescriptor::default());
                self.renderer.render(&mut encoder, &view);
                gpu.queue.submit([encoder.finish()]);
                gpu.queue.present(frame);
            }
            (None, Some(target)) => {
                // Like a swapchain: the previous frame must be done before the next is queued,
                // so the GPU's real cost shows in the frame times instead of piling up.
                if let Some(index) = self.in_flight.take() {
                    let _ = gpu.device.poll(wgpu::PollType::Wait {
                        submission_index: Some(index),
                        timeout: Some(Duration::from_secs(1)),
                    });
                }
                let view = target.create_view(&wgpu::TextureViewDescriptor::default());
                self.renderer.render(&mut encoder, &view);
                self.in_flight = Some(gpu.queue.submit([encoder.finish()]));
            }
            (None, None) => return false,
        }
        // An interval that starts at a frame drawn while something moved is a frame time,
        // however long: a stall shows up in p99, max and the dropped count. An interval that
        // starts after an idle stretch (a still photo draws nothing) is not one.
        if let Some(last) = self.last_present
            && self.last_moving
        {
            let interval = now.saturating_duration_since(last);
            self.period.frame(interval, self.frame_target);
            if in_transition {
                self.transition.frame(interval, self.frame_target);
            }
        }
        self.last_present = Some(now);
        self.last_moving = moving;
        true
    }
}
