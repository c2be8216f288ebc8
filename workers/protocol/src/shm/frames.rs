//! Latest-wins frames: a triple buffer in shared memory for whole images.
//!
//! Three slots, three owners at any moment: the writer's *back* slot, the shared *middle* slot
//! named by the exchange word `handoff` in the control page, and the reader's *front* slot. The
//! writer fills its back slot, commits it, and swaps it into the middle with one atomic `swap`
//! that also sets [`FRESH`]; it gets the old middle back as its new back slot. The reader, when
//! it sees `FRESH`, swaps its front slot in (without the flag) and takes the middle. Because
//! writer and reader always own different slots, the writer never waits and never writes the
//! slot the reader is copying from, so the reader can upload straight from the mapping: exactly
//! one copy.
//!
//! The seqlock commit word is still checked around every read. It is what makes a *misbehaving*
//! writer harmless: one that scribbles on the exchange word or on the reader's slot produces a
//! torn or rejected read, never an accepted torn frame. A writer killed mid-write leaves only its
//! own back slot half-written and never published.

use super::layout::{Discipline, LayoutParams, Reject, SlotMeta, WriteMeta, validate};
use super::{ReadError, ReaderStats, SharedRegion, ShmError};
use std::sync::Arc;
use std::sync::atomic::{Ordering, fence};

/// Set in the exchange word when the middle slot holds a frame the reader has not taken yet.
pub const FRESH: u64 = 1 << 2;
const INDEX_MASK: u64 = 0b11;

/// The single writer of a frames region (worker side).
pub struct FrameWriter {
    region: Arc<SharedRegion>,
    back: u32,
    next_seq: u64,
}

impl FrameWriter {
    /// Becomes the writer of `region`. The writer starts owning slot 0; slot 1 is the middle and
    /// slot 2 the reader's front, matching the supervisor's initial exchange word.
    pub fn new(region: Arc<SharedRegion>) -> Result<Self, ShmError> {
        region.expect_discipline(Discipline::Frames)?;
        region.set_writer_pid(std::process::id());
        Ok(Self {
            region,
            back: 0,
            next_seq: 1,
        })
    }

    /// The region this writer fills.
    pub fn region(&self) -> &Arc<SharedRegion> {
        &self.region
    }

    /// Hands the committed back slot `seq` to the reader (one atomic swap that sets FRESH) and
    /// takes the old middle slot as the new back slot.
    fn publish(&mut self, seq: u64) {
        let control = self.region.control();
        let old = control
            .writer
            .handoff
            .swap(u64::from(self.back) | FRESH, Ordering::AcqRel);
        let index = (old & INDEX_MASK) as u32;
        // A sane reader always leaves a valid index different from our back slot. If the word
        // was scribbled on, take any other slot: the readers' seqlock check covers the rest.
        self.back = if index < 3 && index != self.back {
            index
        } else {
            (self.back + 1) % 3
        };
        control.writer.cursor.store(seq, Ordering::Release);
        control.writer.writes.fetch_add(1, Ordering::Relaxed);
    }

    /// Starts a frame in the back slot. The slot is marked in progress before any byte of the
    /// payload changes; dropping the returned guard without [`FrameWrite::commit`] abandons the
    /// frame, which then is never published.
    pub fn begin(&mut self, meta: WriteMeta) -> Result<FrameWrite<'_>, ShmError> {
        let len = meta.payload_len().map_err(ShmError::BadWrite)?;
        if len > self.region.params().max_payload {
            return Err(ShmError::BadWrite(Reject::Length));
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let header = self.region.slot(self.back);
        header.commit.store(seq << 1, Ordering::Relaxed);
        // Release fence: the in-progress mark above is ordered before every payload and header
        // store below. A reader whose payload copy observes any of those stores will, after its
        // own acquire fence, observe the in-progress mark (or later) on its second commit load
        // and discard the read. On x86 this compiles to nothing; on ARM64 it is a `dmb ish`.
        fence(Ordering::Release);
        Ok(FrameWrite {
            writer: self,
            seq,
            meta,
            len,
        })
    }
}

/// A frame being written into the writer's back slot.
pub struct FrameWrite<'a> {
    writer: &'a mut FrameWriter,
    seq: u64,
    meta: WriteMeta,
    len: u64,
}

impl FrameWrite<'_> {
    /// The payload bytes to fill (exactly the length the metadata implies).
    pub fn payload(&mut self) -> &mut [u8] {
        let ptr = self.writer.region.payload_ptr(self.writer.back);
        // SAFETY: the back slot is owned by this writer alone (triple-buffer protocol); the
        // payload area holds max_payload >= len bytes inside the mapping.
        unsafe { std::slice::from_raw_parts_mut(ptr, self.len as usize) }
    }

    /// The sequence number this frame will carry.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// Fault injection for tests and the sim worker: publishes the frame with a header whose
    /// fields are derived from `noise` (garbage dimensions, format, length and generation) but
    /// whose commit word is valid, as a buggy or hostile writer would. Readers must reject it.
    pub fn commit_garbage_header(self, noise: u64) -> u64 {
        let seq = self.seq;
        let w = &mut *self.writer;
        let header = w.region.slot(w.back);
        let meta = WriteMeta {
            generation: noise,
            format: crate::shm::Format::Rgba8,
            width: (noise >> 8) as u32 | 1,
            height: (noise >> 40) as u32 | 1,
            row_stride: (noise >> 20) as u32,
        };
        header.store(
            seq,
            w.region.params().epoch,
            &meta,
            noise.rotate_left(17),
            None,
        );
        header.format.store((noise % 7) as u32, Ordering::Relaxed);
        header.commit.store((seq << 1) | 1, Ordering::Release);
        w.publish(seq);
        seq
    }

    /// Commits the frame and makes it the latest one. With `checksum`, stores an xxh3-64 of the
    /// payload that readers may verify. Returns the frame's sequence number.
    pub fn commit(mut self, checksum: bool) -> u64 {
        let sum = checksum.then(|| xxhash_rust::xxh3::xxh3_64(self.payload()));
        let w = &mut *self.writer;
        let header = w.region.slot(w.back);
        header.store(self.seq, w.region.params().epoch, &self.meta, self.len, sum);
        // Release store: everything written above happens-before a reader's acquire load that
        // sees this commit word.
        header.commit.store((self.seq << 1) | 1, Ordering::Release);
        w.publish(self.seq);
        self.seq
    }
}

/// The single reader of a frames region (UI side).
pub struct FrameReader {
    region: Arc<SharedRegion>,
    front: u32,
    last_seq: u64,
    min_generation: u64,
    verify_checksums: bool,
    stats: ReaderStats,
}

impl FrameReader {
    /// Becomes the reader of `region`, owning slot 2 as its front slot.
    pub fn new(region: Arc<SharedRegion>) -> Result<Self, ShmError> {
        region.expect_discipline(Discipline::Frames)?;
        Ok(Self {
            region,
            front: 2,
            last_seq: 0,
            min_generation: 0,
            verify_checksums: false,
            stats: Default::default(),
        })
    }

    /// Verify payload checksums where the writer stored one (costs one pass over the payload).
    pub fn verify_checksums(mut self, on: bool) -> Self {
        self.verify_checksums = on;
        self
    }

    /// Frames answering a request generation older than `generation` are dropped as stale
    /// (the UI asked for something newer since).
    pub fn set_min_generation(&mut self, generation: u64) {
        self.min_generation = generation;
    }

    /// The region's layout parameters.
    pub fn params(&self) -> &LayoutParams {
        self.region.params()
    }

    /// Counters so far.
    pub fn stats(&self) -> ReaderStats {
        self.stats
    }

    /// Sequence number of the newest accepted frame (0: none).
    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    /// True when the writer published a frame the reader has not taken. Never blocks.
    pub fn has_new(&self) -> bool {
        self.region.control().writer.handoff.load(Ordering::Relaxed) & FRESH != 0
    }

    /// Takes the newest frame, if there is one the reader has not seen, and hands its header and
    /// payload (in the mapping, no copy) to `f`. Never blocks and never waits for the writer.
    ///
    /// `f` runs *before* the final consistency check: when this returns `Err`, whatever `f`
    /// produced (an upload, a copy) must be thrown away. `Ok(None)` means nothing new.
    pub fn read_latest<R>(
        &mut self,
        f: impl FnOnce(&SlotMeta, &[u8]) -> R,
    ) -> Result<Option<(SlotMeta, R)>, ReadError> {
        // A clone of the Arc keeps the borrow checker out of the counters' way (`fail`).
        let region = Arc::clone(&self.region);
        let control = region.control();
        if control.writer.handoff.load(Ordering::Acquire) & FRESH == 0 {
            return Ok(None);
        }
        let old = control
            .writer
            .handoff
            .swap(u64::from(self.front), Ordering::AcqRel);
        let index = (old & INDEX_MASK) as u32;
        if old & !(INDEX_MASK | FRESH) != 0 || index >= 3 || index == self.front {
            // Garbage in the exchange word. Move to another slot so both sides cannot stay
            // stuck on one; the seqlock check keeps any overlap harmless.
            self.front = (self.front + 1) % 3;
            return Err(self.fail(ReadError::Rejected(Reject::Handoff)));
        }
        self.front = index;
        let header = region.slot(index);
        let first = header.commit.load(Ordering::Acquire);
        let meta = header.snapshot();
        if let Err(reject) = validate(&meta, first, region.params()) {
            // Tell a header torn by a concurrent write apart from a truly invalid one.
            fence(Ordering::Acquire);
            let torn = header.commit.load(Ordering::Relaxed) != first;
            return Err(self.fail(if torn {
                ReadError::Torn
            } else {
                ReadError::Rejected(reject)
            }));
        }
        if meta.seq <= self.last_seq || meta.generation < self.min_generation {
            return Err(self.fail(ReadError::Stale {
                seq: meta.seq,
                last: self.last_seq,
            }));
        }
        let ptr = region.payload_ptr(index);
        // SAFETY: validate() bounded payload_len by max_payload, and the slot's payload area is
        // max_payload bytes inside the mapping. The writer does not write this slot while we own
        // it; if it misbehaves, the bytes may change under us, which the second commit load
        // below detects (the copy itself is a plain read of shared memory, as in every seqlock).
        let payload = unsafe { std::slice::from_raw_parts(ptr, meta.payload_len as usize) };
        let checksum_ok = match (self.verify_checksums, meta.checksum) {
            (true, Some(sum)) => xxhash_rust::xxh3::xxh3_64(payload) == sum,
            _ => true,
        };
        let out = f(&meta, payload);
        // Acquire fence: orders the payload reads above before the second commit load, so a
        // writer store that reached our copy is visible as a changed commit word.
        fence(Ordering::Acquire);
        if header.commit.load(Ordering::Relaxed) != first {
            return Err(self.fail(ReadError::Torn));
        }
        if !checksum_ok {
            return Err(self.fail(ReadError::Checksum));
        }
        self.last_seq = meta.seq;
        self.stats.accepted += 1;
        self.mirror();
        Ok(Some((meta, out)))
    }

    /// Reads the frame the last successful [`FrameReader::read_latest`] took once more, so a
    /// large frame can be consumed in parts over several calls (a texture upload spread over
    /// frames). The reader owns that slot until its next `read_latest`, so the writer never
    /// writes it meanwhile; the seqlock check still runs, and a misbehaving writer shows up as
    /// `Torn`. `Ok(None)`: no frame was taken yet. The counters are not touched.
    pub fn read_again<R>(
        &self,
        f: impl FnOnce(&SlotMeta, &[u8]) -> R,
    ) -> Result<Option<R>, ReadError> {
        if self.last_seq == 0 {
            return Ok(None);
        }
        let region = &self.region;
        let header = region.slot(self.front);
        let first = header.commit.load(Ordering::Acquire);
        if first != (self.last_seq << 1) | 1 {
            return Err(ReadError::Stale {
                seq: first >> 1,
                last: self.last_seq,
            });
        }
        let meta = header.snapshot();
        if let Err(reject) = validate(&meta, first, region.params()) {
            return Err(ReadError::Rejected(reject));
        }
        let ptr = region.payload_ptr(self.front);
        // SAFETY: as in `read_latest`: validate() bounded payload_len by max_payload, inside the
        // mapping, and the reader owns this slot; changes by a misbehaving writer are detected
        // by the second commit load below.
        let payload = unsafe { std::slice::from_raw_parts(ptr, meta.payload_len as usize) };
        let out = f(&meta, payload);
        fence(Ordering::Acquire);
        if header.commit.load(Ordering::Relaxed) != first {
            return Err(ReadError::Torn);
        }
        Ok(Some(out))
    }

    fn fail(&mut self, err: ReadError) -> ReadError {
        match err {
            ReadError::Torn => self.stats.drops_late += 1,
            ReadError::Stale { .. } => self.stats.stale += 1,
            ReadError::Rejected(_) => self.stats.rejected += 1,
            ReadError::Checksum => self.stats.checksum_failures += 1,
        }
        self.mirror();
        err
    }

    fn mirror(&self) {
        super::stream::mirror_stats(&self.region, &self.stats, self.last_seq);
    }
}
