//! One display's slideshow as a state machine over an injected clock: when to ask the image
//! worker for a photo, when a transition starts, how far it has run, when it is done. Pure;
//! table-tested below with a fake clock.
//!
//! **Invariant:** the renderer's `Next` texture is only written while no transition runs (the
//! show is `Blank` or `Still`), so a transition never sees its target change under it. A hotkey
//! pressed during a transition completes it at once.
//!
//! Requests and the worker's cursor: every request moves the worker's cursor for this display
//! (Next +1, Previous −1). The show remembers the cursor's offset from the photo on screen
//! (`ahead`) and, per request in flight, the offset its answer will have. Only the answer to the
//! newest request is used; older answers are dropped unread, so Z after a prefetched Next sends
//! two Previous requests and shows the second answer: the photo before the one on screen.
//!
//! Progress advances by the time between frames, at most `max_step` per frame, so a stalled
//! frame slows a transition down instead of skipping most of it; the watchdog completes a
//! transition still running after twice its duration.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::images::Direction;
use idlewild_renderer::TransitionId;

/// Timing of a show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    /// From the start of one photo's transition (or its first appearance) to the next one's.
    pub interval: Duration,
    /// How long before that the next photo is asked for, so it is uploaded in time.
    pub lead: Duration,
    /// Largest progress step per frame.
    pub max_step: Duration,
}

impl Timing {
    /// `interval` with the default lead (2 s, at most half the interval) and step (50 ms).
    pub fn new(interval: Duration) -> Self {
        Self {
            interval,
            lead: Duration::from_secs(2).min(interval / 2),
            max_step: Duration::from_millis(50),
        }
    }
}

/// A transition in progress.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Running {
    /// The effect.
    pub id: TransitionId,
    /// Its randomness.
    pub seed: u32,
    /// Its nominal length.
    pub duration: Duration,
    /// Linear progress 0..=1 (the caller applies the easing).
    pub progress: f32,
    started: Instant,
    last: Instant,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Phase {
    /// Nothing on screen yet.
    Blank,
    /// A photo on screen, shown since `since`.
    Still { since: Instant },
    /// A transition to the photo in the `Next` texture.
    Transition(Running),
}

/// The photo for the `Next` texture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Next {
    /// None (requests may be in flight).
    Empty,
    /// Being uploaded; its cursor offset.
    Uploading(i32),
    /// Uploaded; its cursor offset.
    Ready(i32),
}

/// What the caller does with an answered frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arrival {
    /// Upload it into the `Next` texture, then call [`Show::uploaded`].
    Upload,
    /// A newer request is in flight: drop it unread.
    Drop,
}

/// What to draw this frame.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tick {
    /// The `Next` texture became the current one this tick: call `promote_next` before drawing.
    pub promote: bool,
    /// The transition to draw, if one runs.
    pub running: Option<Running>,
    /// The first photo went on screen this tick.
    pub first: bool,
    /// The watchdog completed an overrunning transition this tick.
    pub watchdog: bool,
    /// A transition finished this tick (normally or by the watchdog).
    pub finished: Option<Running>,
}

/// One display's show.
#[derive(Debug, Clone)]
pub struct Show {
    timing: Timing,
    phase: Phase,
    next: Next,
    /// The worker's cursor relative to the photo on screen.
    ahead: i32,
    /// Offsets the in-flight requests' answers will have, oldest first.
    in_flight: VecDeque<i32>,
    /// The user asked to move: start as soon as the photo is ready.
    urgent: bool,
    /// Requests the caller still has to send.
    outbox: Vec<Direction>,
    /// A hotkey asked to complete the running transition.
    finish_now: bool,
}

impl Show {
    /// A blank show.
    pub fn new(timing: Timing) -> Self {
        Self {
            timing,
            phase: Phase::Blank,
            next: Next::Empty,
            ahead: 0,
            in_flight: VecDeque::new(),
            urgent: false,
            outbox: Vec::new(),
            finish_now: false,
        }
    }

    /// True once a photo is on screen.
    pub fn has_photo(&self) -> bool {
        !matches!(self.phase, Phase::Blank)
    }

    /// True while a transition runs (the caller draws every frame then).
    pub fn in_transition(&self) -> bool {
        matches!(self.phase, Phase::Transition(_))
    }

    /// True when nothing is being asked for or uploaded (a retry after "no photos" may start).
    pub fn idle(&self) -> bool {
        self.in_flight.is_empty() && self.next == Next::Empty
    }

    /// Requests to send now (the worker's cursor moves with each one).
    pub fn requests(&mut self, now: Instant) -> Vec<Direction> {
        if self.in_flight.is_empty() && self.next == Next::Empty {
            let due = match self.phase {
                Phase::Blank => true,
                Phase::Still { since } => now + self.timing.lead >= since + self.timing.interval,
                Phase::Transition(_) => false,
            };
            if due {
                self.send(Direction::Next);
            }
        }
        std::mem::take(&mut self.outbox)
    }

    fn send(&mut self, dir: Direction) {
        self.ahead += match dir {
            Direction::Next => 1,
            Direction::Previous => -1,
        };
        self.in_flight.push_back(self.ahead);
        self.outbox.push(dir);
    }

    /// The worker answered this display's oldest request with a frame.
    pub fn frame_arrived(&mut self) -> Arrival {
        let Some(offset) = self.in_flight.pop_front() else {
            // An answer nobody asked for (a request re-sent after a worker restart that the
            // old process had answered too): drop it.
            return Arrival::Drop;
        };
        if !self.in_flight.is_empty() {
            return Arrival::Drop;
        }
        self.next = Next::Uploading(offset);
        Arrival::Upload
    }

    /// The worker answered this display's oldest request without a frame (no photos, or it
    /// refused). The show stays as it is; [`Show::requests`] asks again when due.
    pub fn answered_empty(&mut self) {
        if self.in_flight.pop_front().is_some() && self.in_flight.is_empty() {
            // The cursor did not move for a request that failed; with nothing else in flight
            // it is where the photo on screen is.
            self.ahead = match self.next {
                Next::Empty => 0,
                Next::Uploading(o) | Next::Ready(o) => o,
            };
        }
    }

    /// The upload of the arrived frame finished.
    pub fn uploaded(&mut self) {
        if let Next::Uploading(offset) = self.next {
            self.next = Next::Ready(offset);
        }
    }

    /// The upload failed (torn read, bad size): ask again.
    pub fn upload_failed(&mut self) {
        if let Next::Uploading(_) = self.next {
            // The worker's cursor did move (`ahead` stays): the photo is skipped, and the next
            // request's answer carries the right offset.
            self.next = Next::Empty;
        }
    }

    /// X or Z. Returns true when an upload in progress must be abandoned. A running transition
    /// is completed by the next [`Show::tick`].
    pub fn user(&mut self, dir: Direction) -> bool {
        if let Phase::Transition(_) = self.phase {
            self.finish_now = true;
        }
        let target = match dir {
            Direction::Next => 1,
            Direction::Previous => -1,
        };
        let pending = match self.next {
            Next::Empty => self.in_flight.back().copied(),
            Next::Uploading(o) | Next::Ready(o) => Some(o),
        };
        let mut abandon = false;
        if pending != Some(target) {
            if matches!(self.next, Next::Uploading(_)) {
                abandon = true;
            }
            self.next = Next::Empty;
            while self.ahead != target {
                self.send(if self.ahead < target {
                    Direction::Next
                } else {
                    Direction::Previous
                });
            }
        }
        self.urgent = true;
        abandon
    }

    /// Advances the show to `now`. `pick` chooses the effect, seed and duration of a transition
    /// that starts.
    pub fn tick(
        &mut self,
        now: Instant,
        pick: &mut dyn FnMut() -> (TransitionId, u32, Duration),
    ) -> Tick {
        let mut tick = Tick {
            promote: false,
            running: None,
            first: false,
            watchdog: false,
            finished: None,
        };
        if let Phase::Transition(mut run) = self.phase {
            let step = now
                .saturating_duration_since(run.last)
                .min(self.timing.max_step);
            run.last = now;
            if !run.duration.is_zero() {
                run.progress =
                    (run.progress + step.as_secs_f32() / run.duration.as_secs_f32()).min(1.0);
            } else {
                run.progress = 1.0;
            }
            let overrun = now.saturating_duration_since(run.started) >= run.duration * 2;
            if run.progress >= 1.0 || overrun || self.finish_now {
                tick.watchdog = overrun && run.progress < 1.0 && !self.finish_now;
                tick.promote = true;
                run.progress = 1.0;
                tick.finished = Some(run);
                self.phase = Phase::Still { since: run.started };
            } else {
                self.phase = Phase::Transition(run);
                tick.running = Some(run);
            }
        }
        self.finish_now = false;
        if let Next::Ready(offset) = self.next {
            match self.phase {
                Phase::Blank => {
                    // The first photo appears at once, without a transition.
                    tick.promote = true;
                    tick.first = true;
                    self.consume(offset);
                    self.phase = Phase::Still { since: now };
                }
                Phase::Still { since } if self.urgent || now >= since + self.timing.interval => {
                    let (id, seed, duration) = pick();
                    self.consume(offset);
                    let run = Running {
                        id,
                        seed,
                        duration,
                        progress: 0.0,
                        started: now,
                        last: now,
                    };
                    self.phase = Phase::Transition(run);
                    tick.running = Some(run);
                }
                _ => {}
            }
        }
        tick
    }

    fn consume(&mut self, offset: i32) {
        self.next = Next::Empty;
        self.ahead -= offset;
        self.urgent = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Rig {
        show: Show,
        t0: Instant,
        now: Instant,
        picks: u32,
    }

    impl Rig {
        fn new(interval_s: u64) -> Self {
            let now = Instant::now();
            Self {
                show: Show::new(Timing::new(Duration::from_secs(interval_s))),
                t0: now,
                now,
                picks: 0,
            }
        }
        /// A 10 s show with photo A on screen since 0 and B asked for at 8 s and uploaded.
        fn prefetched() -> Self {
            let mut r = Rig::new(10);
            r.requests();
            r.deliver();
            r.tick();
            r.at(8_000).requests();
            r.deliver();
            r
        }
        fn at(&mut self, ms: u64) -> &mut Self {
            self.now = self.t0 + Duration::from_millis(ms);
            self
        }
        fn tick(&mut self) -> Tick {
            let picks = &mut self.picks;
            self.show.tick(self.now, &mut || {
                *picks += 1;
                (TransitionId::CROSSFADE, 7, Duration::from_secs(1))
            })
        }
        fn requests(&mut self) -> Vec<Direction> {
            self.show.requests(self.now)
        }
        /// A frame arrives and uploads at once.
        fn deliver(&mut self) {
            assert_eq!(self.show.frame_arrived(), Arrival::Upload);
            self.show.uploaded();
        }
    }

    #[test]
    fn first_photo_appears_without_a_transition() {
        let mut r = Rig::new(10);
        assert_eq!(r.requests(), [Direction::Next]);
        assert!(r.requests().is_empty(), "one request at a time");
        let t = r.tick();
        assert!(!t.promote && !r.show.has_photo());
        r.at(300).deliver();
        let t = r.tick();
        assert!(t.promote && t.first && t.running.is_none());
        assert!(r.show.has_photo());
        assert_eq!(r.picks, 0);
    }

    #[test]
    fn timer_requests_ahead_and_transitions_on_time() {
        let mut r = Rig::new(10);
        r.requests();
        r.deliver();
        r.tick(); // photo 1 shown at t=0
        // The request goes out `lead` (2 s) before the change, not earlier.
        assert!(r.at(7_900).requests().is_empty());
        assert_eq!(r.at(8_000).requests(), [Direction::Next]);
        r.at(8_100).deliver();
        assert!(r.tick().running.is_none(), "ready early, but not yet due");
        let t = r.at(10_000).tick();
        let run = t.running.expect("the transition starts on time");
        assert_eq!(run.progress, 0.0);
        assert!(!t.promote);
        // 16 ms frames for a 1 s transition: done after ~63 frames.
        let mut ms = 10_000;
        let mut frames = 0;
        loop {
            ms += 16;
            frames += 1;
            let t = r.at(ms).tick();
            if t.promote {
                assert_eq!(t.finished.unwrap().progress, 1.0);
                assert!(!t.watchdog);
                break;
            }
            let p = t.running.unwrap().progress;
            assert!(
                (p - frames as f32 * 0.016).abs() < 1e-3,
                "{p} after {frames}"
            );
        }
        assert_eq!(frames, 63);
        // No request during the transition; the next interval counts from its start.
        assert!(r.at(17_900).requests().is_empty());
        assert_eq!(r.at(18_000).requests(), [Direction::Next]);
    }

    #[test]
    fn a_stall_slows_the_transition_and_the_watchdog_ends_it() {
        let mut r = Rig::prefetched();
        r.at(10_000).tick();
        // A 1 s stall advances only one 50 ms step.
        let t = r.at(11_000).tick();
        assert!((t.running.unwrap().progress - 0.05).abs() < 1e-4);
        // Slow frames (5 fps): 50 ms per frame, so at 2 s only ~0.5 is reached: the watchdog
        // completes it at twice the duration.
        let mut ms = 11_000;
        let t = loop {
            ms += 200;
            let t = r.at(ms).tick();
            if t.promote {
                break t;
            }
        };
        assert!(t.watchdog);
        assert_eq!(ms, 12_000);
    }

    #[test]
    fn previous_after_a_prefetched_next_goes_back_one_photo() {
        let mut r = Rig::new(10);
        r.requests();
        r.deliver();
        r.tick(); // photo A (cursor 0)
        r.at(8_000).requests(); // prefetch B: cursor +1
        r.deliver();
        // Z: the worker must step back twice; only the second answer is shown.
        assert!(!r.at(8_500).show.user(Direction::Previous));
        assert_eq!(r.requests(), [Direction::Previous, Direction::Previous]);
        assert_eq!(r.show.frame_arrived(), Arrival::Drop, "that is A again");
        assert_eq!(r.show.frame_arrived(), Arrival::Upload);
        r.show.uploaded();
        let t = r.tick();
        assert!(t.running.is_some(), "a hotkey does not wait for the timer");
        // After the change the cursor is on the photo shown: X asks for exactly one Next.
        r.at(9_600).tick();
        assert!(!r.show.user(Direction::Next));
        assert_eq!(r.requests(), [Direction::Next]);
    }

    #[test]
    fn next_uses_the_prefetched_photo_and_ends_a_running_transition() {
        let mut r = Rig::prefetched();
        // X with B ready: no new request, B comes in at once.
        r.show.user(Direction::Next);
        assert!(r.requests().is_empty());
        assert!(r.at(8_010).tick().running.is_some());
        // X during the transition: it completes at the next tick, and C is asked for.
        r.at(8_100).show.user(Direction::Next);
        assert_eq!(r.requests(), [Direction::Next]);
        let t = r.at(8_116).tick();
        assert!(t.promote && t.finished.is_some() && !t.watchdog);
        r.deliver();
        assert!(r.at(8_132).tick().running.is_some(), "C starts at once");
    }

    #[test]
    fn an_empty_answer_or_failed_upload_asks_again_later() {
        let mut r = Rig::new(10);
        assert_eq!(r.requests(), [Direction::Next]);
        r.show.answered_empty();
        assert!(r.show.idle());
        assert_eq!(r.requests(), [Direction::Next], "asked again");
        assert_eq!(r.show.frame_arrived(), Arrival::Upload);
        r.show.upload_failed();
        assert_eq!(r.requests(), [Direction::Next]);
        r.deliver();
        assert!(r.tick().first);
        // An answer nobody asked for is dropped.
        assert_eq!(r.show.frame_arrived(), Arrival::Drop);
    }
}
