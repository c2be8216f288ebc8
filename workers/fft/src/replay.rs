//! A whole source through the analysis at a fixed tick, as the worker would run it in real time
//! but as fast as the CPU allows: the replay goldens and the benchmarks use it.

use crate::FftError;
use crate::analyzer::{Analyzer, AnalyzerConfig};
use crate::wav::WavSource;

/// Plays `seconds` of `source` through an analyzer made from `config` (its sample rate taken
/// from the source) at `tick_hz`, and returns every tick's bar levels.
pub fn replay(
    source: &mut WavSource,
    config: AnalyzerConfig,
    tick_hz: u32,
    seconds: f32,
) -> Result<Vec<Vec<f32>>, FftError> {
    let rate = source.sample_rate();
    let mut analyzer = Analyzer::new(AnalyzerConfig {
        sample_rate: rate,
        ..config
    })?;
    let dt = 1.0 / tick_hz.max(1) as f32;
    let ticks = (seconds * tick_hz as f32).round() as usize;
    let mut owed = 0.0f64;
    let mut out = Vec::with_capacity(ticks);
    for _ in 0..ticks {
        // Whole samples per tick, carrying the fraction, as the worker's clock does.
        owed += f64::from(rate) / f64::from(tick_hz.max(1));
        let n = owed.floor() as usize;
        owed -= n as f64;
        source.take(n, |s| analyzer.push(s));
        out.push(analyzer.tick(dt).levels.clone());
    }
    Ok(out)
}
