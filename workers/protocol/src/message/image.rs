//! Requests and responses of the image worker, and the plain data they carry.
//!
//! The UI sends one [`ImageConfig`] (sources, displays, scaling, limits, budgets) and then asks
//! for frames one display at a time ([`ImageRequest::Next`] / [`ImageRequest::Previous`]). The
//! worker answers [`ImageResponse::Frame`] once the frame is committed in its frames region; the
//! frames region is latest-wins, so the UI keeps **one frame request outstanding at a time** and
//! reads the slot before asking for the next one. Prefetched frames wait in the worker's own
//! byte-bounded cache, so answering a request costs one copy into the slot.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// How a photo is scaled to a display.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ScaleMode {
    /// Cover the whole display, cropping what overflows (centred).
    #[default]
    Fill,
    /// Show the whole photo, letterboxed or pillarboxed.
    Fit,
    /// Like `Fit`, but never enlarge a photo beyond its own pixel size.
    Shrink,
}

impl ScaleMode {
    /// The settings/CLI name.
    pub fn name(self) -> &'static str {
        match self {
            ScaleMode::Fill => "fill",
            ScaleMode::Fit => "fit",
            ScaleMode::Shrink => "shrink",
        }
    }
}

/// How to scale: the mode and its refinements. Part of every cache key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ScaleOptions {
    /// Fill, fit or shrink.
    pub mode: ScaleMode,
    /// Fit/shrink: fill the bars with a blurred, darkened, cover-scaled copy of the photo
    /// instead of black.
    pub blur_bars: bool,
    /// Sharpen lightly when the photo is downscaled by more than 2×.
    pub sharpen: bool,
}

impl Default for ScaleOptions {
    fn default() -> Self {
        Self {
            mode: ScaleMode::Fill,
            blur_bars: true,
            sharpen: true,
        }
    }
}

/// Limits that protect the worker from hostile or broken files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageLimits {
    /// Largest file read, in bytes.
    pub max_file_bytes: u64,
    /// Largest decoded image, in pixels (width × height as the header claims).
    pub max_pixels: u64,
    /// Largest decoded buffer, in bytes (all allocations of one decode together).
    pub max_decoded_bytes: u64,
    /// Wall-clock budget for decoding and scaling one image, in milliseconds.
    pub time_budget_ms: u32,
}

impl Default for ImageLimits {
    fn default() -> Self {
        Self {
            max_file_bytes: 200 << 20,
            max_pixels: 120_000_000,
            max_decoded_bytes: 1 << 30,
            time_budget_ms: 10_000,
        }
    }
}

/// Where photos come from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceConfig {
    /// Folders scanned recursively. Empty: the default folders (Pictures, system wallpapers).
    pub folders: Vec<PathBuf>,
    /// File extensions taken, lower case without the dot. Empty: every supported one.
    pub extensions: Vec<String>,
    /// Follow symbolic links to folders and files (with loop protection).
    pub follow_symlinks: bool,
}

/// One display the worker prepares frames for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DisplaySpec {
    /// The UI's id for the display (stable for the run).
    pub id: u32,
    /// Its size in physical pixels.
    pub width: u32,
    /// Its size in physical pixels.
    pub height: u32,
}

/// Everything the image worker needs to know; sent once after attach and again on any change
/// (a new configuration restarts the scan only when the sources changed).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImageConfig {
    /// Sources.
    pub sources: SourceConfig,
    /// Displays.
    pub displays: Vec<DisplaySpec>,
    /// Scaling.
    pub scale: ScaleOptions,
    /// Decode limits.
    pub limits: ImageLimits,
    /// Frames prepared ahead per display size.
    pub prefetch: u32,
    /// Byte budget of the prepared-frame cache (prefetched and recently shown frames).
    pub cache_bytes: u64,
    /// Every display walks the same sequence of photos (each scaled to its own size).
    pub same_on_all: bool,
    /// Share of feed photos in the mix, in percent (0: local only). Feeds arrive with the rss
    /// worker; until then the policy only ever finds local photos.
    pub feed_percent: u8,
    /// Folder for the worker's own state: scan index and playlist position.
    pub state_dir: PathBuf,
    /// Shuffle seed for a new playlist (`None`: random). The persisted playlist keeps its own.
    pub seed: Option<u64>,
}

/// Where a delivered photo came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SourceKind {
    /// A file in a local folder.
    Local,
    /// A photo mirrored from a feed.
    Feed,
}

/// What the UI learns about a delivered frame (the pixels are in the frames slot).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameInfo {
    /// The display it was prepared for.
    pub display: u32,
    /// Frame size (the display's size).
    pub width: u32,
    /// Frame size (the display's size).
    pub height: u32,
    /// The photo's own size after EXIF orientation.
    pub source_width: u32,
    /// The photo's own size after EXIF orientation.
    pub source_height: u32,
    /// Path (local) or URL (feed).
    pub source: String,
    /// A title: EXIF image description when present, else the file name without extension.
    pub title: String,
    /// Capture date from EXIF (`YYYY-MM-DD HH:MM:SS`), when the file has one.
    pub taken: Option<String>,
    /// Local or feed.
    pub kind: SourceKind,
    /// 1-based position in the current shuffle cycle and the cycle's size so far.
    pub position: (u64, u64),
}

/// Requests of the image worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ImageRequest {
    /// (Re)configure; answered with [`ImageResponse::Configured`]. Boxed: it is by far the
    /// largest request, and every queued message would otherwise be as large.
    Configure(Box<ImageConfig>),
    /// The next photo for a display (X, or the slideshow timer).
    Next {
        /// The display's id.
        display: u32,
    },
    /// The previous photo for a display (Z).
    Previous {
        /// The display's id.
        display: u32,
    },
    /// Counters; answered with [`ImageResponse::Status`].
    Status,
}

/// Worker-side counters, for tests, metrics and the `[PERF]` log.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageStatus {
    /// Images found by the scan so far.
    pub found: u64,
    /// True once the scan finished.
    pub scan_done: bool,
    /// Frames delivered.
    pub delivered: u64,
    /// Images skipped (unreadable, corrupt, over a limit, too slow).
    pub skipped: u64,
    /// Prepared frames in the cache and their bytes.
    pub cached: (u64, u64),
    /// Requests answered from the cache.
    pub cache_hits: u64,
    /// Requests that had to wait for a decode.
    pub cache_misses: u64,
    /// Decode threads given up on after they overran the time budget.
    pub abandoned: u64,
}

/// Responses (and notifications) of the image worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ImageResponse {
    /// The configuration is in force.
    Configured,
    /// A frame is committed in the frames region under `seq`.
    Frame {
        /// Its sequence number in the frames region.
        seq: u64,
        /// What it shows.
        info: FrameInfo,
    },
    /// There is nothing to show for the display: no photo was found (or every one failed).
    /// The UI shows `message` on screen instead of a black screen.
    NoImages {
        /// The display.
        display: u32,
        /// What to tell the user, in one or two sentences.
        message: String,
    },
    /// Unsolicited: an image was skipped (logged once per path by the worker too).
    Skipped {
        /// The path or URL.
        source: String,
        /// Why, in words.
        reason: String,
    },
    /// Unsolicited: scan progress (first batch, then at most every 500 ms, and at the end).
    Scan {
        /// Images found so far.
        found: u64,
        /// True once the scan finished.
        done: bool,
    },
    /// Answer to [`ImageRequest::Status`].
    Status(ImageStatus),
}
