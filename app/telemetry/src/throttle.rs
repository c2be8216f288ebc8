//! Duplicate-error throttling: log the first occurrence of a key per window, count the rest.
//!
//! Time is passed in explicitly (`now: Instant`), so tests drive a fake clock by adding
//! durations to a base instant. Memory is bounded: at most `capacity` keys are tracked, and the
//! least recently seen key is forgotten when a new one arrives at capacity.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::{Duration, Instant};

/// What to do with one occurrence of a throttled message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Log it; `suppressed` repeats were swallowed since the key was last logged.
    Log {
        /// Number of occurrences suppressed in the previous window.
        suppressed: u64,
    },
    /// A repeat inside the window: count it and stay quiet.
    Suppress,
}

/// Per-key bookkeeping.
#[derive(Debug, Clone, Copy)]
struct Entry {
    /// When the key was last logged; the window runs from here.
    logged_at: Instant,
    /// When the key was last seen at all (drives eviction).
    seen_at: Instant,
    /// Repeats suppressed since `logged_at`.
    suppressed: u64,
}

/// Rate limiter for repeated messages, keyed by a caller-supplied key.
#[derive(Debug, Clone)]
pub struct Throttle<K> {
    window: Duration,
    capacity: usize,
    entries: HashMap<K, Entry>,
}

impl<K: Eq + Hash + Clone> Throttle<K> {
    /// Default number of distinct keys tracked by [`Throttle::new`].
    pub const DEFAULT_CAPACITY: usize = 256;

    /// A throttle with the given window and [`Self::DEFAULT_CAPACITY`] keys.
    pub fn new(window: Duration) -> Self {
        Self::with_capacity(window, Self::DEFAULT_CAPACITY)
    }

    /// A throttle tracking at most `capacity` distinct keys (at least one).
    pub fn with_capacity(window: Duration, capacity: usize) -> Self {
        Self {
            window,
            capacity: capacity.max(1),
            entries: HashMap::new(),
        }
    }

    /// Decides whether this occurrence of `key` at `now` should be logged.
    pub fn check(&mut self, key: K, now: Instant) -> Verdict {
        if let Some(entry) = self.entries.get_mut(&key) {
            entry.seen_at = now;
            if now.saturating_duration_since(entry.logged_at) < self.window {
                entry.suppressed += 1;
                return Verdict::Suppress;
            }
            let suppressed = std::mem::take(&mut entry.suppressed);
            entry.logged_at = now;
            return Verdict::Log { suppressed };
        }
        if self.entries.len() >= self.capacity {
            self.evict_oldest();
        }
        self.entries.insert(
            key,
            Entry {
                logged_at: now,
                seen_at: now,
                suppressed: 0,
            },
        );
        Verdict::Log { suppressed: 0 }
    }

    /// Number of keys currently tracked.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no key is tracked.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn evict_oldest(&mut self) {
        // A linear scan is fine: capacity is small and this only runs when a new key appears.
        let oldest = self
            .entries
            .iter()
            .min_by_key(|(_, e)| e.seen_at)
            .map(|(k, _)| k.clone());
        if let Some(key) = oldest {
            self.entries.remove(&key);
        }
    }
}

/// Logs through `tracing` at a constant level when `throttle` lets the key through, appending
/// `" (N similar suppressed)"` when earlier repeats were swallowed. Uses `Instant::now()`.
///
/// ```
/// use std::time::Duration;
/// let mut t = idlewild_telemetry::Throttle::new(Duration::from_secs(60));
/// let path = "/photos/a.jpg";
/// idlewild_telemetry::throttled!(tracing::Level::WARN, t, "decode", "cannot decode {}", path);
/// ```
#[macro_export]
macro_rules! throttled {
    ($level:expr, $throttle:expr, $key:expr, $fmt:literal $(, $arg:expr)* $(,)?) => {
        if let $crate::Verdict::Log { suppressed } =
            $throttle.check($key, ::std::time::Instant::now())
        {
            if suppressed == 0 {
                $crate::__tracing::event!($level, $fmt $(, $arg)*);
            } else {
                $crate::__tracing::event!(
                    $level,
                    ::std::concat!($fmt, " ({} similar suppressed)") $(, $arg)*,
                    suppressed
                );
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: Duration = Duration::from_secs(10);

    /// Runs events written as `key@seconds` through a throttle (window 10 s) and writes the
    /// verdicts as `L<suppressed>` or `S`.
    fn run(capacity: usize, events: &str) -> String {
        let t0 = Instant::now();
        let mut t = Throttle::with_capacity(W, capacity);
        let verdicts: Vec<String> = events
            .split_whitespace()
            .map(|ev| {
                let (key, secs) = ev.split_once('@').expect("key@seconds");
                let now = t0 + Duration::from_secs(secs.parse().expect("seconds"));
                match t.check(key.to_owned(), now) {
                    Verdict::Log { suppressed } => format!("L{suppressed}"),
                    Verdict::Suppress => "S".to_owned(),
                }
            })
            .collect();
        verdicts.join(" ")
    }

    #[test]
    fn verdict_table() {
        let cases = [
            ("first is logged", 8, "a@0", "L0"),
            ("repeats suppressed", 8, "a@0 a@1 a@9", "L0 S S"),
            (
                "window end reports count",
                8,
                "a@0 a@1 a@2 a@10",
                "L0 S S L2",
            ),
            (
                "count resets after report",
                8,
                "a@0 a@1 a@10 a@20",
                "L0 S L1 L0",
            ),
            ("keys independent", 8, "a@0 b@1 a@2 b@3", "L0 L0 S S"),
            ("clock going backwards suppresses", 8, "a@5 a@0", "L0 S"),
            // Capacity 2: "c" evicts "a" (least recently seen), so "a" is new again.
            (
                "eviction forgets oldest",
                2,
                "a@0 b@1 c@2 a@3 c@4",
                "L0 L0 L0 L0 S",
            ),
            (
                "recent use protects key",
                2,
                "a@0 b@1 a@2 c@3 a@4",
                "L0 L0 S L0 S",
            ),
        ];
        for (name, capacity, events, expected) in cases {
            assert_eq!(run(capacity, events), expected, "{name}");
        }
    }

    #[test]
    fn memory_is_bounded() {
        let t0 = Instant::now();
        let mut t = Throttle::with_capacity(W, 4);
        for i in 0..100u32 {
            t.check(i, t0 + Duration::from_millis(u64::from(i)));
        }
        assert_eq!(t.len(), 4);
    }

    #[test]
    fn macro_compiles_and_counts() {
        let mut t = Throttle::new(W);
        for i in 0..3 {
            throttled!(tracing::Level::WARN, t, "k", "failure {}", i);
        }
        throttled!(tracing::Level::ERROR, t, "plain", "no args");
        assert_eq!(t.len(), 2);
    }
}
