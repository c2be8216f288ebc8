//! Table tests of the command line: every command and option as typed, every kind of mistake,
//! relative paths made absolute, and the help generated for every command.
use super::*;
use crate::mode::{Launch, Mode};
use ErrorKind::{
    ArgumentConflict, DisplayHelpOnMissingArgumentOrSubcommand, InvalidSubcommand, InvalidValue,
    MissingRequiredArgument, UnknownArgument, ValueValidation,
};
use WorkerKind::{Fft, Image, Prep, Rss, Sim};
use std::path::Path;

/// Splits a test's command line on single spaces (no case needs a space inside a word).
fn words(line: &str) -> Vec<String> {
    line.split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `path` against the current directory, as the parser makes it.
fn abs(path: &str) -> PathBuf {
    std::path::absolute(path).expect("the test's current directory exists")
}

/// What a line should give.
#[derive(Debug)]
enum Want {
    /// This command line.
    Ok(Cli),
    /// Help whose text contains this.
    Help(&'static str),
    /// The version.
    Version,
    /// A grammar error of this kind whose one-line message contains this.
    Err(ErrorKind, &'static str),
    /// A launch the mode parser refuses.
    Launch(ModeError),
}

fn ok(command: Command) -> Want {
    Want::Ok(Cli {
        settings: None,
        command,
    })
}

fn with(settings: &str, command: Command) -> Want {
    Want::Ok(Cli {
        settings: Some(abs(settings)),
        command,
    })
}

fn err(kind: ErrorKind, message: &'static str) -> Want {
    Want::Err(kind, message)
}

fn worker(kind: WorkerKind, epoch: u64, parent_pid: Option<u32>) -> Command {
    Command::Worker {
        kind,
        epoch,
        parent_pid,
    }
}

fn get(key: &str) -> Command {
    Command::Settings(SettingsCommand::Get {
        key: key.to_owned(),
    })
}

fn set(key: &str, value: &str) -> Command {
    Command::Settings(SettingsCommand::Set {
        key: key.to_owned(),
        value: value.to_owned(),
    })
}

fn sup(run_for: Option<f64>, status_every: f64) -> Command {
    Command::Supervise {
        run_for: run_for.map(Duration::from_secs_f64),
        status_every: Duration::from_secs_f64(status_every),
    }
}

fn run(mode: Mode) -> Command {
    Command::Run(Launch {
        mode,
        sources: Vec::new(),
        metrics: None,
        audio_file: None,
    })
}

fn snap(transition: &str, progress: f32, size: (u32, u32)) -> Command {
    Command::Snapshot(SnapshotCommand {
        transition: transition.to_owned(),
        progress: Progress::new(progress).expect("in range"),
        from: abs("a"),
        to: abs("b"),
        size,
        out: abs("f.png"),
        params: Vec::new(),
        seed: 0,
    })
}

fn snap_with(params: &[(&str, &str)], seed: u32) -> Command {
    match snap("wipe", 0.5, (1920, 1080)) {
        Command::Snapshot(c) => Command::Snapshot(SnapshotCommand {
            params: params
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            seed,
            ..c
        }),
        _ => unreachable!(),
    }
}

fn shm(frames: u32, items: u32) -> Command {
    Command::Bench(BenchCommand::Shm { frames, items })
}

fn images(source: &str, rounds: u32, files: u32, seconds: u32) -> Command {
    Command::Bench(BenchCommand::Images(crate::bench::images::Options {
        source: abs(source),
        rounds,
        files,
        seconds,
    }))
}

fn frames(source: &str, seconds: u32, size: (u32, u32)) -> Command {
    Command::Bench(BenchCommand::Frames(crate::bench::frames::Options {
        source: abs(source),
        seconds,
        size,
    }))
}

fn visualizer(seconds: u32) -> Command {
    Command::Bench(BenchCommand::Visualizer(
        crate::bench::visualizer::Options { seconds },
    ))
}

fn chaos(seconds: f64, seed: u64) -> Command {
    Command::Bench(BenchCommand::Chaos(crate::bench::chaos::Options {
        seconds,
        seed,
    }))
}

const BG: &str = "/usr/share/backgrounds";
const SECONDS: &str = "expected a number of seconds above 0, such as 5 or 0.5";

/// Checks `got` against `want`; `None` when they agree, else what differs.
fn check(line: &str, got: Result<Cli, CliError>, want: &Want) -> Option<String> {
    let agrees = match (&got, want) {
        (Ok(cli), Want::Ok(expected)) => cli == expected,
        (Ok(cli), Want::Help(text)) => {
            matches!(&cli.command, Command::Help(help) if help.contains(text))
        }
        (Ok(cli), Want::Version) => cli.command == Command::Version,
        (Err(CliError::Args(e)), Want::Err(kind, text)) => {
            e.kind() == *kind && one_line(e).contains(text)
        }
        (Err(CliError::Launch(e)), Want::Launch(expected)) => e == expected,
        _ => false,
    };
    let got = match got {
        Ok(cli) => format!("{cli:?}"),
        Err(e) => format!("{:?}: {e}", e.kind()),
    };
    (!agrees).then(|| format!("{line:?}\n   got {got}\n  want {want:?}"))
}

/// Every command, every kind of mistake, option orders and both `--settings` forms.
#[test]
fn every_command_and_error() {
    let path = Command::Settings(SettingsCommand::Path);
    let list = Command::Settings(SettingsCommand::List);
    let window = || run(Mode::Window { size: None });
    // One case a line reads as a table; rustfmt would fold the long ones over four.
    #[rustfmt::skip]
    let cases: Vec<(&str, Want)> = vec![
        // No command: the screensaver, with or without a settings file.
        ("", ok(window())),
        ("--settings a.toml", with("a.toml", window())),
        ("--settings=a.toml", with("a.toml", window())),
        ("--settings=odd=name.toml", with("odd=name.toml", window())),
        ("--settings /abs/a.toml", with("/abs/a.toml", window())),
        // Launch arguments (every form is in mode/tests.rs); --settings may come anywhere.
        ("/s", ok(run(Mode::Fullscreen))),
        ("--settings a.toml /p 42", with("a.toml", run(Mode::WindowsPreview { parent: 42 }))),
        ("--settings a.toml /P:42", with("a.toml", run(Mode::WindowsPreview { parent: 42 }))),
        ("-c:7", ok(run(Mode::Config { parent: Some(7) }))),
        ("--window --settings a.toml --size 800x600", with("a.toml", run(Mode::Window { size: Some((800, 600)) }))),
        ("--window-id 0x10 --settings", err(InvalidValue, "a value is required for '--settings <FILE>'")),
        ("--window --settings a --settings=b", err(ArgumentConflict, "'--settings <FILE>' cannot be used multiple times")),
        ("--fullscreen --window", Want::Launch(ModeError::Conflict("--fullscreen", "--window"))),
        ("--window frob", Want::Launch(ModeError::Unknown("frob".into()))),
        // Help wherever it is asked for, for the command it is asked in; version at the top.
        ("--help", Want::Help("Usage: idlewild [--settings FILE] [LAUNCH]...")),
        ("-h", Want::Help("Usage: idlewild [--settings FILE] [LAUNCH]...")),
        ("help", Want::Help("Usage: idlewild [--settings FILE] [LAUNCH]...")),
        ("--settings s --help", Want::Help("Commands:")),
        ("--help frobnicate", Want::Help("Commands:")),
        ("--window --help", Want::Help("--fullscreen")),
        ("help bench", Want::Help("Usage: idlewild bench")),
        ("worker --help", Want::Help("Usage: idlewild worker")),
        ("settings get --help", Want::Help("Usage: idlewild settings get")),
        ("supervise --for 3 -h", Want::Help("--status-every <SECONDS>")),
        ("bench --help", Want::Help("chaos")),
        ("bench frames -h", Want::Help("--size <WxH>")),
        ("snapshot --help", Want::Help("--param <KEY=VALUE>")),
        ("--version", Want::Version),
        ("-V", Want::Version),
        ("--version junk", Want::Version),
        // Worker: options in any order, the kind in any case.
        ("worker image --epoch 3", ok(worker(Image, 3, None))),
        ("worker sim --epoch 7 --parent-pid 1234", ok(worker(Sim, 7, Some(1234)))),
        ("worker rss --parent-pid 1 --epoch 0", ok(worker(Rss, 0, Some(1)))),
        ("worker --epoch=9 --parent-pid=42 FFT", ok(worker(Fft, 9, Some(42)))),
        ("worker --epoch 5 prep", ok(worker(Prep, 5, None))),
        ("worker image --epoch 18446744073709551615", ok(worker(Image, u64::MAX, None))),
        ("--settings s.toml worker image --epoch 2", with("s.toml", worker(Image, 2, None))),
        ("worker image --settings=s.toml --epoch 2", with("s.toml", worker(Image, 2, None))),
        // Settings.
        ("settings get display.mode", ok(get("display.mode"))),
        ("settings set display.mode fit", ok(set("display.mode", "fit"))),
        ("settings set transitions.duration_ms 800", ok(set("transitions.duration_ms", "800"))),
        ("settings set display.interval_s -1", ok(set("display.interval_s", "-1"))),
        ("settings set display.interval_s -0.5", ok(set("display.interval_s", "-0.5"))),
        ("settings set k -- --odd", ok(set("k", "--odd"))),
        ("settings set -- k -x", ok(set("k", "-x"))),
        ("settings path", ok(path.clone())),
        ("settings list", ok(list.clone())),
        ("--settings=f.toml settings list", with("f.toml", list)),
        ("settings --settings f.toml path", with("f.toml", path.clone())),
        // Supervise: fractional seconds.
        ("supervise", ok(sup(None, 5.0))),
        ("supervise --for 10", ok(sup(Some(10.0), 5.0))),
        ("supervise --for 0.5 --status-every 2", ok(sup(Some(0.5), 2.0))),
        ("supervise --status-every=1.5 --for=3", ok(sup(Some(3.0), 1.5))),
        ("supervise --status-every .25", ok(sup(None, 0.25))),
        // Bench.
        ("bench shm", ok(shm(60, 20_000))),
        ("bench shm --frames 10", ok(shm(10, 20_000))),
        ("bench shm --items=5 --frames=2", ok(shm(2, 5))),
        ("--settings x bench shm --items 4294967295", with("x", shm(60, u32::MAX))),
        ("bench images", ok(images(BG, 3, 10_000, 20))),
        ("bench images --source /p --rounds 1 --files 50 --seconds 2", ok(images("/p", 1, 50, 2))),
        ("bench images --source photos", ok(images("photos", 3, 10_000, 20))),
        ("bench frames", ok(frames(BG, 60, (1920, 1080)))),
        ("bench frames --seconds 20", ok(frames(BG, 20, (1920, 1080)))),
        ("bench frames --source=p --size 1280x720 --seconds=5", ok(frames("p", 5, (1280, 720)))),
        ("bench frames --size 3840X2160", ok(frames(BG, 60, (3840, 2160)))),
        ("bench visualizer", ok(visualizer(10))),
        ("bench visualizer --seconds 3", ok(visualizer(3))),
        ("bench chaos", ok(chaos(30.0, 1))),
        ("bench chaos --seconds 2.5 --seed 42", ok(chaos(2.5, 42))),
        ("bench chaos --seed=18446744073709551615 --seconds=60", ok(chaos(60.0, u64::MAX))),
        // Snapshot.
        ("snapshot --from a --to b --out f.png", ok(snap("crossfade", 0.5, (1920, 1080)))),
        ("snapshot --from=a --to b --out f.png --transition x --progress 1 --size 64x48", ok(snap("x", 1.0, (64, 48)))),
        ("snapshot --transition wipe --from a --to b --out f.png --param direction=up --param softness=0 --seed 9", ok(snap_with(&[("direction", "up"), ("softness", "0")], 9))),
        ("snapshot --transition wipe --from a --to b --out f.png --param=direction=left", ok(snap_with(&[("direction", "left")], 0))),
        // Unknown commands, with suggestions where one is close.
        ("frobnicate", err(InvalidSubcommand, "unrecognized subcommand 'frobnicate'")),
        ("run", err(InvalidSubcommand, "'run'")),
        ("-", err(InvalidSubcommand, "'-'")),
        ("settings frob", err(InvalidSubcommand, "'frob'")),
        ("bench gpu", err(InvalidSubcommand, "'gpu'")),
        ("help me", err(InvalidSubcommand, "'me'")),
        // Unknown options.
        ("--frobnicate", err(UnknownArgument, "unexpected argument '--frobnicate'")),
        ("--verbose=3", err(UnknownArgument, "'--verbose'")),
        ("-x", err(UnknownArgument, "'-x'")),
        ("worker image --epoch 1 --bogus", err(UnknownArgument, "'--bogus'")),
        ("supervise --frames 3", err(UnknownArgument, "'--frames'")),
        ("bench shm -f 3", err(UnknownArgument, "'-f'")),
        ("settings list --all", err(UnknownArgument, "'--all'")),
        ("settings get -V", err(UnknownArgument, "'-V'")),
        ("bench images --frames 3", err(UnknownArgument, "'--frames'")),
        ("bench shm --rounds 3", err(UnknownArgument, "'--rounds'")),
        ("bench frames --rounds 3", err(UnknownArgument, "'--rounds'")),
        ("bench images --size 64x64", err(UnknownArgument, "'--size'")),
        ("bench visualizer --source /p", err(UnknownArgument, "'--source'")),
        ("bench chaos --size 64x64", err(UnknownArgument, "'--size'")),
        // A bench's options belong after its name.
        ("bench --items=5 shm", err(UnknownArgument, "'--items'")),
        // Options without values.
        ("--settings", err(InvalidValue, "a value is required for '--settings <FILE>'")),
        ("--settings=", err(InvalidValue, "a value is required for '--settings <FILE>'")),
        ("worker image --epoch", err(InvalidValue, "a value is required for '--epoch <N>'")),
        ("worker image --epoch --parent-pid 3", err(InvalidValue, "'--epoch <N>'")),
        ("supervise --for", err(InvalidValue, "'--for <SECONDS>'")),
        ("bench frames --size", err(InvalidValue, "'--size <WxH>'")),
        ("settings path --settings", err(InvalidValue, "'--settings <FILE>'")),
        ("snapshot --from a --to b --out", err(InvalidValue, "'--out <F.png>'")),
        // Options given twice.
        ("worker image --epoch 1 --epoch 2", err(ArgumentConflict, "'--epoch <N>' cannot be used multiple times")),
        ("--settings a --settings=b", err(ArgumentConflict, "'--settings <FILE>'")),
        // `--settings` is global: given before and after the command, the later one wins.
        ("--settings a settings --settings b path", with("b", path)),
        ("bench shm --items 1 --items=2", err(ArgumentConflict, "'--items <N>'")),
        ("bench frames --seconds 5 --seconds 6", err(ArgumentConflict, "'--seconds <N>'")),
        ("snapshot --from a --to b --out f --seed 1 --seed 2", err(ArgumentConflict, "'--seed <N>'")),
        // Missing arguments, required options and subcommands.
        ("worker", err(MissingRequiredArgument, "<KIND>")),
        ("worker --epoch 1", err(MissingRequiredArgument, "<KIND>")),
        ("worker image", err(MissingRequiredArgument, "--epoch <N>")),
        ("worker image --parent-pid 5", err(MissingRequiredArgument, "--epoch <N>")),
        ("settings", err(DisplayHelpOnMissingArgumentOrSubcommand, "needs a subcommand")),
        ("settings get", err(MissingRequiredArgument, "<KEY>")),
        ("settings set", err(MissingRequiredArgument, "<KEY>")),
        ("settings set display.mode", err(MissingRequiredArgument, "<VALUE>")),
        ("bench", err(DisplayHelpOnMissingArgumentOrSubcommand, "needs a subcommand")),
        ("snapshot --to b --out f.png", err(MissingRequiredArgument, "--from <A>")),
        ("snapshot --from a --to b", err(MissingRequiredArgument, "--out <F.png>")),
        // Bad values, each with what would have been accepted.
        ("worker gpu --epoch 1", err(InvalidValue, "invalid value 'gpu' for '<KIND>'")),
        ("worker image --epoch x", err(ValueValidation, "invalid value 'x' for '--epoch <N>'")),
        ("worker image --epoch -1", err(UnknownArgument, "'-1'")),
        ("worker image --epoch 1.5", err(ValueValidation, "'1.5'")),
        ("worker sim --epoch=18446744073709551616", err(ValueValidation, "'18446744073709551616'")),
        ("worker image --epoch 1 --parent-pid 0", err(ValueValidation, "0 is not in 1..=4294967295")),
        ("worker sim --epoch 1 --parent-pid=4294967296", err(ValueValidation, "'4294967296'")),
        ("supervise --for 0", err(ValueValidation, SECONDS)),
        ("supervise --for=-1", err(ValueValidation, SECONDS)),
        ("supervise --for abc", err(ValueValidation, SECONDS)),
        ("supervise --for inf", err(ValueValidation, SECONDS)),
        ("supervise --for NaN", err(ValueValidation, SECONDS)),
        ("supervise --for 1e300", err(ValueValidation, SECONDS)),
        ("supervise --for 1e-12", err(ValueValidation, SECONDS)),
        ("supervise --status-every 0.0", err(ValueValidation, SECONDS)),
        ("supervise --status-every 5s", err(ValueValidation, SECONDS)),
        ("bench shm --frames 0", err(ValueValidation, "0 is not in 1..=4294967295")),
        ("bench shm --frames many", err(ValueValidation, "'many'")),
        ("bench shm --items=-5", err(ValueValidation, "'-5'")),
        ("bench images --rounds 0", err(ValueValidation, "'0' for '--rounds <N>'")),
        ("bench frames --seconds 0", err(ValueValidation, "'--seconds <N>'")),
        ("bench frames --seconds 1.5", err(ValueValidation, "'1.5'")),
        ("bench frames --size 1920", err(ValueValidation, "expected WxH, such as 1280x720")),
        ("bench frames --size 0x1080", err(ValueValidation, "'0x1080'")),
        ("bench frames --size 1920x16385", err(ValueValidation, "'1920x16385'")),
        ("bench chaos --seconds 0", err(ValueValidation, SECONDS)),
        ("bench chaos --seed x", err(ValueValidation, "'x' for '--seed <N>'")),
        ("snapshot --from a --to b --out f --progress 2", err(ValueValidation, "expected a number from 0 to 1")),
        ("snapshot --from a --to b --out f --progress NaN", err(ValueValidation, "'NaN'")),
        ("snapshot --from a --to b --out f --size 0x4", err(ValueValidation, "'0x4'")),
        ("snapshot --from a --to b --out f --param direction", err(ValueValidation, "expected KEY=VALUE")),
        ("snapshot --from a --to b --out f --param =3", err(ValueValidation, "'=3'")),
        ("snapshot --from a --to b --out f --seed=-1", err(ValueValidation, "'-1'")),
        // Extra arguments.
        ("worker image extra --epoch 1", err(UnknownArgument, "'extra'")),
        ("settings get a b", err(UnknownArgument, "'b'")),
        ("settings set a b c", err(UnknownArgument, "'c'")),
        ("settings path x", err(UnknownArgument, "'x'")),
        ("supervise now", err(UnknownArgument, "'now'")),
        ("bench shm more", err(UnknownArgument, "'more'")),
        ("bench frames now", err(UnknownArgument, "'now'")),
        ("snapshot --from a --to b --out f extra", err(UnknownArgument, "'extra'")),
        ("snapshot --from a --to b --out f --param direction = right", err(UnknownArgument, "'='")),
    ];
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(line, want)| check(line, parse(words(line)), want))
        .collect();
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Arguments that the table's space-splitting cannot spell.
#[test]
fn values_with_spaces_and_empty_words() {
    let args = ["settings", "set", "sources.folders", "My Pictures"];
    let cli = parse(args).expect("a value with a space");
    assert_eq!(cli.command, set("sources.folders", "My Pictures"));
    let e = parse([""]).expect_err("an empty command");
    assert_eq!(e.kind(), Some(InvalidSubcommand));
    let e = parse(["--settings", "", "settings", "path"]).expect_err("an empty file name");
    assert_eq!(e.kind(), Some(InvalidValue));
    let e = parse(["--source="]).expect_err("an empty photo folder");
    assert!(matches!(e, CliError::Path { .. }), "{e:?}");
}

/// Every path is absolute when the command sees it, whatever the command and however the path
/// was typed; absolute paths stay as they were.
#[test]
fn every_path_is_made_absolute() {
    let cwd = std::env::current_dir().expect("the test's current directory exists");
    let under = |p: &Path| p.is_absolute() && p.starts_with(&cwd);
    let cli = parse(words(
        "--settings s.toml --window --source photos --source=../up --source /abs \
         --metrics m.jsonl --audio-file=./a.wav",
    ))
    .expect("a launch");
    assert!(cli.settings.as_deref().is_some_and(under), "{cli:?}");
    let Command::Run(launch) = &cli.command else {
        panic!("{cli:?}")
    };
    assert!(under(&launch.sources[0]), "{launch:?}");
    assert_eq!(launch.sources[0], cwd.join("photos"));
    // `..` is kept, not resolved: std::path::absolute does not touch the file system.
    assert_eq!(launch.sources[1], cwd.join("../up"));
    assert_eq!(launch.sources[2], PathBuf::from("/abs"));
    assert_eq!(
        launch.metrics.as_deref(),
        Some(cwd.join("m.jsonl").as_path())
    );
    assert!(
        launch.audio_file.as_deref().is_some_and(under),
        "{launch:?}"
    );
    let cli = parse(words("snapshot --from a.png --to sub/b.png --out o.png")).expect("snap");
    let Command::Snapshot(snap) = &cli.command else {
        panic!("{cli:?}")
    };
    for path in [&snap.from, &snap.to, &snap.out] {
        assert!(under(path), "{path:?}");
    }
    for line in ["bench images --source p", "bench frames --source p"] {
        let cli = parse(words(line)).expect(line);
        let source = match &cli.command {
            Command::Bench(BenchCommand::Images(o)) => &o.source,
            Command::Bench(BenchCommand::Frames(o)) => &o.source,
            other => panic!("{other:?}"),
        };
        assert_eq!(source, &cwd.join("p"), "{line}");
    }
    let cli = parse(words("/p:9 --settings=rel/s.toml")).expect("a Windows preview");
    assert_eq!(cli.settings, Some(cwd.join("rel/s.toml")));
}

#[cfg(unix)]
#[test]
fn paths_need_not_be_unicode() {
    use std::os::unix::ffi::OsStringExt;
    let latin1 = OsString::from_vec(b"caf\xe9.png".to_vec());
    let args = ["snapshot", "--from", "a", "--to", "b", "--out"].map(OsString::from);
    let cli = parse(args.into_iter().chain([latin1.clone()])).expect("a Latin-1 file name");
    let Command::Snapshot(snap) = cli.command else {
        panic!("{cli:?}")
    };
    assert_eq!(snap.out.file_name(), Some(latin1.as_os_str()));
    let e = parse([OsString::from("--source"), latin1]).expect_err("launch words are text");
    assert!(matches!(e, CliError::NotUnicode(_)), "{e:?}");
}

#[test]
fn reports_are_one_line_with_a_suggestion_and_a_pointer_to_help() {
    let more = "For more information, try '--help'.";
    let report = parse(words("snapshot --form a --to b --out c"))
        .expect_err("misspelt")
        .report();
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(
        lines[0], "idlewild: unexpected argument '--form' found",
        "{report}"
    );
    assert!(
        report.contains("tip: a similar argument exists: '--from'"),
        "{report}"
    );
    assert!(report.contains("Usage: idlewild snapshot"), "{report}");
    assert_eq!(lines.last(), Some(&more), "{report}");
    assert!(lines.iter().all(|l| !l.trim().is_empty()), "{report}");
    // A misspelt launch option is suggested too: the launch options are declared to clap.
    let report = parse(words("--fulscreen")).expect_err("misspelt").report();
    assert!(report.contains("'--fullscreen'"), "{report}");
    let report = parse(words("bench chaso")).expect_err("misspelt").report();
    assert!(report.contains("'chaos'"), "{report}");
    let report = parse(words("worker gpu --epoch 1"))
        .expect_err("no such kind")
        .report();
    assert!(
        report.contains("[possible values: image, rss, fft, prep, sim]"),
        "{report}"
    );
    // Launch errors come from the mode parser, in the same shape.
    let e = parse(words("/s /p 1")).expect_err("two modes");
    assert_eq!(
        e.report(),
        format!("idlewild: /s and /p cannot be combined: choose one way to run\n{more}")
    );
}

/// `--help` for the top and for every command comes from the one declaration: it names every
/// command, option, worker kind and launch form, and fits an 80-column terminal.
#[test]
fn help_lists_everything_and_fits_a_terminal() {
    let top = help();
    for word in [
        "--settings <FILE>",
        "settings",
        "supervise",
        "bench",
        "snapshot",
        "worker",
        "-h, --help",
        "-V, --version",
        "/p:HWND",
        "IDLEWILD_LOG",
        "--window-id <ID>",
        "--source <PATH>",
        "--audio-file <FILE.wav>",
    ] {
        assert!(top.contains(word), "the help lacks {word:?}:\n{top}");
    }
    for option in crate::mode::LAUNCH_OPTIONS {
        assert!(top.contains(&format!("--{}", option.long)), "{option:?}");
    }
    for status in crate::exit::Exit::ALL {
        let line = format!("  {}  {}", status.code(), status.meaning());
        assert!(top.contains(&line), "the help lacks {line:?}:\n{top}");
    }
    let mut texts = vec![top];
    for line in [
        "settings --help",
        "settings get --help",
        "settings set --help",
        "supervise --help",
        "bench --help",
        "bench shm --help",
        "bench images --help",
        "bench frames --help",
        "bench visualizer --help",
        "bench chaos --help",
        "snapshot --help",
        "worker --help",
    ] {
        match parse(words(line)).map(|cli| cli.command) {
            Ok(Command::Help(text)) => texts.push(text),
            other => panic!("{line}: {other:?}"),
        }
    }
    let worker = &texts[texts.len() - 1];
    for kind in WorkerKind::ALL {
        assert!(worker.contains(kind.as_str()), "worker help lacks {kind}");
    }
    let wide: Vec<&str> = texts
        .iter()
        .flat_map(|text| text.lines())
        .filter(|line| line.chars().count() > 80)
        .collect();
    assert!(
        wide.is_empty(),
        "too wide for a terminal:\n{}",
        wide.join("\n")
    );
}

/// The declaration itself is consistent (clap's own checks: unique names, valid defaults).
#[test]
fn the_declaration_is_valid() {
    grammar::command().debug_assert();
}
