//! Restart policy: exponential backoff with jitter, a restart cap per time window, and a
//! circuit breaker that gives a failed worker a fresh try after a long cool-down.
//!
//! A worker past its cap is *open* (failed): nothing restarts it for `retry_after`. Then it is
//! *half-open*: one trial process starts. A trial that runs `stable_after` closes the circuit
//! (history forgotten); a trial that dies sooner opens it again with the cool-down doubled, up
//! to `retry_max`. A screensaver runs unattended for hours, so a worker that failed during a
//! bad minute (a full disk, an audio daemon restarting) must not stay gone for the whole run.
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
    /// Cool-down of a failed worker before its first half-open trial.
    pub retry_after: Duration,
    /// The cool-down doubles per failed trial up to this.
    pub retry_max: Duration,
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
            retry_after: Duration::from_secs(600),
            retry_max: Duration::from_secs(4 * 3600),
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

    /// The cool-down before half-open trial number `opened` (0-based: how many times the
    /// circuit opened before, without a stable run since). No jitter: the cool-down is minutes
    /// long, and workers failing together were never restarting in lockstep by then.
    pub fn cool_down(&self, opened: u32) -> Duration {
        let max = self.retry_max.max(self.retry_after);
        self.retry_after
            .saturating_mul(1u32 << opened.min(31))
            .min(max)
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
    /// Too many restarts within the window, or a half-open trial died before it ran stably:
    /// mark the worker failed and try again after `retry_in`.
    GiveUp {
        /// Restarts already made within the window (0 when a half-open trial died).
        restarts_in_window: u32,
        /// The cool-down before the next half-open trial.
        retry_in: Duration,
        /// How many times the circuit has opened in a row (1 the first time).
        opened: u32,
    },
}

/// The restart history of one worker.
#[derive(Clone, Debug, Default)]
pub struct RestartTracker {
    recent: VecDeque<Instant>,
    attempt: u32,
    /// Times the circuit opened since the last stable run.
    opened: u32,
    /// The running process is a half-open trial.
    trial: bool,
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
            // A stable run closes the circuit: backoff and cool-down start from the beginning.
            self.attempt = 0;
            self.opened = 0;
            self.trial = false;
        }
        if std::mem::take(&mut self.trial) {
            // The trial died before it ran stably: open again, for longer.
            return self.open_for(policy);
        }
        while let Some(&oldest) = self.recent.front() {
            if now.saturating_duration_since(oldest) >= policy.window {
                self.recent.pop_front();
            } else {
                break;
            }
        }
        if self.recent.len() as u32 >= policy.cap {
            return self.open_for(policy);
        }
        self.recent.push_back(now);
        let attempt = self.attempt;
        self.attempt = self.attempt.saturating_add(1);
        Decision::Restart {
            delay: policy.delay(attempt, sample),
            attempt,
        }
    }

    /// The engine starts a half-open trial after the cool-down: the trial gets a fresh
    /// restart window and backoff, and its death before `stable_after` opens the circuit again.
    pub fn on_retry(&mut self) {
        self.recent.clear();
        self.attempt = 0;
        self.trial = true;
    }

    /// Forgets the history (the user re-enabled a failed worker).
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    fn open_for(&mut self, policy: &RestartPolicy) -> Decision {
        let opened = self.opened;
        self.opened = self.opened.saturating_add(1);
        Decision::GiveUp {
            restarts_in_window: self.recent.len() as u32,
            retry_in: policy.cool_down(opened),
            opened: self.opened,
        }
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
                restarts_in_window: 5,
                retry_in: Duration::from_secs(600),
                opened: 1,
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

    #[test]
    fn cool_down_doubles_to_its_max() {
        let p = RestartPolicy::default();
        let s = Duration::from_secs;
        let cases = [
            (0, s(600)),
            (1, s(1200)),
            (4, s(9600)),
            (5, s(14400)),
            (40, s(14400)),
        ];
        for (opened, want) in cases {
            assert_eq!(p.cool_down(opened), want, "opened {opened}");
        }
        // A max below the first cool-down is raised to it.
        let short = RestartPolicy {
            retry_after: s(60),
            retry_max: s(1),
            ..p
        };
        assert_eq!(short.cool_down(3), s(60));
    }

    /// What happens to the tracker, at seconds since the start of the run.
    enum Step {
        /// A process that ran for `.1` seconds died at `.0`: the decision expected.
        Exit(f64, f64, Decision),
        /// The engine starts a half-open trial (the cool-down elapsed).
        Retry,
    }

    #[test]
    fn circuit_breaker_opens_retries_half_open_doubles_and_closes_after_a_stable_run() {
        use Step::*;
        let p = RestartPolicy {
            jitter: 0.0,
            cap: 2,
            window: Duration::from_secs(300),
            stable_after: Duration::from_secs(60),
            retry_after: Duration::from_secs(600),
            retry_max: Duration::from_secs(2400),
            ..RestartPolicy::default()
        };
        let restart = |ms, attempt| Decision::Restart {
            delay: MS(ms),
            attempt,
        };
        let give_up = |restarts_in_window, secs, opened| Decision::GiveUp {
            restarts_in_window,
            retry_in: Duration::from_secs(secs),
            opened,
        };
        let steps = [
            Exit(0.0, 0.1, restart(250, 0)),
            Exit(1.0, 0.1, restart(500, 1)),
            // Past the cap: open for the first cool-down.
            Exit(2.0, 0.1, give_up(2, 600, 1)),
            // A trial that dies early opens the circuit again, for twice as long, and so on
            // up to the max.
            Retry,
            Exit(603.0, 1.0, give_up(0, 1200, 2)),
            Retry,
            Exit(1804.0, 1.0, give_up(0, 2400, 3)),
            Retry,
            Exit(4205.0, 1.0, give_up(0, 2400, 4)),
            // A trial that runs stably closes the circuit: an ordinary restart, from the first
            // backoff step, and the next opening uses the first cool-down again.
            Retry,
            Exit(6700.0, 90.0, restart(250, 0)),
            Exit(6701.0, 0.1, restart(500, 1)),
            Exit(6702.0, 0.1, give_up(2, 600, 1)),
        ];
        let t0 = Instant::now();
        let mut t = RestartTracker::default();
        for (i, step) in steps.into_iter().enumerate() {
            match step {
                Retry => t.on_retry(),
                Exit(at, ran, want) => {
                    let now = t0 + Duration::from_secs_f64(at);
                    let got = t.on_exit(&p, now, Duration::from_secs_f64(ran), 0.5);
                    assert_eq!(got, want, "step {i} (exit at {at} s after {ran} s)");
                }
            }
        }
    }
}
