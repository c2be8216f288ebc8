//! How the screensaver was launched: a pure function from arguments (and the one environment
//! variable that matters) to a [`Launch`], table-tested in `mode/tests.rs`.
//!
//! Windows starts a `.scr` with `/s` (run full screen), `/p <HWND>` (draw the small preview
//! inside the Screen Saver Settings dialog), `/c[:<HWND>]` (show the settings, owned by that
//! window) or nothing at all (the user picked "Configure" from the file's context menu: settings
//! too). Any case, `-` for `/`, and `:` or a space before the handle are all seen in the wild.
//! xscreensaver starts a hack with `--window-id <ID>` or with `XSCREENSAVER_WINDOW` in the
//! environment (the window to draw into, decimal or `0x` hex). Everywhere else there are
//! `--fullscreen`, `--window [--size WxH]` (a normal resizable preview window) and `--config`.

use std::path::PathBuf;

/// Where and how to draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A normal, resizable window (the preview people try things in); never exits on mouse
    /// movement. `size` in logical pixels, `None` for the default.
    Window {
        /// Requested inner size.
        size: Option<(u32, u32)>,
    },
    /// One full-screen window per monitor; exits on input.
    Fullscreen,
    /// Windows `/p <HWND>`: a child of the Screen Saver Settings dialog's preview box.
    WindowsPreview {
        /// The parent window handle.
        parent: u64,
    },
    /// Draw into an existing X window (`--window-id`, `XSCREENSAVER_WINDOW`), as an
    /// xscreensaver hack does.
    X11Window {
        /// The X window id.
        window: u64,
    },
    /// The settings dialog, optionally owned by a window (`/c:<HWND>`).
    Config {
        /// The owner window handle.
        parent: Option<u64>,
    },
}

/// Everything a launch asked for besides the settings file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    /// Where and how to draw.
    pub mode: Mode,
    /// `--source PATH` (repeatable): replaces the configured photo folders.
    pub sources: Vec<PathBuf>,
    /// `--metrics FILE`: JSON-lines frame metrics.
    pub metrics: Option<PathBuf>,
    /// `--audio-file FILE.wav`: the visualizer plays this file instead of the system's audio.
    pub audio_file: Option<PathBuf>,
}

/// What the platform does with no arguments at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// A `.scr` started with no arguments: the settings dialog.
    Windows,
    /// Everywhere else: the windowed preview.
    Other,
}

impl Platform {
    /// The platform this binary was built for.
    pub fn current() -> Self {
        if cfg!(windows) {
            Platform::Windows
        } else {
            Platform::Other
        }
    }
}

/// A launch the arguments do not describe.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModeError {
    /// Not a mode argument.
    #[error("unknown argument \"{0}\"")]
    Unknown(String),
    /// An option that needs a value came last.
    #[error("{0} needs a value")]
    MissingValue(&'static str),
    /// A window handle or id that is not a number.
    #[error(
        "invalid window handle \"{value}\" for {option}: expected a number (decimal or 0x hex)"
    )]
    BadWindow {
        /// The option.
        option: &'static str,
        /// What was given.
        value: String,
    },
    /// `--size` that is not `WxH` with both sides from 1 to 16384.
    #[error("invalid size \"{0}\": expected WxH, such as 1280x720")]
    BadSize(String),
    /// Two modes at once.
    #[error("{0} and {1} cannot be combined: choose one way to run")]
    Conflict(&'static str, &'static str),
    /// An option given twice.
    #[error("{0} given twice")]
    Repeated(&'static str),
    /// `--size` without `--window`.
    #[error("--size only applies to --window")]
    SizeWithoutWindow,
}

/// One `--option` of a launch, as `idlewild --help` lists it and [`is_mode_argument`] knows it.
/// [`parse_mode`] below accepts exactly these (its table test checks every row).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LaunchOption {
    /// The name without the leading `--`.
    pub long: &'static str,
    /// The value's placeholder, `None` for a switch.
    pub value: Option<&'static str>,
    /// May be given more than once.
    pub repeatable: bool,
    /// One line of help.
    pub help: &'static str,
}

/// Every `--option` of a launch. The Windows forms, which are not `--options`, are in
/// [`WINDOWS_FORMS`].
pub const LAUNCH_OPTIONS: &[LaunchOption] = &[
    LaunchOption {
        long: "window",
        value: None,
        repeatable: false,
        help: "A normal resizable preview window (the default)",
    },
    LaunchOption {
        long: "size",
        value: Some("WxH"),
        repeatable: false,
        help: "The --window's size",
    },
    LaunchOption {
        long: "fullscreen",
        value: None,
        repeatable: false,
        help: "Full screen on every monitor, exit on input",
    },
    LaunchOption {
        long: "window-id",
        value: Some("ID"),
        repeatable: false,
        help: "Draw into this X window (as XSCREENSAVER_WINDOW)",
    },
    LaunchOption {
        long: "config",
        value: None,
        repeatable: false,
        help: "The settings",
    },
    LaunchOption {
        long: "source",
        value: Some("PATH"),
        repeatable: true,
        help: "Photos from here, not the settings (repeatable)",
    },
    LaunchOption {
        long: "metrics",
        value: Some("FILE"),
        repeatable: false,
        help: "Write frame metrics as JSON lines",
    },
    LaunchOption {
        long: "audio-file",
        value: Some("FILE.wav"),
        repeatable: false,
        help: "Visualize this file (looping), not system audio",
    },
];

/// The Windows `.scr` forms in one line of help.
pub const WINDOWS_FORMS: &str =
    "/s, /p HWND, /p:HWND, /c, /c:HWND (any case, - for /; no argument: settings)";

/// True for an argument that starts a launch description (so the command-line parser hands the
/// rest of the arguments to [`parse_mode`]).
pub fn is_mode_argument(arg: &str) -> bool {
    windows_switch(arg).is_some()
        || option_name(arg).is_some_and(|name| {
            LAUNCH_OPTIONS
                .iter()
                .any(|o| name.strip_prefix("--") == Some(o.long))
        })
}

/// `--name=value` → `--name`; anything else unchanged.
fn option_name(arg: &str) -> Option<&str> {
    arg.starts_with("--")
        .then(|| arg.split_once('=').map_or(arg, |(name, _)| name))
}

/// A Windows switch: `/s`, `-S`, `/p:123`, `/c` … → (letter, inline handle if any).
fn windows_switch(arg: &str) -> Option<(char, Option<&str>)> {
    let rest = arg.strip_prefix('/').or_else(|| {
        // `-s` is a switch; `--something` is not.
        arg.strip_prefix('-').filter(|r| !r.starts_with('-'))
    })?;
    let mut chars = rest.chars();
    let letter = chars.next()?.to_ascii_lowercase();
    if !matches!(letter, 's' | 'p' | 'c') {
        return None;
    }
    let after = chars.as_str();
    match after.strip_prefix(':') {
        Some(handle) => Some((letter, Some(handle))),
        None if after.is_empty() => Some((letter, None)),
        None => None,
    }
}

/// A window handle or X id: decimal, or hex with `0x`.
fn window_number(option: &'static str, text: &str) -> Result<u64, ModeError> {
    let bad = || ModeError::BadWindow {
        option,
        value: text.to_owned(),
    };
    let t = text.trim();
    let parsed = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => t.parse(),
    };
    parsed.map_err(|_| bad())
}

/// `WxH` (or `WXH`) with both sides from 1 to 16384; shared with `bench frames` and `snapshot`.
pub fn parse_size(text: &str) -> Option<(u32, u32)> {
    let (w, h) = text.split_once(['x', 'X'])?;
    let side = |s: &str| {
        s.trim()
            .parse::<u32>()
            .ok()
            .filter(|v| (1..=16_384).contains(v))
    };
    Some((side(w)?, side(h)?))
}

fn size(text: &str) -> Result<(u32, u32), ModeError> {
    parse_size(text).ok_or_else(|| ModeError::BadSize(text.to_owned()))
}

/// Parses a launch from `args` (after the program name, without `--settings`).
/// `xscreensaver_window` is the value of `XSCREENSAVER_WINDOW`, if set: with no explicit mode it
/// means "draw into that window".
pub fn parse_mode(
    args: &[String],
    xscreensaver_window: Option<&str>,
    platform: Platform,
) -> Result<Launch, ModeError> {
    let mut mode: Option<(Mode, &'static str)> = None;
    let mut window_size: Option<(u32, u32)> = None;
    let mut sources = Vec::new();
    let mut metrics = None;
    let mut audio_file = None;
    let mut set = |new: Mode, name: &'static str| match mode {
        Some((_, old)) => Err(ModeError::Conflict(old, name)),
        None => {
            mode = Some((new, name));
            Ok(())
        }
    };
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].as_str();
        i += 1;
        // The value of an option: inline after `=` / `:`, or the next argument.
        let mut value = |option: &'static str, inline: Option<&str>| -> Result<String, ModeError> {
            if let Some(v) = inline {
                return Ok(v.to_owned());
            }
            let v = args.get(i).ok_or(ModeError::MissingValue(option))?;
            i += 1;
            Ok(v.clone())
        };
        if let Some((letter, inline)) = windows_switch(arg) {
            match letter {
                's' => {
                    if inline.is_some() {
                        return Err(ModeError::Unknown(arg.to_owned()));
                    }
                    set(Mode::Fullscreen, "/s")?;
                }
                'p' => {
                    let handle = window_number("/p", &value("/p", inline)?)?;
                    set(Mode::WindowsPreview { parent: handle }, "/p")?;
                }
                _ => {
                    let parent = inline.map(|h| window_number("/c", h)).transpose()?;
                    set(Mode::Config { parent }, "/c")?;
                }
            }
            continue;
        }
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v)),
            _ => (arg, None),
        };
        match name {
            "--fullscreen" if inline.is_none() => set(Mode::Fullscreen, "--fullscreen")?,
            "--window" if inline.is_none() => set(Mode::Window { size: None }, "--window")?,
            "--config" if inline.is_none() => set(Mode::Config { parent: None }, "--config")?,
            "--window-id" => {
                let window = window_number("--window-id", &value("--window-id", inline)?)?;
                set(Mode::X11Window { window }, "--window-id")?;
            }
            "--size" => {
                if window_size.is_some() {
                    return Err(ModeError::Repeated("--size"));
                }
                window_size = Some(size(&value("--size", inline)?)?);
            }
            "--source" => sources.push(PathBuf::from(value("--source", inline)?)),
            "--metrics" => {
                if metrics.is_some() {
                    return Err(ModeError::Repeated("--metrics"));
                }
                metrics = Some(PathBuf::from(value("--metrics", inline)?));
            }
            "--audio-file" => {
                if audio_file.is_some() {
                    return Err(ModeError::Repeated("--audio-file"));
                }
                audio_file = Some(PathBuf::from(value("--audio-file", inline)?));
            }
            _ => return Err(ModeError::Unknown(arg.to_owned())),
        }
    }
    // An explicit mode wins over the environment; with none, xscreensaver's variable, else the
    // platform's default.
    let mode = match mode {
        Some((mode, _)) => mode,
        None => match xscreensaver_window {
            Some(w) => Mode::X11Window {
                window: window_number("XSCREENSAVER_WINDOW", w)?,
            },
            None if platform == Platform::Windows => Mode::Config { parent: None },
            None => Mode::Window { size: None },
        },
    };
    let mode = match (mode, window_size) {
        (Mode::Window { .. }, size) => Mode::Window { size },
        (_, Some(_)) => return Err(ModeError::SizeWithoutWindow),
        (mode, None) => mode,
    };
    Ok(Launch {
        mode,
        sources,
        metrics,
        audio_file,
    })
}

#[cfg(test)]
mod tests;
