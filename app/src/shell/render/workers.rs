//! The render loop's side of the workers: lifecycle events (attach and detach regions, a
//! rebuilt thread's [`Rejoin`]), the image worker's answers, photo uploads from shared memory
//! into the `Next` texture (at most [`UPLOAD_BUDGET`] bytes per frame), requests, and telling
//! the worker new display sizes. Decisions come from [`super::step`]; this is the I/O.
//!
//! Conditions met every frame (an empty library, refused requests) are logged when they begin
//! and end ([`crate::shell::condition`]); a skipped photo is named once per run.

use std::time::{Duration, Instant};

use idlewild_protocol::WorkerKind;
use idlewild_protocol::message::image::{DisplaySpec, ImageResponse};

use super::output::Upload;
use super::step::{self, Lifecycle, RejoinAction, Settled};
use super::{RenderLoop, UPLOAD_BUDGET};
use crate::images::ImageEvent;
use crate::shell::show::Arrival;

/// Skipped photos named in the log per run; past this, skips are only counted.
const SKIPS_NAMED: usize = 1000;

impl RenderLoop {
    /// Carries out a [`Rejoin`](step::Rejoin) step.
    pub(super) fn rejoin(&self, actions: Vec<RejoinAction>) {
        for action in actions {
            let (kind, on) = match action {
                RejoinAction::Disable(kind) => (kind, false),
                RejoinAction::Enable(kind) => (kind, true),
            };
            tracing::info!(
                "rebuilt render thread: {} the {kind} worker",
                if on { "starting" } else { "stopping" }
            );
            if let Err(e) = self.supervisor.set_enabled(kind, on) {
                tracing::warn!("rebuilt render thread: the {kind} worker: {e}");
            }
        }
    }

    /// Tells the image worker the displays' new sizes once a resize has settled, so photos stop
    /// being stretched from the old size.
    pub(super) fn settle_resize(&mut self, now: Instant) {
        let sizes: Vec<(u32, u32)> = self.outputs.iter().map(|o| o.size()).collect();
        match self.resize.poll(now, &sizes) {
            None => {}
            Some(Settled::TooLarge) => {
                tracing::info!("window larger than 4K: photos stay at their previous size");
            }
            Some(Settled::Reconfigure) => {
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
        }
    }

    /// Worker processes starting and stopping.
    pub(super) fn lifecycle(&mut self, now: Instant) {
        while let Some(event) = self.supervisor.poll_event() {
            match step::lifecycle(event) {
                Lifecycle::AttachImages(readers) => {
                    if let Err(e) = self.images.attach(&self.supervisor, readers.frames) {
                        tracing::warn!("cannot configure the image worker: {e}");
                    }
                }
                Lifecycle::DetachImages { stopped } => {
                    self.images.detach();
                    // A frame half uploaded came from the old process's region.
                    for o in &mut self.outputs {
                        if o.upload.take().is_some() {
                            o.show.upload_failed();
                        }
                    }
                    if stopped {
                        let next = self.rejoining.stopped(WorkerKind::Image);
                        self.rejoin(next.into_iter().collect());
                    }
                }
                Lifecycle::ImagesFailed(f) => tracing::error!(
                    "the image worker failed {} times; it is tried again in {} s (the photo on \
                     screen stays until then)",
                    f.restarts,
                    f.retry_in.as_secs()
                ),
                Lifecycle::AttachVisual(readers, epoch) => {
                    if let Some(v) = self.visual.as_mut() {
                        v.attach(&self.supervisor, readers.stream, epoch);
                    }
                }
                Lifecycle::DetachVisual { stopped } => {
                    if let Some(v) = self.visual.as_mut() {
                        v.detach();
                    }
                    if stopped {
                        let next = self.rejoining.stopped(WorkerKind::Fft);
                        self.rejoin(next.into_iter().collect());
                    }
                }
                Lifecycle::VisualFailed(f) => tracing::error!(
                    "the fft worker failed {} times; it is tried again in {} s (the visualizer \
                     stays hidden until then)",
                    f.restarts,
                    f.retry_in.as_secs()
                ),
                Lifecycle::Ignore => {}
            }
        }
        let due = self.rejoining.tick(now);
        self.rejoin(due);
    }

    /// The workers' answers: spectra, frames, empty answers and refusals.
    pub(super) fn answers(&mut self) {
        if let Some(v) = self.visual.as_mut() {
            v.answers(&self.supervisor);
        }
        for event in self.images.poll(&self.supervisor) {
            match event {
                ImageEvent::Frame(info) => {
                    let display = info.display;
                    if let Some(n) = self.refusals.clear() {
                        tracing::info!("the image worker answers again (after {n} refusals)");
                    }
                    let Some(o) = self.outputs.iter_mut().find(|o| o.display == display) else {
                        self.images.release(&self.supervisor);
                        continue;
                    };
                    if let Some(n) = o.empty.clear() {
                        tracing::info!(
                            "display {}: photos found again (after {n} empty answers)",
                            o.display
                        );
                    }
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
                    if let Some(o) = self.output(id) {
                        // The show asks again every frame: say it when it begins, not each time.
                        if o.empty.hit() {
                            tracing::warn!(
                                "display {id}: {message} (said once; asking again until there \
                                 are photos)"
                            );
                        }
                        o.show.answered_empty();
                    }
                }
                ImageEvent::Worker(ImageResponse::Skipped { source, reason }) => {
                    self.skips += 1;
                    if self.skipped.len() < SKIPS_NAMED && self.skipped.insert(source.clone()) {
                        tracing::info!("skipped {source}: {reason}");
                    }
                }
                ImageEvent::Failed { display, message } => {
                    if self.refusals.hit() {
                        tracing::warn!(
                            "the image worker refused a request: {message} (said once until it \
                             answers again)"
                        );
                    }
                    if let Some(o) = display.and_then(|d| self.output(d)) {
                        o.show.answered_empty();
                    }
                }
                ImageEvent::Worker(_) => {}
            }
        }
    }

    /// Moves at most [`UPLOAD_BUDGET`] bytes of photos from shared memory into textures.
    pub(super) fn uploads(&mut self) {
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
                // Once per photo (the next one is asked for), never per frame.
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

    /// Sends the requests the shows are due to make.
    pub(super) fn requests(&mut self, now: Instant) {
        for o in &mut self.outputs {
            for dir in o.show.requests(now) {
                if let Err(e) = self.images.request(&self.supervisor, o.display, dir) {
                    // Queued anyway; sent when the supervisor catches up. Once per request,
                    // and a request goes out only when the show is due for a photo.
                    tracing::debug!("image request deferred: {e}");
                }
            }
        }
    }
}
