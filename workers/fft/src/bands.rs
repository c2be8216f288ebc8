//! The bar layout: `bars` log-spaced bands between two cut-offs, each mapped to the FFT bins it
//! reads, and the on-screen order of the bars ([`arrange`]). Pure and table-tested.
//!
//! Low bands are narrower than a short FFT's bins (at 48 kHz a 2048-point FFT has 23 Hz bins,
//! while 64 bars from 50 Hz start about 4 Hz wide), so the bands below `split_hz` read a long
//! FFT instead (8192 points: 5.9 Hz bins); the others keep the short one, which reacts four
//! times faster. A band narrower than a bin reads the bin nearest its centre.

use crate::FftError;

/// Fewest bars.
pub const MIN_BARS: usize = 8;
/// Most bars.
pub const MAX_BARS: usize = 96;

/// Which bins one bar reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BandBins {
    /// From the long (bass) FFT, else from the short one.
    pub long: bool,
    /// First bin.
    pub first: usize,
    /// Last bin (inclusive; `first` when the band is narrower than a bin).
    pub last: usize,
}

/// Band edges and bins for one configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct BandLayout {
    /// `bars + 1` edges in Hz, rising geometrically from the low to the high cut-off.
    pub edges: Vec<f32>,
    /// Per bar, the bins it reads.
    pub bins: Vec<BandBins>,
}

impl BandLayout {
    /// The layout of `bars` bands from `low_hz` to `high_hz` at `sample_rate`, for a short FFT
    /// of `short_len` and a long one of `long_len` points; bands whose upper edge is at most
    /// `split_hz` read the long one.
    pub fn new(
        bars: usize,
        (low_hz, high_hz): (f32, f32),
        sample_rate: u32,
        (short_len, long_len): (usize, usize),
        split_hz: f32,
    ) -> Result<BandLayout, FftError> {
        if !(MIN_BARS..=MAX_BARS).contains(&bars) {
            return Err(FftError::Bars(bars));
        }
        if !(8_000..=384_000).contains(&sample_rate) {
            return Err(FftError::SampleRate(sample_rate));
        }
        let nyquist = sample_rate as f32 / 2.0;
        if !(low_hz > 0.0 && low_hz < high_hz && high_hz <= nyquist) {
            return Err(FftError::Cutoffs {
                low: low_hz,
                high: high_hz,
                nyquist,
            });
        }
        let ratio = high_hz / low_hz;
        let edges: Vec<f32> = (0..=bars)
            .map(|i| low_hz * ratio.powf(i as f32 / bars as f32))
            .collect();
        let bins = edges
            .windows(2)
            .map(|e| {
                let long = e[1] <= split_hz;
                let len = if long { long_len } else { short_len };
                let hz_per_bin = sample_rate as f32 / len as f32;
                let top = len / 2;
                // Bins whose centre frequency lies inside [low, high).
                let first = (e[0] / hz_per_bin).ceil() as usize;
                let last = ((e[1] / hz_per_bin).ceil() as usize).saturating_sub(1);
                let (first, last) = if first <= last {
                    (first, last)
                } else {
                    let centre = ((e[0] * e[1]).sqrt() / hz_per_bin).round() as usize;
                    (centre, centre)
                };
                BandBins {
                    long,
                    first: first.clamp(1, top),
                    last: last.clamp(1, top),
                }
            })
            .collect();
        Ok(BandLayout { edges, bins })
    }

    /// Number of bars.
    pub fn bars(&self) -> usize {
        self.bins.len()
    }

    /// The centre frequency of bar `i` (geometric mean of its edges), in Hz.
    pub fn centre(&self, i: usize) -> f32 {
        (self.edges[i] * self.edges[i + 1]).sqrt()
    }

    /// The bar whose band holds `hz`, if any.
    pub fn bar_of(&self, hz: f32) -> Option<usize> {
        self.edges.windows(2).position(|e| e[0] <= hz && hz < e[1])
    }
}

/// How bars are placed on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// Bass on the left, treble on the right.
    #[default]
    LeftToRight,
    /// Bass in the middle, treble towards both edges (each band shown twice, mirrored).
    CentreOut,
}

/// The bars in screen order, left to right. Centre-out mirrors them: `n` bands become `2n`
/// bars, treble at both edges.
pub fn arrange(levels: &[f32], layout: Layout) -> Vec<f32> {
    match layout {
        Layout::LeftToRight => levels.to_vec(),
        Layout::CentreOut => levels.iter().rev().chain(levels).copied().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(bars: usize) -> BandLayout {
        BandLayout::new(bars, (50.0, 10_000.0), 48_000, (2048, 8192), 400.0).unwrap()
    }

    #[test]
    fn edges_rise_geometrically_from_cut_off_to_cut_off() {
        for bars in [MIN_BARS, 32, 64, MAX_BARS] {
            let l = layout(bars);
            assert_eq!(l.edges.len(), bars + 1);
            assert!((l.edges[0] - 50.0).abs() < 1e-3);
            assert!((l.edges[bars] - 10_000.0).abs() < 0.5);
            let ratio = l.edges[1] / l.edges[0];
            for e in l.edges.windows(2) {
                assert!((e[1] / e[0] - ratio).abs() < 1e-3, "{bars}: {e:?}");
            }
        }
    }

    #[test]
    fn every_bar_reads_bins_inside_or_nearest_its_band_and_bass_reads_the_long_fft() {
        for bars in [MIN_BARS, 24, 64, MAX_BARS] {
            let l = layout(bars);
            let mut last_hz = 0.0;
            for (i, b) in l.bins.iter().enumerate() {
                let len = if b.long { 8192.0 } else { 2048.0 };
                let hz = |bin: usize| bin as f32 * 48_000.0 / len;
                assert!(b.first <= b.last, "{bars}/{i}: {b:?}");
                assert_eq!(b.long, l.edges[i + 1] <= 400.0, "{bars}/{i}");
                if b.first == b.last {
                    // A single bin: inside the band, or the one nearest its centre.
                    let off = (hz(b.first) - l.centre(i)).abs();
                    assert!(off <= 48_000.0 / len / 2.0 + 1e-3, "{bars}/{i}: {off}");
                } else {
                    assert!(hz(b.first) >= l.edges[i] - 1e-3 && hz(b.last) < l.edges[i + 1]);
                }
                // Bars never read lower frequencies than the bar before them.
                assert!(hz(b.first) >= last_hz - 48_000.0 / 2048.0, "{bars}/{i}");
                last_hz = hz(b.first);
            }
        }
    }

    #[test]
    fn bad_configurations_are_refused() {
        let bad = [
            (7, (50.0, 10_000.0), 48_000),
            (97, (50.0, 10_000.0), 48_000),
            (64, (0.0, 10_000.0), 48_000),
            (64, (500.0, 400.0), 48_000),
            (64, (50.0, 30_000.0), 48_000),
            (64, (50.0, 10_000.0), 4_000),
        ];
        for (bars, cuts, rate) in bad {
            assert!(
                BandLayout::new(bars, cuts, rate, (2048, 8192), 400.0).is_err(),
                "{bars} {cuts:?} {rate}"
            );
        }
        assert_eq!(
            BandLayout::new(7, (50.0, 1e4), 48_000, (2048, 8192), 400.0).unwrap_err(),
            FftError::Bars(7)
        );
    }

    #[test]
    fn bar_of_finds_the_band() {
        let l = layout(64);
        assert_eq!(l.bar_of(50.0), Some(0));
        assert_eq!(l.bar_of(9_999.0), Some(63));
        assert_eq!(l.bar_of(10_000.0), None);
        assert_eq!(l.bar_of(20.0), None);
        let at_1k = l.bar_of(1_000.0).unwrap();
        assert!(l.edges[at_1k] <= 1_000.0 && 1_000.0 < l.edges[at_1k + 1]);
    }

    #[test]
    fn centre_out_mirrors_bass_into_the_middle() {
        assert_eq!(
            arrange(&[1.0, 2.0, 3.0], Layout::LeftToRight),
            [1.0, 2.0, 3.0]
        );
        assert_eq!(
            arrange(&[1.0, 2.0, 3.0], Layout::CentreOut),
            [3.0, 2.0, 1.0, 1.0, 2.0, 3.0]
        );
    }
}
