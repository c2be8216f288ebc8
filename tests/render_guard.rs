//! The render thread cannot stall the show for good, and says a lasting condition once: the real
//! binary under a private Xvfb (lavapipe), with the test-only fault hook
//! `IDLEWILD_TEST_RENDER_FAULT` making the render thread panic or hang.
//!
//! - An empty library: "No photos found" appears once in the run's output, however many frames
//!   meet it (it was logged on every frame, ~60 lines a second).
//! - A panic, and a hang: the UI thread's guardian rebuilds the render thread on new windows;
//!   a photo is on screen again, metrics records resume, and the process still runs.
//! - A hang in every rebuilt thread: the run ends with exit status 5 (`Exit::RenderLost`) and
//!   no worker stays behind.
//!
//! Waits are for conditions (log lines, records, screenshots) with generous deadlines, never
//! for a fixed time.

#![cfg(target_os = "linux")]

mod common_x11;

use common_x11::world::{STARTUP, STEP, World};
use common_x11::{App, References, poll};
use idlewild::exit::Exit;
use std::path::Path;
use std::time::Duration;

/// Settings of every test here: a still photo (screenshots compare with the photo), short
/// transitions.
const SETTINGS: [(&str, &str); 3] = [
    ("display.ken_burns", "false"),
    ("transitions.duration_ms", "300"),
    ("display.interval_s", "3600"),
];
/// Metrics every 200 ms, so "records resume" is seen soon.
const METRICS_MS: (&str, &str) = ("IDLEWILD_METRICS_PERIOD_MS", "200");

/// Periodic records of display 0 in the metrics file so far.
fn periodic_records(metrics: &Path) -> usize {
    std::fs::read_to_string(metrics)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["kind"] == "periodic" && v["display"] == 0)
        .count()
}

/// Lines of the run's output (`idlewild.log` in its home) containing `text`.
fn lines_with(w: &World, text: &str) -> usize {
    std::fs::read_to_string(w.home.path("idlewild.log"))
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains(text))
        .count()
}

/// The window titled "Idlewild" shows a photo again: a window other than `old` (rebuilt threads
/// draw on new windows), mapped and showing one of the photos.
fn photo_on_new_window(w: &World, app: &mut App, refs: &References, old: u32) -> (u32, usize) {
    app.wait_until(STARTUP, "a new window showing a photo", || {
        w.x.find_windows("Idlewild")
            .into_iter()
            .filter(|&win| win != old && w.x.viewable(win))
            .find_map(|win| Some((win, w.showing(refs, win)?)))
    })
}

/// A fault in the first render thread only: it is rebuilt, the show goes on.
fn survives(fault: &str, name: &str) {
    let Some(w) = World::new((1024, 768)) else {
        return;
    };
    let refs = References::new(&w.files, (640, 400));
    let metrics = w.home.path("metrics.jsonl");
    let metrics_arg = metrics.to_string_lossy().into_owned();
    let mut app = w.spawn_env(
        &SETTINGS,
        &["--window", "--size", "640x400", "--metrics", &metrics_arg],
        &[("IDLEWILD_TEST_RENDER_FAULT", fault), METRICS_MS],
    );
    let Some((first_win, _)) = w.first_photo(&mut app, &refs) else {
        return;
    };
    app.wait_until(STARTUP, "the guardian starting a new render thread", || {
        (lines_with(&w, "starting a new one on new windows") > 0).then_some(())
    });
    let records_at_rebuild = periodic_records(&metrics);
    let (win, photo) = photo_on_new_window(&w, &mut app, &refs, first_win);
    eprintln!(
        "{name}: window {win} shows {} after the rebuild",
        refs.name(photo)
    );
    app.wait_until(STEP, "metrics records after the rebuild", || {
        (periodic_records(&metrics) >= records_at_rebuild + 3).then_some(())
    });
    assert!(app.exited().is_none(), "{name}: the run goes on");
    assert_eq!(
        lines_with(&w, "starting a new one on new windows"),
        1,
        "{name}: one rebuild (the fault is in the first thread only)"
    );
    // The rebuilt thread stopped and restarted the image worker so its regions reach it.
    assert_eq!(app.image_workers().len(), 1, "{name}: one image worker");
    w.done(name);
}

#[test]
fn a_panicking_render_thread_is_rebuilt_and_the_show_goes_on() {
    survives("panic:2", "panic");
}

#[test]
fn a_hung_render_thread_is_rebuilt_and_the_show_goes_on() {
    survives("hang:2", "hang");
}

/// Every render thread hangs: after the rebuilds allowed, the run ends with status 5 and takes
/// its workers with it.
#[test]
fn a_render_thread_that_keeps_hanging_ends_the_run_with_status_5() {
    let Some(w) = World::new((1024, 768)) else {
        return;
    };
    let mut app = w.spawn_env(
        &SETTINGS,
        &["--window", "--size", "640x400"],
        &[("IDLEWILD_TEST_RENDER_FAULT", "hang:1:always")],
    );
    // Four threads, each up to a minute to set up on a loaded machine, plus 1 s + 2 s each.
    let Some((status, _)) = app.wait_exit(Duration::from_secs(300)) else {
        panic!("still running after every rebuilt render thread hung");
    };
    // Each thread may hang before its first photo, so there is no photo to wait for first: a
    // machine that cannot draw at all is told apart by its exit status.
    if let Some(exit) = status.code().and_then(Exit::from_code)
        && exit.is_environmental()
    {
        idlewild_testkit::skip(format!("idlewild exited with {exit:?}: cannot draw here"));
        return;
    }
    assert_eq!(
        status.code(),
        Some(i32::from(Exit::RenderLost.code())),
        "exit status {status}"
    );
    assert_eq!(
        lines_with(&w, "starting a new one on new windows"),
        3,
        "three rebuilds before giving up"
    );
    let gone = poll(Duration::from_secs(10), || {
        app.group_members().is_empty().then_some(())
    });
    assert!(
        gone.is_some(),
        "workers left behind: {:?}",
        app.group_members()
    );
    w.done("hang always");
}

/// `--source` an empty folder: the render loop meets "no photos" every frame; the message is
/// said once.
#[test]
fn an_empty_library_is_reported_once_not_per_frame() {
    let Some(w) = World::new((1024, 768)) else {
        return;
    };
    let empty = w.home.path("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    let metrics = w.home.path("metrics.jsonl");
    let settings = w.home.settings(&SETTINGS);
    let args: Vec<std::ffi::OsString> = vec![
        "--settings".into(),
        settings.into(),
        "--window".into(),
        "--size".into(),
        "320x200".into(),
        "--metrics".into(),
        metrics.clone().into(),
        "--source".into(),
        empty.into(),
    ];
    let mut app = App::spawn(&w.x, &w.home, &args, &[METRICS_MS]);
    app.wait_until(STARTUP, "the empty library reported", || {
        (lines_with(&w, "No photos found") > 0).then_some(())
    });
    // Many more iterations of the loop, each of which asks and is told "no photos" again:
    // ten periodic records after the first report.
    let seen = periodic_records(&metrics);
    app.wait_until(STEP, "ten more metrics records", || {
        (periodic_records(&metrics) >= seen + 10).then_some(())
    });
    assert!(
        app.exited().is_none(),
        "an empty library does not end the run"
    );
    assert_eq!(
        lines_with(&w, "No photos found"),
        1,
        "said once, not per frame"
    );
    w.done("empty library");
}
