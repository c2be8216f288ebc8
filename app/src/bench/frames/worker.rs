//! Set-up helpers for an image worker process, shared by the real loop and the saturating
//! load: waiting for it to start, fetching a photo, and reading its CPU time.

use crate::images::{Direction, ImageClient, ImageEvent};
use crate::supervisor::{Event, Supervisor};
use anyhow::bail;
use idlewild_protocol::WorkerKind;
use idlewild_protocol::message::image::ImageResponse;
use idlewild_protocol::shm::FrameReader;
use std::time::{Duration, Instant};

/// Waits for the image worker's first process; its pid and frames reader.
pub(super) fn started(supervisor: &Supervisor) -> anyhow::Result<(u32, Option<FrameReader>)> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match supervisor.wait_event(deadline.saturating_duration_since(Instant::now())) {
            Some(Event::Started {
                kind: WorkerKind::Image,
                pid,
                readers,
                ..
            }) => return Ok((pid, readers.frames)),
            Some(Event::Started { .. }) => {}
            Some(other) => bail!("the image worker did not start: {other:?}"),
            None => bail!("the image worker did not start within 30 s"),
        }
    }
}

/// Asks for the next photo and waits for it (set-up only, never while frames are measured).
pub(super) fn next_photo(client: &mut ImageClient, supervisor: &Supervisor) -> anyhow::Result<()> {
    // Queued even when refused for now; `poll` sends it again.
    let _ = client.request(supervisor, 0, Direction::Next);
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        for event in client.poll(supervisor) {
            match event {
                ImageEvent::Frame(_) => {
                    client.release(supervisor);
                    return Ok(());
                }
                ImageEvent::Worker(ImageResponse::NoImages { message, .. }) => bail!("{message}"),
                ImageEvent::Failed { message, .. } => {
                    bail!("the image worker refused a request: {message}")
                }
                _ => {}
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    bail!("no photo from the image worker within 60 s")
}

/// CPU time (user + system) of process `pid` so far, in seconds.
#[cfg(target_os = "linux")]
pub(super) fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After "pid (comm) ", the fields from the third on: utime and stime are the 14th and 15th.
    let rest = stat.get(stat.rfind(')')? + 2..)?;
    let mut fields = rest.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    // SAFETY: sysconf only reads a configuration value.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    (hz > 0).then(|| (user + system) as f64 / hz as f64)
}

#[cfg(not(target_os = "linux"))]
pub(super) fn cpu_seconds(_pid: u32) -> Option<f64> {
    None
}
