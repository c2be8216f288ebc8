//! What happens to real settings files: repair without writing, corrupt-file backups,
//! preservation of the user's formatting, version handling.

mod common;

use common::{Fixture, capture_logs, lines_at};
use idlewild_settings::{
    Display, DisplayMode, Input, LoadSource, Settings, SettingsError, Transitions,
};

#[test]
fn invalid_values_are_repaired_with_one_warning_each_and_the_file_is_untouched() {
    let text = "\
[display]
mode = \"zoom\"
interval_s = 2
same_image_all_monitors = \"yes\"
[transitions]
duration_ms = 2000
[workers]
backoff_initial_ms = 5000
backoff_max_ms = 1000
";
    let f = Fixture::with_file(text);
    let (outcome, logs) = capture_logs(|| f.store.load());
    let report = &outcome.report;
    let keys: Vec<&str> = report.repaired.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "display.mode",
            "display.interval_s",
            "display.same_image_all_monitors",
            "workers.backoff_max_ms"
        ]
    );
    assert_eq!(
        report.repaired[0].to_string(),
        "display.mode: \"zoom\" is not one of fill, fit, shrink; using \"fill\""
    );
    let warnings = lines_at(&logs, "WARN");
    assert_eq!(warnings.len(), 4, "{logs}");
    assert!(warnings[1].contains("display.interval_s: 2 is not between 3 and 3600; using 12"));
    assert_eq!(report.source, LoadSource::File);
    assert_eq!(outcome.settings.display.interval_s, 12);
    assert_eq!(outcome.settings.transitions.duration_ms, 2000);
    assert_eq!(outcome.settings.workers.backoff_max_ms, 5000);
    assert_eq!(f.read(), text);
}

#[test]
fn unknown_keys_are_logged_once_and_kept_by_set() {
    let text =
        "theme = \"dark\"\n[display]\nmode = \"fit\"\nsparkles = 3\n[plugins.rain]\nrate = 1\n";
    let f = Fixture::with_file(text);
    let (outcome, logs) = capture_logs(|| f.store.load());
    assert_eq!(
        outcome.report.unknown_keys,
        ["theme", "display.sparkles", "plugins"]
    );
    assert_eq!(lines_at(&logs, "INFO").len(), 3, "{logs}");
    assert!(lines_at(&logs, "WARN").is_empty(), "{logs}");
    f.store.set("display.mode", "shrink").expect("set");
    assert_eq!(
        f.read(),
        text.replace("theme", "version = 1\ntheme")
            .replace("\"fit\"", "\"shrink\"")
    );
}

#[test]
fn set_preserves_comments_order_and_formatting() {
    let text = "\
# My screensaver.
version = 1

[transitions]   # effects
random = false  # I like the default one
duration_ms = 900

# How photos look.
[display]
interval_s = 20 # long enough to look
mode = 'fit'
";
    let f = Fixture::with_file(text);
    f.store.set("display.interval_s", "45").expect("set");
    f.store.set("transitions.random", "true").expect("set");
    f.store.set("logging.level", "warn").expect("set");
    let expected = text
        .replace("interval_s = 20 #", "interval_s = 45 #")
        .replace("random = false  #", "random = true  #")
        + "\n[logging]\nlevel = \"warn\"\n";
    assert_eq!(f.read(), expected);
    assert_eq!(f.files(), ["settings.toml"]);
}

#[test]
fn a_corrupt_file_is_backed_up_left_in_place_and_defaults_are_used() {
    let text = "[display\nmode=";
    let f = Fixture::with_file(text);
    let (outcome, logs) = capture_logs(|| f.store.load());
    let report = &outcome.report;
    assert_eq!(outcome.settings, Settings::default());
    assert_eq!(report.source, LoadSource::Defaults);
    let backup = report.backup.clone().expect("a backup");
    assert!(
        backup
            .file_name()
            .expect("name")
            .to_string_lossy()
            .starts_with("settings.toml.corrupt-")
    );
    assert_eq!(std::fs::read_to_string(&backup).expect("backup"), text);
    assert_eq!(f.read(), text, "the original is never changed by load");
    let problem = report.problem.clone().expect("a problem");
    assert!(problem.contains(&backup.display().to_string()), "{problem}");
    assert!(
        problem.ends_with("Idlewild is using default settings"),
        "{problem}"
    );
    assert_eq!(lines_at(&logs, "WARN").len(), 1, "{logs:?}");
    // Loading the same broken file again does not pile up backups.
    assert_eq!(f.store.load().report.backup, Some(backup));
    assert_eq!(f.files().len(), 2);
}

#[test]
fn a_file_that_is_not_utf8_counts_as_corrupt() {
    let f = Fixture::new();
    f.write("x");
    std::fs::write(f.store.path(), b"[display]\nmode = \"\xff\"\n").expect("write");
    let report = f.store.load().report;
    assert!(report.backup.is_some());
    assert!(report.problem.expect("problem").contains("not UTF-8"));
}

#[test]
fn set_on_a_corrupt_file_backs_it_up_first_then_writes_a_fresh_one() {
    let text = "[display\nmode=";
    let f = Fixture::with_file(text);
    let outcome = f.store.set("display.mode", "fit").expect("set");
    let backup = outcome.backup.expect("a backup");
    assert_eq!(std::fs::read_to_string(&backup).expect("backup"), text);
    let loaded = f.store.load();
    assert!(loaded.report.is_clean(), "{:?}", loaded.report);
    assert_eq!(loaded.settings.display.mode, DisplayMode::Fit);
    assert_eq!(f.files().len(), 2);
}

#[test]
fn an_unreadable_path_gives_defaults_and_set_refuses() {
    let f = Fixture::new();
    std::fs::create_dir_all(f.store.path()).expect("a folder where the file should be");
    let report = f.store.load().report;
    assert_eq!(report.source, LoadSource::Defaults);
    assert_eq!(report.backup, None);
    assert!(
        report
            .problem
            .expect("problem")
            .starts_with("could not read ")
    );
    let err = f
        .store
        .set("display.mode", "fit")
        .expect_err("cannot write");
    assert!(
        matches!(err, SettingsError::Io { action: "read", .. }),
        "{err}"
    );
    assert!(f.store.path().is_dir());
}

#[test]
fn a_newer_file_is_read_best_effort_and_never_written() {
    let text = "version = 2\n[display]\nmode = \"fit\"\nholograms = true\n";
    let f = Fixture::with_file(text);
    let (outcome, logs) = capture_logs(|| f.store.load());
    assert_eq!(outcome.report.newer_version, Some(2));
    assert_eq!(outcome.report.unknown_keys, ["display.holograms"]);
    assert_eq!(outcome.settings.display.mode, DisplayMode::Fit);
    assert!(logs.contains("settings version 2 is newer"), "{logs}");
    let err = f.store.set("display.mode", "fill").expect_err("refused");
    assert!(matches!(
        err,
        SettingsError::NewerVersion {
            found: 2,
            supported: 1,
            ..
        }
    ));
    assert!(
        err.to_string().contains("written by a newer Idlewild"),
        "{err}"
    );
    assert_eq!(f.read(), text);
}

#[test]
fn set_stamps_the_current_version() {
    let cases: &[(&str, &str)] = &[
        (
            "# mine\ntheme = 1\n",
            "# mine\nversion = 1\ntheme = 1\n\n[display]\nmode = \"fill\"\n",
        ),
        (
            "[display]\nmode = \"fit\"\n",
            "version = 1\n[display]\nmode = \"fill\"\n",
        ),
        (
            "version = \"one\" # oops\n[display]\n",
            "version = 1 # oops\n[display]\nmode = \"fill\"\n",
        ),
    ];
    for &(before, after) in cases {
        let f = Fixture::with_file(before);
        f.store.set("display.mode", "fill").expect("set");
        assert_eq!(f.read(), after);
    }
}

#[test]
fn a_version_1_file_from_before_the_shell_settings_loads_with_their_defaults() {
    // Every key a version 1 file had before the effect, easing, per-effect length, monitor,
    // pan-and-zoom and input settings existed: the new keys are simply missing.
    let text = "\
version = 1

[display]
mode = \"fit\"
interval_s = 20
same_image_all_monitors = true
blur_bars = false
sharpen = false

[transitions]
duration_ms = 900
random = false

[sources]
folders = [\"/srv/photos\"]

[logging]
level = \"debug\"
";
    let f = Fixture::with_file(text);
    let (outcome, logs) = capture_logs(|| f.store.load());
    assert!(outcome.report.is_clean(), "{:?}", outcome.report);
    assert!(lines_at(&logs, "WARN").is_empty(), "{logs}");
    let s = &outcome.settings;
    assert_eq!(
        s.display,
        Display {
            mode: DisplayMode::Fit,
            interval_s: 20,
            same_image_all_monitors: true,
            blur_bars: false,
            sharpen: false,
            ..Display::default()
        }
    );
    assert_eq!(
        s.transitions,
        Transitions {
            duration_ms: 900,
            random: false,
            ..Transitions::default()
        }
    );
    assert_eq!(s.input, Input::default());
    assert_eq!(s.transitions.effect, "crossfade");
    assert_eq!(s.transitions.easing, "cubic-in-out");
    assert_eq!(s.transitions.duration_ms_for("slide"), 900);
    assert!(s.display.monitors.is_empty() && s.display.ken_burns);
    assert_eq!(f.read(), text, "loading adds nothing to the file");
}

#[test]
fn the_shell_settings_round_trip_through_a_file() {
    let text = "\
version = 1

[display]
monitors = [\"1\", \"DP-1\"]
ken_burns = false
ken_burns_zoom_pct = 200
ken_burns_speed_pct = 10

[transitions]
effect = \"diffuse\"
pool = [\"wipe\", \"blinds\"]
easing = \"back-out\"
durations = { crossfade = 400, blinds = 10000 }

[input]
hard_exit = true
mouse_threshold_px = 200
";
    let f = Fixture::with_file(text);
    let outcome = f.store.load();
    assert!(outcome.report.is_clean(), "{:?}", outcome.report);
    let (d, t, i) = (
        &outcome.settings.display,
        &outcome.settings.transitions,
        &outcome.settings.input,
    );
    assert_eq!(d.monitors, ["1", "DP-1"]);
    assert!(!d.ken_burns);
    assert_eq!((d.ken_burns_zoom_pct, d.ken_burns_speed_pct), (200, 10));
    assert_eq!(
        (t.effect.as_str(), t.easing.as_str()),
        ("diffuse", "back-out")
    );
    assert_eq!(t.pool, ["wipe", "blinds"]);
    let lengths: Vec<u32> = ["crossfade", "slide", "blinds"]
        .iter()
        .map(|e| t.duration_ms_for(e))
        .collect();
    assert_eq!(lengths, [400, 1500, 10_000]);
    assert_eq!(
        *i,
        Input {
            hard_exit: true,
            mouse_threshold_px: 200
        }
    );
    // `get` prints what was loaded, and `set` on a sibling keeps the inline table's layout.
    assert_eq!(
        f.store.get("transitions.pool").expect("get"),
        r#"["wipe", "blinds"]"#
    );
    f.store
        .set("transitions.durations.slide", "700")
        .expect("set");
    assert_eq!(
        f.read(),
        text.replace("blinds = 10000 }", "blinds = 10000, slide = 700 }")
    );
}

#[test]
fn unknown_effects_in_the_pool_are_dropped_with_one_warning_and_the_file_is_untouched() {
    let text = "[transitions]\npool = [\"slide\", \"zoom\", \"spin\", \"wipe\"]\n";
    let f = Fixture::with_file(text);
    let (outcome, logs) = capture_logs(|| f.store.load());
    assert_eq!(outcome.settings.transitions.pool, ["slide", "wipe"]);
    let repaired = &outcome.report.repaired;
    assert_eq!(repaired.len(), 1, "{repaired:?}");
    assert_eq!(
        repaired[0].to_string(),
        "transitions.pool: [\"slide\", \"zoom\", \"spin\", \"wipe\"] has \"zoom\", \"spin\", \
         which are not among crossfade, slide, wipe, diffuse, blinds; using [\"slide\", \"wipe\"]"
    );
    assert_eq!(lines_at(&logs, "WARN").len(), 1, "{logs}");
    assert_eq!(f.read(), text);
}

#[test]
fn settings_hidden_until_their_workers_exist_are_unknown_but_kept() {
    // `workers.rss.enabled`, `workers.prep.enabled` and `sources.feed_percent` had no effect,
    // so issue 12 hid them; a file written before keeps them and loads with one note.
    let text = "\
version = 1
[sources]
feed_percent = 40
[workers.rss]
enabled = false
[workers.prep]
enabled = true
";
    for key in [
        "workers.rss.enabled",
        "workers.prep.enabled",
        "sources.feed_percent",
    ] {
        assert!(
            idlewild_settings::find_option(key).is_none(),
            "{key} is listed"
        );
        let f = Fixture::new();
        assert!(
            matches!(f.store.set(key, "1"), Err(SettingsError::UnknownKey { .. })),
            "{key} can be set"
        );
        assert!(f.store.get(key).is_err(), "{key} can be read");
    }
    let f = Fixture::with_file(text);
    let outcome = f.store.load();
    assert_eq!(
        outcome.report.unknown_keys,
        ["sources.feed_percent", "workers.rss", "workers.prep"]
    );
    assert!(outcome.report.repaired.is_empty());
    assert_eq!(
        outcome.report.notes(),
        [
            "unknown settings ignored (they stay in the file): sources.feed_percent, workers.rss, \
          workers.prep"
        ]
    );
    f.store.set("display.mode", "fit").expect("set");
    let after = f.read();
    assert!(
        after.starts_with(text) && after.ends_with("[display]\nmode = \"fit\"\n"),
        "{after}"
    );
}
