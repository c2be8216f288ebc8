//! `idlewild settings ...` through the real binary: values round-trip, a corrupt file is backed
//! up and never silently overwritten, bad input gets a clear error and changes nothing.

mod common;

use std::process::Output;

fn idlewild(settings: &std::path::Path, args: &[&str]) -> Output {
    common::exe_command()
        .arg("--settings")
        .arg(settings)
        .args(args)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

#[test]
fn set_get_path_and_list() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sub").join("settings.toml");
    let o = idlewild(&file, &["settings", "path"]);
    assert_eq!(stdout(&o), file.display().to_string());
    assert_eq!(
        stdout(&idlewild(&file, &["settings", "get", "display.mode"])),
        "fill"
    );
    let o = idlewild(&file, &["settings", "set", "display.mode", "fit"]);
    assert!(o.status.success(), "{o:?}");
    assert_eq!(
        stdout(&idlewild(&file, &["settings", "get", "display.mode"])),
        "fit"
    );
    assert!(
        idlewild(&file, &["settings", "set", "workers.fft.enabled", "false"])
            .status
            .success()
    );
    assert_eq!(
        stdout(&idlewild(
            &file,
            &["settings", "get", "workers.fft.enabled"]
        )),
        "false"
    );
    let list = stdout(&idlewild(&file, &["settings", "list"]));
    assert!(list.contains("transitions.duration_ms = 1500"), "{list}");
    let bad = idlewild(&file, &["settings", "set", "transitions.duration_ms", "5"]);
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("transitions.duration_ms"),
        "{bad:?}"
    );
    let unknown = idlewild(&file, &["settings", "get", "display.zoom"]);
    assert!(!unknown.status.success());
}

#[test]
fn a_corrupt_file_is_backed_up_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("settings.toml");
    let garbage = "[display\nmode = \n";
    std::fs::write(&file, garbage).unwrap();
    assert_eq!(
        stdout(&idlewild(&file, &["settings", "get", "display.mode"])),
        "fill"
    );
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        garbage,
        "reading never rewrites the file"
    );
    let o = idlewild(&file, &["settings", "set", "display.mode", "shrink"]);
    assert!(o.status.success(), "{o:?}");
    let backups: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("corrupt"))
        .collect();
    assert_eq!(backups.len(), 1);
    assert_eq!(std::fs::read_to_string(backups[0].path()).unwrap(), garbage);
    assert_eq!(
        stdout(&idlewild(&file, &["settings", "get", "display.mode"])),
        "shrink"
    );
}

/// `idlewild supervise --for 0.5` over `text` (no workers, a private log folder): its stderr,
/// its log file, and the settings file's bytes afterwards.
fn supervise_briefly(text: &str) -> (String, String, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("settings.toml");
    std::fs::write(&file, text).unwrap();
    let o = common::exe_command()
        .arg("--settings")
        .arg(&file)
        .args(["supervise", "--for", "0.5"])
        .env_remove("IDLEWILD_LOG")
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .env("XDG_CACHE_HOME", dir.path().join("cache"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "{stderr}");
    let logs = dir.path().join("state").join("idlewild").join("logs");
    let log: String = std::fs::read_dir(&logs)
        .unwrap_or_else(|e| panic!("{}: {e}", logs.display()))
        .flatten()
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .collect();
    (stderr, log, std::fs::read(&file).unwrap())
}

/// Lines of `text` that contain `needle`.
fn count(text: &str, needle: &str) -> usize {
    text.lines().filter(|l| l.contains(needle)).count()
}

#[test]
fn a_run_names_each_repaired_key_once_and_leaves_the_file_alone() {
    const NO_WORKERS: &str = "[workers.image]\nenabled = false\n[workers.fft]\nenabled = false\n";
    let repaired = format!(
        "[display]\nmode = 5\ninterval_s = -3\n[transitions]\nduration_ms = 1e308\n\
         [workers.rss]\nenabled = false\n[sources]\nfeed_percent = 30\nshiny = 1\n{NO_WORKERS}"
    );
    let (stderr, log, bytes) = supervise_briefly(&repaired);
    assert_eq!(bytes, repaired.as_bytes(), "loading never writes the file");
    for out in [&stderr, &log] {
        for note in [
            "invalid setting display.mode: 5 is not one of fill, fit, shrink; using \"fill\"",
            "invalid setting display.interval_s: -3 is not between 3 and 3600; using 12",
            "invalid setting transitions.duration_ms: 1e308 ",
            "unknown settings ignored (they stay in the file): workers.rss, sources.feed_percent, \
             sources.shiny",
        ] {
            assert_eq!(count(out, note), 1, "{note:?} once in:\n{out}");
        }
        assert_eq!(count(out, "settings: "), 4, "nothing else, once:\n{out}");
    }

    let newer = format!("version = 999\n[display]\nmode = \"fit\"\nsparkle = true\n{NO_WORKERS}");
    let (stderr, log, bytes) = supervise_briefly(&newer);
    assert_eq!(bytes, newer.as_bytes(), "a newer file is never written");
    for out in [&stderr, &log] {
        assert_eq!(count(out, "settings version 999, newer than"), 1, "{out}");
        assert_eq!(
            count(out, "settings from version 999 ignored: display.sparkle"),
            1,
            "{out}"
        );
        assert_eq!(count(out, "settings: "), 2, "{out}");
    }

    let clean = format!("[display]\nmode = \"fit\"\n{NO_WORKERS}");
    let (stderr, log, _) = supervise_briefly(&clean);
    assert_eq!(count(&stderr, "settings: "), 0, "{stderr}");
    assert_eq!(count(&log, "settings: "), 0, "{log}");
}

#[test]
fn settings_without_an_effect_are_not_listed_or_settable() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("settings.toml");
    let list = stdout(&idlewild(&file, &["settings", "list"]));
    assert!(list.contains("workers.fft.enabled = true"), "{list}");
    for key in [
        "workers.rss.enabled",
        "workers.prep.enabled",
        "sources.feed_percent",
    ] {
        assert!(!list.contains(key), "{key} listed:\n{list}");
        let o = idlewild(&file, &["settings", "set", key, "0"]);
        assert!(!o.status.success(), "{key} settable: {o:?}");
        assert!(!file.exists(), "a refused set writes nothing");
    }
}
