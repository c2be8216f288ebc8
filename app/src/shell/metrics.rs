//! Frame metrics (`--metrics FILE`): per display, the intervals between presented frames,
//! dropped frames and upload times, summarised per transition and every 10 s as JSON lines;
//! and every 10 s a visualizer line ([`VisualizerRecord`]) when the visualizer is on.
//!
//! The render thread only pushes numbers into a [`FrameStats`] and hands finished records to a
//! bounded channel (`try_send`: a slow disk loses records, counted, and never stalls a frame);
//! a writer thread owns the file. Percentiles are exact (nearest rank over the period's samples,
//! ~600 at 60 Hz), not the log2 buckets of `idlewild_telemetry::LatencyHistogram`, which cannot
//! tell a 17 ms frame from a 30 ms one.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender, TrySendError};
use serde::Serialize;

/// Percentiles of a set of durations, in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Samples.
    pub count: usize,
    /// Median.
    pub p50_ms: f64,
    /// 95th percentile.
    pub p95_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Largest.
    pub max_ms: f64,
}

impl Summary {
    /// Nearest-rank percentiles of `samples` (sorted in place).
    pub fn of(samples: &mut [Duration]) -> Summary {
        if samples.is_empty() {
            return Summary::default();
        }
        samples.sort_unstable();
        let rank = |q: f64| {
            let i = ((q * samples.len() as f64).ceil() as usize).clamp(1, samples.len()) - 1;
            samples[i].as_secs_f64() * 1e3
        };
        Summary {
            count: samples.len(),
            p50_ms: rank(0.50),
            p95_ms: rank(0.95),
            p99_ms: rank(0.99),
            max_ms: samples[samples.len() - 1].as_secs_f64() * 1e3,
        }
    }
}

/// Frames missed in an interval of `interval` at `target` per frame: an interval of 2.4
/// targets means about one frame was missed. Intervals up to 1.5 targets count as on time.
pub fn dropped_in(interval: Duration, target: Duration) -> u64 {
    if target.is_zero() {
        return 0;
    }
    let frames = interval.as_secs_f64() / target.as_secs_f64();
    if frames <= 1.5 {
        0
    } else {
        (frames.round() as u64).saturating_sub(1)
    }
}

/// One JSON line.
#[derive(Clone, Debug, Serialize)]
pub struct Record {
    /// "periodic" (every 10 s) or "transition" (one per completed transition).
    pub kind: &'static str,
    /// Seconds since the renderer started.
    pub t_s: f64,
    /// The display.
    pub display: u32,
    /// The transition's key ("transition" records).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effect: Option<&'static str>,
    /// Whether the watchdog completed it ("transition" records).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub watchdog: Option<bool>,
    /// Frames presented.
    pub frames: u64,
    /// Frames missed, estimated from long intervals at the display's refresh rate.
    pub dropped: u64,
    /// Intervals between presented frames.
    pub interval: Summary,
    /// Time spent queueing photo uploads (summed per photo).
    pub upload: Summary,
    /// Records the writer could not keep up with so far.
    pub lost_records: u64,
}

/// The visualizer's state every period (`"kind": "visualizer"`), so a running instance can be
/// checked from outside: which worker epoch is read, how far its analysis got, what was lost,
/// what it listens to, and the bars on screen now.
#[derive(Clone, Debug, Serialize)]
pub struct VisualizerRecord {
    /// Always "visualizer".
    pub kind: &'static str,
    /// Seconds since the renderer started.
    pub t_s: f64,
    /// The fft worker epoch being read (0: none yet).
    pub epoch: u64,
    /// The newest analysis tick read.
    pub ticks: u64,
    /// Spectra lost between the worker and the screen (ring gaps, overtaken or refused reads).
    pub drops: u64,
    /// Analysis deadlines the worker missed.
    pub missed: u32,
    /// The source: device name, file, or "no audio: why".
    pub source: String,
    /// Bar order (`left_to_right`, `centre_out`).
    pub layout: &'static str,
    /// How visible the bars are (0 hidden … 1 shown).
    pub fade: f32,
    /// Capture-to-screen-read latency of the spectra read in this period.
    pub latency: Summary,
    /// Current bar heights, screen order, rounded to 3 decimals.
    pub bars: Vec<f32>,
    /// Records the writer could not keep up with so far.
    pub lost_records: u64,
}

/// One line of the metrics file.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum Line {
    /// A display's frames.
    Frames(Record),
    /// The visualizer.
    Visualizer(VisualizerRecord),
}

/// Samples collected since the last record, for one display.
#[derive(Debug, Default)]
pub struct FrameStats {
    intervals: Vec<Duration>,
    uploads: Vec<Duration>,
    dropped: u64,
}

impl FrameStats {
    /// A presented frame `interval` after the previous one.
    pub fn frame(&mut self, interval: Duration, target: Duration) {
        self.intervals.push(interval);
        self.dropped += dropped_in(interval, target);
    }

    /// A photo's upload took `took` on the render thread.
    pub fn upload(&mut self, took: Duration) {
        self.uploads.push(took);
    }

    /// A record of `kind` for `display` summarising the samples so far, which are reset.
    pub fn record(&mut self, kind: &'static str, t_s: f64, display: u32) -> Record {
        let (frames, dropped, interval, upload) = self.take();
        Record {
            kind,
            t_s,
            display,
            effect: None,
            watchdog: None,
            frames,
            dropped,
            interval,
            upload,
            lost_records: 0,
        }
    }

    /// Summarises and resets.
    pub fn take(&mut self) -> (u64, u64, Summary, Summary) {
        let frames = self.intervals.len() as u64;
        let dropped = std::mem::take(&mut self.dropped);
        let interval = Summary::of(&mut self.intervals);
        let upload = Summary::of(&mut self.uploads);
        self.intervals.clear();
        self.uploads.clear();
        (frames, dropped, interval, upload)
    }
}

/// The render thread's end of the metrics file.
#[derive(Clone)]
pub struct MetricsSink {
    tx: Sender<Line>,
    lost: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl MetricsSink {
    /// Opens (truncates) `path` now, at start-up, and starts the writer thread.
    pub fn open(path: &Path) -> std::io::Result<(MetricsSink, std::thread::JoinHandle<()>)> {
        let file = std::fs::File::create(path)?;
        let (tx, rx) = crossbeam_channel::bounded(256);
        let handle = std::thread::Builder::new()
            .name("idlewild-metrics".into())
            .spawn(move || write_all(file, rx))?;
        Ok((
            MetricsSink {
                tx,
                lost: Default::default(),
            },
            handle,
        ))
    }

    /// Queues a record; never blocks.
    pub fn send(&self, mut record: Record) {
        use std::sync::atomic::Ordering;
        record.lost_records = self.lost.load(Ordering::Relaxed);
        self.queue(Line::Frames(record));
    }

    /// Queues a visualizer record; never blocks.
    pub fn send_visualizer(&self, mut record: VisualizerRecord) {
        use std::sync::atomic::Ordering;
        record.lost_records = self.lost.load(Ordering::Relaxed);
        self.queue(Line::Visualizer(record));
    }

    fn queue(&self, line: Line) {
        use std::sync::atomic::Ordering;
        if let Err(TrySendError::Full(_)) = self.tx.try_send(line) {
            self.lost.fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn write_all(file: std::fs::File, rx: Receiver<Line>) {
    let mut out = std::io::BufWriter::new(file);
    for record in rx {
        let written = serde_json::to_writer(&mut out, &record)
            .map_err(std::io::Error::other)
            .and_then(|()| out.write_all(b"\n"))
            .and_then(|()| out.flush());
        if let Err(e) = written {
            tracing::warn!("metrics file: {e}; no more records are written");
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let mut v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let s = Summary::of(&mut v);
        assert_eq!(s.count, 100);
        assert_eq!(s.p50_ms, 50.0);
        assert_eq!(s.p95_ms, 95.0);
        assert_eq!(s.p99_ms, 99.0);
        assert_eq!(s.max_ms, 100.0);
        assert_eq!(Summary::of(&mut []), Summary::default());
        let mut one = [Duration::from_millis(7)];
        assert_eq!(Summary::of(&mut one).p99_ms, 7.0);
    }

    #[test]
    fn dropped_frames_from_intervals() {
        let t = Duration::from_micros(16_667);
        for (ms, want) in [
            (16, 0),
            (24, 0),
            (26, 1),
            (33, 1),
            (50, 2),
            (100, 5),
            (0, 0),
        ] {
            assert_eq!(dropped_in(Duration::from_millis(ms), t), want, "{ms} ms");
        }
        assert_eq!(dropped_in(Duration::from_millis(100), Duration::ZERO), 0);
    }

    #[test]
    fn records_are_json_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.jsonl");
        let (sink, writer) = MetricsSink::open(&path).unwrap();
        let mut stats = FrameStats::default();
        for _ in 0..10 {
            stats.frame(Duration::from_millis(16), Duration::from_micros(16_667));
        }
        stats.frame(Duration::from_millis(50), Duration::from_micros(16_667));
        stats.upload(Duration::from_millis(3));
        sink.send(stats.record("periodic", 10.0, 0));
        drop(sink);
        writer.join().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let v: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(v["kind"], "periodic");
        assert_eq!(v["frames"], 11);
        assert_eq!(v["dropped"], 2);
        assert_eq!(v["interval"]["max_ms"], 50.0);
        assert_eq!(v["upload"]["count"], 1);
        assert!(v.get("effect").is_none());
        assert_eq!(stats.take().0, 0, "recorded stats are reset");
    }
}
