//! Group C's window glue: a `softbuffer` surface that puts CPU-composed pixels on a window.
//!
//! On X11 the surface talks to the server over **its own XCB connection**, not the event
//! loop's: `softbuffer` queues its `PutImage` requests without flushing them, and on a shared
//! connection the last frame of a still photo would sit in the output buffer until some other
//! request happened to flush it (the window stayed black). With a private connection the
//! render thread flushes after every frame, and never touches the UI thread's connection.
//! Window ids are global to the X server, so windows created by winit and foreign windows
//! (`--window-id`) are drawn the same way. Elsewhere (Windows) the window's own handles serve.

use std::num::NonZeroU32;
use std::sync::Arc;

use raw_window_handle::{
    DisplayHandle, HandleError, HasDisplayHandle, HasWindowHandle, WindowHandle,
};
use winit::window::Window;

use super::super::gpu::Target;

/// The display connection a surface draws through.
#[derive(Clone)]
pub(super) enum SoftDisplay {
    /// A private XCB connection (see the module documentation) and its default screen.
    #[cfg(target_os = "linux")]
    Xcb(Arc<x11rb::xcb_ffi::XCBConnection>, i32),
    /// The window's own display (non-X11 platforms).
    #[cfg_attr(target_os = "linux", allow(dead_code))]
    Window(Arc<Window>),
}

/// The window a surface draws into.
pub(super) enum SoftWindow {
    /// A window the shell created.
    Window(Arc<Window>),
    /// A foreign X window, by id.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    XWindow(u64),
}

impl HasDisplayHandle for SoftDisplay {
    fn display_handle(&self) -> Result<DisplayHandle<'_>, HandleError> {
        match self {
            #[cfg(target_os = "linux")]
            SoftDisplay::Xcb(conn, screen) => {
                let ptr = std::ptr::NonNull::new(conn.get_raw_xcb_connection());
                let raw = raw_window_handle::RawDisplayHandle::Xcb(
                    raw_window_handle::XcbDisplayHandle::new(ptr, *screen),
                );
                // SAFETY: the connection lives as long as `self` (the Arc), and every surface
                // and context using this handle holds a clone of `self`.
                Ok(unsafe { DisplayHandle::borrow_raw(raw) })
            }
            SoftDisplay::Window(w) => w.display_handle(),
        }
    }
}

impl HasWindowHandle for SoftWindow {
    fn window_handle(&self) -> Result<WindowHandle<'_>, HandleError> {
        match self {
            SoftWindow::Window(w) => w.window_handle(),
            #[cfg(target_os = "linux")]
            SoftWindow::XWindow(id) => {
                let raw = raw_window_handle::RawWindowHandle::Xlib(
                    raw_window_handle::XlibWindowHandle::new(*id as std::ffi::c_ulong),
                );
                // SAFETY: the X window outlives the surface: the process that asked us to draw
                // into it destroys it only after we exit, and the shell ends the run when it
                // disappears (see `foreign`).
                Ok(unsafe { WindowHandle::borrow_raw(raw) })
            }
            #[cfg(not(target_os = "linux"))]
            SoftWindow::XWindow(_) => Err(HandleError::NotSupported),
        }
    }
}

/// A window that CPU frames are put on.
pub(super) struct SoftSurface {
    surface: softbuffer::Surface<SoftDisplay, SoftWindow>,
    display: SoftDisplay,
}

impl SoftSurface {
    /// A surface on `target` of `size`, or `None` for an offscreen target.
    pub fn new(target: &Target, size: (u32, u32)) -> Result<Option<SoftSurface>, String> {
        let window = match target {
            Target::Window(w) => SoftWindow::Window(Arc::clone(w)),
            Target::XWindow(id) => SoftWindow::XWindow(*id),
            Target::Offscreen => return Ok(None),
        };
        let display = display_for(target)?;
        let context = softbuffer::Context::new(display.clone()).map_err(|e| e.to_string())?;
        let mut surface = softbuffer::Surface::new(&context, window).map_err(|e| e.to_string())?;
        let (w, h) = nonzero(size);
        surface.resize(w, h).map_err(|e| e.to_string())?;
        Ok(Some(SoftSurface { surface, display }))
    }

    /// Follows a new window size.
    pub fn resize(&mut self, size: (u32, u32)) -> Result<(), String> {
        let (w, h) = nonzero(size);
        self.surface.resize(w, h).map_err(|e| e.to_string())
    }

    /// Lets `draw` fill the `width` x `height` pixel buffer (`0x00RRGGBB`) and puts it on the
    /// window. `Ok(false)` while the buffer still has the old size (a resize is on its way);
    /// `Err` when the window system refused (the caller logs it once, not per frame).
    pub fn present(
        &mut self,
        (width, height): (u32, u32),
        draw: impl FnOnce(&mut [u32]),
    ) -> Result<bool, String> {
        let mut buffer = self
            .surface
            .buffer_mut()
            .map_err(|e| format!("no pixel buffer: {e}"))?;
        if buffer.len() != width as usize * height as usize {
            // Every frame until the resize arrives: not worth a line each.
            return Ok(false);
        }
        draw(&mut buffer);
        buffer
            .present()
            .map_err(|e| format!("the window system refused a frame: {e}"))?;
        self.flush()?;
        Ok(true)
    }

    /// Sends the frame's requests to the server now (see the module documentation).
    fn flush(&self) -> Result<(), String> {
        match &self.display {
            #[cfg(target_os = "linux")]
            SoftDisplay::Xcb(conn, _) => {
                use x11rb::connection::Connection;
                conn.flush()
                    .map_err(|e| format!("the X connection failed: {e}"))
            }
            SoftDisplay::Window(_) => Ok(()),
        }
    }
}

#[cfg(target_os = "linux")]
fn display_for(_target: &Target) -> Result<SoftDisplay, String> {
    let (conn, screen) = x11rb::xcb_ffi::XCBConnection::connect(None)
        .map_err(|e| format!("cannot connect to the X server: {e}"))?;
    Ok(SoftDisplay::Xcb(Arc::new(conn), screen as i32))
}

#[cfg(not(target_os = "linux"))]
fn display_for(target: &Target) -> Result<SoftDisplay, String> {
    match target {
        Target::Window(w) => Ok(SoftDisplay::Window(Arc::clone(w))),
        _ => Err("drawing into a window by id is only supported on X11".into()),
    }
}

fn nonzero(size: (u32, u32)) -> (NonZeroU32, NonZeroU32) {
    (
        NonZeroU32::new(size.0).unwrap_or(NonZeroU32::MIN),
        NonZeroU32::new(size.1).unwrap_or(NonZeroU32::MIN),
    )
}
