//! Scenario (b)'s load: a second, independent image worker that decodes large photos
//! non-stop while the real loop runs, the thread that keeps asking it for photos, and the
//! tally of what it did.

use super::photos::{Photo, link, link_name};
use super::real::real_loop;
use super::worker::{cpu_seconds, next_photo, started};
use super::{LOAD_LINKS, Options, Samples, settings};
use crate::images::{Direction, ImageClient, ImageEvent, image_config};
use crate::supervisor::{Supervisor, SupervisorConfig, WorkerSpec, region_plan};
use anyhow::bail;
use idlewild_protocol::WorkerKind;
use idlewild_protocol::message::image::{DisplaySpec, ImageResponse};
use idlewild_settings::Settings;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// What the saturating worker did over the (b) segments.
#[derive(Default)]
pub(super) struct LoadTally {
    pub(super) delivered: u64,
    pub(super) cpu: Option<f64>,
    pub(super) wall: Duration,
}

/// One segment of (b): (a) while a second image worker decodes large photos non-stop.
pub(super) fn saturated(
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
