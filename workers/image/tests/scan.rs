//! The scanner and the scan index on a real file system: what is found and skipped, links and
//! loops, overlapping and missing roots, streaming, early stop, and incremental refresh.

use std::collections::HashSet;
use std::fs;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use idlewild_image::index::{Index, StateError};
use idlewild_image::scan::{BATCH_MAX, ScanEvent, ScanOptions, ScanSummary, scan};
use idlewild_image::sources::ExtensionSet;
use tempfile::TempDir;

/// Creates `rel` (and its folders) under `root` with a few bytes in it.
fn touch(root: &Path, rel: &str) -> PathBuf {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
    fs::write(&path, b"not really an image").expect("write");
    path
}

fn options(roots: &[&Path]) -> ScanOptions {
    ScanOptions {
        roots: roots.iter().map(|r| r.to_path_buf()).collect(),
        extensions: ExtensionSet::all(),
        follow_symlinks: false,
    }
}

/// Everything one scan told its sink, and the index it returned.
struct Outcome {
    events: Vec<ScanEvent>,
    index: Index,
}

impl Outcome {
    fn files(&self) -> Vec<PathBuf> {
        self.events
            .iter()
            .filter_map(|e| match e {
                ScanEvent::Batch(b) => Some(b.iter().cloned()),
                _ => None,
            })
            .flatten()
            .collect()
    }

    fn warnings(&self) -> Vec<(PathBuf, String)> {
        self.events
            .iter()
            .filter_map(|e| match e {
                ScanEvent::Warning { path, message } => Some((path.clone(), message.clone())),
                _ => None,
            })
            .collect()
    }

    fn summary(&self) -> ScanSummary {
        match self.events.last() {
            Some(ScanEvent::Done(s)) => *s,
            other => panic!("the last event is not Done: {other:?}"),
        }
    }
}

fn run(opts: &ScanOptions, previous: Option<&Index>) -> Outcome {
    let mut events = Vec::new();
    let index = scan(opts, previous, &mut |e| {
        events.push(e);
        ControlFlow::Continue(())
    });
    Outcome { events, index }
}

fn rel(root: &Path, files: &[PathBuf]) -> Vec<String> {
    files
        .iter()
        .map(|f| {
            f.strip_prefix(root)
                .expect("under the root")
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect()
}

/// Sets every folder's mtime an hour back. The index does not trust mtimes within 2 s of a
/// scan (an entry added right after the listing could leave them unchanged), so trees made by
/// a test must be aged before a second scan can reuse them.
fn age_tree(root: &Path) {
    let old = SystemTime::now() - Duration::from_secs(3600);
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("list") {
            let entry = entry.expect("entry");
            if entry.file_type().expect("type").is_dir() {
                stack.push(entry.path());
            }
        }
        set_dir_mtime(&dir, old);
    }
}

fn set_dir_mtime(dir: &Path, t: SystemTime) {
    #[cfg(windows)]
    let folder = {
        use std::os::windows::fs::OpenOptionsExt;
        const FILE_FLAG_BACKUP_SEMANTICS: u32 = 0x0200_0000;
        fs::OpenOptions::new()
            .write(true)
            .custom_flags(FILE_FLAG_BACKUP_SEMANTICS)
            .open(dir)
    };
    #[cfg(not(windows))]
    let folder = fs::File::open(dir);
    folder
        .expect("open folder")
        .set_modified(t)
        .expect("set mtime");
}

/// A small library: nested folders, mixed-case extensions, hidden entries, non-images.
fn library() -> TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    for f in [
        "top.JPG",
        "x.Png",
        "y.jpeg",
        "notes.txt",
        "noext",
        "jpg",
        ".hidden.jpg",
        ".hid/in.jpg",
        "a/.cache/thumb.png",
        "a/b/two.bmp",
        "a/b/readme.md",
        "a/b/c/deep.webp",
        "a/b/c/DEEP.TIFF",
        "folder.jpg/inside.gif",
    ] {
        touch(root, f);
    }
    fs::create_dir_all(root.join("empty")).expect("mkdir");
    dir
}

const LIBRARY_IMAGES: &[&str] = &[
    "top.JPG",
    "x.Png",
    "y.jpeg",
    "a/b/two.bmp",
    "a/b/c/DEEP.TIFF",
    "a/b/c/deep.webp",
    "folder.jpg/inside.gif",
];

#[test]
fn finds_images_recursively_in_a_stable_order_and_skips_the_rest() {
    let lib = library();
    let root = lib.path();
    #[cfg(unix)]
    let _socket = std::os::unix::net::UnixListener::bind(root.join("socket.jpg")).expect("socket");

    let out = run(&options(&[root]), None);
    // Sorted per folder, files before subfolders, depth first.
    assert_eq!(rel(root, &out.files()), LIBRARY_IMAGES);
    assert!(out.warnings().is_empty(), "{:?}", out.warnings());
    let summary = out.summary();
    assert_eq!(summary.files, LIBRARY_IMAGES.len() as u64);
    // The root, a, a/b, a/b/c, empty, folder.jpg; never the hidden ones.
    assert_eq!(summary.dirs, 6);
    assert_eq!(summary.reused_dirs, 0);
    assert!(out.index.is_complete());
    assert_eq!(out.index.len(), LIBRARY_IMAGES.len());
    assert_eq!(out.index.files().collect::<Vec<_>>(), out.files());

    // The same tree scans to the same events.
    assert_eq!(
        rel(root, &run(&options(&[root]), None).files()),
        LIBRARY_IMAGES
    );
}

#[test]
fn the_extension_set_filters_case_insensitively() {
    let lib = library();
    let root = lib.path();
    let mut opts = options(&[root]);
    opts.extensions = ExtensionSet::new(&["JPG".into(), ".tiff".into()]).expect("valid");
    assert_eq!(
        rel(root, &run(&opts, None).files()),
        ["top.JPG", "a/b/c/DEEP.TIFF"]
    );
}

#[cfg(unix)]
#[test]
fn a_followed_symlink_loop_ends_with_a_warning_and_each_file_once() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    touch(root, "top.jpg");
    touch(root, "a/in.jpg");
    symlink("..", root.join("a/link")).expect("symlink");

    let mut opts = options(&[root]);
    opts.follow_symlinks = true;
    let out = run(&opts, None);
    assert_eq!(rel(root, &out.files()), ["top.jpg", "a/in.jpg"]);
    let warnings = out.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].0, root.join("a/link"));
    assert!(warnings[0].1.contains("loop"), "{}", warnings[0].1);
    assert_eq!(out.summary().warnings, 1);
    assert!(out.index.is_complete(), "a refused loop loses no file");

    // Not followed: no loop, no warning, the same files.
    let out = run(&options(&[root]), None);
    assert_eq!(rel(root, &out.files()), ["top.jpg", "a/in.jpg"]);
    assert!(out.warnings().is_empty());
}

#[cfg(unix)]
#[test]
fn links_to_outside_files_and_folders_are_taken_only_when_followed() {
    use std::os::unix::fs::symlink;
    let outside = tempfile::tempdir().expect("temp dir");
    touch(outside.path(), "far/photo.png");
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    touch(root, "own.jpg");
    symlink(outside.path().join("far"), root.join("linked")).expect("symlink");
    symlink(outside.path().join("far/photo.png"), root.join("alias.png")).expect("symlink");
    symlink(outside.path().join("gone.jpg"), root.join("dangling.jpg")).expect("symlink");

    assert_eq!(
        rel(root, &run(&options(&[root]), None).files()),
        ["own.jpg"]
    );

    let mut opts = options(&[root]);
    opts.follow_symlinks = true;
    let out = run(&opts, None);
    assert_eq!(
        rel(root, &out.files()),
        ["alias.png", "own.jpg", "linked/photo.png"]
    );
    assert!(
        out.warnings().is_empty(),
        "a dangling link is skipped quietly"
    );
}

#[test]
fn overlapping_roots_are_walked_once() {
    let lib = library();
    let root = lib.path();
    let inner = root.join("a");
    for roots in [[root, inner.as_path()], [inner.as_path(), root]] {
        let out = run(&options(&roots), None);
        let files = out.files();
        let unique: HashSet<&PathBuf> = files.iter().collect();
        assert_eq!(files.len(), LIBRARY_IMAGES.len(), "{roots:?}");
        assert_eq!(unique.len(), files.len(), "{roots:?}");
        assert!(out.warnings().is_empty(), "{:?}", out.warnings());
    }
    // The same root twice is one root.
    assert_eq!(
        run(&options(&[root, root]), None).files().len(),
        LIBRARY_IMAGES.len()
    );
}

#[test]
fn a_missing_root_warns_and_the_walk_goes_on() {
    let lib = library();
    let root = lib.path();
    let missing = root.join("no such folder");
    let out = run(&options(&[&missing, root]), None);
    let warnings = out.warnings();
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].0, missing);
    assert_eq!(rel(root, &out.files()), LIBRARY_IMAGES);
    // A folder that is not there hides no photos, so nothing is missing from the index.
    assert!(out.index.is_complete());

    let file_root = root.join("top.JPG");
    let out = run(&options(&[&file_root]), None);
    assert_eq!(out.warnings().len(), 1, "a file is not a root folder");
}

#[cfg(unix)]
#[test]
fn an_unreadable_folder_warns_and_the_walk_goes_on() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    touch(root, "locked/secret.jpg");
    touch(root, "open/visible.jpg");
    let locked = root.join("locked");
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).expect("chmod");
    // Root (or CAP_DAC_OVERRIDE) reads a mode-000 folder anyway; probing tells us.
    let privileged = fs::read_dir(&locked).is_ok();

    let out = run(&options(&[root]), None);
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).expect("chmod back");

    assert!(rel(root, &out.files()).contains(&"open/visible.jpg".to_string()));
    if privileged {
        eprintln!(
            "note: running with privileges that read a mode-000 folder; \
             the unreadable-folder warning is not checked"
        );
        return;
    }
    assert_eq!(rel(root, &out.files()), ["open/visible.jpg"]);
    let warnings = out.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].0, locked);
    assert!(
        !out.index.is_complete(),
        "files may hide in the unreadable folder"
    );
}

/// `count` files spread over folders of 200. They are hard links to one (hidden, so never
/// found) file: a directory entry is all the scanner sees, and on some virtual disks creating
/// 20,000 inodes takes many seconds while linking takes a fraction of one.
fn big_tree(count: usize) -> TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let source = touch(dir.path(), ".source");
    for folder in 0..count.div_ceil(200) {
        fs::create_dir(dir.path().join(format!("d{folder:03}"))).expect("mkdir");
    }
    for i in 0..count {
        let link = dir.path().join(format!("d{:03}/img{i:05}.jpg", i / 200));
        fs::hard_link(&source, link).expect("link");
    }
    dir
}

#[test]
fn a_large_tree_streams_in_small_batches_before_done() {
    const FILES: usize = 20_000;
    let tree = big_tree(FILES);
    let out = run(&options(&[tree.path()]), None);

    // The first photos arrive early: a batch of at most 256 paths comes first (an empty
    // keep-alive batch may precede it on a slow machine), long before the walk is done.
    let first = out
        .events
        .iter()
        .position(|e| matches!(e, ScanEvent::Batch(b) if !b.is_empty()))
        .expect("a batch with files");
    assert!(
        out.events[..first]
            .iter()
            .all(|e| matches!(e, ScanEvent::Batch(b) if b.is_empty())),
        "only keep-alive batches before the first files"
    );
    let batches_after = out.events[first..]
        .iter()
        .filter(|e| matches!(e, ScanEvent::Batch(b) if !b.is_empty()))
        .count();
    assert!(
        batches_after >= FILES / BATCH_MAX,
        "{batches_after} batches"
    );
    for e in &out.events {
        if let ScanEvent::Batch(b) = e {
            assert!(b.len() <= BATCH_MAX);
        }
    }
    let files = out.files();
    assert_eq!(files.len(), FILES);
    assert_eq!(files.iter().collect::<HashSet<_>>().len(), FILES);
    let summary = out.summary();
    assert_eq!(summary.files, FILES as u64);
    assert_eq!(summary.dirs, 1 + FILES.div_ceil(200) as u64);
    assert_eq!(out.index.len(), FILES);
}

#[test]
fn break_stops_the_scan_and_marks_the_index_incomplete() {
    let tree = big_tree(2_000);
    let mut events = Vec::new();
    let index = scan(&options(&[tree.path()]), None, &mut |e| {
        let stop = matches!(e, ScanEvent::Batch(_));
        events.push(e);
        if stop {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
    assert_eq!(
        events.len(),
        1,
        "nothing is sent after Break: {:?}",
        events.len()
    );
    assert!(!index.is_complete());
    assert!(index.len() < 2_000);
}

#[test]
fn an_unchanged_tree_reuses_every_folder_through_a_saved_index() {
    let lib = library();
    let root = lib.path();
    age_tree(root);
    let opts = options(&[root]);
    let first = run(&opts, None);
    let state = tempfile::tempdir().expect("temp dir");
    let index_path = state.path().join("state/index.bin");
    first.index.save(&index_path).expect("save");
    let loaded = Index::load(&index_path).expect("load").expect("present");
    assert_eq!(loaded, first.index);

    let second = run(&opts, Some(&loaded));
    let summary = second.summary();
    assert_eq!(summary.reused_dirs, summary.dirs);
    assert_eq!(summary.dirs, first.summary().dirs);
    // Reused folders still emit their files, in the same order.
    assert_eq!(second.files(), first.files());
    assert_eq!(second.index, first.index);
}

#[test]
fn folders_changed_moments_ago_are_listed_again() {
    // Just created, so within the 2 s window in which an unchanged mtime proves nothing.
    let lib = library();
    let opts = options(&[lib.path()]);
    let first = run(&opts, None);
    let second = run(&opts, Some(&first.index));
    assert_eq!(second.summary().reused_dirs, 0);
    assert_eq!(second.files(), first.files());
}

#[test]
fn a_new_file_relists_only_its_folder() {
    let lib = library();
    let root = lib.path();
    age_tree(root);
    let opts = options(&[root]);
    let first = run(&opts, None);
    let added = touch(root, "a/b/c/new.jpg");
    let second = run(&opts, Some(&first.index));
    let summary = second.summary();
    // a and a/b are reused although a/b/c below them changed: subfolders are still visited.
    assert_eq!(summary.reused_dirs, summary.dirs - 1);
    assert!(second.files().contains(&added));
    assert_eq!(second.files().len(), first.files().len() + 1);
}

#[test]
fn a_deleted_folder_is_noticed() {
    let lib = library();
    let root = lib.path();
    age_tree(root);
    let opts = options(&[root]);
    let first = run(&opts, None);
    fs::remove_dir_all(root.join("a/b")).expect("delete");
    let second = run(&opts, Some(&first.index));
    let files = rel(root, &second.files());
    assert!(files.iter().all(|f| !f.starts_with("a/b/")), "{files:?}");
    assert_eq!(files.len(), LIBRARY_IMAGES.len() - 3);
    let summary = second.summary();
    assert_eq!(summary.dirs, first.summary().dirs - 2);
    assert_eq!(
        summary.reused_dirs,
        summary.dirs - 1,
        "only `a` is listed again"
    );
    assert!(second.warnings().is_empty());
}

#[test]
fn an_index_built_with_other_options_is_not_reused() {
    let lib = library();
    let root = lib.path();
    age_tree(root);
    let base = options(&[root]);
    let first = run(&base, None);

    let mut exts = base.clone();
    exts.extensions = ExtensionSet::new(&["jpg".into()]).expect("valid");
    let mut follow = base.clone();
    follow.follow_symlinks = true;
    let inner = root.join("a");
    let roots = options(&[root, &inner]);
    for opts in [exts, follow, roots] {
        let out = run(&opts, Some(&first.index));
        assert_eq!(out.summary().reused_dirs, 0, "{opts:?}");
    }
    // With the jpg-only set the cached png/bmp/… names must not leak through.
    let mut exts = base.clone();
    exts.extensions = ExtensionSet::new(&["jpg".into()]).expect("valid");
    assert_eq!(
        rel(root, &run(&exts, Some(&first.index)).files()),
        ["top.JPG"]
    );
}

#[test]
fn a_corrupt_index_file_counts_as_none_and_is_moved_aside() {
    let state = tempfile::tempdir().expect("temp dir");
    let path = state.path().join("index.bin");
    fs::write(&path, b"IWIX but not really an index").expect("write");
    assert!(matches!(Index::load(&path), Err(StateError::Corrupt(_))));
    assert!(Index::load_or_none(&path).is_none());
    assert!(!path.exists());
    assert_eq!(
        fs::read(state.path().join("index.bin.corrupt")).expect("moved aside"),
        b"IWIX but not really an index"
    );

    // A scan without an index lists everything, and its index saves over the old name.
    let lib = library();
    let out = run(&options(&[lib.path()]), None);
    out.index.save(&path).expect("save");
    assert_eq!(Index::load_or_none(&path), Some(out.index));
}

#[cfg(unix)]
#[test]
fn non_utf8_names_survive_scan_and_index() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let name = OsStr::from_bytes(b"caf\xe9 \xff.jpg");
    let sub = root.join(OsStr::from_bytes(b"f\xf6lder"));
    fs::create_dir_all(&sub).expect("mkdir");
    fs::write(sub.join(name), b"x").expect("write");
    age_tree(root);
    let out = run(&options(&[root]), None);
    assert_eq!(out.files(), [sub.join(name)]);
    let state = tempfile::tempdir().expect("temp dir");
    let path = state.path().join("index.bin");
    out.index.save(&path).expect("save");
    let loaded = Index::load(&path).expect("load").expect("present");
    let again = run(&options(&[root]), Some(&loaded));
    assert_eq!(again.files(), [sub.join(name)]);
    assert_eq!(again.summary().reused_dirs, 2);
}
