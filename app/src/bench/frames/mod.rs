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
//!
//! This file holds the options, the scenario order and the report; the scenarios themselves
//! live beside it: `real` (the real loop, scenario (a)), `load` (the second, saturating worker
//! of (b)), `standin` (the stand-in loop of (c0) and (c)), with `photos` (the photos and their
//! links) and `worker` (waiting on an image worker, reading its CPU time) shared among them.

mod load;
mod photos;
mod real;
mod standin;
mod worker;

use crate::shell::gpu;
use crate::shell::metrics::{Summary, dropped_in};
use crate::shell::render::ShowConfig;
use anyhow::{Context, bail};
use idlewild_settings::Settings;
use load::{LoadTally, saturated};
use photos::{Photo, large_photos, link, link_name, pixels_of, prepare};
use real::real_loop;
use standin::{Feed, Source, stand_in};
use std::path::{Path, PathBuf};
use std::time::Duration;

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

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}
