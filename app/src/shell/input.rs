//! What a key press, click, mouse movement or focus change means: a pure policy, table-tested
//! below, so every exit rule of every mode is written down in one place.
//!
//! Saver modes (full screen) end on any key except the hotkeys, any click, mouse movement beyond
//! a threshold from where the pointer was *first seen* (not from the window's centre: the pointer
//! may rest anywhere when the saver starts), and focus loss. "Hard exit" keeps only Esc and Q.
//! The windowed preview never exits on the mouse or other keys; Esc and Q end every mode.

/// A hotkey the show reacts to instead of exiting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hotkey {
    /// Z: the previous photo.
    Previous,
    /// X: the next photo.
    Next,
    /// C: the next transition effect.
    Cycle,
    /// S: open the settings.
    Settings,
}

/// A key, reduced to what the policy needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    /// Escape.
    Escape,
    /// A key that types a character (compared case-insensitively).
    Char(char),
    /// Anything else (Shift, F5, arrows…).
    Other,
}

/// One input event, reduced to what the policy needs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Input {
    /// A key went down (repeats excluded by the caller).
    KeyDown(Key),
    /// The pointer is at this position (physical pixels, desktop coordinates).
    PointerAt(f64, f64),
    /// A mouse button went down.
    Click,
    /// The mouse wheel moved.
    Wheel,
    /// None of our windows has the keyboard focus any more (after one had it).
    FocusLost,
}

/// Why the screensaver ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitCause {
    /// Esc or Q.
    QuitKey,
    /// Another key.
    Key,
    /// A mouse button.
    Click,
    /// The wheel.
    Wheel,
    /// The pointer moved beyond the threshold.
    PointerMoved,
    /// The focus went to another application.
    FocusLost,
}

/// What the shell does with an input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing.
    Ignore,
    /// End the screensaver (exit status 0).
    Exit(ExitCause),
    /// Act on a hotkey.
    Hotkey(Hotkey),
}

/// The exit rules of one run.
#[derive(Clone, Debug)]
pub struct InputPolicy {
    exits_on_input: bool,
    hard_exit: bool,
    threshold_px: f64,
    origin: Option<(f64, f64)>,
}

impl InputPolicy {
    /// `exits_on_input`: a saver mode (full screen) rather than a preview; `hard_exit`: only Esc
    /// and Q end it; `threshold_px`: how far the pointer may move from where it was first seen.
    pub fn new(exits_on_input: bool, hard_exit: bool, threshold_px: u32) -> Self {
        Self {
            exits_on_input,
            hard_exit,
            threshold_px: f64::from(threshold_px),
            origin: None,
        }
    }

    /// Whether other keys, clicks, the pointer and focus loss may end this run.
    fn soft_exits(&self) -> bool {
        self.exits_on_input && !self.hard_exit
    }

    /// Judges one input.
    pub fn judge(&mut self, input: Input) -> Verdict {
        match input {
            Input::KeyDown(Key::Escape) => Verdict::Exit(ExitCause::QuitKey),
            Input::KeyDown(Key::Char(c)) => match c.to_ascii_lowercase() {
                'q' => Verdict::Exit(ExitCause::QuitKey),
                'z' => Verdict::Hotkey(Hotkey::Previous),
                'x' => Verdict::Hotkey(Hotkey::Next),
                'c' => Verdict::Hotkey(Hotkey::Cycle),
                's' => Verdict::Hotkey(Hotkey::Settings),
                _ => self.soft(ExitCause::Key),
            },
            Input::KeyDown(Key::Other) => self.soft(ExitCause::Key),
            Input::Click => self.soft(ExitCause::Click),
            Input::Wheel => self.soft(ExitCause::Wheel),
            Input::FocusLost => self.soft(ExitCause::FocusLost),
            Input::PointerAt(x, y) => {
                let Some((ox, oy)) = self.origin else {
                    self.origin = Some((x, y));
                    return Verdict::Ignore;
                };
                if (x - ox).hypot(y - oy) > self.threshold_px {
                    self.soft(ExitCause::PointerMoved)
                } else {
                    Verdict::Ignore
                }
            }
        }
    }

    fn soft(&self, cause: ExitCause) -> Verdict {
        if self.soft_exits() {
            Verdict::Exit(cause)
        } else {
            Verdict::Ignore
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAVER: (bool, bool) = (true, false);
    const HARD: (bool, bool) = (true, true);
    const PREVIEW: (bool, bool) = (false, false);

    /// (policy, inputs in order, verdict of the last input)
    #[test]
    fn rules_table() {
        use ExitCause as C;
        use Input as I;
        use Verdict as V;
        let k = |c| I::KeyDown(Key::Char(c));
        let cases: &[((bool, bool), &[Input], Verdict)] = &[
            // Esc and Q end every mode, hard exit included.
            (SAVER, &[I::KeyDown(Key::Escape)], V::Exit(C::QuitKey)),
            (HARD, &[I::KeyDown(Key::Escape)], V::Exit(C::QuitKey)),
            (PREVIEW, &[I::KeyDown(Key::Escape)], V::Exit(C::QuitKey)),
            (PREVIEW, &[k('q')], V::Exit(C::QuitKey)),
            (HARD, &[k('Q')], V::Exit(C::QuitKey)),
            // Hotkeys, either case, in every mode.
            (SAVER, &[k('z')], V::Hotkey(Hotkey::Previous)),
            (SAVER, &[k('X')], V::Hotkey(Hotkey::Next)),
            (HARD, &[k('c')], V::Hotkey(Hotkey::Cycle)),
            (PREVIEW, &[k('s')], V::Hotkey(Hotkey::Settings)),
            // Other keys, clicks, wheel, focus: saver exits, hard exit and preview do not.
            (SAVER, &[k('a')], V::Exit(C::Key)),
            (SAVER, &[I::KeyDown(Key::Other)], V::Exit(C::Key)),
            (HARD, &[k('a')], V::Ignore),
            (PREVIEW, &[I::KeyDown(Key::Other)], V::Ignore),
            (SAVER, &[I::Click], V::Exit(C::Click)),
            (HARD, &[I::Click], V::Ignore),
            (PREVIEW, &[I::Click], V::Ignore),
            (SAVER, &[I::Wheel], V::Exit(C::Wheel)),
            (SAVER, &[I::FocusLost], V::Exit(C::FocusLost)),
            (HARD, &[I::FocusLost], V::Ignore),
            (PREVIEW, &[I::FocusLost], V::Ignore),
            // The pointer: the first position is the origin, whatever it is.
            (SAVER, &[I::PointerAt(500.0, 400.0)], V::Ignore),
            (
                SAVER,
                &[I::PointerAt(500.0, 400.0), I::PointerAt(503.0, 400.0)],
                V::Ignore,
            ),
            (
                SAVER,
                &[I::PointerAt(500.0, 400.0), I::PointerAt(506.0, 408.0)],
                V::Ignore, // exactly 10 px away: not beyond
            ),
            (
                SAVER,
                &[I::PointerAt(500.0, 400.0), I::PointerAt(520.0, 400.0)],
                V::Exit(C::PointerMoved),
            ),
            (
                SAVER,
                &[I::PointerAt(500.0, 400.0), I::PointerAt(508.0, 408.0)],
                V::Exit(C::PointerMoved), // 11.3 px diagonally
            ),
            // Many small steps add up: the distance is from the origin, not the last position.
            (
                SAVER,
                &[
                    I::PointerAt(0.0, 0.0),
                    I::PointerAt(4.0, 0.0),
                    I::PointerAt(8.0, 0.0),
                    I::PointerAt(12.0, 0.0),
                ],
                V::Exit(C::PointerMoved),
            ),
            (
                HARD,
                &[I::PointerAt(0.0, 0.0), I::PointerAt(500.0, 0.0)],
                V::Ignore,
            ),
            (
                PREVIEW,
                &[I::PointerAt(0.0, 0.0), I::PointerAt(500.0, 0.0)],
                V::Ignore,
            ),
        ];
        for ((saver, hard), inputs, want) in cases {
            let mut policy = InputPolicy::new(*saver, *hard, 10);
            let mut last = Verdict::Ignore;
            for input in *inputs {
                last = policy.judge(*input);
            }
            assert_eq!(last, *want, "saver={saver} hard={hard} {inputs:?}");
        }
    }

    #[test]
    fn threshold_is_configurable() {
        let mut p = InputPolicy::new(true, false, 50);
        assert_eq!(p.judge(Input::PointerAt(0.0, 0.0)), Verdict::Ignore);
        assert_eq!(p.judge(Input::PointerAt(40.0, 0.0)), Verdict::Ignore);
        assert_eq!(
            p.judge(Input::PointerAt(60.0, 0.0)),
            Verdict::Exit(ExitCause::PointerMoved)
        );
    }
}
