//! End-to-end tests of logging against bad destinations: the real binary under a private Xvfb
//! (tests/common_x11), its log file (`$XDG_STATE_HOME/idlewild/logs/idlewild.log`) replaced by
//! a FIFO.
//!
//! - A FIFO nobody reads: the show starts (a photo on screen), the problem is reported once on
//!   stderr, and Esc ends the run.
//! - The stall proof: the test holds the FIFO's read end, fills the pipe to the brim and stops
//!   reading for 8 s, so the file's logging thread is stuck in `write()`. Meanwhile
//!   the render thread logs (a photo upload every 3 s) and the metrics records
//!   (`--metrics`, every 250 ms) must keep coming with frames in them. Before the logging
//!   threads existed, the render thread's first log line in the stall blocked it until the
//!   reader came back: no records, no frames.

#![cfg(target_os = "linux")]

mod common_x11;

use common_x11::world::{World, assert_exits_promptly};
use common_x11::{References, keysym, poll};
use idlewild_telemetry::queue::rfc3339_utc;
use std::ffi::CString;
use std::fs::File;
use std::io::{ErrorKind, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// How long the reader stops reading.
/// How long the reader stops reading: more than two photo intervals, so the render thread logs
/// at least two transitions inside it.
const STALL: Duration = Duration::from_secs(8);
/// The render thread's line for each photo it uploads (a debug line, `render/workers.rs`).
const RENDER_LINE: &str = "DEBUG idlewild::shell::render::workers: display 0: ";
/// The metrics period asked of the run.
const PERIOD_MS: u64 = 250;

/// Replaces the run's log file by a FIFO (the directory as the app computes it from
/// `XDG_STATE_HOME`, which the tests' `Home` points into itself).
fn fifo_log(w: &World) -> PathBuf {
    let dir = w.home.path("state/idlewild/logs");
    std::fs::create_dir_all(&dir).expect("log dir");
    let path = dir.join("idlewild.log");
    let c = CString::new(path.as_os_str().as_bytes()).expect("path");
    // SAFETY: mkfifo with a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
    path
}

/// A FIFO with no reader as the log file: before the logging threads, `open()` blocked forever
/// at start-up (no worker, no window). Now the photo shows, the problem is said once, Esc ends.
#[test]
fn a_log_fifo_without_a_reader_does_not_stop_the_show() {
    let Some(w) = World::new((1280, 800)) else {
        return;
    };
    let fifo = fifo_log(&w);
    let refs = References::new(&w.files, (320, 200));
    let settings = [
        ("display.ken_burns", "false"),
        ("transitions.duration_ms", "300"),
        ("display.interval_s", "3600"),
    ];
    let mut app = w.spawn(&settings, &["--window", "--size", "320x200"]);
    let Some((win, photo)) = w.first_photo(&mut app, &refs) else {
        return;
    };
    eprintln!("with a reader-less log FIFO: shows {}", refs.name(photo));
    let output = app.output();
    let reports = output.matches("cannot open log file").count();
    assert_eq!(
        reports, 1,
        "the problem is reported once on stderr:\n{output}"
    );
    assert!(
        std::fs::symlink_metadata(&fifo)
            .expect("still there")
            .file_type()
            .is_fifo_type(),
        "the user's FIFO is left in place"
    );
    let pressed = Instant::now();
    w.x.focus(win);
    w.x.key(keysym::ESCAPE);
    assert_exits_promptly(&mut app, pressed, "Esc with a reader-less log FIFO");
    w.done("log fifo without reader");
}

/// `is_fifo` through the std trait, named so the assertion above reads plainly.
trait FifoType {
    fn is_fifo_type(&self) -> bool;
}

impl FifoType for std::fs::FileType {
    fn is_fifo_type(&self) -> bool {
        use std::os::unix::fs::FileTypeExt;
        self.is_fifo()
    }
}

/// The test's end of the log FIFO: a reader thread that can be told to stop and go on.
struct Reader {
    /// Everything read so far.
    text: Arc<Mutex<Vec<u8>>>,
    /// Set: the thread does not read.
    paused: Arc<AtomicBool>,
    /// Set by the thread when it has seen `paused` and no read is in progress.
    idle: Arc<AtomicBool>,
}

impl Reader {
    /// Opens `path` read-write (never blocks, and the app's `open` always finds a reader) and
    /// starts reading.
    fn start(path: &Path) -> (Reader, File) {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .expect("open the FIFO read-write");
        let reader = Reader {
            text: Arc::default(),
            paused: Arc::default(),
            idle: Arc::default(),
        };
        let (text, paused, idle) = (
            Arc::clone(&reader.text),
            Arc::clone(&reader.paused),
            Arc::clone(&reader.idle),
        );
        let mut from = file.try_clone().expect("dup");
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 4096];
            loop {
                if paused.load(Ordering::Acquire) {
                    idle.store(true, Ordering::Release);
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                }
                idle.store(false, Ordering::Release);
                match from.read(&mut buf) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => text.lock().expect("text").extend_from_slice(&buf[..n]),
                }
            }
        });
        (reader, file)
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.text.lock().expect("text")).into_owned()
    }
}

/// Fills the pipe behind `path` with filler lines until a write would block: from then on the
/// app's next log line cannot be written. Returns the filler bytes written.
fn fill(path: &Path) -> usize {
    let mut pipe = std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .expect("open the FIFO to fill it");
    let mut total = 0;
    loop {
        match pipe.write(b"~\n") {
            Ok(n) => total += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return total,
            Err(e) => panic!("filling the FIFO: {e}"),
        }
    }
}

/// Whether the pipe behind `path` is still full (a one-byte write would block).
fn still_full(path: &Path) -> bool {
    let mut pipe = std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .expect("open the FIFO");
    matches!(pipe.write(b"\n"), Err(e) if e.kind() == ErrorKind::WouldBlock)
}

/// `"frames":N` of a metrics record.
fn frames(record: &str) -> Option<u64> {
    let rest = record.split("\"frames\":").nth(1)?;
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// The periodic records in the metrics file.
fn periodic(metrics: &Path) -> Vec<String> {
    std::fs::read_to_string(metrics)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("\"kind\":\"periodic\""))
        .map(str::to_owned)
        .collect()
}

/// The log file's sink stalls for several seconds while the render loop runs: frames keep being
/// presented (metrics records with frames keep arriving) and the render thread's own log lines
/// of the stall arrive afterwards, with the times they were logged at.
#[test]
fn frames_keep_coming_while_the_log_file_is_stalled() {
    let Some(w) = World::new((1280, 800)) else {
        return;
    };
    let fifo = fifo_log(&w);
    let (reader, _end) = Reader::start(&fifo);
    let refs = References::new(&w.files, (320, 200));
    let metrics = w.home.path("metrics.jsonl");
    let metrics_arg = metrics.to_string_lossy().into_owned();
    // Ken Burns keeps every frame moving; the shortest photo interval (3 s) makes the render
    // thread log an upload every 3 s (App::spawn sets IDLEWILD_LOG to debug for idlewild).
    let settings = [
        ("display.ken_burns", "true"),
        ("transitions.duration_ms", "300"),
        ("display.interval_s", "3"),
    ];
    let period = PERIOD_MS.to_string();
    let mut app = w.spawn_env(
        &settings,
        &["--window", "--size", "320x200", "--metrics", &metrics_arg],
        &[("IDLEWILD_METRICS_PERIOD_MS", &period)],
    );
    let Some((win, _)) = w.first_photo(&mut app, &refs) else {
        return;
    };
    // The log reaches the FIFO, the render thread's lines included.
    poll(Duration::from_secs(30), || {
        reader.text().contains(RENDER_LINE).then_some(())
    })
    .unwrap_or_else(|| panic!("no render-thread line in the FIFO:\n{}", reader.text()));

    // Stop reading, then fill the pipe: the file's logging thread is now stuck in write().
    reader.paused.store(true, Ordering::Release);
    poll(Duration::from_secs(30), || {
        reader.idle.load(Ordering::Acquire).then_some(())
    })
    .expect("the reader pauses");
    let filler = fill(&fifo);
    let stall_from = (SystemTime::now(), Instant::now());
    let before = periodic(&metrics).len();
    // Records written from one period after the stall began summarise frames of the stall only.
    let mut in_stall = Vec::new();
    let mut seen = before;
    while stall_from.1.elapsed() < STALL {
        std::thread::sleep(Duration::from_millis(50));
        let records = periodic(&metrics);
        if stall_from.1.elapsed() > Duration::from_millis(2 * PERIOD_MS) {
            in_stall.extend(records[seen..].iter().cloned());
        }
        seen = records.len();
    }
    let full_at_end = still_full(&fifo);
    let stall_to = SystemTime::now();
    assert!(app.exited().is_none(), "the run survives the stall");

    reader.paused.store(false, Ordering::Release);
    // The render thread's lines from the stall arrive once the reader reads again.
    let (from, to) = (rfc3339_utc(stall_from.0), rfc3339_utc(stall_to));
    let logged_in_stall = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.contains(RENDER_LINE))
            .filter(|l| {
                l.get(..27)
                    .is_some_and(|t| t > from.as_str() && t < to.as_str())
            })
            .map(str::to_owned)
            .collect()
    };
    let render_lines = poll(Duration::from_secs(30), || {
        let lines = logged_in_stall(&reader.text());
        (!lines.is_empty()).then_some(lines)
    });

    let frames_in_stall: Vec<u64> = in_stall.iter().filter_map(|r| frames(r)).collect();
    eprintln!(
        "stall of {STALL:?} behind {filler} filler bytes (still full at its end: {full_at_end}): \
         {} records with frames {frames_in_stall:?}; render-thread lines logged in it: {:?}",
        in_stall.len(),
        render_lines
    );
    assert!(
        full_at_end,
        "the pipe stayed full: the log sink was stalled throughout"
    );
    assert!(
        render_lines.is_some(),
        "the render thread logged during the stall (its lines arrive afterwards, stamped when \
         logged); log read:\n{}",
        reader.text()
    );
    assert!(
        frames_in_stall.len() >= 4,
        "metrics records kept arriving during the stall: {in_stall:?}"
    );
    assert!(
        frames_in_stall.iter().all(|&n| n > 0),
        "every period of the stall presented frames: {in_stall:?}"
    );

    let pressed = Instant::now();
    w.x.focus(win);
    w.x.key(keysym::ESCAPE);
    assert_exits_promptly(&mut app, pressed, "Esc after the stall");
    w.done("stalled log file");
}
