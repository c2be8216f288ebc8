//! Ken Burns: a slow seeded pan and zoom over each photo while it is on screen. Pure: it only
//! computes the [`ImageView`] the host puts into `FrameState::views` for each frame; the
//! renderer's `fetch_*` helpers do the sampling.
//!
//! The view travels along a smooth path through seeded waypoints, alternately zoomed out (near
//! `zoom_min`) and zoomed in (near `zoom_max`), each centred somewhere the view stays inside the
//! photo. At speed 1 it goes from the first waypoint to the second over the photo's whole time on
//! screen (the caller passes display plus transition time, so the motion continues through both
//! transitions); speed 0.5 covers half that way, speed 2 two legs. The path is a Catmull-Rom
//! spline, so it passes through the waypoints without stopping, and it is clamped afterwards, so
//! no frame ever shows anything outside the photo.

use crate::frame::ImageView;
use crate::hash::{hash_u32 as hash, unit_float};

/// Ken Burns settings: how far the view zooms and how fast it moves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KenBurns {
    /// The least magnification the view uses, 1 (the whole photo) to 2.
    pub zoom_min: f32,
    /// The most magnification the view uses, `zoom_min` to 2; 1 turns the effect off.
    pub zoom_max: f32,
    /// How much of the path is covered per screen time, 0.1 to 4 (1 = one leg).
    pub speed: f32,
}

impl KenBurns {
    /// The range of `zoom_min` and `zoom_max`.
    pub const ZOOM_RANGE: (f32, f32) = (1.0, 2.0);
    /// The range of `speed`.
    pub const SPEED_RANGE: (f32, f32) = (0.1, 4.0);
    /// A gentle default: between the whole photo and 1.3×, one leg per photo.
    pub const DEFAULT: KenBurns = KenBurns {
        zoom_min: 1.0,
        zoom_max: 1.3,
        speed: 1.0,
    };
    /// No motion: every view is [`ImageView::IDENTITY`].
    pub const OFF: KenBurns = KenBurns {
        zoom_min: 1.0,
        zoom_max: 1.0,
        speed: 1.0,
    };

    /// These settings brought into their ranges: NaN takes the default, and a `zoom_min` above
    /// `zoom_max` swaps the two.
    pub fn validated(self) -> KenBurns {
        let clamp = |value: f32, (min, max): (f32, f32), default: f32| {
            if value.is_nan() {
                default
            } else {
                value.clamp(min, max)
            }
        };
        let a = clamp(self.zoom_min, Self::ZOOM_RANGE, Self::DEFAULT.zoom_min);
        let b = clamp(self.zoom_max, Self::ZOOM_RANGE, Self::DEFAULT.zoom_max);
        KenBurns {
            zoom_min: a.min(b),
            zoom_max: a.max(b),
            speed: clamp(self.speed, Self::SPEED_RANGE, Self::DEFAULT.speed),
        }
    }

    /// The view of a photo `elapsed_s` seconds after it started to appear, for a photo on screen
    /// for `display_s` seconds in all (transitions included) and the path drawn from `seed`.
    ///
    /// Deterministic in its arguments, continuous in `elapsed_s`, held still before 0 and after
    /// `display_s` (a NaN or non-positive `display_s` holds the start view), and always inside the
    /// photo. With `zoom_max` 1 it is exactly [`ImageView::IDENTITY`].
    pub fn view_at(&self, seed: u32, elapsed_s: f32, display_s: f32) -> ImageView {
        let settings = self.validated();
        let fraction = if display_s.is_finite() && display_s > 0.0 && !elapsed_s.is_nan() {
            elapsed_s.clamp(0.0, display_s) / display_s
        } else {
            0.0
        };
        let along = fraction * settings.speed;
        // `along` is at most SPEED_RANGE.1, so the leg index is small.
        let leg = along.floor();
        let t = along - leg;
        let leg = leg as i32;
        let points = [-1, 0, 1, 2].map(|i| settings.waypoint(seed, leg + i));
        let zoom =
            catmull_rom(points.map(|p| p.zoom), t).clamp(settings.zoom_min, settings.zoom_max);
        let center = [0, 1].map(|axis| catmull_rom(points.map(|p| p.center[axis]), t));
        ImageView { zoom, center }.clamped()
    }

    /// Waypoint `index` of the path for `seed`: alternately near the low and the high end of the
    /// zoom range (which end comes first is seeded too), centred where the view fits the photo.
    fn waypoint(&self, seed: u32, index: i32) -> ImageView {
        let random = |salt: u32| unit_float(hash(hash(seed) ^ hash(index as u32 ^ salt)));
        let zoomed_in = (index as u32).wrapping_add(hash(seed ^ 0x5eed)) % 2 == 1;
        // Each end's band is a quarter of the range, so consecutive waypoints always differ in
        // zoom by at least half the range: the motion never degenerates into a pure pan.
        let band = 0.25 * (self.zoom_max - self.zoom_min);
        let low = if zoomed_in {
            self.zoom_max - band
        } else {
            self.zoom_min
        };
        let zoom = low + band * random(1);
        let margin = 0.5 / zoom;
        let center = [2, 3].map(|salt| margin + (1.0 - 2.0 * margin) * random(salt));
        ImageView { zoom, center }
    }
}

impl Default for KenBurns {
    fn default() -> Self {
        KenBurns::DEFAULT
    }
}

/// The uniform Catmull-Rom spline through `p[1]` (at 0) and `p[2]` (at 1), with `p[0]` and
/// `p[3]` setting the tangents: smooth across legs, exact at the waypoints.
fn catmull_rom(p: [f32; 4], t: f32) -> f32 {
    let t2 = t * t;
    let t3 = t2 * t;
    0.5 * (2.0 * p[1]
        + (p[2] - p[0]) * t
        + (2.0 * p[0] - 5.0 * p[1] + 4.0 * p[2] - p[3]) * t2
        + (3.0 * p[1] - p[0] - 3.0 * p[2] + p[3]) * t3)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DISPLAY_S: f32 = 12.0;
    const SETTINGS: [KenBurns; 4] = [
        KenBurns::DEFAULT,
        KenBurns {
            zoom_min: 1.0,
            zoom_max: 2.0,
            speed: 4.0,
        },
        KenBurns {
            zoom_min: 1.5,
            zoom_max: 1.6,
            speed: 0.1,
        },
        KenBurns {
            zoom_min: 2.0,
            zoom_max: 2.0,
            speed: 1.0,
        },
    ];

    /// `(elapsed, view)` every 1/2000 of the display time, from a little before the start to a
    /// little after the end.
    fn path(kb: &KenBurns, seed: u32) -> Vec<(f32, ImageView)> {
        (-20..=2020)
            .map(|i| {
                let t = DISPLAY_S * i as f32 / 2000.0;
                (t, kb.view_at(seed, t, DISPLAY_S))
            })
            .collect()
    }

    #[test]
    fn validated_clamps_orders_and_defaults() {
        let cases = [
            (KenBurns::DEFAULT, KenBurns::DEFAULT),
            (
                KenBurns {
                    zoom_min: 0.5,
                    zoom_max: 3.0,
                    speed: 9.0,
                },
                KenBurns {
                    zoom_min: 1.0,
                    zoom_max: 2.0,
                    speed: 4.0,
                },
            ),
            (
                KenBurns {
                    zoom_min: 1.8,
                    zoom_max: 1.2,
                    speed: 0.0,
                },
                KenBurns {
                    zoom_min: 1.2,
                    zoom_max: 1.8,
                    speed: 0.1,
                },
            ),
            (
                KenBurns {
                    zoom_min: f32::NAN,
                    zoom_max: f32::NAN,
                    speed: f32::NAN,
                },
                KenBurns::DEFAULT,
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(input.validated(), expected, "{input:?}");
        }
    }

    #[test]
    fn views_stay_in_the_zoom_range_and_inside_the_photo() {
        for kb in SETTINGS {
            for seed in 0..50 {
                for (t, view) in path(&kb, seed) {
                    let what = format!("{kb:?} seed {seed} at {t}: {view:?}");
                    assert!(
                        kb.zoom_min <= view.zoom && view.zoom <= kb.zoom_max,
                        "zoom out of range: {what}"
                    );
                    let [l, top, r, b] = view.rect();
                    assert!(
                        l >= 0.0 && top >= 0.0 && r <= 1.0 && b <= 1.0,
                        "outside the photo: {what}"
                    );
                }
            }
        }
    }

    #[test]
    fn motion_is_continuous() {
        // At the fastest speed the path covers four legs; between samples 1/2000 of the display
        // apart nothing may move by more than a small fraction of the photo.
        for kb in SETTINGS {
            for seed in 0..50 {
                for pair in path(&kb, seed).windows(2) {
                    let ((t, a), (_, b)) = (pair[0], pair[1]);
                    let step = (a.zoom - b.zoom)
                        .abs()
                        .max((a.center[0] - b.center[0]).abs())
                        .max((a.center[1] - b.center[1]).abs());
                    assert!(step < 0.01, "{kb:?} seed {seed} jumps by {step} at {t}");
                }
            }
        }
    }

    #[test]
    fn deterministic_by_seed_and_held_outside_the_display_time() {
        let kb = KenBurns::DEFAULT;
        assert_eq!(kb.view_at(3, 4.0, DISPLAY_S), kb.view_at(3, 4.0, DISPLAY_S));
        let ends = |seed| {
            (
                kb.view_at(seed, 0.0, DISPLAY_S),
                kb.view_at(seed, DISPLAY_S, DISPLAY_S),
            )
        };
        let distinct: std::collections::HashSet<String> =
            (0..20).map(|seed| format!("{:?}", ends(seed))).collect();
        assert_eq!(distinct.len(), 20, "every seed draws its own path");
        for seed in 0..20 {
            let (start, end) = ends(seed);
            assert_ne!(start, end, "seed {seed} does not move");
            assert_eq!(kb.view_at(seed, -5.0, DISPLAY_S), start);
            assert_eq!(kb.view_at(seed, f32::NAN, DISPLAY_S), start);
            assert_eq!(kb.view_at(seed, 99.0, DISPLAY_S), end);
            assert_eq!(kb.view_at(seed, 5.0, 0.0), start);
            assert_eq!(kb.view_at(seed, 5.0, f32::NAN), start);
        }
    }

    #[test]
    fn zooms_between_the_ends_of_the_range() {
        // The two waypoints of a leg sit in opposite quarter bands of the zoom range.
        let kb = KenBurns {
            zoom_min: 1.0,
            zoom_max: 2.0,
            speed: 1.0,
        };
        for seed in 0..50 {
            let start = kb.view_at(seed, 0.0, DISPLAY_S).zoom;
            let end = kb.view_at(seed, DISPLAY_S, DISPLAY_S).zoom;
            assert!((start - end).abs() >= 0.5, "seed {seed}: {start} -> {end}");
        }
    }

    #[test]
    fn identity_when_zoom_max_is_one() {
        for kb in [
            KenBurns::OFF,
            KenBurns {
                zoom_min: 1.0,
                zoom_max: 1.0,
                speed: 4.0,
            },
        ] {
            for seed in 0..10 {
                for (t, view) in path(&kb, seed) {
                    assert_eq!(view, ImageView::IDENTITY, "{kb:?} seed {seed} at {t}");
                }
            }
        }
    }
}
