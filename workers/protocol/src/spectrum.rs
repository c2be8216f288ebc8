//! The spectrum record: what the fft worker publishes into its stream ring every tick and the
//! render loop reads every frame.
//!
//! Plain little-endian bytes (stream format `Bytes`), so the layout is the same in both
//! processes whatever their compilers do:
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 4 | magic `IWSP` |
//! | 4 | 2 | bars `n` |
//! | 6 | 2 | flags ([`SpectrumFlags`]) |
//! | 8 | 8 | tick number (1, 2, … within one configuration) |
//! | 16 | 8 | capture time of the newest sample used, monotonic ns ([`crate::clock`]) |
//! | 24 | 4 | how long the source has been silent, ms (0 while sound plays) |
//! | 28 | 4 | analysis deadlines missed so far in this configuration (saturating) |
//! | 32 | 4·n | bar levels, 0..=1, in screen order |
//! | 32+4n | 4·n | ghost caps, 0..=1 |
//!
//! The generation (configuration), epoch (worker process) and sequence number come from the
//! slot header, which the reader has already checked.

use crate::message::fft::MAX_BARS;

/// Bytes before the levels.
pub const HEADER_LEN: usize = 32;
const MAGIC: [u8; 4] = *b"IWSP";

/// Size of the record for `bars` bars.
pub const fn record_len(bars: usize) -> usize {
    HEADER_LEN + bars * 8
}

/// Largest record a configuration can produce (what stream slots are sized for).
pub const MAX_RECORD_LEN: usize = record_len(MAX_BARS as usize);

/// Bit flags of a record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SpectrumFlags(pub u16);

impl SpectrumFlags {
    /// No sample arrived for this tick: the bars fall as over silence.
    pub const NO_PACKETS: SpectrumFlags = SpectrumFlags(1);
    /// The source is a file, not the loopback device.
    pub const FILE: SpectrumFlags = SpectrumFlags(1 << 1);

    /// True when every flag of `other` is set.
    pub fn contains(self, other: SpectrumFlags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for SpectrumFlags {
    type Output = SpectrumFlags;
    fn bitor(self, rhs: Self) -> Self {
        SpectrumFlags(self.0 | rhs.0)
    }
}

/// The fixed fields of a record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SpectrumHeader {
    /// Flags.
    pub flags: SpectrumFlags,
    /// Tick number within the configuration.
    pub tick: u64,
    /// Monotonic ns when the newest sample used arrived.
    pub capture_ns: u64,
    /// Milliseconds of silence so far (0 while sound plays).
    pub silent_ms: u32,
    /// Analysis deadlines the worker missed (and skipped) so far in this configuration.
    pub missed: u32,
}

/// Why bytes are not a spectrum record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SpectrumError {
    /// Shorter than a header, or shorter than its bar count needs.
    #[error("spectrum record is truncated")]
    Truncated,
    /// Not a spectrum record.
    #[error("spectrum record has the wrong magic")]
    Magic,
    /// Zero bars or more than [`MAX_BARS`].
    #[error("spectrum record has a bad bar count")]
    Bars,
    /// A non-finite value.
    #[error("spectrum record holds a value that is not a number")]
    NotFinite,
    /// The levels and ghosts given to [`encode_into`] differ in length or are too many.
    #[error("levels and ghosts must have the same length, at most {MAX_BARS}")]
    Shape,
}

/// Writes one record into `out` (exactly [`record_len`] of `levels.len()` bytes).
pub fn encode_into(
    out: &mut [u8],
    header: &SpectrumHeader,
    levels: &[f32],
    ghosts: &[f32],
) -> Result<(), SpectrumError> {
    let n = levels.len();
    if n != ghosts.len() || n == 0 || n > usize::from(MAX_BARS) {
        return Err(SpectrumError::Shape);
    }
    if out.len() != record_len(n) {
        return Err(SpectrumError::Truncated);
    }
    out[0..4].copy_from_slice(&MAGIC);
    out[4..6].copy_from_slice(&(n as u16).to_le_bytes());
    out[6..8].copy_from_slice(&header.flags.0.to_le_bytes());
    out[8..16].copy_from_slice(&header.tick.to_le_bytes());
    out[16..24].copy_from_slice(&header.capture_ns.to_le_bytes());
    out[24..28].copy_from_slice(&header.silent_ms.to_le_bytes());
    out[28..32].copy_from_slice(&header.missed.to_le_bytes());
    let values = levels.iter().chain(ghosts);
    for (chunk, v) in out[HEADER_LEN..].chunks_exact_mut(4).zip(values) {
        chunk.copy_from_slice(&v.to_le_bytes());
    }
    Ok(())
}

/// Reads a record into `levels` and `ghosts` (replacing their contents, reusing their memory).
/// Values are clamped to 0..=1; a non-finite value refuses the whole record.
pub fn decode_into(
    bytes: &[u8],
    levels: &mut Vec<f32>,
    ghosts: &mut Vec<f32>,
) -> Result<SpectrumHeader, SpectrumError> {
    if bytes.len() < HEADER_LEN {
        return Err(SpectrumError::Truncated);
    }
    if bytes[0..4] != MAGIC {
        return Err(SpectrumError::Magic);
    }
    let u16_at = |at: usize| u16::from_le_bytes([bytes[at], bytes[at + 1]]);
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap_or([0; 4]));
    let u64_at = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap_or([0; 8]));
    let n = usize::from(u16_at(4));
    if n == 0 || n > usize::from(MAX_BARS) {
        return Err(SpectrumError::Bars);
    }
    if bytes.len() < record_len(n) {
        return Err(SpectrumError::Truncated);
    }
    let header = SpectrumHeader {
        flags: SpectrumFlags(u16_at(6)),
        tick: u64_at(8),
        capture_ns: u64_at(16),
        silent_ms: u32_at(24),
        missed: u32_at(28),
    };
    let mut values = bytes[HEADER_LEN..record_len(n)]
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]));
    levels.clear();
    ghosts.clear();
    levels.extend((&mut values).take(n));
    ghosts.extend(values);
    if levels.iter().chain(ghosts.iter()).any(|v| !v.is_finite()) {
        levels.clear();
        ghosts.clear();
        return Err(SpectrumError::NotFinite);
    }
    for v in levels.iter_mut().chain(ghosts.iter_mut()) {
        *v = v.clamp(0.0, 1.0);
    }
    Ok(header)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(levels: &[f32], ghosts: &[f32]) -> (SpectrumHeader, Vec<u8>) {
        let header = SpectrumHeader {
            flags: SpectrumFlags::FILE | SpectrumFlags::NO_PACKETS,
            tick: 42,
            capture_ns: 123_456_789,
            silent_ms: 1500,
            missed: 3,
        };
        let mut out = vec![0xAA; record_len(levels.len())];
        encode_into(&mut out, &header, levels, ghosts).unwrap();
        (header, out)
    }

    #[test]
    fn records_round_trip_and_clamp() {
        let levels = [0.0, 0.5, 1.0, 1.5, -0.25, 0.125, 0.75, 0.3];
        let ghosts = [0.1, 0.6, 1.0, 1.0, 0.0, 0.2, 0.8, 0.4];
        let (header, bytes) = record(&levels, &ghosts);
        assert_eq!(bytes.len(), 32 + 64);
        let (mut l, mut g) = (vec![9.0; 3], Vec::new());
        assert_eq!(decode_into(&bytes, &mut l, &mut g), Ok(header));
        assert_eq!(l, [0.0, 0.5, 1.0, 1.0, 0.0, 0.125, 0.75, 0.3]);
        assert_eq!(g, ghosts);
        assert!(header.flags.contains(SpectrumFlags::FILE));
        assert_eq!(MAX_RECORD_LEN, 32 + 96 * 8);
    }

    #[test]
    fn bad_records_are_refused() {
        let (_, good) = record(&[0.5; 8], &[0.5; 8]);
        let (mut l, mut g) = (Vec::new(), Vec::new());
        let mut check = |bytes: &[u8], want: SpectrumError| {
            assert_eq!(decode_into(bytes, &mut l, &mut g), Err(want));
        };
        check(&good[..10], SpectrumError::Truncated);
        check(&good[..good.len() - 1], SpectrumError::Truncated);
        let mut magic = good.clone();
        magic[0] = b'X';
        check(&magic, SpectrumError::Magic);
        for bars in [0u16, 97, u16::MAX] {
            let mut b = good.clone();
            b[4..6].copy_from_slice(&bars.to_le_bytes());
            check(&b, SpectrumError::Bars);
        }
        let mut nan = good.clone();
        nan[40..44].copy_from_slice(&f32::NAN.to_le_bytes());
        check(&nan, SpectrumError::NotFinite);
        let mut out = vec![0; record_len(8)];
        let h = SpectrumHeader::default();
        assert_eq!(
            encode_into(&mut out, &h, &[0.0; 8], &[0.0; 7]),
            Err(SpectrumError::Shape)
        );
        assert_eq!(
            encode_into(&mut out, &h, &[0.0; 9], &[0.0; 9]),
            Err(SpectrumError::Truncated)
        );
        let mut big = vec![0; record_len(97)];
        assert_eq!(
            encode_into(&mut big, &h, &[0.0; 97], &[0.0; 97]),
            Err(SpectrumError::Shape)
        );
    }
}
