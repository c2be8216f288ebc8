//! Scenario (a): one segment of the real render thread (`shell::render`) over the real
//! supervisor and image worker, its frame intervals read back from its own metrics file.

use super::worker::{cpu_seconds, next_photo, started};
use super::{Options, SHOWN, Samples, instance, show_config};
use crate::images::{ImageClient, image_config};
use crate::shell::gpu::Target;
use crate::shell::metrics::MetricsSink;
use crate::shell::render::{self, Command as RenderCommand, Notice, OutputSpec, ShowConfig, Watch};
use crate::supervisor::{Supervisor, SupervisorConfig};
use anyhow::bail;
use idlewild_protocol::message::image::DisplaySpec;
use idlewild_settings::Settings;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One segment of (a): the real render thread over the real supervisor and image worker.
pub(super) fn real_loop(
    opts: &Options,
    settings: &Settings,
    segment: Duration,
) -> anyhow::Result<Samples> {
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
    let parts = render::Parts {
        instance: instance(),
        outputs: vec![output],
        config,
        images,
        visual: None,
        supervisor: Arc::clone(&supervisor),
        metrics: Some(sink),
        notify: Box::new(move |n| {
            let _ = notice_tx.send(n);
        }),
    };
    let (tx, thread) = render::spawn(parts, Watch::default())?;
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
