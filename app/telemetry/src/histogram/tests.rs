//! Table tests for the latency histogram.

use super::*;

#[test]
fn bucket_index_table() {
    let cases = [
        (0, 0),
        (999, 0),
        (1_000, 1),
        (1_999, 1),
        (2_000, 2),
        (255_999, 8),
        (256_000, 9),
        ((1 << 26) * 1_000 - 1, 26),
        ((1 << 26) * 1_000, 27),
        (u64::MAX, 27),
    ];
    for (ns, expected) in cases {
        assert_eq!(bucket_index(ns), expected, "ns={ns}");
        if expected < REGULAR {
            assert!(ns < bucket_bound(expected), "ns={ns} below its bound");
        }
    }
}

#[test]
fn format_table() {
    let cases = [
        (0, "0ns"),
        (999, "999ns"),
        (3_100, "3.1us"),
        (256_000, "256us"),
        (2_048_000, "2ms"),
        (3_100_000, "3.1ms"),
        (131_072_000, "131ms"),
        (1_500_000_000, "1.5s"),
        (67_108_864_000, "67s"),
    ];
    for (ns, expected) in cases {
        assert_eq!(format_ns(ns), expected, "ns={ns}");
    }
}

fn hist(samples: &[u64]) -> LatencyHistogram {
    let mut h = LatencyHistogram::new();
    samples.iter().for_each(|&s| h.record(s));
    h
}

#[test]
fn percentile_table() {
    // 98 samples of 200 µs, one of 1.5 ms and one of 3.1 ms.
    let mut samples = vec![200_000; 98];
    samples.extend([1_500_000, 3_100_000]);
    let h = hist(&samples);
    let cases = [
        (0.0, 256_000),
        (50.0, 256_000),
        (98.0, 256_000),
        (99.0, 2_048_000),
        (100.0, 3_100_000),
        (f64::NAN, 256_000),
    ];
    for (p, expected) in cases {
        assert_eq!(h.percentile(p), expected, "p={p}");
    }
    assert_eq!(h.to_string(), "n=100 p50<=256us p99<=2ms max=3.1ms");
}

#[test]
fn exact_stats_and_overflow() {
    const BIG: u64 = 100_000_000_000; // 100 s, past the last regular bucket
    let h = hist(&[500, BIG, 1_500]);
    let stats = (h.count(), h.min(), h.max(), h.sum());
    assert_eq!(stats, (3, Some(500), Some(BIG), BIG + 2_000));
    assert_eq!(h.percentile(100.0), BIG, "overflow reports the exact max");
    assert_eq!(
        h.percentile(1.0),
        1_000,
        "bound of the sub-microsecond bucket"
    );
    assert_eq!(hist(&[500]).percentile(50.0), 500, "bound tightened to max");
}

#[test]
fn empty_merge_reset() {
    let empty = LatencyHistogram::new();
    let stats = (empty.count(), empty.min(), empty.mean());
    assert_eq!((stats, empty.percentile(50.0)), ((0, None, None), 0));
    assert_eq!(empty.to_string(), "n=0");

    let mut a = hist(&[1_000, 2_000]);
    a.merge(&hist(&[3_000]));
    assert_eq!(a, hist(&[1_000, 2_000, 3_000]));
    a.merge(&empty);
    assert_eq!(a.mean(), Some(2_000));
    a.reset();
    assert_eq!(a, empty);
}
