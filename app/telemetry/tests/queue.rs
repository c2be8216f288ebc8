//! The logging queue against a sink that blocks forever: callers never wait, lines beyond the
//! capacity are dropped and counted, and the next line that gets through says how many.

use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use idlewild_telemetry::{LogQueue, Sink};

/// Records every line; before the first one returns it says so and then blocks until released.
struct StuckSink {
    lines: Lines,
    entered: Sender<()>,
    release: Option<Receiver<()>>,
}

impl Sink for StuckSink {
    fn write_line(&mut self, line: &[u8]) {
        self.lines
            .lock()
            .expect("lines")
            .push(String::from_utf8_lossy(line).into_owned());
        if let Some(release) = self.release.take() {
            let _ = self.entered.send(());
            // Blocks like a write to a FIFO nobody reads, until the test lets go.
            let _ = release.recv();
        }
    }
}

/// Lines a sink has been given, shared with the test.
type Lines = Arc<Mutex<Vec<String>>>;

/// A queue in front of a [`StuckSink`], the lines it got, its "entered" signal and its release.
fn stuck(capacity: usize) -> (LogQueue, Lines, Receiver<()>, Sender<()>) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let (entered_tx, entered) = mpsc::channel();
    let (release, release_rx) = mpsc::channel();
    let sink = StuckSink {
        lines: Arc::clone(&lines),
        entered: entered_tx,
        release: Some(release_rx),
    };
    let queue = LogQueue::spawn("test-stuck", capacity, sink).expect("spawn");
    (queue, lines, entered, release)
}

#[test]
fn pushes_return_while_the_sink_is_blocked_and_drops_are_counted_and_announced() {
    const CAP: usize = 64;
    const PUSHED: usize = 10 * CAP;
    let (queue, lines, entered, release) = stuck(CAP);
    assert!(queue.push(b"first\n".to_vec()));
    entered
        .recv()
        .expect("the sink took the first line and is now blocked");

    // Every call completes although the only consumer is blocked: had `push` waited for room,
    // this loop would never end (the sink is released only below).
    let accepted = (0..PUSHED)
        .filter(|i| queue.push(format!("line {i}\n").into_bytes()))
        .count();
    assert_eq!(
        lines.lock().expect("lines").len(),
        1,
        "the sink is still blocked"
    );
    assert_eq!(accepted, CAP, "exactly the queue's capacity fits");
    assert_eq!(queue.dropped(), (PUSHED - CAP) as u64);
    assert!(
        !queue.flush(Duration::from_millis(50)),
        "a flush cannot complete while the sink is blocked, and returns anyway"
    );

    release.send(()).expect("release");
    // Room again once the sink has caught up.
    assert!(
        queue.flush(Duration::from_secs(60)),
        "drained once released"
    );
    assert!(queue.push(b"after\n".to_vec()));
    assert!(
        queue.flush(Duration::from_secs(60)),
        "written once released"
    );
    let lines = lines.lock().expect("lines").clone();
    assert_eq!(lines.len(), 1 + CAP + 2, "{lines:?}");
    assert_eq!(lines[0], "first\n");
    for (i, line) in lines[1..=CAP].iter().enumerate() {
        assert_eq!(line, &format!("line {i}\n"), "the first lines in, in order");
    }
    let note = &lines[CAP + 1];
    assert!(
        note.ends_with(&format!(
            "Z  WARN idlewild_telemetry: {} log lines dropped (the logging queue was full)\n",
            PUSHED - CAP
        )),
        "{note:?}"
    );
    assert_eq!(
        lines[CAP + 2],
        "after\n",
        "the note comes just before the next line"
    );
    assert_eq!(
        queue.dropped(),
        (PUSHED - CAP) as u64,
        "nothing dropped after"
    );
}

#[test]
fn many_callers_never_wait_on_a_blocked_sink() {
    const CAP: usize = 16;
    const THREADS: usize = 4;
    const EACH: usize = 1000;
    let (queue, lines, entered, release) = stuck(CAP);
    assert!(queue.push(b"first\n".to_vec()));
    entered.recv().expect("blocked");
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let queue = &queue;
            s.spawn(move || {
                for i in 0..EACH {
                    queue.push(format!("t{t} {i}\n").into_bytes());
                }
            });
        }
    });
    assert_eq!(lines.lock().expect("lines").len(), 1, "still blocked");
    assert_eq!(queue.dropped(), (THREADS * EACH - CAP) as u64);
    release.send(()).expect("release");
    // Room again once the sink has caught up.
    assert!(
        queue.flush(Duration::from_secs(60)),
        "drained once released"
    );
    assert!(queue.push(b"after\n".to_vec()));
    assert!(queue.flush(Duration::from_secs(60)));
    let lines = lines.lock().expect("lines").clone();
    assert!(
        lines[lines.len() - 2].contains(&format!(" {} log lines dropped", THREADS * EACH - CAP)),
        "{lines:?}"
    );
}
