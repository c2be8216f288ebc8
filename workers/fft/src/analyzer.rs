//! [`Analyzer`]: the newest samples in, one set of bar levels and ghost caps per tick out.
//!
//! Per tick: the newest `short_len` and `long_len` samples are Hann-windowed and run through
//! real FFTs; each bar takes the largest magnitude among its bins (normalised so a full-scale
//! sine reads 0 dBFS), adds the treble tilt (dB per octave from 1 kHz) and the auto-sensitivity
//! gain, and maps `floor_db..ceiling_db` to 0..1. Then, in time: a rise follows the attack time
//! constant; a fall accelerates under gravity, so a full bar reaches zero in `fall_s`; then each
//! bar lifts its neighbours to at least `neighbour`× its height per bar of distance (peaks are
//! never lowered); nothing goes below `idle_floor`. Ghosts take each new maximum, hold it for
//! `ghost_hold_s`, then fall at `ghost_fall` per second until they rest on the bar again.
//!
//! Time constants are seconds and every step scales with the tick's `dt`, so 60 Hz and 120 Hz
//! ticks give the same motion.

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};

use crate::FftError;
use crate::bands::BandLayout;

/// How the analysis behaves; `Default` is the tuned set.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalyzerConfig {
    /// Samples per second of the mono input.
    pub sample_rate: u32,
    /// Number of bars (8 to 96).
    pub bars: usize,
    /// Lower and upper cut-off in Hz.
    pub cutoffs: (f32, f32),
    /// Points of the short (treble) and long (bass) FFT.
    pub fft_lens: (usize, usize),
    /// Bands whose upper edge is at most this many Hz read the long FFT.
    pub split_hz: f32,
    /// Treble boost in dB per octave above 1 kHz (cut below), for music's falling spectrum.
    pub tilt_db_per_octave: f32,
    /// Level 0: magnitudes at or below this (dBFS) show nothing.
    pub floor_db: f32,
    /// Level 1: magnitudes at this (dBFS), before auto-sensitivity.
    pub ceiling_db: f32,
    /// Adjust the gain so the loudest bars just reach the top.
    pub auto_sensitivity: bool,
    /// Time constant of a rising bar, in seconds.
    pub attack_s: f32,
    /// Time a full bar takes to fall to zero under gravity, in seconds.
    pub fall_s: f32,
    /// Each bar lifts its neighbours to at least this fraction of its height per bar of
    /// distance (0: off).
    pub neighbour: f32,
    /// Ghost caps hold their peak this long, in seconds.
    pub ghost_hold_s: f32,
    /// Then fall at this many levels per second.
    pub ghost_fall: f32,
    /// The lowest a bar ever shows (the idle floor while silent).
    pub idle_floor: f32,
}

impl Default for AnalyzerConfig {
    fn default() -> Self {
        Self {
            sample_rate: 48_000,
            bars: 64,
            cutoffs: (50.0, 10_000.0),
            fft_lens: (2048, 8192),
            split_hz: 400.0,
            tilt_db_per_octave: 3.0,
            floor_db: -70.0,
            ceiling_db: -12.0,
            auto_sensitivity: true,
            attack_s: 0.025,
            fall_s: 0.6,
            neighbour: 0.25,
            ghost_hold_s: 0.5,
            ghost_fall: 1.2,
            idle_floor: 0.015,
        }
    }
}

/// One tick's output: bar levels and ghost caps, both in `idle_floor..=1`, bass first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bars {
    /// Bar heights.
    pub levels: Vec<f32>,
    /// Peak caps.
    pub ghosts: Vec<f32>,
}

struct Fft {
    plan: Arc<dyn RealToComplex<f32>>,
    window: Vec<f32>,
    input: Vec<f32>,
    output: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
    /// Magnitude per bin, normalised so a full-scale sine reads 1.
    mags: Vec<f32>,
}

impl Fft {
    fn new(planner: &mut RealFftPlanner<f32>, len: usize) -> Fft {
        let plan = planner.plan_fft_forward(len);
        let window = (0..len)
            .map(|i| 0.5 - 0.5 * (std::f32::consts::TAU * i as f32 / len as f32).cos())
            .collect();
        Fft {
            input: plan.make_input_vec(),
            output: plan.make_output_vec(),
            scratch: plan.make_scratch_vec(),
            mags: vec![0.0; len / 2 + 1],
            plan,
            window,
        }
    }

    /// Windows the newest `len` samples of `ring` (oldest first from `head`) and transforms.
    fn run(&mut self, ring: &[f32], head: usize) {
        let len = self.input.len();
        let start = (head + ring.len() - len) % ring.len();
        for (i, x) in self.input.iter_mut().enumerate() {
            *x = ring[(start + i) % ring.len()] * self.window[i];
        }
        // The lengths come from the plan itself, so the transform cannot fail.
        let _ =
            self.plan
                .process_with_scratch(&mut self.input, &mut self.output, &mut self.scratch);
        // A sine of amplitude A peaks at A·N/2 times the Hann window's mean, 0.5.
        let scale = 4.0 / len as f32;
        for (m, c) in self.mags.iter_mut().zip(&self.output) {
            *m = c.norm() * scale;
        }
    }
}

/// The analysis state of one stream. See the module documentation.
pub struct Analyzer {
    config: AnalyzerConfig,
    layout: BandLayout,
    short: Fft,
    long: Fft,
    /// The newest `long_len` samples, circular; `head` is the next write position.
    ring: Vec<f32>,
    head: usize,
    /// Tilt per bar in dB.
    tilt: Vec<f32>,
    gain_db: f32,
    /// This tick's levels before smoothing (kept to avoid an allocation per tick).
    raw: Vec<f32>,
    smooth: Vec<f32>,
    velocity: Vec<f32>,
    ghosts: Vec<f32>,
    ghost_age: Vec<f32>,
    out: Bars,
}

/// Auto-sensitivity limits and rates (dB, dB per second).
const GAIN_RANGE_DB: f32 = 30.0;
const GAIN_DOWN_DB_PER_S: f32 = 12.0;
const GAIN_UP_DB_PER_S: f32 = 1.0;

impl Analyzer {
    /// An analyzer for `config`, silent until samples arrive.
    pub fn new(config: AnalyzerConfig) -> Result<Analyzer, FftError> {
        let layout = BandLayout::new(
            config.bars,
            config.cutoffs,
            config.sample_rate,
            config.fft_lens,
            config.split_hz,
        )?;
        let mut planner = RealFftPlanner::new();
        let (short_len, long_len) = config.fft_lens;
        let tilt = (0..config.bars)
            .map(|i| config.tilt_db_per_octave * (layout.centre(i) / 1000.0).log2())
            .collect();
        let bars = config.bars;
        Ok(Analyzer {
            short: Fft::new(&mut planner, short_len),
            long: Fft::new(&mut planner, long_len),
            ring: vec![0.0; long_len.max(short_len)],
            head: 0,
            tilt,
            gain_db: 0.0,
            raw: vec![0.0; bars],
            smooth: vec![0.0; bars],
            velocity: vec![0.0; bars],
            ghosts: vec![config.idle_floor; bars],
            ghost_age: vec![0.0; bars],
            out: Bars {
                levels: vec![config.idle_floor; bars],
                ghosts: vec![config.idle_floor; bars],
            },
            layout,
            config,
        })
    }

    /// The band layout in use.
    pub fn layout(&self) -> &BandLayout {
        &self.layout
    }

    /// The configuration in use.
    pub fn config(&self) -> &AnalyzerConfig {
        &self.config
    }

    /// Appends mono samples (newest last); older ones beyond the long FFT are forgotten.
    pub fn push(&mut self, samples: &[f32]) {
        for &s in samples {
            self.ring[self.head] = if s.is_finite() { s } else { 0.0 };
            self.head = (self.head + 1) % self.ring.len();
        }
    }

    /// Appends interleaved frames of `channels` samples, mixed down to mono.
    pub fn push_interleaved(&mut self, samples: &[f32], channels: usize) {
        let channels = channels.max(1);
        for frame in samples.chunks_exact(channels) {
            let mono = frame.iter().sum::<f32>() / channels as f32;
            self.push(&[mono]);
        }
    }

    /// Analyses the newest samples, `dt` seconds after the previous tick, and returns the bars.
    pub fn tick(&mut self, dt: f32) -> &Bars {
        let dt = dt.clamp(0.0, 0.25);
        self.short.run(&self.ring, self.head);
        self.long.run(&self.ring, self.head);
        let c = &self.config;
        let range = (c.ceiling_db - c.floor_db).max(1.0);
        let mut loudest = 0.0f32;
        for (out, (b, tilt)) in self
            .raw
            .iter_mut()
            .zip(self.layout.bins.iter().zip(&self.tilt))
        {
            let mags = if b.long {
                &self.long.mags
            } else {
                &self.short.mags
            };
            let mag = mags[b.first..=b.last].iter().copied().fold(0.0, f32::max);
            let db = 20.0 * mag.max(1e-12).log10() + tilt;
            let level = (db + self.gain_db - c.floor_db) / range;
            loudest = loudest.max(level);
            *out = level.clamp(0.0, 1.0);
        }
        if c.auto_sensitivity {
            if loudest > 1.0 {
                self.gain_db -= GAIN_DOWN_DB_PER_S * dt;
            } else if loudest > 0.1 {
                self.gain_db += GAIN_UP_DB_PER_S * dt;
            }
            self.gain_db = self.gain_db.clamp(-GAIN_RANGE_DB, GAIN_RANGE_DB);
        }
        // Attack towards a rise; accelerate downwards (gravity) towards a fall.
        let attack = 1.0 - (-dt / c.attack_s.max(1e-4)).exp();
        let gravity = 2.0 / c.fall_s.max(1e-3).powi(2);
        for ((s, v), &target) in self
            .smooth
            .iter_mut()
            .zip(&mut self.velocity)
            .zip(&self.raw)
        {
            if target >= *s {
                *s += (target - *s) * attack;
                *v = 0.0;
            } else {
                *v += gravity * dt;
                *s = (*s - *v * dt).max(target);
            }
        }
        // Neighbours rise with a peak; peaks themselves never drop.
        let levels = &mut self.out.levels;
        levels.copy_from_slice(&self.smooth);
        if c.neighbour > 0.0 {
            for (i, &height) in self.smooth.iter().enumerate() {
                let (left, right) = levels.split_at_mut(i);
                let sides: [&mut dyn Iterator<Item = &mut f32>; 2] =
                    [&mut right[1..].iter_mut(), &mut left.iter_mut().rev()];
                for side in sides {
                    let mut lift = height * c.neighbour;
                    for l in side {
                        if lift <= c.idle_floor {
                            break;
                        }
                        *l = l.max(lift);
                        lift *= c.neighbour;
                    }
                }
            }
        }
        for l in levels.iter_mut() {
            *l = l.clamp(c.idle_floor, 1.0);
        }
        // Ghosts: catch every new peak, hold, then fall.
        for ((g, age), &l) in self
            .ghosts
            .iter_mut()
            .zip(&mut self.ghost_age)
            .zip(levels.iter())
        {
            if l >= *g {
                *g = l;
                *age = 0.0;
            } else {
                *age += dt;
                if *age > c.ghost_hold_s {
                    *g = (*g - c.ghost_fall * dt).max(l);
                    if *g <= l {
                        // Resting on the bar again: the next fall of the bar starts a new hold.
                        *age = 0.0;
                    }
                }
            }
        }
        self.out.ghosts.copy_from_slice(&self.ghosts);
        &self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: f32 = 48_000.0;
    const TICK: f32 = 1.0 / 60.0;

    fn samples_per_tick() -> usize {
        (RATE * TICK).round() as usize
    }

    /// `ticks` ticks of a sine of `hz` at `amplitude`; the last tick's bars.
    fn run_sine(a: &mut Analyzer, hz: f32, amplitude: f32, ticks: usize, phase: &mut f32) -> Bars {
        let n = samples_per_tick();
        let mut out = Bars::default();
        for _ in 0..ticks {
            let block: Vec<f32> = (0..n)
                .map(|_| {
                    *phase += std::f32::consts::TAU * hz / RATE;
                    amplitude * phase.sin()
                })
                .collect();
            a.push(&block);
            out = a.tick(TICK).clone();
        }
        out
    }

    fn argmax(v: &[f32]) -> usize {
        v.iter()
            .enumerate()
            .fold((0, f32::MIN), |m, (i, &x)| if x > m.1 { (i, x) } else { m })
            .0
    }

    #[test]
    fn a_sine_peaks_in_the_band_that_holds_its_frequency() {
        for hz in [60.0, 110.0, 440.0, 1000.0, 3150.0, 8000.0] {
            let mut a = Analyzer::new(AnalyzerConfig::default()).unwrap();
            let bars = run_sine(&mut a, hz, 0.5, 30, &mut 0.0);
            let want = a.layout().bar_of(hz).unwrap();
            assert_eq!(argmax(&bars.levels), want, "{hz} Hz: {:?}", bars.levels);
            assert!(
                bars.levels[want] > 0.5,
                "{hz} Hz is loud: {}",
                bars.levels[want]
            );
        }
    }

    #[test]
    fn silence_gives_the_idle_floor() {
        let c = AnalyzerConfig::default();
        let mut a = Analyzer::new(c.clone()).unwrap();
        let bars = run_sine(&mut a, 1000.0, 0.0, 20, &mut 0.0);
        assert!(bars.levels.iter().all(|&l| l == c.idle_floor), "{bars:?}");
        assert!(bars.ghosts.iter().all(|&g| g == c.idle_floor));
    }

    #[test]
    fn a_burst_rises_within_one_tick_and_falls_within_the_configured_time() {
        let c = AnalyzerConfig {
            auto_sensitivity: false,
            ..AnalyzerConfig::default()
        };
        let mut a = Analyzer::new(c.clone()).unwrap();
        // One tick of deterministic white noise (an LCG), then silence.
        let mut x: u32 = 12345;
        let burst: Vec<f32> = (0..samples_per_tick())
            .map(|_| {
                x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (x >> 8) as f32 / (1u32 << 24) as f32 - 0.5
            })
            .collect();
        a.push(&burst);
        let first = a.tick(TICK).levels.clone();
        let peak = first.iter().copied().fold(0.0, f32::max);
        assert!(peak > 0.3, "the burst shows in the same tick: {first:?}");
        // The burst stays inside the long window for long_len samples; after that the bars
        // fall under gravity and reach the floor within fall_s.
        let window_s = c.fft_lens.1 as f32 / RATE;
        let silence = vec![0.0; samples_per_tick()];
        let mut t = 0.0;
        let mut halfway = None;
        let mut floored = None;
        while t < window_s + c.fall_s + 0.5 {
            a.push(&silence);
            let levels = &a.tick(TICK).levels;
            t += TICK;
            let top = levels.iter().copied().fold(0.0, f32::max);
            if halfway.is_none() && t >= window_s + c.fall_s * 0.25 {
                halfway = Some(top);
            }
            if floored.is_none() && top <= c.idle_floor {
                floored = Some(t);
            }
        }
        assert!(
            halfway.unwrap() > c.idle_floor,
            "still falling a quarter of the way through"
        );
        let floored = floored.expect("the bars reach the floor");
        assert!(
            floored <= window_s + c.fall_s + 2.0 * TICK,
            "fell in {floored} s, allowed {}",
            window_s + c.fall_s
        );
    }

    #[test]
    fn a_sweep_moves_the_peak_monotonically_across_the_bands() {
        let mut peaks = Vec::new();
        let mut phase = 0.0;
        let mut a = Analyzer::new(AnalyzerConfig::default()).unwrap();
        // 60 Hz to 9 kHz in 40 log steps, a few ticks each, one continuous analyzer.
        for step in 0..40 {
            let hz = 60.0 * (9000.0f32 / 60.0).powf(step as f32 / 39.0);
            let bars = run_sine(&mut a, hz, 0.5, 12, &mut phase);
            peaks.push(argmax(&bars.levels));
        }
        assert!(peaks.windows(2).all(|w| w[0] <= w[1]), "{peaks:?}");
        assert!(peaks[0] <= 2 && peaks[39] >= 60, "{peaks:?}");
    }

    #[test]
    fn motion_does_not_depend_on_the_tick_rate() {
        let at = |rate: f32| {
            let mut a = Analyzer::new(AnalyzerConfig {
                auto_sensitivity: false,
                ..AnalyzerConfig::default()
            })
            .unwrap();
            let n = (RATE / rate).round() as usize;
            let mut phase = 0.0f32;
            let mut levels = Vec::new();
            // 0.5 s of 1 kHz, then 0.3 s of silence.
            for i in 0..(0.8 * rate) as usize {
                let on = (i as f32) < 0.5 * rate;
                let block: Vec<f32> = (0..n)
                    .map(|_| {
                        phase += std::f32::consts::TAU * 1000.0 / RATE;
                        if on { 0.5 * phase.sin() } else { 0.0 }
                    })
                    .collect();
                a.push(&block);
                levels = a.tick(1.0 / rate).levels.clone();
            }
            levels[a.layout().bar_of(1000.0).unwrap()]
        };
        let (l60, l120) = (at(60.0), at(120.0));
        assert!((l60 - l120).abs() < 0.08, "60 Hz {l60} vs 120 Hz {l120}");
    }

    #[test]
    fn ghosts_hold_then_fall_and_neighbours_rise_without_lowering_the_peak() {
        let c = AnalyzerConfig {
            auto_sensitivity: false,
            ..AnalyzerConfig::default()
        };
        let mut a = Analyzer::new(c.clone()).unwrap();
        // -26 dBFS: well inside the level range, so nothing is clipped at 1.
        let bars = run_sine(&mut a, 1000.0, 0.05, 30, &mut 0.0);
        let at = a.layout().bar_of(1000.0).unwrap();
        let peak = bars.levels[at];
        assert!(bars.levels[at + 1] >= peak * c.neighbour * 0.99);
        assert!(bars.levels[at + 1] < peak && bars.levels[at - 1] < peak);
        // The cap sits on the highest the bar has been (it wobbles by a fraction).
        let ghost = bars.ghosts[at];
        assert!(ghost >= peak && ghost - peak < 0.02, "{ghost} vs {peak}");
        // Louder for a moment: the bar is still rising at the end, the cap rides on it.
        let loud = run_sine(&mut a, 1000.0, 0.1, 3, &mut 0.0);
        let top = loud.levels[at];
        assert!(top > peak);
        assert_eq!(loud.ghosts[at], top);
        // Silence: the cap stays for the hold time while the bar falls, then falls too.
        let silence = run_sine(&mut a, 1000.0, 0.0, 24, &mut 0.0);
        assert_eq!(silence.ghosts[at], top, "held for {} s", c.ghost_hold_s);
        assert!(silence.levels[at] < peak);
        let later = run_sine(&mut a, 1000.0, 0.0, 12, &mut 0.0);
        assert!(later.ghosts[at] < top, "falls after the hold");
    }

    #[test]
    fn auto_sensitivity_brings_a_loud_signal_under_the_top_and_non_finite_input_is_silence() {
        let mut a = Analyzer::new(AnalyzerConfig::default()).unwrap();
        let at = a.layout().bar_of(1000.0).unwrap();
        let first = run_sine(&mut a, 1000.0, 1.0, 10, &mut 0.0);
        assert!(
            first.levels[at] > 0.99,
            "full scale reaches the top at first"
        );
        let later = run_sine(&mut a, 1000.0, 1.0, 400, &mut 0.0);
        assert!(
            later.levels[at] < 1.0 && later.levels[at] > 0.8,
            "{}",
            later.levels[at]
        );
        let mut b = Analyzer::new(AnalyzerConfig::default()).unwrap();
        b.push(&[f32::NAN, f32::INFINITY, f32::NEG_INFINITY]);
        let bars = b.tick(TICK);
        assert!(bars.levels.iter().all(|l| l.is_finite()));
    }
}
