//! The `--audio-file` source: a WAV file read once into mono samples, then handed out in
//! blocks that loop at the end, so a demo or a test plays it forever through the same analysis
//! as live capture. Pacing in real time is the caller's job (the worker takes as many samples
//! per tick as the wall clock says).
//!
//! Accepted: PCM 8/16/24/32-bit integer and 32-bit float, any channel count (mixed down), any
//! rate the analysis accepts. Bounded: a file of more than [`MAX_SECONDS`] is refused before its
//! samples are read, so a hostile header cannot make the worker allocate gigabytes.

use std::path::Path;

use crate::FftError;

/// Longest file accepted, in seconds of audio (10 minutes: about 115 MB of mono f32 at 48 kHz).
pub const MAX_SECONDS: u64 = 600;

/// A WAV file as looping mono samples.
#[derive(Debug, Clone)]
pub struct WavSource {
    samples: Vec<f32>,
    sample_rate: u32,
    position: usize,
    name: String,
}

impl WavSource {
    /// Reads `path`. Errors name the file and what is wrong with it.
    pub fn open(path: &Path) -> Result<WavSource, FftError> {
        let bad = |why: String| FftError::Audio(format!("{}: {why}", path.display()));
        let mut reader = hound::WavReader::open(path).map_err(|e| bad(e.to_string()))?;
        let spec = reader.spec();
        let channels = usize::from(spec.channels.max(1));
        let frames = u64::from(reader.duration());
        if spec.sample_rate == 0 || frames / u64::from(spec.sample_rate) > MAX_SECONDS {
            return Err(bad(format!(
                "{frames} frames at {} Hz is longer than {MAX_SECONDS} s",
                spec.sample_rate
            )));
        }
        let interleaved: Vec<f32> = match spec.sample_format {
            hound::SampleFormat::Float => reader
                .samples::<f32>()
                .collect::<Result<_, _>>()
                .map_err(|e| bad(e.to_string()))?,
            hound::SampleFormat::Int => {
                let scale = 1.0 / (1u64 << (spec.bits_per_sample.clamp(1, 32) - 1)) as f32;
                reader
                    .samples::<i32>()
                    .map(|s| s.map(|v| v as f32 * scale))
                    .collect::<Result<_, _>>()
                    .map_err(|e| bad(e.to_string()))?
            }
        };
        let samples: Vec<f32> = interleaved
            .chunks_exact(channels)
            .map(|f| f.iter().sum::<f32>() / channels as f32)
            .collect();
        if samples.is_empty() {
            return Err(bad("no samples".into()));
        }
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into(),
        );
        Ok(WavSource {
            samples,
            sample_rate: spec.sample_rate,
            position: 0,
            name,
        })
    }

    /// Samples per second.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// The file's name, for status lines.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Length of one pass, in samples.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Never true: an empty file is refused by [`WavSource::open`].
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// Hands the next `n` samples to `sink`, in one or more slices (the file loops).
    pub fn take(&mut self, mut n: usize, mut sink: impl FnMut(&[f32])) {
        while n > 0 {
            let end = (self.position + n).min(self.samples.len());
            sink(&self.samples[self.position..end]);
            n -= end - self.position;
            self.position = if end == self.samples.len() { 0 } else { end };
        }
    }
}

/// Writes `samples` (-1..1, clamped, rounded to 16 bits) as a mono PCM WAV at `rate`: the
/// fixtures of the file source's tests, the replay goldens and the benchmarks.
pub fn write_mono16(
    path: &Path,
    rate: u32,
    samples: impl IntoIterator<Item = f32>,
) -> Result<(), FftError> {
    let bad = |e: hound::Error| FftError::Audio(format!("{}: {e}", path.display()));
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).map_err(bad)?;
    for s in samples {
        w.write_sample((s.clamp(-1.0, 1.0) * 32767.0).round() as i16)
            .map_err(bad)?;
    }
    w.finalize().map_err(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, spec: hound::WavSpec, frames: &[Vec<i32>]) {
        let mut w = hound::WavWriter::create(path, spec).unwrap();
        for frame in frames {
            for &s in frame {
                match spec.bits_per_sample {
                    8 => w.write_sample(s as i8).unwrap(),
                    16 => w.write_sample(s as i16).unwrap(),
                    _ => w.write_sample(s).unwrap(),
                }
            }
        }
        w.finalize().unwrap();
    }

    #[test]
    fn integer_formats_are_scaled_and_mixed_down_and_the_file_loops() {
        let dir = tempfile::tempdir().unwrap();
        for bits in [8u16, 16, 24, 32] {
            let full = (1i64 << (bits - 1)) - 1;
            let half = (full / 2) as i32;
            let spec = hound::WavSpec {
                channels: 2,
                sample_rate: 44_100,
                bits_per_sample: bits,
                sample_format: hound::SampleFormat::Int,
            };
            let path = dir.path().join(format!("{bits}.wav"));
            write(
                &path,
                spec,
                &[vec![half, half], vec![half, -half], vec![0, 0]],
            );
            let mut src = WavSource::open(&path).unwrap();
            assert_eq!((src.sample_rate(), src.len()), (44_100, 3));
            let mut got = Vec::new();
            src.take(7, |s| got.extend_from_slice(s));
            assert_eq!(got.len(), 7);
            assert!((got[0] - 0.5).abs() < 0.01, "{bits}: {got:?}");
            assert_eq!(got[1], 0.0, "left and right cancel");
            assert_eq!(got[2], 0.0);
            assert_eq!(got[3], got[0], "loops");
            assert_eq!(got[6], got[0]);
        }
    }

    #[test]
    fn float_files_read_as_they_are() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.wav");
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 48_000,
            bits_per_sample: 32,
            sample_format: hound::SampleFormat::Float,
        };
        let mut w = hound::WavWriter::create(&path, spec).unwrap();
        for v in [0.25f32, -0.75, 1.0] {
            w.write_sample(v).unwrap();
        }
        w.finalize().unwrap();
        let mut src = WavSource::open(&path).unwrap();
        let mut got = Vec::new();
        src.take(3, |s| got.extend_from_slice(s));
        assert_eq!(got, [0.25, -0.75, 1.0]);
        assert_eq!(src.name(), "f.wav");
    }

    #[test]
    fn bad_files_are_refused_with_their_name() {
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("notes.wav");
        std::fs::write(&text, b"not a RIFF file at all").unwrap();
        let empty = dir.path().join("empty.wav");
        write(
            &empty,
            hound::WavSpec {
                channels: 1,
                sample_rate: 48_000,
                bits_per_sample: 16,
                sample_format: hound::SampleFormat::Int,
            },
            &[],
        );
        for path in [text, empty, dir.path().join("missing.wav")] {
            let e = WavSource::open(&path).unwrap_err().to_string();
            assert!(
                e.contains(&*path.file_name().unwrap().to_string_lossy()),
                "{e}"
            );
        }
    }
}
