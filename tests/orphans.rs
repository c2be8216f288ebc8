//! However the UI process dies, its workers exit within 2 s: the parent here is a real
//! `idlewild supervise` process, killed with SIGKILL (no chance to clean up).

// These tests signal real processes and read /proc: Linux only.
#![cfg(target_os = "linux")]

mod common;

use common::*;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn workers_exit_within_two_seconds_when_the_ui_process_is_killed() {
    let dir = tempfile::tempdir().unwrap();
    let settings = dir.path().join("settings.toml");
    std::fs::write(
        &settings,
        "[workers]\nheartbeat_ms = 200\n[workers.sim]\nenabled = true\n\
         [workers.image]\nenabled = false\n[workers.fft]\nenabled = false\n",
    )
    .unwrap();
    for round in 0..3 {
        let mut parent = Command::new(exe())
            .arg("--settings")
            .arg(&settings)
            .arg("supervise")
            .env("XDG_STATE_HOME", dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(parent.stdout.take().unwrap()).lines();
        let pid: u32 = loop {
            let line = lines.next().expect("supervise printed a line").unwrap();
            if let Some(rest) = line.strip_prefix("started sim pid=") {
                break rest.split_whitespace().next().unwrap().parse().unwrap();
            }
        };
        assert!(alive(pid));
        if round == 1 {
            // A worker stuck in its own work must die too.
            signal(pid, libc::SIGSTOP);
        }
        signal(parent.id(), libc::SIGKILL);
        let killed = Instant::now();
        parent.wait().unwrap();
        assert!(
            eventually(Duration::from_secs(2), || !alive(pid)),
            "round {round}: worker {pid} outlived its UI process by over 2 s"
        );
        eprintln!(
            "round {round}: worker gone {:?} after the UI died",
            killed.elapsed()
        );
    }
}
