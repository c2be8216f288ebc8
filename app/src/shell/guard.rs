//! The render thread's guardian: the render loop bumps a [`Heartbeat`] every iteration, and the
//! UI thread's [`Guardian`] judges it (never blocking) and decides whether to rebuild the render
//! thread or give the run up ([`crate::exit::Fatal::RenderLost`], exit status 5).
//!
//! The loop iterates at least once per frame period even when nothing moves (it waits for
//! commands with a timeout of one frame), so a heartbeat that stands still for [`HANG_AFTER`]
//! means the thread is stuck, whatever the show is doing. While the thread sets itself up or
//! recreates a lost device (pipelines compiled on a software rasteriser can take seconds) it
//! says so ([`Heartbeat::busy`]) and gets [`BUSY_HANG_AFTER`] instead.
//!
//! Also here: the test-only fault hooks ([`Fault`], `IDLEWILD_TEST_RENDER_FAULT`), read once by
//! the UI thread at start.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// No heartbeat for this long while the loop is not busy = hung.
pub const HANG_AFTER: Duration = Duration::from_secs(2);
/// No heartbeat for this long while it sets up or recovers a device = hung.
pub const BUSY_HANG_AFTER: Duration = Duration::from_secs(120);
/// How often the UI thread looks at the heartbeat.
pub const CHECK_EVERY: Duration = Duration::from_millis(250);
/// A gap this long between two looks means the UI thread itself did not run (the process was
/// stopped, the machine suspended): the render thread's silence meanwhile proves nothing.
pub const OUR_OWN_STALL: Duration = Duration::from_secs(1);
/// Render threads rebuilt per run; the next failure ends the run.
pub const MAX_REBUILDS: u32 = 3;

/// What the render loop publishes for the guardian: lock-free, written only by the loop.
#[derive(Debug)]
pub struct Heartbeat {
    beats: AtomicU64,
    busy: AtomicBool,
}

impl Default for Heartbeat {
    /// A thread that has not started its loop yet: busy setting itself up.
    fn default() -> Self {
        Self {
            beats: AtomicU64::new(0),
            busy: AtomicBool::new(true),
        }
    }
}

impl Heartbeat {
    /// One loop iteration.
    pub fn beat(&self) {
        self.beats.fetch_add(1, Ordering::Release);
    }

    /// Long work ahead (`true`: device setup or recovery) or over (`false`).
    pub fn busy(&self, busy: bool) {
        self.busy.store(busy, Ordering::Release);
        // Entering or leaving long work is progress too.
        self.beat();
    }

    /// What the guardian reads.
    pub fn pulse(&self) -> Pulse {
        Pulse {
            beats: self.beats.load(Ordering::Acquire),
            busy: self.busy.load(Ordering::Acquire),
        }
    }
}

/// One reading of a [`Heartbeat`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pulse {
    /// Loop iterations so far.
    pub beats: u64,
    /// Setting up or recovering.
    pub busy: bool,
}

/// How the render thread's `JoinHandle` looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Thread {
    /// Still running.
    Running,
    /// Ended by a panic.
    Panicked,
    /// Returned on its own: it sent a `Notice::Fatal` first, which decides.
    Returned,
}

/// What the UI thread does after a look.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Nothing wrong.
    Nothing,
    /// Abandon the thread and start a fresh one (`why` is logged).
    Rebuild {
        /// What happened, for the log.
        why: String,
    },
    /// Rebuilt too often: end the run with `Fatal::RenderLost(why)`.
    GiveUp {
        /// What happened, for the log and the error.
        why: String,
    },
}

/// The UI thread's judge of one render thread at a time (pure: the caller passes the time, the
/// pulse and the thread's state).
#[derive(Debug)]
pub struct Guardian {
    beats: u64,
    changed_at: Instant,
    last_look: Instant,
    rebuilds: u32,
}

impl Guardian {
    /// Watching a thread started at `now`.
    pub fn new(now: Instant) -> Self {
        Self {
            beats: 0,
            changed_at: now,
            last_look: now,
            rebuilds: 0,
        }
    }

    /// Rebuilds so far.
    pub fn rebuilds(&self) -> u32 {
        self.rebuilds
    }

    /// A fresh thread was started at `now` (after a [`Action::Rebuild`]).
    pub fn restarted(&mut self, now: Instant) {
        self.beats = 0;
        self.changed_at = now;
        self.last_look = now;
    }

    /// One look at `now`: the thread's heartbeat and state.
    pub fn look(&mut self, now: Instant, pulse: Pulse, thread: Thread) -> Action {
        let gap = now.saturating_duration_since(self.last_look);
        self.last_look = now;
        if pulse.beats != self.beats || gap >= OUR_OWN_STALL {
            self.beats = pulse.beats;
            self.changed_at = now;
        }
        let why = match thread {
            Thread::Returned => return Action::Nothing,
            Thread::Panicked => "the render thread panicked".to_owned(),
            Thread::Running => {
                let silent = now.saturating_duration_since(self.changed_at);
                let limit = if pulse.busy {
                    BUSY_HANG_AFTER
                } else {
                    HANG_AFTER
                };
                if silent < limit {
                    return Action::Nothing;
                }
                format!(
                    "the render thread made no progress for {:.1} s",
                    silent.as_secs_f64()
                )
            }
        };
        if self.rebuilds >= MAX_REBUILDS {
            return Action::GiveUp {
                why: format!("{why} ({} rebuilds already)", self.rebuilds),
            };
        }
        self.rebuilds += 1;
        Action::Rebuild { why }
    }
}

/// A test-only fault for the render thread: `IDLEWILD_TEST_RENDER_FAULT=panic:S`,
/// `hang:S` (S seconds into the thread's drawing, once: rebuilt threads are healthy) or
/// `…:always` (every rebuilt thread too). Read once by the UI thread at start, never per frame.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fault {
    /// What goes wrong.
    pub kind: FaultKind,
    /// How long after the loop starts.
    pub after: Duration,
    /// Every generation, not only the first.
    pub always: bool,
}

/// What a [`Fault`] does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// The thread panics.
    Panic,
    /// The thread sleeps forever, holding everything it owns.
    Hang,
}

impl Fault {
    /// The fault `IDLEWILD_TEST_RENDER_FAULT` names, if any.
    pub fn from_env() -> Option<Fault> {
        let value = std::env::var("IDLEWILD_TEST_RENDER_FAULT").ok()?;
        let fault = Fault::parse(&value);
        if fault.is_none() {
            tracing::warn!("IDLEWILD_TEST_RENDER_FAULT={value}: not understood; ignored");
        }
        fault
    }

    /// `panic:S`, `hang:S`, optionally `:always`.
    pub fn parse(value: &str) -> Option<Fault> {
        let mut parts = value.split(':');
        let kind = match parts.next()? {
            "panic" => FaultKind::Panic,
            "hang" => FaultKind::Hang,
            _ => return None,
        };
        let seconds = parts.next()?.parse::<f64>().ok()?;
        let after = Duration::try_from_secs_f64(seconds).ok()?;
        let always = match parts.next() {
            None => false,
            Some("always") => true,
            Some(_) => return None,
        };
        parts.next().is_none().then_some(Fault {
            kind,
            after,
            always,
        })
    }

    /// The fault for render thread number `generation` (0 = the first).
    pub fn for_generation(this: Option<Fault>, generation: u32) -> Option<Fault> {
        this.filter(|f| generation == 0 || f.always)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(t0: Instant, ms: u64) -> Instant {
        t0 + Duration::from_millis(ms)
    }

    fn pulse(beats: u64, busy: bool) -> Pulse {
        Pulse { beats, busy }
    }

    /// Looks every 250 ms (fake clock): (time ms, beats, busy, thread, rebuild expected?).
    #[test]
    fn silence_past_the_limit_is_a_hang() {
        let t0 = Instant::now();
        let table: &[(u64, u64, bool, Thread, bool)] = &[
            // Setting up (busy) for 10 s without a beat: fine.
            (250, 0, true, Thread::Running, false),
            (500, 0, true, Thread::Running, false),
            (750, 0, true, Thread::Running, false),
            (1_000, 0, true, Thread::Running, false),
            (1_250, 0, true, Thread::Running, false),
            (1_500, 0, true, Thread::Running, false),
            (1_750, 0, true, Thread::Running, false),
            (2_000, 0, true, Thread::Running, false),
            (2_250, 0, true, Thread::Running, false),
            // The loop runs and beats.
            (2_500, 1, false, Thread::Running, false),
            (2_750, 20, false, Thread::Running, false),
            (3_000, 40, false, Thread::Running, false),
            // Silent from 3.0 s: 1.75 s is not yet a hang, 2.0 s is.
            (3_250, 40, false, Thread::Running, false),
            (3_500, 40, false, Thread::Running, false),
            (3_750, 40, false, Thread::Running, false),
            (4_000, 40, false, Thread::Running, false),
            (4_250, 40, false, Thread::Running, false),
            (4_500, 40, false, Thread::Running, false),
            (4_750, 40, false, Thread::Running, false),
            (5_000, 40, false, Thread::Running, true),
        ];
        let mut g = Guardian::new(t0);
        for &(at, beats, busy, thread, rebuild) in table {
            let action = g.look(ms(t0, at), pulse(beats, busy), thread);
            assert_eq!(
                matches!(action, Action::Rebuild { .. }),
                rebuild,
                "at {at} ms: {action:?}"
            );
        }
    }

    #[test]
    fn a_busy_thread_gets_the_long_limit() {
        let t0 = Instant::now();
        let mut g = Guardian::new(t0);
        // The first look sees the beats move: silence counts from here.
        assert_eq!(g.look(t0, pulse(5, true), Thread::Running), Action::Nothing);
        let mut at = 0;
        while at < BUSY_HANG_AFTER.as_millis() as u64 - 250 {
            at += 250;
            assert_eq!(
                g.look(ms(t0, at), pulse(5, true), Thread::Running),
                Action::Nothing
            );
        }
        at += 250;
        assert!(matches!(
            g.look(ms(t0, at), pulse(5, true), Thread::Running),
            Action::Rebuild { .. }
        ));
    }

    #[test]
    fn our_own_stall_is_not_the_render_threads() {
        // The whole process was stopped for 10 s: the first look after it restarts the clock.
        let t0 = Instant::now();
        let mut g = Guardian::new(t0);
        assert_eq!(
            g.look(ms(t0, 250), pulse(3, false), Thread::Running),
            Action::Nothing
        );
        assert_eq!(
            g.look(ms(t0, 10_250), pulse(3, false), Thread::Running),
            Action::Nothing
        );
        // ... and a real silence after it still counts.
        let mut at = 10_250;
        let mut action = Action::Nothing;
        while action == Action::Nothing && at < 20_000 {
            at += 250;
            action = g.look(ms(t0, at), pulse(3, false), Thread::Running);
        }
        assert_eq!(at, 12_250, "{action:?}");
    }

    #[test]
    fn panics_rebuild_until_the_cap_then_give_up_and_returns_wait_for_their_notice() {
        let t0 = Instant::now();
        let mut g = Guardian::new(t0);
        assert_eq!(
            g.look(ms(t0, 250), pulse(9, false), Thread::Returned),
            Action::Nothing
        );
        for n in 1..=MAX_REBUILDS {
            let at = 250 + u64::from(n) * 250;
            assert!(matches!(
                g.look(ms(t0, at), pulse(0, false), Thread::Panicked),
                Action::Rebuild { .. }
            ));
            g.restarted(ms(t0, at));
            assert_eq!(g.rebuilds(), n);
        }
        assert!(matches!(
            g.look(ms(t0, 5_000), pulse(0, false), Thread::Panicked),
            Action::GiveUp { .. }
        ));
    }

    #[test]
    fn fault_hooks_parse() {
        let s = Duration::from_secs;
        type Parsed = Option<(FaultKind, Duration, bool)>;
        let table: &[(&str, Parsed)] = &[
            ("panic:2", Some((FaultKind::Panic, s(2), false))),
            ("hang:2", Some((FaultKind::Hang, s(2), false))),
            ("hang:1:always", Some((FaultKind::Hang, s(1), true))),
            (
                "hang:0.5",
                Some((FaultKind::Hang, Duration::from_millis(500), false)),
            ),
            ("hang", None),
            ("hang:x", None),
            ("hang:-1", None),
            ("hang:1:sometimes", None),
            ("hang:1:always:more", None),
            ("crash:1", None),
            ("", None),
        ];
        for &(text, want) in table {
            let got = Fault::parse(text).map(|f| (f.kind, f.after, f.always));
            assert_eq!(got, want, "{text:?}");
        }
        let once = Fault::parse("panic:1");
        assert!(Fault::for_generation(once, 0).is_some());
        assert!(Fault::for_generation(once, 1).is_none());
        let always = Fault::parse("panic:1:always");
        assert!(Fault::for_generation(always, 3).is_some());
    }
}
