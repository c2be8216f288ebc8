//! The `idlewild` binary's library half: everything `main` wires together, exposed so that the
//! end-to-end tests in `tests/` drive the same code.
//!
//! - [`cli`]: the command line (one clap declaration) from arguments to a [`cli::Command`].
//! - [`exit`]: the documented exit statuses and the typed fatal errors that end in them.
//! - [`snapshot`]: the `snapshot` command (one transition frame offscreen into a PNG).
//! - [`mode`]: a pure parser from launch arguments (`/s`, `/p`, `--window-id`, …) to a
//!   [`mode::Launch`].
//! - [`images`]: the UI side of the image worker (configuration, one-request-at-a-time client).
//! - [`visualizer`]: the UI side of the fft worker (configuration, per-frame spectrum read, fade).
//! - [`supervisor`]: the worker supervisor (its own thread; the UI only polls it).
//! - [`supervise`]: the headless `supervise` command.
//! - [`bench`](mod@bench): the `bench` command (ratios measured side by side in one run).

pub mod bench;
pub mod cli;
pub mod exit;
pub mod images;
pub mod mode;
pub mod shell;
pub mod snapshot;
pub mod supervise;
pub mod supervisor;
pub mod visualizer;
