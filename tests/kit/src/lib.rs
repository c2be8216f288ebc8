//! Test-only helpers shared by every test crate of the workspace: [`skip`], the one way a test
//! may decide it cannot run here, and [`probe`], which finds a missing part of the machine (X
//! servers, lavapipe, PulseAudio, the photos) up front instead of reading it back from a
//! failure's message.
//!
//! A skip is never silent: it is written straight to the terminal (past libtest's output
//! capture), appended to the file named by `IDLEWILD_SKIP_LOG` (`scripts/test.sh` prints a
//! summary from it), and under `IDLEWILD_REQUIRE_ALL=1` or `CI=true` it panics with its reason,
//! so a CI machine that lacks a part fails instead of passing by accident.

pub mod probe;

use std::fmt::Display;
use std::io::Write;

/// The variable under which any skip panics (`1` or `true`).
pub const REQUIRE_ALL: &str = "IDLEWILD_REQUIRE_ALL";
/// The variable naming the file each skip appends its line to.
pub const SKIP_LOG: &str = "IDLEWILD_SKIP_LOG";

/// What a skip does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnSkip {
    /// Print it loudly and record it; the test returns early and passes.
    Record,
    /// Panic with the reason: the test fails.
    Panic,
}

/// The decision for the values of `IDLEWILD_REQUIRE_ALL` and `CI` (pure, for the table test).
/// CI always requires everything, whatever `IDLEWILD_REQUIRE_ALL` says.
pub fn on_skip(require_all: Option<&str>, ci: Option<&str>) -> OnSkip {
    let set = |v: Option<&str>| {
        v.map(str::trim)
            .is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true"))
    };
    if set(require_all) || set(ci) {
        OnSkip::Panic
    } else {
        OnSkip::Record
    }
}

/// The decision for this process's environment.
pub fn on_skip_here() -> OnSkip {
    on_skip(
        std::env::var(REQUIRE_ALL).ok().as_deref(),
        std::env::var("CI").ok().as_deref(),
    )
}

/// The line a skip appends to the skip log: the test's name, a tab, the reason on one line.
pub fn log_line(test: &str, reason: &str) -> String {
    let one_line: Vec<&str> = reason.split_whitespace().collect();
    format!("{test}\t{}\n", one_line.join(" "))
}

/// The running test's name: libtest names each test's thread after the test; a test run on
/// the main thread (`--test-threads=1` in some toolchains) is named by its binary instead.
pub fn test_name() -> String {
    let thread = std::thread::current();
    match thread.name() {
        Some(name) if name != "main" => name.to_owned(),
        _ => {
            let binary = std::env::args()
                .next()
                .map(|a| {
                    std::path::Path::new(&a)
                        .file_name()
                        .map_or(a.clone(), |f| f.to_string_lossy().into_owned())
                })
                .unwrap_or_default();
            format!("{binary} (main thread)")
        }
    }
}

/// This test cannot run here because of `reason` (a part of the machine is missing, or the
/// program exited with an environmental status). Returns normally (the caller returns early)
/// after a loud message and a line in the skip log; panics under `IDLEWILD_REQUIRE_ALL=1` or
/// `CI=true`.
pub fn skip(reason: impl Display) {
    let reason = reason.to_string();
    let test = test_name();
    if on_skip_here() == OnSkip::Panic {
        panic!(
            "{test} cannot run here, and skipping is not allowed ({REQUIRE_ALL}=1 or CI=true): \
             {reason}"
        );
    }
    // Straight to the terminal: libtest captures `eprintln!` of passing tests, and a skip
    // hidden in captured output is exactly what this crate exists to prevent.
    let banner = format!(
        "\n!!!! SKIPPED {test}: {reason}\n!!!! This test did NOT run; {REQUIRE_ALL}=1 makes \
         this a failure.\n\n"
    );
    let _ = std::io::stderr().lock().write_all(banner.as_bytes());
    if let Some(path) = std::env::var_os(SKIP_LOG).filter(|p| !p.is_empty())
        && let Err(e) = append(std::path::Path::new(&path), &log_line(&test, &reason))
    {
        let _ = writeln!(
            std::io::stderr().lock(),
            "!!!! could not record the skip in {}: {e}",
            path.to_string_lossy()
        );
    }
}

/// `Some(value)`, or `None` after [`skip`] with the missing part: for probes.
pub fn require<T>(probed: Result<T, probe::Missing>) -> Option<T> {
    match probed {
        Ok(v) => Some(v),
        Err(missing) => {
            skip(missing);
            None
        }
    }
}

/// Appends `line` in one write (test binaries run in parallel; `O_APPEND` keeps short lines
/// whole).
fn append(path: &std::path::Path, line: &str) -> std::io::Result<()> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?
        .write_all(line.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_panic_under_require_all_or_ci_and_are_recorded_otherwise() {
        for (require_all, ci, want) in [
            (None, None, OnSkip::Record),
            (Some(""), None, OnSkip::Record),
            (Some("0"), None, OnSkip::Record),
            (Some("1"), None, OnSkip::Panic),
            (Some("true"), None, OnSkip::Panic),
            (None, Some("true"), OnSkip::Panic),
            (None, Some("TRUE"), OnSkip::Panic),
            (None, Some("1"), OnSkip::Panic),
            (None, Some("false"), OnSkip::Record),
            // CI requires everything whatever the other variable says.
            (Some("0"), Some("true"), OnSkip::Panic),
            (Some("1"), Some("false"), OnSkip::Panic),
        ] {
            assert_eq!(on_skip(require_all, ci), want, "{require_all:?} {ci:?}");
        }
    }

    #[test]
    fn a_log_line_is_one_line_with_the_test_first() {
        assert_eq!(
            log_line("shell::window", "Xvfb is\nmissing  (package xvfb)"),
            "shell::window\tXvfb is missing (package xvfb)\n"
        );
    }

    #[test]
    fn the_test_name_comes_from_the_thread() {
        let name = std::thread::Builder::new()
            .name("a_module::a_test".into())
            .spawn(test_name)
            .expect("thread")
            .join()
            .expect("join");
        assert_eq!(name, "a_module::a_test");
    }

    #[test]
    fn appended_lines_accumulate() {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = dir.path().join("skips");
        append(&log, &log_line("a", "one")).expect("append");
        append(&log, &log_line("b", "two")).expect("append");
        assert_eq!(
            std::fs::read_to_string(&log).expect("read"),
            "a\tone\nb\ttwo\n"
        );
    }
}
