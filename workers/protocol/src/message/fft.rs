//! Requests and responses of the fft worker, and the plain data they carry.
//!
//! The UI sends one [`FftConfig`] (source, bars, cut-offs, layout, cadence, feel) in
//! [`FftRequest::Configure`]; its envelope's generation tags every spectrum the worker publishes
//! from then on, so the render loop can tell bars of an older configuration from current ones.
//! The bars themselves never travel here: each tick's [`crate::spectrum`] record goes into the
//! worker's stream ring, and the render loop reads the newest one straight from shared memory.
//! Messages only report what changed ([`FftResponse::Source`]).

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Fewest bars a configuration may ask for.
pub const MIN_BARS: u16 = 8;
/// Most bars a configuration may ask for (also what a stream slot is sized for).
pub const MAX_BARS: u16 = 96;

/// Where the audio comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AudioSource {
    /// What the computer is playing: the default output's loopback (PulseAudio/PipeWire monitor
    /// source on Linux, WASAPI loopback on Windows).
    Loopback,
    /// A WAV file played in real time (looping), for demos, tests and machines without a
    /// loopback device.
    File(PathBuf),
}

/// Bar order on screen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum BarOrder {
    /// Bass on the left, treble on the right.
    #[default]
    LeftToRight,
    /// Bass in the middle, treble towards both edges (mirrored).
    CentreOut,
}

impl BarOrder {
    /// The settings/metrics name.
    pub fn name(self) -> &'static str {
        match self {
            BarOrder::LeftToRight => "left_to_right",
            BarOrder::CentreOut => "centre_out",
        }
    }
}

/// Everything the fft worker needs to produce bars.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FftConfig {
    /// Where the audio comes from.
    pub source: AudioSource,
    /// Bars per tick, [`MIN_BARS`]..=[`MAX_BARS`].
    pub bars: u16,
    /// Lowest frequency shown, in Hz.
    pub low_hz: u32,
    /// Highest frequency shown, in Hz.
    pub high_hz: u32,
    /// Bar order.
    pub order: BarOrder,
    /// Analysis ticks per second.
    pub tick_hz: u16,
    /// Time for a bar to fall from full height to nothing, in milliseconds.
    pub fall_ms: u32,
    /// Levels at or below this many dB (full scale) show as empty bars; with auto-sensitivity
    /// this is the floor the sensitivity never goes under.
    pub floor_db: i16,
    /// Scale levels so loud and quiet music both fill the bars.
    pub auto_sensitivity: bool,
}

impl Default for FftConfig {
    fn default() -> Self {
        Self {
            source: AudioSource::Loopback,
            bars: 64,
            low_hz: 50,
            high_hz: 10_000,
            order: BarOrder::LeftToRight,
            tick_hz: 60,
            fall_ms: 600,
            floor_db: -70,
            auto_sensitivity: true,
        }
    }
}

/// What the worker is listening to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SourceState {
    /// Capturing the loopback of this device (its name as the system shows it).
    Device {
        /// Device name.
        name: String,
        /// Its sample rate.
        sample_rate: u32,
    },
    /// Playing this file.
    File {
        /// The file's name (not the whole path).
        name: String,
        /// Its sample rate.
        sample_rate: u32,
    },
    /// Nothing to listen to (no device, the daemon is down, the file cannot be read); the worker
    /// retries with backoff and publishes nothing meanwhile.
    NoAudio {
        /// Why, in one sentence.
        reason: String,
    },
}

impl SourceState {
    /// A short description for logs and metrics.
    pub fn describe(&self) -> String {
        match self {
            SourceState::Device { name, sample_rate } => format!("{name} ({sample_rate} Hz)"),
            SourceState::File { name, sample_rate } => format!("file {name} ({sample_rate} Hz)"),
            SourceState::NoAudio { reason } => format!("no audio: {reason}"),
        }
    }
}

/// Requests of the fft worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum FftRequest {
    /// Replace the configuration; the envelope's generation tags every spectrum from now on.
    Configure(FftConfig),
}

/// Responses and notices of the fft worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum FftResponse {
    /// The configuration was accepted (`bars` per spectrum from now on).
    Configured {
        /// Bars per spectrum.
        bars: u16,
    },
    /// The configuration was refused; the previous one stays.
    Refused {
        /// Why, in one sentence.
        reason: String,
    },
    /// The source changed (unsolicited; sent once per change).
    Source(SourceState),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip_and_stay_small() {
        let config = FftConfig {
            source: AudioSource::File("/tmp/music.wav".into()),
            order: BarOrder::CentreOut,
            ..FftConfig::default()
        };
        let bytes = postcard::to_stdvec(&FftRequest::Configure(config.clone())).unwrap();
        assert!(bytes.len() < 64, "{} bytes", bytes.len());
        let back: FftRequest = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back, FftRequest::Configure(config));
        let state = SourceState::Device {
            name: "Monitor of Null Output".into(),
            sample_rate: 48_000,
        };
        assert_eq!(state.describe(), "Monitor of Null Output (48000 Hz)");
    }
}
