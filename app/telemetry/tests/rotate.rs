//! Rotating log file against a real temporary directory, alone and behind its logging queue.

use std::fs;
use std::path::Path;
use std::time::Duration;

use idlewild_telemetry::{FileSink, LogQueue, RotatingFile};

fn sink(dir: &Path, max_bytes: u64, keep: usize) -> FileSink {
    FileSink {
        dir: dir.to_path_buf(),
        stem: "ui".to_owned(),
        max_bytes,
        keep,
    }
}

fn write(f: &mut RotatingFile, text: &str) {
    f.write_record(text.as_bytes());
}

fn read(dir: &Path, name: &str) -> String {
    fs::read_to_string(dir.join(name)).unwrap_or_default()
}

fn count_files(dir: &Path) -> usize {
    fs::read_dir(dir).expect("read tempdir").count()
}

#[test]
fn creates_directory_and_appends_to_existing_file() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("state/logs");
    let mut f = RotatingFile::open(sink(&dir, 1_000, 2)).expect("open");
    write(&mut f, "one\n");
    drop(f);
    let mut f = RotatingFile::open(sink(&dir, 1_000, 2)).expect("reopen");
    write(&mut f, "two\n");
    assert_eq!(read(&dir, "ui.log"), "one\ntwo\n");
    assert_eq!(f.path(), dir.join("ui.log"));
    assert_eq!(f.error_count(), 0);
}

#[test]
fn rotates_only_when_the_limit_would_be_exceeded() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    // Two 11-byte lines fit exactly into 22 bytes; the third rotates.
    let mut f = RotatingFile::open(sink(dir, 22, 3)).expect("open");
    write(&mut f, "line-0001\n\n");
    write(&mut f, "line-0002\n\n");
    assert_eq!(count_files(dir), 1);
    write(&mut f, "line-0003\n\n");
    assert_eq!(read(dir, "ui.log.1"), "line-0001\n\nline-0002\n\n");
    assert_eq!(read(dir, "ui.log"), "line-0003\n\n");
}

#[test]
fn existing_size_counts_towards_the_limit() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    fs::write(dir.join("ui.log"), "old old old old\n").expect("seed");
    let mut f = RotatingFile::open(sink(dir, 20, 1)).expect("open");
    write(&mut f, "new\nnew\n");
    assert_eq!(read(dir, "ui.log.1"), "old old old old\n");
    assert_eq!(read(dir, "ui.log"), "new\nnew\n");
}

#[test]
fn keeps_at_most_keep_files_newest_first() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let mut f = RotatingFile::open(sink(dir, 8, 2)).expect("open");
    for i in 0..10 {
        write(&mut f, &format!("rec {i}\n")); // 6 bytes: every record rotates
    }
    assert_eq!(count_files(dir), 3, "current + 2 kept");
    assert_eq!(read(dir, "ui.log"), "rec 9\n");
    assert_eq!(read(dir, "ui.log.1"), "rec 8\n");
    assert_eq!(read(dir, "ui.log.2"), "rec 7\n");
}

#[test]
fn keep_zero_truncates_and_oversized_record_is_still_written() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let mut f = RotatingFile::open(sink(dir, 4, 0)).expect("open");
    write(&mut f, "a\n");
    write(&mut f, "this record alone exceeds the limit\n");
    assert_eq!(count_files(dir), 1);
    assert_eq!(read(dir, "ui.log"), "this record alone exceeds the limit\n");
}

#[test]
fn concurrent_callers_through_the_queue_produce_whole_lines_in_order_and_rotate() {
    const THREADS: usize = 8;
    const LINES: usize = 300;
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    // Keep enough files that nothing is deleted, and a queue that holds every line, so every
    // line can be accounted for.
    let f = RotatingFile::open(sink(dir, 4_096, 1_000)).expect("open");
    let queue = LogQueue::spawn("test-file", THREADS * LINES, f).expect("spawn");
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let queue = &queue;
            s.spawn(move || {
                for i in 0..LINES {
                    // Varying lengths make torn writes visible.
                    let line = format!("t{t} i{i} {}\n", "x".repeat(i % 37));
                    assert!(queue.push(line.into_bytes()), "room for every line");
                }
            });
        }
    });
    assert!(queue.flush(Duration::from_secs(60)), "written");
    assert_eq!(queue.dropped(), 0);
    let files = count_files(dir);
    assert!(files > 1, "rotation happened on the logging thread");
    // Oldest file first, current file last.
    let all: String = (1..files)
        .rev()
        .map(|i| read(dir, &format!("ui.log.{i}")))
        .chain([read(dir, "ui.log")])
        .collect();
    let mut next = [0usize; THREADS];
    for line in all.lines() {
        let mut parts = line.split(' ');
        let t: usize = parts
            .next()
            .and_then(|p| p.strip_prefix('t'))
            .and_then(|p| p.parse().ok())
            .expect("thread id");
        let i: usize = parts
            .next()
            .and_then(|p| p.strip_prefix('i'))
            .and_then(|p| p.parse().ok())
            .expect("index");
        assert_eq!(
            parts.next().unwrap_or(""),
            "x".repeat(i % 37),
            "whole line: {line:?}"
        );
        assert_eq!(i, next[t], "per-thread order");
        next[t] += 1;
    }
    assert_eq!(next, [LINES; THREADS]);
}

#[cfg(unix)]
#[test]
fn a_removed_directory_is_made_again_at_the_next_rotation() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("logs");
    let mut f = RotatingFile::open(sink(&dir, 8, 1)).expect("open");
    fs::remove_dir_all(&dir).expect("remove log dir");
    // The first record goes to the open, unlinked file; the second rotates and reopens.
    for i in 0..3 {
        write(&mut f, &format!("record {i}\n"));
    }
    assert_eq!(read(&dir, "ui.log"), "record 2\n");
    assert_eq!(read(&dir, "ui.log.1"), "record 1\n");
    assert_eq!(f.error_count(), 0);
}

#[test]
fn unusable_directory_is_an_open_error() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let not_a_dir = tmp.path().join("file");
    fs::write(&not_a_dir, "").expect("seed");
    assert!(RotatingFile::open(sink(&not_a_dir, 8, 1)).is_err());
}
