//! A lossy stream ring: small periodic buffers (FFT bins) that the reader polls directly.
//!
//! The writer never waits: item `seq` (starting at 1) goes to slot `(seq - 1) % slot_count`,
//! overwriting whatever was there, and the writer line's `cursor` then names the newest seq. A
//! reader that falls more than a ring behind resyncs to the newest item and counts the skipped
//! ones in `drops_gap`; a read the writer overtook is discarded and counted in `drops_late`.
//! There is no message per item: the render loop polls the ring itself.

use super::layout::{Discipline, Reject, SlotMeta, WriteMeta, validate};
use super::{ReadError, ReaderStats, SharedRegion, ShmError};
use std::sync::Arc;
use std::sync::atomic::{Ordering, fence};

/// Copies reader counters into the region's reader-owned line, for the worker's diagnostics.
pub(crate) fn mirror_stats(region: &SharedRegion, stats: &ReaderStats, last_seq: u64) {
    let line = &region.control().reader;
    line.last_seq.store(last_seq, Ordering::Relaxed);
    line.accepted.store(stats.accepted, Ordering::Relaxed);
    line.drops_gap.store(stats.drops_gap, Ordering::Relaxed);
    line.drops_late.store(stats.drops_late, Ordering::Relaxed);
    let rejected = stats.rejected + stats.stale + stats.checksum_failures;
    line.rejected.store(rejected, Ordering::Relaxed);
}

/// The single writer of a stream ring (worker side).
pub struct StreamWriter {
    region: Arc<SharedRegion>,
    next_seq: u64,
}

impl StreamWriter {
    /// Becomes the writer of `region`.
    pub fn new(region: Arc<SharedRegion>) -> Result<Self, ShmError> {
        region.expect_discipline(Discipline::Stream)?;
        region.set_writer_pid(std::process::id());
        Ok(Self {
            region,
            next_seq: 1,
        })
    }

    /// The region this writer fills.
    pub fn region(&self) -> &Arc<SharedRegion> {
        &self.region
    }

    /// Publishes a copy of `payload`; see [`Self::publish_with`].
    pub fn publish(
        &mut self,
        meta: WriteMeta,
        payload: &[u8],
        checksum: bool,
    ) -> Result<u64, ShmError> {
        self.publish_with(meta, checksum, |out| {
            let n = out.len().min(payload.len());
            out[..n].copy_from_slice(&payload[..n]);
        })
    }

    /// Publishes one item whose payload `fill` writes in place. Returns its sequence number.
    pub fn publish_with(
        &mut self,
        meta: WriteMeta,
        checksum: bool,
        fill: impl FnOnce(&mut [u8]),
    ) -> Result<u64, ShmError> {
        let len = meta.payload_len().map_err(ShmError::BadWrite)?;
        if len > self.region.params().max_payload {
            return Err(ShmError::BadWrite(Reject::Length));
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let index = ((seq - 1) % u64::from(self.region.params().slot_count)) as u32;
        let header = self.region.slot(index);
        header.commit.store(seq << 1, Ordering::Relaxed);
        // Release fence: the in-progress mark is ordered before the payload stores (see
        // `frames::FrameWriter::begin` for the full argument).
        fence(Ordering::Release);
        // SAFETY: the payload area of the slot holds max_payload >= len bytes in the mapping;
        // readers only copy it under the seqlock check.
        let out =
            unsafe { std::slice::from_raw_parts_mut(self.region.payload_ptr(index), len as usize) };
        fill(out);
        let sum = checksum.then(|| xxhash_rust::xxh3::xxh3_64(out));
        header.store(seq, self.region.params().epoch, &meta, len, sum);
        header.commit.store((seq << 1) | 1, Ordering::Release);
        let writer = &self.region.control().writer;
        writer.cursor.store(seq, Ordering::Release);
        writer.writes.fetch_add(1, Ordering::Relaxed);
        Ok(seq)
    }
}

/// The single reader of a stream ring (UI side).
pub struct StreamReader {
    region: Arc<SharedRegion>,
    last_seq: u64,
    verify_checksums: bool,
    stats: ReaderStats,
}

impl StreamReader {
    /// Becomes the reader of `region`.
    pub fn new(region: Arc<SharedRegion>) -> Result<Self, ShmError> {
        region.expect_discipline(Discipline::Stream)?;
        Ok(Self {
            region,
            last_seq: 0,
            verify_checksums: false,
            stats: Default::default(),
        })
    }

    /// Verify payload checksums where the writer stored one.
    pub fn verify_checksums(mut self, on: bool) -> Self {
        self.verify_checksums = on;
        self
    }

    /// Counters so far.
    pub fn stats(&self) -> ReaderStats {
        self.stats
    }

    /// Sequence number of the newest consumed item (0: none).
    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    /// Newest published sequence number, as the writer claims it.
    fn cursor(&self) -> u64 {
        self.region.control().writer.cursor.load(Ordering::Acquire)
    }

    /// Copies the next item in sequence order into `out`. `Ok(None)` when caught up. A reader
    /// more than a ring behind jumps to the newest item and counts the skipped ones.
    pub fn next_into(&mut self, out: &mut Vec<u8>) -> Result<Option<SlotMeta>, ReadError> {
        let cursor = self.cursor();
        if cursor <= self.last_seq {
            return Ok(None);
        }
        let mut want = self.last_seq + 1;
        let slots = u64::from(self.region.params().slot_count);
        if cursor - want >= slots {
            self.stats.drops_gap += cursor - want;
            want = cursor;
        }
        self.read(want, out).map(Some)
    }

    /// Copies the newest item into `out`, skipping (and counting) any older unread ones.
    /// `Ok(None)` when nothing new was published. This is the visualizer's per-frame call.
    pub fn latest_into(&mut self, out: &mut Vec<u8>) -> Result<Option<SlotMeta>, ReadError> {
        let cursor = self.cursor();
        if cursor <= self.last_seq {
            return Ok(None);
        }
        self.stats.drops_gap += cursor - self.last_seq - 1;
        self.read(cursor, out).map(Some)
    }

    fn read(&mut self, seq: u64, out: &mut Vec<u8>) -> Result<SlotMeta, ReadError> {
        // Whatever happens, this seq is consumed: a failed read is counted, never retried.
        self.last_seq = seq;
        let result = self.read_slot(seq, out);
        match result {
            Ok(_) => self.stats.accepted += 1,
            Err(ReadError::Torn) => self.stats.drops_late += 1,
            Err(ReadError::Stale { .. }) => self.stats.stale += 1,
            Err(ReadError::Rejected(_)) => self.stats.rejected += 1,
            Err(ReadError::Checksum) => self.stats.checksum_failures += 1,
        }
        mirror_stats(&self.region, &self.stats, self.last_seq);
        result
    }

    fn read_slot(&self, seq: u64, out: &mut Vec<u8>) -> Result<SlotMeta, ReadError> {
        let params = self.region.params();
        let index = ((seq - 1) % u64::from(params.slot_count)) as u32;
        let header = self.region.slot(index);
        let first = header.commit.load(Ordering::Acquire);
        if first >> 1 != seq || first & 1 == 0 {
            // Overwritten by a newer lap (or being overwritten right now): late. Anything older
            // than what the cursor promised is a lying writer: rejected.
            return Err(if first >> 1 >= seq {
                ReadError::Torn
            } else {
                ReadError::Rejected(Reject::Commit)
            });
        }
        let meta = header.snapshot();
        if let Err(reject) = validate(&meta, first, params) {
            // A header torn by a lapping writer looks like garbage: only a header that stayed
            // put under an unchanged commit word is really rejected.
            fence(Ordering::Acquire);
            return Err(if header.commit.load(Ordering::Relaxed) != first {
                ReadError::Torn
            } else {
                ReadError::Rejected(reject)
            });
        }
        let len = meta.payload_len as usize;
        out.clear();
        out.resize(len, 0);
        // SAFETY: validate() bounded the length by max_payload, which the slot's payload area
        // holds inside the mapping; the copy may race with a writer lapping us, which the second
        // commit load detects.
        unsafe {
            std::ptr::copy_nonoverlapping(self.region.payload_ptr(index), out.as_mut_ptr(), len);
        }
        // Acquire fence: the copy above is ordered before the second commit load.
        fence(Ordering::Acquire);
        if header.commit.load(Ordering::Relaxed) != first {
            return Err(ReadError::Torn);
        }
        if let (true, Some(sum)) = (self.verify_checksums, meta.checksum)
            && xxhash_rust::xxh3::xxh3_64(out) != sum
        {
            return Err(ReadError::Checksum);
        }
        Ok(meta)
    }
}
