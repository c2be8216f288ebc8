//! The streaming, recursive folder scanner.
//!
//! [`scan`] walks the roots depth-first with entries sorted per folder (so the order, and the
//! first photo shown, are stable), and streams what it finds to a sink in small batches, so the
//! worker can show a photo long before a large library is fully walked. It skips hidden entries,
//! non-regular files and unwanted extensions; it follows symbolic links only when asked, and
//! then refuses to enter a folder twice, which ends symlink (and bind-mount) loops.
//!
//! With the previous run's [`Index`] it re-lists only folders whose mtime changed; the rest
//! reuse their cached names (see [`crate::index`]).
//!
//! **Failure domain:** nothing a folder does (vanishing mid-walk, refusing to be read, looping)
//! stops the walk; each problem is one [`ScanEvent::Warning`] and the walk goes on.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::ffi::{OsStr, OsString};
use std::fs::{self, Metadata};
use std::io;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use idlewild_protocol::message::image::SourceConfig;
use xxhash_rust::xxh3::Xxh3;

use crate::index::{DirRecord, Index};
use crate::sources::{ExtensionSet, SourceError, effective_folders};
use crate::statefile::os_to_bytes;

/// The most paths in one [`ScanEvent::Batch`].
pub const BATCH_MAX: usize = 256;

/// Found paths are never held back longer than this; a walk that finds nothing sends an empty
/// batch this often, so the sink still gets the chance to stop it.
pub const BATCH_INTERVAL: Duration = Duration::from_millis(50);

/// A folder whose mtime is this close to the scan's start is listed again next time even if its
/// mtime looks unchanged: an entry added right after our listing, within the file system's
/// timestamp granularity (2 s on FAT), would leave the mtime as it was.
pub(crate) const RACY_WINDOW: Duration = Duration::from_secs(2);

/// What to scan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanOptions {
    /// Folders walked recursively, in this order. A root is followed even if it is a link.
    pub roots: Vec<PathBuf>,
    /// The file extensions taken.
    pub extensions: ExtensionSet,
    /// Follow symbolic links (to files and folders) below the roots.
    pub follow_symlinks: bool,
}

impl ScanOptions {
    /// The options for a source configuration: its effective folders (defaults when none are
    /// configured, `~` expanded), its extensions, its symlink flag.
    pub fn from_config(config: &SourceConfig) -> Result<Self, SourceError> {
        Ok(Self {
            roots: effective_folders(&config.folders),
            extensions: ExtensionSet::new(&config.extensions)?,
            follow_symlinks: config.follow_symlinks,
        })
    }

    /// A hash of everything that decides what a folder's listing contains. An index built with
    /// another fingerprint is not reused.
    pub fn fingerprint(&self) -> u64 {
        let mut h = Xxh3::new();
        h.update(b"idlewild-scan-v1");
        h.update(&(self.roots.len() as u64).to_le_bytes());
        for root in &self.roots {
            let bytes = os_to_bytes(root.as_os_str());
            h.update(&(bytes.len() as u64).to_le_bytes());
            h.update(&bytes);
        }
        for ext in self.extensions.as_slice() {
            h.update(ext.as_bytes());
            h.update(b"\0");
        }
        h.update(&[u8::from(self.follow_symlinks)]);
        h.digest()
    }
}

/// What the scanner tells its sink, in walk order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScanEvent {
    /// Image files found, at most [`BATCH_MAX`]. Empty when it only gives the sink a chance to
    /// stop a long walk that finds nothing.
    Batch(Vec<PathBuf>),
    /// A problem with one path; the walk goes on.
    Warning {
        /// The root or folder concerned.
        path: PathBuf,
        /// What went wrong, for the log.
        message: String,
    },
    /// The walk finished (not sent when the sink stopped it).
    Done(ScanSummary),
}

/// Counters of one scan.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScanSummary {
    /// Image files found.
    pub files: u64,
    /// Folders walked (listed or reused), roots included.
    pub dirs: u64,
    /// Of those, folders whose cached listing was reused.
    pub reused_dirs: u64,
    /// Warnings sent.
    pub warnings: u64,
    /// Wall time of the walk.
    pub elapsed: Duration,
}

/// Walks `opts.roots`, streaming events to `sink`, and returns the new index.
///
/// `previous` (normally the index loaded from the last run) is reused only when it was built
/// with the same options fingerprint. When `sink` returns `Break`, the walk stops at once, no
/// further event (not even `Done`) is sent, and the returned index is marked incomplete.
pub fn scan(
    opts: &ScanOptions,
    previous: Option<&Index>,
    sink: &mut dyn FnMut(ScanEvent) -> ControlFlow<()>,
) -> Index {
    let fingerprint = opts.fingerprint();
    let reuse: HashMap<&Path, &DirRecord> = previous
        .filter(|p| p.fingerprint == fingerprint)
        .map(|p| p.dirs.iter().map(|d| (d.path.as_path(), d)).collect())
        .unwrap_or_default();
    let mut walker = Walker {
        opts,
        reuse,
        sink,
        started: Instant::now(),
        last_emit: Instant::now(),
        racy_after_ns: racy_after_ns(SystemTime::now()),
        batch: Vec::new(),
        visited: HashMap::new(),
        parents: Vec::new(),
        index: Index::new(fingerprint),
        summary: ScanSummary::default(),
        stopped: false,
        listing_failed: false,
    };
    for root in &opts.roots {
        if walker.stopped {
            break;
        }
        walker.walk_root(root);
    }
    walker.finish()
}

/// A folder's identity, to notice a folder reached twice (overlapping roots, links, bind
/// mounts): (device, inode) on unix, the canonical path elsewhere.
#[cfg(unix)]
type DirId = (u64, u64);
#[cfg(not(unix))]
type DirId = PathBuf;

#[cfg(unix)]
fn dir_id(_path: &Path, meta: &Metadata) -> DirId {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn dir_id(path: &Path, _meta: &Metadata) -> DirId {
    fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// A subfolder waiting on the walk's stack.
struct Pending {
    path: PathBuf,
    /// Its parent's node (see `Walker::parents`).
    parent: usize,
}

struct Walker<'a> {
    opts: &'a ScanOptions,
    reuse: HashMap<&'a Path, &'a DirRecord>,
    sink: &'a mut dyn FnMut(ScanEvent) -> ControlFlow<()>,
    started: Instant,
    last_emit: Instant,
    /// Folder mtimes at or after this are too recent to trust next time (see `RACY_WINDOW`).
    racy_after_ns: i64,
    batch: Vec<PathBuf>,
    /// Every folder entered, with its node: an index into `parents`.
    visited: HashMap<DirId, usize>,
    /// Each node's parent node. Walking up from a folder tells a loop (the folder reached again
    /// is an ancestor) from a harmless second path to a folder already scanned.
    parents: Vec<Option<usize>>,
    index: Index,
    summary: ScanSummary,
    stopped: bool,
    listing_failed: bool,
}

impl Walker<'_> {
    fn walk_root(&mut self, root: &Path) {
        let meta = match fs::metadata(root) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                // A folder that is not there holds no photos: the index stays complete.
                return self.warn(root, "the folder does not exist".into());
            }
            Err(e) => {
                self.listing_failed = true;
                return self.warn(root, format!("cannot open the folder: {e}"));
            }
        };
        if !meta.is_dir() {
            return self.warn(root, "not a folder".into());
        }
        let mut stack = Vec::new();
        self.visit(root.to_path_buf(), &meta, None, &mut stack);
        while let Some(next) = stack.pop() {
            if self.stopped {
                return;
            }
            if let Some(meta) = self.stat_subdir(&next.path) {
                self.visit(next.path, &meta, Some(next.parent), &mut stack);
            }
        }
    }

    /// The metadata of a subfolder found by a listing (fresh or cached), if it still is a
    /// folder we may enter.
    fn stat_subdir(&mut self, path: &Path) -> Option<Metadata> {
        let meta = match fs::symlink_metadata(path) {
            Ok(m) => m,
            // Removed since the listing: its parent's mtime changed, the next scan sees it.
            Err(e) if e.kind() == io::ErrorKind::NotFound => return None,
            Err(e) => {
                self.listing_failed = true;
                self.warn(path, format!("cannot open the folder: {e}"));
                return None;
            }
        };
        if !meta.file_type().is_symlink() {
            return meta.is_dir().then_some(meta);
        }
        if !self.opts.follow_symlinks {
            return None;
        }
        // A link that broke since the listing is skipped quietly, as a fresh listing would.
        fs::metadata(path).ok().filter(Metadata::is_dir)
    }

    fn visit(
        &mut self,
        path: PathBuf,
        meta: &Metadata,
        parent: Option<usize>,
        stack: &mut Vec<Pending>,
    ) {
        let node = self.parents.len();
        match self.visited.entry(dir_id(&path, meta)) {
            Entry::Occupied(seen) => {
                let seen = *seen.get();
                if self.is_ancestor(seen, parent) {
                    self.warn(
                        &path,
                        "leads back to a folder that encloses it (a link loop); not followed"
                            .into(),
                    );
                } else {
                    tracing::debug!(path = %path.display(), "folder already scanned by another path");
                }
                return;
            }
            Entry::Vacant(slot) => {
                slot.insert(node);
            }
        }
        self.parents.push(parent);

        let mtime_ns = mtime_ns(meta);
        let cached = mtime_ns.and_then(|m| {
            self.reuse
                .get(path.as_path())
                .filter(|r| r.mtime_ns == Some(m))
                .map(|r| (r.files.clone(), r.subdirs.clone()))
        });
        let reused = cached.is_some();
        let (files, subdirs) = match cached {
            Some(names) => names,
            None => match list_dir(&path, self.opts) {
                Ok(names) => names,
                Err(e) => {
                    if e.kind() != io::ErrorKind::NotFound {
                        self.listing_failed = true;
                    }
                    return self.warn(&path, format!("cannot list the folder: {e}"));
                }
            },
        };
        self.summary.dirs += 1;
        self.summary.reused_dirs += u64::from(reused);

        let found: Vec<PathBuf> = files.iter().map(|name| path.join(name)).collect();
        stack.extend(subdirs.iter().rev().map(|name| Pending {
            path: path.join(name),
            parent: node,
        }));
        self.index.push(DirRecord {
            path,
            mtime_ns: mtime_ns.filter(|&m| m < self.racy_after_ns),
            files,
            subdirs,
        });
        for file in found {
            if self.stopped {
                return;
            }
            self.push_file(file);
        }
        if self.last_emit.elapsed() >= BATCH_INTERVAL {
            self.flush();
        }
    }

    /// Whether node `candidate` is `node` or one of its ancestors.
    fn is_ancestor(&self, candidate: usize, mut node: Option<usize>) -> bool {
        while let Some(n) = node {
            if n == candidate {
                return true;
            }
            node = self.parents.get(n).copied().flatten();
        }
        false
    }

    fn push_file(&mut self, path: PathBuf) {
        self.batch.push(path);
        self.summary.files += 1;
        if self.batch.len() >= BATCH_MAX || self.last_emit.elapsed() >= BATCH_INTERVAL {
            self.flush();
        }
    }

    /// Sends the pending batch, even an empty one (see [`BATCH_INTERVAL`]).
    fn flush(&mut self) {
        let batch = std::mem::take(&mut self.batch);
        self.emit(ScanEvent::Batch(batch));
    }

    fn warn(&mut self, path: &Path, message: String) {
        tracing::debug!(path = %path.display(), "scan: {message}");
        self.summary.warnings += 1;
        // Files found before the problem go first, so events stay in walk order.
        if !self.batch.is_empty() {
            self.flush();
        }
        self.emit(ScanEvent::Warning {
            path: path.to_path_buf(),
            message,
        });
    }

    fn emit(&mut self, event: ScanEvent) {
        if self.stopped {
            return;
        }
        self.last_emit = Instant::now();
        if (self.sink)(event).is_break() {
            self.stopped = true;
        }
    }

    fn finish(mut self) -> Index {
        if !self.batch.is_empty() {
            self.flush();
        }
        self.summary.elapsed = self.started.elapsed();
        self.index.complete = !self.stopped && !self.listing_failed;
        let summary = self.summary;
        self.emit(ScanEvent::Done(summary));
        self.index
    }
}

/// Lists one folder: the image files and the subfolders to walk, both sorted. Hidden entries,
/// non-regular files, unwanted extensions and (unless followed) links are left out.
fn list_dir(path: &Path, opts: &ScanOptions) -> io::Result<(Vec<OsString>, Vec<OsString>)> {
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    for entry in fs::read_dir(path)? {
        let entry = entry?;
        let name = entry.file_name();
        if is_hidden_name(&name) || has_hidden_attribute(&entry) {
            continue;
        }
        // An entry that vanished or cannot be stat'ed since the listing is simply not taken.
        let Ok(mut kind) = entry.file_type() else {
            continue;
        };
        if kind.is_symlink() {
            if !opts.follow_symlinks {
                continue;
            }
            // A dangling link is nothing to show; skipped quietly.
            match fs::metadata(entry.path()) {
                Ok(target) => kind = target.file_type(),
                Err(_) => continue,
            }
        }
        if kind.is_dir() {
            dirs.push(name);
        } else if kind.is_file() && opts.extensions.matches(Path::new(&name)) {
            files.push(name);
        }
    }
    files.sort_unstable();
    dirs.sort_unstable();
    Ok((files, dirs))
}

/// Dot files and dot folders are hidden by convention on every platform.
fn is_hidden_name(name: &OsStr) -> bool {
    name.as_encoded_bytes().first() == Some(&b'.')
}

/// Windows marks hidden and system entries (thumbnail caches, `desktop.ini`, recycle bins)
/// with attributes instead of names. The entry's metadata comes from the directory listing
/// itself on Windows, so this costs no extra system call.
#[cfg(windows)]
fn has_hidden_attribute(entry: &fs::DirEntry) -> bool {
    use std::os::windows::fs::MetadataExt;
    const FILE_ATTRIBUTE_HIDDEN: u32 = 0x2;
    const FILE_ATTRIBUTE_SYSTEM: u32 = 0x4;
    entry
        .metadata()
        .is_ok_and(|m| m.file_attributes() & (FILE_ATTRIBUTE_HIDDEN | FILE_ATTRIBUTE_SYSTEM) != 0)
}

#[cfg(not(windows))]
fn has_hidden_attribute(_entry: &fs::DirEntry) -> bool {
    false
}

/// Nanoseconds since the Unix epoch (negative before it), if the platform reports an mtime.
fn mtime_ns(meta: &Metadata) -> Option<i64> {
    time_ns(meta.modified().ok()?)
}

fn time_ns(t: SystemTime) -> Option<i64> {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_nanos()).ok(),
        Err(e) => i64::try_from(e.duration().as_nanos()).ok().map(|n| -n),
    }
}

/// The first mtime that is too recent to trust, for a scan starting at `now`. With a clock we
/// cannot read, nothing is trusted (every folder is listed next time).
fn racy_after_ns(now: SystemTime) -> i64 {
    time_ns(now)
        .and_then(|n| n.checked_sub(i64::try_from(RACY_WINDOW.as_nanos()).ok()?))
        .unwrap_or(i64::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn hidden_names() {
        for (name, hidden) in [
            (".git", true),
            (".a.jpg", true),
            ("a.jpg", false),
            ("a.", false),
        ] {
            assert_eq!(is_hidden_name(OsStr::new(name)), hidden, "{name}");
        }
    }

    #[test]
    fn time_conversion() {
        assert_eq!(time_ns(UNIX_EPOCH), Some(0));
        assert_eq!(time_ns(UNIX_EPOCH + Duration::from_nanos(5)), Some(5));
        assert_eq!(
            time_ns(UNIX_EPOCH - Duration::from_secs(1)),
            Some(-1_000_000_000)
        );
        let now = UNIX_EPOCH + Duration::from_secs(100);
        assert_eq!(racy_after_ns(now), 98_000_000_000);
    }

    #[test]
    fn fingerprint_depends_on_every_option() {
        let base = ScanOptions {
            roots: vec![PathBuf::from("/a"), PathBuf::from("/b")],
            extensions: ExtensionSet::all(),
            follow_symlinks: false,
        };
        let mut roots = base.clone();
        roots.roots.reverse();
        let mut exts = base.clone();
        exts.extensions = ExtensionSet::new(&["jpg".to_string()]).expect("valid");
        let mut follow = base.clone();
        follow.follow_symlinks = true;
        let mut joined = base.clone();
        joined.roots = vec![PathBuf::from("/a/b")];
        let all = [&base, &roots, &exts, &follow, &joined].map(ScanOptions::fingerprint);
        let unique: HashSet<u64> = all.iter().copied().collect();
        assert_eq!(unique.len(), all.len());
        assert_eq!(base.fingerprint(), base.clone().fingerprint());
    }
}
