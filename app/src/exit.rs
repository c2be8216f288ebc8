//! The binary's documented exit statuses, and the typed fatal errors that end in them.
//!
//! An environmental cause (no display, no graphics device that can draw) is an enum variant and
//! an exit code, never a phrase: tests and OS screensaver hosts decide what happened from the
//! status alone, so a message that happens to contain "adapter" can never be mistaken for "this
//! machine cannot draw".
//!
//! | status | meaning |
//! | --- | --- |
//! | 0 | success |
//! | 1 | any other failure (a bug, an unreadable file, a refused setting) |
//! | 2 | the command line is wrong |
//! | 3 | no display server to open windows on (no `DISPLAY` / `WAYLAND_DISPLAY`, or it refused us) |
//! | 4 | no graphics device can draw here: no GPU adapter, no software rasteriser, and the CPU compositor (fallback group C) could not reach the windows either; `snapshot`: no adapter |
//! | 5 | the render thread hung or panicked and could not be rebuilt; the OS screensaver host may start a new run |
//! | 6 | the window we were asked to draw into (`--window-id`, `/p HWND`) does not exist |

use std::process::ExitCode;

/// One documented exit status of `idlewild`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Exit {
    /// Finished normally.
    Success = 0,
    /// Any failure without a status of its own.
    Failure = 1,
    /// The command line could not be parsed.
    Usage = 2,
    /// No display server to open windows on.
    NoDisplay = 3,
    /// No graphics device (GPU, software rasteriser or CPU compositor) can draw here.
    NoGraphics = 4,
    /// The render thread hung or panicked and could not be rebuilt.
    RenderLost = 5,
    /// The foreign window to draw into does not exist.
    NoWindow = 6,
}

impl Exit {
    /// Every status, in numeric order (for the table test and the usage text).
    pub const ALL: [Exit; 7] = [
        Exit::Success,
        Exit::Failure,
        Exit::Usage,
        Exit::NoDisplay,
        Exit::NoGraphics,
        Exit::RenderLost,
        Exit::NoWindow,
    ];

    /// The numeric status.
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// The status a process exited with, if it is one of ours.
    pub fn from_code(code: i32) -> Option<Exit> {
        Exit::ALL.into_iter().find(|e| i32::from(e.code()) == code)
    }

    /// What the status means, as `--help` lists it.
    pub const fn meaning(self) -> &'static str {
        match self {
            Exit::Success => "success",
            Exit::Failure => "any other failure (an unreadable file, a refused setting, a bug)",
            Exit::Usage => "the command line is wrong",
            Exit::NoDisplay => "no display server to open windows on",
            Exit::NoGraphics => "no graphics device can draw here, not even the CPU compositor",
            Exit::RenderLost => "the render thread stopped and could not be rebuilt",
            Exit::NoWindow => "the window to draw into (--window-id, /p HWND) does not exist",
        }
    }

    /// True for causes that lie in the machine, not in Idlewild: a test may skip on these
    /// (outside CI), never on any other status.
    pub const fn is_environmental(self) -> bool {
        matches!(self, Exit::NoDisplay | Exit::NoGraphics)
    }
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e.code())
    }
}

/// A failure that ends the run with its own exit status. Returned (inside `anyhow::Error`) by
/// the shell and the snapshot command; `main` maps it with [`exit_for`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Fatal {
    /// No display server (winit's event loop could not be built).
    #[error("no display to draw on: {0}")]
    NoDisplay(String),
    /// No graphics device can draw into the windows (or offscreen, for `snapshot`).
    #[error("no graphics device can draw here: {0}")]
    NoGraphics(String),
    /// The render thread hung or panicked and rebuilding it failed.
    #[error("the render thread stopped and could not be restarted: {0}")]
    RenderLost(String),
    /// The foreign window does not exist.
    #[error("{0}")]
    NoWindow(String),
}

impl Fatal {
    /// The exit status this failure ends the process with.
    pub fn exit(&self) -> Exit {
        match self {
            Fatal::NoDisplay(_) => Exit::NoDisplay,
            Fatal::NoGraphics(_) => Exit::NoGraphics,
            Fatal::RenderLost(_) => Exit::RenderLost,
            Fatal::NoWindow(_) => Exit::NoWindow,
        }
    }
}

/// The exit status for an error that reached `main`: a [`Fatal`] anywhere in its chain decides,
/// anything else is [`Exit::Failure`].
pub fn exit_for(error: &anyhow::Error) -> Exit {
    error
        .chain()
        .find_map(|e| e.downcast_ref::<Fatal>())
        .map_or(Exit::Failure, Fatal::exit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_round_trip() {
        for (i, e) in Exit::ALL.iter().enumerate() {
            assert_eq!(usize::from(e.code()), i, "{e:?} is listed in numeric order");
            assert_eq!(Exit::from_code(i32::from(e.code())), Some(*e));
        }
        assert_eq!(
            Exit::from_code(101),
            None,
            "a Rust panic is not one of ours"
        );
        assert_eq!(Exit::from_code(-1), None);
    }

    #[test]
    fn only_machine_causes_are_environmental() {
        let env: Vec<Exit> = Exit::ALL
            .into_iter()
            .filter(|e| e.is_environmental())
            .collect();
        assert_eq!(env, [Exit::NoDisplay, Exit::NoGraphics]);
    }

    #[test]
    fn a_fatal_anywhere_in_the_chain_decides_the_status() {
        let plain = anyhow::anyhow!("no adapter mentioned in a plain error");
        assert_eq!(exit_for(&plain), Exit::Failure);
        let fatal = anyhow::Error::from(Fatal::NoGraphics("no adapter".into()));
        assert_eq!(exit_for(&fatal), Exit::NoGraphics);
        let wrapped = anyhow::Error::from(Fatal::RenderLost("hung".into())).context("shell");
        assert_eq!(exit_for(&wrapped), Exit::RenderLost);
    }
}
