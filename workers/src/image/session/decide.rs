//! The session's decisions, apart from its I/O: which photo a request gets, when a failure is
//! skipped and replaced, what to prefetch, whether a decode may have its memory, when to report
//! progress and save the position. [`Core`] is a state machine over plain data (playlist,
//! timelines, frame cache, waiting requests); each entry point returns the [`Action`](super::rules::Action)s for the
//! shell (`session.rs`) to perform in order: replies, frame deliveries, decode jobs, log lines,
//! saves.
//!
//! Two things come in from outside as plain data, so that tests can fake them: the decode
//! pool's state ([`Jobs`](super::rules::Jobs), a snapshot the core updates as it decides to submit), and a file's
//! modification time and length ([`Stat`](super::rules::Stat), a plain `fn` so a test passes its own). Time is
//! always a `now` argument: tests run on a fake clock.

use super::super::deliver::Meta;
use super::super::timeline::{Item, Step, Timelines};
use super::rules::{
    Action, Dir, Jobs, PROGRESS_EVERY, SAVE_EVERY, Stat, admit, after_bad_photo, due,
    effective_budget, no_images_message, retry_dir,
};
use idlewild_image::ImageError;
use idlewild_image::cache::{Cached, FrameCache, FrameKey};
use idlewild_image::playlist::{MixPolicy, Playlist};
use idlewild_protocol::message::image::{ImageConfig, ImageStatus, SourceKind};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// A request that waits for a decode (`pending` set) or for the scan to find anything.
struct Waiting<R> {
    to: R,
    display: u32,
    pending: Option<(FrameKey, Item)>,
    /// Which way the request moved the display (what to do if the photo fails).
    dir: Dir,
}

/// One configuration's decisions; `R` is whatever identifies a request to answer.
pub struct Core<R> {
    cfg: ImageConfig,
    /// Folders in effect (configured, or the defaults).
    folders: Vec<PathBuf>,
    stat: Stat,
    scan_done: bool,
    last_progress: Option<Instant>,
    playlist: Playlist,
    mix: MixPolicy,
    timelines: Timelines,
    cache: FrameCache<Meta>,
    waiting: Vec<Waiting<R>>,
    skipped: HashSet<PathBuf>,
    status: ImageStatus,
    /// When a draw first changed the position since the last save.
    dirty_since: Option<Instant>,
    /// A prefetch was postponed for lack of memory: no more prefetching until a frame is
    /// delivered (which makes cached frames evictable again).
    prefetch_held: bool,
    /// Actions decided in the current step.
    out: Vec<Action<R>>,
}

impl<R> Core<R> {
    /// Decisions for `cfg` over `playlist`, with the scan still to come.
    pub fn new(cfg: ImageConfig, folders: Vec<PathBuf>, playlist: Playlist, stat: Stat) -> Self {
        let ids: Vec<u32> = cfg.displays.iter().map(|d| d.id).collect();
        Self {
            timelines: Timelines::new(&ids, cfg.same_on_all),
            cache: FrameCache::new(effective_budget(&cfg)),
            mix: MixPolicy::new(cfg.feed_percent),
            cfg,
            folders,
            stat,
            scan_done: false,
            last_progress: None,
            playlist,
            waiting: Vec::new(),
            skipped: HashSet::new(),
            status: ImageStatus::default(),
            dirty_since: None,
            prefetch_held: false,
            out: Vec::new(),
        }
    }

    fn take(&mut self) -> Vec<Action<R>> {
        std::mem::take(&mut self.out)
    }

    /// The configuration in force.
    pub fn cfg(&self) -> &ImageConfig {
        &self.cfg
    }

    /// The playlist (for saving).
    pub fn playlist(&self) -> &Playlist {
        &self.playlist
    }

    /// True when `display` is configured.
    pub fn knows(&self, display: u32) -> bool {
        self.timelines.knows(display)
    }

    /// The counters; `abandoned` comes from the pool.
    pub fn status(&self, abandoned: u64) -> ImageStatus {
        ImageStatus {
            found: self.playlist.len() as u64,
            scan_done: self.scan_done,
            cached: (self.cache.len() as u64, self.cache.bytes()),
            abandoned,
            ..self.status.clone()
        }
    }

    /// The frame a [`Action::Deliver`] names, or `None` if it is gone (it never is: nothing
    /// evicts between a decision and its action).
    pub fn frame(&mut self, key: &FrameKey) -> Option<&Cached<Meta>> {
        self.cache.deliver(key)
    }

    /// Counts a frame the shell wrote into the slot.
    pub fn delivered(&mut self) {
        self.status.delivered += 1;
    }

    /// The position was saved (on whatever occasion).
    pub fn saved(&mut self) {
        self.dirty_since = None;
    }

    /// New displays or budgets for the same sources. A change of displays starts new
    /// timelines and fails the requests waiting for the old ones.
    pub fn reconfigure(&mut self, cfg: ImageConfig) -> Vec<Action<R>> {
        if cfg.displays != self.cfg.displays || cfg.same_on_all != self.cfg.same_on_all {
            let ids: Vec<u32> = cfg.displays.iter().map(|d| d.id).collect();
            self.timelines = Timelines::new(&ids, cfg.same_on_all);
            self.fail_waiting("the display configuration changed; ask again");
        }
        self.cache.set_budget(effective_budget(&cfg));
        self.prefetch_held = false;
        self.mix = MixPolicy::new(cfg.feed_percent);
        self.cfg = cfg;
        self.take()
    }

    /// Fails every waiting request (they were for a configuration that is gone), so no client
    /// waits forever.
    pub fn cancel_waiting(&mut self, reason: &str) -> Vec<Action<R>> {
        self.fail_waiting(reason);
        self.take()
    }

    fn fail_waiting(&mut self, reason: &str) {
        for waiting in std::mem::take(&mut self.waiting) {
            let message = reason.to_owned();
            self.out.push(Action::Fail {
                to: waiting.to,
                message,
            });
        }
    }

    /// A request: moves `display` in `dir` and answers `to` with a frame, now from the cache
    /// or later from the pool, skipping over photos that fail. Prefetching is the caller's
    /// next step ([`Core::prefetch`]), after the request's decode was submitted.
    pub fn serve(
        &mut self,
        to: R,
        display: u32,
        dir: Dir,
        jobs: &mut Jobs,
        now: Instant,
    ) -> Vec<Action<R>> {
        self.serve_one(to, display, dir, jobs, now);
        self.take()
    }

    fn serve_one(&mut self, to: R, display: u32, mut dir: Dir, jobs: &mut Jobs, now: Instant) {
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
                    Step::NeedNew => match self.draw(now) {
                        Some(item) => {
                            self.timelines.push(display, item.clone());
                            item
                        }
                        None => return self.nothing_to_show(to, display),
                    },
                },
            };
            let key = match self.key_for(&item.path, display) {
                Ok(key) => key,
                Err(e) => {
                    self.skip(&item.path, &e);
                    dir = after_bad_photo(dir);
                    continue;
                }
            };
            if self.cache.contains(&key) {
                self.status.cache_hits += 1;
                return self.deliver(to, display, key, item);
            }
            self.status.cache_misses += 1;
            if !jobs.has(&key) {
                jobs.add(key.clone());
                self.out.push(Action::Decode(key.clone()));
            }
            self.waiting.push(Waiting {
                to,
                display,
                pending: Some((key, item)),
                dir,
            });
            return;
        }
    }

    /// Draws the next photo according to the mix policy.
    fn draw(&mut self, now: Instant) -> Option<Item> {
        match self.mix.choose(!self.playlist.is_empty(), false)? {
            SourceKind::Local => {
                let entry = self.playlist.next()?;
                self.dirty_since.get_or_insert(now);
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
        let stamp = (self.stat)(path)?;
        Ok(FrameKey {
            path: path.to_path_buf(),
            mtime_ns: stamp.mtime_ns,
            len: stamp.len,
            width: d.width,
            height: d.height,
            scale: self.cfg.scale,
        })
    }

    /// No photo to draw: wait for the scan, or tell the UI there is nothing.
    fn nothing_to_show(&mut self, to: R, display: u32) {
        if !self.scan_done {
            self.waiting.push(Waiting {
                to,
                display,
                pending: None,
                dir: Dir::Forward,
            });
            return;
        }
        let message = no_images_message(&self.folders, self.skipped.len());
        self.out.push(Action::NoImages {
            to,
            display,
            message,
        });
    }

    fn deliver(&mut self, to: R, display: u32, key: FrameKey, item: Item) {
        if self.cache.deliver(&key).is_none() {
            return;
        }
        self.prefetch_held = false;
        self.out.push(Action::Deliver {
            to,
            display,
            key,
            item,
        });
    }

    /// A photo failed: never try it again in this run; announce it the first time.
    fn skip(&mut self, path: &Path, error: &ImageError) {
        self.status.skipped += 1;
        self.playlist.remove(path);
        self.timelines.remove(path);
        if self.skipped.insert(path.to_path_buf()) {
            self.out.push(Action::Skip {
                path: path.to_path_buf(),
                tag: error.tag(),
                reason: error.to_string(),
            });
        }
    }

    /// Serves again the requests that waited on a failed photo (or on the scan).
    fn retry_waiting(
        &mut self,
        matches: impl Fn(&Waiting<R>) -> bool,
        jobs: &mut Jobs,
        now: Instant,
    ) {
        let (retry, keep): (Vec<_>, Vec<_>) = std::mem::take(&mut self.waiting)
            .into_iter()
            .partition(matches);
        self.waiting = keep;
        for waiting in retry {
            let dir = retry_dir(waiting.dir);
            self.serve_one(waiting.to, waiting.display, dir, jobs, now);
        }
    }

    /// True when a request waits for `key`.
    fn is_wanted(&self, key: &FrameKey) -> bool {
        self.waiting
            .iter()
            .any(|wt| wt.pending.as_ref().is_some_and(|(k, _)| k == key))
    }

    /// A decode of `key` finished (`jobs` no longer holds it).
    pub fn on_decoded(
        &mut self,
        key: FrameKey,
        result: Result<Cached<Meta>, ImageError>,
        jobs: &mut Jobs,
        now: Instant,
    ) -> Vec<Action<R>> {
        match result {
            Ok(frame) => {
                let wanted = self.is_wanted(&key);
                // A frame someone waits for goes in as wanted (prefetched frames make room for
                // it; the budget is never below two frames, so it always fits). Room is made
                // beside the memory granted to the decodes still in flight.
                let bytes = frame.pixels.capacity() as u64;
                self.cache.make_room(jobs.granted + bytes, wanted);
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
                        self.deliver(waiting.to, waiting.display, key.clone(), item);
                    } else {
                        // Unreachable with the budget floor of `effective_budget`; answer
                        // rather than decode the same photo again and again.
                        let message = format!("no room in the frame cache for {key}");
                        self.out.push(Action::Fail {
                            to: waiting.to,
                            message,
                        });
                    }
                }
            }
            Err(ImageError::Deferred) => {
                // No memory was free for it: not the photo's fault. A request waiting for it
                // gets a fresh job (wanted jobs are always admitted); a prefetch is dropped
                // until a delivery frees memory.
                if self.is_wanted(&key) {
                    jobs.add(key.clone());
                    self.out.push(Action::Decode(key));
                } else {
                    self.prefetch_held = true;
                }
            }
            Err(e) => {
                self.skip(&key.path, &e);
                let failed =
                    |wt: &Waiting<R>| wt.pending.as_ref().is_some_and(|(k, _)| k.path == key.path);
                self.retry_waiting(failed, jobs, now);
            }
        }
        self.plan_prefetch(jobs);
        self.take()
    }

    /// Decodes given up on as too slow: skipped like any failure.
    pub fn on_overdue(
        &mut self,
        keys: &[FrameKey],
        jobs: &mut Jobs,
        now: Instant,
    ) -> Vec<Action<R>> {
        let budget_ms = self.cfg.limits.time_budget_ms;
        for key in keys {
            self.skip(&key.path, &ImageError::TooSlow { budget_ms });
        }
        let failed = |wt: &Waiting<R>| {
            wt.pending
                .as_ref()
                .is_some_and(|(k, _)| keys.iter().any(|o| o.path == k.path))
        };
        self.retry_waiting(failed, jobs, now);
        self.plan_prefetch(jobs);
        self.take()
    }

    /// The scan found `paths`.
    pub fn on_batch(
        &mut self,
        paths: Vec<PathBuf>,
        jobs: &mut Jobs,
        now: Instant,
    ) -> Vec<Action<R>> {
        for path in paths {
            if !self.skipped.contains(&path) {
                self.playlist.add(path);
            }
        }
        self.progress(false, now);
        self.retry_waiting(|wt| wt.pending.is_none(), jobs, now);
        self.plan_prefetch(jobs);
        self.take()
    }

    /// The scan ended; `present` holds every file when the walk was complete (the others
    /// leave the playlist).
    pub fn on_scan_finished(
        &mut self,
        present: Option<HashSet<PathBuf>>,
        jobs: &mut Jobs,
        now: Instant,
    ) -> Vec<Action<R>> {
        self.scan_done = true;
        if let Some(present) = present {
            self.playlist.retain(|p| present.contains(p));
        }
        self.progress(true, now);
        self.out.push(Action::Save);
        self.saved();
        self.retry_waiting(|wt| wt.pending.is_none(), jobs, now);
        self.plan_prefetch(jobs);
        self.take()
    }

    fn progress(&mut self, done: bool, now: Instant) {
        if done || due(self.last_progress, now, PROGRESS_EVERY) {
            self.last_progress = Some(now);
            self.out.push(Action::Progress {
                found: self.playlist.len() as u64,
                done,
            });
        }
    }

    /// A decode job of `key` (`None`: abandoned meanwhile) asks for `bytes` more, beside the
    /// `granted` ones of all jobs: make room in the cache, or postpone it (see [`admit`]).
    pub fn on_need(&mut self, key: Option<&FrameKey>, bytes: u64, granted: u64) -> bool {
        // An abandoned job's thread is surplus: let it stop.
        let Some(key) = key else {
            return false;
        };
        let wanted = self.is_wanted(key);
        let fits = self.cache.make_room(granted + bytes, wanted);
        admit(wanted, fits)
    }

    /// Queues decodes for what the displays will show next, within the cache budget.
    pub fn prefetch(&mut self, jobs: &mut Jobs) -> Vec<Action<R>> {
        self.plan_prefetch(jobs);
        self.take()
    }

    fn plan_prefetch(&mut self, jobs: &mut Jobs) {
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
            for path in upcoming.iter().take(depth).chain(peeked.iter()) {
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
            if jobs.is_busy() {
                break;
            }
            if self.cache.contains(&key) || jobs.has(&key) {
                continue;
            }
            let bytes = u64::from(key.width) * u64::from(key.height) * 4;
            let in_flight = jobs.keys.len() as u64 + 1;
            if !self.cache.has_room_for_pending(bytes * in_flight) {
                break;
            }
            jobs.add(key.clone());
            self.out.push(Action::Prefetch(key));
        }
    }

    /// Periodic decisions: save the position once it has been dirty for [`SAVE_EVERY`].
    pub fn tick(&mut self, now: Instant) -> Vec<Action<R>> {
        if self
            .dirty_since
            .is_some_and(|t| due(Some(t), now, SAVE_EVERY))
        {
            self.out.push(Action::Save);
            self.saved();
        }
        self.take()
    }
}
