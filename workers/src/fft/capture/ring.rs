//! A bounded single-producer, single-consumer sample ring that never blocks the producer.
//!
//! The audio callback is the producer. It must never wait for the consumer (the fft role's tick),
//! so when the consumer falls behind the producer simply overwrites the oldest samples; the
//! consumer notices and skips them. Memory is fixed at creation (about half a second of audio).
//!
//! Every slot is an `AtomicU32` holding `f32` bits, so a slot being overwritten while the consumer
//! copies it is a race on atomics, not undefined behaviour. Overwrites are detected the seqlock
//! way: before touching any slot the producer announces how far it is about to write (`claim`),
//! and after copying the consumer re-reads `claim` and drops whatever that write may have reached.
//! The published end of the data (`head`) and the arrival time of its newest sample (`stamp`) are
//! updated together under a sequence counter, so the consumer always sees a matching pair.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering, fence};

/// The shared ring. One thread may call [`Ring::push`], one other thread [`Ring::drain_into`].
pub(crate) struct Ring {
    slots: Box<[AtomicU32]>,
    /// How far the producer may be writing right now (total samples, never wraps).
    claim: AtomicU64,
    /// Samples published so far (total, never wraps).
    head: AtomicU64,
    /// `mono_ns` of the callback that published `head`.
    stamp: AtomicU64,
    /// Odd while the producer updates `head` and `stamp`.
    seq: AtomicU64,
    /// The consumer's position; only the consumer touches it.
    tail: AtomicU64,
}

/// What one [`Ring::drain_into`] call found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Taken {
    /// Samples appended to the output.
    pub(crate) samples: usize,
    /// Samples lost because the producer overwrote them before the consumer came.
    pub(crate) dropped: u64,
    /// Arrival time of the newest sample.
    pub(crate) newest_ns: u64,
}

impl Ring {
    /// A ring holding the newest `capacity` samples (at least one).
    pub(crate) fn new(capacity: usize) -> Ring {
        let capacity = capacity.max(1);
        Ring {
            slots: (0..capacity).map(|_| AtomicU32::new(0)).collect(),
            claim: AtomicU64::new(0),
            head: AtomicU64::new(0),
            stamp: AtomicU64::new(0),
            seq: AtomicU64::new(0),
            tail: AtomicU64::new(0),
        }
    }

    /// Appends `samples` (producer side; never waits). `now_ns` is their arrival time.
    pub(crate) fn push(&self, samples: impl ExactSizeIterator<Item = f32>, now_ns: u64) {
        let n = samples.len() as u64;
        if n == 0 {
            return;
        }
        let cap = self.slots.len() as u64;
        // Only this thread writes `head`, so a relaxed read sees our own last value.
        let start = self.head.load(Ordering::Relaxed);
        let end = start + n;
        // Announce the write before any slot changes; the release fence orders the announcement
        // before the slot stores, and pairs with the consumer's acquire fence.
        self.claim.store(end, Ordering::Relaxed);
        fence(Ordering::Release);
        // Samples that would be overwritten within this same push are skipped outright.
        let skip = n.saturating_sub(cap);
        for (i, s) in samples.enumerate().skip(skip as usize) {
            let at = ((start + i as u64) % cap) as usize;
            self.slots[at].store(s.to_bits(), Ordering::Relaxed);
        }
        let seq = self.seq.load(Ordering::Relaxed);
        self.seq.store(seq.wrapping_add(1), Ordering::Relaxed);
        fence(Ordering::Release);
        self.stamp.store(now_ns, Ordering::Relaxed);
        self.head.store(end, Ordering::Relaxed);
        // Publishes the slots, `head` and `stamp` to a consumer that acquires `seq`.
        self.seq.store(seq.wrapping_add(2), Ordering::Release);
    }

    /// Reads a consistent `(head, stamp)` pair; spins only while a push is mid-update.
    fn published(&self) -> (u64, u64) {
        let mut spins = 0u32;
        loop {
            let s1 = self.seq.load(Ordering::Acquire);
            if s1.is_multiple_of(2) {
                let head = self.head.load(Ordering::Relaxed);
                let stamp = self.stamp.load(Ordering::Relaxed);
                fence(Ordering::Acquire);
                if self.seq.load(Ordering::Relaxed) == s1 {
                    return (head, stamp);
                }
            }
            // The producer's window is a handful of stores; if it was preempted inside it, let
            // it run rather than burn the core.
            spins += 1;
            if spins < 64 {
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
    }

    /// Appends every sample published since the last call to `out` (consumer side), oldest
    /// first, skipping any the producer has overwritten. `None` when nothing new arrived.
    pub(crate) fn drain_into(&self, out: &mut Vec<f32>) -> Option<Taken> {
        let (head, newest_ns) = self.published();
        let tail = self.tail.load(Ordering::Relaxed);
        if head <= tail {
            return None;
        }
        let cap = self.slots.len() as u64;
        let from = tail.max(head.saturating_sub(cap));
        let base = out.len();
        out.extend(
            (from..head)
                .map(|i| f32::from_bits(self.slots[(i % cap) as usize].load(Ordering::Relaxed))),
        );
        // Anything a concurrent push may have reached while we copied is stale: drop it from the
        // front (it is the oldest part of what we took).
        fence(Ordering::Acquire);
        let claim = self.claim.load(Ordering::Relaxed);
        let valid_from = claim.saturating_sub(cap).max(from);
        let stale = (valid_from - from).min(head - from) as usize;
        if stale > 0 {
            out.drain(base..base + stale);
        }
        self.tail.store(head, Ordering::Relaxed);
        let samples = out.len() - base;
        let dropped = head - tail - samples as u64;
        (samples > 0).then_some(Taken {
            samples,
            dropped,
            newest_ns,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn ramp(from: u32, n: u32) -> impl ExactSizeIterator<Item = f32> {
        (from..from + n).map(|i| i as f32)
    }

    #[test]
    fn drains_in_order_and_reports_the_newest_stamp() {
        let ring = Ring::new(16);
        let mut out = Vec::new();
        assert_eq!(ring.drain_into(&mut out), None);
        ring.push(ramp(0, 5), 100);
        ring.push(ramp(5, 3), 200);
        let taken = ring.drain_into(&mut out).expect("samples");
        assert_eq!(out, (0..8).map(|i| i as f32).collect::<Vec<_>>());
        assert_eq!(
            taken,
            Taken {
                samples: 8,
                dropped: 0,
                newest_ns: 200
            }
        );
        assert_eq!(ring.drain_into(&mut out), None, "nothing new");
    }

    #[test]
    fn a_slow_consumer_loses_the_oldest_samples_only() {
        let ring = Ring::new(10);
        let mut out = vec![-1.0];
        for k in 0..5 {
            ring.push(ramp(k * 4, 4), 10 + u64::from(k));
        }
        let taken = ring.drain_into(&mut out).expect("samples");
        // 20 pushed, 10 kept: the newest ten, after what `out` already held.
        assert_eq!(out[0], -1.0);
        assert_eq!(
            &out[1..],
            &(10..20).map(|i| i as f32).collect::<Vec<_>>()[..]
        );
        assert_eq!(
            taken,
            Taken {
                samples: 10,
                dropped: 10,
                newest_ns: 14
            }
        );
    }

    #[test]
    fn one_push_larger_than_the_ring_keeps_its_tail() {
        let ring = Ring::new(4);
        ring.push(ramp(0, 11), 7);
        let mut out = Vec::new();
        let taken = ring.drain_into(&mut out).expect("samples");
        assert_eq!(out, vec![7.0, 8.0, 9.0, 10.0]);
        assert_eq!(taken.dropped, 7);
    }

    #[test]
    fn concurrent_producer_never_yields_torn_or_reordered_data() {
        // The producer writes a strictly increasing sequence; whatever the consumer gets must
        // stay strictly increasing, with the newest stamp matching the newest value.
        let ring = Arc::new(Ring::new(256));
        let producer = {
            let ring = Arc::clone(&ring);
            std::thread::spawn(move || {
                let mut next = 0u32;
                while next < 400_000 {
                    let n = 1 + next % 97;
                    ring.push(ramp(next, n), u64::from(next + n));
                    next += n;
                }
                next
            })
        };
        let mut out = Vec::new();
        let mut last = -1.0f32;
        let mut total = 0usize;
        loop {
            out.clear();
            let done = producer.is_finished();
            if let Some(taken) = ring.drain_into(&mut out) {
                for &v in &out {
                    assert!(v > last, "{v} after {last}");
                    last = v;
                }
                assert_eq!(taken.newest_ns, last as u64 + 1);
                total += taken.samples;
            }
            if done {
                break;
            }
        }
        let end = producer.join().expect("producer");
        assert_eq!(last, (end - 1) as f32, "the newest sample always arrives");
        assert!(total > 0);
    }
}
