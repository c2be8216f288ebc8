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

pub(super) use crate::bench::cpu_seconds;
