//! Idlewild telemetry: tracing set-up, size-rotated log files, throttled duplicate errors and
//! latency histograms for `[PERF]` lines.
//!
//! **Boundary:** this crate knows nothing of windows, GPUs, IPC or settings files; the app hands
//! it a [`LogConfig`] (including the log directory it computed) and gets a [`LogGuard`] back.

pub mod error;
pub mod histogram;
pub mod init;
pub mod rotate;
pub mod throttle;

pub use error::TelemetryError;
pub use histogram::LatencyHistogram;
pub use init::{LogConfig, LogGuard, init, install_panic_hook};
pub use rotate::{FileSink, RotatingFile, rotation_plan};
pub use throttle::{Throttle, Verdict};

/// Re-export used by [`throttled!`] so callers need no direct `tracing` dependency.
#[doc(hidden)]
pub use tracing as __tracing;
