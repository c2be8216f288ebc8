//! End-to-end tests of the visualizer: the real binary under a private X server, its fft
//! worker playing a WAV file or capturing a real PulseAudio null sink's monitor, the bars
//! checked on screen (screenshots) and from outside through the `--metrics` visualizer records
//! (which carry the bar heights the render loop read from shared memory).
//!
//! Only the first wait of a test may skip (the run exited with an environmental status before
//! drawing anything); PulseAudio is probed up front, and a daemon that is installed but does not
//! start fails the test.

#![cfg(target_os = "linux")]

mod common_x11;

use common_x11::world::{STARTUP, STEP, STILL, World, assert_exits_promptly};
use common_x11::{App, MATCH_MAD, References, keysym, mad, poll};
use idlewild_fft::bands::BandLayout;
use idlewild_fft::wav::write_mono16;
use image::RgbImage;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The preview window's size.
const SIZE: (u32, u32) = (640, 400);

/// A mono 16-bit WAV of `seconds` from `sample(t)` at 48 kHz.
fn write_wav(path: &Path, seconds: u32, mut sample: impl FnMut(f32) -> f32) {
    let samples = (0..48_000 * seconds).map(|i| sample(i as f32 / 48_000.0));
    write_mono16(path, 48_000, samples).expect("wav written");
}

/// The visualizer records of the metrics file so far.
fn visualizer_records(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["kind"] == "visualizer")
        .collect()
}

/// The t_s of a record.
fn t_s(record: &serde_json::Value) -> f64 {
    record["t_s"].as_f64().unwrap_or(0.0)
}

/// Waits for a visualizer record written after `since` seconds of the run that satisfies
/// `want` (failing after `timeout`, or on any exit of the run, with `what`).
fn wait_record(
    app: &mut App,
    metrics: &Path,
    since: f64,
    timeout: Duration,
    what: &str,
    mut want: impl FnMut(&serde_json::Value) -> bool,
) -> serde_json::Value {
    app.wait_until(timeout, what, || {
        visualizer_records(metrics)
            .into_iter()
            .find(|r| t_s(r) > since && want(r))
    })
}

/// [`wait_record`] for the first record of a run: `None` (skipped) when the run exited with an
/// environmental status before writing it.
fn first_record(
    app: &mut App,
    metrics: &Path,
    what: &str,
    mut want: impl FnMut(&serde_json::Value) -> bool,
) -> Option<serde_json::Value> {
    app.wait_for(STARTUP, what, || {
        visualizer_records(metrics).into_iter().find(|r| want(r))
    })
}

fn bars(record: &serde_json::Value) -> Vec<f64> {
    record["bars"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_f64()).collect())
        .unwrap_or_default()
}

/// Rows `rows` of `img`.
fn rows(img: &RgbImage, rows: std::ops::Range<u32>) -> RgbImage {
    image::imageops::crop_imm(img, 0, rows.start, img.width(), rows.end - rows.start).to_image()
}

/// The photo the top half of `shot` shows (the bars live in the bottom quarter).
fn photo_above_bars(refs: &References, files: usize, shot: &RgbImage) -> Option<usize> {
    let top = rows(shot, 0..SIZE.1 / 2);
    (0..files).find(|&i| mad(&rows(refs.frame(i), 0..SIZE.1 / 2), &top) < MATCH_MAD)
}

/// How far the foot of the bars' band of `shot` (its bottom 6 % of rows, across the middle
/// 80 % of columns, where every bar of the noise stands) is from photo `photo`'s.
fn band_distance(refs: &References, photo: usize, shot: &RgbImage) -> f64 {
    let foot = |img: &RgbImage| {
        let (w, h) = SIZE;
        let top = h * 94 / 100;
        image::imageops::crop_imm(img, w / 10, top, w * 8 / 10, h - top).to_image()
    };
    mad(&foot(refs.frame(photo)), &foot(shot))
}

#[test]
fn bars_rise_over_the_photo_fade_when_the_worker_dies_and_come_back_after_its_restart() {
    let Some(w) = World::new((1280, 800)) else {
        return;
    };
    let refs = References::new(&w.files, SIZE);
    let noise = w.noise_wav();
    let metrics = w.home.path("metrics.jsonl");
    let mut settings = STILL.to_vec();
    // A slow restart, so the bars have time to fade out completely before they come back.
    settings.push(("workers.backoff_initial_ms", "2500"));
    let size = format!("{}x{}", SIZE.0, SIZE.1);
    let args = [
        "--window",
        "--size",
        &size,
        "--audio-file",
        noise.to_str().unwrap(),
        "--metrics",
        metrics.to_str().unwrap(),
    ];
    let mut app = w.spawn_env(&settings, &args, &[("IDLEWILD_METRICS_PERIOD_MS", "200")]);
    let Some(shown) = first_record(&mut app, &metrics, "bars fully shown", |r| {
        r["fade"].as_f64() == Some(1.0) && bars(r).iter().cloned().fold(0.0, f64::max) > 0.3
    }) else {
        return;
    };
    assert_eq!(shown["layout"], "left_to_right");
    assert_eq!(bars(&shown).len(), 64);
    assert!(
        shown["source"].as_str().unwrap_or("").contains("noise.wav"),
        "{shown}"
    );
    let epoch = shown["epoch"].as_u64().expect("epoch");
    let win = w.x.find_window("Idlewild").expect("the preview window");
    // On screen: the photo above, bars over its bottom quarter.
    let (photo, shot) = app.wait_until(STARTUP, "the photo above the bars", || {
        let shot = w.screenshot(win)?;
        Some((photo_above_bars(&refs, w.files.len(), &shot)?, shot))
    });
    let with_bars = band_distance(&refs, photo, &shot);
    assert!(
        with_bars > 2.0 * MATCH_MAD,
        "the bars change the bottom quarter: {with_bars:.1} from the bare photo"
    );

    // The fft worker dies: the photo stays, the bars fade out, the renderer keeps drawing.
    let fft = app.workers("fft");
    assert_eq!(fft.len(), 1, "one fft worker: {fft:?}");
    // SAFETY: kill(2) on the live child the test just found.
    unsafe { libc::kill(fft[0] as libc::pid_t, libc::SIGKILL) };
    let killed = Instant::now();
    let gone = wait_record(
        &mut app,
        &metrics,
        t_s(&shown),
        Duration::from_secs(20),
        "bars faded out",
        |r| r["fade"].as_f64() == Some(0.0) && r["epoch"].as_u64() == Some(epoch),
    );
    eprintln!("bars hidden {:?} after the kill: {gone}", killed.elapsed());
    assert!(app.exited().is_none(), "the UI survives its fft worker");
    // The record is written right after the frame that drew fade 0 was submitted; the X server
    // may show it a moment later, so wait for the screen itself.
    let mut bare = f64::INFINITY;
    let shot = app.wait_until(STEP, "no bars left on screen", || {
        let shot = w.screenshot(win)?;
        bare = band_distance(&refs, photo, &shot);
        (bare < MATCH_MAD).then_some(shot)
    });
    eprintln!("bars gone from the screen: {bare:.1} from the bare photo");
    assert_eq!(photo_above_bars(&refs, w.files.len(), &shot), Some(photo));

    // The restarted worker (a new epoch) brings them back by itself.
    let back = wait_record(
        &mut app,
        &metrics,
        t_s(&gone),
        Duration::from_secs(30),
        "bars back",
        |r| r["epoch"].as_u64() > Some(epoch) && r["fade"].as_f64() == Some(1.0),
    );
    eprintln!("bars back {:?} after the kill: {back}", killed.elapsed());
    let shot = poll(Duration::from_secs(5), || {
        let shot = w.screenshot(win)?;
        (band_distance(&refs, photo, &shot) > 2.0 * MATCH_MAD).then_some(shot)
    });
    assert!(shot.is_some(), "the bars are drawn again");
    let frames: Vec<serde_json::Value> = std::fs::read_to_string(&metrics)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .filter(|v: &serde_json::Value| v["kind"] == "periodic")
        .collect();
    assert!(
        frames.iter().any(|r| r["frames"].as_u64() > Some(0)),
        "frames were drawn throughout"
    );
    w.x.focus(win);
    w.x.key(keysym::ESCAPE);
    assert_exits_promptly(&mut app, Instant::now(), "Esc");
    w.done("visualizer: bars, worker kill, restart");
}

/// A private PulseAudio daemon with a null sink (`scripts/pulse-null-sink.sh`), stopped on drop.
struct Pulse {
    dir: PathBuf,
    pid: u32,
}

impl Pulse {
    fn start(dir: &Path) -> Result<Pulse, String> {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/pulse-null-sink.sh");
        let out = Command::new("bash")
            .arg(&script)
            .arg(dir)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_owned());
        }
        let pid = String::from_utf8_lossy(&out.stdout)
            .trim()
            .lines()
            .last()
            .and_then(|l| l.trim().parse().ok())
            .ok_or("the script printed no daemon pid")?;
        Ok(Pulse {
            dir: dir.to_owned(),
            pid,
        })
    }

    fn server(&self) -> String {
        format!("unix:{}", self.dir.join("native").display())
    }

    /// Plays `wav` into the null sink (until killed).
    fn play(&self, wav: &Path) -> Child {
        Command::new("paplay")
            .arg(format!("--server={}", self.server()))
            .arg("--device=vsink")
            .arg(wav)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("paplay")
    }
}

impl Drop for Pulse {
    fn drop(&mut self) {
        // SAFETY: kill(2) on the daemon this guard started.
        unsafe { libc::kill(self.pid as libc::pid_t, libc::SIGTERM) };
    }
}

#[test]
fn real_loopback_capture_of_a_pulseaudio_null_sink_peaks_in_the_tones_band() {
    let Some(w) = World::new((1280, 800)) else {
        return;
    };
    if idlewild_testkit::require(idlewild_testkit::probe::pulseaudio()).is_none() {
        return;
    }
    let pulse_dir = w.home.path("pulse");
    std::fs::create_dir_all(&pulse_dir).expect("mkdir");
    // Installed (probed above) but not starting is this machine's failure, not a skip.
    let pulse = Pulse::start(&pulse_dir)
        .unwrap_or_else(|why| panic!("PulseAudio is installed but did not start: {why}"));
    let tone = w.home.path("tone-1k.wav");
    write_wav(&tone, 60, |t| {
        (std::f32::consts::TAU * 1000.0 * t).sin() * 0.5
    });
    let mut player = pulse.play(&tone);
    let metrics = w.home.path("metrics.jsonl");
    let size = format!("{}x{}", SIZE.0, SIZE.1);
    let args = [
        "--window",
        "--size",
        &size,
        "--metrics",
        metrics.to_str().unwrap(),
    ];
    let server = pulse.server();
    let env = [
        ("IDLEWILD_METRICS_PERIOD_MS", "200"),
        ("PULSE_SERVER", server.as_str()),
    ];
    let mut settings = STILL.to_vec();
    settings.push(("visualizer.hide_after_s", "2"));
    let mut app = w.spawn_env(&settings, &args, &env);
    let layout = BandLayout::new(64, (50.0, 10_000.0), 48_000, (2048, 8192), 400.0).unwrap();
    let band = layout.bar_of(1000.0).expect("1 kHz is shown");
    let peak_of = |r: &serde_json::Value| {
        let b = bars(r);
        b.iter()
            .enumerate()
            .max_by(|x, y| x.1.total_cmp(y.1))
            .map(|(i, _)| i)
    };
    let Some(record) = first_record(&mut app, &metrics, "bars of the captured tone", |r| {
        r["fade"].as_f64() == Some(1.0) && peak_of(r) == Some(band)
    }) else {
        let _ = player.kill();
        let _ = player.wait();
        return;
    };
    eprintln!("captured: {record}");
    let source = record["source"].as_str().unwrap_or("");
    assert!(
        !source.starts_with("no audio") && !source.contains(".wav"),
        "the source is the sink's monitor: {source}"
    );
    // The music stops: the bars fall to the idle floor, then (after `hide_after_s`) fade out.
    let _ = player.kill();
    let _ = player.wait();
    let stopped = Instant::now();
    let floor = wait_record(
        &mut app,
        &metrics,
        t_s(&record),
        Duration::from_secs(20),
        "bars at the floor",
        |r| r["fade"].as_f64() == Some(1.0) && bars(r).iter().all(|&b| b <= 0.02),
    );
    eprintln!(
        "floor {:?} after the music stopped: {floor}",
        stopped.elapsed()
    );
    let hidden = wait_record(
        &mut app,
        &metrics,
        t_s(&floor),
        Duration::from_secs(20),
        "bars hidden",
        |r| r["fade"].as_f64() == Some(0.0),
    );
    assert!(
        stopped.elapsed() >= Duration::from_secs(2),
        "hidden only after 2 s of silence: {hidden}"
    );
    let win = w.x.find_window("Idlewild").expect("the preview window");
    w.x.focus(win);
    w.x.key(keysym::ESCAPE);
    assert_exits_promptly(&mut app, Instant::now(), "Esc");
    w.done("visualizer: real capture");
}
