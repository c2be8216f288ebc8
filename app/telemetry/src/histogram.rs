//! Log2 latency histogram over nanoseconds, with exact min/max/sum, for `[PERF]` log lines.
//!
//! Bucket `0` holds samples below 1 µs; bucket `i` (1 ≤ i ≤ 26) holds `[2^(i-1) µs, 2^i µs)`, so
//! the last regular bucket ends at 2^26 µs ≈ 67 s; anything longer lands in the overflow bucket.
//! Powers of two of a microsecond (rather than of a nanosecond) keep the printed bounds round:
//! `256us`, `2ms`, `131ms`.

use std::fmt;

/// Number of regular buckets (upper bounds 1 µs … 2^26 µs).
const REGULAR: usize = 27;

/// A fixed-size latency histogram; `record` is O(1) and allocation-free.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatencyHistogram {
    /// `REGULAR` regular buckets followed by one overflow bucket.
    buckets: [u64; REGULAR + 1],
    count: u64,
    sum: u64,
    min: u64,
    max: u64,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self::new()
    }
}

/// Index of the bucket holding `ns`: the bit length of the whole microseconds, capped at overflow.
fn bucket_index(ns: u64) -> usize {
    let bits = (u64::BITS - (ns / 1_000).leading_zeros()) as usize;
    bits.min(REGULAR)
}

/// Exclusive upper bound of regular bucket `i`, in nanoseconds.
fn bucket_bound(i: usize) -> u64 {
    1_000u64 << i
}

impl LatencyHistogram {
    /// An empty histogram.
    pub const fn new() -> Self {
        Self {
            buckets: [0; REGULAR + 1],
            count: 0,
            sum: 0,
            min: u64::MAX,
            max: 0,
        }
    }

    /// Records one sample in nanoseconds.
    pub fn record(&mut self, ns: u64) {
        self.buckets[bucket_index(ns)] += 1;
        self.count += 1;
        self.sum = self.sum.saturating_add(ns);
        self.min = self.min.min(ns);
        self.max = self.max.max(ns);
    }

    /// Records a [`std::time::Duration`] (saturating at `u64::MAX` ns, about 584 years).
    pub fn record_duration(&mut self, d: std::time::Duration) {
        self.record(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    }

    /// Number of samples recorded.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Smallest sample, if any.
    pub fn min(&self) -> Option<u64> {
        (self.count > 0).then_some(self.min)
    }

    /// Largest sample, if any.
    pub fn max(&self) -> Option<u64> {
        (self.count > 0).then_some(self.max)
    }

    /// Sum of all samples in nanoseconds (saturating).
    pub fn sum(&self) -> u64 {
        self.sum
    }

    /// Mean sample, if any.
    pub fn mean(&self) -> Option<u64> {
        self.sum.checked_div(self.count)
    }

    /// An upper bound for the `p`-th percentile (`p` in 0–100, clamped): the upper bound of the
    /// bucket holding that sample, tightened to the exact maximum. Returns 0 when empty.
    pub fn percentile(&self, p: f64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        let p = if p.is_nan() { 0.0 } else { p.clamp(0.0, 100.0) };
        // Rank of the sample wanted, 1-based; the float-to-int cast saturates by definition.
        let rank = ((p / 100.0 * self.count as f64).ceil() as u64).clamp(1, self.count);
        let mut seen = 0;
        for (i, n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return if i < REGULAR {
                    bucket_bound(i).min(self.max)
                } else {
                    self.max
                };
            }
        }
        self.max
    }

    /// Adds all samples of `other` to `self`.
    pub fn merge(&mut self, other: &Self) {
        for (a, b) in self.buckets.iter_mut().zip(other.buckets.iter()) {
            *a += b;
        }
        self.count += other.count;
        self.sum = self.sum.saturating_add(other.sum);
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// Forgets all samples.
    pub fn reset(&mut self) {
        *self = Self::new();
    }
}

/// Formats nanoseconds compactly: `950ns`, `3.1us`, `256us`, `2ms`, `1.5s`.
pub fn format_ns(ns: u64) -> String {
    let (value, unit) = match ns {
        0..1_000 => return format!("{ns}ns"),
        1_000..1_000_000 => (ns as f64 / 1e3, "us"),
        1_000_000..1_000_000_000 => (ns as f64 / 1e6, "ms"),
        _ => (ns as f64 / 1e9, "s"),
    };
    if value < 10.0 {
        let text = format!("{value:.1}");
        format!("{}{unit}", text.strip_suffix(".0").unwrap_or(&text))
    } else {
        format!("{value:.0}{unit}")
    }
}

impl fmt::Display for LatencyHistogram {
    /// `n=120 p50<=256us p99<=2ms max=3.1ms`, or `n=0` when empty.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "n={}", self.count)?;
        if self.count > 0 {
            write!(
                f,
                " p50<={} p99<={} max={}",
                format_ns(self.percentile(50.0)),
                format_ns(self.percentile(99.0)),
                format_ns(self.max)
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
