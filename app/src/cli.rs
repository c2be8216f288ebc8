//! The command line: a pure function from arguments to a [`Cli`], with no I/O and no clap.
//!
//! Grammar (every option also takes the `--option=VALUE` form):
//!
//! ```text
//! idlewild [--settings FILE] [COMMAND ... | LAUNCH ...]
//! ```
//!
//! A launch (`/s`, `/p HWND`, `--window`, `--window-id ID`, …, or nothing) is handed to
//! [`crate::mode::parse_mode`], which owns that grammar.
//!
//! `--settings` is global: it may come before the command (the documented place) or among the
//! command's own options, once. `-h`/`--help` anywhere in option position asks for help;
//! `--version` is recognised before the command. `--` ends option parsing, so
//! `settings set KEY -- --odd` stores a value that starts with dashes. Numbers are checked here;
//! setting keys and values are not, because the settings crate owns their tables and gives the
//! better message.

use crate::mode::{Launch, ModeError, Platform, is_mode_argument, parse_mode};
use idlewild_protocol::WorkerKind;
use idlewild_protocol::kind::UnknownKind;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::Duration;

/// The help text printed for `idlewild --help`, formatted for an 80-column terminal.
pub const USAGE: &str = "\
Idlewild: a photo screensaver.

Usage:
  idlewild [--settings FILE] [LAUNCH ...] run the screensaver (windowed preview)
  idlewild [--settings FILE] COMMAND ...

Launch (one way to run, plus sources):
  --window [--size WxH]       a normal resizable preview window (the default)
  --fullscreen                full screen on every monitor, exit on input
  --window-id ID              draw into an existing X window (xscreensaver;
                              XSCREENSAVER_WINDOW does the same)
  --config                    the settings
  /s, /p HWND, /p:HWND, /c, /c:HWND
                              Windows .scr forms (no argument: settings)
  --source PATH               photo folder instead of the configured ones
                              (repeatable)
  --metrics FILE              frame metrics as JSON lines
  --audio-file FILE.wav       visualize this file (looping) instead of the
                              system's audio output

Commands:
  settings get KEY            print one setting (KEY such as display.mode)
  settings set KEY VALUE      change one setting, e.g. `set display.mode fit`
  settings path               print the path of the settings file
  settings list               print every setting with its current value
  supervise [--for SECONDS] [--status-every SECONDS]
                              run the worker supervisor headless; prints
                              status every 5 s by default and runs until
                              interrupted unless --for is given
  bench shm [--frames N] [--items N]
                              benchmark shared-memory transfer
                              (defaults: 60 frames, 20000 stream items)
  snapshot --from A --to B --out F.png [--transition ID] [--progress P]
           [--size WxH] [--param KEY=VALUE]... [--seed N]
                              render one frame of a transition offscreen
                              (defaults: crossfade, 0.5, 1920x1080, the
                              transition's own option defaults, seed 0)
  bench images [--source DIR] [--rounds N] [--files N] [--seconds N]
                              benchmark decode + prescale against the naive
                              image-crate path and vipsthumbnail, and the
                              image worker's peak memory (defaults:
                              /usr/share/backgrounds, 3 rounds, 10000 files,
                              20 s)
  bench frames [--source DIR] [--seconds N] [--size WxH]
                              render-loop frame times offscreen with the
                              image worker idle, with a worker decoding
                              non-stop, and with decoding on the render
                              thread (defaults: /usr/share/backgrounds,
                              60 s per scenario, 1920x1080)
  bench visualizer [--seconds N]
                              audio-to-reader latency of the fft worker
                              process against the same analysis on a
                              thread, and its CPU cost (default 10 s)
  worker KIND --epoch N [--parent-pid PID]
                              one worker process, started by the supervisor;
                              KIND is image, rss, fft, prep or sim
  help, -h, --help            print this help
  -V, --version               print the version

Options:
  --settings FILE             use FILE instead of the default settings file

Every option also accepts --option=VALUE. SECONDS may be fractional (0.5).
Logging: IDLEWILD_LOG takes a tracing EnvFilter, e.g. IDLEWILD_LOG=debug.
";

/// What the command line asked for, plus the global options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cli {
    /// The settings file given with `--settings`; `None` means the platform default.
    pub settings: Option<PathBuf>,
    /// The command to run.
    pub command: Command,
}

/// One command of the `idlewild` binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// No command, or launch arguments (`/s`, `/p HWND`, `--window`, `--window-id ID`, …): the
    /// screensaver, as [`crate::mode::parse_mode`] describes.
    Run(Launch),
    /// `worker KIND --epoch N [--parent-pid PID]`: one long-lived worker process. The
    /// supervisor starts these; people rarely type it.
    Worker {
        /// Which worker to be.
        kind: WorkerKind,
        /// The supervisor's restart epoch for this worker, echoed in every message.
        epoch: u64,
        /// The process to watch: when it dies, the worker exits too.
        parent_pid: Option<u32>,
    },
    /// `settings ...`: read or change the settings file.
    Settings(SettingsCommand),
    /// `supervise [--for SECONDS] [--status-every SECONDS]`: the worker supervisor, headless.
    Supervise {
        /// Stop after this long; `None` runs until interrupted.
        run_for: Option<Duration>,
        /// How often to print a status line.
        status_every: Duration,
    },
    /// `bench ...`: a built-in benchmark.
    Bench(BenchCommand),
    /// `snapshot ...`: render one frame of a transition offscreen into a PNG.
    Snapshot(SnapshotCommand),
    /// `help`, `-h` or `--help`: print [`USAGE`].
    Help,
    /// `-V` or `--version`: print the version.
    Version,
}

/// The `settings` subcommands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingsCommand {
    /// `settings get KEY`: print one setting's value.
    Get {
        /// A dotted key such as `display.mode`.
        key: String,
    },
    /// `settings set KEY VALUE`: change one setting, keeping the file's comments.
    Set {
        /// A dotted key such as `transitions.duration_ms`.
        key: String,
        /// The new value, as typed; the settings crate parses it by the option's kind.
        value: String,
    },
    /// `settings path`: print where the settings file lives.
    Path,
    /// `settings list`: print every setting.
    List,
}

/// The `bench` subcommands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BenchCommand {
    /// `bench shm [--frames N] [--items N]`: shared-memory frames and stream-ring throughput.
    Shm {
        /// Frames to push through the latest-wins frame slots (default 60).
        frames: u32,
        /// Items to push through the stream ring (default 20000).
        items: u32,
    },
    /// `bench images [--source DIR] [--rounds N] [--files N] [--seconds N]`.
    Images(crate::bench::images::Options),
    /// `bench frames [--source DIR] [--seconds N] [--size WxH]`.
    Frames(crate::bench::frames::Options),
    /// `bench visualizer [--seconds N]`.
    Visualizer(crate::bench::visualizer::Options),
}

/// Which command an error arose in, so the hint can show that command's usage line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Before any command, or the command name itself.
    Top,
    /// `worker`.
    Worker,
    /// `settings`.
    Settings,
    /// `supervise`.
    Supervise,
    /// `bench`.
    Bench,
    /// `snapshot`.
    Snapshot,
}

impl Scope {
    /// The one-line usage of this command (`None` for [`Scope::Top`], which has no single line).
    pub const fn usage(self) -> Option<&'static str> {
        match self {
            Self::Top => None,
            Self::Worker => Some("usage: idlewild worker KIND --epoch N [--parent-pid PID]"),
            Self::Settings => {
                Some("usage: idlewild settings (get KEY | set KEY VALUE | path | list)")
            }
            Self::Supervise => {
                Some("usage: idlewild supervise [--for SECONDS] [--status-every SECONDS]")
            }
            Self::Snapshot => Some(
                "usage: idlewild snapshot --from A --to B --out F.png [--transition ID]\n       \
                 \x20                      [--progress P] [--size WxH] [--param KEY=VALUE]...\n       \
                 \x20                      [--seed N]",
            ),
            Self::Bench => Some(
                "usage: idlewild bench shm [--frames N] [--items N]\n       \
                 idlewild bench images [--source DIR] [--rounds N] [--files N]\n       \
                 \x20                     [--seconds N]\n       \
                 idlewild bench frames [--source DIR] [--seconds N] [--size WxH]\n       \
                 idlewild bench visualizer [--seconds N]",
            ),
        }
    }

    /// The word put before "command" in unknown-command messages.
    const fn noun(self) -> &'static str {
        match self {
            Self::Settings => "settings ",
            Self::Bench => "bench ",
            Self::Top | Self::Worker | Self::Supervise | Self::Snapshot => "",
        }
    }
}

/// Why the arguments could not be understood. Print it with [`CliError::report`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CliError {
    /// The command (or `settings`/`bench` subcommand) is not one we know.
    #[error("unknown {}command {name:?}", .scope.noun())]
    UnknownCommand {
        /// Where it was given.
        scope: Scope,
        /// What was typed.
        name: String,
    },
    /// An option this command does not take.
    #[error("unknown option {option:?}")]
    UnknownOption {
        /// Where it was given.
        scope: Scope,
        /// The option as typed, without any `=VALUE`.
        option: String,
    },
    /// An option that takes a value came last, before another option, or with `=` and nothing.
    #[error("option {option} needs a value")]
    MissingValue {
        /// Where it was given.
        scope: Scope,
        /// The option's name.
        option: &'static str,
    },
    /// The same option twice; we refuse to guess which one was meant.
    #[error("option {option} was given more than once")]
    RepeatedOption {
        /// Where it was given.
        scope: Scope,
        /// The option's name.
        option: &'static str,
    },
    /// A required argument or option is absent.
    #[error("missing {what}")]
    Missing {
        /// The command that needs it.
        scope: Scope,
        /// What is missing, e.g. "the --epoch option".
        what: &'static str,
    },
    /// A value that should be a number is not one, or is out of range.
    #[error("invalid value {value:?} for {option}: expected {expected}")]
    BadNumber {
        /// Where it was given.
        scope: Scope,
        /// The option's name.
        option: &'static str,
        /// The value as typed.
        value: String,
        /// What would have been accepted.
        expected: &'static str,
    },
    /// An argument left over after the command had all it takes.
    #[error("unexpected extra argument {arg:?}")]
    UnexpectedArgument {
        /// Where it was given.
        scope: Scope,
        /// The first argument that was not used.
        arg: String,
    },
    /// `worker KIND` named no worker kind.
    #[error(transparent)]
    BadWorkerKind(#[from] UnknownKind),
    /// Launch arguments (`/s`, `--window`, …) that do not describe a launch.
    #[error(transparent)]
    Launch(#[from] ModeError),
}

impl CliError {
    /// The command the error belongs to.
    pub fn scope(&self) -> Scope {
        match self {
            Self::UnknownCommand { scope, .. }
            | Self::UnknownOption { scope, .. }
            | Self::MissingValue { scope, .. }
            | Self::RepeatedOption { scope, .. }
            | Self::Missing { scope, .. }
            | Self::BadNumber { scope, .. }
            | Self::UnexpectedArgument { scope, .. } => *scope,
            Self::BadWorkerKind(_) => Scope::Worker,
            Self::Launch(_) => Scope::Top,
        }
    }

    /// What to print under the message: the command's usage line, if it has one, and a pointer
    /// to `--help`.
    pub fn usage_hint(&self) -> String {
        let more = "Run `idlewild --help` for every command and option.";
        match self.scope().usage() {
            Some(line) => format!("{line}\n{more}"),
            None => more.to_owned(),
        }
    }

    /// The full text for standard error: `idlewild: <message>` and the usage hint below it.
    pub fn report(&self) -> String {
        format!("idlewild: {self}\n{}", self.usage_hint())
    }
}

/// Parses the arguments after the program name as on a non-Windows machine with no
/// `XSCREENSAVER_WINDOW` (see [`parse_env`]).
pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<Cli, CliError> {
    parse_env(args, None, Platform::Other)
}

/// Parses the arguments after the program name (`std::env::args().skip(1)`), given the value of
/// `XSCREENSAVER_WINDOW` and the platform (which decide what no arguments mean).
pub fn parse_env<I: IntoIterator<Item = String>>(
    args: I,
    xscreensaver_window: Option<&str>,
    platform: Platform,
) -> Result<Cli, CliError> {
    let mut args: VecDeque<String> = args.into_iter().collect();
    let mut settings = None;
    // Global options come first; the first plain word is the command.
    let name = loop {
        let Some(arg) = args.pop_front() else {
            let launch = parse_mode(&[], xscreensaver_window, platform)?;
            return Ok(Cli {
                settings,
                command: Command::Run(launch),
            });
        };
        if is_mode_argument(&arg) {
            // A launch: this and every later argument describe it, `--settings` aside.
            args.push_front(arg);
            let mut rest = Vec::new();
            while let Some(arg) = args.pop_front() {
                if option_name(&arg) == Some(SETTINGS) {
                    take_settings(Scope::Top, &arg, &mut args, &mut settings)?;
                } else {
                    rest.push(arg);
                }
            }
            let launch = parse_mode(&rest, xscreensaver_window, platform)?;
            return Ok(Cli {
                settings,
                command: Command::Run(launch),
            });
        }
        match arg.as_str() {
            "-h" | "--help" => {
                return Ok(Cli {
                    settings,
                    command: Command::Help,
                });
            }
            "-V" | "--version" => {
                return Ok(Cli {
                    settings,
                    command: Command::Version,
                });
            }
            _ if option_name(&arg) == Some(SETTINGS) => {
                take_settings(Scope::Top, &arg, &mut args, &mut settings)?;
            }
            _ if looks_like_option(&arg) || arg == "--" => {
                return Err(unknown_option(Scope::Top, &arg));
            }
            _ => break arg,
        }
    };
    let command = match name.as_str() {
        "help" => {
            let split = split(Scope::Top, args, &[], &mut settings)?;
            no_extra(Scope::Top, split.positionals.into_iter())?;
            Command::Help
        }
        "worker" => worker(split(
            Scope::Worker,
            args,
            &[EPOCH, PARENT_PID],
            &mut settings,
        )?)?,
        "settings" => settings_command(split(Scope::Settings, args, &[], &mut settings)?)?,
        "supervise" => supervise(split(
            Scope::Supervise,
            args,
            &[FOR, STATUS_EVERY],
            &mut settings,
        )?)?,
        "snapshot" => snapshot::parse(split(
            Scope::Snapshot,
            args,
            &[
                snapshot::TRANSITION,
                snapshot::PROGRESS,
                snapshot::FROM,
                snapshot::TO,
                snapshot::SIZE,
                snapshot::OUT,
                snapshot::PARAM,
                snapshot::SEED,
            ],
            &mut settings,
        )?)?,
        "bench" => bench(split(
            Scope::Bench,
            args,
            &[FRAMES, ITEMS, SOURCE, ROUNDS, FILES, SECONDS, SIZE],
            &mut settings,
        )?)?,
        _ => {
            return Err(CliError::UnknownCommand {
                scope: Scope::Top,
                name,
            });
        }
    };
    Ok(Cli { settings, command })
}

const SETTINGS: &str = "--settings";
const EPOCH: &str = "--epoch";
const PARENT_PID: &str = "--parent-pid";
const FOR: &str = "--for";
const STATUS_EVERY: &str = "--status-every";
const FRAMES: &str = "--frames";
const ITEMS: &str = "--items";
const SOURCE: &str = "--source";
const ROUNDS: &str = "--rounds";
const FILES: &str = "--files";
const SECONDS: &str = "--seconds";
/// `bench frames --size`: the same option, and the same check, as `snapshot --size`.
const SIZE: &str = snapshot::SIZE;

/// A command's arguments after the command word, sorted into plain words and option values.
struct Split {
    /// Plain words, in order.
    positionals: Vec<String>,
    /// `(option, value)` for each option given, each at most once unless it is
    /// [`REPEATABLE`].
    options: Vec<(&'static str, String)>,
    /// `-h`/`--help` appeared in option position.
    help: bool,
}

/// Options that may be given more than once (each occurrence is kept, in order).
const REPEATABLE: &[&str] = &[snapshot::PARAM];

impl Split {
    fn get(&self, option: &str) -> Option<&str> {
        self.options
            .iter()
            .find(|(name, _)| *name == option)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a [`REPEATABLE`] option, in command-line order.
    fn all<'a>(&'a self, option: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.options
            .iter()
            .filter(move |(name, _)| *name == option)
            .map(|(_, v)| v.as_str())
    }
}

/// Sorts `args` into positionals and the value-taking `known` options (plus the global
/// `--settings`, which lands in `settings`).
fn split(
    scope: Scope,
    mut args: VecDeque<String>,
    known: &[&'static str],
    settings: &mut Option<PathBuf>,
) -> Result<Split, CliError> {
    let mut out = Split {
        positionals: Vec::new(),
        options: Vec::new(),
        help: false,
    };
    while let Some(arg) = args.pop_front() {
        if arg == "--" {
            out.positionals.extend(args.drain(..));
            break;
        }
        if arg == "-h" || arg == "--help" {
            out.help = true;
            break;
        }
        if !looks_like_option(&arg) {
            out.positionals.push(arg);
            continue;
        }
        let name = option_name(&arg).unwrap_or(&arg);
        if name == SETTINGS {
            take_settings(scope, &arg, &mut args, settings)?;
            continue;
        }
        let Some(&option) = known.iter().find(|k| **k == name) else {
            return Err(unknown_option(scope, &arg));
        };
        if out.get(option).is_some() && !REPEATABLE.contains(&option) {
            return Err(CliError::RepeatedOption { scope, option });
        }
        let value = take_value(scope, option, &arg, &mut args)?;
        out.options.push((option, value));
    }
    Ok(out)
}

/// Handles one `--settings FILE` / `--settings=FILE`.
fn take_settings(
    scope: Scope,
    arg: &str,
    args: &mut VecDeque<String>,
    settings: &mut Option<PathBuf>,
) -> Result<(), CliError> {
    if settings.is_some() {
        return Err(CliError::RepeatedOption {
            scope,
            option: SETTINGS,
        });
    }
    *settings = Some(PathBuf::from(take_value(scope, SETTINGS, arg, args)?));
    Ok(())
}

/// The value of `option`, either inline (`--x=V`) or the next argument. A next argument that is
/// itself an option means the value was forgotten, not that the value starts with dashes.
fn take_value(
    scope: Scope,
    option: &'static str,
    arg: &str,
    args: &mut VecDeque<String>,
) -> Result<String, CliError> {
    let value = match arg.split_once('=') {
        Some((_, inline)) => Some(inline.to_owned()),
        None => pop_value(args),
    };
    match value {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(CliError::MissingValue { scope, option }),
    }
}

/// Pops the front argument when it may serve as an option's value.
fn pop_value(args: &mut VecDeque<String>) -> Option<String> {
    if args.front().is_some_and(|next| !next.starts_with("--")) {
        args.pop_front()
    } else {
        None
    }
}

/// The `--name` part of a long option, whether or not it carries `=VALUE`.
fn option_name(arg: &str) -> Option<&str> {
    arg.starts_with("--")
        .then(|| arg.split_once('=').map_or(arg, |(name, _)| name))
}

/// Whether `arg` is meant as an option. A lone `-` and negative numbers are plain words, so
/// `settings set KEY -1` reaches the settings crate, which explains its ranges better.
fn looks_like_option(arg: &str) -> bool {
    let negative_number = arg.strip_prefix('-').is_some_and(|rest| {
        rest.starts_with(|c: char| c.is_ascii_digit() || c == '.') && rest.parse::<f64>().is_ok()
    });
    arg.len() > 1 && arg.starts_with('-') && arg != "--" && !negative_number
}

fn unknown_option(scope: Scope, arg: &str) -> CliError {
    let option = option_name(arg).unwrap_or(arg).to_owned();
    CliError::UnknownOption { scope, option }
}

/// Fails on the first argument left over.
fn no_extra(scope: Scope, mut rest: impl Iterator<Item = String>) -> Result<(), CliError> {
    match rest.next() {
        Some(arg) => Err(CliError::UnexpectedArgument { scope, arg }),
        None => Ok(()),
    }
}

fn worker(split: Split) -> Result<Command, CliError> {
    const SCOPE: Scope = Scope::Worker;
    if split.help {
        return Ok(Command::Help);
    }
    let mut words = split.positionals.iter().cloned();
    let kind = words.next().ok_or(CliError::Missing {
        scope: SCOPE,
        what: "the worker kind",
    })?;
    let kind = kind.parse::<WorkerKind>()?;
    no_extra(SCOPE, words)?;
    let epoch = split.get(EPOCH).ok_or(CliError::Missing {
        scope: SCOPE,
        what: "--epoch N",
    })?;
    let epoch = number::<u64>(SCOPE, EPOCH, epoch, "a whole number")?;
    let parent_pid = match split.get(PARENT_PID) {
        Some(pid) => Some(positive::<u32>(
            SCOPE,
            PARENT_PID,
            pid,
            "a process id above 0",
        )?),
        None => None,
    };
    Ok(Command::Worker {
        kind,
        epoch,
        parent_pid,
    })
}

fn settings_command(split: Split) -> Result<Command, CliError> {
    const SCOPE: Scope = Scope::Settings;
    if split.help {
        return Ok(Command::Help);
    }
    let mut words = split.positionals.into_iter();
    let missing = |what| CliError::Missing { scope: SCOPE, what };
    let sub = words
        .next()
        .ok_or(missing("a settings command (get, set, path or list)"))?;
    let command = match sub.as_str() {
        "get" => SettingsCommand::Get {
            key: words.next().ok_or(missing("the setting's KEY"))?,
        },
        "set" => {
            let key = words.next().ok_or(missing("the setting's KEY"))?;
            let value = words.next().ok_or(missing("the new VALUE"))?;
            SettingsCommand::Set { key, value }
        }
        "path" => SettingsCommand::Path,
        "list" => SettingsCommand::List,
        _ => {
            return Err(CliError::UnknownCommand {
                scope: SCOPE,
                name: sub,
            });
        }
    };
    no_extra(SCOPE, words)?;
    Ok(Command::Settings(command))
}

fn supervise(split: Split) -> Result<Command, CliError> {
    const SCOPE: Scope = Scope::Supervise;
    if split.help {
        return Ok(Command::Help);
    }
    no_extra(SCOPE, split.positionals.iter().cloned())?;
    let run_for = match split.get(FOR) {
        Some(text) => Some(seconds(SCOPE, FOR, text)?),
        None => None,
    };
    let status_every = match split.get(STATUS_EVERY) {
        Some(text) => seconds(SCOPE, STATUS_EVERY, text)?,
        None => Duration::from_secs(5),
    };
    Ok(Command::Supervise {
        run_for,
        status_every,
    })
}

fn bench(split: Split) -> Result<Command, CliError> {
    const SCOPE: Scope = Scope::Bench;
    if split.help {
        return Ok(Command::Help);
    }
    let mut words = split.positionals.iter().cloned();
    let what = words.next().ok_or(CliError::Missing {
        scope: SCOPE,
        what: "a benchmark (shm, images, frames or visualizer)",
    })?;
    let (own, foreign): (&[&'static str], &[&'static str]) = match what.as_str() {
        "shm" => (&[FRAMES, ITEMS], &[SOURCE, ROUNDS, FILES, SECONDS, SIZE]),
        "images" => (&[SOURCE, ROUNDS, FILES, SECONDS], &[FRAMES, ITEMS, SIZE]),
        "frames" => (&[SOURCE, SECONDS, SIZE], &[FRAMES, ITEMS, ROUNDS, FILES]),
        "visualizer" => (&[SECONDS], &[SOURCE, FRAMES, ITEMS, ROUNDS, FILES, SIZE]),
        _ => {
            return Err(CliError::UnknownCommand {
                scope: SCOPE,
                name: what,
            });
        }
    };
    debug_assert!(own.iter().all(|o| !foreign.contains(o)));
    if let Some(option) = foreign.iter().find(|o| split.get(o).is_some()) {
        return Err(unknown_option(SCOPE, option));
    }
    no_extra(SCOPE, words)?;
    let count = |option, default| match split.get(option) {
        Some(text) => positive::<u32>(SCOPE, option, text, "a whole number above 0"),
        None => Ok(default),
    };
    let source = split
        .get(SOURCE)
        .map_or_else(|| PathBuf::from("/usr/share/backgrounds"), PathBuf::from);
    Ok(Command::Bench(match what.as_str() {
        "shm" => BenchCommand::Shm {
            frames: count(FRAMES, 60)?,
            items: count(ITEMS, 20_000)?,
        },
        "frames" => BenchCommand::Frames(crate::bench::frames::Options {
            source,
            seconds: count(SECONDS, 60)?,
            size: match split.get(SIZE) {
                Some(text) => size(SCOPE, SIZE, text)?,
                None => (1920, 1080),
            },
        }),
        "visualizer" => BenchCommand::Visualizer(crate::bench::visualizer::Options {
            seconds: count(SECONDS, 10)?,
        }),
        _ => BenchCommand::Images(crate::bench::images::Options {
            source,
            rounds: count(ROUNDS, 3)?,
            files: count(FILES, 10_000)?,
            seconds: count(SECONDS, 20)?,
        }),
    }))
}

/// `WxH` with both sides from 1 to 16384, as `snapshot --size` takes it.
fn size(scope: Scope, option: &'static str, text: &str) -> Result<(u32, u32), CliError> {
    let side = |s: &str| s.parse::<u32>().ok().filter(|v| (1..=16_384).contains(v));
    text.split_once(['x', 'X'])
        .and_then(|(w, h)| Some((side(w)?, side(h)?)))
        .ok_or_else(|| CliError::BadNumber {
            scope,
            option,
            value: text.to_owned(),
            expected: "WxH, such as 1280x720",
        })
}

fn number<T: std::str::FromStr>(
    scope: Scope,
    option: &'static str,
    text: &str,
    expected: &'static str,
) -> Result<T, CliError> {
    text.parse().map_err(|_| CliError::BadNumber {
        scope,
        option,
        value: text.to_owned(),
        expected,
    })
}

fn positive<T: std::str::FromStr + Default + PartialEq>(
    scope: Scope,
    option: &'static str,
    text: &str,
    expected: &'static str,
) -> Result<T, CliError> {
    match number::<T>(scope, option, text, expected)? {
        zero if zero == T::default() => Err(CliError::BadNumber {
            scope,
            option,
            value: text.to_owned(),
            expected,
        }),
        n => Ok(n),
    }
}

/// Positive, finite seconds, fractions allowed; too large for a `Duration` is an error too.
fn seconds(scope: Scope, option: &'static str, text: &str) -> Result<Duration, CliError> {
    let bad = || CliError::BadNumber {
        scope,
        option,
        value: text.to_owned(),
        expected: "a number of seconds above 0, such as 5 or 0.5",
    };
    let secs: f64 = text.parse().map_err(|_| bad())?;
    if !(secs.is_finite() && secs > 0.0) {
        return Err(bad());
    }
    match Duration::try_from_secs_f64(secs) {
        Ok(d) if !d.is_zero() => Ok(d),
        _ => Err(bad()),
    }
}

mod snapshot;
pub use snapshot::{Progress, SnapshotCommand};

#[cfg(test)]
mod tests;
