//! Table tests of the command-line parser.
use super::*;
use crate::mode::{Launch, Mode};
use Command::{Help, Version};
use Scope::{Bench, Settings, Snapshot, Supervise, Top, Worker};
use WorkerKind::{Fft, Image, Prep, Rss, Sim};

/// Splits a test's command line on single spaces (no case needs a space inside a word).
fn words(line: &str) -> Vec<String> {
    line.split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

type Outcome = Result<Cli, CliError>;

fn ok(command: Command) -> Outcome {
    Ok(Cli {
        settings: None,
        command,
    })
}

fn with(settings: &str, command: Command) -> Outcome {
    Ok(Cli {
        settings: Some(PathBuf::from(settings)),
        command,
    })
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
    let run_for = run_for.map(Duration::from_secs_f64);
    Command::Supervise {
        run_for,
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
        progress: snapshot::Progress::new(progress).expect("in range"),
        from: PathBuf::from("a"),
        to: PathBuf::from("b"),
        size,
        out: PathBuf::from("f.png"),
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
        source: PathBuf::from(source),
        rounds,
        files,
        seconds,
    }))
}

fn frames(source: &str, seconds: u32, size: (u32, u32)) -> Command {
    Command::Bench(BenchCommand::Frames(crate::bench::frames::Options {
        source: PathBuf::from(source),
        seconds,
        size,
    }))
}

fn visualizer(seconds: u32) -> Command {
    Command::Bench(BenchCommand::Visualizer(
        crate::bench::visualizer::Options { seconds },
    ))
}

fn unknown_cmd(scope: Scope, name: &str) -> Outcome {
    Err(CliError::UnknownCommand {
        scope,
        name: name.to_owned(),
    })
}

fn unknown_opt(scope: Scope, option: &str) -> Outcome {
    Err(CliError::UnknownOption {
        scope,
        option: option.to_owned(),
    })
}

fn no_value(scope: Scope, option: &'static str) -> Outcome {
    Err(CliError::MissingValue { scope, option })
}

fn twice(scope: Scope, option: &'static str) -> Outcome {
    Err(CliError::RepeatedOption { scope, option })
}

fn missing(scope: Scope, what: &'static str) -> Outcome {
    Err(CliError::Missing { scope, what })
}

fn bad(scope: Scope, option: &'static str, value: &str) -> Outcome {
    let expected = match option {
        EPOCH => "a whole number",
        PARENT_PID => "a process id above 0",
        FOR | STATUS_EVERY => "a number of seconds above 0, such as 5 or 0.5",
        snapshot::PROGRESS => "a number from 0 to 1, such as 0.5",
        snapshot::SIZE => "WxH, such as 1280x720",
        snapshot::PARAM => "KEY=VALUE, such as direction=left",
        snapshot::SEED => "a whole number from 0 to 4294967295",
        _ => "a whole number above 0",
    };
    Err(CliError::BadNumber {
        scope,
        option,
        value: value.to_owned(),
        expected,
    })
}

fn extra(scope: Scope, arg: &str) -> Outcome {
    Err(CliError::UnexpectedArgument {
        scope,
        arg: arg.to_owned(),
    })
}

/// Every command, every error, option orders and both `--settings` forms.
#[test]
fn every_command_and_error() {
    let path = Command::Settings(SettingsCommand::Path);
    let list = Command::Settings(SettingsCommand::List);
    // One case a line reads as a table; rustfmt would fold the long ones over four.
    #[rustfmt::skip]
    let cases: Vec<(&str, Outcome)> = vec![
        // No command: the screensaver, with or without a settings file.
        ("", ok(run(Mode::Window { size: None }))),
        ("--settings a.toml", with("a.toml", run(Mode::Window { size: None }))),
        ("--settings=a.toml", with("a.toml", run(Mode::Window { size: None }))),
        ("--settings=odd=name.toml", with("odd=name.toml", run(Mode::Window { size: None }))),
        ("--settings -dash.toml", with("-dash.toml", run(Mode::Window { size: None }))),
        // Launch arguments (every form is in mode/tests.rs); --settings may come anywhere.
        ("/s", ok(run(Mode::Fullscreen))),
        ("--settings a.toml /p 42", with("a.toml", run(Mode::WindowsPreview { parent: 42 }))),
        ("--window --settings a.toml --size 800x600", with("a.toml", run(Mode::Window { size: Some((800, 600)) }))),
        ("--window-id 0x10 --settings", no_value(Top, SETTINGS)),
        ("--fullscreen --window", Err(CliError::Launch(crate::mode::ModeError::Conflict("--fullscreen", "--window")))),
        // Help wherever it is asked for; version before the command.
        ("--help", ok(Help)),
        ("-h", ok(Help)),
        ("help", ok(Help)),
        ("help --help", ok(Help)),
        ("--settings s --help", with("s", Help)),
        ("--help frobnicate", ok(Help)),
        ("worker --help", ok(Help)),
        ("worker gpu -h", ok(Help)),
        ("settings get --help", ok(Help)),
        ("supervise --for 3 -h", ok(Help)),
        ("bench --help", ok(Help)),
        ("--version", ok(Version)),
        ("-V", ok(Version)),
        ("--version junk", ok(Version)),
        // Worker: the kind anywhere among its options, options in any order.
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
        ("settings set workers.fft.enabled false", ok(set("workers.fft.enabled", "false"))),
        ("settings set display.interval_s -1", ok(set("display.interval_s", "-1"))),
        ("settings set k -- --odd", ok(set("k", "--odd"))),
        ("settings set -- k -x", ok(set("k", "-x"))),
        ("settings path", ok(path.clone())),
        ("settings list", ok(list.clone())),
        ("--settings=f.toml settings list", with("f.toml", list)),
        ("settings --settings f.toml path", with("f.toml", path)),
        // Supervise.
        ("supervise", ok(sup(None, 5.0))),
        ("supervise --for 10", ok(sup(Some(10.0), 5.0))),
        ("supervise --for 0.5 --status-every 2", ok(sup(Some(0.5), 2.0))),
        ("supervise --status-every=1.5 --for=3", ok(sup(Some(3.0), 1.5))),
        ("supervise --status-every .25", ok(sup(None, 0.25))),
        // Bench.
        ("bench shm", ok(shm(60, 20_000))),
        ("bench shm --frames 10", ok(shm(10, 20_000))),
        ("bench --items=5 shm --frames=2", ok(shm(2, 5))),
        ("--settings x bench shm --items 4294967295", with("x", shm(60, u32::MAX))),
        // Unknown commands.
        ("frobnicate", unknown_cmd(Top, "frobnicate")),
        ("run", unknown_cmd(Top, "run")),
        ("-", unknown_cmd(Top, "-")),
        ("settings frob", unknown_cmd(Settings, "frob")),
        ("bench gpu", unknown_cmd(Bench, "gpu")),
        // Unknown options.
        ("--frobnicate", unknown_opt(Top, "--frobnicate")),
        ("--verbose=3", unknown_opt(Top, "--verbose")),
        ("-x", unknown_opt(Top, "-x")),
        ("--", unknown_opt(Top, "--")),
        ("worker image --epoch 1 --bogus", unknown_opt(Worker, "--bogus")),
        ("supervise --frames 3", unknown_opt(Supervise, "--frames")),
        ("bench shm -f 3", unknown_opt(Bench, "-f")),
        ("settings list --all", unknown_opt(Settings, "--all")),
        ("settings get -V", unknown_opt(Settings, "-V")),
        // Options without values.
        ("--settings", no_value(Top, SETTINGS)),
        ("--settings=", no_value(Top, SETTINGS)),
        ("--settings --help", no_value(Top, SETTINGS)),
        ("worker image --epoch", no_value(Worker, EPOCH)),
        ("worker image --epoch --parent-pid 3", no_value(Worker, EPOCH)),
        ("supervise --for", no_value(Supervise, FOR)),
        ("supervise --status-every=", no_value(Supervise, STATUS_EVERY)),
        ("bench shm --frames=", no_value(Bench, FRAMES)),
        ("settings path --settings", no_value(Settings, SETTINGS)),
        // Options given twice.
        ("worker image --epoch 1 --epoch 2", twice(Worker, EPOCH)),
        ("--settings a --settings=b", twice(Top, SETTINGS)),
        ("--settings a settings --settings b path", twice(Settings, SETTINGS)),
        ("bench shm --items 1 --items=2", twice(Bench, ITEMS)),
        // Missing arguments and required options.
        ("worker", missing(Worker, "the worker kind")),
        ("worker --epoch 1", missing(Worker, "the worker kind")),
        ("worker image", missing(Worker, "--epoch N")),
        ("worker image --parent-pid 5", missing(Worker, "--epoch N")),
        ("settings", missing(Settings, "a settings command (get, set, path or list)")),
        ("settings get", missing(Settings, "the setting's KEY")),
        ("settings set", missing(Settings, "the setting's KEY")),
        ("settings set display.mode", missing(Settings, "the new VALUE")),
        ("bench", missing(Bench, "a benchmark (shm, images, frames or visualizer)")),
        ("snapshot --from a --to b --out f.png", ok(snap("crossfade", 0.5, (1920, 1080)))),
        ("snapshot --from=a --to b --out f.png --transition x --progress 1 --size 64x48", ok(snap("x", 1.0, (64, 48)))),
        ("snapshot --to b --out f.png", missing(Snapshot, "the --from photo")),
        ("snapshot --from a --to b", missing(Snapshot, "the --out file")),
        ("snapshot --from a --to b --out f --progress 2", bad(Snapshot, snapshot::PROGRESS, "2")),
        ("snapshot --from a --to b --out f --progress NaN", bad(Snapshot, snapshot::PROGRESS, "NaN")),
        ("snapshot --from a --to b --out f --size 0x4", bad(Snapshot, snapshot::SIZE, "0x4")),
        ("snapshot --from a --to b --out f extra", extra(Snapshot, "extra")),
        ("snapshot --transition wipe --from a --to b --out f.png --param direction=up --param softness=0 --seed 9", ok(snap_with(&[("direction", "up"), ("softness", "0")], 9))),
        ("snapshot --transition wipe --from a --to b --out f.png --param=direction=left", ok(snap_with(&[("direction", "left")], 0))),
        ("snapshot --from a --to b --out f --param direction = right", extra(Snapshot, "=")),
        ("snapshot --from a --to b --out f --param direction", bad(Snapshot, snapshot::PARAM, "direction")),
        ("snapshot --from a --to b --out f --param =3", bad(Snapshot, snapshot::PARAM, "=3")),
        ("snapshot --from a --to b --out f --seed -1", bad(Snapshot, snapshot::SEED, "-1")),
        ("snapshot --from a --to b --out f --seed 1 --seed 2", twice(Snapshot, snapshot::SEED)),
        ("bench images", ok(images("/usr/share/backgrounds", 3, 10_000, 20))),
        ("bench images --source /p --rounds 1 --files 50 --seconds 2", ok(images("/p", 1, 50, 2))),
        ("bench images --frames 3", unknown_opt(Bench, "--frames")),
        ("bench shm --rounds 3", unknown_opt(Bench, "--rounds")),
        ("bench images --rounds 0", bad(Bench, ROUNDS, "0")),
        ("bench frames", ok(frames("/usr/share/backgrounds", 60, (1920, 1080)))),
        ("bench frames --seconds 20", ok(frames("/usr/share/backgrounds", 20, (1920, 1080)))),
        ("bench frames --source=/p --size 1280x720 --seconds=5", ok(frames("/p", 5, (1280, 720)))),
        ("bench --size 3840X2160 frames", ok(frames("/usr/share/backgrounds", 60, (3840, 2160)))),
        ("bench frames --seconds 0", bad(Bench, SECONDS, "0")),
        ("bench frames --seconds 1.5", bad(Bench, SECONDS, "1.5")),
        ("bench frames --size 1920", bad(Bench, SIZE, "1920")),
        ("bench frames --size 0x1080", bad(Bench, SIZE, "0x1080")),
        ("bench frames --size 1920x16385", bad(Bench, SIZE, "1920x16385")),
        ("bench frames --size", no_value(Bench, SIZE)),
        ("bench frames --rounds 3", unknown_opt(Bench, "--rounds")),
        ("bench frames --frames 3", unknown_opt(Bench, "--frames")),
        ("bench images --size 64x64", unknown_opt(Bench, "--size")),
        ("bench shm --size 64x64", unknown_opt(Bench, "--size")),
        ("bench frames --seconds 5 --seconds 6", twice(Bench, SECONDS)),
        ("bench frames now", extra(Bench, "now")),
        ("bench visualizer", ok(visualizer(10))),
        ("bench visualizer --seconds 3", ok(visualizer(3))),
        ("bench visualizer --size 64x64", unknown_opt(Bench, "--size")),
        ("bench visualizer --source /p", unknown_opt(Bench, "--source")),
        // Bad numbers.
        ("worker image --epoch x", bad(Worker, EPOCH, "x")),
        ("worker image --epoch -1", bad(Worker, EPOCH, "-1")),
        ("worker image --epoch 1.5", bad(Worker, EPOCH, "1.5")),
        ("worker sim --epoch=18446744073709551616", bad(Worker, EPOCH, "18446744073709551616")),
        ("worker image --epoch 1 --parent-pid 0", bad(Worker, PARENT_PID, "0")),
        ("worker sim --epoch 1 --parent-pid=4294967296", bad(Worker, PARENT_PID, "4294967296")),
        ("supervise --for 0", bad(Supervise, FOR, "0")),
        ("supervise --for -1", bad(Supervise, FOR, "-1")),
        ("supervise --for abc", bad(Supervise, FOR, "abc")),
        ("supervise --for inf", bad(Supervise, FOR, "inf")),
        ("supervise --for NaN", bad(Supervise, FOR, "NaN")),
        ("supervise --for 1e300", bad(Supervise, FOR, "1e300")),
        ("supervise --for 1e-12", bad(Supervise, FOR, "1e-12")),
        ("supervise --status-every 0.0", bad(Supervise, STATUS_EVERY, "0.0")),
        ("supervise --status-every 5s", bad(Supervise, STATUS_EVERY, "5s")),
        ("bench shm --frames 0", bad(Bench, FRAMES, "0")),
        ("bench shm --frames many", bad(Bench, FRAMES, "many")),
        ("bench shm --items -5", bad(Bench, ITEMS, "-5")),
        // Extra arguments.
        ("help me", extra(Top, "me")),
        ("worker image extra --epoch 1", extra(Worker, "extra")),
        ("settings get a b", extra(Settings, "b")),
        ("settings set a b c", extra(Settings, "c")),
        ("settings path x", extra(Settings, "x")),
        ("settings list x", extra(Settings, "x")),
        ("supervise now", extra(Supervise, "now")),
        ("bench shm more", extra(Bench, "more")),
        // Worker kinds.
        ("worker gpu --epoch 1", Err(UnknownKind("gpu".to_owned()).into())),
    ];
    let mut failures = Vec::new();
    for (line, expected) in cases {
        let got = parse(words(line));
        if got != expected {
            failures.push(format!("{line:?}\n   got {got:?}\n  want {expected:?}"));
        }
    }
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
    let args = ["settings", "set", "sources.folders", "My Pictures"].map(String::from);
    assert_eq!(parse(args), ok(set("sources.folders", "My Pictures")));
    assert_eq!(parse([String::new()]), unknown_cmd(Top, ""));
    let args = ["--settings", "", "settings", "path"].map(String::from);
    assert_eq!(parse(args), no_value(Top, SETTINGS));
}

#[test]
fn messages_read_well() {
    let seconds = "expected a number of seconds above 0, such as 5 or 0.5";
    let kinds = "(expected one of image, rss, fft, prep, sim)";
    let cases = [
        ("frob", "unknown command \"frob\"".to_owned()),
        (
            "settings frob",
            "unknown settings command \"frob\"".to_owned(),
        ),
        ("bench gpu", "unknown bench command \"gpu\"".to_owned()),
        ("--frob=1", "unknown option \"--frob\"".to_owned()),
        (
            "worker image --epoch",
            "option --epoch needs a value".to_owned(),
        ),
        (
            "--settings a --settings b",
            "option --settings was given more than once".to_owned(),
        ),
        ("worker image", "missing --epoch N".to_owned()),
        (
            "supervise --for 0",
            format!("invalid value \"0\" for --for: {seconds}"),
        ),
        (
            "settings path x",
            "unexpected extra argument \"x\"".to_owned(),
        ),
        (
            "worker gpu --epoch 1",
            format!("unknown worker kind \"gpu\" {kinds}"),
        ),
    ];
    for (line, message) in cases {
        let err = parse(words(line)).expect_err("should fail");
        assert_eq!(err.to_string(), message, "for {line:?}");
    }
}

#[test]
fn report_shows_the_message_and_the_commands_usage() {
    let more = "Run `idlewild --help` for every command and option.";
    let err = parse(words("worker")).expect_err("the kind is required");
    let usage = "usage: idlewild worker KIND --epoch N [--parent-pid PID]";
    assert_eq!(
        err.report(),
        format!("idlewild: missing the worker kind\n{usage}\n{more}")
    );
    let err = parse(words("frob")).expect_err("no such command");
    assert_eq!(
        err.report(),
        format!("idlewild: unknown command \"frob\"\n{more}")
    );
    let err = parse(words("worker gpu --epoch 1")).expect_err("no such kind");
    assert_eq!(err.scope(), Worker);
}

#[test]
fn usage_lists_everything_and_fits_a_terminal() {
    for word in [
        "--settings FILE",
        "settings get KEY",
        "settings set KEY VALUE",
        "settings path",
        "settings list",
        "supervise [--for SECONDS] [--status-every SECONDS]",
        "bench shm [--frames N] [--items N]",
        "bench frames [--source DIR] [--seconds N] [--size WxH]",
        "worker KIND --epoch N [--parent-pid PID]",
        "-h, --help",
        "-V, --version",
        "IDLEWILD_LOG",
    ] {
        assert!(USAGE.contains(word), "USAGE lacks {word:?}");
    }
    for kind in WorkerKind::ALL {
        assert!(
            USAGE.contains(kind.as_str()),
            "USAGE lacks worker kind {kind}"
        );
    }
    for line in USAGE.lines() {
        assert!(
            line.chars().count() <= 80,
            "too wide for a terminal: {line:?}"
        );
    }
    for scope in [Worker, Settings, Supervise, Bench, Snapshot] {
        let line = scope.usage().expect("every command has a usage line");
        assert!(
            line.starts_with("usage: idlewild ") && line.lines().all(|l| l.chars().count() <= 80),
            "{line}"
        );
    }
}
