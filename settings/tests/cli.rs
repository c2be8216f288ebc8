//! The operations behind `idlewild settings get|set|list|path`, against real files.

mod common;

use common::Fixture;
use idlewild_settings::{
    DisplayMode, LoadSource, LogLevel, OptionKind, Settings, SettingsError, SettingsStore,
    TransitionDurations, default_path, options,
};

/// Values worth trying for each kind: both ends of a range, every enum word, list forms.
fn samples(kind: OptionKind) -> Vec<(String, String)> {
    let same = |v: String| (v.clone(), v);
    match kind {
        OptionKind::Bool => vec![same("true".into()), same("false".into())],
        OptionKind::Int { min, max } => vec![same(min.to_string()), same(max.to_string())],
        OptionKind::Enum { values } => values.iter().map(|v| same((*v).to_owned())).collect(),
        OptionKind::StringList {
            allowed: Some(words),
        } => vec![
            ("".into(), "[]".into()),
            (words[0].to_uppercase(), format!("[{:?}]", words[0])),
            (
                words.join(", "),
                format!(
                    "[{}]",
                    words
                        .iter()
                        .map(|w| format!("{w:?}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
        ],
        OptionKind::StringList { allowed: None } => vec![
            ("".into(), "[]".into()),
            ("/photos/My Trip".into(), r#"["/photos/My Trip"]"#.into()),
            (r#"["/a", "/b"]"#.into(), r#"["/a", "/b"]"#.into()),
        ],
        OptionKind::Text { .. } => vec![
            ("".into(), r#""""#.into()),
            (r#""""#.into(), r#""""#.into()),
            ("/music/My Mix.wav".into(), "/music/My Mix.wav".into()),
        ],
    }
}

#[test]
fn a_missing_file_means_defaults_and_is_not_created() {
    let f = Fixture::new();
    let outcome = f.store.load();
    assert_eq!(outcome.settings, Settings::default());
    assert_eq!(outcome.report.source, LoadSource::Defaults);
    assert!(outcome.report.is_clean());
    for spec in options() {
        assert_eq!(
            f.store.get(spec.key).expect("get"),
            spec.default_text(),
            "{}",
            spec.key
        );
    }
    assert!(!f.store.path().exists());
}

#[test]
fn every_key_round_trips_through_set_and_get() {
    for spec in options() {
        for (input, expected) in samples(spec.kind) {
            let f = Fixture::new();
            let outcome = f.store.set(spec.key, &input).expect("set");
            assert_eq!(outcome.value, expected, "{} = {input:?}", spec.key);
            assert_eq!(outcome.backup, None);
            // The extremes of the two backoff delays cross the other's default, and the
            // longest delay is then raised to the first one.
            let (crossed, effective) = match (spec.key, input.as_str()) {
                ("workers.backoff_initial_ms", "60000") => (true, "60000"),
                ("workers.backoff_max_ms", "10") => (true, "250"),
                _ => (false, expected.as_str()),
            };
            assert_eq!(
                f.store.get(spec.key).expect("get"),
                effective,
                "{}",
                spec.key
            );
            let report = f.store.load().report;
            assert_eq!(report.source, LoadSource::File);
            assert_eq!(report.repaired.len(), usize::from(crossed), "{}", spec.key);
            assert_eq!(outcome.repaired, report.repaired);
            assert_eq!(f.files(), ["settings.toml"], "no temp files after set");
        }
    }
}

#[test]
fn set_values_reach_the_typed_settings() {
    let f = Fixture::new();
    for (key, value) in [
        ("display.mode", "Shrink"),
        ("display.interval_s", "30"),
        ("workers.fft.enabled", "off"),
        ("workers.sim.frame_width", "1920"),
        ("logging.level", "debug"),
        ("sources.folders", "/srv/photos"),
        ("transitions.effect", "Wipe"),
        ("transitions.pool", "slide, blinds"),
        ("transitions.easing", "expo-out"),
        ("transitions.durations.diffuse", "2500"),
        ("display.monitors", r#"["2", "DP-1"]"#),
        ("display.ken_burns", "no"),
        ("display.ken_burns_zoom_pct", "130"),
        ("display.ken_burns_speed_pct", "50"),
        ("input.hard_exit", "yes"),
        ("input.mouse_threshold_px", "25"),
    ] {
        f.store.set(key, value).expect("set");
    }
    let s = f.store.load().settings;
    assert_eq!(s.display.mode, DisplayMode::Shrink);
    assert_eq!(s.display.interval_s, 30);
    assert!(!s.workers.fft.enabled && s.workers.image.enabled);
    assert_eq!(s.workers.sim.frame_width, 1920);
    assert_eq!(s.logging.level, LogLevel::Debug);
    assert_eq!(s.sources.folders, [std::path::PathBuf::from("/srv/photos")]);
    let t = &s.transitions;
    assert_eq!((t.effect.as_str(), t.easing.as_str()), ("wipe", "expo-out"));
    assert_eq!(t.pool, ["slide", "blinds"]);
    assert_eq!(
        t.durations,
        TransitionDurations {
            diffuse: 2500,
            ..TransitionDurations::default()
        }
    );
    assert_eq!(t.duration_ms_for("diffuse"), 2500);
    assert_eq!(t.duration_ms_for("wipe"), t.duration_ms);
    assert_eq!(s.display.monitors, ["2", "DP-1"]);
    assert!(!s.display.ken_burns);
    assert_eq!(
        (s.display.ken_burns_zoom_pct, s.display.ken_burns_speed_pct),
        (130, 50)
    );
    assert!(s.input.hard_exit);
    assert_eq!(s.input.mouse_threshold_px, 25);
}

#[test]
fn set_creates_the_folder_and_a_fresh_commented_file() {
    let f = Fixture::new();
    f.store.set("display.mode", "fit").expect("set");
    f.store.set("workers.sim.enabled", "true").expect("set");
    let text = f.read();
    assert!(text.starts_with("# Idlewild settings."), "{text}");
    assert!(
        text.ends_with(
            "version = 1\n\n[display]\nmode = \"fit\"\n\n[workers.sim]\nenabled = true\n"
        ),
        "{text}"
    );
}

#[test]
fn unknown_keys_and_invalid_values_are_refused_without_writing() {
    let f = Fixture::new();
    let cases: &[(&str, &str, &str)] = &[
        (
            "display.zoom",
            "1",
            "there is no setting called \"display.zoom\"; `idlewild settings list` shows every key",
        ),
        (
            "display",
            "fit",
            "there is no setting called \"display\"; `idlewild settings list` shows every key",
        ),
        (
            "display.mode",
            "zoom",
            "display.mode: \"zoom\" is not one of fill, fit, shrink",
        ),
        (
            "display.interval_s",
            "3601",
            "display.interval_s: \"3601\" is not between 3 and 3600",
        ),
        (
            "workers.missed_heartbeats",
            "three",
            "workers.missed_heartbeats: \"three\" is not a whole number",
        ),
        (
            "transitions.random",
            "sometimes",
            "transitions.random: \"sometimes\" is not true or false",
        ),
        (
            "transitions.pool",
            "slide, spin",
            "transitions.pool: \"slide, spin\" has \"spin\", which is not one of crossfade, \
             slide, wipe, diffuse, blinds",
        ),
        (
            "display.ken_burns_zoom_pct",
            "250",
            "display.ken_burns_zoom_pct: \"250\" is not between 100 and 200",
        ),
    ];
    for &(key, value, message) in cases {
        let err = f.store.set(key, value).expect_err(key);
        assert_eq!(err.to_string(), message);
    }
    assert!(matches!(f.store.get("nope"), Err(SettingsError::UnknownKey { key }) if key == "nope"));
    assert!(!f.store.path().exists());
}

#[test]
fn set_reports_the_cross_field_repair_it_causes() {
    let f = Fixture::new();
    f.store
        .set("workers.backoff_initial_ms", "1000")
        .expect("set");
    let outcome = f.store.set("workers.backoff_max_ms", "500").expect("set");
    assert_eq!(outcome.repaired.len(), 1);
    assert_eq!(
        outcome.repaired[0].to_string(),
        "workers.backoff_max_ms: 500 is below workers.backoff_initial_ms; using 1000"
    );
    assert_eq!(f.store.get("workers.backoff_max_ms").expect("get"), "1000");
}

#[test]
fn list_shows_every_option_with_effective_value_default_and_range() {
    let f = Fixture::new();
    f.store.set("display.interval_s", "20").expect("set");
    let listed = f.store.list().expect("list");
    assert_eq!(listed.len(), options().count());
    let row = listed
        .iter()
        .find(|o| o.spec.key == "display.interval_s")
        .expect("row");
    assert_eq!((row.value.as_str(), row.default.as_str()), ("20", "12"));
    assert_eq!(row.allowed, "3 to 3600");
    let row = listed
        .iter()
        .find(|o| o.spec.key == "display.mode")
        .expect("row");
    assert_eq!(
        (row.value.as_str(), row.allowed.as_str()),
        ("fill", "fill, fit, shrink")
    );
}

#[test]
fn paths() {
    let store = SettingsStore::new("/somewhere/else.toml");
    assert_eq!(store.path(), std::path::Path::new("/somewhere/else.toml"));
    if let Ok(path) = default_path() {
        assert!(path.ends_with("settings.toml"), "{}", path.display());
        assert_eq!(
            SettingsStore::at_default_location().expect("store").path(),
            path
        );
    }
}
