//! Idlewild's worker processes: `idlewild worker <kind>` lands in [`run`].
//!
//! **Boundary:** workers link no GUI or GPU crate. They talk to the UI only through the
//! protocol crate: control messages on stdin/stdout and big buffers in regions the supervisor
//! created.
//!
//! - [`runtime`]: what every worker shares: the control thread that answers heartbeats (so heavy
//!   work can never starve them), region attach, the outbox, parent-death detection.
//! - [`roles`]: the registry of worker roles (one row per kind that this build implements).
//! - [`image`]: the image role (scan, playlist, decode pool, prepared-frame cache, frames).
//! - [`fft`]: the fft role (audio capture or a WAV file, analysis on a fixed cadence, bars into
//!   the stream ring).
//! - [`sim`]: the simulator role with fault knobs, used by the supervisor's tests.

pub mod fft;
pub mod image;
pub mod roles;
pub mod runtime;
pub mod sim;

pub use runtime::{WorkerArgs, WorkerError, run};
