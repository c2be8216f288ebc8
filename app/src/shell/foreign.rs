//! A foreign X window (`--window-id`, `XSCREENSAVER_WINDOW`): its size, and a watcher thread
//! that reports resizes and its destruction, as an xscreensaver hack must follow the window it
//! was given. Linux only; other platforms have no such mode.

/// What happened to the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ForeignEvent {
    /// New size in pixels.
    Resized(u32, u32),
    /// The window (or the X connection) is gone.
    Gone,
}

/// Why a foreign window cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ForeignError {
    /// No X server.
    #[error("cannot connect to the X server: {0}")]
    Connect(String),
    /// The id names no window.
    #[error("there is no X window 0x{0:x}: {1}")]
    NoWindow(u64, String),
    /// Not on this platform.
    #[error("drawing into an existing window by id needs X11")]
    Unsupported,
}

#[cfg(target_os = "linux")]
mod imp {
    use super::{ForeignError, ForeignEvent};
    use x11rb::connection::Connection;
    use x11rb::protocol::Event;
    use x11rb::protocol::xproto::{ChangeWindowAttributesAux, ConnectionExt, EventMask};

    /// The window's size, and a watcher that calls `report` on every change (from its own
    /// thread, until the window is gone).
    pub fn open(
        id: u64,
        report: impl Fn(ForeignEvent) + Send + 'static,
    ) -> Result<(u32, u32), ForeignError> {
        let (conn, _) = x11rb::connect(None).map_err(|e| ForeignError::Connect(e.to_string()))?;
        let window =
            u32::try_from(id).map_err(|_| ForeignError::NoWindow(id, "ids are 32-bit".into()))?;
        let no_window = |e: &dyn std::fmt::Display| ForeignError::NoWindow(id, e.to_string());
        let geometry = conn
            .get_geometry(window)
            .map_err(|e| no_window(&e))?
            .reply()
            .map_err(|e| no_window(&e))?;
        // Several clients may select StructureNotify on one window; xscreensaver's own
        // selection is not disturbed.
        conn.change_window_attributes(
            window,
            &ChangeWindowAttributesAux::new().event_mask(EventMask::STRUCTURE_NOTIFY),
        )
        .map_err(|e| no_window(&e))?
        .check()
        .map_err(|e| no_window(&e))?;
        let size = (u32::from(geometry.width), u32::from(geometry.height));
        std::thread::Builder::new()
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
            })
            .map_err(|e| ForeignError::Connect(e.to_string()))?;
        Ok(size)
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use super::{ForeignError, ForeignEvent};

    /// Not available here.
    pub fn open(
        _id: u64,
        _report: impl Fn(ForeignEvent) + Send + 'static,
    ) -> Result<(u32, u32), ForeignError> {
        Err(ForeignError::Unsupported)
    }
}

pub use imp::open;
