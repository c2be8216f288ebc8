//! The retry schedule while no loopback source can be opened: exponential, capped, with a little
//! jitter so that many screensavers on one server do not retry in lockstep.

use std::time::Duration;

/// Doubling delays from `initial` up to `max`.
#[derive(Clone, Debug)]
pub(crate) struct Backoff {
    initial: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    /// A schedule whose first delay is `initial` (at least 1 ms) and never exceeds `max`.
    pub(crate) fn new(initial: Duration, max: Duration) -> Backoff {
        let initial = initial.max(Duration::from_millis(1));
        let max = max.max(initial);
        Backoff {
            initial,
            max,
            next: initial,
        }
    }

    /// The next delay before jitter: `initial`, `2 × initial`, … then `max` forever.
    pub(crate) fn next_delay(&mut self) -> Duration {
        let delay = self.next;
        self.next = self.next.saturating_mul(2).min(self.max);
        delay
    }

    /// The next delay with ±10 % jitter, still within `max`.
    pub(crate) fn next_jittered(&mut self) -> Duration {
        let base = self.next_delay();
        base.mul_f64(0.9 + 0.2 * fastrand::f64()).min(self.max)
    }

    /// Starts over from `initial` (after a capture that worked for a while).
    pub(crate) fn reset(&mut self) {
        self.next = self.initial;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_then_holds_at_the_cap_and_resets() {
        let mut b = Backoff::new(Duration::from_millis(500), Duration::from_secs(3));
        let got: Vec<u128> = (0..6).map(|_| b.next_delay().as_millis()).collect();
        assert_eq!(got, vec![500, 1000, 2000, 3000, 3000, 3000]);
        b.reset();
        assert_eq!(b.next_delay(), Duration::from_millis(500));
    }

    #[test]
    fn jitter_stays_near_the_schedule_and_under_the_cap() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_millis(150));
        let first = b.next_jittered();
        assert!((90..=110).contains(&first.as_millis()), "{first:?}");
        for _ in 0..20 {
            assert!(b.next_jittered() <= Duration::from_millis(150));
        }
    }

    #[test]
    fn degenerate_settings_are_tamed() {
        let mut b = Backoff::new(Duration::ZERO, Duration::ZERO);
        assert_eq!(b.next_delay(), Duration::from_millis(1));
        assert_eq!(b.next_delay(), Duration::from_millis(1));
    }
}
