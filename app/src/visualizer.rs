//! The UI side of the fft worker: its configuration from settings, and a client that reads the
//! newest spectrum straight from the worker's stream ring once per frame and decides how visible
//! the bars are.
//!
//! **Boundary:** no audio, no FFT and no waiting here. The client sends one `Configure` per
//! worker epoch through the supervisor (never blocking), polls the fft mailbox for source
//! changes, and calls [`StreamReader::latest_into`] (a seqlock copy of under 1 KiB) each frame.
//!
//! **Fading:** the bars fade in while fresh spectra arrive and fade out when none has arrived
//! for [`STALE`] (the worker died, hangs or has no audio) or the source has been silent for the
//! configured time; they come back by themselves when a restarted worker publishes again. The
//! decision is the pure [`Visibility::step`], table-tested below.

use crate::shell::condition::Condition;
use crate::supervisor::{RequestError, Supervisor};
use idlewild_protocol::WorkerKind;
use idlewild_protocol::message::fft::{
    AudioSource, BarOrder, FftConfig, FftRequest, FftResponse, SourceState,
};
use idlewild_protocol::message::{FromWorker, ToWorker};
use idlewild_protocol::shm::StreamReader;
use idlewild_protocol::spectrum::decode_into;
use idlewild_renderer::visualizer::{BarsStyle, PaletteId, Placement, VisualizerModeId};
use idlewild_settings::Settings;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// With no new spectrum for this long the worker counts as gone and the bars fade out.
pub const STALE: Duration = Duration::from_millis(400);
/// Time for the bars to fade fully in.
pub const FADE_IN: Duration = Duration::from_millis(300);
/// Time for the bars to fade fully out.
pub const FADE_OUT: Duration = Duration::from_millis(1200);
/// Latency samples kept between two metrics records (a 10 s period at 120 Hz is 1200).
const MAX_LATENCIES: usize = 2048;

/// The fft worker's configuration from settings; `audio_file` (from `--audio-file`) wins over
/// the setting.
pub fn fft_config(settings: &Settings, audio_file: Option<&PathBuf>) -> FftConfig {
    let v = &settings.visualizer;
    let file = audio_file
        .cloned()
        .or_else(|| (!v.audio_file.is_empty()).then(|| PathBuf::from(&v.audio_file)));
    FftConfig {
        source: file.map_or(AudioSource::Loopback, AudioSource::File),
        bars: v.bars,
        low_hz: v.low_hz,
        high_hz: v.high_hz,
        order: match v.order.as_str() {
            "centre_out" => BarOrder::CentreOut,
            _ => BarOrder::LeftToRight,
        },
        tick_hz: v.tick_hz,
        fall_ms: v.fall_ms,
        floor_db: v.floor_db,
        auto_sensitivity: v.auto_sensitivity,
    }
}

/// How the renderer draws the bars, from settings.
pub fn bars_style(settings: &Settings) -> BarsStyle {
    let v = &settings.visualizer;
    let pct = |p: u8| f32::from(p) / 100.0;
    BarsStyle {
        mode: VisualizerModeId::by_id(&v.mode).unwrap_or(VisualizerModeId::BARS),
        placement: match v.placement.as_str() {
            "top" => Placement::Top,
            "centre" => Placement::Centre,
            _ => Placement::Bottom,
        },
        height: pct(v.height_pct),
        width: pct(v.width_pct),
        gap: pct(v.gap_pct),
        palette: PaletteId::by_id(&v.palette).unwrap_or_default(),
        ghost_opacity: pct(v.ghost_opacity_pct),
        opacity: pct(v.opacity_pct),
    }
}

/// How visible the bars are: a fade level that follows freshness and silence.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Visibility {
    /// 0 (hidden) ..= 1 (fully shown).
    pub fade: f32,
}

impl Visibility {
    /// Moves the fade `dt` towards shown when a spectrum arrived within [`STALE`] (`age`) and
    /// the source has not been silent for `hide_after`; towards hidden otherwise.
    pub fn step(
        &mut self,
        dt: Duration,
        age: Option<Duration>,
        silent: Duration,
        hide_after: Duration,
    ) {
        let shown = age.is_some_and(|a| a < STALE) && silent < hide_after;
        let (span, sign) = if shown {
            (FADE_IN, 1.0)
        } else {
            (FADE_OUT, -1.0)
        };
        let delta = dt.as_secs_f32() / span.as_secs_f32();
        self.fade = (self.fade + sign * delta).clamp(0.0, 1.0);
    }
}

/// Counters for the `--metrics` visualizer record.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VisualizerStats {
    /// The worker epoch whose ring is read (0: none yet).
    pub epoch: u64,
    /// The newest tick number read.
    pub ticks: u64,
    /// Spectra the reader skipped or lost (ring gaps, overtaken reads, refused records).
    pub drops: u64,
    /// Analysis deadlines the worker missed.
    pub missed: u32,
    /// What the worker listens to.
    pub source: String,
    /// Capture-to-read latencies of the spectra read since the last take.
    pub latencies: Vec<Duration>,
}

/// What the render loop draws this frame.
pub struct BarsFrame<'a> {
    /// Bar heights, screen order.
    pub levels: &'a [f32],
    /// Ghost caps.
    pub ghosts: &'a [f32],
    /// Overall visibility.
    pub fade: f32,
}

/// The render loop's end of the fft worker.
pub struct VisualizerClient {
    config: FftConfig,
    style: BarsStyle,
    hide_after: Duration,
    reader: Option<StreamReader>,
    /// Generation of the configuration sent to the current epoch (0: not sent yet).
    generation: u64,
    configure_pending: bool,
    buf: Vec<u8>,
    levels: Vec<f32>,
    ghosts: Vec<f32>,
    /// The next spectrum, decoded here before it replaces `levels` / `ghosts`.
    next_levels: Vec<f32>,
    next_ghosts: Vec<f32>,
    newest_at: Option<Instant>,
    silent: Duration,
    visibility: Visibility,
    last_step: Option<Instant>,
    stats: VisualizerStats,
    refused: Option<String>,
    /// Spectra that cannot be read or decoded (logged when it begins and ends, not per frame).
    unreadable: Condition,
}

impl VisualizerClient {
    /// A client for `config`, drawing with `style`; the bars hide after `hide_after` of silence.
    pub fn new(config: FftConfig, style: BarsStyle, hide_after: Duration) -> VisualizerClient {
        VisualizerClient {
            config,
            style,
            hide_after,
            reader: None,
            generation: 0,
            configure_pending: false,
            buf: Vec::with_capacity(1024),
            levels: Vec::new(),
            ghosts: Vec::new(),
            next_levels: Vec::new(),
            next_ghosts: Vec::new(),
            newest_at: None,
            silent: Duration::ZERO,
            visibility: Visibility { fade: 0.0 },
            last_step: None,
            stats: VisualizerStats::default(),
            refused: None,
            unreadable: Condition::default(),
        }
    }

    /// From settings (`None` when the visualizer is off).
    pub fn from_settings(settings: &Settings, audio_file: Option<&PathBuf>) -> Option<Self> {
        settings.visualizer.enabled.then(|| {
            Self::new(
                fft_config(settings, audio_file),
                bars_style(settings),
                Duration::from_secs(u64::from(settings.visualizer.hide_after_s)),
            )
        })
    }

    /// The drawing style.
    pub fn style(&self) -> &BarsStyle {
        &self.style
    }

    /// A new worker epoch started: read its ring and configure it.
    pub fn attach(&mut self, supervisor: &Supervisor, reader: Option<StreamReader>, epoch: u64) {
        self.reader = reader;
        self.stats.epoch = epoch;
        self.configure_pending = true;
        self.send_config(supervisor);
    }

    /// The worker ended: its ring is gone; the bars fade out from what was last shown.
    pub fn detach(&mut self) {
        // Its losses were counted frame by frame in `sample`.
        self.reader = None;
    }

    fn send_config(&mut self, supervisor: &Supervisor) {
        if !self.configure_pending {
            return;
        }
        let body = ToWorker::Fft(FftRequest::Configure(self.config.clone()));
        match supervisor.request(WorkerKind::Fft, body, self.generation + 1) {
            Ok(_) => {
                self.generation += 1;
                self.configure_pending = false;
            }
            // Not running yet or the queue is full: tried again next frame.
            Err(RequestError::NotRunning(_) | RequestError::Busy) => {}
            Err(e @ RequestError::Unknown(_)) => {
                tracing::debug!("visualizer: {e}");
                self.configure_pending = false;
            }
        }
    }

    /// Handles the worker's answers and notices (source changes, refusals).
    pub fn answers(&mut self, supervisor: &Supervisor) {
        self.send_config(supervisor);
        while let Some(env) = supervisor.poll(WorkerKind::Fft) {
            match env.body {
                FromWorker::Fft(FftResponse::Source(state)) => {
                    match &state {
                        SourceState::NoAudio { reason } => {
                            tracing::info!("visualizer: no audio ({reason}); bars hidden")
                        }
                        other => tracing::info!("visualizer: listening to {}", other.describe()),
                    }
                    self.stats.source = state.describe();
                }
                FromWorker::Fft(FftResponse::Refused { reason }) => {
                    if self.refused.as_deref() != Some(&reason) {
                        tracing::warn!("visualizer: the fft worker refused its settings: {reason}");
                    }
                    self.refused = Some(reason);
                }
                FromWorker::Error { message } => tracing::warn!("fft worker: {message}"),
                _ => {}
            }
        }
    }

    /// Reads the newest spectrum (if a new one was published) and steps the fade. Returns what
    /// to draw (`None` when the bars are fully hidden) and whether it differs from the previous
    /// frame, so a hidden visualizer, or one whose bars stand still, costs no redraw.
    pub fn sample(&mut self, now: Instant) -> (Option<BarsFrame<'_>>, bool) {
        let mut moved = false;
        if let Some(reader) = self.reader.as_mut() {
            let before = reader.stats();
            match reader.latest_into(&mut self.buf) {
                Ok(Some(meta)) if meta.generation == self.generation => {
                    // Decoded aside, so a refused record leaves the bars on screen as they were.
                    match decode_into(&self.buf, &mut self.next_levels, &mut self.next_ghosts) {
                        Ok(header) => {
                            if let Some(n) = self.unreadable.clear() {
                                tracing::debug!("visualizer: spectra read again after {n} failed");
                            }
                            self.newest_at = Some(now);
                            self.silent = Duration::from_millis(u64::from(header.silent_ms));
                            self.stats.ticks = header.tick;
                            self.stats.missed = header.missed;
                            // Bounded: without `--metrics` nobody takes them.
                            if self.stats.latencies.len() < MAX_LATENCIES {
                                let read_ns = idlewild_protocol::clock::mono_ns();
                                self.stats.latencies.push(Duration::from_nanos(
                                    read_ns.saturating_sub(header.capture_ns),
                                ));
                            }
                            moved =
                                self.next_levels != self.levels || self.next_ghosts != self.ghosts;
                            std::mem::swap(&mut self.levels, &mut self.next_levels);
                            std::mem::swap(&mut self.ghosts, &mut self.next_ghosts);
                        }
                        Err(e) => {
                            if self.unreadable.hit() {
                                tracing::debug!("visualizer: a spectrum was refused: {e}");
                            }
                            self.stats.drops += 1;
                        }
                    }
                }
                // An older configuration's spectrum (bar count may differ): not drawn.
                Ok(Some(_)) | Ok(None) => {}
                Err(e) => {
                    if self.unreadable.hit() {
                        tracing::debug!("visualizer: spectrum read failed: {e}");
                    }
                }
            }
            // Skipped, overtaken and refused reads alike are spectra that never reached the
            // screen.
            let after = reader.stats();
            let lost = |s: idlewild_protocol::shm::ReaderStats| {
                s.drops_gap + s.drops_late + s.rejected + s.stale + s.checksum_failures
            };
            self.stats.drops += lost(after) - lost(before);
        }
        let dt = self
            .last_step
            .map_or(Duration::ZERO, |t| now.saturating_duration_since(t));
        self.last_step = Some(now);
        let before = self.visibility.fade;
        let age = self.newest_at.map(|t| now.saturating_duration_since(t));
        self.visibility.step(dt, age, self.silent, self.hide_after);
        let fade = self.visibility.fade;
        let changed = fade != before || (moved && fade > 0.0);
        if fade <= 0.0 || self.levels.is_empty() {
            return (None, changed);
        }
        let frame = BarsFrame {
            levels: &self.levels,
            ghosts: &self.ghosts,
            fade,
        };
        (Some(frame), changed)
    }

    /// The metrics record's numbers (latencies are taken and reset).
    pub fn take_stats(&mut self) -> (VisualizerStats, Vec<f32>, f32) {
        let latencies = std::mem::take(&mut self.stats.latencies);
        let stats = VisualizerStats {
            latencies,
            ..self.stats.clone()
        };
        (stats, self.levels.clone(), self.visibility.fade)
    }

    /// The configured bar order.
    pub fn order(&self) -> BarOrder {
        self.config.order
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn bars_fade_in_with_fresh_spectra_and_out_when_stale_or_silent() {
        let hide = Duration::from_secs(10);
        let mut v = Visibility { fade: 0.0 };
        // (dt, age of newest spectrum, silence, fade afterwards)
        let table = [
            (MS(0), None, MS(0), 0.0),
            (MS(100), Some(MS(10)), MS(0), 1.0 / 3.0),
            (MS(100), Some(MS(10)), MS(0), 2.0 / 3.0),
            (MS(200), Some(MS(10)), MS(0), 1.0),
            // The worker stopped publishing: fine for a while, then fade out over 1.2 s.
            (MS(300), Some(MS(300)), MS(0), 1.0),
            (MS(600), Some(MS(900)), MS(0), 0.5),
            // A restarted worker publishes again: back up.
            (MS(150), Some(MS(5)), MS(0), 1.0),
            // Silent past the limit: fade out, and stay out.
            (MS(600), Some(MS(5)), MS(10_000), 0.5),
            (MS(1200), Some(MS(5)), MS(11_000), 0.0),
            (MS(100), Some(MS(5)), MS(12_000), 0.0),
            // No spectrum ever (no audio): hidden.
            (MS(100), None, MS(0), 0.0),
        ];
        for (i, (dt, age, silent, want)) in table.into_iter().enumerate() {
            v.step(dt, age, silent, hide);
            assert!(
                (v.fade - want).abs() < 1e-4,
                "row {i}: {} vs {want}",
                v.fade
            );
        }
    }

    use idlewild_protocol::shm::{LayoutParams, SharedRegion, StreamWriter, WriteMeta};
    use idlewild_protocol::spectrum::{MAX_RECORD_LEN, SpectrumHeader, encode_into, record_len};
    use std::sync::Arc;

    /// A client reading an in-process ring (as the render loop reads the worker's), configured
    /// with generation 1, and the ring's writer.
    fn client_and_writer(hide_after: Duration) -> (VisualizerClient, StreamWriter) {
        let params = LayoutParams::stream(WorkerKind::Fft, 1, 8, MAX_RECORD_LEN as u64);
        let region = Arc::new(SharedRegion::create(params).unwrap());
        let mut client =
            VisualizerClient::new(FftConfig::default(), BarsStyle::default(), hide_after);
        client.reader = Some(StreamReader::new(Arc::clone(&region)).unwrap());
        client.generation = 1;
        (client, StreamWriter::new(region).unwrap())
    }

    fn publish(w: &mut StreamWriter, generation: u64, level: f32, silent_ms: u32) {
        let header = SpectrumHeader {
            tick: 1,
            silent_ms,
            capture_ns: idlewild_protocol::clock::mono_ns(),
            ..SpectrumHeader::default()
        };
        let len = record_len(8);
        w.publish_with(WriteMeta::bytes(generation, len as u32), false, |out| {
            encode_into(out, &header, &[level; 8], &[level; 8]).unwrap()
        })
        .unwrap();
    }

    #[test]
    fn each_frame_reads_the_newest_spectrum_and_redraws_only_for_a_change() {
        let (mut c, mut w) = client_and_writer(Duration::from_secs(10));
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let shown = |c: &mut VisualizerClient, ms| {
            let (frame, changed) = c.sample(at(ms));
            (frame.map(|f| (f.levels[0], f.fade)), changed)
        };
        assert_eq!(shown(&mut c, 0), (None, false), "nothing published yet");
        publish(&mut w, 1, 0.5, 0);
        // The first spectrum: the fade rises from 0 by the time since the last frame.
        let (frame, changed) = shown(&mut c, 10);
        assert!(changed && frame.is_some_and(|(l, f)| l == 0.5 && (f - 1.0 / 30.0).abs() < 1e-3));
        publish(&mut w, 1, 0.5, 0);
        let (frame, changed) = shown(&mut c, 110);
        assert!(changed && frame.is_some_and(|(_, f)| (f - 11.0 / 30.0).abs() < 1e-3));
        // Fully faded in, the same bars again: no redraw.
        assert!(shown(&mut c, 400).1, "the fade still moves");
        publish(&mut w, 1, 0.5, 0);
        assert_eq!(
            shown(&mut c, 420),
            (Some((0.5, 1.0)), false),
            "identical bars"
        );
        // New heights redraw; an older configuration's spectrum and a garbage record do not,
        // and leave the bars as they were.
        publish(&mut w, 1, 0.75, 0);
        assert_eq!(shown(&mut c, 440), (Some((0.75, 1.0)), true));
        publish(&mut w, 0, 0.25, 0);
        assert_eq!(shown(&mut c, 460), (Some((0.75, 1.0)), false));
        w.publish(
            WriteMeta::bytes(1, 40),
            b"not a spectrum record at all, really....",
            false,
        )
        .unwrap();
        assert_eq!(shown(&mut c, 480), (Some((0.75, 1.0)), false));
        assert_eq!(c.stats.drops, 1, "the refused record is a drop");
        // Three published between two frames: the newest is shown, two count as dropped.
        for level in [0.1, 0.2, 0.3] {
            publish(&mut w, 1, level, 0);
        }
        assert_eq!(shown(&mut c, 500), (Some((0.3, 1.0)), true));
        assert_eq!(c.stats.drops, 3);
        // Silent past `hide_after`: the bars fade out, and once hidden new heights cost nothing.
        publish(&mut w, 1, 0.4, 10_000);
        assert!(shown(&mut c, 1100).1);
        publish(&mut w, 1, 0.5, 10_500);
        assert_eq!(shown(&mut c, 1800), (None, true), "faded out");
        publish(&mut w, 1, 0.6, 11_000);
        assert_eq!(
            shown(&mut c, 1820),
            (None, false),
            "hidden bars never redraw"
        );
        // The metrics take the latencies (one per spectrum read) and start over.
        let (stats, bars, fade) = c.take_stats();
        assert_eq!((stats.latencies.len(), bars.len(), fade), (8, 8, 0.0));
        assert!(c.take_stats().0.latencies.is_empty());
    }

    #[test]
    fn latencies_are_bounded_without_metrics() {
        let (mut c, mut w) = client_and_writer(Duration::from_secs(10));
        let t0 = Instant::now();
        for i in 0..MAX_LATENCIES as u64 + 100 {
            publish(&mut w, 1, (i % 7) as f32 / 7.0, 0);
            c.sample(t0 + Duration::from_millis(i));
        }
        assert_eq!(c.stats.latencies.len(), MAX_LATENCIES);
    }

    #[test]
    fn settings_name_exactly_the_renderers_modes_palettes_and_placements() {
        let modes: Vec<&str> = VisualizerModeId::all().map(|m| m.id()).collect();
        assert_eq!(idlewild_settings::VISUALIZER_MODES, modes.as_slice());
        let palettes: Vec<&str> = PaletteId::all().map(|p| p.id()).collect();
        assert_eq!(idlewild_settings::PALETTES, palettes.as_slice());
        let placements: Vec<&str> = Placement::ALL.iter().map(|p| p.id()).collect();
        assert_eq!(idlewild_settings::PLACEMENTS, placements.as_slice());
        let orders = [BarOrder::LeftToRight.name(), BarOrder::CentreOut.name()];
        assert_eq!(idlewild_settings::ORDERS, orders.as_slice());
        // And every word maps to its own row, not a fallback.
        let mut s = Settings::default();
        for &p in idlewild_settings::PLACEMENTS {
            s.visualizer.placement = p.into();
            assert_eq!(bars_style(&s).placement.id(), p);
        }
        for &p in idlewild_settings::PALETTES {
            s.visualizer.palette = p.into();
            assert_eq!(bars_style(&s).palette.id(), p);
        }
    }

    #[test]
    fn settings_become_the_worker_configuration_and_the_style() {
        let mut s = Settings::default();
        let c = fft_config(&s, None);
        assert_eq!(c, FftConfig::default(), "the defaults agree on both sides");
        s.visualizer.audio_file = "/music/a.wav".into();
        s.visualizer.order = "centre_out".into();
        s.visualizer.bars = 32;
        let c = fft_config(&s, None);
        assert_eq!(c.source, AudioSource::File("/music/a.wav".into()));
        assert_eq!((c.order, c.bars), (BarOrder::CentreOut, 32));
        let flag = PathBuf::from("/flag.wav");
        assert_eq!(fft_config(&s, Some(&flag)).source, AudioSource::File(flag));
        s.visualizer.placement = "top".into();
        s.visualizer.height_pct = 40;
        s.visualizer.mode = "mirror".into();
        let style = bars_style(&s);
        assert_eq!(style.placement, Placement::Top);
        assert_eq!(style.height, 0.4);
        assert_eq!(style.mode.id(), "mirror");
        s.visualizer.enabled = false;
        assert!(VisualizerClient::from_settings(&s, None).is_none());
    }
}
