//! After 100 restarts the UI process holds no more descriptors or mappings than after a few:
//! every epoch's regions, pipes and threads are released. (Its own test binary, so no other
//! test's threads open files while we count.)

// These tests signal real processes and read /proc: Linux only.
#![cfg(target_os = "linux")]

mod common;

use common::*;
use idlewild::supervisor::Supervisor;

fn count_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or(0)
}

fn shm_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| {
            std::fs::read_link(e.path()).is_ok_and(|t| t.to_string_lossy().contains("idlewild-shm"))
        })
        .count()
}

fn maps() -> (usize, usize) {
    let text = std::fs::read_to_string("/proc/self/maps").unwrap_or_default();
    (
        text.lines().count(),
        text.lines().filter(|l| l.contains("idlewild-shm")).count(),
    )
}

fn restart(sup: &Supervisor) {
    let s = started(sup);
    drop(s.readers);
    signal(s.pid, libc::SIGKILL);
    exited(sup);
}

#[test]
fn a_hundred_restarts_leak_no_descriptors_or_mappings() {
    let sup = Supervisor::start(config()).unwrap();
    for _ in 0..5 {
        restart(&sup);
    }
    // Let the dead epochs' pipe threads finish before taking the baseline.
    std::thread::sleep(std::time::Duration::from_millis(200));
    let (fds_before, (maps_before, _)) = (count_fds(), maps());
    for _ in 0..100 {
        restart(&sup);
    }
    let s = started(&sup);
    // The live epoch: exactly its two regions are mapped and open here, nothing older.
    let settled = eventually(std::time::Duration::from_secs(3), || {
        count_fds() <= fds_before + 3 && shm_fds() == 2 && maps().1 == 2
    });
    let (fds_after, (maps_after, shm_maps)) = (count_fds(), maps());
    assert!(
        settled,
        "fds {fds_before} -> {fds_after}, shm fds {}, shm maps {shm_maps}",
        shm_fds()
    );
    // Thread stacks come and go with the pipe threads; 100 leaked epochs would add hundreds.
    assert!(
        maps_after <= maps_before + 16,
        "mappings grew from {maps_before} to {maps_after}"
    );
    drop(s.readers);
    sup.shutdown();
    assert!(
        eventually(std::time::Duration::from_secs(2), || shm_fds() == 0
            && maps().1 == 0),
        "shutdown releases all shared memory"
    );
}
