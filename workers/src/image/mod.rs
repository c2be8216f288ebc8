//! The image worker role: owns the scan, the playlist, decoding and the prepared-frame cache,
//! and answers the UI's `Next` / `Previous` with frames in its frames region.
//!
//! Threads: the role's main thread (this module) only coordinates: it never decodes. A scan
//! thread streams found files ([`idlewild_image::scan`]); a small pool of low-priority decode
//! threads prepares frames (`pool`). The main thread waits on the control inbox, the scan
//! stream and the pool together, so a request is answered from the cache with one copy into
//! the frame slot as soon as it arrives, whatever the scan or the pool are doing.
//!
//! **Invariant:** a photo that fails (unreadable, corrupt, over a limit, too slow) is logged
//! once with its path and reason, announced to the UI (`Skipped`), dropped from this run's
//! playlist and replaced by the next photo in the same request: a display is never left
//! waiting on a broken file.

mod deliver;
mod pool;
mod requests;
mod scan_thread;
mod session;
pub mod timeline;

use crate::runtime::{Inbound, Worker, WorkerError};
use crossbeam_channel::select;
use idlewild_protocol::shm::FrameWriter;
use session::Session;
use std::time::{Duration, Instant};

/// How often the main thread wakes with nothing to do (overdue decodes, state saves).
const TICK: Duration = Duration::from_millis(200);

/// The image role's main loop.
pub fn run(w: &mut Worker) -> Result<(), WorkerError> {
    tune_allocator();
    let mut writer: Option<FrameWriter> = None;
    let mut session: Option<Session> = None;
    let no_scan = crossbeam_channel::never();
    let no_pool = crossbeam_channel::never();
    let no_needs = crossbeam_channel::never();
    loop {
        let inbox = w.inbox().clone();
        let scan_rx = session
            .as_ref()
            .and_then(Session::scan_events)
            .unwrap_or(&no_scan)
            .clone();
        let done_rx = session
            .as_ref()
            .map(Session::decode_results)
            .unwrap_or(&no_pool)
            .clone();
        let need_rx = session
            .as_ref()
            .map(Session::admissions)
            .unwrap_or(&no_needs)
            .clone();
        select! {
            recv(inbox) -> msg => match msg {
                Ok(Inbound::Attach(regions)) => {
                    writer = regions.frames.map(FrameWriter::new).transpose()?;
                }
                Ok(Inbound::Shutdown) | Err(_) => {
                    if let Some(s) = session.as_mut() {
                        s.save_state();
                    }
                    return Ok(());
                }
                Ok(Inbound::Request(env)) => {
                    requests::handle_request(w, &mut writer, &mut session, &env)?;
                }
            },
            recv(scan_rx) -> event => {
                if let (Some(s), Ok(event)) = (session.as_mut(), event) {
                    s.on_scan(w, writer.as_mut(), event)?;
                }
            },
            recv(need_rx) -> need => {
                if let (Some(s), Ok(need)) = (session.as_mut(), need) {
                    s.on_need(need);
                }
            },
            recv(done_rx) -> done => {
                if let (Some(s), Ok(done)) = (session.as_mut(), done) {
                    s.on_decoded(w, writer.as_mut(), done)?;
                }
            },
            default(TICK) => {}
        }
        if let Some(s) = session.as_mut() {
            s.tick(w, writer.as_mut(), Instant::now())?;
        }
    }
}

/// Keeps the worker's memory within its budget: every frame, decoded photo and resize buffer is
/// megabytes, and glibc's *dynamic* mmap threshold would, after the first such buffer is freed,
/// raise itself to serve later ones from the heap, where freed frames stay resident (measured:
/// peak RSS 3.5× the cache budget). A fixed 1 MiB threshold (which also turns the dynamic
/// adjustment off) maps every large buffer on its own and returns it to the kernel on free.
fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator parameters; it is called before this role
    // allocates anything large, and failure (return 0) only leaves the defaults.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}
