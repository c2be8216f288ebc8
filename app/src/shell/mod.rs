//! The screensaver shell: windows (one per monitor, or a preview window, or a window someone
//! else owns), input and exit rules, and the render thread that draws into them.
//!
//! Threads: the **UI thread** runs winit's event loop and nothing else (windows, input,
//! showing windows when their first frame is ready); the **render thread** ([`render`]) owns
//! the GPU and the image client and paces itself; the **supervisor** has its own thread. The
//! UI thread talks to the render thread through a channel of [`render::Command`]s; the render
//! thread answers through the event loop proxy ([`UiEvent`]). Neither waits for the other.
//!
//! The UI thread also guards the render thread ([`guard`]): a heartbeat it bumps every
//! iteration, judged without blocking; a hung or panicked render thread is abandoned and
//! rebuilt on fresh windows, and the run ends with exit status 5 when that keeps failing.
//!
//! Pure parts, table-tested: [`input`] (exit rules), [`monitors`] (which monitors),
//! [`show`] (a display's slideshow), [`picker`] (which transition), [`metrics`] (percentiles),
//! [`guard`] (hang and panic verdicts), [`condition`] (log-once conditions).

pub mod condition;
pub mod foreign;
pub mod gpu;
pub mod guard;
pub mod input;
pub mod metrics;
pub mod monitors;
pub mod picker;
pub mod render;
pub mod show;
pub mod signals;

mod app;
mod from_settings;

pub use app::run;
pub use from_settings::show_config;
