//! The scan index: what the last scan found in each folder, saved between runs so the next
//! scan re-lists only folders whose modification time changed.
//!
//! One record per folder: its path, its mtime, and the names of the image files and
//! subfolders found in it. A folder's mtime changes whenever an entry is added, removed or
//! renamed in it (not when a file's content changes, which does not matter here), so an
//! unchanged mtime means the cached names are still right. Subfolders are still visited and
//! stat'ed, because a change deep down does not touch the mtimes above it.
//!
//! **Invariant:** a record is only reused by a scan with the same options fingerprint (roots,
//! extensions, symlink flag): a folder listed for `jpg` only says nothing about its `png`s.
//!
//! File format (`IWIX`, version 1, see `statefile.rs`): a postcard-encoded
//! `IndexFile { fingerprint, complete, dirs: [{ path, mtime_ns, files, subdirs }] }` with paths
//! and names as lossless OS bytes.

use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use crate::statefile::StateError;
use crate::statefile::{self, Bytes, bytes_to_os, os_to_bytes};

const MAGIC: [u8; 4] = *b"IWIX";
const VERSION: u32 = 1;

/// What one scan found: per folder, its image files and subfolders. Built by
/// [`crate::scan::scan`]; saved and loaded here.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Index {
    /// The fingerprint of the scan options it was built with.
    pub(crate) fingerprint: u64,
    /// False when the scan was stopped early or a folder could not be listed.
    pub(crate) complete: bool,
    /// In walk order, so [`Index::files`] yields files in the order the scan emitted them.
    pub(crate) dirs: Vec<DirRecord>,
    /// Total files over all records, kept so `len` is O(1).
    pub(crate) file_count: usize,
}

/// One folder as the scan saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DirRecord {
    /// The folder's path as reached by the walk (root joined with names).
    pub path: PathBuf,
    /// Nanoseconds since the Unix epoch; `None` when unknown, or too recent to trust (see
    /// `scan::RACY_WINDOW`). A record with `None` is never reused.
    pub mtime_ns: Option<i64>,
    /// Image file names, sorted.
    pub files: Vec<OsString>,
    /// Subfolder names (including followed links to folders), sorted.
    pub subdirs: Vec<OsString>,
}

impl Index {
    /// An empty index for the given options fingerprint.
    pub(crate) fn new(fingerprint: u64) -> Self {
        Self {
            fingerprint,
            complete: false,
            dirs: Vec::new(),
            file_count: 0,
        }
    }

    pub(crate) fn push(&mut self, record: DirRecord) {
        self.file_count += record.files.len();
        self.dirs.push(record);
    }

    /// Loads an index saved by [`Index::save`]. `Ok(None)` when there is none; `Corrupt` or
    /// `Version` when the file is unusable (see [`Index::load_or_none`] for the forgiving form).
    pub fn load(path: &Path) -> Result<Option<Index>, StateError> {
        match statefile::read_state(path, MAGIC, VERSION)? {
            None => Ok(None),
            Some(payload) => Self::decode(&payload).map(Some),
        }
    }

    /// Loads the index, treating any problem as "no index": a corrupt or foreign file is moved
    /// aside to `<name>.corrupt` with a warning. The scan then lists every folder afresh.
    pub fn load_or_none(path: &Path) -> Option<Index> {
        let payload = statefile::read_or_quarantine(path, MAGIC, VERSION, "scan index")?;
        match Self::decode(&payload) {
            Ok(index) => Some(index),
            Err(err) => {
                statefile::quarantine(path, &err, "scan index");
                None
            }
        }
    }

    /// Saves the index atomically.
    pub fn save(&self, path: &Path) -> Result<(), StateError> {
        let file = IndexFile {
            fingerprint: self.fingerprint,
            complete: self.complete,
            dirs: self
                .dirs
                .iter()
                .map(|d| DirFile {
                    path: Bytes(os_to_bytes(d.path.as_os_str())),
                    mtime_ns: d.mtime_ns,
                    files: d.files.iter().map(|n| Bytes(os_to_bytes(n))).collect(),
                    subdirs: d.subdirs.iter().map(|n| Bytes(os_to_bytes(n))).collect(),
                })
                .collect(),
        };
        let payload = postcard::to_stdvec(&file)
            .map_err(|e| StateError::Corrupt(format!("cannot encode the index: {e}")))?;
        statefile::write_state(path, MAGIC, VERSION, &payload)
    }

    /// Every image file, in walk order.
    pub fn files(&self) -> impl Iterator<Item = PathBuf> + '_ {
        self.dirs
            .iter()
            .flat_map(|d| d.files.iter().map(move |name| d.path.join(name)))
    }

    /// How many image files.
    pub fn len(&self) -> usize {
        self.file_count
    }

    /// True when no image was found.
    pub fn is_empty(&self) -> bool {
        self.file_count == 0
    }

    /// How many folders were recorded.
    pub fn dir_count(&self) -> usize {
        self.dirs.len()
    }

    /// True when the scan ran to the end and listed every folder it reached. Only a complete
    /// index may be used to drop files from the playlist: an incomplete one lacks files that
    /// still exist.
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// The fingerprint of the options it was built with (see `ScanOptions::fingerprint`).
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    fn decode(payload: &[u8]) -> Result<Index, StateError> {
        let file: IndexFile = postcard::from_bytes(payload)
            .map_err(|e| StateError::Corrupt(format!("index payload: {e}")))?;
        let mut index = Index::new(file.fingerprint);
        index.complete = file.complete;
        for d in file.dirs {
            let path = bytes_to_os(&d.path.0)
                .map(PathBuf::from)
                .ok_or_else(|| StateError::Corrupt("index: undecodable folder path".into()))?;
            index.push(DirRecord {
                path,
                mtime_ns: d.mtime_ns,
                files: decode_names(d.files)?,
                subdirs: decode_names(d.subdirs)?,
            });
        }
        Ok(index)
    }
}

/// Names must be single path components: a damaged or hand-edited index must not make the
/// scanner emit `..`-laden or absolute paths.
fn decode_names(names: Vec<Bytes>) -> Result<Vec<OsString>, StateError> {
    names
        .into_iter()
        .map(|b| {
            bytes_to_os(&b.0)
                .filter(|n| is_plain_name(Path::new(n)))
                .ok_or_else(|| StateError::Corrupt("index: a name is not a plain file name".into()))
        })
        .collect()
}

fn is_plain_name(name: &Path) -> bool {
    let mut c = name.components();
    matches!((c.next(), c.next()), (Some(Component::Normal(n)), None) if n == name.as_os_str())
}

#[derive(Serialize, Deserialize)]
struct IndexFile {
    fingerprint: u64,
    complete: bool,
    dirs: Vec<DirFile>,
}

#[derive(Serialize, Deserialize)]
struct DirFile {
    path: Bytes,
    mtime_ns: Option<i64>,
    files: Vec<Bytes>,
    subdirs: Vec<Bytes>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Index {
        let mut index = Index::new(42);
        index.complete = true;
        index.push(DirRecord {
            path: PathBuf::from("/photos"),
            mtime_ns: Some(1_700_000_000_000_000_000),
            files: vec!["a.jpg".into(), "b.png".into()],
            subdirs: vec!["trip".into()],
        });
        index.push(DirRecord {
            path: PathBuf::from("/photos/trip"),
            mtime_ns: None,
            files: vec!["c.jpg".into()],
            subdirs: vec![],
        });
        index
    }

    #[test]
    fn save_load_round_trip() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("index.bin");
        let index = sample();
        index.save(&path).expect("save");
        let loaded = Index::load(&path).expect("load").expect("present");
        assert_eq!(loaded, index);
        assert_eq!(loaded.len(), 3);
        assert!(loaded.is_complete());
        let files: Vec<PathBuf> = loaded.files().collect();
        assert_eq!(
            files,
            ["/photos/a.jpg", "/photos/b.png", "/photos/trip/c.jpg"].map(PathBuf::from)
        );
    }

    #[test]
    fn missing_index_is_none() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert!(
            Index::load(&dir.path().join("none"))
                .expect("load")
                .is_none()
        );
        assert!(Index::load_or_none(&dir.path().join("none")).is_none());
    }

    #[test]
    fn plain_names_only() {
        let cases: &[(&str, bool)] = &[
            ("a.jpg", true),
            ("with space.png", true),
            ("..", false),
            (".", false),
            ("", false),
            ("a/b", false),
            ("/abs", false),
            ("a/", false),
        ];
        for (name, want) in cases {
            assert_eq!(is_plain_name(Path::new(name)), *want, "{name:?}");
        }
    }

    #[test]
    fn a_payload_that_does_not_decode_is_corrupt_and_moved_aside() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("index.bin");
        // An intact state file whose payload is not an index.
        statefile::write_state(&path, MAGIC, VERSION, &[0xff; 7]).expect("write");
        assert!(matches!(Index::load(&path), Err(StateError::Corrupt(_))));
        assert!(Index::load_or_none(&path).is_none());
        assert!(statefile::quarantine_path(&path).exists());
        assert!(!path.exists());
    }
}
