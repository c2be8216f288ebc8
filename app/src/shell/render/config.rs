//! How the show runs ([`ShowConfig`], from settings) and the per-frame step every drawing loop
//! shares: which transition comes next, and the eased [`FrameState`] with each slot's Ken Burns
//! view ([`KenBurnsPaths`]). Used by the render loop and by `bench frames`' stand-in loop.

use std::time::{Duration, Instant};

use idlewild_renderer::registry::MAX_OPTIONS;
use idlewild_renderer::{Easing, FrameState, ImageView, KenBurns, TransitionId};

use super::super::picker::Picker;
use super::super::show::{Tick, Timing};

/// How the show runs, from settings.
#[derive(Clone, Debug)]
pub struct ShowConfig {
    /// Photo timing.
    pub timing: Timing,
    /// Progress curve of every transition.
    pub easing: Easing,
    /// Transition length per effect, in registry order.
    pub durations: Vec<Duration>,
    /// Option values per effect, in registry order (an effect missing here draws with its
    /// registry defaults).
    pub params: Vec<[f32; MAX_OPTIONS]>,
    /// Random mode and its pool.
    pub random: bool,
    /// The effect when not random.
    pub fixed: TransitionId,
    /// Random mode's pool (empty: every effect).
    pub pool: Vec<TransitionId>,
    /// Seed for transition choice and randomness.
    pub seed: u64,
    /// Slow pan and zoom while a photo is shown, if on.
    pub ken_burns: Option<KenBurns>,
    /// The longest transition (a Ken Burns path spans the interval plus this).
    pub longest: Duration,
    /// How often a periodic metrics record is written ([`METRICS_PERIOD`](super::METRICS_PERIOD)).
    pub metrics_period: Duration,
}

impl ShowConfig {
    /// The effect, seed and duration of the next transition, from `picker`.
    pub fn pick(&self, picker: &mut Picker) -> (TransitionId, u32, Duration) {
        let (id, seed) = picker.pick();
        let duration = TransitionId::all()
            .position(|t| t == id)
            .and_then(|at| self.durations.get(at).copied())
            .unwrap_or(Duration::from_millis(u64::from(
                id.desc().default_duration_ms,
            )));
        (id, seed, duration)
    }

    /// The option values `id` draws with.
    pub fn params_of(&self, id: TransitionId) -> [f32; MAX_OPTIONS] {
        TransitionId::all()
            .position(|t| t == id)
            .and_then(|at| self.params.get(at).copied())
            .unwrap_or_else(|| id.default_params())
    }

    /// What to draw after `tick`: the transition (eased) and, with Ken Burns on, each slot's
    /// view along its photo's path. The flag says whether anything moves (so the next frame
    /// must be drawn too).
    pub fn frame_state(
        &self,
        tick: &Tick,
        paths: &KenBurnsPaths,
        has_photo: bool,
        now: Instant,
    ) -> (FrameState, bool) {
        let mut state = match tick.running {
            Some(run) => FrameState {
                transition: run.id,
                progress: self.easing.apply(run.progress),
                seed: run.seed,
                params: self.params_of(run.id),
                ..FrameState::new(run.id)
            },
            None => FrameState::default(),
        };
        let mut moving = tick.running.is_some();
        if let Some(kb) = &self.ken_burns {
            // A photo's path spans its whole time on screen, its transitions included.
            let span = (self.timing.interval + self.longest).as_secs_f32();
            state.views = paths.0.map(|p| {
                p.map_or(ImageView::IDENTITY, |(seed, since)| {
                    kb.view_at(
                        seed,
                        now.saturating_duration_since(since).as_secs_f32(),
                        span,
                    )
                })
            });
            moving |= has_photo;
        }
        (state, moving)
    }
}

/// The Ken Burns paths of the photo on screen and of the one coming in: (seed, on screen since).
#[derive(Clone, Copy, Debug, Default)]
pub struct KenBurnsPaths([Option<(u32, Instant)>; 2]);

impl KenBurnsPaths {
    /// Follows the show: a promoted photo keeps its path (a first photo starts one), a
    /// starting transition starts the incoming photo's path.
    pub fn follow(&mut self, tick: &Tick, now: Instant) {
        if tick.promote {
            self.0[0] = self.0[1].take().or(Some((fastrand::u32(..), now)));
        }
        if let Some(run) = tick.running
            && self.0[1].is_none()
        {
            self.0[1] = Some((run.seed ^ 0x9e37_79b9, now));
        }
    }
}
