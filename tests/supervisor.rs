//! End-to-end supervisor tests against the real `idlewild worker sim` process: killed mid-write
//! hundreds of times, stopped, flooded with oversize messages and garbage headers.

// These tests signal real processes and read /proc: Linux only.
#![cfg(target_os = "linux")]

mod common;

use common::*;
use idlewild::supervisor::{Event, ExitReason, RequestError, RestartPolicy, Supervisor};
use idlewild_protocol::WorkerKind;
use idlewild_protocol::message::{FromWorker, SimRequest, SimResponse, ToWorker};
use idlewild_protocol::shm::{FrameReader, ReadError};
use idlewild_workers::sim::pattern_matches;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

fn sim(sup: &Supervisor, req: SimRequest, generation: u64) {
    sup.request(WorkerKind::Sim, ToWorker::Sim(req), generation)
        .expect("request queued");
}

fn run_frames(sup: &Supervisor) {
    let run = SimRequest::Run {
        width: SIDE,
        height: SIDE,
        period_us: 0,
        floats: 0,
        checksum: true,
    };
    sim(sup, run, 0);
}

/// Reads every frame the reader can get until `until`, asserting each accepted frame is exactly
/// the frame its header names (pattern of this epoch and seq, checksum verified by the reader)
/// and strictly newer than the last. Returns how many were accepted.
fn read_valid(reader: &mut FrameReader, epoch: u64, until: Instant) -> u64 {
    let mut accepted = 0;
    loop {
        match reader.read_latest(|m, p| pattern_matches(epoch, m.seq, p)) {
            Ok(Some((meta, intact))) => {
                assert!(
                    intact,
                    "epoch {epoch}: accepted frame {} is not the frame its header names",
                    meta.seq
                );
                assert_eq!((meta.width, meta.height), (SIDE, SIDE));
                accepted += 1;
            }
            Ok(None) if Instant::now() >= until => return accepted,
            Ok(None) => std::thread::yield_now(),
            Err(e) => panic!("epoch {epoch}: a well-behaved writer produced {e}"),
        }
    }
}

#[test]
fn killed_mid_write_hundreds_of_times_no_torn_or_stale_frame_and_backoff_schedule() {
    let config = config();
    let policy = config.restart;
    let sup = Supervisor::start(config).unwrap();
    let iterations = 200u64;
    let mut delays = Vec::new();
    let mut accepted = 0;
    let mut rng = fastrand::Rng::with_seed(7);
    for i in 0..iterations {
        let s = started(&sup);
        assert_eq!(s.epoch, i + 1, "every restart bumps the epoch");
        let mut reader = s
            .readers
            .frames
            .expect("frames region")
            .verify_checksums(true);
        run_frames(&sup);
        let window = Duration::from_millis(rng.u64(1..12));
        accepted += read_valid(&mut reader, s.epoch, Instant::now() + window);
        if i % 4 == 3 {
            // The worker begins a frame, writes part of it and aborts.
            sim(
                &sup,
                SimRequest::CrashMidWrite {
                    after_bytes: rng.u64(0..u64::from(SIDE * SIDE * 4)),
                },
                0,
            );
        } else {
            signal(s.pid, libc::SIGKILL);
        }
        let (reason, restart_in) = exited(&sup);
        assert!(matches!(reason, ExitReason::Died(_)), "{reason:?}");
        delays.push(restart_in.expect("a restart is scheduled"));
        // Whatever the dead writer left behind: committed frames stay readable and intact, the
        // half-written one never appears.
        accepted += read_valid(&mut reader, s.epoch, Instant::now());
        assert_eq!(reader.stats().drops_late + reader.stats().rejected, 0);
    }
    let expected: Vec<_> = (0..iterations as u32)
        .map(|a| policy.delay(a, 0.5))
        .collect();
    assert_eq!(delays, expected, "restarts follow the backoff schedule");
    assert_eq!(delays[..5], [1, 2, 4, 8, 8].map(Duration::from_millis));
    assert!(
        accepted >= iterations,
        "frames flowed between kills ({accepted} accepted)"
    );
    assert_eq!(started(&sup).epoch, iterations + 1);
    let kind = sup.kind(WorkerKind::Sim).unwrap();
    assert_eq!(kind.counters.starts.load(Ordering::Relaxed), iterations + 1);
    sup.shutdown();
}

#[test]
fn restart_cap_marks_the_worker_failed_and_stops_restarting() {
    let mut config = config();
    config.restart = RestartPolicy {
        cap: 3,
        window: Duration::from_secs(600),
        ..config.restart
    };
    let sup = Supervisor::start(config).unwrap();
    for _ in 0..3 {
        let s = started(&sup);
        signal(s.pid, libc::SIGKILL);
        assert!(exited(&sup).1.is_some());
    }
    let s = started(&sup);
    signal(s.pid, libc::SIGKILL);
    assert_eq!(
        exited(&sup).1,
        None,
        "the fourth death within the window is not restarted"
    );
    assert!(matches!(
        next_event(&sup, 5),
        Event::Failed {
            kind: WorkerKind::Sim,
            restarts: 3,
            ..
        }
    ));
    assert!(
        sup.wait_event(Duration::from_millis(300)).is_none(),
        "nothing restarts after failing"
    );
    assert_eq!(
        sup.request(WorkerKind::Sim, ToWorker::Sim(SimRequest::Stop), 0),
        Err(RequestError::NotRunning(WorkerKind::Sim))
    );
    // Re-enabling (a settings change) clears the history and starts a new epoch.
    sup.set_enabled(WorkerKind::Sim, true).unwrap();
    assert_eq!(started(&sup).epoch, 5);
    sup.shutdown();
}

/// The circuit breaker: a worker past its cap stays down for its cool-down, then one half-open
/// trial starts; a trial killed at once opens the circuit again for twice as long; a trial
/// left alone keeps running (here `stable_after` is short, so it closes the circuit and
/// ordinary restarts resume).
#[test]
fn a_failed_worker_gets_a_half_open_trial_after_its_cool_down_which_doubles() {
    let mut config = config();
    let cool_down = Duration::from_millis(1500);
    config.restart = RestartPolicy {
        cap: 1,
        window: Duration::from_secs(600),
        stable_after: Duration::from_secs(5),
        retry_after: cool_down,
        retry_max: Duration::from_secs(60),
        ..config.restart
    };
    let sup = Supervisor::start(config).unwrap();
    // One restart is allowed; the second death opens the circuit.
    signal(started(&sup).pid, libc::SIGKILL);
    assert!(exited(&sup).1.is_some());
    let pid = started(&sup).pid;
    // Taken before the kill: the cool-down is counted from the death, which comes after.
    let opened = Instant::now();
    signal(pid, libc::SIGKILL);
    assert_eq!(exited(&sup).1, None, "past the cap: no ordinary restart");
    assert!(matches!(
        next_event(&sup, 5),
        Event::Failed {
            kind: WorkerKind::Sim,
            restarts: 1,
            ..
        }
    ));
    // Nothing happens until the cool-down has passed; then the trial starts.
    let trial = started(&sup);
    let waited = opened.elapsed();
    assert!(
        waited >= cool_down,
        "the trial started {waited:?} after the circuit opened, before its {cool_down:?} cool-down"
    );
    assert_eq!(trial.epoch, 3);
    // The trial dies at once: open again, and the next trial waits twice as long.
    let reopened = Instant::now();
    signal(trial.pid, libc::SIGKILL);
    assert_eq!(exited(&sup).1, None, "a failed trial is not restarted");
    assert!(matches!(
        next_event(&sup, 5),
        Event::Failed {
            kind: WorkerKind::Sim,
            restarts: 0,
            ..
        }
    ));
    let second = started(&sup);
    let waited = reopened.elapsed();
    assert!(
        waited >= cool_down * 2,
        "the second trial started {waited:?} after the trial died, before twice the cool-down"
    );
    // This trial runs past `stable_after`: the circuit closes, and its death is an ordinary
    // restart again.
    sim(&sup, SimRequest::Echo { token: 5 }, 0);
    assert!(eventually(Duration::from_secs(5), || matches!(
        sup.poll(WorkerKind::Sim).map(|e| e.body),
        Some(FromWorker::Sim(SimResponse::Echo { token: 5 }))
    )));
    std::thread::sleep(Duration::from_millis(5100));
    signal(second.pid, libc::SIGKILL);
    assert!(
        exited(&sup).1.is_some(),
        "after a stable trial a death is restarted as usual"
    );
    assert_eq!(started(&sup).epoch, 5);
    sup.shutdown();
}

#[test]
fn a_stopped_worker_is_detected_within_three_heartbeats_killed_and_restarted() {
    let mut config = config();
    config.heartbeat = Duration::from_millis(100);
    let period = config.heartbeat;
    let sup = Supervisor::start(config).unwrap();
    let first = started(&sup);
    let stopped_at = Instant::now();
    signal(first.pid, libc::SIGSTOP);
    let (reason, restart_in) = exited(&sup);
    let detected = stopped_at.elapsed();
    assert_eq!(reason, ExitReason::Hung);
    assert!(restart_in.is_some());
    // Three missed periods, plus one period of phase (the last pong may predate the stop) and
    // generous slack for a loaded 2-core machine.
    assert!(
        detected <= period * 4 + Duration::from_millis(400),
        "hang detected after {detected:?}"
    );
    assert!(!alive(first.pid), "the hung process was killed and reaped");
    let second = started(&sup);
    assert_eq!(second.epoch, 2);
    sim(&sup, SimRequest::Echo { token: 42 }, 0);
    assert!(eventually(Duration::from_secs(5), || matches!(
        sup.poll(WorkerKind::Sim).map(|e| e.body),
        Some(FromWorker::Sim(SimResponse::Echo { token: 42 }))
    )));
    sup.shutdown();
}

#[test]
fn the_hang_knob_stops_heartbeats_and_the_worker_is_replaced() {
    let mut config = config();
    config.heartbeat = Duration::from_millis(100);
    let sup = Supervisor::start(config).unwrap();
    let first = started(&sup);
    sim(&sup, SimRequest::Hang, 0);
    assert_eq!(exited(&sup).0, ExitReason::Hung);
    assert!(!alive(first.pid));
    assert_eq!(started(&sup).epoch, 2);
    sup.shutdown();
}

#[test]
fn oversize_messages_and_garbage_headers_are_rejected_and_the_worker_goes_on() {
    let sup = Supervisor::start(config()).unwrap();
    let s = started(&sup);
    let mut reader = s.readers.frames.unwrap();
    let kind = sup.kind(WorkerKind::Sim).unwrap().clone();
    sim(&sup, SimRequest::Oversize { bytes: 200_000 }, 0);
    assert!(eventually(Duration::from_secs(5), || kind
        .counters
        .oversize
        .load(Ordering::Relaxed)
        == 1));
    // The channel stays in sync after the rejected message.
    sim(&sup, SimRequest::Echo { token: 9 }, 0);
    assert!(eventually(Duration::from_secs(5), || matches!(
        sup.poll(WorkerKind::Sim).map(|e| e.body),
        Some(FromWorker::Sim(SimResponse::Echo { token: 9 }))
    )));
    sim(&sup, SimRequest::GarbageHeader, 0);
    assert!(eventually(Duration::from_secs(5), || reader.has_new()));
    assert!(matches!(
        reader.read_latest(|_, _| ()),
        Err(ReadError::Rejected(_))
    ));
    sim(
        &sup,
        SimRequest::Frame {
            width: 64,
            height: 64,
        },
        1,
    );
    assert!(eventually(Duration::from_secs(5), || reader.has_new()));
    let (meta, intact) = reader
        .read_latest(|m, p| pattern_matches(s.epoch, m.seq, p))
        .unwrap()
        .unwrap();
    assert!(intact);
    assert_eq!((meta.generation, meta.width), (1, 64));
    assert!(
        sup.poll_event().is_none(),
        "no restart happened: {:?}",
        sup.poll_event()
    );
    sup.shutdown();
}

#[test]
fn answers_to_an_older_generation_are_dropped_and_counted() {
    let sup = Supervisor::start(config()).unwrap();
    started(&sup);
    let kind = sup.kind(WorkerKind::Sim).unwrap().clone();
    sim(&sup, SimRequest::SetLatency { ms: 150 }, 0);
    sim(&sup, SimRequest::Echo { token: 1 }, 1);
    sim(&sup, SimRequest::Echo { token: 2 }, 2);
    let mut tokens = Vec::new();
    assert!(eventually(Duration::from_secs(5), || {
        while let Some(env) = sup.poll(WorkerKind::Sim) {
            if let FromWorker::Sim(SimResponse::Echo { token }) = env.body {
                assert!(env.ts_res >= env.ts_req && env.ts_req > 0);
                tokens.push(token);
            }
        }
        tokens == [2]
    }));
    assert_eq!(kind.counters.stale_generation.load(Ordering::Relaxed), 1);
    sup.shutdown();
}

#[test]
fn disable_stops_gracefully_enable_starts_a_new_epoch_and_shutdown_reaps() {
    let sup = Supervisor::start(config()).unwrap();
    let first = started(&sup);
    sup.set_enabled(WorkerKind::Sim, false).unwrap();
    assert_eq!(exited(&sup), (ExitReason::Stopped, None));
    assert!(!alive(first.pid));
    sup.set_enabled(WorkerKind::Sim, true).unwrap();
    let second = started(&sup);
    assert_eq!(second.epoch, 2);
    let pid = second.pid;
    sup.shutdown();
    assert!(
        !alive(pid),
        "shutdown returns only after every worker is reaped"
    );
}
