//! Idlewild telemetry: tracing set-up with every write on a logging thread behind a bounded,
//! non-blocking queue, size-rotated log files, throttled duplicate errors and latency histograms
//! for `[PERF]` lines.
//!
//! **Boundary:** this crate knows nothing of windows, GPUs, IPC or settings files; the app hands
//! it a [`LogConfig`] (including the log directory it computed) and gets a [`LogGuard`] back.
//!
//! **Invariant:** a `tracing` event never waits on a destination: it is formatted on the caller's
//! thread and queued ([`LogQueue`]); the file and stderr are written, opened and rotated only by
//! their own logging threads.

pub mod error;
pub mod histogram;
pub mod init;
pub mod queue;
pub mod rotate;
pub mod throttle;

pub use error::TelemetryError;
pub use histogram::LatencyHistogram;
pub use init::{EXIT_FLUSH, LogConfig, LogGuard, flush, init, install_panic_hook};
pub use queue::{LogQueue, Sink, StderrSink};
pub use rotate::{FileSink, RotatingFile, rotation_plan};
pub use throttle::{Throttle, Verdict};

/// Re-export used by [`throttled!`] so callers need no direct `tracing` dependency.
#[doc(hidden)]
pub use tracing as __tracing;
