//! The analysis cadence: fixed deadlines on a grid, missed ones skipped, never replayed.
//!
//! A worker that was descheduled for 100 ms at 60 Hz does not run six ticks back to back to
//! "catch up" (that would show six stale spectra in a burst); it runs one tick with the real
//! elapsed time as `dt`, counts five missed deadlines, and goes on from the next grid point.
//! Pure arithmetic over nanosecond timestamps, so it is tested with a fake clock.

/// One tick that is due.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fired {
    /// Nanoseconds since the previous tick (the period for the first one).
    pub dt_ns: u64,
    /// Deadlines passed over since the previous tick.
    pub skipped: u64,
}

/// Fixed-period deadlines.
#[derive(Clone, Debug)]
pub struct Ticker {
    period_ns: u64,
    next_ns: u64,
    last_ns: u64,
}

impl Ticker {
    /// Ticks every `period_ns` (at least 1 ms), the first one a period after `now_ns`.
    pub fn new(period_ns: u64, now_ns: u64) -> Ticker {
        let period_ns = period_ns.max(1_000_000);
        Ticker {
            period_ns,
            next_ns: now_ns + period_ns,
            last_ns: now_ns,
        }
    }

    /// Starts over from `now_ns` (after a pause with nothing to analyse, whose deadlines were
    /// never due and so are not counted as missed).
    pub fn restart(&mut self, now_ns: u64) {
        *self = Ticker::new(self.period_ns, now_ns);
    }

    /// The period.
    pub fn period_ns(&self) -> u64 {
        self.period_ns
    }

    /// Nanoseconds until the next deadline (0 when one is due).
    pub fn wait_ns(&self, now_ns: u64) -> u64 {
        self.next_ns.saturating_sub(now_ns)
    }

    /// The tick due at `now_ns`, if any; the next deadline becomes the first grid point after
    /// `now_ns`, and the deadlines in between count as skipped.
    pub fn fire(&mut self, now_ns: u64) -> Option<Fired> {
        if now_ns < self.next_ns {
            return None;
        }
        let late = (now_ns - self.next_ns) / self.period_ns;
        self.next_ns += (late + 1) * self.period_ns;
        let dt_ns = now_ns.saturating_sub(self.last_ns);
        self.last_ns = now_ns;
        Some(Fired {
            dt_ns,
            skipped: late,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    #[test]
    fn on_time_ticks_skip_nothing_and_late_ones_skip_the_missed_deadlines() {
        let mut t = Ticker::new(16 * MS, 1000 * MS);
        assert_eq!(t.wait_ns(1000 * MS), 16 * MS);
        assert_eq!(t.fire(1015 * MS), None, "not due yet");
        // (now, dt, skipped, wait afterwards)
        let cases = [
            (1016, 16, 0, 16),
            (1033, 17, 0, 15),
            (1048, 15, 0, 16),
            // Descheduled for ~100 ms: one tick, five deadlines skipped, back on the grid.
            (1150, 102, 5, 10),
            (1160, 10, 0, 16),
            // Exactly on a deadline after a long stall.
            (1336, 176, 10, 16),
        ];
        for (now, dt, skipped, wait) in cases {
            let fired = t.fire(now * MS).expect("due");
            assert_eq!(
                fired,
                Fired {
                    dt_ns: dt * MS,
                    skipped
                },
                "at {now}"
            );
            assert_eq!(t.wait_ns(now * MS), wait * MS, "after {now}");
            assert_eq!(t.fire(now * MS), None, "one tick per deadline");
        }
    }

    #[test]
    fn the_period_has_a_floor_and_a_restart_forgets_the_pause() {
        let t = Ticker::new(0, 0);
        assert_eq!(t.period_ns(), MS);
        let mut t = Ticker::new(16 * MS, 0);
        t.restart(5000 * MS);
        assert_eq!(t.fire(5015 * MS), None);
        assert_eq!(
            t.fire(5016 * MS),
            Some(Fired {
                dt_ns: 16 * MS,
                skipped: 0
            })
        );
    }
}
