//! One configuration's worth of image-worker state: the scan, the decode pool and the
//! decisions (`decide.rs`: playlist, timelines, cache, waiting requests; `rules.rs`: the
//! actions and the small pure rules). This file is the thin I/O shell: it feeds the decisions
//! what happened (a request, a scan batch, a finished decode, a memory request, a tick) and
//! performs the actions they return, in order: replies, frame deliveries into the frames slot,
//! decode jobs, `Skipped` / `Scan` notices and state-file saves.

mod decide;
mod rules;
#[cfg(test)]
mod tests;

use super::deliver::{Meta, write_frame};
use super::pool::{Done, Need, Pool};
use super::scan_thread::{ScanMsg, spawn_scan};
use crate::runtime::{Worker, WorkerError};
use crossbeam_channel::Receiver;
use decide::Core;
use idlewild_image::ImageError;
use idlewild_image::cache::Cached;
use idlewild_image::playlist::Playlist;
use idlewild_image::scan::{ScanEvent, ScanOptions};
use idlewild_image::sources::{ExtensionSet, effective_folders};
use idlewild_protocol::message::image::{ImageConfig, ImageResponse, ImageStatus};
use idlewild_protocol::message::{Envelope, FromWorker, ToWorker};
use idlewild_protocol::shm::FrameWriter;
pub use rules::Dir;
use rules::{Action, Jobs, Stamp};
use std::path::{Path, PathBuf};
use std::time::{Instant, UNIX_EPOCH};

/// A request to answer: the envelope it came in.
type Request = Envelope<ToWorker>;

/// State for one source configuration.
pub struct Session {
    core: Core<Request>,
    scan_rx: Option<Receiver<ScanMsg>>,
    pool: Pool,
}

fn playlist_path(cfg: &ImageConfig) -> PathBuf {
    cfg.state_dir.join("playlist.bin")
}

fn index_path(cfg: &ImageConfig) -> PathBuf {
    cfg.state_dir.join("index.bin")
}

/// Decode threads: half the cores (the UI needs the rest), at least one, at most four.
fn decode_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    (cores / 2).clamp(1, 4)
}

/// A file's modification time and length, from the filesystem.
fn stat(path: &Path) -> Result<Stamp, ImageError> {
    let meta = std::fs::metadata(path)?;
    let mtime_ns = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as u64);
    Ok(Stamp {
        mtime_ns,
        len: meta.len(),
    })
}

impl Session {
    /// A new session: loads the playlist and starts the scan.
    pub fn start(cfg: ImageConfig, extensions: ExtensionSet) -> Self {
        let folders = effective_folders(&cfg.sources.folders);
        tracing::info!(folders = ?folders, "image sources");
        let seed = cfg.seed.unwrap_or_else(|| fastrand::u64(..));
        let playlist = Playlist::load(&playlist_path(&cfg), seed);
        let scan_rx = Some(spawn_scan(
            ScanOptions {
                roots: folders.clone(),
                extensions,
                follow_symlinks: cfg.sources.follow_symlinks,
            },
            index_path(&cfg),
        ));
        Self {
            core: Core::new(cfg, folders, playlist, stat),
            scan_rx,
            pool: Pool::new(decode_threads()),
        }
    }

    /// Same sources, new displays or budgets: keeps the scan, playlist and cache.
    pub fn reconfigure(mut self, w: &Worker, cfg: ImageConfig) -> Result<Self, WorkerError> {
        let actions = self.core.reconfigure(cfg);
        self.perform(w, None, actions)?;
        Ok(self)
    }

    /// Answers every waiting request with an error (they were for a configuration that is
    /// gone), so no client waits forever.
    pub fn cancel_waiting(&mut self, w: &Worker, reason: &str) -> Result<(), WorkerError> {
        let actions = self.core.cancel_waiting(reason);
        self.perform(w, None, actions)
    }

    /// The scan thread's messages, while it runs.
    pub fn scan_events(&self) -> Option<&Receiver<ScanMsg>> {
        self.scan_rx.as_ref()
    }

    /// Finished decodes.
    pub fn decode_results(&self) -> &Receiver<Done> {
        self.pool.done()
    }

    /// Where decode jobs ask for memory.
    pub fn admissions(&self) -> &Receiver<Need> {
        self.pool.needs()
    }

    /// True when `cfg` has this session's sources and state folder (so it can be kept).
    pub fn same_sources(&self, cfg: &ImageConfig) -> bool {
        let own = self.core.cfg();
        own.sources == cfg.sources && own.state_dir == cfg.state_dir
    }

    /// True when `display` is configured.
    pub fn knows(&self, display: u32) -> bool {
        self.core.knows(display)
    }

    /// The worker's counters.
    pub fn status(&self) -> ImageStatus {
        self.core.status(self.pool.abandoned())
    }

    /// Saves the playlist position (called on shutdown, after a scan and periodically).
    pub fn save_state(&mut self) {
        let path = playlist_path(self.core.cfg());
        if let Err(e) = self.core.playlist().save(&path) {
            tracing::warn!("cannot save the playlist position: {e}");
        }
        self.core.saved();
    }

    /// The pool as the decisions see it.
    fn jobs(&self) -> Jobs {
        Jobs {
            keys: self.pool.keys(),
            threads: self.pool.threads(),
            granted: self.pool.granted(),
        }
    }

    /// Moves `display` in `dir` and answers `env` with a frame, now from the cache or later
    /// from the pool; skips over photos that fail.
    pub fn serve(
        &mut self,
        w: &Worker,
        writer: Option<&mut FrameWriter>,
        env: Request,
        display: u32,
        dir: Dir,
    ) -> Result<(), WorkerError> {
        let mut jobs = self.jobs();
        let actions = self
            .core
            .serve(env, display, dir, &mut jobs, Instant::now());
        self.perform(w, writer, actions)
    }

    /// Queues decodes for what the displays will show next, within the cache budget.
    pub fn prefetch(&mut self, w: &Worker) -> Result<(), WorkerError> {
        let mut jobs = self.jobs();
        let actions = self.core.prefetch(&mut jobs);
        self.perform(w, None, actions)
    }

    /// A decode finished.
    pub fn on_decoded(
        &mut self,
        w: &Worker,
        writer: Option<&mut FrameWriter>,
        done: Done,
    ) -> Result<(), WorkerError> {
        let Some((key, done)) = self.pool.finish(done) else {
            return Ok(());
        };
        let result = done.result.map(|(pixels, prepared)| Cached {
            pixels,
            meta: Meta {
                source_width: prepared.source_width,
                source_height: prepared.source_height,
                title: prepared.meta.title,
                taken: prepared.meta.taken,
            },
        });
        let mut jobs = self.jobs();
        let actions = self.core.on_decoded(key, result, &mut jobs, Instant::now());
        self.perform(w, writer, actions)
    }

    /// A message of the scan thread.
    pub fn on_scan(
        &mut self,
        w: &Worker,
        writer: Option<&mut FrameWriter>,
        msg: ScanMsg,
    ) -> Result<(), WorkerError> {
        let mut jobs = self.jobs();
        let actions = match msg {
            ScanMsg::Event(ScanEvent::Batch(paths)) => {
                self.core.on_batch(paths, &mut jobs, Instant::now())
            }
            ScanMsg::Event(ScanEvent::Warning { path, message }) => {
                tracing::warn!(path = %path.display(), "scan: {message}");
                return Ok(());
            }
            ScanMsg::Event(ScanEvent::Done(summary)) => {
                tracing::info!(
                    files = summary.files,
                    dirs = summary.dirs,
                    reused_dirs = summary.reused_dirs,
                    warnings = summary.warnings,
                    ms = summary.elapsed.as_millis() as u64,
                    "[PERF] scan finished"
                );
                return Ok(());
            }
            ScanMsg::Finished(index) => {
                self.scan_rx = None;
                let present = index.map(|index| index.files().collect());
                self.core
                    .on_scan_finished(present, &mut jobs, Instant::now())
            }
        };
        self.perform(w, writer, actions)
    }

    /// A decode job asks for memory: the core admits or postpones it.
    pub fn on_need(&mut self, need: Need) {
        let key = self.pool.key_of(need.id).cloned();
        let admitted = self
            .core
            .on_need(key.as_ref(), need.bytes, self.pool.granted());
        if admitted {
            self.pool.grant(need.id, need.bytes);
        }
        let _ = need.reply.send(admitted);
    }

    /// Periodic work: overdue decodes, saving the position.
    pub fn tick(
        &mut self,
        w: &Worker,
        mut writer: Option<&mut FrameWriter>,
        now: Instant,
    ) -> Result<(), WorkerError> {
        match self.pool.reap_overdue(now) {
            Ok(keys) if !keys.is_empty() => {
                let mut jobs = self.jobs();
                let actions = self.core.on_overdue(&keys, &mut jobs, now);
                self.perform(w, writer.as_deref_mut(), actions)?;
            }
            Ok(_) => {}
            Err(stuck) => {
                tracing::error!(
                    stuck,
                    "[HEALTH] decode threads stuck past their budget; exiting so the supervisor \
                     starts a clean worker"
                );
                self.save_state();
                std::process::exit(4);
            }
        }
        let actions = self.core.tick(now);
        self.perform(w, writer, actions)
    }

    /// Performs the core's actions in order. `writer` is only used by `Deliver`, which only
    /// requests, finished decodes, scan messages and ticks produce (the callers that pass
    /// `None` get replies, failures and jobs only).
    fn perform(
        &mut self,
        w: &Worker,
        mut writer: Option<&mut FrameWriter>,
        actions: Vec<Action<Request>>,
    ) -> Result<(), WorkerError> {
        for action in actions {
            match action {
                Action::Deliver {
                    to,
                    display,
                    key,
                    item,
                } => {
                    let Some(cached) = self.core.frame(&key) else {
                        continue;
                    };
                    if write_frame(w, writer.as_deref_mut(), &to, display, &key, &item, cached)? {
                        self.core.delivered();
                    }
                }
                Action::Fail { to, message } => {
                    w.outbox().reply(&to, FromWorker::Error { message }, 0)?;
                }
                Action::NoImages {
                    to,
                    display,
                    message,
                } => {
                    let body = FromWorker::Image(ImageResponse::NoImages { display, message });
                    w.outbox().reply(&to, body, 0)?;
                }
                Action::Decode(key) | Action::Prefetch(key) => {
                    self.pool.submit(key, self.core.cfg().limits);
                }
                Action::Skip { path, tag, reason } => {
                    tracing::warn!(path = %path.display(), reason = tag, "[SKIP] image skipped: {reason}");
                    let _ = w.outbox().notify(FromWorker::Image(ImageResponse::Skipped {
                        source: path.display().to_string(),
                        reason,
                    }));
                }
                Action::Progress { found, done } => {
                    let _ = w
                        .outbox()
                        .notify(FromWorker::Image(ImageResponse::Scan { found, done }));
                }
                Action::Save => self.save_state(),
            }
        }
        Ok(())
    }
}
