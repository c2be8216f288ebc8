//! Replay goldens: deterministic fixtures (silence, kicks at 120 BPM, a sweep, pink noise) are
//! written as 16-bit WAV files, read back through the `--audio-file` source and analysed at
//! 60 Hz with the default settings (32 bars). Each run's bars, ten rows a second, must match
//! `tests/golden/<fixture>.txt` to within [`TOLERANCE`]; a change that moves them must update
//! the files deliberately (`IDLEWILD_BLESS=1 cargo test -p idlewild-fft --test replay`).
//!
//! Goldens alone would let a broken analysis be blessed, so each fixture also asserts what it
//! must look like: silence stays on the idle floor, kicks pulse the bass twice a second, the
//! sweep's peak moves up the bands, pink noise comes out about level across the spectrum.

use std::f32::consts::TAU;
use std::path::{Path, PathBuf};

use idlewild_fft::replay::replay;
use idlewild_fft::wav::write_mono16;
use idlewild_fft::{AnalyzerConfig, WavSource};

const RATE: u32 = 48_000;
const SECONDS: f32 = 4.0;
const TICK_HZ: u32 = 60;
/// Rows kept per second (every sixth tick).
const ROWS_PER_S: usize = 10;
/// Largest difference from a golden value: the values are stored with two decimals, and FFT
/// code paths (SIMD widths) may round the last bits differently on other CPUs.
const TOLERANCE: f32 = 0.02;
const BARS: usize = 32;

fn config() -> AnalyzerConfig {
    AnalyzerConfig {
        bars: BARS,
        ..AnalyzerConfig::default()
    }
}

/// A deterministic pseudo-random source in -1..1 (an LCG; the same on every machine).
struct Lcg(u32);

impl Lcg {
    fn next(&mut self) -> f32 {
        self.0 = self.0.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        (self.0 >> 8) as f32 / (1u32 << 23) as f32 - 1.0
    }
}

fn fixture(name: &str) -> Vec<f32> {
    let n = (SECONDS * RATE as f32) as usize;
    let t = |i: usize| i as f32 / RATE as f32;
    match name {
        "silence" => vec![0.0; n],
        // A kick every 0.5 s: a 55 Hz thump with a fast pitch drop and a 120 ms decay.
        "kicks" => (0..n)
            .map(|i| {
                let since = t(i) % 0.5;
                let hz = 55.0 + 60.0 * (-since / 0.02).exp();
                0.8 * (TAU * hz * since).sin() * (-since / 0.12).exp()
            })
            .collect(),
        // A logarithmic sweep from 50 Hz to 10 kHz over the whole file.
        "sweep" => {
            let k = (10_000.0f32 / 50.0).ln() / SECONDS;
            (0..n)
                .map(|i| 0.5 * (TAU * 50.0 * ((k * t(i)).exp() - 1.0) / k).sin())
                .collect()
        }
        // Pink noise (Paul Kellet's economy filter over white noise).
        "pink" => {
            let mut rng = Lcg(2024);
            let (mut b0, mut b1, mut b2) = (0.0f32, 0.0f32, 0.0f32);
            (0..n)
                .map(|_| {
                    let white = rng.next();
                    b0 = 0.99765 * b0 + white * 0.099_046;
                    b1 = 0.96300 * b1 + white * 0.296_516_4;
                    b2 = 0.57000 * b2 + white * 1.052_691_3;
                    0.12 * (b0 + b1 + b2 + white * 0.1848)
                })
                .collect()
        }
        other => panic!("no fixture {other}"),
    }
}

/// The fixture through the file source and the analysis: the bars of every tick.
fn ticks(name: &str) -> Vec<Vec<f32>> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(format!("{name}.wav"));
    write_mono16(&path, RATE, fixture(name)).expect("fixture written");
    let mut source = WavSource::open(&path).expect("read back");
    replay(&mut source, config(), TICK_HZ, SECONDS).expect("replay")
}

/// The rows kept for the goldens: one per 1/10 s.
fn rows_of(ticks: &[Vec<f32>]) -> Vec<Vec<f32>> {
    let step = TICK_HZ as usize / ROWS_PER_S;
    ticks.iter().skip(step - 1).step_by(step).cloned().collect()
}

fn rows(name: &str) -> Vec<Vec<f32>> {
    rows_of(&ticks(name))
}

fn golden_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{name}.txt"))
}

fn format_rows(rows: &[Vec<f32>]) -> String {
    rows.iter()
        .map(|r| {
            r.iter()
                .map(|v| format!("{v:.2}"))
                .collect::<Vec<_>>()
                .join(" ")
                + "\n"
        })
        .collect()
}

/// Compares with the golden file (or rewrites it under `IDLEWILD_BLESS=1`).
fn check_golden(name: &str, rows: &[Vec<f32>]) {
    let path = golden_path(name);
    if std::env::var_os("IDLEWILD_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, format_rows(rows)).unwrap();
        eprintln!("blessed {}", path.display());
        return;
    }
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run with IDLEWILD_BLESS=1 to create it",
            path.display()
        )
    });
    let golden: Vec<Vec<f32>> = text
        .lines()
        .map(|l| l.split(' ').map(|v| v.parse().expect("a number")).collect())
        .collect();
    assert_eq!(golden.len(), rows.len(), "{name}: row count");
    for (i, (want, got)) in golden.iter().zip(rows).enumerate() {
        assert_eq!(want.len(), got.len(), "{name} row {i}: bar count");
        for (bar, (w, g)) in want.iter().zip(got).enumerate() {
            assert!(
                (w - g).abs() <= TOLERANCE,
                "{name} at {:.1} s, bar {bar}: golden {w}, now {g} (IDLEWILD_BLESS=1 updates \
                 the goldens if the change is meant)",
                (i + 1) as f32 / ROWS_PER_S as f32
            );
        }
    }
}

fn argmax(v: &[f32]) -> usize {
    v.iter()
        .enumerate()
        .fold((0, f32::MIN), |m, (i, &x)| if x > m.1 { (i, x) } else { m })
        .0
}

#[test]
fn silence_stays_on_the_idle_floor() {
    let rows = rows("silence");
    let floor = config().idle_floor;
    assert!(rows.iter().flatten().all(|&v| v == floor));
    check_golden("silence", &rows);
}

#[test]
fn kicks_pulse_the_bass_twice_a_second() {
    let ticks = ticks("kicks");
    // The lowest bars, per tick: a pulse every 30 ticks, high after a kick, low before the next.
    let bass: Vec<f32> = ticks
        .iter()
        .map(|t| t[..3].iter().sum::<f32>() / 3.0)
        .collect();
    for kick in 1..7 {
        let at = kick * 30;
        let after = bass[at + 2..at + 8].iter().copied().fold(0.0, f32::max);
        let before = bass[at - 3];
        assert!(
            after > before + 0.2,
            "kick {kick}: bass {before} before, {after} after"
        );
    }
    // Kicks have no treble to speak of.
    let treble: f32 = ticks
        .iter()
        .map(|t| t[BARS - 4..].iter().sum::<f32>())
        .sum();
    let low: f32 = ticks.iter().map(|t| t[..4].iter().sum::<f32>()).sum();
    assert!(treble < low / 3.0, "treble {treble} vs bass {low}");
    check_golden("kicks", &rows_of(&ticks));
}

#[test]
fn the_sweep_moves_the_peak_up_the_bands() {
    let rows = rows("sweep");
    let peaks: Vec<usize> = rows.iter().map(|r| argmax(r)).collect();
    // Allow one step back (a peak between two bands flickers), never more.
    assert!(peaks.windows(2).all(|w| w[1] + 1 >= w[0]), "{peaks:?}");
    assert!(
        peaks[1] <= 3 && *peaks.last().unwrap() >= BARS - 3,
        "{peaks:?}"
    );
    check_golden("sweep", &rows);
}

#[test]
fn pink_noise_is_about_level_across_the_spectrum() {
    let rows = rows("pink");
    // After the first second (auto-sensitivity settling), the mean of the low, middle and
    // high thirds: pink noise falls 3 dB an octave, the tilt adds 3 dB an octave back.
    let third = BARS / 3;
    let mean = |range: std::ops::Range<usize>| {
        let settled = &rows[ROWS_PER_S..];
        settled
            .iter()
            .map(|r| r[range.clone()].iter().sum::<f32>())
            .sum::<f32>()
            / (settled.len() * range.len()) as f32
    };
    let (low, mid, high) = (
        mean(0..third),
        mean(third..2 * third),
        mean(2 * third..BARS),
    );
    eprintln!("pink noise: low {low:.2}, middle {mid:.2}, high {high:.2}");
    for (a, b) in [(low, mid), (mid, high), (low, high)] {
        assert!((a - b).abs() < 0.25, "low {low}, middle {mid}, high {high}");
    }
    assert!(mid > 0.3, "noise shows: {mid}");
    check_golden("pink", &rows);
}
