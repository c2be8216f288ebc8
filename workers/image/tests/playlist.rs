//! The playlist as a specification: each photo once per cycle, no repeat across a cycle
//! boundary, an order that survives a restart exactly, peek as a promise, browser-like history,
//! removal, additions mid-cycle, forgiving loads; and the local/feed mix policy.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use idlewild_image::playlist::{Entry, HISTORY_MAX, MixPolicy, Playlist};
use idlewild_protocol::message::image::SourceKind;

fn photos(n: usize) -> Vec<PathBuf> {
    (0..n)
        .map(|i| PathBuf::from(format!("/photos/d{}/img{i:05}.jpg", i / 50)))
        .collect()
}

fn filled(seed: u64, paths: &[PathBuf]) -> Playlist {
    let mut p = Playlist::new(seed);
    for path in paths {
        assert!(p.add(path.clone()));
    }
    p
}

fn take(p: &mut Playlist, n: usize) -> Vec<Entry> {
    (0..n).map(|_| p.next().expect("a photo")).collect()
}

fn paths_of(entries: &[Entry]) -> Vec<PathBuf> {
    entries.iter().map(|e| e.path.clone()).collect()
}

#[test]
fn every_photo_exactly_once_per_cycle() {
    let all = photos(1_000);
    let everything: HashSet<&PathBuf> = all.iter().collect();
    let mut p = filled(7, &all);
    let mut orders = Vec::new();
    for cycle in 0..3u64 {
        let shown = take(&mut p, 1_000);
        assert_eq!(p.cycle(), cycle);
        let set: HashSet<&PathBuf> = shown.iter().map(|e| &e.path).collect();
        assert_eq!(set, everything, "cycle {cycle}");
        let positions: Vec<(u64, u64)> = shown.iter().map(|e| e.position).collect();
        let expected: Vec<(u64, u64)> = (1..=1_000).map(|i| (i, 1_000)).collect();
        assert_eq!(positions, expected);
        assert_eq!(p.remaining(), 0);
        orders.push(paths_of(&shown));
    }
    // A shuffle: not the insertion order, and a new order each cycle.
    assert_ne!(orders[0], all);
    assert_ne!(orders[0], orders[1]);
    assert_ne!(orders[1], orders[2]);
    // Another seed, another order.
    assert_ne!(paths_of(&take(&mut filled(8, &all), 1_000)), orders[0]);
}

#[test]
fn no_photo_twice_in_a_row_across_cycle_boundaries() {
    for len in [2usize, 3, 5] {
        let all = photos(len);
        for seed in 0..300 {
            let mut p = filled(seed, &all);
            let shown = paths_of(&take(&mut p, len * 8));
            for (i, pair) in shown.windows(2).enumerate() {
                assert_ne!(pair[0], pair[1], "len {len}, seed {seed}, pick {i}");
            }
            for cycle in shown.chunks(len) {
                assert_eq!(cycle.iter().collect::<HashSet<_>>().len(), len);
            }
        }
    }
    // A single photo can only repeat; the cycles still count up.
    let mut p = filled(1, &photos(1));
    let shown = take(&mut p, 3);
    assert!(
        shown
            .iter()
            .all(|e| e.path == photos(1)[0] && e.position == (1, 1))
    );
    assert_eq!(p.cycle(), 2);
}

#[test]
fn a_restart_continues_the_exact_sequence() {
    let all = photos(500);
    let uninterrupted = paths_of(&take(&mut filled(42, &all), 1_300));
    let dir = tempfile::tempdir().expect("temp dir");
    for k in [0usize, 1, 137, 499, 500, 501, 999] {
        let path = dir.path().join(format!("k{k}/playlist.bin"));
        let mut before = filled(42, &all);
        take(&mut before, k);
        before.save(&path).expect("save");

        // Another fallback seed: the saved one must win.
        let mut after = Playlist::load(&path, 9_999);
        assert_eq!(after.seed(), 42);
        assert_eq!(after.cycle(), before.cycle());
        // The scan adds the paths back in another order.
        for p in all.iter().rev() {
            after.add(p.clone());
        }
        assert_eq!(after.remaining(), before.remaining(), "k = {k}");
        let rest = paths_of(&take(&mut after, 1_300 - k));
        assert_eq!(rest, uninterrupted[k..], "k = {k}");
    }
}

#[test]
fn peek_is_exactly_what_next_returns() {
    let all = photos(300);
    let mut p = filled(3, &all);
    // At the start, mid-cycle, just before and at a boundary; each peek crosses boundaries.
    for step in [0usize, 150, 149, 1, 0, 300] {
        take(&mut p, step);
        for n in [0usize, 1, 5, 700] {
            let mut copy = p.clone();
            assert_eq!(p.peek(n), paths_of(&take(&mut copy, n)), "n = {n}");
        }
    }
    // After going back, the history comes first.
    take(&mut p, 10);
    p.previous().expect("back");
    p.previous().expect("back");
    p.previous().expect("back");
    let mut copy = p.clone();
    assert_eq!(p.peek(20), paths_of(&take(&mut copy, 20)));
    // Small lists swap at the boundary; peek must predict the swap too.
    for seed in 0..200 {
        let mut p = filled(seed, &photos(2));
        take(&mut p, 1);
        let mut copy = p.clone();
        assert_eq!(p.peek(9), paths_of(&take(&mut copy, 9)), "seed {seed}");
    }
}

#[test]
fn previous_and_next_walk_the_history_like_a_browser() {
    let mut p = filled(5, &photos(50));
    assert!(p.previous().is_none(), "nothing shown yet");
    let shown = take(&mut p, 5);
    assert_eq!(p.previous().as_ref(), Some(&shown[3]));
    assert_eq!(p.previous().as_ref(), Some(&shown[2]));
    // Forward again through the same entries (positions as first shown), then new ones.
    assert_eq!(p.next().as_ref(), Some(&shown[3]));
    assert_eq!(p.next().as_ref(), Some(&shown[4]));
    let new = p.next().expect("a new photo");
    assert!(!paths_of(&shown).contains(&new.path));
    assert_eq!(new.position, (6, 50));
    assert_eq!(p.previous().as_ref(), Some(&shown[4]));

    // At the oldest entry, previous is None and the cursor stays there.
    let mut q = filled(5, &photos(50));
    let first = q.next().expect("a photo");
    assert!(q.previous().is_none());
    assert!(q.previous().is_none());
    let second = q.next().expect("a photo");
    assert_ne!(second, first);
    assert_eq!(q.previous(), Some(first));
}

#[test]
fn the_history_keeps_the_last_hundred() {
    let mut p = filled(11, &photos(200));
    let shown = take(&mut p, 150);
    for back in 1..HISTORY_MAX {
        assert_eq!(
            p.previous().as_ref(),
            Some(&shown[149 - back]),
            "back {back}"
        );
    }
    assert!(p.previous().is_none());
}

#[test]
fn the_history_survives_a_restart_with_its_cursor() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("playlist.bin");
    let all = photos(40);
    let mut p = filled(2, &all);
    let shown = take(&mut p, 10);
    p.previous();
    p.previous();
    p.save(&path).expect("save");
    let mut q = Playlist::load(&path, 0);
    for a in &all {
        q.add(a.clone());
    }
    assert_eq!(q.peek(12), p.peek(12));
    assert_eq!(q.next().as_ref(), Some(&shown[8]));
    assert_eq!(q.previous().as_ref(), Some(&shown[7]));
    assert_eq!(q.previous().as_ref(), Some(&shown[6]));
}

#[test]
fn removed_photos_never_come_back() {
    let all = photos(300);
    let gone = |p: &Path| p.to_string_lossy().ends_with("0.jpg");
    let mut p = filled(13, &all);
    let before = take(&mut p, 50);
    p.retain(|path| !gone(path));
    let kept = all.iter().filter(|a| !gone(a)).count();
    assert_eq!(p.len(), kept);
    let after = take(&mut p, kept * 3);
    assert!(after.iter().all(|e| !gone(&e.path)));
    // Each remaining photo still comes once per cycle.
    let first_shown_before = before.iter().filter(|e| !gone(&e.path)).count();
    let rest_of_cycle = &after[..kept - first_shown_before];
    assert_eq!(
        rest_of_cycle
            .iter()
            .map(|e| &e.path)
            .collect::<HashSet<_>>()
            .len(),
        rest_of_cycle.len()
    );
    // Nor through the history.
    while let Some(e) = p.previous() {
        assert!(!gone(&e.path));
    }
    // One at a time, the same.
    let single = after.last().expect("shown").path.clone();
    assert!(p.remove(&single));
    assert!(!p.remove(&single), "already gone");
    assert_eq!(p.len(), kept - 1);
    let later = take(&mut p, 2 * (kept - 1));
    assert!(later.iter().all(|e| e.path != single && !gone(&e.path)));
    while let Some(e) = p.previous() {
        assert_ne!(e.path, single);
    }
    // Added again, a photo is back.
    let again = all
        .iter()
        .find(|a| gone(a))
        .expect("one was removed")
        .clone();
    assert!(p.add(again.clone()));
    let picks = 2 * p.len() + 100;
    let next_cycles = take(&mut p, picks);
    assert!(next_cycles.iter().any(|e| e.path == again));
}

#[test]
fn removing_a_photo_while_the_scan_adds_them_back_keeps_the_order() {
    // The worker drops a photo that fails to decode at once, possibly before the scan after a
    // restart has added everything back. That must not lose the saved shown marks.
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("playlist.bin");
    let all = photos(400);
    let bad = all[123].clone();
    let mut uninterrupted = filled(31, &all);
    take(&mut uninterrupted, 100);
    uninterrupted.save(&path).expect("save");
    uninterrupted.retain(|p| p != bad);
    let expected = paths_of(&take(&mut uninterrupted, 700));

    let mut restarted = Playlist::load(&path, 0);
    let (first, second) = all.split_at(200);
    for p in first {
        restarted.add(p.clone());
    }
    assert!(
        restarted.pending_marks() > 0,
        "some shown photos are not back yet"
    );
    restarted.retain(|p| p != bad);
    for p in second {
        restarted.add(p.clone());
    }
    restarted.retain(|p| p != bad);
    assert_eq!(paths_of(&take(&mut restarted, 700)), expected);
}

#[test]
fn photos_added_mid_cycle_join_the_current_cycle() {
    let all = photos(150);
    let (old, new) = all.split_at(100);
    let mut p = filled(17, old);
    let first_half = take(&mut p, 50);
    for n in new {
        assert!(p.add(n.clone()));
        assert!(!p.add(n.clone()), "adding twice is a no-op");
    }
    assert_eq!(p.len(), 150);
    let rest = take(&mut p, 100);
    assert_eq!(p.cycle(), 0, "still the first cycle");
    let mut cycle: Vec<&PathBuf> = first_half.iter().chain(&rest).map(|e| &e.path).collect();
    cycle.sort();
    let mut expected: Vec<&PathBuf> = all.iter().collect();
    expected.sort();
    assert_eq!(cycle, expected);
    assert_eq!(rest.last().map(|e| e.position), Some((150, 150)));
    // The next pick starts a new cycle.
    p.next();
    assert_eq!(p.cycle(), 1);
}

#[test]
fn a_missing_or_corrupt_state_gives_a_fresh_playlist() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("playlist.bin");
    let fresh = Playlist::load(&path, 7);
    assert_eq!((fresh.seed(), fresh.cycle(), fresh.len()), (7, 0, 0));

    fs::write(&path, b"definitely not a playlist").expect("write");
    let mut p = Playlist::load(&path, 8);
    assert_eq!((p.seed(), p.cycle(), p.len()), (8, 0, 0));
    assert!(p.previous().is_none());
    assert!(!path.exists());
    assert!(dir.path().join("playlist.bin.corrupt").exists());

    // A truncated real state file is just as forgivable.
    let mut full = filled(1, &photos(10));
    take(&mut full, 4);
    full.save(&path).expect("save");
    let bytes = fs::read(&path).expect("read");
    fs::write(&path, &bytes[..bytes.len() - 3]).expect("truncate");
    assert_eq!(Playlist::load(&path, 9).seed(), 9);
}

#[test]
fn the_state_file_stays_small() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("playlist.bin");
    let all = photos(10_000);
    let mut p = filled(21, &all);
    take(&mut p, 9_000);
    p.save(&path).expect("save");
    let size = fs::metadata(&path).expect("stat").len();
    // 8 bytes per shown photo, plus 100 history paths of ~30 bytes.
    assert!(
        size < 9_000 * 8 + HISTORY_MAX as u64 * 48 + 256,
        "{size} bytes"
    );
    let mut q = Playlist::load(&path, 0);
    for a in &all {
        q.add(a.clone());
    }
    assert_eq!(q.remaining(), 1_000);
    assert_eq!(q.pending_marks(), 0);
}

#[test]
fn an_empty_playlist_has_nothing_to_show() {
    let mut p = Playlist::new(0);
    assert!(p.is_empty());
    assert!(p.next().is_none());
    assert!(p.previous().is_none());
    assert!(p.peek(3).is_empty());
}

#[cfg(unix)]
#[test]
fn non_utf8_paths_round_trip() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let state = dir.path().join("playlist.bin");
    let odd: Vec<PathBuf> = (0u8..5)
        .map(|i| {
            PathBuf::from(OsStr::from_bytes(&[
                b'/',
                b'p',
                0xff,
                0xfe,
                b'0' + i,
                b'.',
                b'j',
                b'p',
                b'g',
            ]))
        })
        .collect();
    let mut p = filled(4, &odd);
    let shown = take(&mut p, 3);
    p.save(&state).expect("save");
    let mut q = Playlist::load(&state, 0);
    for o in odd.iter().rev() {
        q.add(o.clone());
    }
    // The shown marks matched the re-added paths byte for byte.
    assert_eq!(q.remaining(), 2);
    assert_eq!(q.previous().as_ref(), Some(&shown[1]));
    assert_eq!(
        q.previous().map(|e| e.path.as_os_str().as_bytes().to_vec()),
        Some(shown[0].path.as_os_str().as_bytes().to_vec())
    );
}

/// Feed picks in each window of 100 consecutive picks with both kinds available.
fn feed_counts(percent: u8, picks: usize) -> Vec<usize> {
    let mut mix = MixPolicy::new(percent);
    let kinds: Vec<bool> = (0..picks)
        .map(|_| mix.choose(true, true) == Some(SourceKind::Feed))
        .collect();
    kinds
        .windows(100)
        .map(|w| w.iter().filter(|&&f| f).count())
        .collect()
}

#[test]
fn the_mix_holds_its_share_in_every_window() {
    for percent in [0u8, 1, 25, 33, 50, 67, 99, 100] {
        for count in feed_counts(percent, 1_000) {
            assert!(
                count.abs_diff(usize::from(percent)) <= 1,
                "{percent}%: {count}"
            );
        }
    }
    let pattern = |percent: u8, n: usize| -> String {
        let mut mix = MixPolicy::new(percent);
        (0..n)
            .map(|_| match mix.choose(true, true) {
                Some(SourceKind::Local) => 'L',
                Some(SourceKind::Feed) => 'F',
                None => '-',
            })
            .collect()
    };
    let cases: &[(u8, &str)] = &[
        (0, "LLLLLLLL"),
        (25, "LLLFLLLF"),
        (50, "LFLFLFLF"),
        (100, "FFFFFFFF"),
        (250, "FFFFFFFF"),
    ];
    for (percent, want) in cases {
        assert_eq!(pattern(*percent, want.len()), *want, "{percent}%");
    }
}

#[test]
fn the_mix_falls_back_to_whichever_side_has_photos() {
    let cases: &[(u8, bool, bool, Option<SourceKind>)] = &[
        (0, true, false, Some(SourceKind::Local)),
        (0, false, true, Some(SourceKind::Feed)),
        (100, true, false, Some(SourceKind::Local)),
        (100, false, true, Some(SourceKind::Feed)),
        (50, false, false, None),
        (0, false, false, None),
        (100, false, false, None),
    ];
    for &(percent, local, feed, want) in cases {
        let mut mix = MixPolicy::new(percent);
        for _ in 0..10 {
            assert_eq!(
                mix.choose(local, feed),
                want,
                "{percent}% local={local} feed={feed}"
            );
        }
    }
    // Fallback picks do not build up a debt: when the feed returns, the share resumes.
    let mut mix = MixPolicy::new(50);
    for _ in 0..20 {
        mix.choose(true, false);
    }
    let resumed: Vec<_> = (0..4).map(|_| mix.choose(true, true)).collect();
    let fresh: Vec<_> = {
        let mut m = MixPolicy::new(50);
        (0..4).map(|_| m.choose(true, true)).collect()
    };
    assert_eq!(resumed, fresh);
}
