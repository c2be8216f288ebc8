//! Guards that keep a benchmark from reporting what it did not measure.
//!
//! An optimiser that proves a copy's destination is never read deletes the copy, and the
//! "baseline" then times two clock reads: a release build once printed a pipe/memcpy ratio of
//! 357,621×. Two defences, used by every bench: each measured path's output is read back
//! ([`observe`]) so it cannot be elided, and no ratio is printed when either side of it moved
//! its bytes faster than any machine this runs on could ([`ratio`]).

/// Bytes per second no path in these benchmarks can beat: several times the memory bandwidth of
/// one core on any current CPU (a single-threaded `memcpy` of a large buffer reaches ~10–40
/// GB/s), so a figure above it means the work was skipped, not that the machine is fast.
pub(crate) const MAX_BYTES_PER_S: f64 = 200e9;

/// One timed path: it took `ns` nanoseconds and had to move (read or write) at least `bytes`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Timed {
    pub ns: f64,
    pub bytes: f64,
}

impl Timed {
    /// A path that took `ns` nanoseconds over at least `bytes` bytes.
    pub(crate) fn new(ns: f64, bytes: f64) -> Timed {
        Timed { ns, bytes }
    }

    /// Its throughput in GB/s (infinite when it took no time at all).
    pub(crate) fn gbps(self) -> f64 {
        if self.ns <= 0.0 {
            f64::INFINITY
        } else {
            self.bytes / self.ns
        }
    }
}

/// Why a ratio was not reported.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub(crate) enum Implausible {
    /// The baseline went faster than [`MAX_BYTES_PER_S`].
    #[error("baseline implausible: {gbps:.1} GB/s, not reporting the ratio")]
    Baseline { gbps: f64 },
    /// The measured path went faster than [`MAX_BYTES_PER_S`].
    #[error("measured path implausible: {gbps:.1} GB/s, not reporting the ratio")]
    Measured { gbps: f64 },
}

/// `measured / baseline` in time, or why it would be a lie: a side that moved its bytes faster
/// than [`MAX_BYTES_PER_S`] (or in no time) was optimised away or never ran.
pub(crate) fn ratio(measured: Timed, baseline: Timed) -> Result<f64, Implausible> {
    let limit = MAX_BYTES_PER_S / 1e9;
    let gbps = baseline.gbps();
    if gbps.is_nan() || gbps > limit {
        return Err(Implausible::Baseline { gbps });
    }
    let gbps = measured.gbps();
    if gbps.is_nan() || gbps > limit {
        return Err(Implausible::Measured { gbps });
    }
    Ok(measured.ns / baseline.ns)
}

/// Reads one byte of every 4 KiB page of `bytes` (and the last one) into a value the
/// optimiser must treat as used, so the copy or decode that wrote `bytes` cannot be elided.
/// Touching a page costs nanoseconds; call it outside the timed span.
pub(crate) fn observe(bytes: &[u8]) -> u64 {
    let bytes = std::hint::black_box(bytes);
    let mut sum = bytes
        .iter()
        .step_by(4096)
        .map(|&b| u64::from(b))
        .sum::<u64>();
    sum += bytes.last().copied().map_or(0, u64::from);
    std::hint::black_box(sum)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MB: f64 = 1e6;

    #[test]
    fn ratios_are_refused_when_either_side_beats_the_hardware() {
        // (measured ns, baseline ns, bytes, expected)
        let cases = [
            // 33 MB in 3.8 ms vs 3.9 ms: ~8.7 GB/s, plausible.
            (3.8e6, 3.9e6, 33.2 * MB, Ok(3.8 / 3.9)),
            // The elided memcpy: 33 MB "copied" in 160 ns is 207,500 GB/s.
            (57e6, 160.0, 33.2 * MB, Err("baseline")),
            // Just under and just over the ceiling (200 GB/s = 200 bytes per ns).
            (1e6, 1e6, 199.0 * MB, Ok(1.0)),
            (1e6, 1e6, 201.0 * MB, Err("baseline")),
            // A baseline that took no time at all.
            (1e6, 0.0, 1.0, Err("baseline")),
            // A plausible baseline against a measured path that was skipped.
            (10.0, 1e6, 33.2 * MB, Err("measured")),
        ];
        for (measured, baseline, bytes, expected) in cases {
            let got = ratio(Timed::new(measured, bytes), Timed::new(baseline, bytes));
            match (got, expected) {
                (Ok(r), Ok(e)) => assert!((r - e).abs() < 1e-9, "{measured}/{baseline}: {r}"),
                (Err(Implausible::Baseline { .. }), Err("baseline"))
                | (Err(Implausible::Measured { .. }), Err("measured")) => {}
                other => panic!("{measured}/{baseline} over {bytes} B: {other:?}"),
            }
        }
    }

    #[test]
    fn the_refusal_names_the_speed_it_saw() {
        let err = ratio(Timed::new(1e6, 1e6), Timed::new(100.0, 1e6)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "baseline implausible: 10000.0 GB/s, not reporting the ratio"
        );
    }

    #[test]
    fn observe_reads_every_page_and_the_last_byte() {
        let mut bytes = vec![0u8; 3 * 4096 + 10];
        bytes[0] = 1;
        bytes[4096] = 2;
        bytes[2 * 4096] = 3;
        bytes[3 * 4096] = 4;
        *bytes.last_mut().unwrap() = 5;
        assert_eq!(observe(&bytes), 15);
        assert_eq!(observe(&[]), 0);
    }
}
