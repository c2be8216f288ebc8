//! Scenarios (c0) and (c): the stand-in render loop on the real loop's building blocks, with
//! each photo taken on the render thread itself, either prepared beforehand or decoded and
//! scaled there and then.

use super::{FRAME, Options, Samples, instance, show_config};
use crate::shell::gpu;
use crate::shell::picker::Picker;
use crate::shell::render::KenBurnsPaths;
use crate::shell::show::{Arrival, Show};
use anyhow::{Context, bail};
use idlewild_image::prepare::prepare_file;
use idlewild_protocol::message::image::{ImageLimits, ScaleOptions};
use idlewild_renderer::{FrameState, Renderer, Slot};
use idlewild_settings::Settings;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Where the stand-in loop's photos come from.
pub(super) enum Source {
    /// Frames prepared before the clock started (c0).
    Ready(Vec<Vec<u8>>),
    /// Photos decoded and scaled on the render thread when the show asks for one (c).
    Decode(Vec<PathBuf>),
}

/// A source and whose turn is next, kept across segments so every photo takes its turn.
pub(super) struct Feed {
    source: Source,
    next: usize,
    buf: Vec<u8>,
    /// Milliseconds each decode on the render thread took.
    pub(super) times: Vec<f64>,
}

impl Feed {
    pub(super) fn new(source: Source) -> Self {
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
pub(super) fn stand_in(
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
