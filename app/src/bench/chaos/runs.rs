//! The two runs of `bench chaos` (calm, then chaos) and their report.

use super::{Chaos, Options, SETTINGS, STEP, workers_of};
use crate::images::{ImageClient, image_config};
use crate::shell::gpu::Target;
use crate::shell::metrics::{MetricsSink, Summary};
use crate::shell::render::{self, Command as RenderCommand, Notice, OutputSpec, ShowConfig, Watch};
use crate::supervisor::{Supervisor, SupervisorConfig};
use crate::visualizer::VisualizerClient;
use anyhow::{Context, bail};
use idlewild_protocol::WorkerKind;
use idlewild_protocol::message::image::DisplaySpec;
use idlewild_settings::Settings;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// The offscreen display's size: large enough to be a real upload, small enough for lavapipe.
const SIZE: (u32, u32) = (1280, 720);
/// Photos in the generated library (distinct gradients).
const PHOTOS: u32 = 3;

/// What one run measured.
#[derive(Default)]
struct Run {
    intervals: Vec<Duration>,
    kills: u64,
    stops: u64,
    starts: [u64; 2],
    transitions: u64,
}

/// Runs the benchmark and prints its report.
pub(super) fn run(opts: &Options) -> anyhow::Result<()> {
    if !(opts.seconds > 0.0 && opts.seconds.is_finite()) {
        bail!("--seconds must be a positive number");
    }
    let dir = tempfile::tempdir()?;
    let photos = dir.path().join("photos");
    std::fs::create_dir(&photos)?;
    for i in 0..PHOTOS {
        write_photo(&photos.join(format!("photo{i}.png")), i)?;
    }
    let audio = dir.path().join("noise.wav");
    write_noise(&audio)?;
    let settings = settings(&photos)?;
    let segment = Duration::from_secs_f64(opts.seconds);
    println!(
        "idlewild bench chaos — build: {}; the real render thread offscreen at {}x{}, image and \
         fft workers (a WAV playing), Ken Burns on; {:.0} s calm, then {:.0} s with a SIGKILL or \
         SIGSTOP of a random worker every {} ms (seed {})",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        SIZE.0,
        SIZE.1,
        opts.seconds,
        opts.seconds,
        STEP.as_millis(),
        opts.seed
    );
    let calm = one_run(&settings, &audio, dir.path(), segment, None)?;
    eprintln!("bench chaos: calm run done");
    let chaos = one_run(&settings, &audio, dir.path(), segment, Some(opts.seed))?;
    print_table(&calm, &chaos);
    Ok(())
}

/// The benchmark's settings: defaults, a transition every 3 s, the generated photos, the
/// visualizer on, and the chaos settings (raised cap, short backoff) for both runs.
fn settings(photos: &Path) -> anyhow::Result<Settings> {
    let mut s = Settings::default();
    s.display.interval_s = 3;
    s.display.ken_burns = true;
    s.visualizer.enabled = true;
    s.sources.folders = vec![photos.to_path_buf()];
    for (key, value) in SETTINGS {
        let n: u32 = value.parse()?;
        match key {
            "workers.restart_cap" => s.workers.restart_cap = n,
            "workers.restart_window_s" => s.workers.restart_window_s = n,
            "workers.backoff_initial_ms" => s.workers.backoff_initial_ms = n,
            "workers.backoff_max_ms" => s.workers.backoff_max_ms = n,
            other => bail!("bench chaos does not know the setting {other}"),
        }
    }
    Ok(s)
}

/// One run: the render thread and its workers for `segment` after the first frame, with the
/// chaos schedule of `seed` (or calm).
fn one_run(
    settings: &Settings,
    audio: &Path,
    dir: &Path,
    segment: Duration,
    seed: Option<u64>,
) -> anyhow::Result<Run> {
    let (config, unavailable) = SupervisorConfig::from_settings(settings, std::env::current_exe()?);
    if !unavailable.is_empty() {
        bail!("workers missing from this build: {unavailable:?}");
    }
    let supervisor = Arc::new(Supervisor::start(config)?);
    let state = tempfile::tempdir_in(dir)?;
    let display = DisplaySpec {
        id: 0,
        width: SIZE.0,
        height: SIZE.1,
    };
    let images = ImageClient::new(image_config(settings, &[display], &[], state.path()));
    let audio = PathBuf::from(audio);
    let visual = VisualizerClient::from_settings(settings, Some(&audio));
    let path = dir.join(if seed.is_some() {
        "chaos.jsonl"
    } else {
        "calm.jsonl"
    });
    let (sink, writer) = MetricsSink::open(&path)?;
    let (notice_tx, notices) = crossbeam_channel::unbounded();
    let output = OutputSpec {
        display: 0,
        target: Target::Offscreen,
        size: SIZE,
        refresh_mhz: None,
    };
    // A metrics period shorter than a frame: one record per frame, holding its interval.
    let config = ShowConfig {
        metrics_period: Duration::from_millis(1),
        seed: 1,
        ..crate::shell::show_config(settings)
    };
    let parts = render::Parts {
        instance: wgpu::Instance::new(
            wgpu::InstanceDescriptor::new_without_display_handle_from_env(),
        ),
        outputs: vec![output],
        config,
        images,
        visual,
        supervisor: Arc::clone(&supervisor),
        metrics: Some(sink),
        notify: Box::new(move |n| {
            let _ = notice_tx.send(n);
        }),
    };
    let (tx, thread) = render::spawn(parts, Watch::default())?;
    let mut run = Run::default();
    let waited = wait_first_frame(&notices);
    if waited.is_ok() {
        let end = Instant::now() + segment;
        let mut chaos = seed.map(Chaos::new);
        let mut next = Instant::now();
        while Instant::now() < end {
            if let Some(chaos) = chaos.as_mut() {
                let live = workers_of(std::process::id(), &["image", "fft"]);
                chaos.step(Instant::now(), &live);
            }
            next += STEP;
            std::thread::sleep(next.saturating_duration_since(Instant::now()));
        }
        if let Some(mut chaos) = chaos {
            chaos.resume_all();
            (run.kills, run.stops) = (chaos.kills, chaos.stops);
        }
    }
    let _ = tx.send(RenderCommand::Quit);
    let joined = thread.join();
    let _ = writer.join();
    for (i, kind) in [WorkerKind::Image, WorkerKind::Fft].into_iter().enumerate() {
        run.starts[i] = supervisor
            .kind(kind)
            .map_or(0, |k| k.counters.starts.load(Ordering::Relaxed));
    }
    drop(supervisor);
    waited?;
    if joined.is_err() {
        bail!("the render thread panicked");
    }
    for record in read_records(&path) {
        match record["kind"].as_str() {
            Some("periodic") => match record["interval"]["count"].as_u64() {
                Some(0) | None => {}
                Some(1) => {
                    let ms = record["interval"]["max_ms"].as_f64().unwrap_or(0.0);
                    run.intervals.push(Duration::from_secs_f64(ms / 1e3));
                }
                Some(n) => bail!("a metrics record of {n} frames; one per record expected"),
            },
            Some("transition") => run.transitions += 1,
            _ => {}
        }
    }
    Ok(run)
}

fn wait_first_frame(notices: &crossbeam_channel::Receiver<Notice>) -> anyhow::Result<()> {
    match notices.recv_timeout(Duration::from_secs(60)) {
        Ok(Notice::FirstFrame { .. }) => Ok(()),
        Ok(Notice::Fatal(fatal)) => bail!("the render thread gave up: {fatal}"),
        Err(_) => bail!("no frame within 60 s"),
    }
}

/// The metrics file's records (a line being written is skipped).
fn read_records(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn print_table(calm: &Run, chaos: &Run) {
    println!();
    println!(
        "  {:<8} {:>7} {:>8} {:>8} {:>8} {:>6} {:>6} {:>6} {:>15}",
        "run", "frames", "p50 ms", "p99 ms", "max ms", "trans", "kills", "stops", "starts img/fft"
    );
    let mut summaries = Vec::new();
    for (name, run) in [("calm", calm), ("chaos", chaos)] {
        let s = Summary::of(&mut run.intervals.clone());
        println!(
            "  {name:<8} {:>7} {:>8.2} {:>8.2} {:>8.2} {:>6} {:>6} {:>6} {:>15}",
            s.count,
            s.p50_ms,
            s.p99_ms,
            s.max_ms,
            run.transitions,
            run.kills,
            run.stops,
            format!("{}/{}", run.starts[0], run.starts[1]),
        );
        summaries.push(s);
    }
    let ratio = |x: f64, y: f64| if y > 0.0 { x / y } else { f64::NAN };
    println!();
    println!(
        "  chaos/calm: p50 {:.3}, p99 {:.3}, max {:.3}",
        ratio(summaries[1].p50_ms, summaries[0].p50_ms),
        ratio(summaries[1].p99_ms, summaries[0].p99_ms),
        ratio(summaries[1].max_ms, summaries[0].max_ms),
    );
}

/// A `SIZE` PNG gradient, a different hue per `i`, so consecutive photos differ.
fn write_photo(path: &Path, i: u32) -> anyhow::Result<()> {
    let (w, h) = SIZE;
    let mut rgb = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        for x in 0..w {
            let (a, b) = ((x * 255 / w) as u8, (y * 255 / h) as u8);
            let px = match i % 3 {
                0 => [a, b, 128],
                1 => [128, a, b],
                _ => [b, 128, a],
            };
            rgb.extend_from_slice(&px);
        }
    }
    let file = std::fs::File::create(path).with_context(|| format!("{}", path.display()))?;
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), w, h);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&rgb)?;
    writer.finish()?;
    Ok(())
}

/// Ten seconds of white noise at half scale (the fft worker loops it): every bar moves.
fn write_noise(path: &Path) -> anyhow::Result<()> {
    let mut rng = fastrand::Rng::with_seed(3);
    let samples = (0..48_000 * 10).map(|_| rng.f32() - 0.5);
    idlewild_fft::wav::write_mono16(path, 48_000, samples)?;
    Ok(())
}
