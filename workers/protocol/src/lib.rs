//! Idlewild's worker protocol: the one contract between the UI process and its workers.
//!
//! **Boundary:** this crate knows nothing of windows, GPUs, async runtimes or files beyond the
//! shared-memory handles it creates. Both sides of every channel link it, so everything here is
//! plain data, plain threads-free functions, and OS primitives behind `cfg`.
//!
//! - [`message`]: the closed request/response enums, wrapped in an [`message::Envelope`] that
//!   carries the common fields (sequence number, correlation id, epoch, generation, timestamps).
//! - [`wire`]: length-prefixed framing of those messages over a byte stream, with size caps.
//! - [`shm`]: supervisor-owned shared-memory regions and the two transfer disciplines over them:
//!   latest-wins frames ([`shm::frames`]) and a lossy stream ring ([`shm::stream`]).
//! - [`spectrum`]: the fft worker's per-tick record in its stream ring (bars, ghosts, capture
//!   time).
//! - [`clock`]: a system-wide monotonic clock, so timestamps compare across processes.

pub mod clock;
pub mod kind;
pub mod message;
pub mod shm;
pub mod spectrum;
pub mod wire;

pub use kind::WorkerKind;
