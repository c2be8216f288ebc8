//! `idlewild bench frames`: the render loop's frame intervals while photos are decoded, four
//! scenarios side by side in one run, each drawing offscreen at the display size, paced at
//! 60 Hz, with a transition every 3 s (random effects, Ken Burns on) for `--seconds`:
//!
//! - **(a) idle**: the real render thread (`shell::render`) and the real supervisor and image
//!   worker, serving three large photos that were decoded and cached before the clock started,
//!   so the worker does no work while frames are measured.
//! - **(b) saturated**: (a) again while a second, independent image worker decodes large photos
//!   non-stop: a driver thread asks it for its next photo as soon as it answered (never reading
//!   the frame, so the UI process does no extra work), from a folder of links to the large
//!   photos that its cache cannot hold, prefetch 16. That is the production worker process with
//!   its own decode threads at their own low priority (nice 10), never short of work: "the
//!   image worker decodes large photos continuously". A second worker, rather than the shown
//!   one, keeps the shown worker's answers and timing exactly as in (a), so the load is the
//!   only difference.
//! - **(c) inline**: the design the worker isolation replaces: a stand-in loop on the same
//!   building blocks as the real one (`Show`, `Picker`, the renderer, Ken Burns, the same
//!   offscreen pacing) that decodes and scales the next large photo with `prepare_file` on the
//!   render thread itself when the show asks for it, then uploads it.
//! - **(c0) control**: the same stand-in loop with the photos decoded before the clock started,
//!   so (c0) against (a) shows how closely the stand-in matches the real loop, and (c) against
//!   (c0) what the inline decode alone costs.
//!
//! A noisy machine drifts over minutes, so each scenario runs in segments of at most 15 s, the
//! four taking turns in every round (in a rotating order), and each scenario's intervals are
//! pooled over its segments. The real loop reports its intervals through its own metrics with
//! a period shorter than a frame, so there is one record per frame and the bench sees every
//! interval the loop measured. As a cross-check that none is missing (the loop skips only
//! intervals that follow an idle frame, and Ken Burns keeps every frame moving here), the time
//! between the first and last frame less the intervals recorded must be about zero; any
//! remainder is reported. The stand-in counts every interval.

use crate::images::{Direction, ImageClient, ImageEvent, image_config};
use crate::shell::gpu::{self, Target};
use crate::shell::metrics::{MetricsSink, Summary, dropped_in};
use crate::shell::picker::Picker;
use crate::shell::render::{
    self, Command as RenderCommand, KenBurnsPaths, Notice, OutputSpec, ShowConfig,
};
use crate::shell::show::{Arrival, Show};
use crate::supervisor::{Event, Supervisor, SupervisorConfig, WorkerSpec, region_plan};
use anyhow::{Context, bail};
use idlewild_image::prepare::prepare_file;
use idlewild_protocol::WorkerKind;
use idlewild_protocol::message::image::{DisplaySpec, ImageLimits, ImageResponse, ScaleOptions};
use idlewild_protocol::shm::FrameReader;
use idlewild_renderer::{FrameState, Renderer, Slot};
use idlewild_settings::Settings;
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
/// Longest segment of one scenario, in seconds.
const SEGMENT_S: u32 = 15;
/// The same transitions, in the same order, in every segment.
const SEED: u64 = 0x1d1e_3111d;
/// Intervals this long are freezes a viewer sees; they are counted and listed.
const IDLE_GAP: Duration = Duration::from_millis(500);
/// The pacing of an offscreen output (no refresh rate: 60 Hz).
const FRAME: Duration = Duration::from_nanos(16_666_667);
/// The scenarios, in table order.
const NAMES: [&str; 4] = [
    "(a) real loop, image worker idle",
    "(b) real loop, a worker decoding non-stop",
    "(c0) stand-in loop, photos decoded beforehand",
    "(c) stand-in loop, decoding on the render thread",
];

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

/// One scenario's frame intervals, pooled over its segments.
#[derive(Default)]
struct Samples {
    intervals: Vec<Duration>,
    transitions: u64,
    watchdogs: u64,
    /// Time between the real loop's first and last frame that no recorded interval covers
    /// (expected zero: the cross-check above).
    left_out: Duration,
    /// The shown worker's CPU seconds, and the seconds they were measured over (real loop,
    /// Linux).
    worker_cpu: Option<(f64, f64)>,
}

impl Samples {
    fn add(&mut self, more: Samples) {
        self.intervals.extend(more.intervals);
        self.transitions += more.transitions;
        self.watchdogs += more.watchdogs;
        self.left_out += more.left_out;
        self.worker_cpu = match (self.worker_cpu, more.worker_cpu) {
            (Some(a), Some(b)) => Some((a.0 + b.0, a.1 + b.1)),
            (a, b) => a.or(b),
        };
    }

    fn summary(&self) -> Summary {
        Summary::of(&mut self.intervals.clone())
    }
}

/// What the saturating worker did over the (b) segments.
#[derive(Default)]
struct LoadTally {
    delivered: u64,
    cpu: Option<f64>,
    wall: Duration,
}

/// Runs every scenario and prints the table and the ratios.
pub fn run(opts: &Options) -> anyhow::Result<()> {
    let (w, h) = opts.size;
    if u64::from(w) * u64::from(h) > 3840 * 2160 {
        bail!("--size {w}x{h}: the image worker's frames hold at most 3840x2160 pixels");
    }
    let source = std::fs::canonicalize(&opts.source)
        .with_context(|| format!("--source {}", opts.source.display()))?;
    let all = super::images::photos(&source)?;
    let large = large_photos(&all, opts.size);
    if large.len() < SHOWN {
        bail!(
            "{} usable photos in {}, at least {SHOWN} needed (install Debian's \
             mate-backgrounds, or pass --source DIR)",
            large.len(),
            source.display()
        );
    }
    let rounds = opts.seconds.div_ceil(SEGMENT_S);
    let segment = Duration::from_secs(u64::from(opts.seconds)) / rounds;
    let profile = if cfg!(debug_assertions) {
        "debug (dependencies and worker crates at opt-level 2)"
    } else {
        "release"
    };
    println!(
        "idlewild bench frames — build: {profile}; {w}x{h} offscreen at 60 Hz, a {TRANSITION_MS} \
         ms transition every {INTERVAL_S} s (random effects, the same sequence in every \
         segment, Ken Burns on); {} s per scenario in {rounds} round{} of {:.1} s, the \
         scenarios taking turns",
        opts.seconds,
        if rounds == 1 { "" } else { "s" },
        segment.as_secs_f64()
    );
    print_adapter()?;
    print_photos(&large, all.len(), &source, opts.size);
    let shown_dir = tempfile::tempdir()?;
    for (i, p) in large.iter().take(SHOWN).enumerate() {
        link(&p.path, &shown_dir.path().join(link_name(i, &p.path)))?;
    }
    let settings = settings(shown_dir.path());
    let shown: Vec<Vec<u8>> = large
        .iter()
        .take(SHOWN)
        .map(|p| prepare(&p.path, opts.size))
        .collect::<Result<_, _>>()?;
    let mut control = Feed::new(Source::Ready(shown));
    let mut inline = Feed::new(Source::Decode(
        large.iter().map(|p| p.path.clone()).collect(),
    ));
    let mut samples: [Samples; 4] = Default::default();
    let mut load = LoadTally::default();
    for round in 0..rounds {
        for turn in 0..4 {
            let which = (round as usize + turn) % 4;
            let got = match which {
                0 => real_loop(opts, &settings, segment)?,
                1 => saturated(opts, &settings, segment, &large, &mut load)?,
                2 => stand_in(opts, &settings, segment, &mut control)?,
                _ => stand_in(opts, &settings, segment, &mut inline)?,
            };
            samples[which].add(got);
        }
        eprintln!("bench frames: round {} of {rounds} done", round + 1);
    }
    print_table(&samples, &load, &inline.times);
    Ok(())
}

fn print_photos(large: &[Photo], found: usize, source: &Path, size: (u32, u32)) {
    let mut times: Vec<f64> = large.iter().map(|p| p.prepare_ms).collect();
    times.sort_by(f64::total_cmp);
    let dims =
        |p: Option<&Photo>| p.map_or(String::new(), |p| format!("{}x{}", p.source.0, p.source.1));
    let which = if large.iter().all(|p| pixels_of(p) >= LARGE_PIXELS) {
        "≥ 4 MP"
    } else {
        "the largest found"
    };
    println!(
        "photos: {} large of {found} in {} ({which}, {} to {}); prepare_file to {}x{} on one \
         thread: median {:.0} ms, max {:.0} ms",
        large.len(),
        source.display(),
        dims(large.last()),
        dims(large.first()),
        size.0,
        size.1,
        median(&times),
        times.last().copied().unwrap_or(0.0),
    );
}

fn print_table(samples: &[Samples; 4], load: &LoadTally, decode_ms: &[f64]) {
    println!();
    println!(
        "  {:<48} {:>6} {:>7} {:>8} {:>8} {:>8} {:>5}",
        "scenario", "frames", "dropped", "p50 ms", "p99 ms", "max ms", "trans"
    );
    let summaries: Vec<Summary> = samples.iter().map(Samples::summary).collect();
    for ((name, s), summary) in NAMES.iter().zip(samples).zip(&summaries) {
        let frames = s.intervals.len() as u64;
        let dropped: u64 = s.intervals.iter().map(|&i| dropped_in(i, FRAME)).sum();
        let gaps = s.intervals.iter().filter(|&&i| i >= IDLE_GAP).count();
        let mut notes = String::new();
        if gaps > 0 {
            let noun = if gaps == 1 { "interval" } else { "intervals" };
            notes += &format!("  ({gaps} {noun} ≥ 500 ms)");
        }
        if s.left_out > Duration::ZERO {
            notes += &format!(
                "  ({:.1} s not covered by the loop's recorded intervals)",
                s.left_out.as_secs_f64()
            );
        }
        if s.watchdogs > 0 {
            notes += &format!("  ({} ended by the watchdog)", s.watchdogs);
        }
        println!(
            "  {name:<48} {frames:>6} {dropped:>7} {:>8.2} {:>8.2} {:>8.2} {:>5}{notes}",
            summary.p50_ms, summary.p99_ms, summary.max_ms, s.transitions
        );
    }
    println!();
    let share = |s: &Samples| match s.worker_cpu {
        Some((cpu, wall)) => format!("{:.0}%", cpu / wall.max(1e-9) * 100.0),
        None => "n/a".to_owned(),
    };
    println!(
        "  the shown worker's CPU while measured: (a) {}, (b) {} of a core",
        share(&samples[0]),
        share(&samples[1])
    );
    let wall = load.wall.as_secs_f64().max(1e-9);
    println!(
        "  (b) load: {} large photos decoded in {wall:.0} s ({:.1}/s) by the second worker; its \
         CPU {} of a core (its decode threads run at nice 10)",
        load.delivered,
        load.delivered as f64 / wall,
        load.cpu
            .map_or("n/a".to_owned(), |c| format!("{:.0}%", c / wall * 100.0)),
    );
    println!(
        "  (c) decodes on the render thread: {} photos, {:.0} ms median, {:.0} ms max each",
        decode_ms.len(),
        median(decode_ms),
        decode_ms.iter().copied().fold(0.0, f64::max)
    );
    let [a, b, c0, c] = [0, 1, 2, 3].map(|i| summaries[i]);
    let ratio = |x: f64, y: f64| if y > 0.0 { x / y } else { f64::NAN };
    let p99_ba = ratio(b.p99_ms, a.p99_ms);
    println!(
        "  p99(b)/p99(a) = {p99_ba:.3} (target ≤ 1.25: {})",
        if p99_ba <= 1.25 { "met" } else { "MISSED" }
    );
    println!(
        "  p99(c)/p99(a) = {:.2}, max(c)/max(a) = {:.2} (what isolation buys); \
         p99(c)/p99(c0) = {:.2}, max(c)/max(c0) = {:.2}",
        ratio(c.p99_ms, a.p99_ms),
        ratio(c.max_ms, a.max_ms),
        ratio(c.p99_ms, c0.p99_ms),
        ratio(c.max_ms, c0.max_ms),
    );
    println!(
        "  p99(c0)/p99(a) = {:.2} (the stand-in loop against the real one, neither decoding)",
        ratio(c0.p99_ms, a.p99_ms)
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
            let prepared = prepare_default(path, size, &mut buf).ok()?;
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

/// The worker's path for one photo with the default scaling and limits, into `out`.
fn prepare_default(
    path: &Path,
    size: (u32, u32),
    out: &mut Vec<u8>,
) -> Result<idlewild_image::prepare::Prepared, idlewild_image::ImageError> {
    let (scale, limits) = (ScaleOptions::default(), ImageLimits::default());
    prepare_file(path, size, &scale, &limits, None, out)
}

fn prepare(path: &Path, size: (u32, u32)) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    prepare_default(path, size, &mut out)
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

/// The show's configuration exactly as the shell makes it from settings, with a fixed seed so
/// every segment shows the same transitions.
fn show_config(s: &Settings) -> ShowConfig {
    ShowConfig {
        seed: SEED,
        ..crate::shell::show_config(s)
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

/// Asks for the next photo and waits for it (set-up only, never while frames are measured).
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

/// One segment of (a): the real render thread over the real supervisor and image worker.
fn real_loop(opts: &Options, settings: &Settings, segment: Duration) -> anyhow::Result<Samples> {
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
    // worker has nothing to decode while frames are measured.
    images.attach(&supervisor, frames)?;
    for _ in 0..SHOWN {
        next_photo(&mut images, &supervisor)?;
    }
    let out = tempfile::tempdir()?;
    let path = out.path().join("metrics.jsonl");
    let (sink, writer) = MetricsSink::open(&path)?;
    let (notice_tx, notices) = crossbeam_channel::unbounded();
    let output = OutputSpec {
        display: 0,
        target: Target::Offscreen,
        size: opts.size,
        refresh_mhz: None,
    };
    // A metrics period shorter than a frame: one record per frame, holding its interval.
    let config = ShowConfig {
        metrics_period: Duration::from_millis(1),
        ..show_config(settings)
    };
    let (tx, thread) = render::spawn(
        instance(),
        vec![output],
        config,
        images,
        Arc::clone(&supervisor),
        Some(sink),
        Box::new(move |n| {
            let _ = notice_tx.send(n);
        }),
    )?;
    let cpu = measure(&notices, segment, pid);
    let _ = tx.send(RenderCommand::Quit);
    let joined = thread.join();
    let _ = writer.join();
    drop(supervisor);
    if joined.is_err() {
        bail!("the render thread panicked");
    }
    let mut samples = Samples {
        worker_cpu: cpu?,
        ..Samples::default()
    };
    // From the start of the first interval counted to the last frame, less the intervals: what
    // the loop did not record (the wait for the first photo comes before and does not count).
    let mut span: Option<(f64, f64)> = None;
    for record in read_records(&path) {
        if record["lost_records"].as_u64().unwrap_or(0) > 0 {
            bail!("the metrics writer fell behind: records were lost");
        }
        match record["kind"].as_str() {
            Some("periodic") => match record["interval"]["count"].as_u64() {
                Some(0) => {}
                Some(1) => {
                    let interval = record["interval"]["max_ms"].as_f64().unwrap_or(0.0) / 1e3;
                    let t = record["t_s"].as_f64().unwrap_or(0.0);
                    span = Some((span.map_or(t - interval, |(first, _)| first), t));
                    samples.intervals.push(Duration::from_secs_f64(interval));
                }
                other => bail!("a metrics record of {other:?} frames; one per record expected"),
            },
            Some("transition") => {
                samples.transitions += 1;
                samples.watchdogs += u64::from(record["watchdog"] == true);
            }
            _ => {}
        }
    }
    let counted: Duration = samples.intervals.iter().sum();
    let spanned = span.map_or(0.0, |(first, last)| last - first);
    // Record times are taken a moment after each frame, so small remainders are noise.
    if spanned - counted.as_secs_f64() > 0.25 {
        samples.left_out = Duration::from_secs_f64(spanned) - counted;
    }
    Ok(samples)
}

/// Waits for the first frame, then for `segment`; the CPU seconds process `pid` used meanwhile,
/// and that time in seconds.
fn measure(
    notices: &crossbeam_channel::Receiver<Notice>,
    segment: Duration,
    pid: u32,
) -> anyhow::Result<Option<(f64, f64)>> {
    let mut end = None;
    let give_up = Instant::now() + Duration::from_secs(30);
    let mut cpu_before = None;
    loop {
        match notices.recv_deadline(end.unwrap_or(give_up)) {
            Ok(Notice::FirstFrame { .. }) => {
                end = Some(Instant::now() + segment);
                cpu_before = cpu_seconds(pid);
            }
            Ok(Notice::Fatal(message)) => bail!("the render thread gave up: {message}"),
            Err(_) if end.is_none() => bail!("no frame within 30 s"),
            Err(_) => break,
        }
    }
    let cpu = cpu_before.zip(cpu_seconds(pid));
    Ok(cpu.map(|(x, y)| (y - x, segment.as_secs_f64())))
}

/// The metrics file's records (a line being written is skipped).
fn read_records(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// One segment of (b): (a) while a second image worker decodes large photos non-stop.
fn saturated(
    opts: &Options,
    settings: &Settings,
    segment: Duration,
    large: &[Photo],
    tally: &mut LoadTally,
) -> anyhow::Result<Samples> {
    let load = Load::start(large, opts.size)?;
    let before = load.sample();
    let shown = real_loop(opts, settings, segment);
    let after = load.sample();
    if let Some(why) = load.stop() {
        bail!("the saturating worker failed: {why}");
    }
    tally.delivered += after.0 - before.0;
    tally.wall += after.2 - before.2;
    tally.cpu = match (before.1, after.1) {
        (Some(x), Some(y)) => Some(tally.cpu.unwrap_or(0.0) + y - x),
        _ => None,
    };
    shown
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
enum Source {
    /// Frames prepared before the clock started (c0).
    Ready(Vec<Vec<u8>>),
    /// Photos decoded and scaled on the render thread when the show asks for one (c).
    Decode(Vec<PathBuf>),
}

/// A source and whose turn is next, kept across segments so every photo takes its turn.
struct Feed {
    source: Source,
    next: usize,
    buf: Vec<u8>,
    /// Milliseconds each decode on the render thread took.
    times: Vec<f64>,
}

impl Feed {
    fn new(source: Source) -> Self {
        Self {
            source,
            next: 0,
            buf: Vec::new(),
            times: Vec::new(),
        }
    }

    /// The next photo's frame, decoded here and now for [`Source::Decode`].
    fn next_frame(&mut self, size: (u32, u32)) -> anyhow::Result<&[u8]> {
        let turn = self.next;
        self.next += 1;
        match &self.source {
            Source::Ready(frames) => Ok(&frames[turn % frames.len()]),
            Source::Decode(paths) => {
                let path = &paths[turn % paths.len()];
                let t = Instant::now();
                prepare_file(
                    path,
                    size,
                    &ScaleOptions::default(),
                    &ImageLimits::default(),
                    None,
                    &mut self.buf,
                )
                .with_context(|| format!("cannot prepare {}", path.display()))?;
                self.times.push(t.elapsed().as_secs_f64() * 1e3);
                Ok(&self.buf)
            }
        }
    }
}

/// One segment of (c0) or (c): the render loop's per-frame steps for one offscreen output (as
/// in `shell::render`: requests, upload, `Show::tick`, Ken Burns views, draw with at most one
/// frame in flight, 60 Hz pacing), with each photo taken from `feed` on this thread instead of
/// from a worker. Measured from the first frame for `segment`.
fn stand_in(
    opts: &Options,
    settings: &Settings,
    segment: Duration,
    feed: &mut Feed,
) -> anyhow::Result<Samples> {
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
    let config = show_config(settings);
    let mut show = Show::new(config.timing);
    let mut picker = Picker::new(config.random, config.fixed, &config.pool, config.seed);
    let mut samples = Samples::default();
    let mut paths = KenBurnsPaths::default();
    let mut state = FrameState::default();
    let mut in_flight: Option<wgpu::SubmissionIndex> = None;
    let mut first: Option<Instant> = None;
    let mut last_present: Option<Instant> = None;
    let give_up = Instant::now() + Duration::from_secs(30);
    let mut next_frame = Instant::now();
    loop {
        match first {
            Some(t) if t.elapsed() >= segment => break,
            None if Instant::now() >= give_up => bail!("no frame within 30 s"),
            _ => {}
        }
        for _ in show.requests(Instant::now()) {
            let frame = feed.next_frame(opts.size)?;
            if show.frame_arrived() == Arrival::Upload {
                renderer.set_image(&gpu.queue, Slot::Next, frame, opts.size.0, opts.size.1)?;
                show.uploaded();
            }
        }
        let now = Instant::now();
        let tick = show.tick(now, &mut || config.pick(&mut picker));
        if tick.promote {
            renderer.promote_next();
        }
        paths.follow(&tick, now);
        if tick.finished.is_some() && first.is_some() {
            samples.transitions += 1;
            samples.watchdogs += u64::from(tick.watchdog);
        }
        let (frame_state, animating) = config.frame_state(&tick, &paths, show.has_photo(), now);
        let draw = tick.promote || tick.running.is_some() || frame_state != state;
        if draw && show.has_photo() {
            state = frame_state;
            renderer.update(&state);
            let mut encoder = gpu
                .device
                .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                    label: Some("bench frames frame"),
                });
            // Like the real loop's offscreen output: the previous frame finishes first.
            if let Some(index) = in_flight.take() {
                let _ = gpu.device.poll(wgpu::PollType::Wait {
                    submission_index: Some(index),
                    timeout: Some(Duration::from_secs(1)),
                });
            }
            renderer.render(&mut encoder, &view);
            in_flight = Some(gpu.queue.submit([encoder.finish()]));
            if let Some(last) = last_present {
                samples.intervals.push(now.saturating_duration_since(last));
            }
            last_present = Some(now);
            first.get_or_insert(now);
        }
        next_frame = if animating {
            (next_frame + FRAME).max(now)
        } else {
            now + FRAME
        };
        std::thread::sleep(next_frame.saturating_duration_since(Instant::now()));
    }
    Ok(samples)
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}
