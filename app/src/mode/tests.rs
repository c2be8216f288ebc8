//! Every launch form, one line each, as Windows, xscreensaver and people type them.

use super::*;
use Mode::*;
use Platform::{Other, Windows};

/// One row: the arguments, `XSCREENSAVER_WINDOW`, the platform, the expected outcome.
type Case<'a> = (
    &'a str,
    Option<&'a str>,
    Platform,
    Result<Launch, ModeError>,
);

fn launch(mode: Mode) -> Result<Launch, ModeError> {
    Ok(Launch {
        mode,
        sources: Vec::new(),
        metrics: None,
        audio_file: None,
    })
}

fn parse(line: &str, env: Option<&str>, platform: Platform) -> Result<Launch, ModeError> {
    let args: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
    parse_mode(&args, env, platform)
}

#[test]
fn every_form() {
    let bad = |option: &'static str, value: &str| {
        Err(ModeError::BadWindow {
            option,
            value: value.to_owned(),
        })
    };
    #[rustfmt::skip]
    let cases: Vec<Case> = vec![
        // Windows: the Screen Saver control panel and the .scr file's context menu.
        ("/s", None, Windows, launch(Fullscreen)),                     // "Preview" button, or the timeout
        ("/S", None, Windows, launch(Fullscreen)),
        ("-s", None, Windows, launch(Fullscreen)),
        ("/p 1234", None, Windows, launch(WindowsPreview { parent: 1234 })), // the small preview box
        ("/p:1234", None, Windows, launch(WindowsPreview { parent: 1234 })),
        ("/P:1234", None, Windows, launch(WindowsPreview { parent: 1234 })),
        ("-p 1234", None, Windows, launch(WindowsPreview { parent: 1234 })),
        ("/c", None, Windows, launch(Config { parent: None })),         // "Settings…" without owner
        ("/c:5678", None, Windows, launch(Config { parent: Some(5678) })), // "Settings…" button
        ("/C:5678", None, Windows, launch(Config { parent: Some(5678) })),
        ("-c", None, Windows, launch(Config { parent: None })),
        ("", None, Windows, launch(Config { parent: None })),           // "Configure" in the file menu
        ("/p", None, Windows, Err(ModeError::MissingValue("/p"))),
        ("/p hwnd", None, Windows, bad("/p", "hwnd")),
        ("/c:", None, Windows, bad("/c", "")),
        ("/s:1", None, Windows, Err(ModeError::Unknown("/s:1".into()))),
        ("/x", None, Windows, Err(ModeError::Unknown("/x".into()))),
        ("/sx", None, Windows, Err(ModeError::Unknown("/sx".into()))),
        // Linux and everywhere.
        ("", None, Other, launch(Window { size: None })),               // the README's preview
        ("--window", None, Other, launch(Window { size: None })),
        ("--window --size 1280x720", None, Other, launch(Window { size: Some((1280, 720)) })),
        ("--size=800X600 --window", None, Other, launch(Window { size: Some((800, 600)) })),
        ("--size 640x480", None, Other, launch(Window { size: Some((640, 480)) })),
        ("--fullscreen", None, Other, launch(Fullscreen)),
        ("--config", None, Other, launch(Config { parent: None })),
        ("--window-id 0x1a00007", None, Other, launch(X11Window { window: 0x1a0_0007 })),
        ("--window-id=27262983", None, Other, launch(X11Window { window: 27_262_983 })),
        ("--window-id", None, Other, Err(ModeError::MissingValue("--window-id"))),
        ("--window-id root", None, Other, bad("--window-id", "root")),
        // xscreensaver: the variable names the window; an explicit mode wins over it.
        ("", Some("0x2c00003"), Other, launch(X11Window { window: 0x2c0_0003 })),
        ("", Some("46137347"), Windows, launch(X11Window { window: 46_137_347 })),
        ("--window", Some("0x2c00003"), Other, launch(Window { size: None })),
        ("--window-id 9", Some("0x2c00003"), Other, launch(X11Window { window: 9 })),
        ("", Some("junk"), Other, bad("XSCREENSAVER_WINDOW", "junk")),
        // Mistakes.
        ("--fullscreen --window", None, Other, Err(ModeError::Conflict("--fullscreen", "--window"))),
        ("/s /p 1", None, Windows, Err(ModeError::Conflict("/s", "/p"))),
        ("--fullscreen --size 10x10", None, Other, Err(ModeError::SizeWithoutWindow)),
        ("--window --size 10x10 --size 20x20", None, Other, Err(ModeError::Repeated("--size"))),
        ("--window --size 0x10", None, Other, Err(ModeError::BadSize("0x10".into()))),
        ("--window --size 20000x10", None, Other, Err(ModeError::BadSize("20000x10".into()))),
        ("--window --size big", None, Other, Err(ModeError::BadSize("big".into()))),
        ("--fullscreen=yes", None, Other, Err(ModeError::Unknown("--fullscreen=yes".into()))),
        ("--windowed", None, Other, Err(ModeError::Unknown("--windowed".into()))),
        ("--metrics a --metrics b", None, Other, Err(ModeError::Repeated("--metrics"))),
        ("--metrics", None, Other, Err(ModeError::MissingValue("--metrics"))),
        (
            "--audio-file a.wav --audio-file=b.wav",
            None,
            Other,
            Err(ModeError::Repeated("--audio-file")),
        ),
        ("--audio-file", None, Other, Err(ModeError::MissingValue("--audio-file"))),
    ];
    for (line, env, platform, expected) in cases {
        assert_eq!(
            parse(line, env, platform),
            expected,
            "{line:?} env {env:?} on {platform:?}"
        );
    }
}

#[test]
fn sources_and_metrics_come_with_any_mode() {
    let got = parse(
        "--source /a --fullscreen --source=/b c --metrics m.jsonl",
        None,
        Other,
    );
    assert_eq!(
        got,
        Err(ModeError::Unknown("c".into())),
        "a stray word is refused"
    );
    let got = parse(
        "--source /a --fullscreen --source=/b --metrics m.jsonl --audio-file=/m/x.wav",
        None,
        Other,
    );
    assert_eq!(
        got,
        Ok(Launch {
            mode: Fullscreen,
            sources: vec![PathBuf::from("/a"), PathBuf::from("/b")],
            metrics: Some(PathBuf::from("m.jsonl")),
            audio_file: Some(PathBuf::from("/m/x.wav")),
        })
    );
    let got = parse("/p:77 --source /photos", None, Windows);
    assert_eq!(
        got.map(|l| (l.mode, l.sources)),
        Ok((
            WindowsPreview { parent: 77 },
            vec![PathBuf::from("/photos")]
        ))
    );
}

#[test]
fn only_launch_arguments_start_a_launch() {
    for arg in [
        "/s",
        "-S",
        "/p:1",
        "/c",
        "--window",
        "--window-id=3",
        "--size",
        "--source",
        "--metrics=x",
        "--audio-file",
        "--config",
        "--fullscreen",
    ] {
        assert!(is_mode_argument(arg), "{arg}");
    }
    for arg in [
        "settings",
        "--settings",
        "-h",
        "--help",
        "/x",
        "--sources",
        "-V",
        "bench",
    ] {
        assert!(!is_mode_argument(arg), "{arg}");
    }
}

/// Every row of the table `--help` shows is an option `parse_mode` takes (in both spellings)
/// and `is_mode_argument` routes to it; only the repeatable ones may come twice.
#[test]
fn the_launch_table_matches_the_parser() {
    for option in LAUNCH_OPTIONS {
        let name = format!("--{}", option.long);
        let sample = match option.long {
            "size" => "64x48",
            "window-id" => "7",
            _ => "x",
        };
        let once: Vec<String> = match option.value {
            None => vec![name.clone()],
            Some(_) => vec![name.clone(), sample.to_owned()],
        };
        // `--size` needs the window it sizes.
        let context: Vec<String> = match option.long {
            "size" => vec!["--window".to_owned()],
            _ => Vec::new(),
        };
        assert!(is_mode_argument(&name), "{name}");
        if option.value.is_some() {
            assert!(is_mode_argument(&format!("{name}={sample}")), "{name}=");
            let inline = [context.clone(), vec![format!("{name}={sample}")]].concat();
            assert!(parse_mode(&inline, None, Other).is_ok(), "{inline:?}");
        }
        let args = [context.clone(), once.clone()].concat();
        assert!(parse_mode(&args, None, Other).is_ok(), "{args:?}");
        let twice = [context, once.clone(), once].concat();
        let got = parse_mode(&twice, None, Other);
        assert_eq!(got.is_ok(), option.repeatable, "{twice:?}: {got:?}");
    }
    for word in [
        "--settings",
        "--help",
        "--windowed",
        "--sizes",
        "settings",
        "bench",
        "-x",
    ] {
        assert!(!is_mode_argument(word), "{word}");
    }
}
