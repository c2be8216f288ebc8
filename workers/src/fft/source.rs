//! Where the fft role's samples come from: the loopback capture or a WAV file played in real
//! time, behind one interface that the tick loop polls.
//!
//! Both hand over only the samples that are due (a file is paced by the clock, as if it were
//! playing), and neither ever hands over a backlog longer than [`MAX_BACKLOG_S`]: after a
//! stall the analysis continues from the newest sound instead of replaying the past.

use super::capture::{Capture, CaptureConfig, CaptureStatus};
use idlewild_fft::wav::WavSource;
use idlewild_protocol::message::fft::{AudioSource, SourceState};
use std::path::Path;

/// The most audio handed over in one poll, in seconds; anything older is dropped.
pub const MAX_BACKLOG_S: f64 = 0.5;

/// Samples handed over by one [`Source::poll`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Polled {
    /// Mono samples appended.
    pub frames: usize,
    /// Their sample rate.
    pub sample_rate: u32,
    /// Monotonic ns when the newest of them arrived (capture) or was due (file).
    pub newest_ns: u64,
}

/// A WAV file paced by the clock.
pub struct FilePlayer {
    wav: WavSource,
    started_ns: u64,
    played: u64,
}

impl FilePlayer {
    /// Plays `wav` from `now_ns` on.
    pub fn new(wav: WavSource, now_ns: u64) -> FilePlayer {
        FilePlayer {
            wav,
            started_ns: now_ns,
            played: 0,
        }
    }

    /// Appends the samples due by `now_ns` to `out` (at most [`MAX_BACKLOG_S`] of them; older
    /// due samples are skipped over, unread).
    pub fn poll(&mut self, now_ns: u64, out: &mut Vec<f32>) -> Option<Polled> {
        let rate = u64::from(self.wav.sample_rate());
        let due =
            u128::from(now_ns.saturating_sub(self.started_ns)) * u128::from(rate) / 1_000_000_000;
        let due = u64::try_from(due).unwrap_or(u64::MAX);
        let mut owed = due.saturating_sub(self.played);
        if owed == 0 {
            return None;
        }
        let cap = (MAX_BACKLOG_S * rate as f64) as u64;
        if owed > cap {
            self.wav.take((owed - cap) as usize, |_| {});
            self.played += owed - cap;
            owed = cap;
        }
        self.wav.take(owed as usize, |s| out.extend_from_slice(s));
        self.played += owed;
        Some(Polled {
            frames: owed as usize,
            sample_rate: self.wav.sample_rate(),
            newest_ns: now_ns,
        })
    }
}

/// The active source.
pub enum Source {
    /// The default output's loopback.
    Loopback(Capture),
    /// A file.
    File(FilePlayer, SourceState),
    /// A file that could not be opened.
    Broken(SourceState),
}

impl Source {
    /// Opens `what` (a capture starts in the background and reports its state later).
    pub fn open(what: &AudioSource, now_ns: u64) -> Source {
        match what {
            AudioSource::Loopback => Source::Loopback(Capture::start(CaptureConfig::default())),
            AudioSource::File(path) => match WavSource::open(path) {
                Ok(wav) => {
                    let state = SourceState::File {
                        name: file_name(path),
                        sample_rate: wav.sample_rate(),
                    };
                    Source::File(FilePlayer::new(wav, now_ns), state)
                }
                Err(e) => Source::Broken(SourceState::NoAudio {
                    reason: e.to_string(),
                }),
            },
        }
    }

    /// True when this source is what `what` asks for (so a reconfiguration keeps it running).
    pub fn serves(&self, what: &AudioSource) -> bool {
        matches!((self, what), (Source::Loopback(_), AudioSource::Loopback))
    }

    /// The state to report right after opening (the capture reports its own later).
    pub fn initial_state(&self) -> Option<SourceState> {
        match self {
            Source::Loopback(_) => None,
            Source::File(_, state) | Source::Broken(state) => Some(state.clone()),
        }
    }

    /// The capture's newest state change, if any (always `None` for files).
    pub fn state_change(&self) -> Option<SourceState> {
        let Source::Loopback(capture) = self else {
            return None;
        };
        capture
            .status()
            .try_iter()
            .last()
            .map(|status| match status {
                CaptureStatus::Capturing {
                    device,
                    sample_rate,
                } => SourceState::Device {
                    name: device,
                    sample_rate,
                },
                CaptureStatus::NoAudio { reason } => SourceState::NoAudio { reason },
            })
    }

    /// Appends what arrived (or fell due) since the last poll to `out`.
    pub fn poll(&mut self, now_ns: u64, out: &mut Vec<f32>) -> Option<Polled> {
        match self {
            Source::Loopback(capture) => {
                let start = out.len();
                let drained = capture.drain_into(out)?;
                let cap = (MAX_BACKLOG_S * f64::from(drained.sample_rate)) as usize;
                let got = out.len() - start;
                if got > cap {
                    out.drain(start..start + (got - cap));
                }
                Some(Polled {
                    frames: got.min(cap),
                    sample_rate: drained.sample_rate,
                    newest_ns: drained.newest_ns,
                })
            }
            Source::File(player, _) => player.poll(now_ns, out),
            Source::Broken(_) => None,
        }
    }
}

/// The last component of `path`, for display.
fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    fn wav(rate: u32, seconds: u32) -> (tempfile::TempDir, WavSource) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ramp.wav");
        // Sample i is (i % 1000) / 32768 once read back (exact in 16 bits).
        let ramp = (0..rate * seconds).map(|i| (i % 1000) as f32 / 32767.0);
        idlewild_fft::wav::write_mono16(&path, rate, ramp).unwrap();
        let source = WavSource::open(&path).unwrap();
        (dir, source)
    }

    #[test]
    fn a_file_plays_in_real_time_and_never_hands_over_a_backlog() {
        let (_dir, source) = wav(8000, 3);
        let mut player = FilePlayer::new(source, 1000 * MS);
        let mut out = Vec::new();
        assert_eq!(player.poll(1000 * MS, &mut out), None, "nothing due yet");
        // 10 ms at 8 kHz is 80 samples; the next poll continues exactly where this one ended.
        let p = player.poll(1010 * MS, &mut out).unwrap();
        assert_eq!(
            (p.frames, p.sample_rate, p.newest_ns),
            (80, 8000, 1010 * MS)
        );
        let p = player.poll(1025 * MS, &mut out).unwrap();
        assert_eq!(p.frames, 120);
        let scale = 1.0 / 32768.0;
        assert!(
            out.iter()
                .enumerate()
                .all(|(i, &s)| (s - (i % 1000) as f32 * scale).abs() < 1e-6),
            "contiguous"
        );
        // Two seconds stalled: only the newest half second is handed over, and it is the
        // audio that is due now, not what was due when the stall began.
        out.clear();
        let p = player.poll(3025 * MS, &mut out).unwrap();
        assert_eq!(p.frames, 4000);
        // The newest sample due is number 16199 of the 3 s (24000-sample) file.
        let newest = (3025 - 1000) * 8 - 1;
        assert!((out[3999] - (newest % 1000) as f32 * scale).abs() < 1e-6);
    }

    #[test]
    fn a_missing_file_is_no_audio_with_its_reason() {
        let source = Source::open(&AudioSource::File("/nonexistent/x.wav".into()), 0);
        match source.initial_state() {
            Some(SourceState::NoAudio { reason }) => {
                assert!(reason.contains("/nonexistent/x.wav"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
        assert!(!source.serves(&AudioSource::Loopback));
    }
}
