//! `idlewild supervise`: the worker supervisor without a screen. Used for diagnostics and as the
//! UI-side parent process in end-to-end tests; prints one line per lifecycle event on stdout.
//! When the image worker runs, it also walks the photo library as a 1920×1080 display would,
//! one photo per `display.interval_s`, and prints a line per photo (or why there is none). When
//! the fft worker runs, it is configured from `[visualizer]` and read like the render loop reads
//! it, and each status line says what it hears (a quick check that loopback capture works).

use crate::images::{Direction, ImageClient, ImageEvent, default_state_dir, image_config};
use crate::supervisor::{Event, Supervisor, SupervisorConfig};
use crate::visualizer::VisualizerClient;
use idlewild_protocol::WorkerKind;
use idlewild_protocol::message::image::{DisplaySpec, ImageResponse};
use idlewild_settings::SettingsStore;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The directory for log files: the platform state directory (Linux), else local data.
pub fn log_dir() -> Option<PathBuf> {
    let dirs = directories::ProjectDirs::from("org", "Idlewild", "idlewild")?;
    Some(
        dirs.state_dir()
            .unwrap_or_else(|| dirs.data_local_dir())
            .join("logs"),
    )
}

/// Starts the UI process's logging as the settings say (rotating file + stderr) and the panic
/// hook. Keep the guard alive for the whole run; dropping it waits at most
/// [`idlewild_telemetry::EXIT_FLUSH`] for queued lines.
///
/// Nothing here touches the log file: it is created, opened and rotated on the file's logging
/// thread, so an unwritable directory, a FIFO with no reader or a full disk never delays the
/// start (the thread reports the problem once on stderr and the run logs to stderr only).
pub fn start_logging(
    s: &idlewild_settings::Settings,
) -> anyhow::Result<idlewild_telemetry::LogGuard> {
    let file = log_dir().map(|dir| idlewild_telemetry::FileSink {
        dir,
        stem: "idlewild".into(),
        max_bytes: u64::from(s.logging.max_file_mb) << 20,
        keep: s.logging.keep_files as usize,
    });
    let config = idlewild_telemetry::LogConfig {
        level: s.logging.level.as_str().into(),
        file,
        stderr: true,
        ansi: false,
    };
    let guard = idlewild_telemetry::init(&config)?;
    idlewild_telemetry::install_panic_hook("ui");
    if let Some(path) = guard.log_file() {
        // Queued like any line: if the file cannot be opened, the report follows on stderr.
        tracing::info!("logging to {}", path.display());
    }
    Ok(guard)
}

/// Runs the supervisor over the settings' workers for `run_for` (or until killed).
/// `sources` (from `--source`) replaces the configured photo folders when not empty.
pub fn run(
    settings: Option<PathBuf>,
    run_for: Option<Duration>,
    status_every: Duration,
    sources: &[PathBuf],
) -> anyhow::Result<()> {
    let store = match settings {
        Some(p) => SettingsStore::new(p),
        None => SettingsStore::at_default_location()?,
    };
    let loaded = store.load();
    let s = &loaded.settings;
    let _guard = start_logging(s)?;
    // Loading ran before the logging it configures: say now, once, what it repaired or ignored.
    for note in loaded.report.notes() {
        tracing::warn!(file = %store.path().display(), "settings: {note}");
    }
    let exe = std::env::current_exe()?;
    let (config, unavailable) = SupervisorConfig::from_settings(s, exe);
    for kind in unavailable {
        println!("unavailable {kind} (this build has no {kind} worker yet)");
    }
    let supervisor = Supervisor::start(config)?;
    let started = Instant::now();
    let mut next_status = started + status_every;
    let mut readers = Vec::new();
    let display = DisplaySpec {
        id: 0,
        width: 1920,
        height: 1080,
    };
    let state_dir = default_state_dir().unwrap_or_else(std::env::temp_dir);
    let mut images = ImageClient::new(image_config(s, &[display], sources, &state_dir));
    let interval = Duration::from_secs(u64::from(s.display.interval_s));
    let mut visual = VisualizerClient::from_settings(s, None);
    let mut next_photo = Instant::now();
    loop {
        if run_for.is_some_and(|d| started.elapsed() >= d) {
            break;
        }
        if let Some(event) = supervisor.wait_event(Duration::from_millis(100)) {
            print_event(&event);
            match event {
                Event::Started {
                    kind: WorkerKind::Image,
                    readers: r,
                    ..
                } => {
                    if let Err(e) = images.attach(&supervisor, r.frames) {
                        println!("images: cannot configure the worker: {e}");
                    }
                }
                Event::Started {
                    kind: WorkerKind::Fft,
                    readers: r,
                    epoch,
                    ..
                } if visual.is_some() => {
                    if let Some(v) = visual.as_mut() {
                        v.attach(&supervisor, r.stream, epoch);
                    }
                }
                Event::Exited {
                    kind: WorkerKind::Fft,
                    ..
                } => {
                    if let Some(v) = visual.as_mut() {
                        v.detach();
                    }
                }
                Event::Started {
                    kind, readers: r, ..
                } => {
                    // Hold the newest readers of each kind, as the renderer will.
                    readers.retain(|(k, _)| *k != kind);
                    readers.push((kind, r));
                }
                Event::Exited {
                    kind: WorkerKind::Image,
                    ..
                } => images.detach(),
                _ => {}
            }
        }
        for (kind, _) in &readers {
            while supervisor.poll(*kind).is_some() {}
        }
        if supervisor.kind(WorkerKind::Image).is_some() {
            if Instant::now() >= next_photo && !images.busy() {
                next_photo = Instant::now() + interval;
                let _ = images.request(&supervisor, display.id, Direction::Next);
            }
            for event in images.poll(&supervisor) {
                print_image_event(&event);
                if let ImageEvent::Frame(_) = event {
                    // Nothing is drawn here: the frame is not read.
                    images.release(&supervisor);
                }
            }
        }
        if let Some(v) = visual.as_mut() {
            v.answers(&supervisor);
            v.sample(Instant::now());
        }
        if Instant::now() >= next_status {
            next_status += status_every;
            if let Some(v) = visual.as_mut() {
                let (stats, bars, fade) = v.take_stats();
                let peak = bars
                    .iter()
                    .enumerate()
                    .max_by(|a, b| a.1.total_cmp(b.1))
                    .map_or("none".to_owned(), |(i, l)| format!("{i} at {l:.2}"));
                println!(
                    "status fft epoch={} ticks={} drops={} fade={fade:.2} peak_bar={peak} \
                     source={:?}",
                    stats.epoch, stats.ticks, stats.drops, stats.source
                );
            }
            for (kind, _) in &readers {
                if let Some(shared) = supervisor.kind(*kind) {
                    let m = shared.mailbox.stats();
                    println!(
                        "status {kind} epoch={} mailbox_dropped={}",
                        shared.epoch(),
                        m.dropped
                    );
                }
            }
        }
    }
    drop(readers);
    supervisor.shutdown();
    println!("stopped");
    Ok(())
}

fn print_image_event(event: &ImageEvent) {
    match event {
        ImageEvent::Frame(info) => println!(
            "photo {}/{} {} ({}x{}{}) -> {}x{}",
            info.position.0,
            info.position.1,
            info.source,
            info.source_width,
            info.source_height,
            info.taken
                .as_deref()
                .map(|t| format!(", taken {t}"))
                .unwrap_or_default(),
            info.width,
            info.height
        ),
        ImageEvent::Worker(ImageResponse::NoImages { message, .. }) => {
            println!("no photos: {message}")
        }
        ImageEvent::Worker(ImageResponse::Skipped { source, reason }) => {
            println!("skipped {source}: {reason}")
        }
        ImageEvent::Worker(ImageResponse::Scan { found, done: true }) => {
            println!("scan finished: {found} photos")
        }
        ImageEvent::Failed { message, .. } => {
            println!("images: the worker refused a request: {message}")
        }
        ImageEvent::Worker(_) => {}
    }
}

fn print_event(event: &Event) {
    match event {
        Event::Started {
            kind,
            epoch,
            pid,
            capabilities,
            ..
        } => {
            println!(
                "started {kind} pid={pid} epoch={epoch} capabilities={:#x}",
                capabilities.0
            )
        }
        Event::Exited {
            kind,
            epoch,
            pid,
            reason,
            restart_in,
        } => {
            println!(
                "exited {kind} pid={pid} epoch={epoch} reason={reason:?} restart_in={restart_in:?}"
            )
        }
        Event::Failed {
            kind,
            restarts,
            retry_in,
        } => println!(
            "failed {kind} restarts={restarts} retry_in_s={}",
            retry_in.as_secs()
        ),
    }
}
