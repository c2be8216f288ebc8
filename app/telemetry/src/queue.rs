//! The bounded, non-blocking line queue between a logging caller and the thread that owns a
//! destination (the log file, stderr).
//!
//! **Invariant:** [`LogQueue::push`] never waits: it copies the formatted line into a lock-free
//! [`ArrayQueue`], wakes the sink thread (a futex wake at most, no lock), and returns. When the
//! queue is full the line is dropped and counted; the next line that gets through carries the
//! count, and the sink thread writes "N log lines dropped" before it. So a full disk, a FIFO
//! nobody reads, a paused terminal or a slow rotation stall only the sink thread, never a caller
//! (the render thread, the supervisor, the worker-stderr relay).
//!
//! Lines are formatted, timestamp included, on the caller's thread at the event; the sink thread
//! only writes bytes. One thread per destination, so a blocked stderr cannot stop the file.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock, PoisonError};
use std::thread::Thread;
use std::time::{Duration, Instant, SystemTime};

use crossbeam_queue::ArrayQueue;
use tracing_subscriber::fmt::MakeWriter;

/// Lines a queue holds before it drops: a few seconds of the busiest logging seen (the worker
/// stderr relay at its cap of 200 lines/s per worker, plus debug output).
pub const DEFAULT_CAPACITY: usize = 4096;

/// A destination owned by one sink thread. `write_line` may block (that is what the thread is
/// for) and must swallow its own errors: there is nobody to return them to.
pub trait Sink: Send + 'static {
    /// Writes one whole line (its trailing newline included).
    fn write_line(&mut self, line: &[u8]);
}

/// One queued line.
struct Msg {
    /// Lines dropped on this queue just before this one was pushed.
    dropped_before: u64,
    bytes: Vec<u8>,
}

/// State shared by the callers and the sink thread.
struct Inner {
    queue: ArrayQueue<Msg>,
    /// Lines dropped since the last line that got through.
    pending_drops: AtomicU64,
    /// Lines dropped in all.
    dropped: AtomicU64,
    /// Lines pushed (the flush target).
    pushed: AtomicU64,
    /// Lines the sink thread finished; only the sink thread and flushers take this lock.
    handled: Mutex<u64>,
    handled_changed: Condvar,
    /// Set once every [`LogQueue`] handle is gone: the sink thread drains and exits.
    closed: AtomicBool,
    /// The sink thread, to wake it; set by the thread itself before its first look.
    thread: OnceLock<Thread>,
}

/// Dropped with the last [`LogQueue`] clone: tells the sink thread to finish.
struct Owner(Arc<Inner>);

impl Drop for Owner {
    fn drop(&mut self) {
        self.0.closed.store(true, Ordering::Release);
        if let Some(t) = self.0.thread.get() {
            t.unpark();
        }
    }
}

/// A caller's handle on one sink thread; cheap to clone.
#[derive(Clone)]
pub struct LogQueue {
    inner: Arc<Inner>,
    _owner: Arc<Owner>,
}

impl LogQueue {
    /// Starts a thread named `name` that owns `sink`, behind a queue of `capacity` lines.
    pub fn spawn(name: &str, capacity: usize, sink: impl Sink) -> std::io::Result<LogQueue> {
        let inner = Arc::new(Inner {
            queue: ArrayQueue::new(capacity.max(1)),
            pending_drops: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            pushed: AtomicU64::new(0),
            handled: Mutex::new(0),
            handled_changed: Condvar::new(),
            closed: AtomicBool::new(false),
            thread: OnceLock::new(),
        });
        let theirs = Arc::clone(&inner);
        std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || run(&theirs, sink))?;
        Ok(LogQueue {
            _owner: Arc::new(Owner(Arc::clone(&inner))),
            inner,
        })
    }

    /// Queues one line; never waits. False when the queue was full and the line was dropped.
    pub fn push(&self, bytes: Vec<u8>) -> bool {
        let inner = &self.inner;
        let dropped_before = inner.pending_drops.swap(0, Ordering::AcqRel);
        let ok = match inner.queue.push(Msg {
            dropped_before,
            bytes,
        }) {
            Ok(()) => {
                inner.pushed.fetch_add(1, Ordering::AcqRel);
                true
            }
            Err(_) => {
                // The count taken above goes back, plus this line.
                inner
                    .pending_drops
                    .fetch_add(dropped_before + 1, Ordering::AcqRel);
                inner.dropped.fetch_add(1, Ordering::Relaxed);
                false
            }
        };
        if let Some(t) = inner.thread.get() {
            t.unpark();
        }
        ok
    }

    /// Lines dropped so far because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.inner.dropped.load(Ordering::Relaxed)
    }

    /// Waits until every line pushed before this call is written, for at most `timeout`.
    /// True when they were.
    pub fn flush(&self, timeout: Duration) -> bool {
        let target = self.inner.pushed.load(Ordering::Acquire);
        let deadline = Instant::now() + timeout;
        let mut handled = self
            .inner
            .handled
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        while *handled < target {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            handled = self
                .inner
                .handled_changed
                .wait_timeout(handled, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        true
    }
}

/// The sink thread: writes lines in order, the drop note first where one is due.
fn run(inner: &Inner, mut sink: impl Sink) {
    let _ = inner.thread.set(std::thread::current());
    loop {
        match inner.queue.pop() {
            Some(msg) => {
                if msg.dropped_before > 0 {
                    sink.write_line(dropped_note(msg.dropped_before, SystemTime::now()).as_bytes());
                }
                sink.write_line(&msg.bytes);
                *inner.handled.lock().unwrap_or_else(PoisonError::into_inner) += 1;
                inner.handled_changed.notify_all();
            }
            None if inner.closed.load(Ordering::Acquire) => return,
            // The timeout is a backstop: a push that raced with the thread's start may have found
            // no thread to wake.
            None => std::thread::park_timeout(Duration::from_millis(100)),
        }
    }
}

/// The line written before the first line after a gap, in the format of the fmt layer's lines.
pub fn dropped_note(n: u64, now: SystemTime) -> String {
    let s = if n == 1 { "" } else { "s" };
    format!(
        "{}  WARN idlewild_telemetry: {n} log line{s} dropped (the logging queue was full)\n",
        rfc3339_utc(now)
    )
}

/// `2026-01-01T12:00:00.123456Z`: the timestamp format of `tracing-subscriber`'s `SystemTime`.
pub fn rfc3339_utc(t: SystemTime) -> String {
    let d = t.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        d.subsec_micros()
    )
}

/// The writer the fmt layer gets per event: collects the formatted line, queues it on drop.
pub struct LineWriter<'a> {
    queue: &'a LogQueue,
    buf: Vec<u8>,
}

impl std::io::Write for LineWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LineWriter<'_> {
    fn drop(&mut self) {
        if !self.buf.is_empty() {
            self.queue.push(std::mem::take(&mut self.buf));
        }
    }
}

impl<'a> MakeWriter<'a> for LogQueue {
    type Writer = LineWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        LineWriter {
            queue: self,
            buf: Vec::new(),
        }
    }
}

/// The process's stderr, written through its own duplicate of the descriptor (handle), so a
/// blocked write never holds the lock of `std::io::stderr()` that `eprintln!` elsewhere takes.
pub struct StderrSink {
    out: Option<std::fs::File>,
}

impl StderrSink {
    /// Duplicates stderr; without one (a GUI process on Windows), lines are discarded.
    pub fn new() -> StderrSink {
        #[cfg(unix)]
        let out = {
            use std::os::fd::AsFd;
            std::io::stderr().as_fd().try_clone_to_owned().ok()
        };
        #[cfg(windows)]
        let out = {
            use std::os::windows::io::AsHandle;
            std::io::stderr().as_handle().try_clone_to_owned().ok()
        };
        StderrSink {
            out: out.map(std::fs::File::from),
        }
    }
}

impl Default for StderrSink {
    fn default() -> Self {
        StderrSink::new()
    }
}

impl Sink for StderrSink {
    fn write_line(&mut self, line: &[u8]) {
        use std::io::Write;
        // A closed or broken stderr has nowhere to report to: the line is lost.
        if let Some(out) = self.out.as_mut() {
            let _ = out.write_all(line);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_table() {
        let cases = [
            (0, 0, "1970-01-01T00:00:00.000000Z"),
            (951_782_400, 5, "2000-02-29T00:00:00.000005Z"),
            (1_767_268_799, 999_999, "2026-01-01T11:59:59.999999Z"),
            (4_107_542_400, 0, "2100-03-01T00:00:00.000000Z"),
        ];
        for (secs, micros, expected) in cases {
            let t = SystemTime::UNIX_EPOCH + Duration::new(secs, micros * 1000);
            assert_eq!(rfc3339_utc(t), expected, "{secs}");
        }
    }

    #[test]
    fn dropped_note_counts() {
        let t = SystemTime::UNIX_EPOCH;
        assert!(dropped_note(1, t).ends_with(
            "WARN idlewild_telemetry: 1 log line dropped (the logging queue was full)\n"
        ));
        assert!(dropped_note(7, t).contains(" 7 log lines dropped"));
    }
}
