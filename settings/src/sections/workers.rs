//! `[workers]`: supervision timings for the worker processes, and which workers run.

use serde::{Deserialize, Serialize};

use crate::Repair;
use crate::options::OptionSpec;

/// Options of the `[workers]` section and its per-worker subsections.
pub const OPTIONS: &[OptionSpec] = &[
    OptionSpec::int(
        "workers.heartbeat_ms",
        "Heartbeat interval (ms)",
        "How often each worker reports that it is alive, in milliseconds.",
        (100, 10_000),
        1000,
    ),
    OptionSpec::int(
        "workers.missed_heartbeats",
        "Missed heartbeats before restart",
        "A worker that misses this many heartbeats in a row is considered hung and restarted.",
        (2, 20),
        3,
    ),
    OptionSpec::int(
        "workers.backoff_initial_ms",
        "First restart delay (ms)",
        "Delay before the first restart of a crashed worker; it doubles on each further crash.",
        (1, 60_000),
        250,
    ),
    OptionSpec::int(
        "workers.backoff_max_ms",
        "Longest restart delay (ms)",
        "The restart delay never grows past this; it is raised to the first delay if smaller.",
        (10, 600_000),
        30_000,
    ),
    OptionSpec::int(
        "workers.restart_cap",
        "Restarts allowed per window",
        "Restarts allowed within the window before the worker is marked failed.",
        (1, 1000),
        5,
    ),
    OptionSpec::int(
        "workers.restart_window_s",
        "Restart window (s)",
        "Length of the window, in seconds, over which restarts are counted.",
        (1, 86_400),
        300,
    ),
    OptionSpec::int(
        "workers.failed_retry_s",
        "Retry a failed worker after (s)",
        "A worker past its restart cap is tried again after this many seconds; the wait \
         doubles each time the retry fails too.",
        (1, 86_400),
        600,
    ),
    OptionSpec::int(
        "workers.failed_retry_max_s",
        "Longest wait to retry a failed worker (s)",
        "The wait before retrying a failed worker never grows past this; it is raised to \
         workers.failed_retry_s if smaller.",
        (1, 604_800),
        14_400,
    ),
    OptionSpec::int(
        "workers.shutdown_grace_ms",
        "Shutdown grace (ms)",
        "How long a worker may take to exit cleanly before it is killed.",
        (50, 30_000),
        2000,
    ),
    OptionSpec::toggle(
        "workers.image.enabled",
        "Image decoding worker",
        "Decode photos in a separate process.",
        true,
    ),
    OptionSpec::int(
        "workers.image.prefetch",
        "Photos prepared ahead",
        "How many photos the image worker decodes and scales ahead, per screen size.",
        (1, 16),
        3,
    ),
    OptionSpec::int(
        "workers.image.cache_mb",
        "Prepared-photo cache (MiB)",
        "Memory for photos prepared ahead and recently shown (a 1920×1080 photo takes 8 MiB, \
         a 4K one 32 MiB).",
        (32, 8192),
        256,
    ),
    OptionSpec::int(
        "workers.image.max_file_mb",
        "Largest photo file (MiB)",
        "Files larger than this are skipped.",
        (1, 4096),
        200,
    ),
    OptionSpec::int(
        "workers.image.max_megapixels",
        "Largest photo (megapixels)",
        "Photos with more pixels than this are skipped (protects against decompression bombs).",
        (1, 2000),
        120,
    ),
    OptionSpec::int(
        "workers.image.decode_budget_ms",
        "Time budget per photo (ms)",
        "A photo that takes longer than this to decode and scale is skipped.",
        (500, 120_000),
        10_000,
    ),
    // `workers.rss.enabled` and `workers.prep.enabled` come back with their workers (the feeds
    // and effects issues): no setting may exist that has no effect. Until then a file that has
    // them keeps them as unknown keys.
    OptionSpec::toggle(
        "workers.fft.enabled",
        "Audio analysis worker",
        "Analyse audio for the visualizer.",
        true,
    ),
    OptionSpec::toggle(
        "workers.sim.enabled",
        "Simulation worker",
        "Run the synthetic frame generator, a test and diagnostic worker.",
        false,
    ),
    OptionSpec::int(
        "workers.sim.frame_width",
        "Simulated frame width",
        "Width in pixels of the simulation worker's frames.",
        (1, 7680),
        640,
    ),
    OptionSpec::int(
        "workers.sim.frame_height",
        "Simulated frame height",
        "Height in pixels of the simulation worker's frames.",
        (1, 4320),
        360,
    ),
    OptionSpec::int(
        "workers.sim.period_ms",
        "Simulated frame period (ms)",
        "Milliseconds between the simulation worker's frames.",
        (1, 10_000),
        33,
    ),
];

/// The `[workers]` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Workers {
    /// Interval between a worker's heartbeats, in milliseconds.
    pub heartbeat_ms: u32,
    /// Consecutive missed heartbeats after which a worker counts as hung.
    pub missed_heartbeats: u32,
    /// Delay before the first restart of a crashed worker, in milliseconds.
    pub backoff_initial_ms: u32,
    /// Upper bound of the restart delay, in milliseconds; never below `backoff_initial_ms`.
    pub backoff_max_ms: u32,
    /// Restarts allowed per window before the worker is marked failed.
    pub restart_cap: u32,
    /// Length of the restart-counting window, in seconds.
    pub restart_window_s: u32,
    /// Cool-down before a failed worker's first half-open retry, in seconds.
    pub failed_retry_s: u32,
    /// Upper bound of the doubling retry cool-down, in seconds.
    pub failed_retry_max_s: u32,
    /// Time a worker gets to exit cleanly before it is killed, in milliseconds.
    pub shutdown_grace_ms: u32,
    /// The image decoding worker.
    pub image: ImageWorker,
    /// The audio analysis (FFT) worker.
    pub fft: WorkerToggle,
    /// The simulation (test and diagnostic) worker.
    pub sim: SimWorker,
}

impl Default for Workers {
    fn default() -> Self {
        Self {
            heartbeat_ms: 1000,
            missed_heartbeats: 3,
            backoff_initial_ms: 250,
            backoff_max_ms: 30_000,
            restart_cap: 5,
            restart_window_s: 300,
            failed_retry_s: 600,
            failed_retry_max_s: 14_400,
            shutdown_grace_ms: 2000,
            image: ImageWorker::default(),
            fft: WorkerToggle::default(),
            sim: SimWorker::default(),
        }
    }
}

/// A worker that can only be switched on or off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WorkerToggle {
    /// Whether the worker runs.
    pub enabled: bool,
}

impl Default for WorkerToggle {
    fn default() -> Self {
        Self { enabled: true }
    }
}

/// The image worker: decoding limits and the prepared-photo cache.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ImageWorker {
    /// Whether the worker runs.
    pub enabled: bool,
    /// Photos prepared ahead per display size.
    pub prefetch: u32,
    /// Byte budget of the prepared-photo cache, in MiB.
    pub cache_mb: u32,
    /// Largest file decoded, in MiB.
    pub max_file_mb: u32,
    /// Largest photo decoded, in megapixels.
    pub max_megapixels: u32,
    /// Time budget for decoding and scaling one photo, in milliseconds.
    pub decode_budget_ms: u32,
}

impl Default for ImageWorker {
    fn default() -> Self {
        Self {
            enabled: true,
            prefetch: 3,
            cache_mb: 256,
            max_file_mb: 200,
            max_megapixels: 120,
            decode_budget_ms: 10_000,
        }
    }
}

/// The simulation worker: generates synthetic frames for tests and diagnostics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SimWorker {
    /// Whether the worker runs.
    pub enabled: bool,
    /// Frame width in pixels.
    pub frame_width: u32,
    /// Frame height in pixels.
    pub frame_height: u32,
    /// Milliseconds between frames.
    pub period_ms: u32,
}

impl Default for SimWorker {
    fn default() -> Self {
        Self {
            enabled: false,
            frame_width: 640,
            frame_height: 360,
            period_ms: 33,
        }
    }
}

impl Workers {
    /// Raises `backoff_max_ms` to `backoff_initial_ms` when it is smaller, so the restart
    /// schedule never shrinks; returns the repair made, if any.
    pub(crate) fn repair_backoff(&mut self) -> Option<Repair> {
        if self.backoff_max_ms >= self.backoff_initial_ms {
            return None;
        }
        let repair = Repair {
            key: "workers.backoff_max_ms".to_owned(),
            found: self.backoff_max_ms.to_string(),
            used: self.backoff_initial_ms.to_string(),
            reason: "is below workers.backoff_initial_ms".to_owned(),
        };
        self.backoff_max_ms = self.backoff_initial_ms;
        Some(repair)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_max_is_raised_to_initial() {
        let cases = [(250, 30_000, None), (250, 250, None), (500, 100, Some(500))];
        for (initial, max, repaired_to) in cases {
            let mut workers = Workers {
                backoff_initial_ms: initial,
                backoff_max_ms: max,
                ..Workers::default()
            };
            let repair = workers.repair_backoff();
            assert_eq!(
                repair.map(|r| r.used),
                repaired_to.map(|v: u32| v.to_string())
            );
            assert_eq!(workers.backoff_max_ms, repaired_to.unwrap_or(max));
        }
    }
}
