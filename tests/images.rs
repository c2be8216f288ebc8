//! End-to-end tests of the image worker: the real `idlewild worker image` process under the real
//! supervisor, real photos from Debian's `mate-backgrounds`, and hostile files made here.
//!
//! Photos are linked (symlinks) into a temporary folder per test, so each test controls exactly
//! which files the worker sees without copying megabytes around.

#![cfg(unix)]

mod common;

use idlewild::images::{Direction, ImageClient, ImageEvent};
use idlewild::supervisor::{Event, RegionPlan, Supervisor, SupervisorConfig, WorkerSpec};
use idlewild_protocol::WorkerKind;
use idlewild_protocol::message::RegionRole;
use idlewild_protocol::message::image::{
    DisplaySpec, FrameInfo, ImageConfig, ImageLimits, ImageResponse, ScaleMode, ScaleOptions,
    SourceConfig,
};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const W: u32 = 640;
const H: u32 = 360;

/// The real photos (at least six), or `None` (skipped) when `mate-backgrounds` is missing.
fn photos() -> Option<Vec<PathBuf>> {
    idlewild_testkit::require(idlewild_testkit::probe::photo_library(6))
}

/// A folder holding symlinks to `photos`.
fn linked(dir: &Path, photos: &[PathBuf]) {
    for p in photos {
        std::os::unix::fs::symlink(p, dir.join(p.file_name().unwrap())).unwrap();
    }
}

fn config(folder: &Path, state: &Path, seed: u64) -> ImageConfig {
    ImageConfig {
        sources: SourceConfig {
            folders: vec![folder.to_path_buf()],
            extensions: Vec::new(),
            follow_symlinks: true,
        },
        displays: vec![DisplaySpec {
            id: 0,
            width: W,
            height: H,
        }],
        scale: ScaleOptions {
            mode: ScaleMode::Fill,
            blur_bars: false,
            sharpen: false,
        },
        limits: ImageLimits {
            time_budget_ms: 20_000,
            ..ImageLimits::default()
        },
        prefetch: 2,
        cache_bytes: 32 << 20,
        same_on_all: false,
        feed_percent: 25,
        state_dir: state.to_path_buf(),
        seed: Some(seed),
    }
}

fn supervisor_config() -> SupervisorConfig {
    SupervisorConfig {
        workers: vec![WorkerSpec {
            kind: WorkerKind::Image,
            regions: vec![RegionPlan {
                role: RegionRole::Frames,
                slots: 3,
                max_payload: u64::from(W * H * 4),
            }],
        }],
        ..common::config()
    }
}

/// The supervisor, the client, and everything the worker said besides frames.
struct Harness {
    sup: Supervisor,
    client: ImageClient,
    skipped: Vec<(String, String)>,
    restarts: u32,
    pid: u32,
}

/// What a frame request ended with.
enum Answer {
    Frame(FrameInfo, Vec<u8>),
    Nothing(String),
}

impl Harness {
    fn start(cfg: ImageConfig) -> Self {
        let sup = Supervisor::start(supervisor_config()).expect("supervisor starts");
        let started = common::started(&sup);
        let mut client = ImageClient::new(cfg);
        client.attach(&sup, started.readers.frames).unwrap();
        Self {
            sup,
            client,
            skipped: Vec::new(),
            restarts: 0,
            pid: started.pid,
        }
    }

    fn lifecycle(&mut self) {
        while let Some(event) = self.sup.poll_event() {
            match event {
                Event::Started { readers, pid, .. } => {
                    self.pid = pid;
                    self.restarts += 1;
                    self.client.attach(&self.sup, readers.frames).unwrap();
                }
                Event::Exited { .. } => self.client.detach(),
                Event::Failed { .. } => panic!("the image worker failed for good"),
            }
        }
    }

    /// Asks for a frame for display 0 and waits (bounded) for the answer.
    fn ask(&mut self, dir: Direction) -> Answer {
        self.ask_on(0, dir)
    }

    /// Asks for a frame for `display` and waits (bounded) for the answer.
    fn ask_on(&mut self, display: u32, dir: Direction) -> Answer {
        self.client.request(&self.sup, display, dir).unwrap();
        let end = Instant::now() + Duration::from_secs(60);
        loop {
            self.lifecycle();
            // Every event of a batch is looked at: a `Skipped` may arrive behind the frame.
            let mut answer = None;
            for event in self.client.poll(&self.sup) {
                match event {
                    ImageEvent::Frame(info) => {
                        let pixels = self
                            .client
                            .read_frame(|meta, bytes| {
                                assert_eq!((meta.width, meta.height), (info.width, info.height));
                                bytes.to_vec()
                            })
                            .expect("the announced frame reads cleanly")
                            .expect("the announced frame is in the slot");
                        self.client.release(&self.sup);
                        answer = Some(Answer::Frame(info, pixels));
                    }
                    ImageEvent::Worker(ImageResponse::NoImages { message, .. }) => {
                        answer = Some(Answer::Nothing(message));
                    }
                    ImageEvent::Worker(ImageResponse::Skipped { source, reason }) => {
                        self.skipped.push((source, reason));
                    }
                    ImageEvent::Failed { message, .. } => panic!("request failed: {message}"),
                    ImageEvent::Worker(_) => {}
                }
            }
            if let Some(answer) = answer {
                return answer;
            }
            assert!(Instant::now() < end, "no answer within 60 s");
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    fn frame(&mut self, dir: Direction) -> (FrameInfo, Vec<u8>) {
        match self.ask(dir) {
            Answer::Frame(info, pixels) => (info, pixels),
            Answer::Nothing(message) => panic!("expected a frame, got: {message}"),
        }
    }

    fn name(&mut self, dir: Direction) -> String {
        let (info, _) = self.frame(dir);
        file_name(&info.source)
    }
}

fn file_name(source: &str) -> String {
    Path::new(source)
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

/// Mean RGB of an RGBA buffer.
fn mean_rgb(rgba: &[u8]) -> [f64; 3] {
    let mut sum = [0u64; 3];
    for px in rgba.chunks_exact(4) {
        for c in 0..3 {
            sum[c] += u64::from(px[c]);
        }
    }
    let n = (rgba.len() / 4).max(1) as f64;
    sum.map(|s| s as f64 / n)
}

#[test]
fn real_photos_arrive_at_display_size_and_show_the_right_photo() {
    let Some(photos) = photos() else { return };
    let dir = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let chosen = &photos[..6];
    linked(dir.path(), chosen);
    let mut h = Harness::start(config(dir.path(), state.path(), 1));
    let mut seen = HashSet::new();
    for i in 0..chosen.len() {
        let (info, pixels) = h.frame(Direction::Next);
        assert_eq!((info.width, info.height), (W, H));
        assert_eq!(pixels.len(), (W * H * 4) as usize);
        assert!(pixels.chunks_exact(4).all(|p| p[3] == 255), "opaque");
        assert_eq!(info.position.0, i as u64 + 1, "position in the cycle");
        assert!(info.source_width >= W && info.source_height >= H);
        assert!(!info.title.is_empty());
        // The frame shows the photo it names: its mean colour matches an independent decode of
        // the source (fill crops a little, so allow some distance).
        let source = image::open(&info.source).unwrap().to_rgba8();
        let (a, b) = (mean_rgb(&pixels), mean_rgb(source.as_raw()));
        let distance = (0..3).map(|c| (a[c] - b[c]).abs()).fold(0.0, f64::max);
        assert!(
            distance < 12.0,
            "{}: mean colour {a:?} vs source {b:?}",
            info.source
        );
        assert!(
            seen.insert(file_name(&info.source)),
            "no repeat within a cycle"
        );
    }
    assert_eq!(seen.len(), chosen.len());
    assert!(h.skipped.is_empty(), "nothing skipped: {:?}", h.skipped);
    h.sup.shutdown();
}

/// Writes the hostile files of the issue into `dir`; returns the names that must be skipped.
fn hostile(dir: &Path, good_jpeg: &Path) -> Vec<&'static str> {
    std::fs::write(dir.join("zero.jpg"), b"").unwrap();
    std::fs::write(
        dir.join("text.jpg"),
        b"this is not a photo, only text\n".repeat(20),
    )
    .unwrap();
    let bytes = std::fs::read(good_jpeg).unwrap();
    std::fs::write(dir.join("truncated.jpg"), &bytes[..bytes.len() / 2]).unwrap();
    std::fs::write(dir.join("bomb.png"), png_header(100_000, 100_000)).unwrap();
    std::fs::create_dir(dir.join("folder.jpg")).unwrap();
    let fifo =
        std::ffi::CString::new(dir.join("fifo.jpg").into_os_string().into_encoded_bytes()).unwrap();
    // SAFETY: mkfifo with a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
    std::os::unix::fs::symlink(".", dir.join("loop")).unwrap();
    // The names the worker reports (a folder, a FIFO and the loop are never photos at all: the
    // scan leaves them out, which the test checks by their absence from the frames).
    vec!["zero.jpg", "text.jpg", "truncated.jpg", "bomb.png"]
}

/// A PNG signature + IHDR chunk (valid CRC) claiming `w`×`h` RGBA pixels, and nothing else.
fn png_header(w: u32, h: u32) -> Vec<u8> {
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend(w.to_be_bytes());
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, 6, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend(13u32.to_be_bytes());
    out.extend(&ihdr);
    out.extend(crc32(&ihdr).to_be_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn hostile_files_are_skipped_with_a_reason_and_replaced() {
    let Some(photos) = photos() else { return };
    let dir = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let good = &photos[..2];
    linked(dir.path(), good);
    let bad = hostile(dir.path(), &photos[0]);
    let mut h = Harness::start(config(dir.path(), state.path(), 3));
    let good_names: HashSet<String> = good
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    // Several cycles' worth of requests: every answer is a good photo, never a blank screen,
    // and a failure moves on to the next photo rather than showing the last one again (with two
    // good photos and no repeat across cycle boundaries, they must alternate).
    let mut last = String::new();
    for _ in 0..6 {
        let name = h.name(Direction::Next);
        assert!(
            good_names.contains(&name),
            "{name} is not one of the good photos"
        );
        assert_ne!(name, last, "a skipped photo was replaced by a repeat");
        last = name;
    }
    let skipped: HashSet<String> = h.skipped.iter().map(|(s, _)| file_name(s)).collect();
    for name in &bad {
        assert!(
            skipped.contains(*name),
            "{name} was not reported as skipped: {:?}",
            h.skipped
        );
    }
    assert_eq!(
        h.skipped.len(),
        bad.len(),
        "each file reported once: {:?}",
        h.skipped
    );
    for (source, reason) in &h.skipped {
        assert!(!reason.is_empty(), "{source} has a reason");
    }
    assert_eq!(h.restarts, 0, "no hostile file crashed the worker");
    h.sup.shutdown();
}

#[test]
fn shuffle_order_survives_a_restart_and_history_works() {
    let Some(photos) = photos() else { return };
    let dir = tempfile::tempdir().unwrap();
    linked(dir.path(), &photos[..6]);
    // The reference: one uninterrupted run over two cycles.
    let reference_state = tempfile::tempdir().unwrap();
    let mut h = Harness::start(config(dir.path(), reference_state.path(), 11));
    let reference: Vec<String> = (0..12).map(|_| h.name(Direction::Next)).collect();
    h.sup.shutdown();
    let first: HashSet<&String> = reference[..6].iter().collect();
    let second: HashSet<&String> = reference[6..].iter().collect();
    assert_eq!(
        (first.len(), second.len()),
        (6, 6),
        "each cycle shows every photo once"
    );
    assert_ne!(
        reference[5], reference[6],
        "no repeat across the cycle boundary"
    );

    // The same seed, interrupted after 4 photos by a full restart of UI and worker.
    let state = tempfile::tempdir().unwrap();
    let mut h = Harness::start(config(dir.path(), state.path(), 11));
    let mut got: Vec<String> = (0..4).map(|_| h.name(Direction::Next)).collect();
    h.sup.shutdown();
    let mut h = Harness::start(config(dir.path(), state.path(), 11));
    got.extend((0..8).map(|_| h.name(Direction::Next)));
    assert_eq!(got, reference, "the order continues where it stopped");

    // History: Z goes back through what this display showed, X replays it forward.
    assert_eq!(h.name(Direction::Previous), got[10]);
    assert_eq!(h.name(Direction::Previous), got[9]);
    assert_eq!(h.name(Direction::Next), got[10]);
    assert_eq!(h.name(Direction::Next), got[11]);
    h.sup.shutdown();
}

#[test]
fn a_killed_worker_is_replaced_and_frames_continue() {
    let Some(photos) = photos() else { return };
    let dir = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    linked(dir.path(), &photos[..6]);
    let mut h = Harness::start(config(dir.path(), state.path(), 5));
    h.frame(Direction::Next);
    let before = h.pid;
    common::signal(before, libc::SIGKILL);
    // The request made right away is answered by the next worker process.
    let (info, pixels) = h.frame(Direction::Next);
    assert_eq!(pixels.len(), (W * H * 4) as usize);
    assert!(!info.source.is_empty());
    assert!(
        h.restarts >= 1 && h.pid != before,
        "served by a new process"
    );
    h.sup.shutdown();
}

#[test]
fn an_empty_library_says_so_instead_of_showing_black() {
    let dir = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), b"no photos here").unwrap();
    let mut h = Harness::start(config(dir.path(), state.path(), 1));
    match h.ask(Direction::Next) {
        Answer::Nothing(message) => {
            assert!(
                message.contains(&dir.path().display().to_string()),
                "{message}"
            );
        }
        Answer::Frame(info, _) => panic!("unexpected frame {}", info.source),
    }
    h.sup.shutdown();
}

/// Two displays of different shapes: the frame for each has that display's size; with "same
/// photo on every monitor" both walk one sequence at their own pace, otherwise each draws its
/// own photos and together they still show every photo once per cycle.
#[test]
fn each_display_gets_its_own_size_and_the_configured_sequence() {
    let Some(photos) = photos() else { return };
    let dir = tempfile::tempdir().unwrap();
    linked(dir.path(), &photos[..6]);
    let displays = [(0, W, H), (1, 320, 240)];
    for same_on_all in [true, false] {
        let state = tempfile::tempdir().unwrap();
        let mut cfg = config(dir.path(), state.path(), 21);
        cfg.same_on_all = same_on_all;
        cfg.displays = displays
            .iter()
            .map(|&(id, width, height)| DisplaySpec { id, width, height })
            .collect();
        let mut h = Harness::start(cfg);
        let mut seen: [Vec<String>; 2] = [Vec::new(), Vec::new()];
        // The displays ask at different paces.
        for display in [0, 1, 0, 0, 1, 1] {
            let (w, hgt) = (displays[display].1, displays[display].2);
            match h.ask_on(display as u32, Direction::Next) {
                Answer::Frame(info, pixels) => {
                    assert_eq!(info.display, display as u32);
                    assert_eq!((info.width, info.height), (w, hgt));
                    assert_eq!(pixels.len(), (w * hgt * 4) as usize);
                    seen[display].push(file_name(&info.source));
                }
                Answer::Nothing(message) => panic!("expected a frame, got: {message}"),
            }
        }
        if same_on_all {
            assert_eq!(seen[0], seen[1], "one sequence for every display");
        } else {
            let all: HashSet<&String> = seen.iter().flatten().collect();
            assert_eq!(
                all.len(),
                6,
                "independent displays share one cycle: {seen:?}"
            );
        }
        h.sup.shutdown();
    }
}
