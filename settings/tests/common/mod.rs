//! Shared fixtures for the integration tests: a settings file in a temp folder, and log capture.

#![allow(dead_code)]

use std::cell::RefCell;
use std::fs;
use std::io;
use std::path::PathBuf;
use std::sync::Once;

use idlewild_settings::SettingsStore;

/// A temp folder holding (maybe) `cfg/settings.toml`, and a store pointing at it.
pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub store: SettingsStore,
}

impl Fixture {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SettingsStore::new(dir.path().join("cfg").join("settings.toml"));
        Self { dir, store }
    }

    pub fn with_file(text: &str) -> Self {
        let fixture = Self::new();
        fixture.write(text);
        fixture
    }

    pub fn write(&self, text: &str) {
        let path = self.store.path();
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, text).expect("write settings");
    }

    pub fn read(&self) -> String {
        fs::read_to_string(self.store.path()).expect("read settings")
    }

    /// Names in the settings folder, sorted.
    pub fn files(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(self.dir.path().join("cfg"))
            .expect("read dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    pub fn cfg(&self, name: &str) -> PathBuf {
        self.dir.path().join("cfg").join(name)
    }
}

thread_local! {
    /// Log output of the current test thread.
    static LOGS: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Writes into the calling thread's [`LOGS`].
struct ThreadBuffer;

impl io::Write for ThreadBuffer {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        LOGS.with(|logs| logs.borrow_mut().extend_from_slice(bytes));
        Ok(bytes.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Runs `f` and returns its result and what it logged on this thread.
///
/// One global subscriber writes into per-thread buffers. (Thread-local subscribers race
/// with tracing's global per-callsite interest cache when tests run in parallel.)
pub fn capture_logs<R>(f: impl FnOnce() -> R) -> (R, String) {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_writer(|| ThreadBuffer)
            .with_ansi(false)
            .without_time()
            .with_max_level(tracing::Level::TRACE)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("first subscriber");
    });
    LOGS.with(|logs| logs.borrow_mut().clear());
    let result = f();
    let bytes = LOGS.with(|logs| std::mem::take(&mut *logs.borrow_mut()));
    (result, String::from_utf8_lossy(&bytes).into_owned())
}

/// Lines of `logs` at `level` ("WARN", "INFO").
pub fn lines_at<'a>(logs: &'a str, level: &str) -> Vec<&'a str> {
    logs.lines()
        .filter(|l| l.trim_start().starts_with(level))
        .collect()
}
