//! The session's small rules and the vocabulary between its decisions and its shell: the
//! [`Action`]s the shell performs, the pool as the decisions see it ([`Jobs`]), a file's
//! [`Stamp`], and pure functions (directions after a failure, memory admission, "is it due",
//! the "no photos" message, the cache budget), each table-tested in `tests.rs`.

use super::super::timeline::Item;
use idlewild_image::ImageError;
use idlewild_image::cache::FrameKey;
use idlewild_protocol::message::image::ImageConfig;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Scan progress is reported at most this often (plus the first batch and the end).
pub const PROGRESS_EVERY: Duration = Duration::from_millis(500);
/// The playlist position is saved at most this often while photos are being shown.
pub const SAVE_EVERY: Duration = Duration::from_secs(5);

/// Which way a request moves its display.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    /// The next photo (X).
    Forward,
    /// The previous photo (Z).
    Back,
    /// Show what the display stands on (after a failure during a step back).
    Stay,
}

/// What identifies a file's version in a [`FrameKey`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    /// Modification time in ns since the epoch (0 if unknown).
    pub mtime_ns: u64,
    /// Length in bytes.
    pub len: u64,
}

/// Reads a file's [`Stamp`] (the filesystem in production, a table in tests).
pub type Stat = fn(&Path) -> Result<Stamp, ImageError>;

/// The decode pool as the decisions see it: the keys queued or running, its thread count and
/// the memory granted to its jobs. Decisions to submit add to it, so that later decisions of
/// the same step see them.
#[derive(Clone, Debug, Default)]
pub struct Jobs {
    /// Keys of the jobs queued or running.
    pub keys: Vec<FrameKey>,
    /// Decode threads.
    pub threads: usize,
    /// Memory granted to the jobs in flight.
    pub granted: u64,
}

impl Jobs {
    pub(super) fn has(&self, key: &FrameKey) -> bool {
        self.keys.contains(key)
    }

    /// Every thread has a job: more would queue (and an urgent job would wait behind them).
    pub(super) fn is_busy(&self) -> bool {
        self.keys.len() >= self.threads
    }

    pub(super) fn add(&mut self, key: FrameKey) {
        self.keys.push(key);
    }
}

/// What the shell does for the core, in the order given.
#[derive(Debug, PartialEq)]
pub enum Action<R> {
    /// Copy the cached frame `key` (already marked delivered) into the frames slot and answer
    /// `to` with it.
    Deliver {
        to: R,
        display: u32,
        key: FrameKey,
        item: Item,
    },
    /// Answer `to` with an error.
    Fail { to: R, message: String },
    /// Answer `to`: there is nothing to show on `display`.
    NoImages {
        to: R,
        display: u32,
        message: String,
    },
    /// Start decoding `key`: a request waits for it.
    Decode(FrameKey),
    /// Start decoding `key` ahead of time.
    Prefetch(FrameKey),
    /// A photo failed for the first time: log it and tell the UI (`Skipped`).
    Skip {
        path: PathBuf,
        tag: &'static str,
        reason: String,
    },
    /// Tell the UI how far the scan got.
    Progress { found: u64, done: bool },
    /// Save the playlist position.
    Save,
}

/// The direction to serve a request again after the photo it waited for failed. The photo
/// left the timeline, which put the display back on the photo before it: going forward, the
/// next step lands on what followed the failed photo; going back, the photo before it is the
/// answer. A request that waited for the scan simply goes forward.
pub fn retry_dir(dir: Dir) -> Dir {
    match dir {
        Dir::Forward => Dir::Forward,
        Dir::Back | Dir::Stay => Dir::Stay,
    }
}

/// The direction to go on in after the photo a step landed on cannot even be looked at: a
/// step back already happened (the failed photo left the timeline), so show where it stands.
pub fn after_bad_photo(dir: Dir) -> Dir {
    match dir {
        Dir::Back => Dir::Stay,
        other => other,
    }
}

/// Whether a decode may have its memory: a job a request waits for always may (prefetched
/// frames give way, and a decode larger than the budget still runs); a prefetch only if it fits.
pub fn admit(wanted: bool, fits: bool) -> bool {
    fits || wanted
}

/// True when something done at `last` (never: `None`) is due again `every` later.
pub fn due(last: Option<Instant>, now: Instant, every: Duration) -> bool {
    last.is_none_or(|t| now.duration_since(t) >= every)
}

/// What the UI is told when the scan is done and no photo can be shown.
pub fn no_images_message(folders: &[PathBuf], skipped: usize) -> String {
    if folders.is_empty() {
        return "No photos to show: no photo folder is configured and none of the default \
                folders (Pictures, system wallpapers) exists. Add one with \
                `idlewild settings set sources.folders '[\"/path/to/photos\"]'`."
            .to_owned();
    }
    let folders: Vec<String> = folders.iter().map(|f| f.display().to_string()).collect();
    if skipped == 0 {
        format!("No photos found in {}.", folders.join(", "))
    } else {
        format!(
            "None of the {skipped} photos found in {} could be shown (see the log for why).",
            folders.join(", ")
        )
    }
}

/// The cache budget in force: the configured one, but never below two frames of the largest
/// display (the one shown and the one coming), so a wanted frame always fits.
pub fn effective_budget(cfg: &ImageConfig) -> u64 {
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
