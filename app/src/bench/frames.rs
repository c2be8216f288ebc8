//! `idlewild bench frames`: the render loop's frame intervals while photos are decoded, four
//! scenarios side by side in one run, each drawing offscreen at the display size, paced at
//! 60 Hz, with a transition every 3 s (random effects, Ken Burns on) for `--seconds`:
//!
//! - **(a) idle**: the real render thread (`shell::render`) and the real supervisor and image
//!   worker, serving three large photos that were decoded and cached before the clock started,
//!   so the worker does no work during the run.
//! - **(b) saturated**: (a) again while a second, independent image worker decodes large photos
//!   non-stop: a driver thread asks it for its next photo as soon as it answered (never reading
//!   the frame, so the UI process does no extra work), from a folder of links to the large
//!   photos that its cache cannot hold, prefetch 16. That is the production worker process with
//!   its own decode threads at their own low priority (nice 10, half the cores), kept busy all
//!   the time: "the image worker decodes large photos continuously". A separate worker keeps
//!   the shown worker's answers and timing exactly as in (a), so load is the only difference.
//! - **(c) inline**: the design the worker isolation replaces: a stand-in loop on the same
//!   building blocks as the real one (`Show`, `Picker`, `FrameStats`, the renderer, Ken Burns,
//!   the same offscreen pacing) that decodes and scales the next large photo with
//!   `prepare_file` on the render thread itself when the show asks for it, then uploads it.
//! - **(c0) control**: the same stand-in loop with the photos decoded before the clock started,
//!   so (c0) against (a) shows how closely the stand-in matches the real loop, and (c) against
//!   (c0) what the inline decode alone costs.
//!
//! Every interval between two presented frames counts in the stand-in; the real loop's metrics
//! leave out intervals of 500 ms or more (idle stretches), so a stall that long would not show
//! in (a) or (b): the table's frames + dropped against the run's length tells whether one
//! happened.

use crate::images::{Direction, ImageClient, ImageEvent, image_config};
use crate::shell::gpu::{self, Target};
use crate::shell::metrics::{FrameStats, MetricsSink, Summary};
use crate::shell::picker::Picker;
use crate::shell::render::{self, Command as RenderCommand, Notice, OutputSpec, ShowConfig};
use crate::shell::show::{Arrival, Show, Timing};
use crate::supervisor::{Event, Supervisor, SupervisorConfig, WorkerSpec, region_plan};
use anyhow::{Context, anyhow, bail};
use idlewild_image::prepare::prepare_file;
use idlewild_image::scan::{ScanEvent, ScanOptions, scan};
use idlewild_image::sources::ExtensionSet;
use idlewild_protocol::WorkerKind;
use idlewild_protocol::message::image::{DisplaySpec, ImageLimits, ImageResponse, ScaleOptions};
use idlewild_protocol::shm::FrameReader;
use idlewild_renderer::{Easing, FrameState, ImageView, KenBurns, Renderer, Slot, TransitionId};
use idlewild_settings::Settings;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Seconds per photo: a transition starts every 3 s.
const INTERVAL_S: u32 = 3;
/// Length of each transition.
const TRANSITION_MS: u32 = 1500;
/// A photo counts as large from this many pixels (a 2560×1600 wallpaper and up).
const LARGE_PIXELS: u64 = 4_000_000;
/// Photos the shown worker serves from its cache in every scenario.
const SHOWN: usize = 3;
/// Links in the saturating worker's folder (its cache holds a few frames, so each is decoded).
const LOAD_LINKS: usize = 64;
/// The same transitions, in the same order, in every scenario.
const SEED: u64 = 0x1d1e_3111d;
/// Intervals this long are idle stretches to the real loop's metrics (left out).
const IDLE_GAP: Duration = Duration::from_millis(500);
/// The pacing of an offscreen output (no refresh rate: 60 Hz).
const FRAME: Duration = Duration::from_nanos(16_666_667);

/// Options of `bench frames`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Folder of photos (searched recursively for jpg/png); the large ones are used.
    pub source: PathBuf,
    /// Seconds each scenario runs.
    pub seconds: u32,
    /// Frame size in pixels.
    pub size: (u32, u32),
}

/// One photo found and prepared once, before any scenario.
struct Photo {
    path: PathBuf,
    source: (u32, u32),
    prepare_ms: f64,
}

/// One scenario's frame intervals.
struct Figures {
    frames: u64,
    dropped: u64,
    interval: Summary,
    transitions: u64,
    watchdogs: u64,
    /// Intervals of [`IDLE_GAP`] or more (stand-in only; the real loop leaves them out).
    gaps: Option<u64>,
}

/// Runs every scenario and prints the table and the ratios.
pub fn run(opts: &Options) -> anyhow::Result<()> {
    let (w, h) = opts.size;
    if u64::from(w) * u64::from(h) > 3840 * 2160 {
        bail!("--size {w}x{h}: the image worker's frames hold at most 3840x2160 pixels");
    }
    let source = std::fs::canonicalize(&opts.source)
        .with_context(|| format!("--source {}", opts.source.display()))?;
    let all = photos(&source)?;
    let large = large_photos(&all, opts.size);
    if large.len() < SHOWN {
        bail!(
            "{} usable photos in {}, at least {SHOWN} needed (install Debian's \
             mate-backgrounds, or pass --source DIR)",
            large.len(),
            source.display()
        );
    }
    let profile = if cfg!(debug_assertions) {
        "debug (dependencies and worker crates at opt-level 2)"
    } else {
        "release"
    };
    println!(
        "idlewild bench frames — build: {profile}; {w}x{h} offscreen at 60 Hz, a {TRANSITION_MS} ms \
         transition every {INTERVAL_S} s (random effects, same sequence in every scenario, Ken \
         Burns on), {} s per scenario",
        opts.seconds
    );
    print_adapter()?;
    let mut times: Vec<f64> = large.iter().map(|p| p.prepare_ms).collect();
    times.sort_by(f64::total_cmp);
    let pixels = |p: &Photo| format!("{}x{}", p.source.0, p.source.1);
    println!(
        "photos: {} large of {} in {} ({}, {} to {}); prepare_file to {w}x{h} on one thread: \
         median {:.0} ms, max {:.0} ms",
        large.len(),
        all.len(),
        source.display(),
        if large.iter().all(|p| pixels_of(p) >= LARGE_PIXELS) {
            "≥ 4 MP"
        } else {
            "the largest found"
        },
        large.last().map(pixels).unwrap_or_default(),
        large.first().map(pixels).unwrap_or_default(),
        times[times.len() / 2],
        times[times.len() - 1],
    );
    let shown_dir = tempfile::tempdir()?;
    for (i, p) in large.iter().take(SHOWN).enumerate() {
        link(&p.path, &shown_dir.path().join(link_name(i, &p.path)))?;
    }
    let settings = settings(shown_dir.path());
    println!();
    println!(
        "  {:<48} {:>6} {:>7} {:>8} {:>8} {:>8} {:>5}",
        "scenario", "frames", "dropped", "p50 ms", "p99 ms", "max ms", "trans"
    );

    let row = |name: &str, f: &Figures| print_row(name, f, opts.seconds);
    let (a, cpu_a) = real_loop(opts, &settings)?;
    row("(a) real loop, image worker idle", &a);
    let load = Load::start(&large, opts.size)?;
    let load_before = load.sample();
    let b = real_loop(opts, &settings);
    let load_after = load.sample();
    let load_failure = load.stop();
    let (b, cpu_b) = b?;
    row("(b) real loop, a worker decoding non-stop", &b);
    let shown: Vec<Vec<u8>> = large
        .iter()
        .take(SHOWN)
        .map(|p| prepare(&p.path, opts.size))
        .collect::<Result<_, _>>()?;
    let c0 = stand_in(opts, &settings, Feed::Ready(&shown))?;
    row("(c0) stand-in loop, photos decoded beforehand", &c0);
    let paths: Vec<PathBuf> = large.iter().map(|p| p.path.clone()).collect();
    let mut decode = Vec::new();
    let c = stand_in(opts, &settings, Feed::Decode(&paths, &mut decode))?;
    row("(c) stand-in loop, decoding on the render thread", &c);

    println!();
    let share = |cpu: Option<f64>| cpu.map_or("n/a".to_owned(), |c| format!("{:.0}%", c * 100.0));
    println!(
        "  shown worker's CPU over the run: (a) {}, (b) {} of a core",
        share(cpu_a),
        share(cpu_b)
    );
    match load_failure {
        Some(why) => println!("  (b) LOAD FAILED: {why}; (b) is not a saturated run"),
        None => {
            let frames = load_after.0 - load_before.0;
            let secs = load_after.2.duration_since(load_before.2).as_secs_f64();
            let cpu = match (load_before.1, load_after.1) {
                (Some(x), Some(y)) => format!("{:.0}%", (y - x) / secs * 100.0),
                _ => "n/a".to_owned(),
            };
            println!(
                "  (b) load: {frames} large photos decoded in {secs:.0} s ({:.1}/s) by the \
                 second worker; its CPU {cpu} of a core ({} decode thread(s) at nice 10)",
                frames as f64 / secs,
                decode_threads()
            );
        }
    }
    println!(
        "  (c) decodes on the render thread: {} photos, {:.0} ms median, {:.0} ms max each",
        decode.len(),
        median(&decode),
        decode.iter().copied().fold(0.0, f64::max)
    );
    let ratio = |x: f64, y: f64| if y > 0.0 { x / y } else { f64::NAN };
    let p99_ba = ratio(b.interval.p99_ms, a.interval.p99_ms);
    println!(
        "  p99(b)/p99(a) = {p99_ba:.2} (target ≤ 1.25: {})",
        if p99_ba <= 1.25 { "met" } else { "MISSED" }
    );
    println!(
        "  p99(c)/p99(a) = {:.2}, max(c)/max(a) = {:.2} (what isolation buys); \
         p99(c)/p99(c0) = {:.2}, max(c)/max(c0) = {:.2}",
        ratio(c.interval.p99_ms, a.interval.p99_ms),
        ratio(c.interval.max_ms, a.interval.max_ms),
        ratio(c.interval.p99_ms, c0.interval.p99_ms),
        ratio(c.interval.max_ms, c0.interval.max_ms),
    );
    println!(
        "  p99(c0)/p99(a) = {:.2} (the stand-in loop against the real one, both without decoding)",
        ratio(c0.interval.p99_ms, a.interval.p99_ms)
    );
    Ok(())
}

fn print_row(name: &str, f: &Figures, seconds: u32) {
    // Frames shown and missed should add up to the run's length; the real loop's metrics leave
    // out intervals of 500 ms or more, so a shortfall there is a stall it did not count.
    let expected = f64::from(seconds) / FRAME.as_secs_f64();
    let missing = expected - (f.frames + f.dropped) as f64;
    let gaps = match f.gaps {
        Some(n) if n > 0 => format!("  ({n} intervals ≥ 500 ms)"),
        None if missing > 0.02 * expected => format!("  (~{missing:.0} frame times unaccounted)"),
        _ => String::new(),
    };
    let watchdogs = if f.watchdogs > 0 {
        format!("  ({} by the watchdog)", f.watchdogs)
    } else {
        String::new()
    };
    println!(
        "  {name:<48} {:>6} {:>7} {:>8.2} {:>8.2} {:>8.2} {:>5}{gaps}{watchdogs}",
        f.frames, f.dropped, f.interval.p50_ms, f.interval.p99_ms, f.interval.max_ms, f.transitions
    );
}

fn print_adapter() -> anyhow::Result<()> {
    let gpu = gpu::open(&instance(), None)?;
    let info = gpu.adapter.get_info();
    println!(
        "adapter: {} ({:?}, {:?}), driver {} {}",
        info.name, info.backend, info.device_type, info.driver, info.driver_info
    );
    if info.device_type == wgpu::DeviceType::Cpu {
        println!(
            "  a CPU rasteriser: the render thread's own drawing competes with decoding for the \
             {} cores, so the ratios are pessimistic against a real GPU",
            std::thread::available_parallelism().map_or(1, |n| n.get())
        );
    }
    Ok(())
}

fn instance() -> wgpu::Instance {
    wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env())
}

/// The JPEGs and PNGs under `dir`, found by the image worker's own scanner.
fn photos(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let options = ScanOptions {
        roots: vec![dir.to_path_buf()],
        extensions: ExtensionSet::new(&["jpg".into(), "jpeg".into(), "png".into()])?,
        follow_symlinks: false,
    };
    let mut out = Vec::new();
    scan(&options, None, &mut |event| {
        if let ScanEvent::Batch(paths) = event {
            out.extend(paths);
        }
        ControlFlow::Continue(())
    });
    out.sort();
    Ok(out)
}

fn pixels_of(p: &Photo) -> u64 {
    u64::from(p.source.0) * u64::from(p.source.1)
}

/// Every photo prepared once (which also tells its size), largest first: those of at least
/// [`LARGE_PIXELS`], or the [`SHOWN`] largest when fewer are that large.
fn large_photos(all: &[PathBuf], size: (u32, u32)) -> Vec<Photo> {
    let mut buf = Vec::new();
    let mut found: Vec<Photo> = all
        .iter()
        .filter_map(|path| {
            let t = Instant::now();
            let prepared = prepare_file(
                path,
                size,
                &ScaleOptions::default(),
                &ImageLimits::default(),
                None,
                &mut buf,
            )
            .ok()?;
            Some(Photo {
                path: path.clone(),
                source: (prepared.source_width, prepared.source_height),
                prepare_ms: t.elapsed().as_secs_f64() * 1e3,
            })
        })
        .collect();
    found.sort_by_key(|p| std::cmp::Reverse(pixels_of(p)));
    let large = found
        .iter()
        .filter(|p| pixels_of(p) >= LARGE_PIXELS)
        .count();
    found.truncate(large.max(SHOWN));
    found
}

fn prepare(path: &Path, size: (u32, u32)) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    prepare_file(
        path,
        size,
        &ScaleOptions::default(),
        &ImageLimits::default(),
        None,
        &mut out,
    )
    .with_context(|| format!("cannot prepare {}", path.display()))?;
    Ok(out)
}

fn link_name(i: usize, target: &Path) -> String {
    let ext = target.extension().and_then(|e| e.to_str()).unwrap_or("jpg");
    format!("{i:03}.{ext}")
}

#[cfg(unix)]
fn link(target: &Path, at: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, at)
}

/// Symbolic links need a privilege on Windows: copies instead.
#[cfg(not(unix))]
fn link(target: &Path, at: &Path) -> std::io::Result<()> {
    std::fs::copy(target, at).map(|_| ())
}

/// The settings of every scenario: defaults, a transition every 3 s, photos from `folder`.
fn settings(folder: &Path) -> Settings {
    let mut s = Settings::default();
    s.display.interval_s = INTERVAL_S;
    s.transitions.duration_ms = TRANSITION_MS;
    s.sources.folders = vec![folder.to_path_buf()];
    s.sources.follow_symlinks = true;
    s
}

/// The show's configuration as the shell makes it from settings (`shell::app::show_config`,
/// private to the shell; keep the two alike), with a fixed seed and one periodic metrics
/// record per run.
fn show_config(s: &Settings, run: Duration) -> ShowConfig {
    let interval = Duration::from_secs(u64::from(s.display.interval_s));
    let global = Duration::from_millis(u64::from(s.transitions.duration_ms));
    let durations: Vec<Duration> = TransitionId::all().map(|_| global).collect();
    ShowConfig {
        timing: Timing::new(interval),
        easing: Easing::from_name("cubic-in-out").unwrap_or(Easing::Linear),
        longest: durations.iter().copied().max().unwrap_or(global),
        durations,
        ken_burns: Some(KenBurns::DEFAULT),
        metrics_period: run,
        random: s.transitions.random,
        fixed: TransitionId::CROSSFADE,
        pool: Vec::new(),
        seed: SEED,
    }
}

/// Waits for the image worker's first process; its pid and frames reader.
fn started(supervisor: &Supervisor) -> anyhow::Result<(u32, Option<FrameReader>)> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match supervisor.wait_event(deadline.saturating_duration_since(Instant::now())) {
            Some(Event::Started {
                kind: WorkerKind::Image,
                pid,
                readers,
                ..
            }) => return Ok((pid, readers.frames)),
            Some(Event::Started { .. }) => {}
            Some(other) => bail!("the image worker did not start: {other:?}"),
            None => bail!("the image worker did not start within 30 s"),
        }
    }
}

/// Asks for the next photo and waits for it (set-up only, never during a measurement).
fn next_photo(client: &mut ImageClient, supervisor: &Supervisor) -> anyhow::Result<()> {
    // Queued even when refused for now; `poll` sends it again.
    let _ = client.request(supervisor, 0, Direction::Next);
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        for event in client.poll(supervisor) {
            match event {
                ImageEvent::Frame(_) => {
                    client.release(supervisor);
                    return Ok(());
                }
                ImageEvent::Worker(ImageResponse::NoImages { message, .. }) => bail!("{message}"),
                ImageEvent::Failed { message, .. } => {
                    bail!("the image worker refused a request: {message}")
                }
                _ => {}
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    bail!("no photo from the image worker within 60 s")
}

/// Scenarios (a) and (b): the real render thread over the real supervisor and image worker.
/// Also returns the shown worker's CPU use over the run, in cores.
fn real_loop(opts: &Options, settings: &Settings) -> anyhow::Result<(Figures, Option<f64>)> {
    let (config, _) = SupervisorConfig::from_settings(settings, std::env::current_exe()?);
    let supervisor = Arc::new(Supervisor::start(config)?);
    let (pid, frames) = started(&supervisor)?;
    let state = tempfile::tempdir()?;
    let display = DisplaySpec {
        id: 0,
        width: opts.size.0,
        height: opts.size.1,
    };
    let mut images = ImageClient::new(image_config(settings, &[display], &[], state.path()));
    // The render thread attaches on the worker's `Started` event, which was taken above: the
    // client goes in attached. Every photo is asked for once first, so all are cached and the
    // worker has nothing to decode while the clock runs.
    images.attach(&supervisor, frames)?;
    for _ in 0..SHOWN {
        next_photo(&mut images, &supervisor)?;
    }
    let out = tempfile::tempdir()?;
    let path = out.path().join("metrics.jsonl");
    let (sink, writer) = MetricsSink::open(&path)?;
    let run = Duration::from_secs(u64::from(opts.seconds));
    let (notice_tx, notices) = crossbeam_channel::unbounded();
    let output = OutputSpec {
        display: 0,
        target: Target::Offscreen,
        size: opts.size,
        refresh_mhz: None,
    };
    let cpu_before = cpu_seconds(pid);
    let t0 = Instant::now();
    let (tx, thread) = render::spawn(
        instance(),
        vec![output],
        show_config(settings, run),
        images,
        Arc::clone(&supervisor),
        Some(sink),
        Box::new(move |n| {
            let _ = notice_tx.send(n);
        }),
    )?;
    // The periodic record is written one period after the render thread set itself up.
    let deadline = t0 + run + Duration::from_secs(30);
    let mut fatal = None;
    let mut records = Vec::new();
    while Instant::now() < deadline && fatal.is_none() {
        match notices.recv_timeout(Duration::from_millis(200)) {
            Ok(Notice::Fatal(message)) => fatal = Some(message),
            Ok(Notice::FirstFrame { .. }) | Err(_) => {}
        }
        if t0.elapsed() >= run {
            records = read_records(&path);
            if records.iter().any(|r| r["kind"] == "periodic") {
                break;
            }
        }
    }
    let cpu = cpu_before
        .zip(cpu_seconds(pid))
        .map(|(x, y)| (y - x) / t0.elapsed().as_secs_f64());
    let _ = tx.send(RenderCommand::Quit);
    let joined = thread.join();
    let _ = writer.join();
    drop(supervisor);
    if joined.is_err() {
        bail!("the render thread panicked");
    }
    if let Some(message) = fatal {
        bail!("the render thread gave up: {message}");
    }
    let periodic = records
        .iter()
        .find(|r| r["kind"] == "periodic")
        .ok_or_else(|| anyhow!("no periodic metrics record within the run + 30 s"))?;
    let transitions: Vec<_> = records
        .iter()
        .filter(|r| r["kind"] == "transition" && r["t_s"].as_f64() <= periodic["t_s"].as_f64())
        .collect();
    let number = |v: &serde_json::Value| v.as_f64().unwrap_or(0.0);
    let interval = &periodic["interval"];
    Ok((
        Figures {
            frames: periodic["frames"].as_u64().unwrap_or(0),
            dropped: periodic["dropped"].as_u64().unwrap_or(0),
            interval: Summary {
                count: interval["count"].as_u64().unwrap_or(0) as usize,
                p50_ms: number(&interval["p50_ms"]),
                p95_ms: number(&interval["p95_ms"]),
                p99_ms: number(&interval["p99_ms"]),
                max_ms: number(&interval["max_ms"]),
            },
            transitions: transitions.len() as u64,
            watchdogs: transitions.iter().filter(|r| r["watchdog"] == true).count() as u64,
            gaps: None,
        },
        cpu,
    ))
}

/// The metrics file's records so far (a line being written is skipped).
fn read_records(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// Decode threads of an image worker on this machine (the worker's own rule: half the cores,
/// one to four).
fn decode_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    (cores / 2).clamp(1, 4)
}

/// The second image worker of scenario (b) and the thread that keeps it decoding.
struct Load {
    pid: u32,
    delivered: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<anyhow::Result<()>>,
    _folder: tempfile::TempDir,
    _state: tempfile::TempDir,
}

impl Load {
    /// Starts the worker over [`LOAD_LINKS`] links to `large` and waits for its first photo.
    fn start(large: &[Photo], size: (u32, u32)) -> anyhow::Result<Load> {
        let folder = tempfile::tempdir()?;
        for i in 0..LOAD_LINKS {
            let target = &large[i % large.len()].path;
            link(target, &folder.path().join(link_name(i, target)))?;
        }
        let mut settings = settings(folder.path());
        settings.workers.image.prefetch = 16;
        settings.workers.image.cache_mb = 64;
        let (base, _) = SupervisorConfig::from_settings(&settings, std::env::current_exe()?);
        let supervisor = Supervisor::start(SupervisorConfig {
            workers: vec![WorkerSpec {
                kind: WorkerKind::Image,
                regions: region_plan(WorkerKind::Image, &settings),
            }],
            ..base
        })?;
        let (pid, frames) = started(&supervisor)?;
        let state = tempfile::tempdir()?;
        let display = DisplaySpec {
            id: 0,
            width: size.0,
            height: size.1,
        };
        let mut client = ImageClient::new(image_config(&settings, &[display], &[], state.path()));
        client.attach(&supervisor, frames)?;
        next_photo(&mut client, &supervisor)?;
        let delivered = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (count, stopped) = (Arc::clone(&delivered), Arc::clone(&stop));
        let thread = std::thread::Builder::new()
            .name("bench-load".into())
            .spawn(move || drive(supervisor, client, &count, &stopped))?;
        Ok(Load {
            pid,
            delivered,
            stop,
            thread,
            _folder: folder,
            _state: state,
        })
    }

    /// Photos delivered so far, the worker's CPU seconds, and when.
    fn sample(&self) -> (u64, Option<f64>, Instant) {
        (
            self.delivered.load(Ordering::Relaxed),
            cpu_seconds(self.pid),
            Instant::now(),
        )
    }

    /// Stops the driver and the worker; why the load failed, if it did.
    fn stop(self) -> Option<String> {
        self.stop.store(true, Ordering::Relaxed);
        match self.thread.join() {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(format!("{e:#}")),
            Err(_) => Some("the driver thread panicked".into()),
        }
    }
}

/// Asks for the next photo as soon as the last one is answered, and drops it unread.
fn drive(
    supervisor: Supervisor,
    mut client: ImageClient,
    delivered: &AtomicU64,
    stop: &AtomicBool,
) -> anyhow::Result<()> {
    while !stop.load(Ordering::Relaxed) {
        if !client.busy() {
            let _ = client.request(&supervisor, 0, Direction::Next);
        }
        for event in client.poll(&supervisor) {
            match event {
                ImageEvent::Frame(_) => {
                    client.release(&supervisor);
                    delivered.fetch_add(1, Ordering::Relaxed);
                }
                ImageEvent::Worker(ImageResponse::NoImages { message, .. }) => bail!("{message}"),
                ImageEvent::Failed { message, .. } => bail!("it refused a request: {message}"),
                _ => {}
            }
        }
        if let Some(event) = supervisor.poll_event() {
            bail!("its process changed during the run: {event:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    supervisor.shutdown();
    Ok(())
}

/// CPU time (user + system) of process `pid` so far, in seconds.
#[cfg(target_os = "linux")]
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After "pid (comm) ", the fields from the third on: utime and stime are the 14th and 15th.
    let rest = stat.get(stat.rfind(')')? + 2..)?;
    let mut fields = rest.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    // SAFETY: sysconf only reads a configuration value.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    (hz > 0).then(|| (user + system) as f64 / hz as f64)
}

#[cfg(not(target_os = "linux"))]
fn cpu_seconds(_pid: u32) -> Option<f64> {
    None
}

/// Where the stand-in loop's photos come from.
enum Feed<'a> {
    /// Frames prepared before the clock started (c0).
    Ready(&'a [Vec<u8>]),
    /// Photos decoded and scaled on the render thread when the show asks (c); the time each
    /// took is pushed to the vector.
    Decode(&'a [PathBuf], &'a mut Vec<f64>),
}

/// Scenarios (c0) and (c): the render loop's per-frame steps for one offscreen output (as in
/// `shell::render`: requests, upload, `Show::tick`, Ken Burns views, draw, at most one frame in
/// flight, 60 Hz pacing), with the photo supplied by `feed` instead of a worker.
fn stand_in(opts: &Options, settings: &Settings, mut feed: Feed<'_>) -> anyhow::Result<Figures> {
    let gpu = gpu::open(&instance(), None)?;
    let surface = gpu::offscreen_configuration(opts.size);
    let target = gpu.device.create_texture(&wgpu::TextureDescriptor {
        label: Some("bench frames target"),
        size: wgpu::Extent3d {
            width: surface.width,
            height: surface.height,
            depth_or_array_layers: 1,
        },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format: surface.format,
        usage: wgpu::TextureUsages::RENDER_ATTACHMENT,
        view_formats: &[],
    });
    let view = target.create_view(&wgpu::TextureViewDescriptor::default());
    let mut renderer = Renderer::new(&gpu.device, &gpu.queue, surface.format, opts.size)?;
    let length = Duration::from_secs(u64::from(opts.seconds));
    let config = show_config(settings, length);
    let mut show = Show::new(config.timing);
    let mut picker = Picker::new(config.random, config.fixed, &config.pool, config.seed);
    let mut stats = FrameStats::default();
    let mut paths: [Option<(u32, Instant)>; 2] = [None, None];
    let mut state = FrameState::default();
    let mut in_flight: Option<wgpu::SubmissionIndex> = None;
    let mut last_present: Option<Instant> = None;
    let (mut transitions, mut watchdogs, mut gaps) = (0u64, 0u64, 0u64);
    let mut buf = Vec::new();
    let mut next = 0usize;
    let started = Instant::now();
    let mut next_frame = started;
    while started.elapsed() < length {
        for _ in show.requests(Instant::now()) {
            let frame: &[u8] = match &mut feed {
                Feed::Ready(frames) => &frames[next % frames.len()],
                Feed::Decode(photos, times) => {
                    let t = Instant::now();
                    let path = &photos[next % photos.len()];
                    prepare_file(
                        path,
                        opts.size,
                        &ScaleOptions::default(),
                        &ImageLimits::default(),
                        None,
                        &mut buf,
                    )
                    .with_context(|| format!("cannot prepare {}", path.display()))?;
                    times.push(t.elapsed().as_secs_f64() * 1e3);
                    &buf
                }
            };
            next += 1;
            if show.frame_arrived() == Arrival::Upload {
                renderer.set_image(&gpu.queue, Slot::Next, frame, opts.size.0, opts.size.1)?;
                show.uploaded();
            }
        }
        let now = Instant::now();
        let tick = show.tick(now, &mut || {
            let (id, seed) = picker.pick();
            let at = TransitionId::all().position(|t| t == id).unwrap_or(0);
            let duration = config.durations.get(at).copied().unwrap_or(FRAME);
            (id, seed, duration)
        });
        if tick.promote {
            renderer.promote_next();
            paths[0] = paths[1].take().or(Some((fastrand::u32(..), now)));
        }
        if let Some(run) = tick.running
            && paths[1].is_none()
        {
            paths[1] = Some((run.seed ^ 0x9e37_79b9, now));
        }
        if tick.finished.is_some() {
            transitions += 1;
            watchdogs += u64::from(tick.watchdog);
        }
        let mut frame_state = match tick.running {
            Some(run) => FrameState {
                transition: run.id,
                progress: config.easing.apply(run.progress),
                seed: run.seed,
                ..FrameState::new(run.id)
            },
            None => FrameState::default(),
        };
        let mut animating = tick.running.is_some();
        if let Some(kb) = &config.ken_burns {
            let span = (config.timing.interval + config.longest).as_secs_f32();
            frame_state.views = paths.map(|p| {
                p.map_or(ImageView::IDENTITY, |(seed, since)| {
                    kb.view_at(
                        seed,
                        now.saturating_duration_since(since).as_secs_f32(),
                        span,
                    )
                })
            });
            animating |= show.has_photo();
        }
        let draw = tick.promote || tick.running.is_some() || frame_state != state;
        if draw && show.has_photo() {
            state = frame_state;
            renderer.update(&state);
            let mut encoder = gpu
                .device
                .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                    label: Some("bench frames frame"),
                });
            if let Some(index) = in_flight.take() {
                let _ = gpu.device.poll(wgpu::PollType::Wait {
                    submission_index: Some(index),
                    timeout: Some(Duration::from_secs(1)),
                });
            }
            renderer.render(&mut encoder, &view);
            in_flight = Some(gpu.queue.submit([encoder.finish()]));
            if let Some(last) = last_present {
                let interval = now.saturating_duration_since(last);
                gaps += u64::from(interval >= IDLE_GAP);
                stats.frame(interval, FRAME);
            }
            last_present = Some(now);
        }
        next_frame = if animating {
            (next_frame + FRAME).max(now)
        } else {
            now + FRAME
        };
        std::thread::sleep(next_frame.saturating_duration_since(Instant::now()));
    }
    let (frames, dropped, interval, _) = stats.take();
    Ok(Figures {
        frames,
        dropped,
        interval,
        transitions,
        watchdogs,
        gaps: Some(gaps),
    })
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}
