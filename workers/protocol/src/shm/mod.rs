//! Generation-tagged shared memory between the UI process and its workers.
//!
//! **Invariant:** the supervisor (UI side) creates every region and hands it to the worker; a
//! worker never creates or unlinks one. The kernel reference-counts the object (a sealed memfd on
//! Linux, a pagefile-backed section on Windows, an immediately unlinked `shm_open` object on other
//! unix systems), so a crash on either side cannot leak it.
//!
//! **Invariant:** a reader never accepts a torn or stale buffer. Every slot carries a seqlock
//! commit word `(seq << 1) | 1` and a header that is validated with checked arithmetic against the
//! geometry the reader computed itself; the region's own control page is never trusted for
//! offsets or sizes.
//!
//! Layout of one region (see [`layout`]):
//!
//! ```text
//! 0      control page (4 KiB): immutable line | writer-owned line | reader-owned line
//! 4096   slot 0: header page (4 KiB) | payload (max_payload rounded up to 4 KiB)
//! ...    slot 1 .. slot_count-1, each `slot_stride` bytes
//! ```
//!
//! Two disciplines use that layout: [`frames`] (a latest-wins triple buffer for whole images)
//! and [`stream`] (a lossy ring of small periodic buffers such as FFT bins).

pub mod frames;
pub mod layout;
mod os;
mod region;
pub mod stream;

pub use frames::{FrameReader, FrameWrite, FrameWriter};
pub use layout::{Discipline, Format, LayoutParams, Reject, SlotMeta, WriteMeta};
pub use region::{RegionToken, SharedRegion};
pub use stream::{StreamReader, StreamWriter};

use std::io;

/// Creating, opening or writing a shared-memory region failed.
#[derive(Debug, thiserror::Error)]
pub enum ShmError {
    /// The layout parameters describe no valid region (zero slots, sizes that overflow, ...).
    #[error("invalid shared-memory layout: {0}")]
    Layout(&'static str),
    /// The operating system refused to create or map the region.
    #[error("shared memory: {op} failed: {source}")]
    Os {
        /// The system call or step that failed.
        op: &'static str,
        /// The OS error.
        source: io::Error,
    },
    /// The region handed to a worker does not match what the supervisor said it would be.
    #[error("shared-memory region does not match its grant: {0}")]
    Mismatch(&'static str),
    /// A reader or writer was attached to a region of the other discipline.
    #[error("region holds {found:?} slots, expected {expected:?}")]
    WrongDiscipline {
        /// The discipline the caller needs.
        expected: Discipline,
        /// The discipline the region was created with.
        found: Discipline,
    },
    /// A writer was asked to publish a buffer that its slot cannot hold or whose header would be
    /// rejected by every reader.
    #[error("refused to write: {0}")]
    BadWrite(Reject),
}

/// Why a read produced nothing usable. Every case is counted in [`ReaderStats`]; none is fatal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// The writer changed the slot while it was being read; the data must be discarded.
    #[error("torn read: the slot changed while it was read")]
    Torn,
    /// The slot's sequence number is not newer than the last accepted one.
    #[error("stale slot: seq {seq} is not newer than {last}")]
    Stale {
        /// The slot's sequence number.
        seq: u64,
        /// The last sequence number this reader accepted.
        last: u64,
    },
    /// The header failed validation.
    #[error("rejected slot header: {0}")]
    Rejected(Reject),
    /// The payload does not match the checksum the writer stored.
    #[error("payload checksum mismatch")]
    Checksum,
}

/// Counters kept by a reader (and mirrored into the region's reader-owned line).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReaderStats {
    /// Buffers accepted and handed to the caller.
    pub accepted: u64,
    /// Sequence numbers skipped because the reader fell behind (`drops_gap`).
    pub drops_gap: u64,
    /// Reads abandoned because the writer overtook them (`drops_late`, torn reads included).
    pub drops_late: u64,
    /// Slots not newer than the last accepted one.
    pub stale: u64,
    /// Headers that failed validation (garbage, unknown format, wrong epoch, ...).
    pub rejected: u64,
    /// Payloads whose checksum did not match.
    pub checksum_failures: u64,
}

#[cfg(test)]
mod tests;
