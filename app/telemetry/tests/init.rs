//! Global initialisation, file output format and the panic hook, in one process-wide test
//! (a global subscriber can be installed only once per process).

use std::time::Duration;

use idlewild_telemetry::{
    FileSink, LogConfig, TelemetryError, Throttle, init, install_panic_hook, throttled,
};

#[test]
fn init_once_logs_plain_lines_and_panics() {
    // SAFETY: this binary's only test, before it starts any thread that reads the environment.
    // Without a backtrace the panic is one line.
    unsafe { std::env::remove_var("RUST_BACKTRACE") };
    let tmp = tempfile::tempdir().expect("tempdir");
    let cfg = LogConfig {
        level: "info".to_owned(),
        file: Some(FileSink {
            dir: tmp.path().join("logs"),
            stem: "test".to_owned(),
            max_bytes: 1 << 20,
            keep: 2,
        }),
        stderr: true,
        ansi: true, // colours on stderr must not leak into the file
    };
    let guard = init(&cfg).expect("first init");
    let path = guard.log_file().expect("file sink");
    assert!(matches!(
        init(&cfg),
        Err(TelemetryError::AlreadyInitialized)
    ));

    tracing::info!(photo = "a.jpg", ms = 12, "decoded");
    tracing::debug!("filtered out at info");
    // The three calls take microseconds, far inside the window; the sleep outlasts it.
    let mut throttle = Throttle::new(Duration::from_millis(200));
    for _ in 0..3 {
        throttled!(
            tracing::Level::WARN,
            throttle,
            "feed",
            "feed {} unreachable",
            7
        );
    }
    std::thread::sleep(Duration::from_millis(250));
    throttled!(
        tracing::Level::WARN,
        throttle,
        "feed",
        "feed {} unreachable",
        7
    );

    install_panic_hook("test");
    let caught = std::panic::catch_unwind(|| panic!("boom {}", 42));
    assert!(caught.is_err());

    // The lines are written by the file's logging thread; the panic hook waited for them
    // (bounded), and this waits for whatever that bound left.
    assert!(
        idlewild_telemetry::flush(Duration::from_secs(60)),
        "flushed"
    );
    let text = std::fs::read_to_string(&path).expect("read log");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(!text.contains('\x1b'), "no ANSI in files: {text:?}");
    // e.g. `2026-01-01T12:00:00.123456Z  INFO init: decoded photo="a.jpg" ms=12`
    assert!(
        lines[0].starts_with("20")
            && lines[0].contains("Z  INFO init: decoded photo=\"a.jpg\" ms=12"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].ends_with("WARN init: feed 7 unreachable"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].ends_with("WARN init: feed 7 unreachable (2 similar suppressed)"),
        "{}",
        lines[2]
    );
    assert!(
        lines[3].contains("ERROR panic: panic: boom 42 process=\"test\""),
        "{}",
        lines[3]
    );
    assert!(lines[3].contains("tests/init.rs:"), "{}", lines[3]);
    assert_eq!(guard.file_errors(), 0);
    assert_eq!(guard.dropped(), 0);
}
