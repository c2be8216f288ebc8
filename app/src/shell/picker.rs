//! Which transition comes next: a random pick from a pool that never repeats the last one, or
//! one fixed effect; the C hotkey cycles through every effect in registry order.
//!
//! Pure and seeded, so tests replay it exactly.

use idlewild_renderer::TransitionId;

/// Picks transitions.
#[derive(Debug, Clone)]
pub struct Picker {
    pool: Vec<TransitionId>,
    random: bool,
    fixed: TransitionId,
    last: Option<TransitionId>,
    rng: fastrand::Rng,
}

impl Picker {
    /// `random`: pick from `pool` (every effect when empty); otherwise always `fixed`.
    pub fn new(random: bool, fixed: TransitionId, pool: &[TransitionId], seed: u64) -> Self {
        // Duplicates stay: listing an effect twice makes it twice as likely.
        let mut pool = pool.to_vec();
        if pool.is_empty() {
            pool = TransitionId::all().collect();
        }
        Self {
            pool,
            random,
            fixed,
            last: None,
            rng: fastrand::Rng::with_seed(seed),
        }
    }

    /// The transition for the next change, and a seed for its randomness.
    pub fn pick(&mut self) -> (TransitionId, u32) {
        let id = if self.random {
            let candidates: Vec<TransitionId> = if self.pool.len() > 1 {
                self.pool
                    .iter()
                    .copied()
                    .filter(|t| Some(*t) != self.last)
                    .collect()
            } else {
                self.pool.clone()
            };
            candidates[self.rng.usize(..candidates.len())]
        } else {
            self.fixed
        };
        self.last = Some(id);
        (id, self.rng.u32(..))
    }

    /// The C hotkey: leave random mode and fix the effect after the last one used (in registry
    /// order, wrapping), which the next change then shows.
    pub fn cycle(&mut self) -> TransitionId {
        let all: Vec<TransitionId> = TransitionId::all().collect();
        let current = self.last.unwrap_or(self.fixed);
        let at = all.iter().position(|t| *t == current).unwrap_or(0);
        self.random = false;
        self.fixed = all[(at + 1) % all.len()];
        self.fixed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_never_repeats_the_last_and_uses_the_whole_pool() {
        let all: Vec<TransitionId> = TransitionId::all().collect();
        let mut p = Picker::new(true, TransitionId::CROSSFADE, &[], 7);
        let mut last = None;
        let mut seen = std::collections::HashSet::new();
        for _ in 0..500 {
            let (id, _) = p.pick();
            if all.len() > 1 {
                assert_ne!(Some(id), last, "repeated");
            }
            seen.insert(id);
            last = Some(id);
        }
        assert_eq!(seen.len(), all.len(), "every effect comes up");
    }

    #[test]
    fn pool_restricts_and_single_entry_pool_repeats() {
        let all: Vec<TransitionId> = TransitionId::all().collect();
        let one = *all.last().unwrap();
        let mut p = Picker::new(true, TransitionId::CROSSFADE, &[one], 1);
        for _ in 0..10 {
            assert_eq!(p.pick().0, one);
        }
    }

    #[test]
    fn fixed_and_cycle() {
        let all: Vec<TransitionId> = TransitionId::all().collect();
        let mut p = Picker::new(false, TransitionId::CROSSFADE, &[], 3);
        assert_eq!(p.pick().0, TransitionId::CROSSFADE);
        for step in 1..=all.len() {
            let id = p.cycle();
            assert_eq!(id, all[step % all.len()], "cycle step {step}");
            assert_eq!(p.pick().0, id, "the cycled effect is used next");
        }
        // Cycling leaves random mode.
        let mut p = Picker::new(true, TransitionId::CROSSFADE, &[], 3);
        let (first, _) = p.pick();
        let cycled = p.cycle();
        for _ in 0..5 {
            assert_eq!(p.pick().0, cycled);
        }
        assert_eq!(
            all[(all.iter().position(|t| *t == first).unwrap() + 1) % all.len()],
            cycled
        );
    }

    #[test]
    fn same_seed_same_sequence() {
        let run = |seed| {
            let mut p = Picker::new(true, TransitionId::CROSSFADE, &[], seed);
            (0..20).map(|_| p.pick()).collect::<Vec<_>>()
        };
        assert_eq!(run(9), run(9));
    }
}
