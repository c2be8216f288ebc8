//! The command line's one declaration: clap derive types whose doc comments are the help text,
//! the value parsers that check numbers and make paths absolute, and the mapping onto the
//! options types the commands own ([`crate::bench::images::Options`], …).
//!
//! The launch options (`--window`, `--source`, …) are added from [`crate::mode::LAUNCH_OPTIONS`]
//! so that `--help` lists them and a misspelt one gets a suggestion; they are parsed by
//! [`crate::mode::parse_mode`], never by clap (see `cli.rs` for the routing).

use super::{BenchCommand, Command, SettingsCommand, SnapshotCommand};
use crate::exit::Exit;
use crate::mode::{LAUNCH_OPTIONS, WINDOWS_FORMS, parse_size};
use clap::builder::{PathBufValueParser, PossibleValuesParser, TypedValueParser};
use clap::{Arg, ArgAction, CommandFactory, Parser, Subcommand};
use idlewild_protocol::WorkerKind;
use std::path::PathBuf;
use std::time::Duration;

/// The top level: the global `--settings`, then a command (or a launch, routed elsewhere).
#[derive(Debug, Parser)]
#[command(
    name = "idlewild",
    version,
    about = "Idlewild: a photo screensaver.",
    override_usage = "idlewild [--settings FILE] [LAUNCH]...   run the screensaver\n       \
                      idlewild [--settings FILE] <COMMAND>",
    subcommand_value_name = "COMMAND",
    subcommand_help_heading = "Commands"
)]
pub(super) struct Args {
    /// Use FILE instead of the default settings file
    #[arg(long, global = true, value_name = "FILE", value_parser = absolute_path())]
    pub(super) settings: Option<PathBuf>,
    /// The command; `None` when only `--settings` was given (the default launch).
    #[command(subcommand)]
    pub(super) command: Option<Sub>,
}

/// The closing notes of `idlewild --help`: the launch forms clap cannot spell, then general
/// notes.
fn after_help() -> String {
    let statuses: String = Exit::ALL
        .iter()
        .map(|e| format!("\n  {}  {}", e.code(), e.meaning()))
        .collect();
    format!(
        "Windows .scr launch forms:\n  {WINDOWS_FORMS}\n\n\
         Every option also accepts --option=VALUE. SECONDS may be fractional (0.5).\n\
         Logging: IDLEWILD_LOG takes a tracing EnvFilter, e.g. IDLEWILD_LOG=debug.\n\n\
         Exit statuses:{statuses}"
    )
}

/// The commands, in the order `--help` lists them.
#[derive(Debug, Subcommand)]
pub(super) enum Sub {
    /// Read or change the settings file
    #[command(subcommand)]
    Settings(SettingsCommand),
    /// Run the worker supervisor headless, printing its status
    Supervise {
        /// Stop after SECONDS (default: when interrupted)
        #[arg(long = "for", value_name = "SECONDS", value_parser = seconds)]
        run_for: Option<Duration>,
        /// Print a status line every SECONDS
        #[arg(long, value_name = "SECONDS", value_parser = seconds, default_value = "5")]
        status_every: Duration,
    },
    /// Built-in benchmarks
    #[command(subcommand)]
    Bench(Bench),
    /// Render one frame of a transition offscreen into a PNG
    Snapshot(SnapshotCommand),
    /// One worker process (the supervisor starts these)
    Worker {
        /// Which worker to be
        #[arg(value_parser = worker_kind(), ignore_case = true)]
        kind: WorkerKind,
        /// The supervisor's restart epoch
        #[arg(long, value_name = "N")]
        epoch: u64,
        /// Exit when this process dies
        #[arg(long, value_name = "PID", value_parser = clap::value_parser!(u32).range(1..))]
        parent_pid: Option<u32>,
    },
}

/// `bench ...`.
#[derive(Debug, Subcommand)]
pub(super) enum Bench {
    /// Shared-memory transfer against a pipe and memcpy
    Shm {
        /// Frames through the latest-wins slots
        #[arg(long, value_name = "N", value_parser = count(), default_value = "60")]
        frames: u32,
        /// Items to push through the stream ring
        #[arg(long, value_name = "N", value_parser = count(), default_value = "20000")]
        items: u32,
    },
    /// Decode + prescale against naive decoding and vipsthumbnail
    Images {
        /// Folder of photos
        #[arg(long, value_name = "DIR", value_parser = absolute_path(), default_value = BACKGROUNDS)]
        source: PathBuf,
        /// Rounds over all photos
        #[arg(long, value_name = "N", value_parser = count(), default_value = "3")]
        rounds: u32,
        /// Files in the prefetch run's folder
        #[arg(long, value_name = "N", value_parser = count(), default_value = "10000")]
        files: u32,
        /// Seconds of prefetching
        #[arg(long, value_name = "N", value_parser = count(), default_value = "20")]
        seconds: u32,
    },
    /// Render-loop frame times with decoding in a worker and in the loop
    Frames {
        /// Folder of photos
        #[arg(long, value_name = "DIR", value_parser = absolute_path(), default_value = BACKGROUNDS)]
        source: PathBuf,
        /// Seconds per scenario
        #[arg(long, value_name = "N", value_parser = count(), default_value = "60")]
        seconds: u32,
        /// Frame size in pixels
        #[arg(long, value_name = "WxH", value_parser = size, default_value = "1920x1080")]
        size: (u32, u32),
    },
    /// Latency and CPU cost of the fft worker against a thread
    Visualizer {
        /// Seconds measured per path
        #[arg(long, value_name = "N", value_parser = count(), default_value = "10")]
        seconds: u32,
    },
    /// Frame intervals under random worker kills, against a calm run
    Chaos {
        /// SECONDS of each run (calm and chaos)
        #[arg(long, value_name = "SECONDS", value_parser = seconds_f64, default_value = "30")]
        seconds: f64,
        /// Seed of the kill schedule
        #[arg(long, value_name = "N", default_value = "1")]
        seed: u64,
    },
}

/// Where `bench images` and `bench frames` look for photos by default.
const BACKGROUNDS: &str = "/usr/share/backgrounds";

/// The whole grammar as a clap command: the derived commands plus the launch options, which
/// are declared beside [`crate::mode::parse_mode`] and listed under their own heading.
pub(super) fn command() -> clap::Command {
    let launch = LAUNCH_OPTIONS.iter().map(|option| {
        let arg = Arg::new(option.long)
            .long(option.long)
            .help(option.help)
            .help_heading("Launch (one way to run, plus where the photos come from)");
        match option.value {
            None => arg.action(ArgAction::SetTrue),
            Some(value) if option.repeatable => arg.value_name(value).action(ArgAction::Append),
            Some(value) => arg.value_name(value),
        }
    });
    Args::command().args(launch).after_help(after_help())
}

impl Sub {
    /// Maps the parsed command onto the types the commands own.
    pub(super) fn into_command(self) -> Command {
        match self {
            Sub::Settings(cmd) => Command::Settings(cmd),
            Sub::Supervise {
                run_for,
                status_every,
            } => Command::Supervise {
                run_for,
                status_every,
            },
            Sub::Snapshot(cmd) => Command::Snapshot(cmd),
            Sub::Worker {
                kind,
                epoch,
                parent_pid,
            } => Command::Worker {
                kind,
                epoch,
                parent_pid,
            },
            Sub::Bench(bench) => Command::Bench(match bench {
                Bench::Shm { frames, items } => BenchCommand::Shm { frames, items },
                Bench::Images {
                    source,
                    rounds,
                    files,
                    seconds,
                } => BenchCommand::Images(crate::bench::images::Options {
                    source,
                    rounds,
                    files,
                    seconds,
                }),
                Bench::Frames {
                    source,
                    seconds,
                    size,
                } => BenchCommand::Frames(crate::bench::frames::Options {
                    source,
                    seconds,
                    size,
                }),
                Bench::Visualizer { seconds } => {
                    BenchCommand::Visualizer(crate::bench::visualizer::Options { seconds })
                }
                Bench::Chaos { seconds, seed } => {
                    BenchCommand::Chaos(crate::bench::chaos::Options { seconds, seed })
                }
            }),
        }
    }
}

/// A path made absolute against the current directory when the command line is read, so that
/// a command which changes directory, links into a temporary folder or hands the path to a
/// worker process still finds it (`bench images --source photos` once linked nowhere).
pub(crate) fn absolute_path() -> impl TypedValueParser<Value = PathBuf> {
    PathBufValueParser::new().try_map(|path| std::path::absolute(&path))
}

/// A worker kind by name, any case; the names come from [`WorkerKind::ALL`].
fn worker_kind() -> impl TypedValueParser<Value = WorkerKind> {
    PossibleValuesParser::new(WorkerKind::ALL.map(WorkerKind::as_str))
        .try_map(|name| name.parse::<WorkerKind>())
}

/// A whole number above 0.
fn count() -> clap::builder::RangedI64ValueParser<u32> {
    clap::value_parser!(u32).range(1..)
}

/// Positive, finite seconds, fractions allowed; too large or too small for a `Duration` is an
/// error too.
pub(super) fn seconds(text: &str) -> Result<Duration, String> {
    let bad = || "expected a number of seconds above 0, such as 5 or 0.5".to_owned();
    let secs: f64 = text.parse().map_err(|_| bad())?;
    if !(secs.is_finite() && secs > 0.0) {
        return Err(bad());
    }
    match Duration::try_from_secs_f64(secs) {
        Ok(d) if !d.is_zero() => Ok(d),
        _ => Err(bad()),
    }
}

/// [`seconds`] as the `f64` that `bench chaos` takes.
fn seconds_f64(text: &str) -> Result<f64, String> {
    seconds(text).map(|d| d.as_secs_f64())
}

/// `WxH` with both sides from 1 to 16384 (the same rule as the launch's `--size`).
pub(super) fn size(text: &str) -> Result<(u32, u32), String> {
    parse_size(text).ok_or_else(|| "expected WxH, such as 1280x720".to_owned())
}
