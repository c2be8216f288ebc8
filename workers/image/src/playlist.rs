//! The shuffle: every photo once per cycle, in an order that survives restarts, plus a short
//! browser-like history, and the local/feed [`MixPolicy`].
//!
//! **Order.** Within cycle `c` every photo has the key `xxh3(seed, c, hash(path))`, where
//! `hash(path)` is xxh3 of the path's lossless OS bytes; [`Playlist::next`] returns the unshown
//! photo with the smallest key. The order is thus a pure function of (seed, cycle, set of
//! paths), not of the order the streaming scan adds paths in, which is what lets it survive a
//! restart: only the seed, the cycle, the hashes shown in this cycle and the history are saved,
//! and after a load plus adding the same paths (in any order) the rest of the cycle is exactly
//! what it would have been. Unshown photos sit in a `BTreeSet` ordered by key, so `add` and
//! `next` are O(log n) for 100,000 photos.
//!
//! **Cycles.** When every photo was shown the cycle number goes up, all photos are unshown
//! again with fresh keys, and if the new cycle would start with the photo just shown, its first
//! two photos swap: no photo is shown twice in a row while there are two or more.
//!
//! **History.** The last [`HISTORY_MAX`] photos shown, with a cursor: [`Playlist::previous`]
//! walks back, and [`Playlist::next`] first walks forward again before taking new photos, like
//! a browser's back and forward. `previous` at the oldest entry returns `None` (the caller keeps
//! showing what it shows).
//!
//! File format (`IWPL`, version 1, see `statefile.rs`): postcard-encoded
//! `{ seed, cycle, shown: sorted u64 LE hashes as one blob, history: [{ path bytes, position }],
//! cursor }`. 100,000 shown photos make an 800 kB file; no path list is stored.

mod mix;

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};

pub use self::mix::MixPolicy;
pub use crate::statefile::StateError;
use crate::statefile::{self, Bytes, bytes_to_os, os_to_bytes};

const MAGIC: [u8; 4] = *b"IWPL";
const VERSION: u32 = 1;

/// How many shown photos the history keeps (and saves).
pub const HISTORY_MAX: usize = 100;

/// One photo to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The file.
    pub path: PathBuf,
    /// 1-based position in the cycle it was shown in, and that cycle's size at that moment.
    /// An entry replayed from the history keeps the position it had when first shown.
    pub position: (u64, u64),
}

/// The shuffled, persistent playlist of local photos.
#[derive(Clone)]
pub struct Playlist {
    seed: u64,
    cycle: u64,
    /// Every photo, by path hash.
    items: HashMap<u64, PathBuf>,
    /// (key in this cycle, path hash) of photos not shown in this cycle.
    unshown: BTreeSet<(u64, u64)>,
    /// Path hashes shown in this cycle. After a load it also holds hashes of photos the scan
    /// has not added back yet, which is how they stay shown once it does.
    shown: HashSet<u64>,
    history: VecDeque<Entry>,
    /// How many history entries are at or before the current one; `history.len()` unless the
    /// user went back.
    cursor: usize,
}

impl Playlist {
    /// An empty playlist in cycle 0.
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            cycle: 0,
            items: HashMap::new(),
            unshown: BTreeSet::new(),
            shown: HashSet::new(),
            history: VecDeque::new(),
            cursor: 0,
        }
    }

    /// The playlist saved at `path`, still without photos (add them from the scan). A missing
    /// file gives a fresh playlist with `fallback_seed`; so does an unusable one, after it is
    /// moved aside to `<name>.corrupt` with one warning. Never fails.
    pub fn load(path: &Path, fallback_seed: u64) -> Self {
        const WHAT: &str = "playlist state";
        let Some(payload) = statefile::read_or_quarantine(path, MAGIC, VERSION, WHAT) else {
            return Self::new(fallback_seed);
        };
        match Self::decode(&payload) {
            Ok(playlist) => playlist,
            Err(err) => {
                statefile::quarantine(path, &err, WHAT);
                Self::new(fallback_seed)
            }
        }
    }

    /// Saves the position (seed, cycle, shown hashes, history) atomically.
    pub fn save(&self, path: &Path) -> Result<(), StateError> {
        let mut shown: Vec<u64> = self.shown.iter().copied().collect();
        shown.sort_unstable();
        let file = PlaylistFile {
            seed: self.seed,
            cycle: self.cycle,
            shown: Bytes(shown.iter().flat_map(|h| h.to_le_bytes()).collect()),
            history: self
                .history
                .iter()
                .map(|e| HistoryFile {
                    path: Bytes(os_to_bytes(e.path.as_os_str())),
                    position: e.position,
                })
                .collect(),
            cursor: self.cursor as u64,
        };
        let payload = postcard::to_stdvec(&file)
            .map_err(|e| StateError::Corrupt(format!("cannot encode the playlist: {e}")))?;
        statefile::write_state(path, MAGIC, VERSION, &payload)
    }

    /// Adds a photo; `false` if it is already there. A photo added mid-cycle joins the current
    /// cycle at its key's place (unless the saved state says it was already shown in it).
    /// Two paths with the same 64-bit hash count as one (about one chance in 10⁹ for a
    /// 100,000-photo library).
    pub fn add(&mut self, path: PathBuf) -> bool {
        let hash = path_hash(&path);
        if self.items.contains_key(&hash) {
            return false;
        }
        if !self.shown.contains(&hash) {
            self.unshown.insert((self.key(self.cycle, hash), hash));
        }
        self.items.insert(hash, path);
        true
    }

    /// Drops the photos `keep` rejects, from the cycle and from the history, so they are never
    /// returned again (unless added again). Safe at any time, also while a scan is still adding
    /// photos back after a load: shown marks are kept until the cycle ends (they are what keeps
    /// the order exact across a restart), so a photo removed and added back within one cycle is
    /// not shown twice in it.
    pub fn retain(&mut self, keep: impl Fn(&Path) -> bool) {
        let gone: Vec<u64> = self
            .items
            .iter()
            .filter(|(_, path)| !keep(path))
            .map(|(&hash, _)| hash)
            .collect();
        for hash in gone {
            self.items.remove(&hash);
            self.unshown.remove(&(self.key(self.cycle, hash), hash));
        }
        self.retain_history(keep);
    }

    /// Drops one photo (say, a file that failed to decode), as [`Playlist::retain`] would, in
    /// O(log n) plus the history. `false` if it was not in the playlist.
    pub fn remove(&mut self, path: &Path) -> bool {
        let hash = path_hash(path);
        let was_there = self.items.remove(&hash).is_some();
        if was_there {
            self.unshown.remove(&(self.key(self.cycle, hash), hash));
        }
        // Also when it was not (yet) added: a loaded history may still name it.
        self.retain_history(|p| p != path);
        was_there
    }

    /// Drops history entries `keep` rejects; the cursor stays on the same entry, or on the
    /// nearest older one kept when its own is dropped.
    fn retain_history(&mut self, keep: impl Fn(&Path) -> bool) {
        let mut at = 0;
        let mut kept_before_cursor = 0;
        let cursor = self.cursor;
        self.history.retain(|e| {
            let kept = keep(&e.path);
            if kept && at < cursor {
                kept_before_cursor += 1;
            }
            at += 1;
            kept
        });
        self.cursor = kept_before_cursor;
    }

    /// The next photo: the next history entry if the user went back, else the unshown photo
    /// with the smallest key, starting a new cycle when all were shown. `None` only when the
    /// playlist is empty (and there is no history to walk forward through).
    // Not an `Iterator`: the sequence is endless, and `previous`/`peek` make it a cursor.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Option<Entry> {
        if self.cursor < self.history.len() {
            self.cursor += 1;
            return self.history.get(self.cursor - 1).cloned();
        }
        if self.items.is_empty() {
            return None;
        }
        if self.unshown.is_empty() {
            self.start_cycle(self.cycle + 1);
        }
        let pick = pick(self.unshown.iter().map(|&(_, h)| h), self.last_hash())?;
        self.unshown.remove(&(self.key(self.cycle, pick), pick));
        self.shown.insert(pick);
        let path = self.items.get(&pick)?.clone();
        let size = self.items.len() as u64;
        let entry = Entry {
            path,
            position: (size - self.unshown.len() as u64, size),
        };
        self.history.push_back(entry.clone());
        if self.history.len() > HISTORY_MAX {
            self.history.pop_front();
        }
        self.cursor = self.history.len();
        Some(entry)
    }

    /// The photo shown before the current one, moving the history cursor back; `None` at the
    /// oldest entry (the cursor stays).
    pub fn previous(&mut self) -> Option<Entry> {
        if self.cursor <= 1 {
            return None;
        }
        self.cursor -= 1;
        self.history.get(self.cursor - 1).cloned()
    }

    /// Exactly the paths the next `n` calls of [`Playlist::next`] would return, with no `add`,
    /// `retain` or `previous` in between (fewer only when the playlist is empty). For
    /// prefetching; costs O(n) within the cycle and O(len) per cycle boundary crossed.
    pub fn peek(&self, n: usize) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = self
            .history
            .iter()
            .skip(self.cursor)
            .take(n)
            .map(|e| e.path.clone())
            .collect();
        if self.items.is_empty() {
            return out;
        }
        let mut last = self.last_hash();
        let mut emit = |order: &mut dyn Iterator<Item = u64>, out: &mut Vec<PathBuf>| {
            for hash in swap_if_repeat(order, last) {
                if out.len() >= n {
                    return;
                }
                if let Some(path) = self.items.get(&hash) {
                    out.push(path.clone());
                    last = Some(hash);
                }
            }
        };
        emit(&mut self.unshown.iter().map(|&(_, h)| h), &mut out);
        let mut cycle = self.cycle;
        while out.len() < n {
            cycle += 1;
            // Only the first `want` keys of the next cycle can be needed (one more for a
            // possible swap), so select them instead of sorting all.
            let want = (n - out.len() + 1).min(self.items.len());
            let mut keys: Vec<(u64, u64)> = self
                .items
                .keys()
                .map(|&h| (self.key(cycle, h), h))
                .collect();
            if want < keys.len() {
                keys.select_nth_unstable(want);
                keys.truncate(want);
            }
            keys.sort_unstable();
            emit(&mut keys.iter().map(|&(_, h)| h), &mut out);
        }
        out
    }

    /// How many photos.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when there are no photos.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The current cycle, from 0.
    pub fn cycle(&self) -> u64 {
        self.cycle
    }

    /// The shuffle seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Photos not yet shown in this cycle.
    pub fn remaining(&self) -> usize {
        self.unshown.len()
    }

    /// Shown marks of this cycle whose photo is not in the playlist: photos from a loaded state
    /// the scan has not added back (yet), or removed ones. While the first scan after a restart
    /// runs, a `next` that finds nothing unshown while this is non-zero starts a new cycle
    /// although unshown photos may still come; a caller may prefer to wait for the scan.
    pub fn pending_marks(&self) -> usize {
        self.shown.len()
            - self
                .shown
                .iter()
                .filter(|h| self.items.contains_key(h))
                .count()
    }

    fn key(&self, cycle: u64, hash: u64) -> u64 {
        let mut input = [0u8; 16];
        input[..8].copy_from_slice(&cycle.to_le_bytes());
        input[8..].copy_from_slice(&hash.to_le_bytes());
        xxh3_64_with_seed(&input, self.seed)
    }

    fn start_cycle(&mut self, cycle: u64) {
        self.cycle = cycle;
        self.shown.clear();
        self.unshown = self
            .items
            .keys()
            .map(|&h| (self.key(cycle, h), h))
            .collect();
    }

    /// The photo last taken as new: a new cycle must not start with it.
    fn last_hash(&self) -> Option<u64> {
        self.history.back().map(|e| path_hash(&e.path))
    }

    fn decode(payload: &[u8]) -> Result<Self, StateError> {
        let corrupt = |what: &str| StateError::Corrupt(format!("playlist: {what}"));
        let file: PlaylistFile =
            postcard::from_bytes(payload).map_err(|e| corrupt(&e.to_string()))?;
        let (chunks, rest) = file.shown.0.as_chunks::<8>();
        if !rest.is_empty() {
            return Err(corrupt("the shown set is not a whole number of hashes"));
        }
        let mut playlist = Self::new(file.seed);
        playlist.cycle = file.cycle;
        playlist.shown = chunks.iter().map(|c| u64::from_le_bytes(*c)).collect();
        if file.history.len() > HISTORY_MAX {
            return Err(corrupt("history too long"));
        }
        for h in file.history {
            let path = bytes_to_os(&h.path.0).ok_or_else(|| corrupt("undecodable path"))?;
            playlist.history.push_back(Entry {
                path: PathBuf::from(path),
                position: h.position,
            });
        }
        playlist.cursor = usize::try_from(file.cursor)
            .ok()
            .filter(|&c| c <= playlist.history.len())
            .ok_or_else(|| corrupt("history cursor out of range"))?;
        Ok(playlist)
    }
}

impl fmt::Debug for Playlist {
    // The photo list can be 100,000 paths long; a summary is what a log needs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Playlist")
            .field("seed", &self.seed)
            .field("cycle", &self.cycle)
            .field("len", &self.items.len())
            .field("remaining", &self.unshown.len())
            .field("history", &self.history.len())
            .field("cursor", &self.cursor)
            .finish()
    }
}

/// The path's identity in the playlist and its state file: stable across runs and platforms'
/// string quirks because it hashes the lossless OS bytes.
fn path_hash(path: &Path) -> u64 {
    xxh3_64(&os_to_bytes(path.as_os_str()))
}

/// The first pick of an order: its first element, or its second when the first is `last`.
fn pick(mut order: impl Iterator<Item = u64>, last: Option<u64>) -> Option<u64> {
    let first = order.next()?;
    if Some(first) == last {
        return order.next().or(Some(first));
    }
    Some(first)
}

/// The order `next` takes photos in, given the key order and the photo shown last: the key
/// order with its first two swapped when the first is `last`. (After that first pick, the
/// smallest key left is never the photo just taken.)
fn swap_if_repeat(
    order: &mut dyn Iterator<Item = u64>,
    last: Option<u64>,
) -> impl Iterator<Item = u64> {
    let first = order.next();
    let head: Vec<u64> = match first {
        Some(f) if Some(f) == last => match order.next() {
            Some(second) => vec![second, f],
            None => vec![f],
        },
        Some(f) => vec![f],
        None => vec![],
    };
    head.into_iter().chain(order)
}

#[derive(Serialize, Deserialize)]
struct PlaylistFile {
    seed: u64,
    cycle: u64,
    shown: Bytes,
    history: Vec<HistoryFile>,
    cursor: u64,
}

#[derive(Serialize, Deserialize)]
struct HistoryFile {
    path: Bytes,
    position: (u64, u64),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pick_and_swap_rules() {
        // (key order, photo shown last, first pick, whole order taken)
        type Case<'a> = (&'a [u64], Option<u64>, Option<u64>, &'a [u64]);
        let cases: &[Case] = &[
            (&[], None, None, &[]),
            (&[1, 2, 3], None, Some(1), &[1, 2, 3]),
            (&[1, 2, 3], Some(9), Some(1), &[1, 2, 3]),
            (&[1, 2, 3], Some(1), Some(2), &[2, 1, 3]),
            (&[1, 2, 3], Some(2), Some(1), &[1, 2, 3]),
            (&[1], Some(1), Some(1), &[1]),
        ];
        for (order, last, first, full) in cases {
            assert_eq!(
                pick(order.iter().copied(), *last),
                *first,
                "{order:?} {last:?}"
            );
            let got: Vec<u64> = swap_if_repeat(&mut order.iter().copied(), *last).collect();
            assert_eq!(&got, full, "{order:?} {last:?}");
        }
    }

    #[test]
    fn keys_depend_on_seed_and_cycle() {
        let a = Playlist::new(1);
        let b = Playlist::new(2);
        assert_ne!(a.key(0, 5), a.key(1, 5));
        assert_ne!(a.key(0, 5), b.key(0, 5));
        assert_eq!(a.key(3, 5), Playlist::new(1).key(3, 5));
    }

    #[test]
    fn decode_rejects_inconsistent_state() {
        let base = PlaylistFile {
            seed: 1,
            cycle: 0,
            shown: Bytes(vec![0; 16]),
            history: vec![HistoryFile {
                path: Bytes(b"a.jpg".to_vec()),
                position: (1, 1),
            }],
            cursor: 1,
        };
        let enc = |f: &PlaylistFile| postcard::to_stdvec(f).expect("encode");
        assert!(Playlist::decode(&enc(&base)).is_ok());
        let odd = PlaylistFile {
            shown: Bytes(vec![0; 9]),
            ..clone_file(&base)
        };
        assert!(matches!(
            Playlist::decode(&enc(&odd)),
            Err(StateError::Corrupt(_))
        ));
        let cursor = PlaylistFile {
            cursor: 2,
            ..clone_file(&base)
        };
        assert!(matches!(
            Playlist::decode(&enc(&cursor)),
            Err(StateError::Corrupt(_))
        ));
        assert!(matches!(
            Playlist::decode(&[1, 2]),
            Err(StateError::Corrupt(_))
        ));
    }

    fn clone_file(f: &PlaylistFile) -> PlaylistFile {
        PlaylistFile {
            seed: f.seed,
            cycle: f.cycle,
            shown: f.shown.clone(),
            history: f
                .history
                .iter()
                .map(|h| HistoryFile {
                    path: h.path.clone(),
                    position: h.position,
                })
                .collect(),
            cursor: f.cursor,
        }
    }
}
