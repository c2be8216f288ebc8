//! Helpers shared by the end-to-end tests: the real binary, a fast supervisor configuration,
//! and waiting for lifecycle events with a deadline (never an unbounded wait).

#![allow(dead_code)]

use idlewild::supervisor::{
    Event, ExitReason, Readers, RegionPlan, RestartPolicy, Supervisor, SupervisorConfig, WorkerSpec,
};
use idlewild_protocol::WorkerKind;
use idlewild_protocol::message::RegionRole;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The real `idlewild` binary cargo built for these tests.
pub fn exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_idlewild"))
}

/// Frame size of the sim worker in these tests (1 MiB frames: long enough to be killed mid-write).
pub const SIDE: u32 = 512;

/// One sim worker, the default 1 s heartbeat (tests of hang detection shorten it; a short one
/// here could turn a scheduling stall on a loaded 2-core machine into a spurious restart), a
/// fast jitter-free backoff (1 ms doubling to 8 ms) and a cap high enough for hundreds of
/// restarts.
pub fn config() -> SupervisorConfig {
    SupervisorConfig {
        exe: exe(),
        heartbeat: Duration::from_secs(1),
        missed_heartbeats: 3,
        restart: RestartPolicy {
            initial: Duration::from_millis(1),
            max: Duration::from_millis(8),
            jitter: 0.0,
            cap: 100_000,
            window: Duration::from_secs(600),
            stable_after: Duration::from_secs(3600),
            ..RestartPolicy::default()
        },
        shutdown_grace: Duration::from_secs(2),
        mailbox_cap: 64,
        perf_every: Duration::from_secs(3600),
        workers: vec![WorkerSpec {
            kind: WorkerKind::Sim,
            regions: vec![
                RegionPlan {
                    role: RegionRole::Frames,
                    slots: 3,
                    max_payload: u64::from(SIDE * SIDE * 4),
                },
                RegionPlan {
                    role: RegionRole::Stream,
                    slots: 16,
                    max_payload: 1024,
                },
            ],
        }],
    }
}

/// What a `Started` event carried.
pub struct Started {
    pub epoch: u64,
    pub pid: u32,
    pub readers: Readers,
}

/// Waits for the next event, failing the test after `secs` seconds.
pub fn next_event(sup: &Supervisor, secs: u64) -> Event {
    match sup.wait_event(Duration::from_secs(secs)) {
        Some(e) => e,
        None => panic!("no supervisor event within {secs} s"),
    }
}

/// Waits for the next `Started` event (any other event fails the test).
pub fn started(sup: &Supervisor) -> Started {
    match next_event(sup, 30) {
        Event::Started {
            epoch,
            pid,
            readers,
            ..
        } => Started {
            epoch,
            pid,
            readers,
        },
        other => panic!("expected Started, got {other:?}"),
    }
}

/// Waits for the next `Exited` event and returns its reason and restart delay.
pub fn exited(sup: &Supervisor) -> (ExitReason, Option<Duration>) {
    match next_event(sup, 30) {
        Event::Exited {
            reason, restart_in, ..
        } => (reason, restart_in),
        other => panic!("expected Exited, got {other:?}"),
    }
}

/// Sends a signal to a process.
#[cfg(unix)]
pub fn signal(pid: u32, sig: i32) {
    // SAFETY: kill(2) with a pid we started; a stale pid at worst returns ESRCH.
    let rc = unsafe { libc::kill(pid as libc::pid_t, sig) };
    assert_eq!(rc, 0, "kill({pid}, {sig}) failed");
}

/// True while `pid` exists and is not a zombie (a zombie has exited; only its parent, which may
/// be a non-reaping container init, has not collected it yet).
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat
                .rsplit(')')
                .next()
                .and_then(|rest| rest.split_whitespace().next());
            state != Some("Z") && state != Some("X")
        }
        Err(_) => false,
    }
}

/// Polls `f` every few milliseconds until it is true or `timeout` passes.
pub fn eventually(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + timeout;
    loop {
        if f() {
            return true;
        }
        if Instant::now() > end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A `Command` for the real binary.
pub fn exe_command() -> std::process::Command {
    std::process::Command::new(exe())
}
