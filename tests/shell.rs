//! End-to-end tests of the window shell: the real `idlewild` binary under a private X server per
//! test (Xvfb; Xorg with the dummy driver where two monitors are needed), drawing with whatever adapter exists (lavapipe here), driven by XTEST input and checked
//! with screenshots of what the X server really shows.
//!
//! "Shows a photo" is precise: the screenshot is within `common_x11::MATCH_MAD` (12 of 255, mean
//! absolute difference per channel) of one source photo scaled to fill the window by the `image`
//! crate here (the app's own frames come within about 1), and the source photos are asserted to
//! be far apart, so a match names exactly one photo.
//!
//! The tests take a lock and run one at a time: several lavapipe renderers and X servers at once
//! on a 2-core machine would turn the 1 s exit deadlines into a measure of the load.
//! Each test starts its own X server, uses its own temporary settings, cache and state folders,
//! and kills the binary and its workers if it fails half way.

#![cfg(target_os = "linux")]

mod common_x11;

use common_x11::world::{STARTUP, STEP, STILL, World, assert_exits_promptly};
use common_x11::{App, References, XServer, keysym, poll};
use std::path::Path;
use std::time::{Duration, Instant};

/// The completed-transition records of display 0 in the metrics file so far.
fn transition_records(metrics: &Path) -> usize {
    std::fs::read_to_string(metrics)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["kind"] == "transition" && v["display"] == 0)
        .count()
}

/// `--window --size 640x400`: the preview window shows a source photo filling it exactly; X
/// steps to another source photo and Z back to the first; Esc ends the run with status 0 within
/// 1 s.
#[test]
fn window_shows_photos_steps_on_x_and_z_and_exits_on_escape() {
    let Some(w) = World::new((1280, 800)) else {
        return;
    };
    let refs = References::new(&w.files, (640, 400));
    let mut app = w.spawn(&STILL, &["--window", "--size", "640x400"]);
    let Some((win, first)) = w.first_photo(&mut app, &refs) else {
        return;
    };
    let (_, size) = w.x.geometry(win).expect("geometry");
    assert_eq!(
        size,
        (640, 400),
        "the preview window has the size asked for"
    );
    let m = refs.classify(&w.screenshot(win).expect("screenshot"));
    eprintln!(
        "first photo {}: distances {:?}",
        refs.name(first),
        m.distances
    );

    w.x.focus(win);
    w.x.key(keysym::X);
    let second = w.next_photo(&refs, win, first, "after X");
    eprintln!("X: {} -> {}", refs.name(first), refs.name(second));
    assert!(app.exited().is_none(), "X does not end the preview");
    // Z goes back to the photo before the one on screen: the first one.
    w.x.key(keysym::Z);
    let back = w.next_photo(&refs, win, second, "after Z");
    assert_eq!(
        refs.name(back),
        refs.name(first),
        "Z shows the previous photo again"
    );

    let pressed = Instant::now();
    w.x.key(keysym::ESCAPE);
    assert_exits_promptly(&mut app, pressed, "Esc");
    w.done("window");
}

/// `--window-id`: drawing into a window the test created; the run ends when it is destroyed.
#[test]
fn window_id_draws_into_a_foreign_window_and_exits_when_it_is_destroyed() {
    let Some(w) = World::new((1280, 800)) else {
        return;
    };
    let refs = References::new(&w.files, (320, 240));
    // Magenta: neither a photo nor black, so "shows a photo" cannot be the background.
    let win = w.x.create_window(100, 50, 320, 240, 0xff00ff);
    let before = w.screenshot(win).expect("screenshot of the test's window");
    assert_eq!(
        refs.classify(&before).photo,
        None,
        "the bare window shows no photo"
    );
    let id = win.to_string();
    let mut app = w.spawn(&STILL, &["--window-id", &id]);
    let Some(photo) = app.wait_for(STARTUP, "a photo in the foreign window", || {
        w.showing(&refs, win)
    }) else {
        return;
    };
    eprintln!("--window-id shows {}", refs.name(photo));
    assert_eq!(
        w.x.geometry(win).expect("geometry").1,
        (320, 240),
        "the window keeps the size its owner gave it"
    );
    assert!(app.exited().is_none());

    let destroyed = Instant::now();
    w.x.destroy_window(win);
    let Some((status, _)) = app.wait_exit(Duration::from_secs(5)) else {
        panic!("idlewild still runs 5 s after its window was destroyed");
    };
    eprintln!(
        "window destroyed: exited {status} after {:?}",
        destroyed.elapsed()
    );
    assert!(status.success(), "exit status {status}");
    assert!(
        poll(Duration::from_secs(3), || app
            .group_members()
            .is_empty()
            .then_some(()))
        .is_some(),
        "workers left running: {:?}",
        app.group_members()
    );
    w.done("window-id");
}

/// `--fullscreen`: one window covering the screen with a photo; the pointer may wander up to
/// 10 px from where the saver first saw it, and 20 px ends the run within 1 s.
#[test]
fn fullscreen_shows_a_photo_and_exits_on_pointer_movement_beyond_the_threshold() {
    let Some(w) = World::new((1280, 800)) else {
        return;
    };
    let refs = References::new(&w.files, (1280, 800));
    let mut app = w.spawn(&STILL, &["--fullscreen"]);
    let Some((win, photo)) = w.first_photo(&mut app, &refs) else {
        return;
    };
    eprintln!("fullscreen shows {}", refs.name(photo));
    assert_eq!(
        w.x.geometry(win).expect("geometry"),
        ((0, 0), (1280, 800)),
        "the saver window covers the screen"
    );

    // The exit rule measures from the first position the window saw: make sure it has seen one
    // (1 px from where the pointer rests) before the measured moves.
    let (x0, y0) = w.x.pointer();
    w.x.move_pointer(x0 + 1, y0);
    std::thread::sleep(Duration::from_millis(500));
    w.x.move_pointer(x0 + 3, y0);
    std::thread::sleep(Duration::from_secs(1));
    assert!(app.exited().is_none(), "a 3 px movement ended the saver");
    let moved = Instant::now();
    w.x.move_pointer(x0 + 20, y0);
    assert_exits_promptly(&mut app, moved, "20 px movement");
    w.done("fullscreen");
}

/// SIGKILL of the image worker: the photo on screen stays, the supervisor starts a new worker
/// process, and the slideshow goes on with photos the new worker delivers.
#[test]
fn killed_image_worker_is_replaced_and_the_show_goes_on() {
    let Some(w) = World::new((1280, 800)) else {
        return;
    };
    let refs = References::new(&w.files, (640, 400));
    let metrics = w.home.path("metrics.jsonl");
    let metrics_arg = metrics.to_string_lossy().into_owned();
    let settings = [
        ("display.ken_burns", "false"),
        ("transitions.duration_ms", "300"),
        ("display.interval_s", "3"),
    ];
    let mut app = w.spawn(
        &settings,
        &["--window", "--size", "640x400", "--metrics", &metrics_arg],
    );
    let Some((win, first)) = w.first_photo(&mut app, &refs) else {
        return;
    };
    let workers = app.image_workers();
    assert_eq!(workers.len(), 1, "one image worker: {workers:?}");
    let old = workers[0];
    assert!(
        app.group_members().contains(&old),
        "the worker is seen as a member of the run's group (the orphan checks rely on it)"
    );

    // Kill right after a transition has brought a new photo: the next request is ~1.5 s away,
    // so no request is in flight and the photo after this one must come from the new worker.
    let on_screen = w.next_photo(&refs, win, first, "the slideshow");
    let killed = Instant::now();
    // SAFETY: kill(2) on the worker process found among the children of the run we started.
    let rc = unsafe { libc::kill(old as libc::pid_t, libc::SIGKILL) };
    assert_eq!(rc, 0, "kill the image worker {old}");
    std::thread::sleep(Duration::from_millis(200));
    assert!(app.exited().is_none(), "the UI survives its worker");
    assert_eq!(
        w.showing(&refs, win),
        Some(on_screen),
        "the photo on screen stays while the worker is gone"
    );

    let new = poll(Duration::from_secs(15), || {
        app.image_workers().into_iter().find(|&p| p != old)
    })
    .expect("a new image worker within 15 s of the kill");
    eprintln!(
        "worker {old} killed; worker {new} started {:?} later",
        killed.elapsed()
    );
    assert!(
        !common_x11::processes().any(|p| p.pid == old && p.alive()),
        "the killed worker is gone"
    );

    // Two more photos: even if the first had been uploaded before the kill (the timing above
    // makes that unlikely), the second was certainly asked of the new worker.
    let third = w.next_photo(&refs, win, on_screen, "after the restart");
    let fourth = w.next_photo(&refs, win, third, "after the restart, again");
    let took = killed.elapsed();
    eprintln!(
        "after the kill: {} -> {} -> {} in {took:?}",
        refs.name(on_screen),
        refs.name(third),
        refs.name(fourth)
    );
    // No bound on `took` itself: each step above has its own deadline ([`STEP`]), and a total
    // would only measure the machine's load.
    assert!(app.exited().is_none(), "still running");
    assert_eq!(
        app.image_workers(),
        vec![new],
        "exactly the new worker runs"
    );
    // Each completed transition writes one record, when it ends: the fourth photo is
    // recognised on screen slightly before its crossfade is over, so wait for the third record
    // itself (pressing Esc earlier ends the run before it is written).
    app.wait_until(STEP, "3 transition records in the metrics", || {
        (transition_records(&metrics) >= 3).then_some(())
    });

    let pressed = Instant::now();
    w.x.focus(win);
    w.x.key(keysym::ESCAPE);
    assert_exits_promptly(&mut app, pressed, "Esc after a worker restart");
    let transitions = transition_records(&metrics);
    assert!(
        transitions >= 3,
        "{transitions} transition records in the metrics:\n{}",
        std::fs::read_to_string(&metrics).unwrap_or_default()
    );
    w.done("worker kill");
}

/// Waits until the run's log holds `line` (strict: any exit fails the test).
fn wait_log_line(app: &mut App, w: &World, line: &str) {
    let log = w.home.path("idlewild.log");
    app.wait_until(STARTUP, &format!("the log line \"{line}\""), || {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        text.contains(line).then_some(())
    });
}

/// X brings another photo (through a crossfade, the one effect groups B and C draw), and Esc
/// exits 0 in time.
fn step_and_exit(w: &World, app: &mut App, refs: &References, win: u32, first: usize, name: &str) {
    w.x.focus(win);
    w.x.key(keysym::X);
    let second = w.next_photo(refs, win, first, &format!("{name}: after X"));
    eprintln!("{name}: X: {} -> {}", refs.name(first), refs.name(second));
    let pressed = Instant::now();
    w.x.key(keysym::ESCAPE);
    assert_exits_promptly(app, pressed, &format!("{name}: Esc"));
    w.done(name);
}

/// Runs a `--window` preview with `env` and checks what every GPU fallback path must still do:
/// the log names the group (`expect` lines, in order), a photo fills the window, X brings
/// another one, and Esc exits 0 in time. Only the wait for the first line may skip (the run
/// ended with an environmental status before doing anything); after it, any exit is a failure.
fn fallback_run(name: &str, env: &[(&str, &str)], expect: &[&str]) {
    let Some(w) = World::new((1280, 800)) else {
        return;
    };
    let refs = References::new(&w.files, (640, 400));
    let mut app = w.spawn_env(&STILL, &["--window", "--size", "640x400"], env);
    let log = w.home.path("idlewild.log");
    let Some((first_line, rest)) = expect.split_first() else {
        panic!("{name}: no log line to wait for");
    };
    let seen = app.wait_for(STARTUP, &format!("the log line \"{first_line}\""), || {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        text.contains(first_line).then_some(())
    });
    if seen.is_none() {
        return;
    }
    for line in rest {
        wait_log_line(&mut app, &w, line);
    }
    let (win, first) = w.first_photo_or_fail(&mut app, &refs);
    eprintln!("{name}: shows {}", refs.name(first));
    step_and_exit(&w, &mut app, &refs, win, first, name);
}

/// Group B, forced as a user with a misbehaving driver would: every transition is drawn by the
/// minimal compositor as a crossfade.
#[test]
fn fallback_group_b_draws_photos_with_the_minimal_compositor() {
    fallback_run(
        "group B",
        &[("IDLEWILD_RENDERER", "minimal")],
        &["renderer group B (crossfade only): forced by IDLEWILD_RENDERER"],
    );
}

/// Group C for real, and a failure (never a skip) when it cannot draw: Vulkan is the only
/// backend allowed and its loader finds no driver, and EGL (GL) finds no vendor library either,
/// so no adapter exists; the photo must still reach the window, composed on the CPU and put
/// there by `softbuffer`. The log must say that the environment, not `IDLEWILD_RENDERER`, chose
/// group C.
#[test]
fn fallback_group_c_draws_photos_from_the_cpu_when_no_adapter_exists() {
    let name = "group C";
    let Some(w) = World::without_gpu((1280, 800)) else {
        return;
    };
    let refs = References::new(&w.files, (640, 400));
    let nowhere = "/nonexistent/idlewild-test-driver.json";
    let env = [
        ("WGPU_BACKEND", "vulkan"),
        ("VK_ICD_FILENAMES", nowhere),
        ("VK_DRIVER_FILES", nowhere),
        ("__EGL_VENDOR_LIBRARY_FILENAMES", nowhere),
    ];
    let mut app = w.spawn_env(&STILL, &["--window", "--size", "640x400"], &env);
    // The photo on screen first: an early exit of any status (4, "no graphics device can draw
    // here", included) fails the test, since drawing here is this test's subject.
    let (win, first) = w.first_photo_or_fail(&mut app, &refs);
    eprintln!("{name}: shows {}", refs.name(first));
    let log = app.output();
    let chosen = "renderer group C (CPU compositor, crossfade only, no Ken Burns) for this run:";
    let Some(line) = log.lines().find(|l| l.contains(chosen)) else {
        panic!("the log does not say that this machine's lack of an adapter chose group C:\n{log}");
    };
    eprintln!("{name}: {line}");
    assert!(
        !log.contains("forced by IDLEWILD_RENDERER"),
        "group C must come from the environment, not be forced:\n{log}"
    );
    step_and_exit(&w, &mut app, &refs, win, first, name);
}

/// Device loss (simulated four times, 1.5 s apart: wgpu cannot lose a device on purpose):
/// the first three recreate the device and the renderers, the fourth demotes the run to group
/// C, and the show goes on throughout.
#[test]
fn device_losses_recreate_the_device_then_demote_to_the_cpu() {
    fallback_run(
        "device loss",
        &[
            ("IDLEWILD_TEST_DEVICE_LOSS_S", "1.5"),
            ("IDLEWILD_TEST_DEVICE_LOSSES", "4"),
        ],
        &[
            "graphics device lost; recreating it (1 of at most 3)",
            "graphics device lost; recreating it (3 of at most 3)",
            "for the rest of the run: the graphics device was lost 4 times",
        ],
    );
}

/// Two real monitors (Xorg's dummy driver: 800×600 and 640×480 side by side): `--fullscreen`
/// covers each with its own window showing a photo at that monitor's size, the same photo on
/// both with `display.same_image_all_monitors`; `display.monitors = ["2"]` shows only the
/// second; Esc ends both runs.
#[test]
fn fullscreen_covers_each_monitor_and_display_monitors_selects_them() {
    const MONITORS: [((i16, i16), (u16, u16)); 2] = [((0, 0), (800, 600)), ((800, 0), (640, 480))];
    let Some(w) =
        World::with_server(|home| XServer::xorg_dummy(&MONITORS.map(|m| m.1), &home.path("xorg")))
    else {
        return;
    };
    let refs: Vec<References> = MONITORS
        .iter()
        .map(|&(_, (mw, mh))| References::new(&w.files, (u32::from(mw), u32::from(mh))))
        .collect();
    // Which monitor a window covers exactly, and the photo it shows.
    let shows = |win: u32| -> Option<(usize, usize)> {
        let geometry = w.x.geometry(win)?;
        let monitor = MONITORS.iter().position(|&m| m == geometry)?;
        Some((monitor, w.showing(&refs[monitor], win)?))
    };

    let mut same = STILL.to_vec();
    same.push(("display.same_image_all_monitors", "true"));
    let mut app = w.spawn(&same, &["--fullscreen"]);
    let Some(both) = app.wait_for(STARTUP, "a photo on each of the two monitors", || {
        let mut seen: Vec<(usize, usize)> =
            w.x.find_windows("Idlewild")
                .into_iter()
                .filter_map(shows)
                .collect();
        seen.sort_unstable();
        (seen.len() == 2 && seen[0].0 == 0 && seen[1].0 == 1).then_some(seen)
    }) else {
        return;
    };
    eprintln!(
        "two monitors show {} and {}",
        refs[0].name(both[0].1),
        refs[1].name(both[1].1)
    );
    assert_eq!(
        both[0].1, both[1].1,
        "same_image_all_monitors: both monitors show the same photo"
    );
    assert_eq!(
        w.x.find_windows("Idlewild").len(),
        2,
        "one window per monitor"
    );
    let first = w.x.find_window("Idlewild").expect("a window");
    w.x.focus(first);
    let pressed = Instant::now();
    w.x.key(keysym::ESCAPE);
    assert_exits_promptly(&mut app, pressed, "Esc on two monitors");

    let mut second_only = STILL.to_vec();
    second_only.push(("display.monitors", "[\"2\"]"));
    let mut app = w.spawn(&second_only, &["--fullscreen"]);
    // The first run drew on this machine: any exit of the second is a failure.
    let win = app.wait_until(STARTUP, "a photo on the second monitor", || {
        let win = w.x.find_window("Idlewild")?;
        (shows(win)?.0 == 1).then_some(win)
    });
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        w.x.find_windows("Idlewild"),
        vec![win],
        "display.monitors = [\"2\"]: no window on the first monitor"
    );
    w.x.focus(win);
    let pressed = Instant::now();
    w.x.key(keysym::ESCAPE);
    assert_exits_promptly(&mut app, pressed, "Esc on the second monitor");
    w.done("two monitors");
}
