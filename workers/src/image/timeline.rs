//! Per-display timelines: what each display has shown, where it stands, what comes next.
//!
//! With independent images every display walks its own timeline; with "same photo on every
//! monitor" all displays walk one shared timeline, each with its own cursor, so each display
//! shows the same sequence (scaled to its own size) even when their timers drift. A new photo
//! is drawn from the playlist only when a display steps past the end of its timeline; stepping
//! back (Z) and forward again (X) replays the timeline, like a browser's history.
//!
//! Pure data, no I/O: table-tested below.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Items kept per timeline; older ones are forgotten (Z can go back this far).
pub const HISTORY: usize = 200;

/// One shown (or about to be shown) photo and its place in the shuffle cycle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// The photo.
    pub path: PathBuf,
    /// 1-based position in its shuffle cycle, and the cycle's size then.
    pub position: (u64, u64),
}

#[derive(Default)]
struct Track {
    items: Vec<Item>,
}

/// The answer to "move this display forward".
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// The timeline already has the next item (after a step back, or another display of a
    /// shared timeline drew it).
    Existing(Item),
    /// The display is at the end: draw a new photo and [`Timelines::push`] it.
    NeedNew,
}

/// Timelines and cursors of all displays.
pub struct Timelines {
    shared: bool,
    tracks: HashMap<u32, Track>,
    /// Index of the item each display shows now (`None`: nothing yet).
    cursors: HashMap<u32, Option<usize>>,
}

impl Timelines {
    /// Timelines for `displays`; `shared`: one timeline for all of them.
    pub fn new(displays: &[u32], shared: bool) -> Self {
        Self {
            shared,
            tracks: HashMap::new(),
            cursors: displays.iter().map(|d| (*d, None)).collect(),
        }
    }

    fn track_id(&self, display: u32) -> u32 {
        if self.shared { u32::MAX } else { display }
    }

    fn track(&self, display: u32) -> Option<&Track> {
        self.tracks.get(&self.track_id(display))
    }

    /// Index of the item after the one `display` shows (0 before its first).
    fn next_index(&self, display: u32) -> usize {
        self.cursors
            .get(&display)
            .copied()
            .flatten()
            .map_or(0, |c| c + 1)
    }

    /// True when `display` is one of ours.
    pub fn knows(&self, display: u32) -> bool {
        self.cursors.contains_key(&display)
    }

    /// The item `display` shows now.
    pub fn current(&self, display: u32) -> Option<&Item> {
        let cursor = (*self.cursors.get(&display)?)?;
        self.track(display)?.items.get(cursor)
    }

    /// Moves `display` one step forward if its timeline already has a next item.
    pub fn advance(&mut self, display: u32) -> Step {
        let next = self.next_index(display);
        match self.track(display).and_then(|t| t.items.get(next)).cloned() {
            Some(item) => {
                self.cursors.insert(display, Some(next));
                Step::Existing(item)
            }
            None => Step::NeedNew,
        }
    }

    /// Appends a newly drawn item to `display`'s timeline and moves the display onto it.
    /// (Only valid right after [`Timelines::advance`] answered [`Step::NeedNew`].)
    pub fn push(&mut self, display: u32, item: Item) {
        let id = self.track_id(display);
        let track = self.tracks.entry(id).or_default();
        track.items.push(item);
        let mut index = track.items.len() - 1;
        if track.items.len() > HISTORY {
            track.items.remove(0);
            index -= 1;
            let shared = self.shared;
            for (d, cursor) in self.cursors.iter_mut() {
                if shared || *d == display {
                    *cursor = cursor.and_then(|c| c.checked_sub(1));
                }
            }
        }
        self.cursors.insert(display, Some(index));
    }

    /// Moves `display` one step back; `None` at the start of its history (it stays put).
    pub fn back(&mut self, display: u32) -> Option<Item> {
        let cursor = self.cursors.get(&display).copied().flatten()?;
        let previous = cursor.checked_sub(1)?;
        let item = self.track(display)?.items.get(previous)?.clone();
        self.cursors.insert(display, Some(previous));
        Some(item)
    }

    /// Items after `display`'s cursor that it will show before drawing new ones.
    pub fn upcoming(&self, display: u32) -> Vec<PathBuf> {
        let next = self.next_index(display);
        self.track(display)
            .map(|t| t.items.iter().skip(next).map(|i| i.path.clone()).collect())
            .unwrap_or_default()
    }

    /// Forgets every occurrence of `path` (it failed to decode). A display standing on a
    /// removed item steps back to the one before it, so its next `advance` lands on what
    /// followed the removed item.
    pub fn remove(&mut self, path: &Path) {
        let ids: Vec<u32> = self.tracks.keys().copied().collect();
        for id in ids {
            let Some(track) = self.tracks.get_mut(&id) else {
                continue;
            };
            while let Some(index) = track.items.iter().position(|i| i.path == path) {
                track.items.remove(index);
                let shared = self.shared;
                for (d, cursor) in self.cursors.iter_mut() {
                    if !(shared || *d == id) {
                        continue;
                    }
                    if let Some(c) = *cursor
                        && c >= index
                    {
                        *cursor = c.checked_sub(1);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(name: &str) -> Item {
        Item {
            path: PathBuf::from(name),
            position: (1, 1),
        }
    }

    fn forward(t: &mut Timelines, display: u32, draw: &mut impl FnMut() -> &'static str) -> String {
        match t.advance(display) {
            Step::Existing(i) => i.path.display().to_string(),
            Step::NeedNew => {
                let name = draw();
                t.push(display, item(name));
                name.to_owned()
            }
        }
    }

    #[test]
    fn independent_displays_draw_their_own_photos() {
        let mut t = Timelines::new(&[0, 1], false);
        let mut pool = ["a", "b", "c", "d"].into_iter();
        let mut draw = || pool.next().unwrap();
        assert_eq!(forward(&mut t, 0, &mut draw), "a");
        assert_eq!(forward(&mut t, 1, &mut draw), "b");
        assert_eq!(forward(&mut t, 0, &mut draw), "c");
        assert_eq!(t.back(0), Some(item("a")));
        assert_eq!(t.back(0), None, "start of history: stays put");
        assert_eq!(t.current(0), Some(&item("a")));
        assert_eq!(t.upcoming(0), vec![PathBuf::from("c")]);
        assert_eq!(forward(&mut t, 0, &mut draw), "c", "X after Z replays");
        assert_eq!(forward(&mut t, 0, &mut draw), "d");
        assert_eq!(t.current(1), Some(&item("b")));
    }

    #[test]
    fn shared_timeline_shows_the_same_sequence_on_every_display() {
        let mut t = Timelines::new(&[0, 1, 2], true);
        let mut pool = ["a", "b", "c"].into_iter();
        let mut draw = || pool.next().unwrap();
        let mut seen: HashMap<u32, Vec<String>> = HashMap::new();
        // Displays advance at different rates; each sees a, b, c in order.
        for d in [0, 1, 0, 2, 0, 1, 2, 1, 2] {
            seen.entry(d)
                .or_default()
                .push(forward(&mut t, d, &mut draw));
        }
        for d in 0..3 {
            assert_eq!(seen[&d], ["a", "b", "c"], "display {d}");
        }
    }

    #[test]
    fn removing_a_failed_photo_moves_on_to_the_next() {
        let mut t = Timelines::new(&[0], false);
        let mut pool = ["a", "bad", "c"].into_iter();
        let mut draw = || pool.next().unwrap();
        forward(&mut t, 0, &mut draw);
        forward(&mut t, 0, &mut draw);
        forward(&mut t, 0, &mut draw);
        t.back(0);
        t.back(0);
        assert_eq!(t.current(0), Some(&item("a")));
        // The display stands on "a"; "bad" ahead of it disappears.
        t.remove(Path::new("bad"));
        assert_eq!(t.advance(0), Step::Existing(item("c")));
        // Standing on a removed item: the next advance lands on what followed it.
        let mut t = Timelines::new(&[0], false);
        t.advance(0);
        t.push(0, item("x"));
        t.advance(0);
        t.push(0, item("y"));
        t.back(0);
        t.remove(Path::new("x"));
        assert_eq!(t.current(0), None);
        assert_eq!(t.advance(0), Step::Existing(item("y")));
    }

    #[test]
    fn history_is_bounded() {
        let mut t = Timelines::new(&[0], false);
        for i in 0..(HISTORY + 50) {
            assert_eq!(t.advance(0), Step::NeedNew);
            t.push(0, item(&i.to_string()));
        }
        assert_eq!(
            t.current(0).unwrap().path,
            PathBuf::from((HISTORY + 49).to_string())
        );
        let mut back = 0;
        while t.back(0).is_some() {
            back += 1;
        }
        assert_eq!(back, HISTORY - 1);
    }
}
