//! Easing curves: how a transition's linear time becomes its visual progress. Pure functions,
//! applied on the CPU once per frame (the shader only ever sees the eased progress).
//!
//! The set is linear plus in / out / in-out of quad, cubic, quart, expo, sine, circ and back
//! (Robert Penner's equations, the ones every animation library ships). Every curve maps 0 to 0
//! and 1 to 1 *exactly*, so a transition that ends shows exactly the new image.

/// The family of a curve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Curve {
    /// t².
    Quad,
    /// t³.
    Cubic,
    /// t⁴.
    Quart,
    /// 2^(10(t−1)).
    Expo,
    /// 1 − cos(tπ/2).
    Sine,
    /// 1 − √(1 − t²).
    Circ,
    /// Pulls back a little before moving (overshoots below 0 / above 1).
    Back,
}

/// Which end of the transition the curve shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ends {
    /// Slow start.
    In,
    /// Slow end.
    Out,
    /// Slow start and end.
    InOut,
}

/// An easing: linear, or a curve applied at one or both ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Easing {
    /// Progress equals time.
    Linear,
    /// A curve.
    Curve(Curve, Ends),
}

/// Every easing, in the order the settings dialog lists them.
pub const ALL: [Easing; 22] = {
    use Curve::*;
    use Ends::*;
    [
        Easing::Linear,
        Easing::Curve(Quad, In),
        Easing::Curve(Quad, Out),
        Easing::Curve(Quad, InOut),
        Easing::Curve(Cubic, In),
        Easing::Curve(Cubic, Out),
        Easing::Curve(Cubic, InOut),
        Easing::Curve(Quart, In),
        Easing::Curve(Quart, Out),
        Easing::Curve(Quart, InOut),
        Easing::Curve(Expo, In),
        Easing::Curve(Expo, Out),
        Easing::Curve(Expo, InOut),
        Easing::Curve(Sine, In),
        Easing::Curve(Sine, Out),
        Easing::Curve(Sine, InOut),
        Easing::Curve(Circ, In),
        Easing::Curve(Circ, Out),
        Easing::Curve(Circ, InOut),
        Easing::Curve(Back, In),
        Easing::Curve(Back, Out),
        Easing::Curve(Back, InOut),
    ]
};

/// Back's overshoot constant (10 % overshoot), as in Penner's equations.
const BACK: f32 = 1.701_58;

impl Curve {
    fn name(self) -> &'static str {
        match self {
            Curve::Quad => "quad",
            Curve::Cubic => "cubic",
            Curve::Quart => "quart",
            Curve::Expo => "expo",
            Curve::Sine => "sine",
            Curve::Circ => "circ",
            Curve::Back => "back",
        }
    }

    /// The "in" form on `0..=1`.
    fn ease_in(self, t: f32) -> f32 {
        match self {
            Curve::Quad => t * t,
            Curve::Cubic => t * t * t,
            Curve::Quart => t * t * t * t,
            // 2^(10(t−1)) is 1/1024 at 0, not 0: pin the start.
            Curve::Expo if t <= 0.0 => 0.0,
            Curve::Expo => (2.0f32).powf(10.0 * (t - 1.0)),
            Curve::Sine => 1.0 - (t * std::f32::consts::FRAC_PI_2).cos(),
            Curve::Circ => 1.0 - (1.0 - t * t).max(0.0).sqrt(),
            Curve::Back => t * t * ((BACK + 1.0) * t - BACK),
        }
    }
}

impl Easing {
    /// The settings name: `linear`, or `<curve>-<in|out|in-out>` such as `cubic-in-out`.
    pub fn name(self) -> String {
        match self {
            Easing::Linear => "linear".to_owned(),
            Easing::Curve(curve, ends) => {
                let ends = match ends {
                    Ends::In => "in",
                    Ends::Out => "out",
                    Ends::InOut => "in-out",
                };
                format!("{}-{ends}", curve.name())
            }
        }
    }

    /// The easing with that settings name.
    pub fn from_name(name: &str) -> Option<Easing> {
        ALL.into_iter().find(|e| e.name() == name)
    }

    /// Progress for time `t` (clamped to `0..=1`; NaN counts as 0). Exactly 0 at 0 and 1 at 1.
    pub fn apply(self, t: f32) -> f32 {
        let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
        // The end points are returned as given, never computed, so no rounding can leave a
        // trace of the old image at the end.
        if t == 0.0 || t == 1.0 {
            return t;
        }
        match self {
            Easing::Linear => t,
            Easing::Curve(curve, Ends::In) => curve.ease_in(t),
            Easing::Curve(curve, Ends::Out) => 1.0 - curve.ease_in(1.0 - t),
            Easing::Curve(curve, Ends::InOut) if t < 0.5 => curve.ease_in(2.0 * t) / 2.0,
            Easing::Curve(curve, Ends::InOut) => 1.0 - curve.ease_in(2.0 - 2.0 * t) / 2.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples() -> impl Iterator<Item = f32> {
        (0..=1000).map(|i| i as f32 / 1000.0)
    }

    #[test]
    fn every_curve_starts_at_0_and_ends_at_1_exactly() {
        for e in ALL {
            assert_eq!(e.apply(0.0), 0.0, "{}", e.name());
            assert_eq!(e.apply(1.0), 1.0, "{}", e.name());
            assert_eq!(e.apply(-2.0), 0.0, "{} clamps below", e.name());
            assert_eq!(e.apply(7.0), 1.0, "{} clamps above", e.name());
            assert_eq!(e.apply(f32::NAN), 0.0, "{} treats NaN as 0", e.name());
        }
    }

    #[test]
    fn known_values() {
        use Curve::*;
        use Ends::*;
        let cases = [
            (Easing::Linear, 0.25, 0.25),
            (Easing::Curve(Quad, In), 0.5, 0.25),
            (Easing::Curve(Quad, Out), 0.5, 0.75),
            (Easing::Curve(Cubic, In), 0.5, 0.125),
            (Easing::Curve(Quart, In), 0.5, 0.0625),
            (Easing::Curve(Expo, In), 0.5, 0.031_25),
            (
                Easing::Curve(Sine, In),
                0.5,
                1.0 - std::f32::consts::FRAC_1_SQRT_2,
            ),
            (Easing::Curve(Circ, In), 0.5, 1.0 - 0.75f32.sqrt()),
            (
                Easing::Curve(Back, In),
                0.5,
                0.25 * (2.701_58 * 0.5 - 1.701_58),
            ),
        ];
        for (e, t, want) in cases {
            assert!(
                (e.apply(t) - want).abs() < 1e-6,
                "{} at {t}: {} vs {want}",
                e.name(),
                e.apply(t)
            );
        }
        // Every in-out curve is at exactly half time at half way.
        for e in ALL {
            if let Easing::Curve(_, Ends::InOut) = e {
                assert!((e.apply(0.5) - 0.5).abs() < 1e-6, "{}", e.name());
            }
        }
    }

    #[test]
    fn out_mirrors_in_and_in_out_is_symmetric() {
        for e in ALL {
            let Easing::Curve(curve, Ends::In) = e else {
                continue;
            };
            let out = Easing::Curve(curve, Ends::Out);
            let in_out = Easing::Curve(curve, Ends::InOut);
            for t in samples() {
                let mirrored = 1.0 - e.apply(1.0 - t);
                assert!(
                    (out.apply(t) - mirrored).abs() < 1e-5,
                    "{} at {t}",
                    out.name()
                );
                let symmetric = 1.0 - in_out.apply(1.0 - t);
                assert!(
                    (in_out.apply(t) - symmetric).abs() < 1e-5,
                    "{} at {t}",
                    in_out.name()
                );
            }
        }
    }

    #[test]
    fn all_but_back_are_monotonic_and_stay_in_range() {
        for e in ALL {
            let overshoots = matches!(e, Easing::Curve(Curve::Back, _));
            let mut last = 0.0f32;
            for t in samples() {
                let v = e.apply(t);
                if overshoots {
                    assert!((-0.2..=1.2).contains(&v), "{} at {t}: {v}", e.name());
                } else {
                    assert!((0.0..=1.0).contains(&v), "{} at {t}: {v}", e.name());
                    assert!(v >= last - 1e-6, "{} goes back at {t}", e.name());
                }
                last = v;
            }
        }
        // Back really does overshoot (that is its point).
        assert!(Easing::Curve(Curve::Back, Ends::In).apply(0.2) < 0.0);
        assert!(Easing::Curve(Curve::Back, Ends::Out).apply(0.8) > 1.0);
    }

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for e in ALL {
            assert!(seen.insert(e.name()), "{} twice", e.name());
            assert_eq!(Easing::from_name(&e.name()), Some(e));
        }
        assert_eq!(seen.len(), 22);
        assert_eq!(
            Easing::from_name("cubic-in-out"),
            Some(Easing::Curve(Curve::Cubic, Ends::InOut))
        );
        assert_eq!(Easing::from_name("bounce-in"), None);
    }
}
