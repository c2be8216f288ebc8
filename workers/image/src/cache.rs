//! The prepared-frame cache: display-ready RGBA frames, bounded by **bytes**, least recently
//! used first out.
//!
//! Entries are either *pending* (prefetched, not delivered yet) or *delivered*. Eviction takes
//! the least recently used delivered frame first; a pending frame is only ever dropped
//! explicitly (the prefetcher's plan changed), because evicting work that is about to be shown
//! would only make the worker decode it again. When the budget is full of pending frames, an
//! insert is refused: that is what bounds the prefetch backlog.
//!
//! **Invariant:** `bytes() <= budget()` after every call; the bytes counted are the capacity of
//! each frame's buffer, i.e. what it really holds on the heap.

use idlewild_protocol::message::image::ScaleOptions;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::PathBuf;

/// What identifies a prepared frame: the file (with its modification time and length, so an
/// edited photo is never served stale), the frame size and every scaling option.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FrameKey {
    /// The photo's path.
    pub path: PathBuf,
    /// Modification time of the file in ns since the epoch (0 if unknown).
    pub mtime_ns: u64,
    /// File length in bytes.
    pub len: u64,
    /// Frame width.
    pub width: u32,
    /// Frame height.
    pub height: u32,
    /// Scaling mode and options.
    pub scale: ScaleOptions,
}

impl fmt::Display for FrameKey {
    /// `path|scaled:WxH|mode`, the shape used in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}|scaled:{}x{}|{}{}{}",
            self.path.display(),
            self.width,
            self.height,
            self.scale.mode.name(),
            if self.scale.blur_bars { "+blur" } else { "" },
            if self.scale.sharpen { "+sharpen" } else { "" },
        )
    }
}

/// A cached frame: pixels plus whatever the caller wants to keep with them.
#[derive(Debug)]
pub struct Cached<M> {
    /// RGBA8 pixels, `width × height × 4` bytes.
    pub pixels: Vec<u8>,
    /// Caller's metadata (title, capture date, source size…).
    pub meta: M,
}

struct Slot<M> {
    frame: Cached<M>,
    bytes: u64,
    tick: u64,
    pending: bool,
}

/// Why an insert was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CacheFull {
    /// The frame alone is larger than the whole budget.
    #[error("a {bytes}-byte frame does not fit a {budget}-byte cache")]
    TooLarge {
        /// The frame's bytes.
        bytes: u64,
        /// The budget.
        budget: u64,
    },
    /// Only pending frames are left to evict.
    #[error("the cache is full of frames waiting to be shown")]
    Backlog,
}

/// A byte-bounded LRU of prepared frames.
pub struct FrameCache<M> {
    budget: u64,
    bytes: u64,
    pending_bytes: u64,
    tick: u64,
    slots: HashMap<FrameKey, Slot<M>>,
    /// Delivered entries by last use: the first is the next to evict.
    lru: BTreeMap<u64, FrameKey>,
    evictions: u64,
}

impl<M> FrameCache<M> {
    /// An empty cache holding at most `budget` bytes of pixels.
    pub fn new(budget: u64) -> Self {
        Self {
            budget,
            bytes: 0,
            pending_bytes: 0,
            tick: 0,
            slots: HashMap::new(),
            lru: BTreeMap::new(),
            evictions: 0,
        }
    }

    /// The byte budget.
    pub fn budget(&self) -> u64 {
        self.budget
    }

    /// Bytes held now.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Bytes held by pending (not yet delivered) frames.
    pub fn pending_bytes(&self) -> u64 {
        self.pending_bytes
    }

    /// Frames held.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// True when nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Delivered frames evicted so far.
    pub fn evictions(&self) -> u64 {
        self.evictions
    }

    /// True when `key` is cached (does not count as a use).
    pub fn contains(&self, key: &FrameKey) -> bool {
        self.slots.contains_key(key)
    }

    /// True when `key` is cached and still pending.
    pub fn is_pending(&self, key: &FrameKey) -> bool {
        self.slots.get(key).is_some_and(|s| s.pending)
    }

    /// Whether a frame of `bytes` could be inserted as pending now without refusing.
    pub fn has_room_for_pending(&self, bytes: u64) -> bool {
        self.pending_bytes + bytes <= self.budget
    }

    fn next_tick(&mut self) -> u64 {
        self.tick += 1;
        self.tick
    }

    /// Inserts a frame (replacing one with the same key), evicting least recently used
    /// delivered frames until it fits. A pending frame is protected from eviction until it is
    /// taken with [`FrameCache::deliver`].
    pub fn insert(
        &mut self,
        key: FrameKey,
        frame: Cached<M>,
        pending: bool,
    ) -> Result<(), CacheFull> {
        let bytes = frame.pixels.capacity() as u64;
        if bytes > self.budget {
            return Err(CacheFull::TooLarge {
                bytes,
                budget: self.budget,
            });
        }
        self.remove(&key);
        while self.bytes + bytes > self.budget {
            // A frame wanted now (not pending) outranks frames prefetched for later: those are
            // dropped, newest (furthest ahead) first, when nothing delivered is left to evict.
            if !self.evict_one() && (pending || !self.drop_newest_pending()) {
                return Err(CacheFull::Backlog);
            }
        }
        let tick = self.next_tick();
        if pending {
            self.pending_bytes += bytes;
        } else {
            self.lru.insert(tick, key.clone());
        }
        self.bytes += bytes;
        self.slots.insert(
            key,
            Slot {
                frame,
                bytes,
                tick,
                pending,
            },
        );
        Ok(())
    }

    fn evict_one(&mut self) -> bool {
        let Some((_, key)) = self.lru.pop_first() else {
            return false;
        };
        if let Some(slot) = self.slots.remove(&key) {
            self.bytes -= slot.bytes;
            self.evictions += 1;
        }
        true
    }

    /// Looks a frame up for showing: marks it delivered and most recently used.
    pub fn deliver(&mut self, key: &FrameKey) -> Option<&Cached<M>> {
        let tick = self.next_tick();
        let slot = self.slots.get_mut(key)?;
        if slot.pending {
            slot.pending = false;
            self.pending_bytes -= slot.bytes;
        } else {
            self.lru.remove(&slot.tick);
        }
        slot.tick = tick;
        self.lru.insert(tick, key.clone());
        Some(&slot.frame)
    }

    /// Removes a frame, pending or not.
    pub fn remove(&mut self, key: &FrameKey) -> Option<Cached<M>> {
        let slot = self.slots.remove(key)?;
        self.bytes -= slot.bytes;
        if slot.pending {
            self.pending_bytes -= slot.bytes;
        } else {
            self.lru.remove(&slot.tick);
        }
        Some(slot.frame)
    }

    /// Drops every pending frame that `keep` rejects (the prefetch plan changed).
    pub fn drop_pending(&mut self, keep: impl Fn(&FrameKey) -> bool) {
        let gone: Vec<FrameKey> = self
            .slots
            .iter()
            .filter(|(k, s)| s.pending && !keep(k))
            .map(|(k, _)| k.clone())
            .collect();
        for key in gone {
            self.remove(&key);
        }
    }

    /// Evicts delivered frames, least recently used first (and, with `allow_pending`, then
    /// pending frames, newest first) until `extra` more bytes fit within the budget. Returns
    /// whether they fit. Used to make room for memory that is not a frame (a decode in flight).
    pub fn make_room(&mut self, extra: u64, allow_pending: bool) -> bool {
        while self.bytes + extra > self.budget && self.evict_one() {}
        while allow_pending && self.bytes + extra > self.budget && self.drop_newest_pending() {}
        self.bytes + extra <= self.budget
    }

    /// Drops the most recently inserted pending frame; false when there is none.
    fn drop_newest_pending(&mut self) -> bool {
        let newest = self
            .slots
            .iter()
            .filter(|(_, s)| s.pending)
            .max_by_key(|(_, s)| s.tick)
            .map(|(k, _)| k.clone());
        newest.is_some_and(|key| self.remove(&key).is_some())
    }

    /// Changes the budget, evicting delivered frames (then pending ones, newest first) until
    /// the cache fits.
    pub fn set_budget(&mut self, budget: u64) {
        self.budget = budget;
        while self.bytes > self.budget && self.evict_one() {}
        while self.bytes > self.budget && self.drop_newest_pending() {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use idlewild_protocol::message::image::ScaleMode;

    fn key(name: &str, w: u32, h: u32, mode: ScaleMode) -> FrameKey {
        FrameKey {
            path: PathBuf::from(name),
            mtime_ns: 1,
            len: 10,
            width: w,
            height: h,
            scale: ScaleOptions {
                mode,
                ..ScaleOptions::default()
            },
        }
    }

    fn frame(bytes: usize) -> Cached<()> {
        Cached {
            pixels: Vec::with_capacity(bytes),
            meta: (),
        }
    }

    fn check(cache: &FrameCache<()>) {
        assert!(cache.bytes() <= cache.budget(), "byte bound exceeded");
        assert!(cache.pending_bytes() <= cache.bytes());
        let sum: u64 = cache.slots.values().map(|s| s.bytes).sum();
        assert_eq!(sum, cache.bytes(), "byte count is exact");
    }

    #[test]
    fn keys_distinguish_size_mode_options_and_file_version() {
        let base = key("a.jpg", 1920, 1080, ScaleMode::Fill);
        let mut variants = vec![
            key("a.jpg", 1280, 720, ScaleMode::Fill),
            key("a.jpg", 1080, 1920, ScaleMode::Fill),
            key("a.jpg", 1920, 1080, ScaleMode::Fit),
            key("a.jpg", 1920, 1080, ScaleMode::Shrink),
            key("b.jpg", 1920, 1080, ScaleMode::Fill),
        ];
        let mut blur = base.clone();
        blur.scale.blur_bars = !blur.scale.blur_bars;
        let mut sharpen = base.clone();
        sharpen.scale.sharpen = !sharpen.scale.sharpen;
        let mut edited = base.clone();
        edited.mtime_ns += 1;
        let mut grown = base.clone();
        grown.len += 1;
        variants.extend([blur, sharpen, edited, grown]);
        let mut cache = FrameCache::new(1 << 20);
        cache.insert(base.clone(), frame(10), false).unwrap();
        for v in &variants {
            assert!(!cache.contains(v), "{v} must not hit {base}");
        }
        assert!(cache.contains(&base));
        assert_eq!(base.to_string(), "a.jpg|scaled:1920x1080|fill+blur+sharpen");
    }

    #[test]
    fn byte_bound_is_never_exceeded_and_lru_goes_first() {
        let mut cache = FrameCache::new(100);
        for i in 0..10 {
            cache
                .insert(
                    key(&format!("{i}"), 1, 1, ScaleMode::Fill),
                    frame(30),
                    false,
                )
                .unwrap();
            check(&cache);
        }
        assert_eq!(cache.len(), 3);
        // 7, 8, 9 are left; using 7 makes 8 the least recently used.
        assert!(cache.deliver(&key("7", 1, 1, ScaleMode::Fill)).is_some());
        cache
            .insert(key("10", 1, 1, ScaleMode::Fill), frame(30), false)
            .unwrap();
        check(&cache);
        assert!(!cache.contains(&key("8", 1, 1, ScaleMode::Fill)));
        assert!(cache.contains(&key("7", 1, 1, ScaleMode::Fill)));
        assert_eq!(cache.evictions(), 8);
    }

    #[test]
    fn oversized_frames_are_refused() {
        let mut cache = FrameCache::new(100);
        assert_eq!(
            cache.insert(key("big", 1, 1, ScaleMode::Fill), frame(101), false),
            Err(CacheFull::TooLarge {
                bytes: 101,
                budget: 100
            })
        );
        check(&cache);
    }

    #[test]
    fn pending_frames_are_protected_and_bound_the_backlog() {
        let mut cache = FrameCache::new(100);
        cache
            .insert(key("shown", 1, 1, ScaleMode::Fill), frame(40), false)
            .unwrap();
        cache
            .insert(key("p1", 1, 1, ScaleMode::Fill), frame(40), true)
            .unwrap();
        // Needs room: the delivered frame goes, the pending one stays.
        cache
            .insert(key("p2", 1, 1, ScaleMode::Fill), frame(40), true)
            .unwrap();
        check(&cache);
        assert!(!cache.contains(&key("shown", 1, 1, ScaleMode::Fill)));
        assert!(cache.is_pending(&key("p1", 1, 1, ScaleMode::Fill)));
        assert!(!cache.has_room_for_pending(40));
        assert_eq!(
            cache.insert(key("p3", 1, 1, ScaleMode::Fill), frame(40), true),
            Err(CacheFull::Backlog)
        );
        check(&cache);
        // A frame wanted now is never refused for lack of room: pending ones make way.
        cache
            .insert(key("now", 1, 1, ScaleMode::Fill), frame(40), false)
            .unwrap();
        check(&cache);
        assert!(cache.contains(&key("p1", 1, 1, ScaleMode::Fill)));
        assert!(
            !cache.contains(&key("p2", 1, 1, ScaleMode::Fill)),
            "newest pending made way"
        );
        cache.remove(&key("now", 1, 1, ScaleMode::Fill));
        cache
            .insert(key("p2", 1, 1, ScaleMode::Fill), frame(40), true)
            .unwrap();
        // Delivering p1 makes it evictable again.
        assert!(cache.deliver(&key("p1", 1, 1, ScaleMode::Fill)).is_some());
        assert_eq!(cache.pending_bytes(), 40);
        cache
            .insert(key("p3", 1, 1, ScaleMode::Fill), frame(40), true)
            .unwrap();
        check(&cache);
        assert!(!cache.contains(&key("p1", 1, 1, ScaleMode::Fill)));
        cache.drop_pending(|k| k.path.as_path() == std::path::Path::new("p3"));
        assert!(!cache.contains(&key("p2", 1, 1, ScaleMode::Fill)));
        assert_eq!(cache.pending_bytes(), 40);
        check(&cache);
    }

    #[test]
    fn room_for_other_memory_comes_from_delivered_frames_first() {
        let mut cache = FrameCache::new(100);
        cache
            .insert(key("shown", 1, 1, ScaleMode::Fill), frame(30), false)
            .unwrap();
        cache
            .insert(key("next", 1, 1, ScaleMode::Fill), frame(30), true)
            .unwrap();
        assert!(cache.make_room(40, false), "40 free already");
        assert!(cache.contains(&key("shown", 1, 1, ScaleMode::Fill)));
        assert!(cache.make_room(70, false), "the delivered frame makes way");
        assert!(!cache.contains(&key("shown", 1, 1, ScaleMode::Fill)));
        assert!(
            !cache.make_room(71, false),
            "pending frames are kept for prefetching"
        );
        assert!(cache.contains(&key("next", 1, 1, ScaleMode::Fill)));
        assert!(cache.make_room(71, true), "but give way to a wanted decode");
        assert!(cache.is_empty());
        assert!(
            !cache.make_room(101, true),
            "more than the budget never fits"
        );
        check(&cache);
    }

    #[test]
    fn shrinking_the_budget_evicts_until_it_fits() {
        let mut cache = FrameCache::new(1000);
        for i in 0..5 {
            cache
                .insert(
                    key(&format!("d{i}"), 1, 1, ScaleMode::Fill),
                    frame(100),
                    false,
                )
                .unwrap();
            cache
                .insert(
                    key(&format!("p{i}"), 1, 1, ScaleMode::Fill),
                    frame(100),
                    true,
                )
                .unwrap();
        }
        cache.set_budget(250);
        check(&cache);
        assert_eq!(cache.bytes(), 200);
        // Delivered frames went first; of the pending ones the oldest (soonest shown) stay.
        assert!(cache.contains(&key("p0", 1, 1, ScaleMode::Fill)));
        assert!(cache.contains(&key("p1", 1, 1, ScaleMode::Fill)));
    }

    #[test]
    fn random_operations_keep_the_invariants() {
        let mut rng = fastrand::Rng::with_seed(7);
        let mut cache = FrameCache::new(10_000);
        for _ in 0..20_000 {
            let k = key(&format!("{}", rng.u32(0..50)), 1, 1, ScaleMode::Fill);
            match rng.u8(0..5) {
                0 | 1 => {
                    let _ = cache.insert(k, frame(rng.usize(1..3000)), rng.bool());
                }
                2 => {
                    cache.deliver(&k);
                }
                3 => {
                    cache.remove(&k);
                }
                _ => {
                    let cut = PathBuf::from(rng.u32(0..50).to_string());
                    cache.drop_pending(|k| k.path != cut);
                }
            }
            check(&cache);
        }
    }
}
