//! Bad log destinations (Unix): a FIFO with no reader, a full disk (`/dev/full`), a directory
//! that cannot be made. Writing never blocks or fails the caller, and each problem is reported
//! exactly once however many records hit it.

#![cfg(unix)]

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::{Arc, Mutex};

use idlewild_telemetry::{FileSink, RotatingFile};

fn sink(dir: &Path, max_bytes: u64) -> FileSink {
    FileSink {
        dir: dir.to_path_buf(),
        stem: "ui".to_owned(),
        max_bytes,
        keep: 2,
    }
}

/// A writer whose reports are collected.
fn writer(sink: FileSink) -> (RotatingFile, Arc<Mutex<Vec<String>>>) {
    let reports = Arc::new(Mutex::new(Vec::new()));
    let theirs = Arc::clone(&reports);
    let f = RotatingFile::new(sink, move |text| theirs.lock().expect("reports").push(text));
    (f, reports)
}

fn mkfifo(path: &Path) {
    let c = CString::new(path.as_os_str().as_bytes()).expect("path");
    // SAFETY: mkfifo with a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
}

/// Writes 20 records (the calls returning at all is half the assertion) and checks there was
/// one report naming `expect`, and an error per record.
fn write_and_check(f: &mut RotatingFile, reports: &Mutex<Vec<String>>, expect: &str) {
    for i in 0..20 {
        f.write_record(format!("record {i}\n").as_bytes());
    }
    let reports = reports.lock().expect("reports");
    assert_eq!(reports.len(), 1, "reported once: {reports:?}");
    assert!(reports[0].contains(expect), "{:?}", reports[0]);
    assert!(reports[0].contains("the show goes on"), "{:?}", reports[0]);
    assert_eq!(f.error_count(), 20);
}

#[test]
fn a_fifo_without_a_reader_fails_to_open_instead_of_blocking() {
    let tmp = tempfile::tempdir().expect("tempdir");
    mkfifo(&tmp.path().join("ui.log"));
    let (mut f, reports) = writer(sink(tmp.path(), 1 << 20));
    // Without O_NONBLOCK this open would wait for a reader forever.
    write_and_check(&mut f, &reports, "cannot open log file");
    assert!(tmp.path().join("ui.log").exists(), "the FIFO is left alone");
}

#[test]
fn a_full_disk_is_reported_once_and_the_device_never_rotated_away() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let link = tmp.path().join("ui.log");
    std::os::unix::fs::symlink("/dev/full", &link).expect("symlink");
    // Records larger than the limit would rotate a regular file on every write.
    let (mut f, reports) = writer(sink(tmp.path(), 4));
    write_and_check(&mut f, &reports, "cannot write log file");
    assert!(reports.lock().expect("r")[0].contains("No space left"));
    assert_eq!(
        std::fs::read_link(&link).expect("still the link"),
        Path::new("/dev/full")
    );
    assert!(
        !tmp.path().join("ui.log.1").exists(),
        "no rotation of a device"
    );
}

#[test]
fn a_directory_that_cannot_be_made_is_reported_once() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("a-file");
    std::fs::write(&file, "").expect("seed");
    // A path below a regular file cannot be created, even by root.
    let (mut f, reports) = writer(sink(&file.join("logs"), 1 << 20));
    write_and_check(&mut f, &reports, "Not a directory");
}

#[test]
fn a_fifo_with_a_reader_is_written_and_not_rotated() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join("ui.log");
    mkfifo(&path);
    let reader = {
        let path = path.clone();
        std::thread::spawn(move || std::fs::read_to_string(path).expect("read fifo"))
    };
    // The reader opens in its own time: until it has, records fail (counted) and are retried.
    let (mut f, _reports) = writer(sink(tmp.path(), 4));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut written = 0;
    while written < 2 && std::time::Instant::now() < deadline {
        let before = f.error_count();
        f.write_record(b"hello through a pipe\n");
        if f.error_count() == before {
            written += 1;
        } else {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }
    let wrote = written == 2;
    assert!(wrote, "the reader never opened the FIFO");
    drop(f); // closes the write end: the reader sees EOF
    let text = reader.join().expect("reader");
    assert!(text == "hello through a pipe\n".repeat(2), "{text:?}");
    assert!(
        !tmp.path().join("ui.log.1").exists(),
        "a FIFO is not rotated"
    );
}
