//! The fft worker as a real process under the real supervisor: a WAV file played in real time
//! through the analysis, every spectrum read straight from the worker's stream ring as the
//! render loop reads it (no message per tick).

// These tests signal real processes: Linux only.
#![cfg(target_os = "linux")]

mod common;

use common::*;
use idlewild::supervisor::{Supervisor, WorkerSpec, region_plan};
use idlewild_fft::bands::BandLayout;
use idlewild_fft::wav::write_mono16;
use idlewild_protocol::WorkerKind;
use idlewild_protocol::message::fft::{
    AudioSource, BarOrder, FftConfig, FftRequest, FftResponse, SourceState,
};
use idlewild_protocol::message::{FromWorker, ToWorker};
use idlewild_protocol::shm::StreamReader;
use idlewild_protocol::spectrum::{SpectrumHeader, decode_into};
use idlewild_settings::Settings;
use std::path::Path;
use std::time::{Duration, Instant};

/// A mono 16-bit sine of `hz` at half scale.
fn write_sine(path: &Path, hz: f32, seconds: u32, rate: u32) {
    let samples = (0..rate * seconds)
        .map(|i| (std::f32::consts::TAU * hz * i as f32 / rate as f32).sin() * 0.5);
    write_mono16(path, rate, samples).expect("wav written");
}

fn supervisor() -> Supervisor {
    let mut config = config();
    config.workers = vec![WorkerSpec {
        kind: WorkerKind::Fft,
        regions: region_plan(WorkerKind::Fft, &Settings::default()),
    }];
    Supervisor::start(config).expect("supervisor starts")
}

fn configure(sup: &Supervisor, config: FftConfig, generation: u64) {
    let body = ToWorker::Fft(FftRequest::Configure(config));
    sup.request(WorkerKind::Fft, body, generation)
        .expect("request queued");
}

/// Waits for an fft answer that `want` accepts, failing after 10 s.
fn answer(sup: &Supervisor, mut want: impl FnMut(&FftResponse) -> bool) -> FftResponse {
    let end = Instant::now() + Duration::from_secs(10);
    while Instant::now() < end {
        match sup.poll(WorkerKind::Fft) {
            Some(env) => {
                if let FromWorker::Fft(r) = env.body
                    && want(&r)
                {
                    return r;
                }
            }
            None => std::thread::sleep(Duration::from_millis(5)),
        }
    }
    panic!("no such fft answer within 10 s");
}

struct Spectrum {
    generation: u64,
    committed_ns: u64,
    header: SpectrumHeader,
    levels: Vec<f32>,
}

/// Every spectrum a per-frame reader would see in `span` (polling every 2 ms).
fn read_for(reader: &mut StreamReader, span: Duration) -> Vec<Spectrum> {
    let mut out = Vec::new();
    let mut buf = Vec::new();
    let (mut levels, mut ghosts) = (Vec::new(), Vec::new());
    let end = Instant::now() + span;
    while Instant::now() < end {
        match reader.latest_into(&mut buf) {
            Ok(Some(meta)) => {
                let header = decode_into(&buf, &mut levels, &mut ghosts)
                    .expect("every committed record decodes");
                assert_eq!(levels.len(), ghosts.len());
                assert!(
                    ghosts.iter().zip(&levels).all(|(g, l)| g + 1e-6 >= *l),
                    "ghost caps are never below their bars"
                );
                out.push(Spectrum {
                    generation: meta.generation,
                    committed_ns: meta.timestamp_ns,
                    header,
                    levels: levels.clone(),
                });
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(2)),
            Err(e) => panic!("a healthy worker's record was refused: {e}"),
        }
    }
    out
}

fn peak(levels: &[f32]) -> usize {
    levels
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, _)| i)
        .unwrap_or(0)
}

#[test]
fn a_file_plays_through_the_worker_into_the_ring_and_survives_a_kill() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("sine-1k.wav");
    write_sine(&wav, 1000.0, 4, 48_000);
    let sup = supervisor();
    let first = started(&sup);
    let mut reader = first
        .readers
        .stream
        .expect("the fft worker has a stream ring");
    let config = FftConfig {
        source: AudioSource::File(wav.clone()),
        ..FftConfig::default()
    };
    configure(&sup, config.clone(), 1);
    let source = answer(&sup, |r| matches!(r, FftResponse::Source(_)));
    assert_eq!(
        source,
        FftResponse::Source(SourceState::File {
            name: "sine-1k.wav".into(),
            sample_rate: 48_000
        })
    );
    answer(&sup, |r| *r == FftResponse::Configured { bars: 64 });

    // Let the long FFT fill, then watch 1.5 s of spectra.
    read_for(&mut reader, Duration::from_millis(500));
    let seen = read_for(&mut reader, Duration::from_millis(1500));
    assert!(
        seen.len() >= 30,
        "60 spectra a second are published; a 2 ms poller saw {} in 1.5 s",
        seen.len()
    );
    let layout = BandLayout::new(64, (50.0, 10_000.0), 48_000, (2048, 8192), 400.0).unwrap();
    let band = layout.bar_of(1000.0).expect("1 kHz is shown");
    for (i, s) in seen.iter().enumerate() {
        assert_eq!(
            s.generation, 1,
            "tagged with the configuration's generation"
        );
        assert_eq!(s.levels.len(), 64);
        assert_eq!(
            peak(&s.levels),
            band,
            "spectrum {i} peaks in the 1 kHz band"
        );
        assert!(
            s.header.capture_ns <= s.committed_ns,
            "captured before committed"
        );
        if i > 0 {
            assert!(
                s.header.tick > seen[i - 1].header.tick,
                "ticks only go forward"
            );
        }
    }
    let ticks = seen.last().unwrap().header.tick - seen[0].header.tick;
    assert!(
        (40..=100).contains(&ticks),
        "about 90 ticks in 1.5 s at 60 Hz, got {ticks}"
    );
    let drops = reader.stats().drops_gap;
    println!(
        "{} spectra read, {ticks} ticks, {drops} skipped by the latest-only reader",
        seen.len()
    );

    // A new configuration: centre-out with 32 bars, each band shown twice around the middle.
    let centre = FftConfig {
        bars: 32,
        order: BarOrder::CentreOut,
        ..config.clone()
    };
    configure(&sup, centre, 2);
    answer(&sup, |r| *r == FftResponse::Configured { bars: 32 });
    read_for(&mut reader, Duration::from_millis(500));
    let seen: Vec<Spectrum> = read_for(&mut reader, Duration::from_millis(500))
        .into_iter()
        .filter(|s| s.generation == 2)
        .collect();
    assert!(!seen.is_empty(), "the new generation is published");
    let half = BandLayout::new(16, (50.0, 10_000.0), 48_000, (2048, 8192), 400.0).unwrap();
    let b = half.bar_of(1000.0).unwrap();
    for s in &seen {
        assert_eq!(s.levels.len(), 32);
        let p = peak(&s.levels);
        assert!(
            p == 15 - b || p == 16 + b,
            "mirrored 1 kHz peak, got bar {p}"
        );
        assert_eq!(s.levels[15 - b], s.levels[16 + b], "both halves agree");
    }

    // Killed: the supervisor starts a new epoch with a fresh ring; configured again, it
    // publishes again.
    signal(first.pid, libc::SIGKILL);
    let (_reason, restart) = exited(&sup);
    assert!(restart.is_some(), "a crashed fft worker is restarted");
    let second = started(&sup);
    assert!(second.epoch > first.epoch);
    let mut reader = second.readers.stream.expect("a new ring");
    configure(&sup, config, 3);
    answer(&sup, |r| *r == FftResponse::Configured { bars: 64 });
    read_for(&mut reader, Duration::from_millis(500));
    let seen = read_for(&mut reader, Duration::from_millis(300));
    assert!(!seen.is_empty(), "the restarted worker publishes");
    assert!(
        seen.iter()
            .all(|s| s.generation == 3 && peak(&s.levels) == band)
    );
    sup.shutdown();
}

#[test]
fn a_missing_file_is_reported_once_and_nothing_is_published() {
    let sup = supervisor();
    let first = started(&sup);
    let mut reader = first.readers.stream.expect("ring");
    let config = FftConfig {
        source: AudioSource::File("/nonexistent/song.wav".into()),
        ..FftConfig::default()
    };
    configure(&sup, config, 1);
    let FftResponse::Source(SourceState::NoAudio { reason }) =
        answer(&sup, |r| matches!(r, FftResponse::Source(_)))
    else {
        panic!("a missing file is no audio");
    };
    assert!(reason.contains("/nonexistent/song.wav"), "{reason}");
    std::thread::sleep(Duration::from_millis(300));
    while let Some(env) = sup.poll(WorkerKind::Fft) {
        assert!(
            !matches!(env.body, FromWorker::Fft(FftResponse::Source(_))),
            "the source state is reported once: {:?}",
            env.body
        );
    }
    assert!(
        read_for(&mut reader, Duration::from_millis(300)).is_empty(),
        "no spectra without audio"
    );
    // Refused settings keep the worker alive and say why.
    let bad = FftConfig {
        bars: 200,
        ..FftConfig::default()
    };
    configure(&sup, bad, 2);
    let FftResponse::Refused { reason } =
        answer(&sup, |r| matches!(r, FftResponse::Refused { .. }))
    else {
        unreachable!()
    };
    assert!(reason.contains("200 bars"), "{reason}");
    assert!(alive(first.pid));
    sup.shutdown();
}

/// `idlewild supervise` reads the fft worker as the render loop does and says what it hears:
/// with `visualizer.audio_file` set to a 1 kHz tone, a status line names the file and the
/// 1 kHz band as the loudest bar.
#[test]
fn supervise_reports_what_the_fft_worker_hears() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("tone.wav");
    write_sine(&wav, 1000.0, 4, 48_000);
    let settings = dir.path().join("settings.toml");
    let set = |key: &str, value: &str| {
        let out = exe_command()
            .arg("--settings")
            .arg(&settings)
            .args(["settings", "set", key, value])
            .output()
            .expect("idlewild settings set runs");
        assert!(out.status.success(), "{key}: {out:?}");
    };
    set("workers.image.enabled", "false");
    set("visualizer.audio_file", wav.to_str().unwrap());
    let out = exe_command()
        .arg("--settings")
        .arg(&settings)
        .args(["supervise", "--for", "3", "--status-every", "1"])
        .env("XDG_STATE_HOME", dir.path())
        .output()
        .expect("idlewild supervise runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    let layout = BandLayout::new(64, (50.0, 10_000.0), 48_000, (2048, 8192), 400.0).unwrap();
    let band = layout.bar_of(1000.0).unwrap();
    let heard = text.lines().any(|l| {
        l.starts_with("status fft")
            && l.contains(&format!("peak_bar={band} at "))
            && l.contains("tone.wav (48000 Hz)")
    });
    assert!(
        heard,
        "no status line hears the tone in bar {band}:\n{text}"
    );
}
