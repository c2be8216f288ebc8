//! UI-side mailboxes: bounded, drop-oldest, lock-free, never blocking.
//!
//! The render loop polls them once per frame; a burst from a worker can never make it wait or
//! grow memory without bound. Drops and the high-water mark are counted for `[PERF]` lines.

use crossbeam_queue::ArrayQueue;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// A bounded queue that drops its oldest item when full.
pub struct Mailbox<T> {
    queue: ArrayQueue<T>,
    pushed: AtomicU64,
    dropped: AtomicU64,
    high_water: AtomicUsize,
}

/// Counters of one mailbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MailboxStats {
    /// Items currently queued.
    pub len: usize,
    /// Capacity.
    pub cap: usize,
    /// Items ever pushed.
    pub pushed: u64,
    /// Items dropped to make room for newer ones.
    pub dropped: u64,
    /// Largest length seen.
    pub high_water: usize,
}

impl<T> Mailbox<T> {
    /// A mailbox holding at most `cap` items (at least one).
    pub fn new(cap: usize) -> Self {
        Self {
            queue: ArrayQueue::new(cap.max(1)),
            pushed: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            high_water: AtomicUsize::new(0),
        }
    }

    /// Queues `item`, dropping the oldest one when full. Returns the dropped item, if any.
    pub fn push(&self, item: T) -> Option<T> {
        self.pushed.fetch_add(1, Ordering::Relaxed);
        let dropped = self.queue.force_push(item);
        if dropped.is_some() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
        self.high_water
            .fetch_max(self.queue.len(), Ordering::Relaxed);
        dropped
    }

    /// The oldest queued item, without waiting.
    pub fn poll(&self) -> Option<T> {
        self.queue.pop()
    }

    /// Items currently queued.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// True when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Counters so far.
    pub fn stats(&self) -> MailboxStats {
        MailboxStats {
            len: self.queue.len(),
            cap: self.queue.capacity(),
            pushed: self.pushed.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            high_water: self.high_water.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_oldest_and_counts() {
        let m = Mailbox::new(3);
        assert_eq!(m.poll(), None::<u32>);
        for i in 0..5 {
            m.push(i);
        }
        assert_eq!(
            m.stats(),
            MailboxStats {
                len: 3,
                cap: 3,
                pushed: 5,
                dropped: 2,
                high_water: 3
            }
        );
        assert_eq!(
            (m.poll(), m.poll(), m.poll(), m.poll()),
            (Some(2), Some(3), Some(4), None)
        );
        assert!(m.is_empty());
    }

    #[test]
    fn concurrent_producer_never_blocks_the_consumer() {
        let m = std::sync::Arc::new(Mailbox::new(16));
        let p = m.clone();
        let producer = std::thread::spawn(move || {
            (0..100_000u64).for_each(|i| {
                p.push(i);
            })
        });
        let mut last = None;
        while !producer.is_finished() || !m.is_empty() {
            if let Some(v) = m.poll() {
                assert!(last.is_none_or(|l| v > l), "order is kept");
                last = Some(v);
            }
        }
        producer.join().unwrap();
        let s = m.stats();
        assert_eq!(s.pushed, 100_000);
        assert!(s.high_water <= 16);
    }
}
