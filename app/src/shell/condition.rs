//! A condition that may hold for many frames in a row (no photos, a surface refusing frames),
//! logged once when it begins and once when it ends, never per frame.
//!
//! The render loop meets the same condition every frame (an empty library answers every
//! request, and the show asks again every frame): logging each meeting wrote ~60 lines a
//! second. The caller logs when [`Condition::hit`] says the condition began and when
//! [`Condition::clear`] says it ended, with how many times it was met meanwhile.

/// One condition's state: off, or on since its first hit with a count of hits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Condition {
    /// Hits since the condition began (`0`: it does not hold).
    hits: u64,
}

impl Condition {
    /// The condition was met now. True when it began with this hit (log it); false while it
    /// already held (stay quiet).
    pub fn hit(&mut self) -> bool {
        self.hits = self.hits.saturating_add(1);
        self.hits == 1
    }

    /// The condition no longer holds. `Some(hits)` when it had held (log its end and how
    /// often it was met), `None` when it was not on.
    pub fn clear(&mut self) -> Option<u64> {
        let hits = std::mem::take(&mut self.hits);
        (hits > 0).then_some(hits)
    }

    /// True while the condition holds.
    pub fn holds(&self) -> bool {
        self.hits > 0
    }
}

#[cfg(test)]
mod tests {
    use super::Condition;

    /// A run of events and what each one says to log.
    #[test]
    fn begins_once_ends_once_with_its_count() {
        enum E {
            Hit,
            Clear,
        }
        // (event, what `hit` returns / what `clear` returns)
        let table: [(E, Option<bool>, Option<Option<u64>>); 9] = [
            (E::Clear, None, Some(None)),
            (E::Hit, Some(true), None),
            (E::Hit, Some(false), None),
            (E::Hit, Some(false), None),
            (E::Clear, None, Some(Some(3))),
            (E::Clear, None, Some(None)),
            (E::Hit, Some(true), None),
            (E::Clear, None, Some(Some(1))),
            (E::Hit, Some(true), None),
        ];
        let mut c = Condition::default();
        for (i, (event, hit, clear)) in table.into_iter().enumerate() {
            match event {
                E::Hit => assert_eq!(Some(c.hit()), hit, "step {i}"),
                E::Clear => assert_eq!(Some(c.clear()), clear, "step {i}"),
            }
        }
        assert!(c.holds());
    }

    #[test]
    fn sixty_frames_of_the_same_condition_log_two_lines() {
        let mut c = Condition::default();
        let mut lines = 0;
        for _ in 0..60 {
            lines += usize::from(c.hit());
        }
        lines += usize::from(c.clear().is_some());
        assert_eq!(lines, 2);
    }
}
