//! One configuration's worth of image-worker state: scan, playlist, timelines, cache, pool,
//! and the requests waiting for a frame; serving, skipping and prefetching.

use super::deliver::{Meta, write_frame};
use super::pool::{Done, Need, Pool};
use super::scan_thread::{ScanMsg, spawn_scan};
use super::timeline::{Item, Step, Timelines};
use crate::runtime::{Worker, WorkerError};
use crossbeam_channel::Receiver;
use idlewild_image::ImageError;
use idlewild_image::cache::{Cached, FrameCache, FrameKey};
use idlewild_image::playlist::{MixPolicy, Playlist};
use idlewild_image::scan::{ScanEvent, ScanOptions};
use idlewild_image::sources::{ExtensionSet, effective_folders};
use idlewild_protocol::message::image::{ImageConfig, ImageResponse, ImageStatus, SourceKind};
use idlewild_protocol::message::{Envelope, FromWorker, ToWorker};
use idlewild_protocol::shm::FrameWriter;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, UNIX_EPOCH};

/// Scan progress is reported at most this often (plus the first batch and the end).
const PROGRESS_EVERY: Duration = Duration::from_millis(500);
/// The playlist position is saved at most this often while photos are being shown.
const SAVE_EVERY: Duration = Duration::from_secs(5);

/// A request that waits for a decode (`key` set) or for the scan to find anything.
struct Waiting {
    env: Envelope<ToWorker>,
    display: u32,
    pending: Option<(FrameKey, Item)>,
    /// Which way the request moved the display (what to do if the photo fails).
    dir: Dir,
}

/// Which way a request moves its display.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// The next photo (X).
    Forward,
    /// The previous photo (Z).
    Back,
    /// Show what the display stands on (after a failure during a step back).
    Stay,
}

/// State for one source configuration.
pub struct Session {
    cfg: ImageConfig,
    scan_rx: Option<Receiver<ScanMsg>>,
    scan_done: bool,
    last_progress: Option<Instant>,
    playlist: Playlist,
    mix: MixPolicy,
    timelines: Timelines,
    cache: FrameCache<Meta>,
    pool: Pool,
    waiting: Vec<Waiting>,
    skipped: HashSet<PathBuf>,
    status: ImageStatus,
    dirty_since: Option<Instant>,
    /// A prefetch was postponed for lack of memory: no more prefetching until a frame is
    /// delivered (which makes cached frames evictable again).
    prefetch_held: bool,
    /// Folders in effect (configured, or the defaults).
    folders: Vec<PathBuf>,
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

/// The cache budget in force: the configured one, but never below two frames of the largest
/// display (the one shown and the one coming), so a wanted frame always fits.
fn effective_budget(cfg: &ImageConfig) -> u64 {
    let largest = cfg
        .displays
        .iter()
        .map(|d| u64::from(d.width) * u64::from(d.height) * 4)
        .max()
        .unwrap_or(0);
    if cfg.cache_bytes < 2 * largest {
        tracing::warn!(
            configured = cfg.cache_bytes,
            used = 2 * largest,
            "frame cache budget below two frames; raised"
        );
    }
    cfg.cache_bytes.max(2 * largest)
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
        let ids: Vec<u32> = cfg.displays.iter().map(|d| d.id).collect();
        Self {
            timelines: Timelines::new(&ids, cfg.same_on_all),
            cache: FrameCache::new(effective_budget(&cfg)),
            mix: MixPolicy::new(cfg.feed_percent),
            pool: Pool::new(decode_threads()),
            cfg,
            scan_rx,
            scan_done: false,
            last_progress: None,
            playlist,
            waiting: Vec::new(),
            skipped: HashSet::new(),
            status: ImageStatus::default(),
            dirty_since: None,
            prefetch_held: false,
            folders,
        }
    }

    /// Same sources, new displays or budgets: keeps the scan, playlist and cache.
    pub fn reconfigure(mut self, w: &Worker, cfg: ImageConfig) -> Result<Self, WorkerError> {
        if cfg.displays != self.cfg.displays || cfg.same_on_all != self.cfg.same_on_all {
            let ids: Vec<u32> = cfg.displays.iter().map(|d| d.id).collect();
            self.timelines = Timelines::new(&ids, cfg.same_on_all);
            self.cancel_waiting(w, "the display configuration changed; ask again")?;
        }
        self.cache.set_budget(effective_budget(&cfg));
        self.prefetch_held = false;
        self.mix = MixPolicy::new(cfg.feed_percent);
        self.cfg = cfg;
        Ok(self)
    }

    /// Answers every waiting request with an error (they were for a configuration that is
    /// gone), so no client waits forever.
    pub fn cancel_waiting(&mut self, w: &Worker, reason: &str) -> Result<(), WorkerError> {
        for waiting in std::mem::take(&mut self.waiting) {
            let message = reason.to_owned();
            w.outbox()
                .reply(&waiting.env, FromWorker::Error { message }, 0)?;
        }
        Ok(())
    }

    /// The scan thread's messages, while it runs.
    pub fn scan_events(&self) -> Option<&Receiver<ScanMsg>> {
        self.scan_rx.as_ref()
    }

    /// Finished decodes.
    pub fn decode_results(&self) -> &Receiver<Done> {
        self.pool.done()
    }

    /// True when `cfg` has this session's sources and state folder (so it can be kept).
    pub fn same_sources(&self, cfg: &ImageConfig) -> bool {
        self.cfg.sources == cfg.sources && self.cfg.state_dir == cfg.state_dir
    }

    /// True when `display` is configured.
    pub fn knows(&self, display: u32) -> bool {
        self.timelines.knows(display)
    }

    /// The worker's counters.
    pub fn status(&self) -> ImageStatus {
        ImageStatus {
            found: self.playlist.len() as u64,
            scan_done: self.scan_done,
            cached: (self.cache.len() as u64, self.cache.bytes()),
            abandoned: self.pool.abandoned(),
            ..self.status.clone()
        }
    }

    /// Saves the playlist position (called on shutdown, after a scan and periodically).
    pub fn save_state(&mut self) {
        if let Err(e) = self.playlist.save(&playlist_path(&self.cfg)) {
            tracing::warn!("cannot save the playlist position: {e}");
        }
        self.dirty_since = None;
    }

    /// Draws the next photo according to the mix policy.
    fn draw(&mut self) -> Option<Item> {
        match self.mix.choose(!self.playlist.is_empty(), false)? {
            SourceKind::Local => {
                let entry = self.playlist.next()?;
                self.dirty_since.get_or_insert_with(Instant::now);
                Some(Item {
                    path: entry.path,
                    position: entry.position,
                })
            }
            // The feed side is filled by the rss worker (a later issue); `choose` never picks
            // it while it is empty.
            SourceKind::Feed => None,
        }
    }

    fn key_for(&self, path: &Path, display: u32) -> Result<FrameKey, ImageError> {
        let d =
            self.cfg
                .displays
                .iter()
                .find(|d| d.id == display)
                .ok_or(ImageError::BadTarget {
                    width: 0,
                    height: 0,
                })?;
        let meta = std::fs::metadata(path)?;
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as u64);
        Ok(FrameKey {
            path: path.to_path_buf(),
            mtime_ns,
            len: meta.len(),
            width: d.width,
            height: d.height,
            scale: self.cfg.scale,
        })
    }

    /// Moves `display` in `dir` and answers `env` with a frame, now from the cache or later
    /// from the pool; skips over photos that fail.
    pub fn serve(
        &mut self,
        w: &Worker,
        mut writer: Option<&mut FrameWriter>,
        env: Envelope<ToWorker>,
        display: u32,
        mut dir: Dir,
    ) -> Result<(), WorkerError> {
        loop {
            let item = match dir {
                Dir::Back => match self.timelines.back(display) {
                    Some(item) => item,
                    None => {
                        dir = Dir::Stay;
                        continue;
                    }
                },
                Dir::Stay => match self.timelines.current(display) {
                    Some(item) => item.clone(),
                    None => {
                        dir = Dir::Forward;
                        continue;
                    }
                },
                Dir::Forward => match self.timelines.advance(display) {
                    Step::Existing(item) => item,
                    Step::NeedNew => match self.draw() {
                        Some(item) => {
                            self.timelines.push(display, item.clone());
                            item
                        }
                        None => return self.nothing_to_show(w, env, display),
                    },
                },
            };
            let key = match self.key_for(&item.path, display) {
                Ok(key) => key,
                Err(e) => {
                    self.skip(w, &item.path, &e);
                    if dir == Dir::Back {
                        dir = Dir::Stay;
                    }
                    continue;
                }
            };
            if self.cache.contains(&key) {
                self.status.cache_hits += 1;
                return self.deliver_cached(w, writer.as_deref_mut(), &env, display, &key, &item);
            }
            self.status.cache_misses += 1;
            if !self.pool.has(&key) {
                self.pool.submit(key.clone(), self.cfg.limits);
            }
            self.waiting.push(Waiting {
                env,
                display,
                pending: Some((key, item)),
                dir,
            });
            return Ok(());
        }
    }

    /// No photo to draw: wait for the scan, or tell the UI there is nothing.
    fn nothing_to_show(
        &mut self,
        w: &Worker,
        env: Envelope<ToWorker>,
        display: u32,
    ) -> Result<(), WorkerError> {
        if !self.scan_done {
            self.waiting.push(Waiting {
                env,
                display,
                pending: None,
                dir: Dir::Forward,
            });
            return Ok(());
        }
        let folders: Vec<String> = self
            .folders
            .iter()
            .map(|f| f.display().to_string())
            .collect();
        let message = if self.folders.is_empty() {
            "No photos to show: no photo folder is configured and none of the default folders \
             (Pictures, system wallpapers) exists. Add one with \
             `idlewild settings set sources.folders '[\"/path/to/photos\"]'`."
                .to_owned()
        } else if self.skipped.is_empty() {
            format!("No photos found in {}.", folders.join(", "))
        } else {
            format!(
                "None of the {} photos found in {} could be shown (see the log for why).",
                self.skipped.len(),
                folders.join(", ")
            )
        };
        w.outbox().reply(
            &env,
            FromWorker::Image(ImageResponse::NoImages { display, message }),
            0,
        )?;
        Ok(())
    }

    fn deliver_cached(
        &mut self,
        w: &Worker,
        writer: Option<&mut FrameWriter>,
        env: &Envelope<ToWorker>,
        display: u32,
        key: &FrameKey,
        item: &Item,
    ) -> Result<(), WorkerError> {
        let Some(cached) = self.cache.deliver(key) else {
            return Ok(());
        };
        self.prefetch_held = false;
        let sent = write_frame(w, writer, env, display, key, item, cached)?;
        self.status.delivered += u64::from(sent);
        Ok(())
    }

    /// A photo failed: log once, tell the UI, and never try it again in this run.
    fn skip(&mut self, w: &Worker, path: &Path, error: &ImageError) {
        self.status.skipped += 1;
        self.playlist.remove(path);
        self.timelines.remove(path);
        if self.skipped.insert(path.to_path_buf()) {
            tracing::warn!(path = %path.display(), reason = error.tag(), "[SKIP] image skipped: {error}");
            let _ = w.outbox().notify(FromWorker::Image(ImageResponse::Skipped {
                source: path.display().to_string(),
                reason: error.to_string(),
            }));
        }
    }

    /// Retries requests that waited on `key` (or on the scan, with `None`).
    fn retry_waiting(
        &mut self,
        w: &Worker,
        mut writer: Option<&mut FrameWriter>,
        matches: impl Fn(&Waiting) -> bool,
    ) -> Result<(), WorkerError> {
        let (retry, keep): (Vec<Waiting>, Vec<Waiting>) = std::mem::take(&mut self.waiting)
            .into_iter()
            .partition(matches);
        self.waiting = keep;
        for waiting in retry {
            // The photo it waited for failed and left the timeline, which put the display back
            // on the photo before it. Going forward, the next step lands on what followed the
            // failed photo; going back, the photo before it is the answer. A request that
            // waited for the scan simply goes forward.
            let dir = match waiting.dir {
                Dir::Forward => Dir::Forward,
                Dir::Back | Dir::Stay => Dir::Stay,
            };
            self.serve(w, writer.as_deref_mut(), waiting.env, waiting.display, dir)?;
        }
        Ok(())
    }

    /// A decode finished.
    pub fn on_decoded(
        &mut self,
        w: &Worker,
        mut writer: Option<&mut FrameWriter>,
        done: Done,
    ) -> Result<(), WorkerError> {
        let Some((key, done)) = self.pool.finish(done) else {
            return Ok(());
        };
        match done.result {
            Ok((pixels, prepared)) => {
                let meta = Meta {
                    source_width: prepared.source_width,
                    source_height: prepared.source_height,
                    title: prepared.meta.title,
                    taken: prepared.meta.taken,
                };
                let frame = Cached { pixels, meta };
                let wanted = self.is_wanted(&key);
                // A frame someone waits for goes in as wanted (prefetched frames make room for
                // it; the budget is never below two frames, so it always fits). Room is made
                // beside the memory granted to the decodes still in flight.
                let bytes = frame.pixels.capacity() as u64;
                self.cache.make_room(self.pool.granted() + bytes, wanted);
                if let Err(full) = self.cache.insert(key.clone(), frame, !wanted) {
                    tracing::debug!(key = %key, "not cached: {full}");
                }
                let waiters: Vec<usize> = (0..self.waiting.len())
                    .filter(|i| {
                        self.waiting[*i]
                            .pending
                            .as_ref()
                            .is_some_and(|(k, _)| *k == key)
                    })
                    .collect();
                for i in waiters.into_iter().rev() {
                    let waiting = self.waiting.remove(i);
                    let Some((_, item)) = waiting.pending else {
                        continue;
                    };
                    if self.cache.contains(&key) {
                        self.deliver_cached(
                            w,
                            writer.as_deref_mut(),
                            &waiting.env,
                            waiting.display,
                            &key,
                            &item,
                        )?;
                    } else {
                        // Unreachable with the budget floor of `effective_budget`; answer
                        // rather than decode the same photo again and again.
                        let message = format!("no room in the frame cache for {key}");
                        w.outbox()
                            .reply(&waiting.env, FromWorker::Error { message }, 0)?;
                    }
                }
            }
            Err(ImageError::Deferred) => {
                // No memory was free for it: not the photo's fault. A request waiting for it
                // gets a fresh job (wanted jobs are always admitted); a prefetch is dropped
                // until a delivery frees memory.
                if self.is_wanted(&key) {
                    self.pool.submit(key, self.cfg.limits);
                } else {
                    self.prefetch_held = true;
                }
            }
            Err(e) => {
                self.skip(w, &key.path, &e);
                self.retry_waiting(w, writer, |wt| {
                    wt.pending.as_ref().is_some_and(|(k, _)| k.path == key.path)
                })?;
            }
        }
        self.prefetch();
        Ok(())
    }

    /// A message of the scan thread.
    pub fn on_scan(
        &mut self,
        w: &Worker,
        writer: Option<&mut FrameWriter>,
        msg: ScanMsg,
    ) -> Result<(), WorkerError> {
        match msg {
            ScanMsg::Event(ScanEvent::Batch(paths)) => {
                for path in paths {
                    if !self.skipped.contains(&path) {
                        self.playlist.add(path);
                    }
                }
                self.progress(w, false);
                self.retry_waiting(w, writer, |wt| wt.pending.is_none())?;
                self.prefetch();
            }
            ScanMsg::Event(ScanEvent::Warning { path, message }) => {
                tracing::warn!(path = %path.display(), "scan: {message}");
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
            }
            ScanMsg::Finished(index) => {
                self.scan_rx = None;
                self.scan_done = true;
                if let Some(index) = index {
                    let present: HashSet<PathBuf> = index.files().collect();
                    self.playlist.retain(|p| present.contains(p));
                }
                self.progress(w, true);
                self.save_state();
                self.retry_waiting(w, writer, |wt| wt.pending.is_none())?;
                self.prefetch();
            }
        }
        Ok(())
    }

    fn progress(&mut self, w: &Worker, done: bool) {
        let now = Instant::now();
        let due = self
            .last_progress
            .is_none_or(|t| now.duration_since(t) >= PROGRESS_EVERY);
        if done || due {
            self.last_progress = Some(now);
            let _ = w.outbox().notify(FromWorker::Image(ImageResponse::Scan {
                found: self.playlist.len() as u64,
                done,
            }));
        }
    }

    /// True when a request waits for `key`.
    fn is_wanted(&self, key: &FrameKey) -> bool {
        self.waiting
            .iter()
            .any(|wt| wt.pending.as_ref().is_some_and(|(k, _)| k == key))
    }

    /// Where decode jobs ask for memory.
    pub fn admissions(&self) -> &Receiver<Need> {
        self.pool.needs()
    }

    /// A decode job asks for memory: make room in the cache beside what is already granted,
    /// or postpone it. A job a request waits for is always admitted (prefetched frames give
    /// way); a prefetch that does not fit is postponed.
    pub fn on_need(&mut self, need: Need) {
        let Some(key) = self.pool.key_of(need.id).cloned() else {
            // Abandoned meanwhile: its thread is surplus; let it stop.
            let _ = need.reply.send(false);
            return;
        };
        let wanted = self.is_wanted(&key);
        let fits = self
            .cache
            .make_room(self.pool.granted() + need.bytes, wanted);
        let admitted = fits || wanted;
        if admitted {
            self.pool.grant(need.id, need.bytes);
        }
        let _ = need.reply.send(admitted);
    }

    /// Queues decodes for what the displays will show next, within the cache budget.
    pub fn prefetch(&mut self) {
        if self.prefetch_held {
            return;
        }
        let depth = self.cfg.prefetch as usize;
        let draws = if self.cfg.same_on_all {
            depth
        } else {
            depth * self.cfg.displays.len()
        };
        let peeked = self.playlist.peek(draws);
        let mut want: Vec<FrameKey> = Vec::new();
        for d in &self.cfg.displays {
            let upcoming = self.timelines.upcoming(d.id);
            let paths = upcoming.iter().take(depth).chain(peeked.iter());
            for path in paths {
                if self.skipped.contains(path) {
                    continue;
                }
                if let Ok(key) = self.key_for(path, d.id)
                    && !want.contains(&key)
                {
                    want.push(key);
                }
            }
        }
        self.cache.drop_pending(|k| want.contains(k));
        for key in want {
            if self.pool.is_busy() {
                break;
            }
            if self.cache.contains(&key) || self.pool.has(&key) {
                continue;
            }
            let bytes = u64::from(key.width) * u64::from(key.height) * 4;
            let in_flight = self.pool.in_flight() as u64 + 1;
            if !self.cache.has_room_for_pending(bytes * in_flight) {
                break;
            }
            self.pool.submit(key, self.cfg.limits);
        }
    }

    /// Periodic work: overdue decodes, saving the position.
    pub fn tick(
        &mut self,
        w: &Worker,
        writer: Option<&mut FrameWriter>,
        now: Instant,
    ) -> Result<(), WorkerError> {
        match self.pool.reap_overdue(now) {
            Ok(keys) if !keys.is_empty() => {
                let budget_ms = self.cfg.limits.time_budget_ms;
                for key in &keys {
                    self.skip(w, &key.path, &ImageError::TooSlow { budget_ms });
                }
                self.retry_waiting(w, writer, |wt| {
                    wt.pending
                        .as_ref()
                        .is_some_and(|(k, _)| keys.iter().any(|o| o.path == k.path))
                })?;
                self.prefetch();
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
        if self
            .dirty_since
            .is_some_and(|t| now.duration_since(t) >= SAVE_EVERY)
        {
            self.save_state();
        }
        Ok(())
    }
}
