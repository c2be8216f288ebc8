//! The command line: arguments to a [`Cli`], with no I/O beyond reading the current directory
//! (every path is made absolute as it is read).
//!
//! ```text
//! idlewild [--settings FILE] [LAUNCH ...]       the screensaver
//! idlewild [--settings FILE] COMMAND ...        settings, supervise, bench, snapshot, worker
//! ```
//!
//! The grammar is declared once, in `cli/grammar.rs` (clap's derive API): parsing, `--help`
//! for every command, errors and suggestions all come from that declaration. The launch (`/s`,
//! `/p HWND`, `/p:HWND`, `--window`, `--window-id ID`, …, or nothing) is the exception: Windows
//! spells it in ways clap cannot parse, so when the first argument after any `--settings` is a
//! launch argument (or there is none), the arguments go to [`crate::mode::parse_mode`], which
//! owns that grammar, and only the `--settings` among them go through clap.

use crate::mode::{Launch, ModeError, Platform, is_mode_argument, parse_mode};
use clap::FromArgMatches;
use clap::error::ErrorKind;
use idlewild_protocol::WorkerKind;
use std::ffi::{OsStr, OsString};
use std::path::PathBuf;
use std::time::Duration;

mod grammar;
mod snapshot;
pub use snapshot::{Progress, SnapshotCommand};

/// What the command line asked for, plus the global options.
#[derive(Debug, Clone, PartialEq)]
pub struct Cli {
    /// The settings file given with `--settings` (absolute); `None` means the platform default.
    pub settings: Option<PathBuf>,
    /// The command to run.
    pub command: Command,
}

/// One command of the `idlewild` binary.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// No command, or launch arguments (`/s`, `/p HWND`, `--window`, `--window-id ID`, …): the
    /// screensaver, as [`crate::mode::parse_mode`] describes, with absolute paths.
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
        /// How often to print a status line (default 5 s).
        status_every: Duration,
    },
    /// `bench ...`: a built-in benchmark.
    Bench(BenchCommand),
    /// `snapshot ...`: render one frame of a transition offscreen into a PNG.
    Snapshot(SnapshotCommand),
    /// `help [COMMAND]`, `-h` or `--help` anywhere: print this text (the help of the command it
    /// was asked for) on standard output.
    Help(String),
    /// `-V` or `--version`: print the version.
    Version,
}

/// The `settings` subcommands; the doc comments are their help.
#[derive(Debug, Clone, PartialEq, Eq, clap::Subcommand)]
pub enum SettingsCommand {
    /// Print one setting
    Get {
        /// A dotted key such as display.mode
        key: String,
    },
    /// Change one setting, keeping the file's comments
    Set {
        /// A dotted key such as transitions.duration_ms
        key: String,
        /// The new value, as typed; checked against the setting's kind and range
        #[arg(allow_negative_numbers = true)]
        value: String,
    },
    /// Print the path of the settings file
    Path,
    /// Print every setting with its value, default and allowed values
    List,
}

/// The `bench` subcommands, holding the options types the benchmarks own.
#[derive(Debug, Clone, PartialEq)]
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
    /// `bench chaos [--seconds SECONDS] [--seed N]`.
    Chaos(crate::bench::chaos::Options),
}

/// Why the arguments could not be understood. Print it with [`CliError::report`]; the process
/// then exits with [`crate::exit::Exit::Usage`].
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Rejected by the grammar (unknown command or option, missing or bad value, …); clap's
    /// error keeps the suggestion and the command's usage for [`CliError::report`].
    #[error("{}", one_line(.0))]
    Args(clap::Error),
    /// Launch arguments (`/s`, `--window`, …) that do not describe a launch.
    #[error(transparent)]
    Launch(#[from] ModeError),
    /// A launch argument that is not valid Unicode (launch arguments are matched as text).
    #[error("launch argument {0:?} is not valid Unicode")]
    NotUnicode(OsString),
    /// A launch path that cannot be made absolute (it is empty, or the current directory is
    /// gone).
    #[error("cannot use path {path:?}: {source}")]
    Path {
        /// The path as given.
        path: PathBuf,
        /// Why [`std::path::absolute`] refused it.
        source: std::io::Error,
    },
}

impl CliError {
    /// clap's kind of error, for grammar errors.
    pub fn kind(&self) -> Option<ErrorKind> {
        match self {
            CliError::Args(e) => Some(e.kind()),
            _ => None,
        }
    }

    /// The text for standard error: `idlewild: <message>` on one line, then any suggestion,
    /// the command's usage and a pointer to `--help`. A command that needs a subcommand and got
    /// none (`idlewild bench`) shows its help instead.
    pub fn report(&self) -> String {
        match self {
            CliError::Args(e)
                if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand =>
            {
                e.render().to_string().trim_end().to_owned()
            }
            CliError::Args(e) => {
                let rendered = e.render().to_string();
                let (_, rest) = split_message(&rendered);
                let rest = rest.lines().filter(|l| !l.trim().is_empty());
                std::iter::once(format!("idlewild: {self}"))
                    .chain(rest.map(str::to_owned))
                    .collect::<Vec<_>>()
                    .join("\n")
            }
            other => format!("idlewild: {other}\nFor more information, try '--help'."),
        }
    }
}

/// clap's message on one line: its first paragraph (which lists the missing arguments of a
/// "required arguments were not provided" error on lines of their own), without `error: `.
fn one_line(e: &clap::Error) -> String {
    if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        return "this command needs a subcommand".to_owned();
    }
    let rendered = e.render().to_string();
    let (message, _) = split_message(&rendered);
    let message = message.strip_prefix("error: ").unwrap_or(message);
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A rendered clap error split into its first paragraph and the rest.
fn split_message(rendered: &str) -> (&str, &str) {
    rendered.split_once("\n\n").unwrap_or((rendered, ""))
}

/// `idlewild --help`, as clap renders it from the declaration.
pub fn help() -> String {
    grammar::command().render_long_help().to_string()
}

/// Parses the arguments after the program name as on a non-Windows machine with no
/// `XSCREENSAVER_WINDOW` (see [`parse_env`]).
pub fn parse<I, T>(args: I) -> Result<Cli, CliError>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString>,
{
    parse_env(args, None, Platform::Other)
}

/// Parses the arguments after the program name (`std::env::args_os().skip(1)`), given the
/// value of `XSCREENSAVER_WINDOW` and the platform (which decide what no arguments mean).
pub fn parse_env<I, T>(
    args: I,
    xscreensaver_window: Option<&str>,
    platform: Platform,
) -> Result<Cli, CliError>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString>,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let (clap_args, launch_args) = route(args);
    let (settings, command) = match with_clap(clap_args)? {
        (settings, Some(command)) => (settings, command),
        (settings, None) => {
            let launch = launch(launch_args, xscreensaver_window, platform)?;
            (settings, Command::Run(launch))
        }
    };
    Ok(Cli { settings, command })
}

/// Splits the arguments into those for clap and those of a launch. A launch is what is left
/// when the first argument after any leading `--settings FILE` is a launch argument, or when
/// nothing is left; every `--settings` among its arguments still goes to clap (so it is checked
/// and made absolute the same way), and a `-h`/`--help` among them asks for the top help.
fn route(args: Vec<OsString>) -> (Vec<OsString>, Vec<OsString>) {
    let is_settings = |a: &OsStr| a == "--settings";
    let is_inline_settings = |a: &OsStr| a.as_encoded_bytes().starts_with(b"--settings=");
    let mut first = 0;
    while let Some(arg) = args.get(first) {
        if is_settings(arg) {
            first += 2;
        } else if is_inline_settings(arg) {
            first += 1;
        } else {
            break;
        }
    }
    if args
        .get(first)
        .is_some_and(|arg| !arg.to_str().is_some_and(is_mode_argument))
    {
        return (args, Vec::new());
    }
    let (mut for_clap, mut launch) = (Vec::new(), Vec::new());
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if is_settings(&arg) {
            for_clap.push(arg);
            for_clap.extend(args.next());
        } else if is_inline_settings(&arg) {
            for_clap.push(arg);
        } else if arg == "-h" || arg == "--help" {
            return (vec![arg], Vec::new());
        } else {
            launch.push(arg);
        }
    }
    (for_clap, launch)
}

/// Runs the declared grammar over `args`: the `--settings` file and the command, `None` for
/// no command (a launch). Help and version requests are commands here, not errors.
fn with_clap(args: Vec<OsString>) -> Result<(Option<PathBuf>, Option<Command>), CliError> {
    let argv = std::iter::once(OsString::from("idlewild")).chain(args);
    let matches = match grammar::command().try_get_matches_from(argv) {
        Ok(matches) => matches,
        Err(e) if e.kind() == ErrorKind::DisplayHelp => {
            let text = e.render().to_string();
            return Ok((None, Some(Command::Help(text))));
        }
        Err(e) if e.kind() == ErrorKind::DisplayVersion => {
            return Ok((None, Some(Command::Version)));
        }
        Err(e) => return Err(CliError::Args(e)),
    };
    let parsed = grammar::Args::from_arg_matches(&matches).map_err(CliError::Args)?;
    let command = parsed.command.map(grammar::Sub::into_command);
    Ok((parsed.settings, command))
}

/// The launch the arguments describe, with its paths made absolute.
fn launch(
    args: Vec<OsString>,
    xscreensaver_window: Option<&str>,
    platform: Platform,
) -> Result<Launch, CliError> {
    let args = args
        .into_iter()
        .map(|arg| arg.into_string().map_err(CliError::NotUnicode))
        .collect::<Result<Vec<String>, _>>()?;
    let mut launch = parse_mode(&args, xscreensaver_window, platform)?;
    let absolute = |path: PathBuf| match std::path::absolute(&path) {
        Ok(absolute) => Ok(absolute),
        Err(source) => Err(CliError::Path { path, source }),
    };
    launch.sources = launch
        .sources
        .into_iter()
        .map(absolute)
        .collect::<Result<_, _>>()?;
    launch.metrics = launch.metrics.map(absolute).transpose()?;
    launch.audio_file = launch.audio_file.map(absolute).transpose()?;
    Ok(launch)
}

#[cfg(test)]
mod tests;
