//! Turning whatever cpal delivers (any sample format, any channel count, interleaved) into mono
//! `f32` in -1..1, inside the audio callback, without allocating.

use cpal::{FromSample, I24, Sample, SampleFormat, U24};

/// Whether the callback can convert this format. DSD bitstreams are not PCM and are refused.
pub(crate) fn supported(format: SampleFormat) -> bool {
    !matches!(
        format,
        SampleFormat::DsdU8 | SampleFormat::DsdU16 | SampleFormat::DsdU32
    )
}

/// Mono samples of interleaved `data` with `channels` channels: each frame is the mean of its
/// channels, converted to `f32` in -1..1 (unsigned formats are centred first). A trailing
/// partial frame is ignored, and zero channels are read as one.
pub(crate) fn mono<T>(data: &[T], channels: usize) -> impl ExactSizeIterator<Item = f32> + '_
where
    T: Sample,
    f32: FromSample<T>,
{
    let channels = channels.max(1);
    let scale = 1.0 / channels as f32;
    data.chunks_exact(channels)
        .map(move |frame| frame.iter().map(|s| s.to_sample::<f32>()).sum::<f32>() * scale)
}

/// Calls `sink` with the mono samples of one callback's raw buffer. Returns `false` (and calls
/// nothing) for a format this module cannot convert, or a buffer that does not match it.
pub(crate) fn with_mono(
    data: &cpal::Data,
    channels: usize,
    sink: impl FnOnce(&mut dyn ExactSizeIterator<Item = f32>),
) -> bool {
    // One arm per format: `as_slice` checks the format, so a mismatch becomes `None`.
    macro_rules! dispatch {
        ($($fmt:ident => $t:ty),* $(,)?) => {
            match data.sample_format() {
                $(SampleFormat::$fmt => match data.as_slice::<$t>() {
                    Some(s) => {
                        sink(&mut mono(s, channels));
                        true
                    }
                    None => false,
                },)*
                _ => false,
            }
        };
    }
    dispatch!(
        I8 => i8, I16 => i16, I24 => I24, I32 => i32, I64 => i64,
        U8 => u8, U16 => u16, U24 => U24, U32 => u32, U64 => u64,
        F32 => f32, F64 => f64,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all<T>(data: &[T], channels: usize) -> Vec<f32>
    where
        T: Sample,
        f32: FromSample<T>,
    {
        mono(data, channels).collect()
    }

    #[test]
    fn integer_formats_map_to_minus_one_to_one() {
        assert_eq!(all(&[i16::MIN, 0, 16384], 1), vec![-1.0, 0.0, 0.5]);
        assert_eq!(all(&[0u8, 128, 192], 1), vec![-1.0, 0.0, 0.5]);
        assert_eq!(all(&[i32::MIN, 1 << 30], 1), vec![-1.0, 0.5]);
        assert_eq!(all(&[0u16, 32768], 1), vec![-1.0, 0.0]);
        assert_eq!(all(&[i8::MIN, 64], 1), vec![-1.0, 0.5]);
        let i24 = [
            I24::new(-(1 << 23)).expect("in range"),
            I24::new(1 << 22).expect("in range"),
        ];
        assert_eq!(all(&i24, 1), vec![-1.0, 0.5]);
        assert_eq!(all(&[0.25f64, -1.0], 1), vec![0.25, -1.0]);
        assert_eq!(all(&[0.25f32], 1), vec![0.25]);
    }

    #[test]
    fn channels_are_averaged_and_partial_frames_dropped() {
        assert_eq!(all(&[1.0f32, 0.0, 0.5, -0.5], 2), vec![0.5, 0.0]);
        let six = all(&[0.3f32, 0.3, 0.3, 0.3, 0.3, 0.9, 9.0], 6);
        assert_eq!(six.len(), 1);
        assert!((six[0] - 0.4).abs() < 1e-6, "{six:?}");
        assert_eq!(
            mono(&[1.0f32, 1.0, 1.0], 2).len(),
            1,
            "exact size for the ring"
        );
        assert_eq!(
            all(&[0.5f32, 0.25], 0),
            vec![0.5, 0.25],
            "zero channels read as mono"
        );
    }

    #[test]
    fn raw_buffers_dispatch_on_their_format() {
        let mut raw = [i16::MIN, i16::MIN, 0, 0];
        // SAFETY: `raw` is a live array of 4 `i16`, described as 4 I16 samples.
        let data = unsafe { cpal::Data::from_parts(raw.as_mut_ptr().cast(), 4, SampleFormat::I16) };
        let mut got = Vec::new();
        assert!(with_mono(&data, 2, |it| got.extend(it)));
        assert_eq!(got, vec![-1.0, 0.0]);
        assert!(supported(SampleFormat::U24));
        assert!(!supported(SampleFormat::DsdU8));
    }
}
