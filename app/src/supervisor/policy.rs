//! Restart policy: exponential backoff with jitter and a restart cap per time window.
//!
//! Pure and clock-free: every function takes `now` and a jitter sample, so the schedule is
//! table-tested with a fake clock and the supervisor feeds it the real one.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// How a crashed or hung worker is restarted.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RestartPolicy {
    /// Delay before the first restart.
    pub initial: Duration,
    /// The delay doubles per consecutive failure up to this.
    pub max: Duration,
    /// Relative jitter (0.2 = ±20 %), so several workers failing together do not restart in
    /// lockstep.
    pub jitter: f64,
    /// Restarts allowed within `window`; one more failure marks the worker failed.
    pub cap: u32,
    /// The sliding window the cap counts over.
    pub window: Duration,
    /// A worker that ran at least this long before failing starts its backoff from the
    /// beginning again.
    pub stable_after: Duration,
}

impl Default for RestartPolicy {
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(250),
            max: Duration::from_secs(30),
            jitter: 0.2,
            cap: 5,
            window: Duration::from_secs(300),
            stable_after: Duration::from_secs(60),
        }
    }
}

impl RestartPolicy {
    /// The delay before restart number `attempt` (0-based) with a jitter `sample` in `[0, 1)`.
    pub fn delay(&self, attempt: u32, sample: f64) -> Duration {
        let doubled = self.initial.saturating_mul(1u32 << attempt.min(31));
        let base = doubled.min(self.max);
        let jitter = self.jitter.clamp(0.0, 1.0);
        let factor = 1.0 + jitter * (2.0 * sample.clamp(0.0, 1.0) - 1.0);
        base.mul_f64(factor).min(self.max)
    }
}

/// What to do after a worker died.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Restart after `delay`; this is restart number `attempt` (0-based) of the current streak.
    Restart {
        /// How long to wait.
        delay: Duration,
        /// Position in the backoff streak.
        attempt: u32,
    },
    /// Too many restarts within the window: mark the worker failed.
    GiveUp {
        /// Restarts already made within the window.
        restarts_in_window: u32,
    },
}

/// The restart history of one worker.
#[derive(Clone, Debug, Default)]
pub struct RestartTracker {
    recent: VecDeque<Instant>,
    attempt: u32,
}

impl RestartTracker {
    /// Records a death at `now` of a process that ran for `ran_for`, and decides.
    pub fn on_exit(
        &mut self,
        policy: &RestartPolicy,
        now: Instant,
        ran_for: Duration,
        sample: f64,
    ) -> Decision {
        if ran_for >= policy.stable_after {
            self.attempt = 0;
        }
        while let Some(&oldest) = self.recent.front() {
            if now.saturating_duration_since(oldest) >= policy.window {
                self.recent.pop_front();
            } else {
                break;
            }
        }
        if self.recent.len() as u32 >= policy.cap {
            return Decision::GiveUp {
                restarts_in_window: self.recent.len() as u32,
            };
        }
        self.recent.push_back(now);
        let attempt = self.attempt;
        self.attempt = self.attempt.saturating_add(1);
        Decision::Restart {
            delay: policy.delay(attempt, sample),
            attempt,
        }
    }

    /// Forgets the history (the user re-enabled a failed worker).
    pub fn reset(&mut self) {
        *self = Self::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn delay_doubles_to_the_max_and_jitters_within_bounds() {
        let p = RestartPolicy::default();
        let cases = [
            (0, 0.5, MS(250)),
            (1, 0.5, MS(500)),
            (2, 0.5, MS(1000)),
            (6, 0.5, MS(16000)),
            (7, 0.5, MS(30000)),
            (40, 0.5, MS(30000)),
            (0, 0.0, MS(200)),
            (0, 1.0, MS(300)),
            (7, 0.0, MS(24000)),
            (7, 1.0, MS(30000)),
        ];
        for (attempt, sample, want) in cases {
            assert_eq!(
                p.delay(attempt, sample),
                want,
                "attempt {attempt} sample {sample}"
            );
        }
    }

    #[test]
    fn cap_counts_restarts_in_a_sliding_window() {
        let p = RestartPolicy {
            jitter: 0.0,
            ..RestartPolicy::default()
        };
        let mut t = RestartTracker::default();
        let t0 = Instant::now();
        let short = MS(100);
        let mut delays = Vec::new();
        for i in 0..5 {
            match t.on_exit(&p, t0 + Duration::from_secs(i), short, 0.5) {
                Decision::Restart { delay, attempt } => {
                    assert_eq!(attempt, i as u32);
                    delays.push(delay);
                }
                d => panic!("restart {i}: {d:?}"),
            }
        }
        assert_eq!(delays, [MS(250), MS(500), MS(1000), MS(2000), MS(4000)]);
        assert_eq!(
            t.on_exit(&p, t0 + Duration::from_secs(10), short, 0.5),
            Decision::GiveUp {
                restarts_in_window: 5
            }
        );
        // Once the oldest restarts leave the window, restarts are allowed again, and the
        // backoff streak goes on (the worker never ran stably).
        let later = t0 + Duration::from_secs(301);
        assert_eq!(
            t.on_exit(&p, later, short, 0.5),
            Decision::Restart {
                delay: MS(8000),
                attempt: 5
            }
        );
    }

    #[test]
    fn a_stable_run_resets_the_backoff() {
        let p = RestartPolicy {
            jitter: 0.0,
            cap: 100,
            ..RestartPolicy::default()
        };
        let mut t = RestartTracker::default();
        let t0 = Instant::now();
        for _ in 0..3 {
            t.on_exit(&p, t0, MS(10), 0.5);
        }
        assert_eq!(
            t.on_exit(&p, t0, Duration::from_secs(61), 0.5),
            Decision::Restart {
                delay: MS(250),
                attempt: 0
            }
        );
        t.reset();
        assert_eq!(
            t.on_exit(&p, t0, MS(1), 0.5),
            Decision::Restart {
                delay: MS(250),
                attempt: 0
            }
        );
    }
}
