//! In-process conformance tests of both disciplines: the same code runs across processes in the
//! end-to-end tests, where the writer is a real (and really killed) worker.

use super::layout::{Reject, WriteMeta};
use super::*;
use crate::kind::WorkerKind;
use std::sync::Arc;
use std::sync::atomic::Ordering;

fn pattern(seq: u64, buf: &mut [u8]) {
    for (i, chunk) in buf.chunks_mut(8).enumerate() {
        let word = seq.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ i as u64;
        chunk.copy_from_slice(&word.to_le_bytes()[..chunk.len()]);
    }
}

fn matches_pattern(seq: u64, buf: &[u8]) -> bool {
    let mut want = vec![0; buf.len()];
    pattern(seq, &mut want);
    want == buf
}

fn frames_region(max: u64) -> Arc<SharedRegion> {
    Arc::new(SharedRegion::create(LayoutParams::frames(WorkerKind::Sim, 3, max)).unwrap())
}

fn stream_region(slots: u32) -> Arc<SharedRegion> {
    Arc::new(SharedRegion::create(LayoutParams::stream(WorkerKind::Fft, 3, slots, 1024)).unwrap())
}

fn write_frame(w: &mut FrameWriter, generation: u64, width: u32, height: u32) -> u64 {
    let mut f = w
        .begin(WriteMeta::rgba8(generation, width, height))
        .unwrap();
    let seq = f.seq();
    pattern(seq, f.payload());
    f.commit(true)
}

#[test]
fn frames_read_again_rereads_the_taken_frame_while_the_writer_goes_on() {
    let region = frames_region(64 * 64 * 4);
    let mut w = FrameWriter::new(region.clone()).unwrap();
    let mut r = FrameReader::new(region).unwrap();
    assert_eq!(r.read_again(|_, _| ()).unwrap(), None, "nothing taken yet");
    write_frame(&mut w, 1, 64, 64);
    let (meta, _) = r.read_latest(|_, _| ()).unwrap().unwrap();
    // The writer publishes twice more (into the other two slots); the taken frame stays intact
    // and readable in parts.
    write_frame(&mut w, 2, 64, 64);
    write_frame(&mut w, 3, 64, 64);
    for _ in 0..3 {
        let (seq, ok) = r
            .read_again(|m, p| (m.seq, matches_pattern(m.seq, p)))
            .unwrap()
            .unwrap();
        assert_eq!(seq, meta.seq);
        assert!(ok);
    }
    assert_eq!(r.stats().accepted, 1, "a re-read is not a new frame");
    let (newest, _) = r.read_latest(|_, _| ()).unwrap().unwrap();
    assert_eq!(newest.seq, 3);
    let again = r.read_again(|m, _| m.seq).unwrap().unwrap();
    assert_eq!(again, 3, "read_again follows the newest taken frame");
}

#[test]
fn frames_latest_wins_and_nothing_is_read_twice() {
    let region = frames_region(64 * 64 * 4);
    let reader_line = region.clone();
    let mut w = FrameWriter::new(region.clone()).unwrap();
    let mut r = FrameReader::new(region).unwrap().verify_checksums(true);
    assert_eq!(r.read_latest(|_, _| ()).unwrap(), None);
    write_frame(&mut w, 1, 64, 64);
    let (meta, ok) = r
        .read_latest(|m, p| matches_pattern(m.seq, p))
        .unwrap()
        .unwrap();
    assert!(ok);
    assert_eq!(
        (meta.seq, meta.generation, meta.width, meta.height),
        (1, 1, 64, 64)
    );
    assert_eq!(
        r.read_latest(|_, _| ()).unwrap(),
        None,
        "a frame is delivered once"
    );
    for generation in 2..=5 {
        write_frame(&mut w, generation, 32, 16);
    }
    let (meta, _) = r.read_latest(|_, _| ()).unwrap().unwrap();
    assert_eq!(meta.seq, 5, "only the newest frame is delivered");
    assert_eq!(r.stats().accepted, 2);
    assert_eq!(
        reader_line
            .control()
            .reader
            .accepted
            .load(Ordering::Relaxed),
        2
    );
}

#[test]
fn abandoned_frame_is_never_published() {
    let region = frames_region(16 * 16 * 4);
    let mut w = FrameWriter::new(region.clone()).unwrap();
    let mut r = FrameReader::new(region).unwrap();
    {
        let mut f = w.begin(WriteMeta::rgba8(1, 16, 16)).unwrap();
        f.payload()[..100].fill(0xAB);
        // Dropped without commit, as when a worker dies mid-write.
    }
    assert!(!r.has_new());
    assert_eq!(r.read_latest(|_, _| ()).unwrap(), None);
    let seq = write_frame(&mut w, 2, 16, 16);
    let (meta, ok) = r
        .read_latest(|m, p| matches_pattern(m.seq, p))
        .unwrap()
        .unwrap();
    assert_eq!((meta.seq, ok), (seq, true));
}

#[test]
fn writer_refuses_frames_that_do_not_fit() {
    let region = frames_region(16 * 16 * 4);
    let mut w = FrameWriter::new(region.clone()).unwrap();
    assert!(matches!(
        w.begin(WriteMeta::rgba8(1, 17, 16)),
        Err(ShmError::BadWrite(Reject::Length))
    ));
    assert!(matches!(
        w.begin(WriteMeta::rgba8(1, 0, 16)),
        Err(ShmError::BadWrite(_))
    ));
    assert!(matches!(
        StreamWriter::new(region),
        Err(ShmError::WrongDiscipline { .. })
    ));
}

#[test]
fn frames_concurrent_writer_never_yields_a_torn_or_stale_frame() {
    let region = frames_region(256 * 256 * 4);
    let mut w = FrameWriter::new(region.clone()).unwrap();
    let mut r = FrameReader::new(region).unwrap().verify_checksums(true);
    let total = 3000u64;
    let writer = std::thread::spawn(move || {
        for i in 1..=total {
            let side = 64 + (i % 192) as u32;
            write_frame(&mut w, i, side, side);
        }
    });
    let mut last = 0;
    let mut accepted = 0;
    loop {
        match r.read_latest(|m, p| matches_pattern(m.seq, p)) {
            Ok(Some((meta, ok))) => {
                assert!(
                    ok,
                    "accepted frame {} has a payload of another seq",
                    meta.seq
                );
                assert!(meta.seq > last);
                last = meta.seq;
                accepted += 1;
            }
            Ok(None) if writer.is_finished() && !r.has_new() => break,
            Ok(None) => std::hint::spin_loop(),
            Err(e) => panic!("a well-behaved writer produced {e}"),
        }
    }
    writer.join().unwrap();
    assert_eq!(
        last, total,
        "the newest frame is always delivered eventually"
    );
    assert!(accepted >= 1);
}

#[test]
fn stream_in_order_lapping_and_latest() {
    let region = stream_region(8);
    let mut w = StreamWriter::new(region.clone()).unwrap();
    let mut r = StreamReader::new(region).unwrap().verify_checksums(true);
    let mut buf = Vec::new();
    assert_eq!(r.next_into(&mut buf).unwrap(), None);
    let item = |seq: u64| -> Vec<u8> {
        let mut v = vec![0; 256 * 4];
        pattern(seq, &mut v);
        v
    };
    for seq in 1..=5 {
        w.publish(WriteMeta::f32s(0, 256), &item(seq), true)
            .unwrap();
    }
    for seq in 1..=5 {
        let meta = r.next_into(&mut buf).unwrap().unwrap();
        assert_eq!(meta.seq, seq);
        assert_eq!(buf, item(seq));
    }
    assert_eq!(r.next_into(&mut buf).unwrap(), None);
    // Lap the reader: 20 items into an 8-slot ring.
    for seq in 6..=25 {
        w.publish(WriteMeta::f32s(0, 256), &item(seq), true)
            .unwrap();
    }
    let meta = r.next_into(&mut buf).unwrap().unwrap();
    assert_eq!(meta.seq, 25, "a lapped reader resyncs to the newest item");
    assert_eq!(r.stats().drops_gap, 19);
    for seq in 26..=28 {
        w.publish(WriteMeta::f32s(0, 256), &item(seq), true)
            .unwrap();
    }
    let meta = r.latest_into(&mut buf).unwrap().unwrap();
    assert_eq!((meta.seq, buf == item(28)), (28, true));
    assert_eq!(r.stats().drops_gap, 21);
    assert_eq!(r.stats().accepted, 7);
}

#[test]
fn stream_concurrent_reader_accepts_only_intact_items() {
    let region = stream_region(4);
    let mut w = StreamWriter::new(region.clone()).unwrap();
    let mut r = StreamReader::new(region).unwrap().verify_checksums(true);
    let total = 200_000u64;
    let writer = std::thread::spawn(move || {
        for seq in 1..=total {
            w.publish_with(WriteMeta::f32s(seq, 64), true, |out| pattern(seq, out))
                .unwrap();
        }
    });
    let mut buf = Vec::new();
    let mut last = 0;
    while !(writer.is_finished() && r.last_seq() == total) {
        match r.next_into(&mut buf) {
            Ok(Some(meta)) => {
                assert!(
                    meta.seq > last && matches_pattern(meta.seq, &buf),
                    "seq {}",
                    meta.seq
                );
                last = meta.seq;
            }
            Ok(None) => std::hint::spin_loop(),
            Err(ReadError::Torn) => {}
            Err(e) => panic!("unexpected {e}"),
        }
    }
    writer.join().unwrap();
    let s = r.stats();
    assert_eq!(s.rejected + s.checksum_failures + s.stale, 0);
    assert_eq!(s.accepted + s.drops_gap + s.drops_late, total, "{s:?}");
}

/// Overwrites `region` entirely with bytes from `fill`.
fn scribble(region: &SharedRegion, fill: &[u8]) {
    // SAFETY: test-only; the region is mapped for `len` bytes and nobody else uses it.
    let bytes = unsafe {
        std::slice::from_raw_parts_mut(region.control() as *const _ as *mut u8, region.len())
    };
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = fill[i % fill.len()];
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    #[test]
    fn readers_survive_arbitrary_garbage(fill in proptest::collection::vec(0u8..=255, 1..300), commit_hint in 0u64..8) {
        let region = frames_region(4096);
        scribble(&region, &fill);
        // Make some headers look committed so validation gets exercised past the first check.
        region.slot(1).commit.store((commit_hint << 1) | 1, Ordering::Relaxed);
        let mut r = FrameReader::new(region.clone()).unwrap().verify_checksums(true);
        for _ in 0..4 {
            if let Ok(Some((meta, len))) = r.read_latest(|_, p| p.len()) {
                proptest::prop_assert!(meta.payload_len as usize == len && len <= 4096);
                proptest::prop_assert_eq!(meta.epoch, 3);
            }
        }
        let stream = stream_region(4);
        scribble(&stream, &fill);
        let mut s = StreamReader::new(stream).unwrap();
        let mut buf = Vec::new();
        for _ in 0..8 {
            if let Ok(Some(meta)) = s.next_into(&mut buf) {
                proptest::prop_assert!(buf.len() as u64 == meta.payload_len && buf.len() <= 1024);
            }
        }
    }
}

#[cfg(target_os = "linux")]
#[test]
fn open_checks_the_region_against_its_grant() {
    let params = LayoutParams::frames(WorkerKind::Sim, 9, 4096);
    let region = SharedRegion::create(params).unwrap();
    let fd = region.inheritable_fd().unwrap();
    let dup = |fd| {
        // SAFETY: duplicating a descriptor this test owns.
        let d = unsafe { libc::dup(fd) };
        assert!(d >= 0);
        RegionToken::Fd(d)
    };
    // SAFETY: each token is a fresh duplicate owned by the test.
    let opened = unsafe { SharedRegion::open(&dup(fd), params) }.unwrap();
    assert_eq!(opened.heartbeat(), 0);
    region.beat();
    assert_eq!(opened.heartbeat(), 1, "both mappings see the same memory");
    let other_epoch = LayoutParams {
        epoch: 10,
        ..params
    };
    // SAFETY: as above.
    let wrong_epoch = unsafe { SharedRegion::open(&dup(fd), other_epoch) };
    assert!(matches!(wrong_epoch, Err(ShmError::Mismatch(_))));
    let bigger = LayoutParams::frames(WorkerKind::Sim, 9, 8192);
    // SAFETY: as above.
    let wrong_size = unsafe { SharedRegion::open(&dup(fd), bigger) };
    assert!(matches!(wrong_size, Err(ShmError::Mismatch(_))));
    // SAFETY: a number that is not an open descriptor is refused, not adopted.
    assert!(unsafe { SharedRegion::open(&RegionToken::Fd(987_654), params) }.is_err());
}

#[test]
fn garbage_headers_and_old_generations_are_rejected() {
    let region = frames_region(64 * 64 * 4);
    let mut w = FrameWriter::new(region.clone()).unwrap();
    let mut r = FrameReader::new(region).unwrap();
    for noise in [0u64, 1, u64::MAX, 0xdead_beef_cafe_f00d, 12345] {
        let f = w.begin(WriteMeta::rgba8(1, 8, 8)).unwrap();
        f.commit_garbage_header(noise);
        assert!(
            matches!(r.read_latest(|_, _| ()), Err(ReadError::Rejected(_))),
            "{noise:#x}"
        );
    }
    assert_eq!(r.stats().rejected, 5);
    r.set_min_generation(5);
    write_frame(&mut w, 4, 8, 8);
    let old = r.read_latest(|_, _| ());
    assert!(matches!(old, Err(ReadError::Stale { .. })), "{old:?}");
    write_frame(&mut w, 5, 8, 8);
    assert_eq!(
        r.read_latest(|m, _| m.generation).unwrap().map(|x| x.1),
        Some(5)
    );
}
