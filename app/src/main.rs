//! `idlewild`: the screensaver binary. Parses the command line and hands over to the part that
//! does the work: a worker role, the settings store, the supervisor, or a benchmark.

use idlewild::cli::{self, BenchCommand, Command, SettingsCommand};
use idlewild::exit::{Exit, exit_for};
use idlewild::mode::{Launch, Mode, Platform};
use idlewild::{bench, supervise};
use idlewild_settings::SettingsStore;
use std::process::ExitCode;

fn main() -> ExitCode {
    let xscreensaver_window = std::env::var("XSCREENSAVER_WINDOW").ok();
    let parsed = cli::parse_env(
        std::env::args_os().skip(1),
        xscreensaver_window.as_deref(),
        Platform::current(),
    );
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            eprintln!("{}", e.report());
            return Exit::Usage.into();
        }
    };
    let result = match cli.command {
        Command::Worker {
            kind,
            epoch,
            parent_pid,
        } => run_worker(kind, epoch, parent_pid),
        Command::Settings(cmd) => settings(cli.settings, cmd),
        Command::Supervise {
            run_for,
            status_every,
        } => supervise::run(cli.settings, run_for, status_every, &[]),
        Command::Run(launch) => run(cli.settings, launch),
        Command::Bench(BenchCommand::Shm { frames, items }) => bench::shm(frames, items),
        Command::Bench(BenchCommand::Images(options)) => bench::images::run(&options),
        Command::Bench(BenchCommand::Frames(options)) => bench::frames::run(&options),
        Command::Bench(BenchCommand::Visualizer(options)) => bench::visualizer::run(&options),
        Command::Bench(BenchCommand::Chaos(options)) => bench::chaos::run(&options),
        Command::Snapshot(cmd) => idlewild::snapshot::run(&cmd),
        Command::Help(text) => {
            println!("{}", text.trim_end());
            Ok(())
        }
        Command::Version => {
            println!("idlewild {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("idlewild: {e:#}");
            exit_for(&e).into()
        }
    }
}

fn run_worker(
    kind: idlewild_protocol::WorkerKind,
    epoch: u64,
    parent_pid: Option<u32>,
) -> anyhow::Result<()> {
    // Workers log to stderr only; the supervisor re-logs each line with kind, pid and epoch
    // into the UI's log file.
    let config = idlewild_telemetry::LogConfig {
        level: "info".into(),
        file: None,
        stderr: true,
        ansi: false,
    };
    let _guard = idlewild_telemetry::init(&config)?;
    idlewild_telemetry::install_panic_hook("worker");
    idlewild_workers::run(idlewild_workers::WorkerArgs {
        kind,
        epoch,
        parent_pid,
    })?;
    Ok(())
}

/// The screensaver itself: every drawing mode goes to the shell. Until the settings dialog
/// exists, the dialog modes say where the settings file is and how to change it.
fn run(settings: Option<std::path::PathBuf>, launch: Launch) -> anyhow::Result<()> {
    if let Mode::Config { .. } = launch.mode {
        let store = match &settings {
            Some(p) => SettingsStore::new(p.clone()),
            None => SettingsStore::at_default_location()?,
        };
        println!(
            "Idlewild's settings dialog is not built yet. The settings live in\n  {}\n\
             `idlewild settings list` shows every setting with its value and allowed values;\n\
             `idlewild settings set KEY VALUE` changes one (comments in the file are kept), e.g.\n  \
             idlewild settings set display.mode fit",
            store.path().display()
        );
        return Ok(());
    }
    idlewild::shell::run(settings, launch)
}

fn settings(path: Option<std::path::PathBuf>, cmd: SettingsCommand) -> anyhow::Result<()> {
    // Repairs and backups are reported through tracing warnings: show them on stderr.
    let config = idlewild_telemetry::LogConfig {
        level: "warn".into(),
        file: None,
        stderr: true,
        ansi: false,
    };
    let _guard = idlewild_telemetry::init(&config)?;
    let store = match path {
        Some(p) => SettingsStore::new(p),
        None => SettingsStore::at_default_location()?,
    };
    match cmd {
        SettingsCommand::Path => println!("{}", store.path().display()),
        SettingsCommand::Get { key } => println!("{}", store.get(&key)?),
        SettingsCommand::Set { key, value } => {
            let outcome = store.set(&key, &value)?;
            if let Some(backup) = &outcome.backup {
                eprintln!(
                    "idlewild: the old settings file was unreadable; it was kept as {}",
                    backup.display()
                );
            }
            for repair in &outcome.repaired {
                eprintln!("idlewild: note: {repair}");
            }
            println!("{key} = {}", outcome.value);
        }
        SettingsCommand::List => {
            for item in store.list()? {
                println!(
                    "{} = {}    (default {}; {})",
                    item.spec.key, item.value, item.default, item.allowed
                );
            }
        }
    }
    Ok(())
}
