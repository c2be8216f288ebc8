//! `idlewild bench chaos`: the render loop's frame intervals while a seeded schedule SIGKILLs
//! and SIGSTOPs its workers, side by side with a calm run of the same length.
//!
//! Each run is the real render thread drawing offscreen (as `bench frames` (a)), so no display
//! is needed, over the real supervisor with every worker kind this build has (image, fft), Ken
//! Burns on and the fft worker playing a generated WAV, so every frame moves and every frame
//! reads the spectrum ring. The metrics period is shorter than a frame: one record per
//! presented frame, holding its interval. The chaos run applies [`Chaos`] every [`STEP`] to the
//! live workers (children of this process); the calm run only waits. The restart cap is raised
//! and the backoff shortened as in `tests/chaos.rs`, so workers keep coming back all along.
//!
//! [`Schedule`] (pure, seeded) and `Chaos` (the signals) are the same code `tests/chaos.rs`
//! runs against the binary; `runs` (beside this file) holds the two runs and the report.

use std::time::Duration;

/// What `bench chaos` measures.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// Seconds of each run (calm and chaos).
    pub seconds: f64,
    /// Seed of the kill schedule.
    pub seed: u64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            seconds: 30.0,
            seed: 1,
        }
    }
}

/// Time between two chaos actions.
pub const STEP: Duration = Duration::from_millis(200);
/// Shortest and longest SIGSTOP, in milliseconds: short ones are resumed before the heartbeat
/// check notices, long ones are killed as hung by the supervisor (3 heartbeats).
pub const STOP_MS: (u64, u64) = (100, 4000);
/// The settings that keep workers coming back under chaos: (key, value) pairs, shared with
/// `tests/chaos.rs`.
pub const SETTINGS: [(&str, &str); 4] = [
    ("workers.restart_cap", "1000"),
    ("workers.restart_window_s", "300"),
    ("workers.backoff_initial_ms", "10"),
    ("workers.backoff_max_ms", "100"),
];

/// One chaos action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// SIGKILL this worker.
    Kill(u32),
    /// SIGSTOP this worker, SIGCONT it after `resume_after` (if it still exists then).
    Stop {
        /// The worker.
        pid: u32,
        /// How long it stays stopped.
        resume_after: Duration,
    },
}

/// The seeded choice of each step: which live worker, kill or stop, and for how long.
pub struct Schedule {
    rng: fastrand::Rng,
}

impl Schedule {
    /// The schedule of `seed`.
    pub fn new(seed: u64) -> Schedule {
        Schedule {
            rng: fastrand::Rng::with_seed(seed),
        }
    }

    /// This step's action on one of `live` (sorted by the caller), half kills, half stops;
    /// `None` when no worker is live.
    pub fn pick(&mut self, live: &[u32]) -> Option<Action> {
        if live.is_empty() {
            return None;
        }
        let pid = live[self.rng.usize(..live.len())];
        Some(if self.rng.bool() {
            Action::Kill(pid)
        } else {
            Action::Stop {
                pid,
                resume_after: Duration::from_millis(self.rng.u64(STOP_MS.0..=STOP_MS.1)),
            }
        })
    }
}

#[cfg(target_os = "linux")]
pub use linux::{Chaos, workers_of};

#[cfg(target_os = "linux")]
mod linux {
    use super::{Action, Schedule};
    use std::time::Instant;

    /// Applies a [`Schedule`] with real signals and resumes stopped workers when due.
    pub struct Chaos {
        schedule: Schedule,
        stopped: Vec<(u32, Instant)>,
        /// SIGKILLs sent.
        pub kills: u64,
        /// SIGSTOPs sent.
        pub stops: u64,
    }

    impl Chaos {
        /// A schedule of `seed`.
        pub fn new(seed: u64) -> Chaos {
            Chaos {
                schedule: Schedule::new(seed),
                stopped: Vec::new(),
                kills: 0,
                stops: 0,
            }
        }

        /// One step at `now`: resumes the stops that are due, then acts on one of `live` (the
        /// live workers' pids; those stopped now are left alone). The action taken, if any.
        pub fn step(&mut self, now: Instant, live: &[u32]) -> Option<Action> {
            self.stopped.retain(|&(pid, until)| {
                if now >= until {
                    signal(pid, libc::SIGCONT);
                }
                now < until
            });
            let mut candidates: Vec<u32> = live
                .iter()
                .copied()
                .filter(|pid| !self.stopped.iter().any(|(s, _)| s == pid))
                .collect();
            candidates.sort_unstable();
            let action = self.schedule.pick(&candidates)?;
            match action {
                Action::Kill(pid) => {
                    signal(pid, libc::SIGKILL);
                    self.kills += 1;
                }
                Action::Stop { pid, resume_after } => {
                    signal(pid, libc::SIGSTOP);
                    self.stopped.push((pid, now + resume_after));
                    self.stops += 1;
                }
            }
            Some(action)
        }

        /// Resumes every worker still stopped.
        pub fn resume_all(&mut self) {
            for (pid, _) in self.stopped.drain(..) {
                signal(pid, libc::SIGCONT);
            }
        }
    }

    impl Drop for Chaos {
        fn drop(&mut self) {
            self.resume_all();
        }
    }

    /// Sends `sig`; a worker that is already gone (ESRCH) is not an error here.
    fn signal(pid: u32, sig: i32) {
        // SAFETY: kill(2) on a worker pid read from /proc as a child of the process under test
        // moments ago; at worst it has exited since and the call fails with ESRCH.
        unsafe {
            libc::kill(pid as libc::pid_t, sig);
        }
    }

    /// Live (not zombie) `worker KIND` children of `parent`, for `KIND` in `kinds`, sorted.
    pub fn workers_of(parent: u32, kinds: &[&str]) -> Vec<u32> {
        let mut pids: Vec<u32> = std::fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
            .filter(|&pid| {
                let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                    return false;
                };
                // The command name may hold spaces and parentheses: fields follow the last ')'.
                let mut fields = stat
                    .rsplit_once(')')
                    .map_or("", |(_, rest)| rest)
                    .split_whitespace();
                let state = fields.next().unwrap_or("Z");
                let ppid = fields.next().and_then(|p| p.parse::<u32>().ok());
                if state == "Z" || state == "X" || ppid != Some(parent) {
                    return false;
                }
                let args = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
                let args: Vec<&[u8]> = args.split(|&b| b == 0).collect();
                args.windows(2)
                    .any(|w| w[0] == b"worker" && kinds.iter().any(|k| w[1] == k.as_bytes()))
            })
            .collect();
        pids.sort_unstable();
        pids
    }
}

/// Runs the benchmark and prints its report.
pub fn run(options: &Options) -> anyhow::Result<()> {
    #[cfg(target_os = "linux")]
    return runs::run(options);
    #[cfg(not(target_os = "linux"))]
    {
        let _ = options;
        anyhow::bail!("bench chaos finds and signals worker processes through /proc: Linux only")
    }
}

#[cfg(target_os = "linux")]
mod runs;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_gives_one_schedule_and_every_pick_names_a_live_worker() {
        let live = [11, 22];
        let picks = |seed| {
            let mut s = Schedule::new(seed);
            (0..200).map(|_| s.pick(&live)).collect::<Vec<_>>()
        };
        let a = picks(7);
        assert_eq!(a, picks(7), "the same seed, the same schedule");
        assert_ne!(a, picks(8));
        let mut kills = 0;
        for action in a.into_iter().map(Option::unwrap) {
            match action {
                Action::Kill(pid) => {
                    assert!(live.contains(&pid));
                    kills += 1;
                }
                Action::Stop { pid, resume_after } => {
                    assert!(live.contains(&pid));
                    let ms = resume_after.as_millis() as u64;
                    assert!((STOP_MS.0..=STOP_MS.1).contains(&ms), "{ms} ms");
                }
            }
        }
        assert!(
            (50..150).contains(&kills),
            "{kills} kills of 200: both actions occur"
        );
        assert_eq!(Schedule::new(1).pick(&[]), None);
    }
}
