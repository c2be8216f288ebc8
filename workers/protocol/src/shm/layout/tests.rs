//! Table tests and a property test of the layout and header validation.
use super::*;

fn params() -> LayoutParams {
    LayoutParams::frames(WorkerKind::Sim, 7, 1920 * 1080 * 4)
}

fn meta(format: Format, width: u32, height: u32, stride: u32, len: u64) -> SlotMeta {
    SlotMeta {
        seq: 5,
        epoch: 7,
        generation: 1,
        format: format as u32,
        width,
        height,
        row_stride: stride,
        payload_len: len,
        timestamp_ns: 1,
        checksum: None,
    }
}

#[test]
fn geometry_is_page_aligned_and_checked() {
    let g = params().geometry().unwrap();
    assert_eq!(g.payload_offset % PAGE, 0);
    assert_eq!(g.slot_stride % PAGE, 0);
    assert_eq!(g.region_len, CONTROL_LEN + 3 * g.slot_stride);
    let cases: &[(LayoutParams, bool)] = &[
        (LayoutParams::frames(WorkerKind::Sim, 1, 0), false),
        (
            LayoutParams::frames(WorkerKind::Sim, 1, MAX_PAYLOAD_LIMIT + 1),
            false,
        ),
        (
            LayoutParams {
                slot_count: 4,
                ..params()
            },
            false,
        ),
        (LayoutParams::stream(WorkerKind::Fft, 1, 1, 1024), false),
        (
            LayoutParams::stream(WorkerKind::Fft, 1, MAX_SLOTS + 1, 1024),
            false,
        ),
        (LayoutParams::stream(WorkerKind::Fft, 1, 64, 1024), true),
        (
            LayoutParams::frames(WorkerKind::Image, 1, 7680 * 4320 * 4),
            true,
        ),
    ];
    for (p, ok) in cases {
        assert_eq!(p.geometry().is_ok(), *ok, "{p:?}");
    }
}

#[test]
fn validate_table() {
    let p = params();
    let ok = 1920 * 4 * 1080;
    let committed = (5 << 1) | 1;
    let cases: &[(SlotMeta, u64, Result<Format, Reject>)] = &[
        (
            meta(Format::Rgba8, 1920, 1080, 7680, ok),
            committed,
            Ok(Format::Rgba8),
        ),
        (
            meta(Format::Bgra8, 1000, 10, 4096, 40960),
            committed,
            Ok(Format::Bgra8),
        ),
        (
            meta(Format::Rgba8, 1920, 1080, 7680, ok),
            5 << 1,
            Err(Reject::Commit),
        ),
        (
            meta(Format::Rgba8, 1920, 1080, 7680, ok),
            (6 << 1) | 1,
            Err(Reject::Commit),
        ),
        (
            meta(Format::Rgba8, 1920, 1080, 7680, ok),
            0,
            Err(Reject::Commit),
        ),
        (
            meta(Format::Rgba8, 0, 1080, 7680, ok),
            committed,
            Err(Reject::Dimensions),
        ),
        (
            meta(Format::Rgba8, 1920, 1080, 7679, ok),
            committed,
            Err(Reject::Stride),
        ),
        (
            meta(Format::Rgba8, 1920, 1080, 7680, ok + 1),
            committed,
            Err(Reject::Length),
        ),
        (
            meta(Format::Rgba8, 4000, 4000, 16000, 64_000_000),
            committed,
            Err(Reject::Length),
        ),
        (
            meta(Format::Rgba8, u32::MAX, u32::MAX, u32::MAX, u64::MAX),
            committed,
            Err(Reject::Stride),
        ),
        (
            meta(Format::F32, 256, 1, 1024, 1024),
            committed,
            Ok(Format::F32),
        ),
        (
            meta(Format::F32, 256, 2, 1024, 1024),
            committed,
            Err(Reject::Dimensions),
        ),
        (
            meta(Format::F32, 256, 1, 1000, 1024),
            committed,
            Err(Reject::Stride),
        ),
        (
            meta(Format::Bytes, 10, 1, 10, 10),
            committed,
            Ok(Format::Bytes),
        ),
    ];
    for (m, commit, want) in cases {
        assert_eq!(validate(m, *commit, &p), *want, "{m:?}");
    }
    let mut bad = meta(Format::Rgba8, 1920, 1080, 7680, ok);
    bad.format = 99;
    assert_eq!(validate(&bad, committed, &p), Err(Reject::Format));
    bad = meta(Format::Rgba8, 1920, 1080, 7680, ok);
    bad.epoch = 6;
    assert_eq!(validate(&bad, committed, &p), Err(Reject::Epoch));
}

proptest::proptest! {
    #[test]
    fn validate_never_panics_and_accepts_only_consistent_headers(
        seq in proptest::num::u64::ANY, commit in proptest::num::u64::ANY,
        epoch in 0u64..10, format in 0u32..6, width in proptest::num::u32::ANY,
        height in proptest::num::u32::ANY, stride in proptest::num::u32::ANY,
        len in proptest::num::u64::ANY,
    ) {
        let p = params();
        let m = SlotMeta { seq, epoch, generation: 0, format, width, height,
            row_stride: stride, payload_len: len, timestamp_ns: 0, checksum: None };
        if let Ok(f) = validate(&m, commit, &p) {
            proptest::prop_assert_eq!(commit, (seq << 1) | 1);
            proptest::prop_assert_eq!(epoch, 7);
            proptest::prop_assert!(len <= p.max_payload);
            proptest::prop_assert_eq!(expected_len(f, width, height, stride), Ok(len));
        }
    }
}
