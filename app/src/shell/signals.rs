//! SIGTERM, SIGINT and SIGHUP end the run the same way Esc does (xscreensaver stops a hack with
//! SIGTERM; Ctrl-C in a terminal sends SIGINT), so the workers are reaped, their shared memory
//! released and the metrics file completed. Unix only; Windows ends a `.scr` through its window.
//!
//! The handler only writes one byte to a pipe (async-signal-safe); a small thread reads it and
//! calls the caller's function.

/// Installs the handlers; `on_signal` runs on a helper thread at the first signal.
#[cfg(unix)]
pub fn on_termination(on_signal: impl FnOnce() + Send + 'static) -> std::io::Result<()> {
    use std::sync::atomic::{AtomicI32, Ordering};
    static WRITE_END: AtomicI32 = AtomicI32::new(-1);

    extern "C" fn handler(_: libc::c_int) {
        let fd = WRITE_END.load(Ordering::Relaxed);
        if fd >= 0 {
            let byte = 1u8;
            // SAFETY: write(2) is async-signal-safe; the buffer is a local byte. A full pipe
            // only means a signal is already pending, so the result is ignored.
            let _ = unsafe { libc::write(fd, (&raw const byte).cast(), 1) };
        }
    }

    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    WRITE_END.store(fds[1], Ordering::Relaxed);
    let read_end = fds[0];
    std::thread::Builder::new()
        .name("idlewild-signals".into())
        .spawn(move || {
            let mut byte = 0u8;
            // SAFETY: reads one byte into a local; the read end stays open for the process.
            let n = unsafe { libc::read(read_end, (&raw mut byte).cast(), 1) };
            if n == 1 {
                on_signal();
            }
        })?;
    for signal in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
        // SAFETY: a zeroed sigaction with only the handler set is valid; the handler does
        // nothing but an async-signal-safe write.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = handler as *const () as libc::sighandler_t;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            if libc::sigaction(signal, &action, std::ptr::null_mut()) != 0 {
                return Err(std::io::Error::last_os_error());
            }
        }
    }
    Ok(())
}

/// Nothing to install here.
#[cfg(not(unix))]
pub fn on_termination(_on_signal: impl FnOnce() + Send + 'static) -> std::io::Result<()> {
    Ok(())
}
