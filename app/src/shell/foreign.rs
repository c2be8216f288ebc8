//! A foreign X window (`--window-id`, `XSCREENSAVER_WINDOW`): its size, and a watcher thread
//! that reports resizes and its destruction, as an xscreensaver hack must follow the window it
//! was given. Linux only; other platforms have no such mode.
//!
//! A window that does not exist ends the run with [`Fatal::NoWindow`] (exit status 6), no X
//! server with [`Fatal::NoDisplay`] (status 3), each said in one clear line.

use crate::exit::Fatal;

/// What happened to the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ForeignEvent {
    /// New size in pixels.
    Resized(u32, u32),
    /// The window (or the X connection) is gone.
    Gone,
}

#[cfg(target_os = "linux")]
mod imp {
    use super::{Fatal, ForeignEvent};
    use x11rb::connection::Connection;
    use x11rb::errors::ReplyError;
    use x11rb::protocol::Event;
    use x11rb::protocol::xproto::{ChangeWindowAttributesAux, ConnectionExt, EventMask};

    /// The window is missing, in the one line the user reads (never an X protocol structure).
    fn no_window(id: u64, why: &str) -> Fatal {
        Fatal::NoWindow(format!(
            "there is no X window 0x{id:x} to draw into ({why})"
        ))
    }

    /// What went wrong with a request about the window: the X server's refusal by its protocol
    /// name (`BadWindow`), or the connection's own failure.
    fn refusal(id: u64, e: &ReplyError) -> Fatal {
        match e {
            ReplyError::X11Error(x) => {
                no_window(id, &format!("the X server answered Bad{:?}", x.error_kind))
            }
            ReplyError::ConnectionError(c) => {
                Fatal::NoDisplay(format!("the connection to the X server failed: {c}"))
            }
        }
    }

    /// The window's size, and a watcher that calls `report` on every change (from its own
    /// thread, until the window is gone).
    pub fn open(
        id: u64,
        report: impl Fn(ForeignEvent) + Send + 'static,
    ) -> Result<(u32, u32), Fatal> {
        let (conn, _) = x11rb::connect(None)
            .map_err(|e| Fatal::NoDisplay(format!("cannot connect to the X server: {e}")))?;
        let window = u32::try_from(id).map_err(|_| no_window(id, "X window ids are 32-bit"))?;
        let refused = |e: ReplyError| refusal(id, &e);
        let geometry = conn
            .get_geometry(window)
            .map_err(|e| refused(e.into()))?
            .reply()
            .map_err(refused)?;
        // Several clients may select StructureNotify on one window; xscreensaver's own
        // selection is not disturbed.
        conn.change_window_attributes(
            window,
            &ChangeWindowAttributesAux::new().event_mask(EventMask::STRUCTURE_NOTIFY),
        )
        .map_err(|e| refused(e.into()))?
        .check()
        .map_err(refused)?;
        let size = (u32::from(geometry.width), u32::from(geometry.height));
        let watcher = std::thread::Builder::new()
            .name("idlewild-xwindow".into())
            .spawn(move || {
                let mut last = size;
                loop {
                    match conn.wait_for_event() {
                        Ok(Event::ConfigureNotify(e)) if e.window == window => {
                            let now = (u32::from(e.width), u32::from(e.height));
                            if now != last {
                                last = now;
                                report(ForeignEvent::Resized(now.0, now.1));
                            }
                        }
                        Ok(Event::DestroyNotify(e)) if e.window == window => {
                            report(ForeignEvent::Gone);
                            return;
                        }
                        Ok(_) => {}
                        Err(_) => {
                            report(ForeignEvent::Gone);
                            return;
                        }
                    }
                }
            });
        // The window exists, so the run goes on: it only stops following resizes (the host
        // still ends the hack with a signal). Out of threads is not a missing window.
        if let Err(e) = watcher {
            tracing::warn!("cannot watch X window 0x{id:x} for resizes: {e}");
        }
        Ok(size)
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use super::{Fatal, ForeignEvent};

    /// Not available here: there is no X server to hold the window.
    pub fn open(
        _id: u64,
        _report: impl Fn(ForeignEvent) + Send + 'static,
    ) -> Result<(u32, u32), Fatal> {
        Err(Fatal::NoDisplay(
            "drawing into an existing window by id needs an X server (Linux)".into(),
        ))
    }
}

pub use imp::open;
