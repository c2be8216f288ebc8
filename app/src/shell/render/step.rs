//! The render loop's decisions, apart from its I/O: frame pacing, when metrics are due, when a
//! resize has settled, whether a display draws this frame, what a worker's lifecycle event asks
//! for, how a rebuilt render thread gets fresh workers, and when a test fault fires. Every
//! function here is pure (the caller passes the time) and table-tested with a fake clock; the
//! loop in [`super`] only carries out what they return.

use std::time::{Duration, Instant};

use idlewild_protocol::WorkerKind;

use crate::shell::guard::{Fault, FaultKind};
use crate::supervisor::{Event, ExitReason, Readers};

/// The loop's frame period when there is no display to take one from.
pub const DEFAULT_FRAME: Duration = Duration::from_millis(16);
/// How long a window's size must stay unchanged before photos are asked for at the new size.
pub const RESIZE_SETTLE: Duration = Duration::from_millis(300);
/// The largest display the frames region holds (a 4K frame); a larger window keeps stretching.
pub const LARGEST_FRAME_PIXELS: u64 = 3840 * 2160;
/// A rebuilt thread waits this long for a stopped worker's exit before starting it anyway.
pub const REJOIN_WAIT: Duration = Duration::from_secs(10);

/// The loop's frame period: the fastest display's.
pub fn frame_target(targets: impl IntoIterator<Item = Duration>) -> Duration {
    targets.into_iter().min().unwrap_or(DEFAULT_FRAME)
}

/// Frame pacing: one frame per period while something moves (late frames are not made up),
/// otherwise a look every period (timers, answers) without drawing.
#[derive(Debug)]
pub struct Pacer {
    next_frame: Instant,
}

impl Pacer {
    /// Pacing that starts at `now`.
    pub fn new(now: Instant) -> Self {
        Self { next_frame: now }
    }

    /// The deadline of the next iteration, after one that ran at `now`. A command ends the
    /// wait for it early.
    pub fn next(&mut self, now: Instant, target: Duration, animating: bool) -> Instant {
        self.next_frame = if animating {
            (self.next_frame + target).max(now)
        } else {
            now + target
        };
        self.next_frame
    }
}

/// When the periodic metrics records are due: every period from the start, one record per
/// late iteration (a stall does not produce a burst).
#[derive(Debug)]
pub struct MetricsClock {
    next: Instant,
    period: Duration,
}

impl MetricsClock {
    /// The first record is due one `period` after `start`.
    pub fn new(start: Instant, period: Duration) -> Self {
        Self {
            next: start + period,
            period,
        }
    }

    /// True when a record is due at `now` (and the next one is scheduled).
    pub fn due(&mut self, now: Instant) -> bool {
        if now < self.next {
            return false;
        }
        self.next += self.period;
        true
    }
}

/// What a settled resize asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Settled {
    /// Tell the image worker the displays' sizes.
    Reconfigure,
    /// A display is larger than the frames region holds: photos stay at their old size.
    TooLarge,
}

/// A resize settles once the sizes have been still for [`RESIZE_SETTLE`].
#[derive(Debug, Default)]
pub struct ResizeSettle {
    resized: Option<Instant>,
}

impl ResizeSettle {
    /// A display changed size at `now`.
    pub fn resized(&mut self, now: Instant) {
        self.resized = Some(now);
    }

    /// What to do at `now` with the displays at `sizes` (`None`: nothing yet).
    pub fn poll(&mut self, now: Instant, sizes: &[(u32, u32)]) -> Option<Settled> {
        let at = self.resized?;
        if now.saturating_duration_since(at) < RESIZE_SETTLE {
            return None;
        }
        self.resized = None;
        let too_large = sizes
            .iter()
            .any(|&(w, h)| u64::from(w) * u64::from(h) > LARGEST_FRAME_PIXELS);
        Some(if too_large {
            Settled::TooLarge
        } else {
            Settled::Reconfigure
        })
    }
}

/// One display's situation this frame, as far as drawing is concerned.
#[derive(Clone, Copy, Debug, Default)]
pub struct DrawInputs {
    /// The next photo became the current one.
    pub promote: bool,
    /// A transition runs.
    pub running: bool,
    /// The window asked for its contents again.
    pub redraw: bool,
    /// The frame state differs from the last one drawn (Ken Burns moved, …).
    pub state_changed: bool,
    /// The state moves by itself (Ken Burns, a transition).
    pub state_moving: bool,
    /// A photo is being uploaded.
    pub uploading: bool,
    /// Visualizer bars are shown.
    pub bars_shown: bool,
    /// The bars changed since the last frame.
    pub bars_changed: bool,
    /// The display shows a photo.
    pub has_photo: bool,
}

/// What a display does this frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DrawDecision {
    /// Draw and present.
    pub draw: bool,
    /// Something moves: the loop keeps its frame pace, and the frame counts in the metrics.
    pub moving: bool,
}

/// Whether a display draws this frame. A blank display (no photo yet) draws only when its
/// window asks, so the first photo is not preceded by frames of black.
pub fn draw_decision(i: DrawInputs) -> DrawDecision {
    // Moving bars are continuous drawing too: their frames count in the metrics.
    let moving = i.state_moving || i.uploading || i.bars_shown || i.bars_changed;
    let wanted = i.promote || i.running || i.redraw || i.state_changed || i.bars_changed;
    DrawDecision {
        draw: wanted && (i.has_photo || i.redraw),
        moving,
    }
}

/// What a supervisor lifecycle event asks of the render loop.
#[derive(Debug)]
pub enum Lifecycle {
    /// A new image worker: attach its frames region.
    AttachImages(Readers),
    /// The image worker ended (`stopped`: by the supervisor, on request).
    DetachImages {
        /// Stopped on request (a rebuilt thread waits for this).
        stopped: bool,
    },
    /// The image worker is not restarted until its cool-down has passed.
    ImagesFailed(Failure),
    /// A new fft worker: attach its stream.
    AttachVisual(Readers, u64),
    /// The fft worker ended.
    DetachVisual {
        /// Stopped on request.
        stopped: bool,
    },
    /// The fft worker is not restarted until its cool-down has passed.
    VisualFailed(Failure),
    /// Nothing for the render loop.
    Ignore,
}

/// A worker past its restart cap: how often it was restarted, and when its half-open trial is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Failure {
    /// Restarts within the window when it gave up.
    pub restarts: u32,
    /// Until its next trial.
    pub retry_in: Duration,
}

/// The render loop's reading of a supervisor event.
pub fn lifecycle(event: Event) -> Lifecycle {
    match event {
        Event::Started {
            kind: WorkerKind::Image,
            readers,
            ..
        } => Lifecycle::AttachImages(readers),
        Event::Exited {
            kind: WorkerKind::Image,
            reason,
            ..
        } => Lifecycle::DetachImages {
            stopped: reason == ExitReason::Stopped,
        },
        Event::Failed {
            kind: WorkerKind::Image,
            restarts,
            retry_in,
        } => Lifecycle::ImagesFailed(Failure { restarts, retry_in }),
        Event::Started {
            kind: WorkerKind::Fft,
            epoch,
            readers,
            ..
        } => Lifecycle::AttachVisual(readers, epoch),
        Event::Exited {
            kind: WorkerKind::Fft,
            reason,
            ..
        } => Lifecycle::DetachVisual {
            stopped: reason == ExitReason::Stopped,
        },
        Event::Failed {
            kind: WorkerKind::Fft,
            restarts,
            retry_in,
        } => Lifecycle::VisualFailed(Failure { restarts, retry_in }),
        _ => Lifecycle::Ignore,
    }
}

/// What [`Rejoin`] asks of the supervisor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RejoinAction {
    /// Stop the kind (its regions' readers died with the old thread).
    Disable(WorkerKind),
    /// Start it again: its `Started` event brings fresh readers to this thread.
    Enable(WorkerKind),
}

/// A rebuilt render thread's way to fresh workers. The old thread took the workers' region
/// readers with it (they arrive only in `Started` events), so the new one stops each worker
/// kind, waits for its `Exited` (or [`REJOIN_WAIT`], when it was not running), then starts it
/// again. Enabling before the exit would leave the kind off: the supervisor reads a stop
/// that completes after a re-enable as "stopped".
#[derive(Debug, Default)]
pub struct Rejoin {
    waiting: Vec<(WorkerKind, Instant)>,
}

impl Rejoin {
    /// Starts rejoining `kinds` at `now`: the actions to carry out at once.
    pub fn start(kinds: &[WorkerKind], now: Instant) -> (Self, Vec<RejoinAction>) {
        let rejoin = Self {
            waiting: kinds.iter().map(|&k| (k, now + REJOIN_WAIT)).collect(),
        };
        let actions = kinds.iter().map(|&k| RejoinAction::Disable(k)).collect();
        (rejoin, actions)
    }

    /// A worker of `kind` was stopped on request.
    pub fn stopped(&mut self, kind: WorkerKind) -> Option<RejoinAction> {
        let i = self.waiting.iter().position(|(k, _)| *k == kind)?;
        self.waiting.swap_remove(i);
        Some(RejoinAction::Enable(kind))
    }

    /// Kinds whose stop did not show up by `now` are started anyway.
    pub fn tick(&mut self, now: Instant) -> Vec<RejoinAction> {
        let mut actions = Vec::new();
        self.waiting.retain(|&(kind, deadline)| {
            let due = now >= deadline;
            if due {
                actions.push(RejoinAction::Enable(kind));
            }
            !due
        });
        actions
    }
}

/// The test fault due at `now` in a loop that started at `started`, if any.
pub fn fault_due(fault: Option<Fault>, started: Instant, now: Instant) -> Option<FaultKind> {
    let f = fault?;
    (now.saturating_duration_since(started) >= f.after).then_some(f.kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(t0: Instant, ms: u64) -> Instant {
        t0 + Duration::from_millis(ms)
    }

    #[test]
    fn the_fastest_display_sets_the_pace() {
        let ms = Duration::from_millis;
        assert_eq!(frame_target([ms(16), ms(7), ms(33)]), ms(7));
        assert_eq!(frame_target([]), DEFAULT_FRAME);
    }

    /// (now ms, animating, next deadline ms)
    #[test]
    fn pacing_keeps_the_beat_while_moving_and_never_makes_up_late_frames() {
        let t0 = Instant::now();
        let target = Duration::from_millis(16);
        let table: &[(u64, bool, u64)] = &[
            (0, true, 16),
            (16, true, 32),
            // A slow frame: the next one is due at once, not twice.
            (70, true, 70),
            (72, true, 86),
            // Idle: a look one period after this iteration.
            (90, false, 106),
            (106, false, 122),
            // Moving again: paced from the last deadline.
            (110, true, 138),
        ];
        let mut p = Pacer::new(t0);
        for &(now, animating, want) in table {
            assert_eq!(
                p.next(at(t0, now), target, animating),
                at(t0, want),
                "{now}"
            );
        }
    }

    /// (now ms, due?) with a 100 ms period.
    #[test]
    fn metrics_are_due_once_per_period() {
        let t0 = Instant::now();
        let table: &[(u64, bool)] = &[
            (0, false),
            (99, false),
            (100, true),
            (150, false),
            (200, true),
            // A stall of 3 periods: one record now, the next ones as the clock catches up.
            (550, true),
            (551, true),
            (552, true),
            (553, false),
        ];
        let mut m = MetricsClock::new(t0, Duration::from_millis(100));
        for &(now, due) in table {
            assert_eq!(m.due(at(t0, now)), due, "{now}");
        }
    }

    /// (event ms: Some(resize) or None(poll), sizes, expected)
    #[test]
    fn a_resize_settles_after_the_sizes_stay_still() {
        let t0 = Instant::now();
        let hd = [(1280, 720)];
        let huge = [(1280, 720), (7680, 4320)];
        let mut r = ResizeSettle::default();
        assert_eq!(r.poll(at(t0, 0), &hd), None, "nothing resized");
        r.resized(at(t0, 0));
        assert_eq!(r.poll(at(t0, 299), &hd), None);
        r.resized(at(t0, 250));
        assert_eq!(r.poll(at(t0, 500), &hd), None, "a newer resize restarts");
        assert_eq!(r.poll(at(t0, 550), &hd), Some(Settled::Reconfigure));
        assert_eq!(r.poll(at(t0, 900), &hd), None, "once");
        r.resized(at(t0, 1_000));
        assert_eq!(r.poll(at(t0, 1_300), &huge), Some(Settled::TooLarge));
    }

    #[test]
    fn what_a_display_draws() {
        let base = DrawInputs {
            has_photo: true,
            ..DrawInputs::default()
        };
        let d = |draw, moving| DrawDecision { draw, moving };
        let table: &[(&str, DrawInputs, DrawDecision)] = &[
            ("a still photo", base, d(false, false)),
            (
                "promoted",
                DrawInputs {
                    promote: true,
                    ..base
                },
                d(true, false),
            ),
            (
                "transition",
                DrawInputs {
                    running: true,
                    state_moving: true,
                    ..base
                },
                d(true, true),
            ),
            (
                "exposed",
                DrawInputs {
                    redraw: true,
                    ..base
                },
                d(true, false),
            ),
            (
                "ken burns",
                DrawInputs {
                    state_changed: true,
                    state_moving: true,
                    ..base
                },
                d(true, true),
            ),
            (
                "uploading",
                DrawInputs {
                    uploading: true,
                    ..base
                },
                d(false, true),
            ),
            (
                "bars shown, unchanged",
                DrawInputs {
                    bars_shown: true,
                    ..base
                },
                d(false, true),
            ),
            (
                "bars changed",
                DrawInputs {
                    bars_changed: true,
                    ..base
                },
                d(true, true),
            ),
            (
                "blank, bars changed",
                DrawInputs {
                    bars_changed: true,
                    has_photo: false,
                    ..base
                },
                d(false, true),
            ),
            (
                "blank, exposed",
                DrawInputs {
                    redraw: true,
                    has_photo: false,
                    ..base
                },
                d(true, false),
            ),
        ];
        for (what, inputs, want) in table {
            assert_eq!(draw_decision(*inputs), *want, "{what}");
        }
    }

    fn readers() -> Readers {
        Readers {
            frames: None,
            stream: None,
        }
    }

    #[test]
    fn lifecycle_events_become_actions() {
        use idlewild_protocol::message::Capabilities;
        let started = |kind| Event::Started {
            kind,
            epoch: 7,
            pid: 1,
            capabilities: Capabilities::default(),
            readers: readers(),
        };
        let exited = |kind, reason| Event::Exited {
            kind,
            epoch: 7,
            pid: 1,
            reason,
            restart_in: None,
        };
        let failed = |kind| Event::Failed {
            kind,
            restarts: 5,
            retry_in: Duration::from_secs(600),
        };
        let name = |l: Lifecycle| format!("{l:?}");
        let table: Vec<(Event, &str)> = vec![
            (started(WorkerKind::Image), "AttachImages"),
            (
                exited(WorkerKind::Image, ExitReason::Hung),
                "DetachImages { stopped: false }",
            ),
            (
                exited(WorkerKind::Image, ExitReason::Stopped),
                "DetachImages { stopped: true }",
            ),
            (
                failed(WorkerKind::Image),
                "ImagesFailed(Failure { restarts: 5, retry_in: 600s })",
            ),
            (started(WorkerKind::Fft), "AttachVisual"),
            (
                exited(WorkerKind::Fft, ExitReason::Stopped),
                "DetachVisual { stopped: true }",
            ),
            (
                failed(WorkerKind::Fft),
                "VisualFailed(Failure { restarts: 5, retry_in: 600s })",
            ),
            (started(WorkerKind::Sim), "Ignore"),
            (failed(WorkerKind::Sim), "Ignore"),
        ];
        for (event, want) in table {
            let got = name(lifecycle(event));
            assert!(got.starts_with(want), "{got} is not {want}");
        }
    }

    #[test]
    fn a_rebuilt_thread_restarts_each_worker_after_its_stop() {
        let t0 = Instant::now();
        let (mut r, first) = Rejoin::start(&[WorkerKind::Image, WorkerKind::Fft], t0);
        assert_eq!(
            first,
            [
                RejoinAction::Disable(WorkerKind::Image),
                RejoinAction::Disable(WorkerKind::Fft)
            ]
        );
        assert!(r.tick(at(t0, 100)).is_empty());
        assert_eq!(
            r.stopped(WorkerKind::Image),
            Some(RejoinAction::Enable(WorkerKind::Image))
        );
        assert_eq!(r.stopped(WorkerKind::Image), None, "once");
        assert_eq!(r.stopped(WorkerKind::Sim), None, "not asked for");
        let wait = REJOIN_WAIT.as_millis() as u64;
        assert!(r.tick(at(t0, wait - 1)).is_empty());
        assert_eq!(
            r.tick(at(t0, wait)),
            [RejoinAction::Enable(WorkerKind::Fft)],
            "a kind that never reported its stop is started anyway"
        );
        assert!(r.tick(at(t0, wait + 1)).is_empty());
        assert_eq!(r.stopped(WorkerKind::Fft), None);
    }

    #[test]
    fn a_fault_fires_after_its_delay() {
        let t0 = Instant::now();
        let f = Fault::parse("hang:2");
        assert_eq!(fault_due(f, t0, at(t0, 1_999)), None);
        assert_eq!(fault_due(f, t0, at(t0, 2_000)), Some(FaultKind::Hang));
        assert_eq!(fault_due(None, t0, at(t0, 9_000)), None);
    }
}
