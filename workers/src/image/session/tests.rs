//! The session's decisions as specifications: tables for the small rules, and scenarios that
//! drive [`Core`] the way the shell does (requests, scan batches, finished decodes, ticks) on a
//! fake clock, a fake file system and a hand-kept decode pool, reading back the actions.

use super::decide::Core;
use super::rules::*;
use crate::image::deliver::Meta;
use idlewild_image::ImageError;
use idlewild_image::cache::{Cached, FrameKey};
use idlewild_image::playlist::Playlist;
use idlewild_protocol::message::image::{DisplaySpec, ImageConfig, ImageLimits, ScaleOptions};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The fake file system: every file exists except those whose name starts with "gone".
fn fake_stat(path: &Path) -> Result<Stamp, ImageError> {
    if path.to_string_lossy().starts_with("gone") {
        return Err(std::io::Error::from(std::io::ErrorKind::NotFound).into());
    }
    Ok(Stamp {
        mtime_ns: 1,
        len: 1000,
    })
}

fn config(displays: &[(u32, u32, u32)], prefetch: u32, cache_bytes: u64) -> ImageConfig {
    ImageConfig {
        sources: Default::default(),
        displays: displays
            .iter()
            .map(|&(id, width, height)| DisplaySpec { id, width, height })
            .collect(),
        scale: ScaleOptions::default(),
        limits: ImageLimits::default(),
        prefetch,
        cache_bytes,
        same_on_all: false,
        feed_percent: 0,
        state_dir: PathBuf::from("/nonexistent"),
        seed: Some(7),
    }
}

/// One display of 4×2 (32-byte frames), no prefetching, room for many frames.
fn one_display() -> ImageConfig {
    config(&[(0, 4, 2)], 0, 1 << 20)
}

/// A core with its pool, clock and the playlist's order.
struct Rig {
    core: Core<u32>,
    jobs: Jobs,
    base: Instant,
    now: Instant,
    /// The order the playlist will draw its photos in (for expectations).
    order: Vec<String>,
}

impl Rig {
    fn new(photos: &[&str], cfg: ImageConfig, threads: usize) -> Self {
        let mut playlist = Playlist::new(7);
        for p in photos {
            playlist.add(PathBuf::from(p));
        }
        let order = playlist.peek(photos.len()).iter().map(name).collect();
        let base = Instant::now();
        Self {
            core: Core::new(cfg, vec![PathBuf::from("/photos")], playlist, fake_stat),
            jobs: Jobs {
                keys: Vec::new(),
                threads,
                granted: 0,
            },
            base,
            now: base,
            order,
        }
    }

    fn at(&mut self, ms: u64) {
        self.now = self.base + Duration::from_millis(ms);
    }

    fn serve(&mut self, to: u32, display: u32, dir: Dir) -> Vec<String> {
        show(self.core.serve(to, display, dir, &mut self.jobs, self.now))
    }

    fn next(&mut self, to: u32) -> Vec<String> {
        self.serve(to, 0, Dir::Forward)
    }

    fn prefetch(&mut self) -> Vec<String> {
        show(self.core.prefetch(&mut self.jobs))
    }

    /// The pool finishes the job for `path` (it must have been submitted).
    fn decoded(&mut self, path: &str, result: Result<(), ImageError>) -> Vec<String> {
        let at = self
            .jobs
            .keys
            .iter()
            .position(|k| k.path == Path::new(path));
        let key = self.jobs.keys.remove(at.expect("a job for that photo"));
        let result = result.map(|()| frame(&key));
        show(self.core.on_decoded(key, result, &mut self.jobs, self.now))
    }

    fn batch(&mut self, paths: &[&str]) -> Vec<String> {
        let paths = paths.iter().map(PathBuf::from).collect();
        show(self.core.on_batch(paths, &mut self.jobs, self.now))
    }

    fn finished(&mut self, present: Option<&[&str]>) -> Vec<String> {
        let present = present.map(|p| p.iter().map(PathBuf::from).collect::<HashSet<_>>());
        show(
            self.core
                .on_scan_finished(present, &mut self.jobs, self.now),
        )
    }
}

fn name(path: impl AsRef<Path>) -> String {
    path.as_ref().display().to_string()
}

fn frame(key: &FrameKey) -> Cached<Meta> {
    Cached {
        pixels: vec![0; key.width as usize * key.height as usize * 4],
        meta: Meta {
            source_width: key.width,
            source_height: key.height,
            title: None,
            taken: None,
        },
    }
}

fn key(path: &str, width: u32, height: u32) -> FrameKey {
    FrameKey {
        path: PathBuf::from(path),
        mtime_ns: 1,
        len: 1000,
        width,
        height,
        scale: ScaleOptions::default(),
    }
}

/// Actions as short lines, so a scenario reads like a log.
fn show(actions: Vec<Action<u32>>) -> Vec<String> {
    actions
        .into_iter()
        .map(|a| match a {
            Action::Deliver {
                to, display, key, ..
            } => format!("deliver {to} d{display} {}", name(&key.path)),
            Action::Fail { to, message } => format!("fail {to}: {message}"),
            Action::NoImages {
                to,
                display,
                message,
            } => format!("none {to} d{display}: {message}"),
            Action::Decode(key) => format!("decode {}", name(&key.path)),
            Action::Prefetch(key) => format!("prefetch {}", name(&key.path)),
            Action::Skip { path, tag, .. } => format!("skip {} {tag}", name(&path)),
            Action::Progress { found, done } => format!("progress {found} {done}"),
            Action::Save => "save".to_owned(),
        })
        .collect()
}

#[test]
fn small_rules() {
    use Dir::*;
    // (direction, after the photo failed to decode, after it could not even be looked at)
    for (dir, retry, bad) in [
        (Forward, Forward, Forward),
        (Back, Stay, Stay),
        (Stay, Stay, Stay),
    ] {
        assert_eq!(retry_dir(dir), retry, "{dir:?}");
        assert_eq!(after_bad_photo(dir), bad, "{dir:?}");
    }
    // (wanted, fits) → admitted
    for (wanted, fits, admitted) in [
        (false, false, false),
        (false, true, true),
        (true, false, true),
        (true, true, true),
    ] {
        assert_eq!(
            admit(wanted, fits),
            admitted,
            "wanted {wanted}, fits {fits}"
        );
    }
    let t0 = Instant::now();
    let every = Duration::from_secs(5);
    // (last, now − t0 in ms) → due
    for (last, ms, want) in [
        (None, 0, true),
        (Some(t0), 0, false),
        (Some(t0), 4_999, false),
        (Some(t0), 5_000, true),
        (Some(t0), 60_000, true),
    ] {
        let now = t0 + Duration::from_millis(ms);
        assert_eq!(due(last, now, every), want, "{last:?} at {ms} ms");
    }
}

#[test]
fn what_the_ui_is_told_when_nothing_can_be_shown() {
    let two = [PathBuf::from("/a"), PathBuf::from("/b")];
    for (folders, skipped, want) in [
        (&[][..], 0, "no photo folder is configured"),
        (&[][..], 3, "no photo folder is configured"),
        (&two[..], 0, "No photos found in /a, /b."),
        (
            &two[..],
            3,
            "None of the 3 photos found in /a, /b could be shown",
        ),
    ] {
        let message = no_images_message(folders, skipped);
        assert!(message.contains(want), "{folders:?} {skipped}: {message}");
    }
}

#[test]
fn the_cache_budget_never_goes_below_two_frames_of_the_largest_display() {
    // (displays, configured budget) → budget in force
    for (displays, configured, want) in [
        (&[(0, 4, 2)][..], 1000, 1000),
        (&[(0, 4, 2)][..], 10, 64),
        (&[(0, 4, 2), (1, 8, 8)][..], 100, 512),
        (&[][..], 10, 10),
    ] {
        let cfg = config(displays, 0, configured);
        assert_eq!(effective_budget(&cfg), want, "{displays:?} {configured}");
    }
}

#[test]
fn a_request_before_the_first_photo_waits_for_the_scan() {
    let mut rig = Rig::new(&[], one_display(), 2);
    assert_eq!(rig.next(1), Vec::<String>::new(), "waits, no answer yet");
    assert_eq!(rig.batch(&["a.jpg"]), ["progress 1 false", "decode a.jpg"]);
    assert_eq!(rig.decoded("a.jpg", Ok(())), ["deliver 1 d0 a.jpg"]);
    rig.core.delivered();
    let status = rig.core.status(0);
    assert_eq!((status.cache_hits, status.cache_misses), (0, 1));
    assert_eq!(
        (status.found, status.delivered, status.scan_done),
        (1, 1, false)
    );
}

#[test]
fn no_images_once_the_scan_is_done() {
    let mut rig = Rig::new(&[], one_display(), 2);
    assert!(rig.next(1).is_empty());
    assert_eq!(
        rig.finished(Some(&[])),
        [
            "progress 0 true",
            "save",
            "none 1 d0: No photos found in /photos."
        ]
    );
    assert_eq!(rig.next(2), ["none 2 d0: No photos found in /photos."]);
}

#[test]
fn a_photo_that_cannot_be_read_is_replaced_in_the_same_request() {
    let mut rig = Rig::new(&["gone1.jpg", "gone2.jpg", "ok.jpg"], one_display(), 2);
    let mut want: Vec<String> = Vec::new();
    for photo in &rig.order {
        if photo == "ok.jpg" {
            break;
        }
        want.push(format!("skip {photo} io"));
    }
    want.push("decode ok.jpg".into());
    assert_eq!(rig.next(1), want);
    assert_eq!(rig.core.status(0).skipped, want.len() as u64 - 1);
}

#[test]
fn a_failed_decode_is_skipped_and_the_next_photo_served_instead() {
    let mut rig = Rig::new(&["a.jpg", "b.jpg"], one_display(), 2);
    let (first, second) = (rig.order[0].clone(), rig.order[1].clone());
    assert_eq!(rig.next(1), [format!("decode {first}")]);
    let corrupt = Err(ImageError::Corrupt("truncated".into()));
    assert_eq!(
        rig.decoded(&first, corrupt),
        [format!("skip {first} corrupt"), format!("decode {second}")]
    );
    assert_eq!(
        rig.decoded(&second, Ok(())),
        [format!("deliver 1 d0 {second}")]
    );
    // The failed photo is gone for this run: a later batch does not bring it back.
    assert_eq!(rig.batch(&[&first]), ["progress 1 false"]);
    assert_eq!(rig.core.status(0).found, 1);
}

#[test]
fn when_every_photo_fails_the_ui_is_told_why() {
    let mut rig = Rig::new(&["x.jpg", "y.jpg"], one_display(), 2);
    let (first, second) = (rig.order[0].clone(), rig.order[1].clone());
    assert_eq!(rig.finished(None), ["progress 2 true", "save"]);
    assert_eq!(rig.next(1), [format!("decode {first}")]);
    let bad = || Err(ImageError::Unsupported("nope".into()));
    assert_eq!(
        rig.decoded(&first, bad()),
        [
            format!("skip {first} unsupported"),
            format!("decode {second}")
        ]
    );
    assert_eq!(
        rig.decoded(&second, bad()),
        [
            format!("skip {second} unsupported"),
            "none 1 d0: None of the 2 photos found in /photos could be shown (see the log for \
             why)."
                .to_owned()
        ]
    );
}

#[test]
fn back_replays_from_the_cache_and_stays_at_the_start() {
    let mut rig = Rig::new(&["a.jpg", "b.jpg"], one_display(), 2);
    let (first, second) = (rig.order[0].clone(), rig.order[1].clone());
    rig.next(1);
    assert_eq!(
        rig.decoded(&first, Ok(())),
        [format!("deliver 1 d0 {first}")]
    );
    rig.next(2);
    assert_eq!(
        rig.decoded(&second, Ok(())),
        [format!("deliver 2 d0 {second}")]
    );
    assert_eq!(
        rig.serve(3, 0, Dir::Back),
        [format!("deliver 3 d0 {first}")]
    );
    assert_eq!(
        rig.serve(4, 0, Dir::Back),
        [format!("deliver 4 d0 {first}")],
        "at the start of the history: shows where it stands"
    );
    assert_eq!(rig.next(5), [format!("deliver 5 d0 {second}")], "X replays");
    let status = rig.core.status(0);
    assert_eq!((status.cache_hits, status.cache_misses), (3, 2));
}

#[test]
fn prefetch_plans_ahead_within_the_free_threads() {
    let cfg = config(&[(0, 4, 2)], 2, 1 << 20);
    let mut rig = Rig::new(&["a.jpg", "b.jpg", "c.jpg", "d.jpg"], cfg.clone(), 4);
    let o = rig.order.clone();
    assert_eq!(rig.next(1), [format!("decode {}", o[0])]);
    assert_eq!(
        rig.prefetch(),
        [format!("prefetch {}", o[1]), format!("prefetch {}", o[2])]
    );
    assert!(rig.prefetch().is_empty(), "already in flight");
    // One decode thread, busy with the request: nothing more is queued behind it.
    let mut rig = Rig::new(&["a.jpg", "b.jpg", "c.jpg"], cfg, 1);
    rig.next(1);
    assert!(rig.prefetch().is_empty());
}

#[test]
fn a_postponed_decode_is_retried_if_wanted_and_holds_prefetching_otherwise() {
    let cfg = config(&[(0, 4, 2)], 2, 1 << 20);
    let mut rig = Rig::new(&["a.jpg", "b.jpg", "c.jpg"], cfg, 4);
    let o = rig.order.clone();
    rig.next(1);
    rig.prefetch();
    assert_eq!(
        rig.decoded(&o[0], Err(ImageError::Deferred)),
        [format!("decode {}", o[0])],
        "a request waits for it: a fresh job"
    );
    assert!(rig.decoded(&o[1], Err(ImageError::Deferred)).is_empty());
    assert!(rig.prefetch().is_empty(), "held until a delivery");
    assert_eq!(
        rig.decoded(&o[0], Ok(())),
        [
            format!("deliver 1 d0 {}", o[0]),
            format!("prefetch {}", o[1])
        ],
        "the delivery releases the hold"
    );
}

#[test]
fn memory_goes_to_requests_first() {
    // 4×2 frames, a 64-byte budget (two frames).
    let mut rig = Rig::new(&["a.jpg", "b.jpg"], config(&[(0, 4, 2)], 0, 64), 2);
    let (first, second) = (rig.order[0].clone(), rig.order[1].clone());
    rig.next(1);
    let wanted = key(&first, 4, 2);
    let other = key(&second, 4, 2);
    // (job's key, bytes asked, bytes granted to all jobs) → admitted
    for (key, bytes, granted, want) in [
        (None, 1, 0, false),
        (Some(&other), 32, 0, true),
        (Some(&other), 32, 40, false),
        (Some(&other), 1000, 0, false),
        (Some(&wanted), 1000, 0, true),
        (Some(&wanted), 32, 1000, true),
    ] {
        assert_eq!(
            rig.core.on_need(key, bytes, granted),
            want,
            "{key:?} {bytes} {granted}"
        );
    }
}

#[test]
fn an_overdue_decode_is_skipped_as_too_slow() {
    let mut rig = Rig::new(&["a.jpg", "b.jpg"], one_display(), 2);
    let (first, second) = (rig.order[0].clone(), rig.order[1].clone());
    rig.next(1);
    let overdue = vec![rig.jobs.keys.remove(0)];
    let actions = rig.core.on_overdue(&overdue, &mut rig.jobs, rig.now);
    assert_eq!(
        show(actions),
        [format!("skip {first} too-slow"), format!("decode {second}")]
    );
}

#[test]
fn the_position_is_saved_five_seconds_after_it_changed() {
    let mut rig = Rig::new(&["a.jpg"], one_display(), 2);
    // (ms, draw a photo then, expected tick)
    let steps: [(u64, bool, &[&str]); 6] = [
        (0, false, &[]),
        (1_000, true, &[]),
        (5_999, false, &[]),
        (6_000, false, &["save"]),
        (20_000, false, &[]),
        (21_000, true, &[]),
    ];
    for (ms, draw, want) in steps {
        rig.at(ms);
        if draw {
            rig.next(ms as u32);
        }
        assert_eq!(show(rig.core.tick(rig.now)), want, "at {ms} ms");
    }
    rig.at(26_000);
    assert_eq!(show(rig.core.tick(rig.now)), ["save"]);
}

#[test]
fn scan_progress_is_throttled_and_the_end_is_always_reported() {
    let mut rig = Rig::new(&[], one_display(), 2);
    // (ms, batch) → progress reported
    for (ms, batch, want) in [
        (0, "a.jpg", &["progress 1 false"][..]),
        (100, "b.jpg", &[]),
        (499, "c.jpg", &[]),
        (500, "d.jpg", &["progress 4 false"]),
    ] {
        rig.at(ms);
        assert_eq!(rig.batch(&[batch]), want, "at {ms} ms");
    }
    rig.at(600);
    // The complete scan no longer has c.jpg.
    let present = ["a.jpg", "b.jpg", "d.jpg"];
    assert_eq!(rig.finished(Some(&present)), ["progress 3 true", "save"]);
    assert!(rig.core.status(0).scan_done);
}

#[test]
fn new_displays_fail_the_requests_waiting_for_the_old_ones() {
    let mut rig = Rig::new(&["a.jpg"], one_display(), 2);
    rig.next(1);
    assert!(
        show(rig.core.reconfigure(config(&[(0, 4, 2)], 3, 1 << 20))).is_empty(),
        "same displays: the request keeps waiting"
    );
    let actions = rig.core.reconfigure(config(&[(1, 8, 4)], 0, 1 << 20));
    assert_eq!(
        show(actions),
        ["fail 1: the display configuration changed; ask again"]
    );
    assert!(rig.core.knows(1) && !rig.core.knows(0));
    assert!(rig.decoded("a.jpg", Ok(())).is_empty(), "nobody waits now");
}

#[test]
fn displays_of_different_sizes_decode_their_own_frames() {
    let mut cfg = config(&[(0, 4, 2), (1, 8, 4)], 0, 1 << 20);
    cfg.same_on_all = true;
    let mut rig = Rig::new(&["a.jpg", "b.jpg"], cfg, 4);
    let first = rig.order[0].clone();
    rig.serve(1, 0, Dir::Forward);
    rig.serve(2, 1, Dir::Forward);
    assert_eq!(rig.jobs.keys, [key(&first, 4, 2), key(&first, 8, 4)]);
    assert_eq!(
        rig.decoded(&first, Ok(())),
        [format!("deliver 1 d0 {first}")]
    );
    assert_eq!(
        rig.decoded(&first, Ok(())),
        [format!("deliver 2 d1 {first}")]
    );
}
