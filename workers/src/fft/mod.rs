//! The fft role: audio from the loopback device (or a WAV file), analysed on a fixed cadence,
//! bars and ghosts published into the stream ring every tick.
//!
//! One thread does everything after start-up (the capture has its own callback thread): wait
//! for the next deadline or a message, take the samples that arrived, run the analysis once,
//! write one [`idlewild_protocol::spectrum`] record into the ring. No message per tick: the
//! render loop reads the ring itself. Messages only report configuration answers and source
//! changes ([`FftResponse`]).
//!
//! - [`ticker`]: the fixed cadence (missed deadlines skipped, never replayed).
//! - [`source`]: loopback capture or a file paced in real time, one poll interface.
//! - [`capture`]: the loopback capture itself (cpal).

pub mod capture;
pub mod source;
pub mod ticker;

use crate::runtime::{Inbound, Worker, WorkerError};
use idlewild_fft::analyzer::{Analyzer, AnalyzerConfig};
use idlewild_fft::bands::{Layout, arrange};
use idlewild_protocol::clock::mono_ns;
use idlewild_protocol::message::fft::{
    BarOrder, FftConfig, FftRequest, FftResponse, MAX_BARS, MIN_BARS, SourceState,
};
use idlewild_protocol::message::{Envelope, FromWorker, ToWorker};
use idlewild_protocol::shm::{StreamWriter, WriteMeta};
use idlewild_protocol::spectrum::{SpectrumFlags, SpectrumHeader, encode_into, record_len};
use source::Source;
use std::time::Duration;
use ticker::Ticker;

/// With no packet for this long, the loopback is taken to be silent (it sends nothing while
/// nothing plays) and the analysis is fed silence for the time that passed.
const NO_PACKETS_NS: u64 = 100_000_000;
/// How often a worker without audio looks at its inbox and its source.
const IDLE_POLL: Duration = Duration::from_millis(100);

/// What a configuration turns into for a given sample rate.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// The analysis configuration.
    pub analyzer: AnalyzerConfig,
    /// Screen order of the analysed bands.
    pub layout: Layout,
    /// Bars on screen (centre-out shows each band twice).
    pub bars: usize,
}

/// Checks `config` and plans the analysis for `sample_rate`. The upper cut-off is lowered to
/// 45 % of the sample rate when the device cannot carry it; centre-out analyses half the bars
/// (at least 8 bands, so at least 16 bars).
pub fn plan(config: &FftConfig, sample_rate: u32) -> Result<Plan, String> {
    if !(MIN_BARS..=MAX_BARS).contains(&config.bars) {
        return Err(format!(
            "{} bars is not between {MIN_BARS} and {MAX_BARS}",
            config.bars
        ));
    }
    if !(10..20_000).contains(&config.low_hz) || config.high_hz <= config.low_hz {
        return Err(format!(
            "cut-offs {}–{} Hz are not an ascending range from 10 Hz",
            config.low_hz, config.high_hz
        ));
    }
    if !(10..=240).contains(&config.tick_hz) {
        return Err(format!(
            "{} ticks per second is not 10 to 240",
            config.tick_hz
        ));
    }
    if !(50..=10_000).contains(&config.fall_ms) {
        return Err(format!(
            "a fall of {} ms is not 50 to 10000",
            config.fall_ms
        ));
    }
    if !(-120..=-10).contains(&config.floor_db) {
        return Err(format!(
            "a floor of {} dB is not -120 to -10",
            config.floor_db
        ));
    }
    let nyquist_ish = sample_rate as f32 * 0.45;
    let high = (config.high_hz as f32).min(nyquist_ish);
    if high <= config.low_hz as f32 * 1.5 {
        return Err(format!(
            "{} Hz audio cannot show {}–{} Hz",
            sample_rate, config.low_hz, config.high_hz
        ));
    }
    let (layout, bands) = match config.order {
        BarOrder::LeftToRight => (Layout::LeftToRight, usize::from(config.bars)),
        BarOrder::CentreOut => (
            Layout::CentreOut,
            usize::from(config.bars.div_ceil(2)).max(usize::from(MIN_BARS)),
        ),
    };
    let analyzer = AnalyzerConfig {
        sample_rate,
        bars: bands,
        cutoffs: (config.low_hz as f32, high),
        fall_s: config.fall_ms as f32 / 1000.0,
        floor_db: f32::from(config.floor_db),
        auto_sensitivity: config.auto_sensitivity,
        ..AnalyzerConfig::default()
    };
    let bars = match layout {
        Layout::LeftToRight => bands,
        Layout::CentreOut => bands * 2,
    };
    Ok(Plan {
        analyzer,
        layout,
        bars,
    })
}

/// One configuration at work: its source, its analysis and what it publishes. The fft role
/// drives it from its tick loop; `idlewild bench visualizer` drives the very same code on an
/// in-process thread to measure what the process boundary costs.
pub struct Pipeline {
    config: FftConfig,
    generation: u64,
    source: Source,
    state: Option<SourceState>,
    analysis: Option<(Analyzer, Plan)>,
    /// A sample rate the configuration could not be planned for (logged once).
    failed_rate: Option<u32>,
    ticker: Ticker,
    tick: u64,
    missed: u64,
    last_packet_ns: u64,
    silent_ns: u64,
    samples: Vec<f32>,
    levels: Vec<f32>,
    ghosts: Vec<f32>,
}

/// The fft role's main loop.
pub fn run(w: &mut Worker) -> Result<(), WorkerError> {
    let mut writer: Option<StreamWriter> = None;
    let mut running: Option<Pipeline> = None;
    loop {
        let wait = match &running {
            Some(r) if r.has_audio() => Duration::from_nanos(r.ticker.wait_ns(mono_ns())),
            _ if running.is_some() => IDLE_POLL,
            _ => Duration::from_secs(3600),
        };
        match w.inbox().recv_timeout(wait) {
            Ok(Inbound::Attach(regions)) => {
                writer = regions.stream.map(StreamWriter::new).transpose()?;
            }
            Ok(Inbound::Shutdown) => return Ok(()),
            Ok(Inbound::Request(env)) => configure(w, &env, &mut running)?,
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => return Ok(()),
        }
        let Some(r) = running.as_mut() else { continue };
        if let Some(state) = r.source.state_change()
            && r.state.as_ref() != Some(&state)
        {
            match &state {
                SourceState::NoAudio { reason } => tracing::warn!("fft: no audio: {reason}"),
                other => tracing::info!("fft: listening to {}", other.describe()),
            }
            r.state = Some(state.clone());
            w.outbox()
                .notify(FromWorker::Fft(FftResponse::Source(state)))?;
        }
        let now = mono_ns();
        if !r.has_audio() {
            // Nothing to analyse: no deadline is due, so none is missed.
            r.ticker.restart(now);
            continue;
        }
        if let Some(fired) = r.ticker.fire(now) {
            r.missed += fired.skipped;
            if let Some(writer) = writer.as_mut() {
                r.tick(writer, now, fired.dt_ns)?;
            }
        }
    }
}

/// Handles a request: a new configuration replaces the old one (keeping a running capture).
fn configure(
    w: &Worker,
    env: &Envelope<ToWorker>,
    running: &mut Option<Pipeline>,
) -> Result<(), WorkerError> {
    let ToWorker::Fft(FftRequest::Configure(config)) = &env.body else {
        return Ok(());
    };
    // Check against a typical rate now; the real rate re-plans when audio arrives.
    let planned = match plan(config, 48_000) {
        Ok(planned) => planned,
        Err(reason) => {
            tracing::warn!("fft: configuration refused: {reason}");
            let body = FromWorker::Fft(FftResponse::Refused { reason });
            return Ok(w.outbox().reply(env, body, 0)?);
        }
    };
    let now = mono_ns();
    let previous = running.take();
    let (source, state) = match previous {
        Some(prev) if prev.source.serves(&config.source) => (prev.source, prev.state),
        _ => {
            let source = Source::open(&config.source, now);
            let state = source.initial_state();
            if let Some(state) = &state {
                w.outbox()
                    .notify(FromWorker::Fft(FftResponse::Source(state.clone())))?;
            }
            (source, state)
        }
    };
    *running = Some(Pipeline::new(config, env.generation, source, state, now));
    let bars = u16::try_from(planned.bars).unwrap_or(MAX_BARS);
    let body = FromWorker::Fft(FftResponse::Configured { bars });
    Ok(w.outbox().reply(env, body, 0)?)
}

impl Pipeline {
    /// A pipeline for `config` (spectra tagged `generation`) over `source`, whose last reported
    /// state is `state`; its first deadline is a period after `now`.
    pub fn new(
        config: &FftConfig,
        generation: u64,
        source: Source,
        state: Option<SourceState>,
        now: u64,
    ) -> Pipeline {
        let period = 1_000_000_000 / u64::from(config.tick_hz.max(1));
        Pipeline {
            config: config.clone(),
            generation,
            source,
            state,
            analysis: None,
            failed_rate: None,
            ticker: Ticker::new(period, now),
            tick: 0,
            missed: 0,
            last_packet_ns: now,
            silent_ns: 0,
            samples: Vec::with_capacity(48_000),
            levels: Vec::with_capacity(usize::from(MAX_BARS)),
            ghosts: Vec::with_capacity(usize::from(MAX_BARS)),
        }
    }

    /// The cadence.
    pub fn ticker(&mut self) -> &mut Ticker {
        &mut self.ticker
    }

    /// True when the source can deliver (a file, or a capture that is not in "no audio").
    pub fn has_audio(&self) -> bool {
        match &self.source {
            Source::Broken(_) => false,
            Source::File(..) => true,
            Source::Loopback(_) => matches!(self.state, Some(SourceState::Device { .. })),
        }
    }

    /// One analysis tick `dt_ns` after the previous one: take the new samples, analyse,
    /// publish one record.
    pub fn tick(
        &mut self,
        writer: &mut StreamWriter,
        now: u64,
        dt_ns: u64,
    ) -> Result<(), WorkerError> {
        if !self.has_audio() {
            return Ok(());
        }
        self.samples.clear();
        let polled = self.source.poll(now, &mut self.samples);
        let mut flags = match self.source {
            Source::File(..) => SpectrumFlags::FILE,
            _ => SpectrumFlags::default(),
        };
        let (rate, capture_ns) = match polled {
            Some(p) => {
                self.last_packet_ns = now;
                (p.sample_rate, p.newest_ns)
            }
            None => {
                let rate = self
                    .analysis
                    .as_ref()
                    .map_or(48_000, |(a, _)| a.config().sample_rate);
                (rate, now)
            }
        };
        if self
            .analysis
            .as_ref()
            .is_none_or(|(a, _)| a.config().sample_rate != rate)
        {
            // A rate this configuration cannot show is said once, not every tick.
            let made = plan(&self.config, rate).and_then(|plan| {
                Analyzer::new(plan.analyzer.clone())
                    .map(|analyzer| (analyzer, plan))
                    .map_err(|e| e.to_string())
            });
            match made {
                Ok(analysis) => {
                    self.analysis = Some(analysis);
                    self.failed_rate = None;
                }
                Err(reason) => {
                    if self.failed_rate != Some(rate) {
                        tracing::warn!("fft: cannot analyse {rate} Hz audio: {reason}");
                        self.failed_rate = Some(rate);
                    }
                    return Ok(());
                }
            }
        }
        let Some((analyzer, plan)) = self.analysis.as_mut() else {
            return Ok(());
        };
        if polled.is_none() && now.saturating_sub(self.last_packet_ns) >= NO_PACKETS_NS {
            // The loopback is quiet because nothing plays: feed the silence that passed.
            flags = flags | SpectrumFlags::NO_PACKETS;
            let n = (dt_ns as f64 * f64::from(rate) / 1e9) as usize;
            self.samples.resize(n.min(rate as usize / 2), 0.0);
        }
        analyzer.push(&self.samples);
        let threshold = 10f32.powf(f32::from(self.config.floor_db) / 20.0);
        let loud = self.samples.iter().any(|s| s.abs() > threshold);
        self.silent_ns = if loud { 0 } else { self.silent_ns + dt_ns };
        let bars = analyzer.tick(dt_ns as f32 / 1e9);
        self.levels.clear();
        self.ghosts.clear();
        match plan.layout {
            Layout::LeftToRight => {
                self.levels.extend_from_slice(&bars.levels);
                self.ghosts.extend_from_slice(&bars.ghosts);
            }
            Layout::CentreOut => {
                self.levels.extend(arrange(&bars.levels, plan.layout));
                self.ghosts.extend(arrange(&bars.ghosts, plan.layout));
            }
        }
        self.tick += 1;
        let header = SpectrumHeader {
            flags,
            tick: self.tick,
            capture_ns,
            silent_ms: u32::try_from(self.silent_ns / 1_000_000).unwrap_or(u32::MAX),
            missed: u32::try_from(self.missed).unwrap_or(u32::MAX),
        };
        let len = record_len(self.levels.len());
        let (levels, ghosts) = (&self.levels, &self.ghosts);
        writer.publish_with(
            WriteMeta::bytes(self.generation, len as u32),
            false,
            |out| {
                // The shapes were built above to match `len`, so encoding cannot fail.
                let _ = encode_into(out, &header, levels, ghosts);
            },
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use idlewild_protocol::WorkerKind;
    use idlewild_protocol::message::fft::AudioSource;
    use idlewild_protocol::shm::{LayoutParams, SharedRegion, StreamReader};
    use idlewild_protocol::spectrum::{MAX_RECORD_LEN, decode_into};
    use std::sync::Arc;

    /// Plays `seconds` of a 48 kHz WAV whose samples are `sample(i)` through a [`Pipeline`] on
    /// a fake 60 Hz clock, and returns the last record's header and levels.
    fn play(sample: impl Fn(u32) -> i16, seconds: u32) -> (SpectrumHeader, Vec<f32>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.wav");
        let samples = (0..48_000 * seconds).map(|i| sample(i) as f32 / 32767.0);
        idlewild_fft::wav::write_mono16(&path, 48_000, samples).unwrap();
        let params = LayoutParams::stream(WorkerKind::Fft, 1, 8, MAX_RECORD_LEN as u64);
        let region = Arc::new(SharedRegion::create(params).unwrap());
        let mut writer = StreamWriter::new(Arc::clone(&region)).unwrap();
        let mut reader = StreamReader::new(region).unwrap();
        let config = FftConfig {
            source: AudioSource::File(path),
            ..FftConfig::default()
        };
        let t0 = 1_000_000_000;
        let mut pipeline = Pipeline::new(&config, 7, Source::open(&config.source, t0), None, t0);
        let period = 1_000_000_000 / 60;
        for k in 1..=u64::from(seconds) * 60 {
            pipeline.tick(&mut writer, t0 + k * period, period).unwrap();
        }
        let mut buf = Vec::new();
        let meta = reader.latest_into(&mut buf).unwrap().expect("a record");
        assert_eq!(
            meta.generation, 7,
            "tagged with the configuration's generation"
        );
        let (mut levels, mut ghosts) = (Vec::new(), Vec::new());
        let header = decode_into(&buf, &mut levels, &mut ghosts).unwrap();
        assert_eq!(header.tick, u64::from(seconds) * 60);
        assert!(header.flags.contains(SpectrumFlags::FILE));
        (header, levels)
    }

    #[test]
    fn silence_is_counted_in_each_record_and_sound_resets_it() {
        let (quiet, levels) = play(|_| 0, 2);
        assert!(
            (1950..=2000).contains(&quiet.silent_ms),
            "two seconds of a silent file: {} ms",
            quiet.silent_ms
        );
        assert!(
            levels.iter().all(|&l| l <= 0.02),
            "the idle floor: {levels:?}"
        );
        let tone = |i: u32| ((i as f32 * 0.1309).sin() * 16_000.0) as i16;
        let (loud, levels) = play(tone, 1);
        assert_eq!(loud.silent_ms, 0);
        assert!(
            levels.iter().any(|&l| l > 0.5),
            "a 1 kHz tone shows: {levels:?}"
        );
    }

    #[test]
    fn plans_follow_the_configuration_and_refuse_what_cannot_be_shown() {
        let base = FftConfig::default();
        let p = plan(&base, 48_000).unwrap();
        assert_eq!((p.bars, p.analyzer.bars), (64, 64));
        assert_eq!(p.analyzer.cutoffs, (50.0, 10_000.0));
        assert_eq!(p.analyzer.fall_s, 0.6);
        // Centre-out: half the bands, each shown twice; odd counts round up; never < 8 bands.
        let centre = |bars| FftConfig {
            bars,
            order: BarOrder::CentreOut,
            ..base.clone()
        };
        for (bars, bands, shown) in [(64, 32, 64), (33, 17, 34), (8, 8, 16), (96, 48, 96)] {
            let p = plan(&centre(bars), 48_000).unwrap();
            assert_eq!((p.analyzer.bars, p.bars), (bands, shown), "{bars}");
            assert_eq!(p.layout, Layout::CentreOut);
        }
        // A low sample rate lowers the top cut-off.
        let p = plan(&base, 16_000).unwrap();
        assert_eq!(p.analyzer.cutoffs.1, 7200.0);
        let refused = [
            FftConfig {
                bars: 7,
                ..base.clone()
            },
            FftConfig {
                bars: 97,
                ..base.clone()
            },
            FftConfig {
                low_hz: 5,
                ..base.clone()
            },
            FftConfig {
                low_hz: 900,
                high_hz: 800,
                ..base.clone()
            },
            FftConfig {
                tick_hz: 5,
                ..base.clone()
            },
            FftConfig {
                fall_ms: 20,
                ..base.clone()
            },
            FftConfig {
                floor_db: 0,
                ..base.clone()
            },
        ];
        for config in refused {
            assert!(plan(&config, 48_000).is_err(), "{config:?}");
        }
        let tiny = FftConfig {
            low_hz: 3000,
            ..base.clone()
        };
        assert!(
            plan(&tiny, 8000).is_err(),
            "3 kHz and up cannot be shown at 8 kHz"
        );
    }
}
