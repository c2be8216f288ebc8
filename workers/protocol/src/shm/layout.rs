//! Byte layout of a region: control page, slot headers, and the pure validation of both.
//!
//! Every shared field is an atomic, so concurrent access from two processes is defined behaviour
//! for the headers; only payload bytes are copied with plain memory operations, guarded by the
//! seqlock commit word (see [`super::frames`] and [`super::stream`]).

use crate::kind::WorkerKind;
use serde::{Deserialize, Serialize};
use std::mem::{offset_of, size_of};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// `IDLWSHM` and a version byte, little endian: the first eight bytes of every region.
pub const MAGIC: u64 = u64::from_le_bytes(*b"IDLWSHM\x01");
/// Bumped whenever the byte layout below changes.
pub const LAYOUT_VERSION: u32 = 1;
/// Page size used for alignment (the smallest page on every platform we target).
pub const PAGE: u64 = 4096;
/// Bytes reserved for the control page at offset 0.
pub const CONTROL_LEN: u64 = PAGE;
/// Bytes reserved for each slot header; the payload starts page-aligned after it.
pub const SLOT_HEADER_LEN: u64 = PAGE;
/// Largest payload a slot may be created with (a 7680×4320 RGBA frame fits).
pub const MAX_PAYLOAD_LIMIT: u64 = 256 << 20;
/// Largest number of slots in one region.
pub const MAX_SLOTS: u32 = 4096;
/// Slots in a latest-wins frames region: writer's back, shared middle, reader's front.
pub const FRAME_SLOTS: u32 = 3;

/// How the slots of a region are used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[repr(u32)]
pub enum Discipline {
    /// Latest-wins triple buffer of whole frames.
    Frames = 1,
    /// Lossy ring of small periodic buffers.
    Stream = 2,
}

impl Discipline {
    fn from_tag(tag: u32) -> Option<Self> {
        match tag {
            1 => Some(Self::Frames),
            2 => Some(Self::Stream),
            _ => None,
        }
    }
}

/// What the payload bytes of a slot are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[repr(u32)]
pub enum Format {
    /// 8-bit RGBA pixels, `row_stride` bytes per row.
    Rgba8 = 1,
    /// 8-bit BGRA pixels, `row_stride` bytes per row.
    Bgra8 = 2,
    /// `width` little-endian `f32` values (FFT bins).
    F32 = 3,
    /// `width` opaque bytes (lookup tables, block orders).
    Bytes = 4,
}

impl Format {
    /// The format for a header tag, if it names one.
    pub fn from_tag(tag: u32) -> Option<Self> {
        match tag {
            1 => Some(Self::Rgba8),
            2 => Some(Self::Bgra8),
            3 => Some(Self::F32),
            4 => Some(Self::Bytes),
            _ => None,
        }
    }
}

/// Everything needed to compute a region's geometry. The supervisor chooses it, sends it to the
/// worker with the region, and both sides derive offsets from it, never from the shared bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayoutParams {
    /// How the slots are used.
    pub discipline: Discipline,
    /// The worker kind that writes the region.
    pub kind: WorkerKind,
    /// The worker epoch the region belongs to; slots of any other epoch are rejected.
    pub epoch: u64,
    /// Number of slots.
    pub slot_count: u32,
    /// Largest payload one slot holds, in bytes.
    pub max_payload: u64,
}

/// Offsets and sizes derived from [`LayoutParams`] with checked arithmetic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geometry {
    /// Bytes from one slot's start to the next.
    pub slot_stride: u64,
    /// Offset of a slot's payload from the slot's start.
    pub payload_offset: u64,
    /// Total bytes of the region.
    pub region_len: u64,
}

impl LayoutParams {
    /// A latest-wins frames region whose slots hold up to `max_payload` bytes.
    pub fn frames(kind: WorkerKind, epoch: u64, max_payload: u64) -> Self {
        Self {
            discipline: Discipline::Frames,
            kind,
            epoch,
            slot_count: FRAME_SLOTS,
            max_payload,
        }
    }

    /// A stream ring of `slot_count` slots of up to `max_payload` bytes each.
    pub fn stream(kind: WorkerKind, epoch: u64, slot_count: u32, max_payload: u64) -> Self {
        Self {
            discipline: Discipline::Stream,
            kind,
            epoch,
            slot_count,
            max_payload,
        }
    }

    /// Checks the parameters and derives the geometry; fails closed on anything odd.
    pub fn geometry(&self) -> Result<Geometry, &'static str> {
        if self.max_payload == 0 || self.max_payload > MAX_PAYLOAD_LIMIT {
            return Err("max_payload must be between 1 byte and 256 MiB");
        }
        match self.discipline {
            Discipline::Frames if self.slot_count != FRAME_SLOTS => {
                return Err("a frames region has exactly 3 slots");
            }
            Discipline::Stream if self.slot_count < 2 || self.slot_count > MAX_SLOTS => {
                return Err("a stream ring has 2 to 4096 slots");
            }
            _ => {}
        }
        let payload_pages = self.max_payload.div_ceil(PAGE);
        let slot_stride = payload_pages
            .checked_mul(PAGE)
            .and_then(|p| p.checked_add(SLOT_HEADER_LEN))
            .ok_or("slot size overflows")?;
        let region_len = slot_stride
            .checked_mul(u64::from(self.slot_count))
            .and_then(|s| s.checked_add(CONTROL_LEN))
            .filter(|&len| usize::try_from(len).is_ok())
            .ok_or("region size overflows")?;
        Ok(Geometry {
            slot_stride,
            payload_offset: SLOT_HEADER_LEN,
            region_len,
        })
    }
}

/// The control page at offset 0 of every region.
#[repr(C, align(64))]
pub struct ControlPage {
    /// [`MAGIC`], stored last (with release) when the supervisor initialises the page.
    pub magic: AtomicU64,
    /// [`LAYOUT_VERSION`].
    pub layout_version: AtomicU32,
    /// [`Discipline`] tag.
    pub discipline: AtomicU32,
    /// [`WorkerKind`] tag.
    pub worker_kind: AtomicU32,
    /// Number of slots.
    pub slot_count: AtomicU32,
    /// Worker epoch.
    pub epoch: AtomicU64,
    /// Informational copy of the geometry (readers recompute it; see module docs).
    pub slot_stride: AtomicU64,
    /// Informational copy of the payload offset.
    pub payload_offset: AtomicU64,
    /// Informational copy of the largest payload.
    pub max_payload: AtomicU64,
    /// Informational copy of the region length.
    pub region_len: AtomicU64,
    /// Fields only the writer stores to.
    pub writer: WriterLine,
    /// Fields only the reader stores to.
    pub reader: ReaderLine,
}

/// The writer-owned cache line of the control page.
#[repr(C, align(64))]
pub struct WriterLine {
    /// Process id of the current writer (0 before a worker attaches).
    pub pid: AtomicU32,
    /// Padding that keeps the 64-bit fields aligned.
    pub reserved: AtomicU32,
    /// Bumped by the worker's heartbeat thread about once per heartbeat period.
    pub heartbeat: AtomicU64,
    /// Sequence number of the newest committed slot (0: none yet).
    pub cursor: AtomicU64,
    /// Frames discipline: the triple-buffer exchange word (see [`super::frames`]).
    pub handoff: AtomicU64,
    /// Buffers committed since the region was created.
    pub writes: AtomicU64,
}

/// The reader-owned cache line of the control page (diagnostics for the worker side).
#[repr(C, align(64))]
pub struct ReaderLine {
    /// Sequence number of the newest accepted slot.
    pub last_seq: AtomicU64,
    /// Mirrors [`super::ReaderStats::accepted`].
    pub accepted: AtomicU64,
    /// Mirrors [`super::ReaderStats::drops_gap`].
    pub drops_gap: AtomicU64,
    /// Mirrors [`super::ReaderStats::drops_late`].
    pub drops_late: AtomicU64,
    /// Mirrors [`super::ReaderStats::rejected`] plus checksum failures and stale slots.
    pub rejected: AtomicU64,
}

/// The header at the start of every slot.
#[repr(C, align(64))]
pub struct SlotHeader {
    /// Seqlock word: `seq << 1` while writing, `(seq << 1) | 1` once committed. Zero-filled
    /// memory therefore never looks committed.
    pub commit: AtomicU64,
    /// Sequence number (must equal `commit >> 1`).
    pub seq: AtomicU64,
    /// Epoch of the writer (must equal the region's epoch).
    pub epoch: AtomicU64,
    /// Request generation the buffer answers.
    pub generation: AtomicU64,
    /// [`Format`] tag.
    pub format: AtomicU32,
    /// Pixels per row, or element count for `F32` / `Bytes`.
    pub width: AtomicU32,
    /// Rows (1 for `F32` / `Bytes`).
    pub height: AtomicU32,
    /// Bytes per row.
    pub row_stride: AtomicU32,
    /// Payload bytes.
    pub payload_len: AtomicU64,
    /// Monotonic ns when the writer committed (see [`crate::clock`]).
    pub timestamp_ns: AtomicU64,
    /// xxh3-64 of the payload when `flags & FLAG_CHECKSUM`.
    pub checksum: AtomicU64,
    /// Bit flags ([`FLAG_CHECKSUM`]).
    pub flags: AtomicU32,
}

/// The slot's checksum field is valid.
pub const FLAG_CHECKSUM: u32 = 1;

// The layout is a cross-process contract: pin it down at compile time.
const _: () = {
    assert!(offset_of!(ControlPage, writer) == 64);
    assert!(offset_of!(ControlPage, reader) == 128);
    assert!(size_of::<ControlPage>() == 192);
    assert!(size_of::<ControlPage>() as u64 <= CONTROL_LEN);
    assert!(size_of::<SlotHeader>() == 128);
    assert!(size_of::<SlotHeader>() as u64 <= SLOT_HEADER_LEN);
};

/// What a writer supplies for one buffer; the rest of the header is filled in by the discipline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WriteMeta {
    /// Request generation this buffer answers.
    pub generation: u64,
    /// Payload format.
    pub format: Format,
    /// Pixels per row, or element count.
    pub width: u32,
    /// Rows (1 for element formats).
    pub height: u32,
    /// Bytes per row (for element formats: the payload length).
    pub row_stride: u32,
}

impl WriteMeta {
    /// Tightly packed RGBA8 pixels.
    pub fn rgba8(generation: u64, width: u32, height: u32) -> Self {
        let row_stride = width.saturating_mul(4);
        Self {
            generation,
            format: Format::Rgba8,
            width,
            height,
            row_stride,
        }
    }

    /// `count` f32 values.
    pub fn f32s(generation: u64, count: u32) -> Self {
        let row_stride = count.saturating_mul(4);
        Self {
            generation,
            format: Format::F32,
            width: count,
            height: 1,
            row_stride,
        }
    }

    /// `len` opaque bytes.
    pub fn bytes(generation: u64, len: u32) -> Self {
        Self {
            generation,
            format: Format::Bytes,
            width: len,
            height: 1,
            row_stride: len,
        }
    }

    /// Payload length implied by the metadata, if it is well formed.
    pub fn payload_len(&self) -> Result<u64, Reject> {
        expected_len(self.format, self.width, self.height, self.row_stride)
    }
}

/// A plain snapshot of a slot header, as read by a reader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlotMeta {
    /// Sequence number.
    pub seq: u64,
    /// Writer epoch.
    pub epoch: u64,
    /// Request generation.
    pub generation: u64,
    /// Raw format tag (validated by [`validate`]).
    pub format: u32,
    /// Pixels per row, or element count.
    pub width: u32,
    /// Rows.
    pub height: u32,
    /// Bytes per row.
    pub row_stride: u32,
    /// Payload bytes.
    pub payload_len: u64,
    /// Monotonic ns at commit.
    pub timestamp_ns: u64,
    /// Payload checksum, when the writer stored one.
    pub checksum: Option<u64>,
}

impl SlotMeta {
    /// The validated format (callers only see metas that passed [`validate`]).
    pub fn format(&self) -> Option<Format> {
        Format::from_tag(self.format)
    }
}

/// Why a header was rejected. Fieldless so it can be counted and logged cheaply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Reject {
    /// The commit word is not `(seq << 1) | 1` for the header's seq, or seq is zero.
    #[error("commit word does not match the header's sequence number")]
    Commit,
    /// The header's epoch is not the region's.
    #[error("header epoch differs from the region's epoch")]
    Epoch,
    /// Unknown format tag.
    #[error("unknown payload format")]
    Format,
    /// Zero or absurd width/height.
    #[error("bad dimensions")]
    Dimensions,
    /// Row stride shorter than a row of pixels.
    #[error("row stride shorter than a row")]
    Stride,
    /// Payload length inconsistent with the dimensions, or larger than the slot.
    #[error("payload length does not fit the slot or the dimensions")]
    Length,
    /// The triple-buffer exchange word named no valid slot.
    #[error("handoff word names no valid slot")]
    Handoff,
}

fn expected_len(format: Format, width: u32, height: u32, row_stride: u32) -> Result<u64, Reject> {
    if width == 0 || height == 0 {
        return Err(Reject::Dimensions);
    }
    match format {
        Format::Rgba8 | Format::Bgra8 => {
            let row = u64::from(width).checked_mul(4).ok_or(Reject::Dimensions)?;
            if u64::from(row_stride) < row {
                return Err(Reject::Stride);
            }
            u64::from(row_stride)
                .checked_mul(u64::from(height))
                .ok_or(Reject::Dimensions)
        }
        Format::F32 | Format::Bytes => {
            let elem = if format == Format::F32 { 4 } else { 1 };
            let len = u64::from(width) * elem;
            if height != 1 {
                return Err(Reject::Dimensions);
            }
            if u64::from(row_stride) != len {
                return Err(Reject::Stride);
            }
            Ok(len)
        }
    }
}

/// Validates a header snapshot against the reader's own layout. Pure, so it is table-tested and
/// fuzzed; every field is checked with checked arithmetic and anything unknown is rejected.
pub fn validate(meta: &SlotMeta, commit: u64, params: &LayoutParams) -> Result<Format, Reject> {
    if commit & 1 != 1 || meta.seq == 0 || commit >> 1 != meta.seq {
        return Err(Reject::Commit);
    }
    if meta.epoch != params.epoch {
        return Err(Reject::Epoch);
    }
    let format = Format::from_tag(meta.format).ok_or(Reject::Format)?;
    let len = expected_len(format, meta.width, meta.height, meta.row_stride)?;
    if len != meta.payload_len || meta.payload_len > params.max_payload {
        return Err(Reject::Length);
    }
    Ok(format)
}

impl SlotHeader {
    /// Loads every field except `commit` (relaxed: the commit word's acquire/fence pair orders
    /// them; see the disciplines).
    pub fn snapshot(&self) -> SlotMeta {
        let flags = self.flags.load(Ordering::Relaxed);
        let checksum = self.checksum.load(Ordering::Relaxed);
        SlotMeta {
            seq: self.seq.load(Ordering::Relaxed),
            epoch: self.epoch.load(Ordering::Relaxed),
            generation: self.generation.load(Ordering::Relaxed),
            format: self.format.load(Ordering::Relaxed),
            width: self.width.load(Ordering::Relaxed),
            height: self.height.load(Ordering::Relaxed),
            row_stride: self.row_stride.load(Ordering::Relaxed),
            payload_len: self.payload_len.load(Ordering::Relaxed),
            timestamp_ns: self.timestamp_ns.load(Ordering::Relaxed),
            checksum: (flags & FLAG_CHECKSUM != 0).then_some(checksum),
        }
    }

    /// Stores a header (relaxed; the caller publishes it with the commit word).
    pub(crate) fn store(&self, seq: u64, epoch: u64, meta: &WriteMeta, len: u64, sum: Option<u64>) {
        self.seq.store(seq, Ordering::Relaxed);
        self.epoch.store(epoch, Ordering::Relaxed);
        self.generation.store(meta.generation, Ordering::Relaxed);
        self.format.store(meta.format as u32, Ordering::Relaxed);
        self.width.store(meta.width, Ordering::Relaxed);
        self.height.store(meta.height, Ordering::Relaxed);
        self.row_stride.store(meta.row_stride, Ordering::Relaxed);
        self.payload_len.store(len, Ordering::Relaxed);
        self.timestamp_ns
            .store(crate::clock::mono_ns(), Ordering::Relaxed);
        self.checksum.store(sum.unwrap_or(0), Ordering::Relaxed);
        self.flags.store(
            if sum.is_some() { FLAG_CHECKSUM } else { 0 },
            Ordering::Relaxed,
        );
    }
}

impl ControlPage {
    /// Checks the immutable line against the reader's or writer's own parameters.
    pub fn matches(&self, params: &LayoutParams, geom: &Geometry) -> Result<(), &'static str> {
        if self.magic.load(Ordering::Acquire) != MAGIC {
            return Err("bad magic");
        }
        if self.layout_version.load(Ordering::Relaxed) != LAYOUT_VERSION {
            return Err("layout version differs");
        }
        if Discipline::from_tag(self.discipline.load(Ordering::Relaxed)) != Some(params.discipline)
        {
            return Err("discipline differs");
        }
        if self.worker_kind.load(Ordering::Relaxed) != params.kind.tag() {
            return Err("worker kind differs");
        }
        if self.epoch.load(Ordering::Relaxed) != params.epoch {
            return Err("epoch differs");
        }
        if self.slot_count.load(Ordering::Relaxed) != params.slot_count
            || self.slot_stride.load(Ordering::Relaxed) != geom.slot_stride
            || self.max_payload.load(Ordering::Relaxed) != params.max_payload
            || self.region_len.load(Ordering::Relaxed) != geom.region_len
        {
            return Err("geometry differs");
        }
        Ok(())
    }

    /// Writes the immutable line; the magic goes last with release so that a reader that sees
    /// the magic also sees every other field.
    pub(crate) fn initialise(&self, params: &LayoutParams, geom: &Geometry) {
        self.layout_version.store(LAYOUT_VERSION, Ordering::Relaxed);
        self.discipline
            .store(params.discipline as u32, Ordering::Relaxed);
        self.worker_kind.store(params.kind.tag(), Ordering::Relaxed);
        self.slot_count.store(params.slot_count, Ordering::Relaxed);
        self.epoch.store(params.epoch, Ordering::Relaxed);
        self.slot_stride.store(geom.slot_stride, Ordering::Relaxed);
        self.payload_offset
            .store(geom.payload_offset, Ordering::Relaxed);
        self.max_payload
            .store(params.max_payload, Ordering::Relaxed);
        self.region_len.store(geom.region_len, Ordering::Relaxed);
        self.magic.store(MAGIC, Ordering::Release);
    }
}

#[cfg(test)]
mod tests;
