//! Idlewild's audio analysis: PCM in, spectrum bars out, deterministic and free of I/O so the
//! fft worker, the benchmarks and the tests run exactly the same code.
//!
//! - [`bands`]: the bar layout: log-spaced band edges between two cut-offs, and which FFT bins
//!   each bar reads (the low bars from a long FFT for bass resolution, the rest from a short
//!   one for latency).
//! - [`analyzer`]: [`Analyzer`], which keeps the newest samples, and on each tick windows them
//!   (Hann), runs both real FFTs, turns band magnitudes into levels (treble tilt, noise floor,
//!   auto-sensitivity) and smooths them over time (attack, gravity fall-off, neighbour
//!   smoothing) with peak "ghost" caps that hold and then fall. Every time constant is in
//!   seconds, so the result does not depend on the tick rate.
//! - [`arrange`]: left-to-right or centre-out (bass in the middle) order of the bars.
//! - [`wav`]: the `--audio-file` source, a WAV file as looping mono samples.
//! - [`replay`]: a whole source through the analysis at a fixed tick, for goldens and benches.

pub mod analyzer;
pub mod bands;
pub mod replay;
pub mod wav;

pub use analyzer::{Analyzer, AnalyzerConfig, Bars};
pub use bands::{BandLayout, Layout, arrange};
pub use wav::WavSource;

/// Why an analysis configuration cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FftError {
    /// The bar count is outside 8..=96.
    #[error("bar count {0} is outside 8 to 96")]
    Bars(usize),
    /// The cut-offs are not `0 < low < high <= sample_rate / 2`.
    #[error(
        "band cut-offs {low} Hz to {high} Hz do not fit between 0 and the Nyquist frequency \
         {nyquist} Hz"
    )]
    Cutoffs {
        /// Lower cut-off.
        low: f32,
        /// Upper cut-off.
        high: f32,
        /// Half the sample rate.
        nyquist: f32,
    },
    /// The sample rate is below 8 kHz or above 384 kHz.
    #[error("sample rate {0} Hz is outside 8000 to 384000")]
    SampleRate(u32),
    /// An audio source cannot be used (unreadable or malformed file, no device).
    #[error("{0}")]
    Audio(String),
}
