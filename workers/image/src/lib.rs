//! Idlewild's image pipeline as a library: everything the image worker does to a photo library,
//! with no IPC in it, so the worker, the benchmarks and the tests all run the same code.
//!
//! **Boundary:** no GUI, GPU, IPC or async code. Plain data types shared with the UI come from
//! the protocol crate (`idlewild_protocol::message::image`).
//!
//! - [`sources`]: default folders and the extension filter.
//! - [`scan`]: the streaming, recursive scanner (hidden files skipped, symlink loops refused).
//! - [`index`]: the on-disk scan index that makes later starts incremental.
//! - [`playlist`]: shuffle without repeats, persisted; history; the local/feed mix policy.
//! - [`decode`]: file → oriented RGBA8 with limits (size, pixels, memory), EXIF metadata.
//! - [`scale`]: fill / fit / shrink into an exact display-sized frame, blurred bars, sharpening.
//! - [`prepare`]: the worker's whole path for one photo and display: read, decode at the
//!   smallest useful size, scale into a frame (also what the benchmarks time).
//! - [`baseline`]: the naive `image`-crate path, for benchmarks only.
//! - [`cache`]: the byte-bounded LRU of prepared frames.
//! - [`error`]: [`ImageError`], why an image was skipped.

pub mod baseline;
pub mod cache;
pub mod decode;
pub mod error;
pub mod index;
pub mod playlist;
pub mod prepare;
pub mod scale;
pub mod scan;
pub mod sources;
mod statefile;

pub use error::ImageError;
