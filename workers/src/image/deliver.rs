//! Handing a prepared frame to the UI: one copy from the cache into the frames slot, then the
//! `Frame` answer with what the frame shows.

use super::timeline::Item;
use crate::runtime::{Worker, WorkerError};
use idlewild_image::cache::{Cached, FrameKey};
use idlewild_protocol::message::image::{FrameInfo, ImageResponse, SourceKind};
use idlewild_protocol::message::{Envelope, FromWorker, ToWorker};
use idlewild_protocol::shm::{FrameWriter, WriteMeta};

/// What the cache keeps beside a frame's pixels.
pub struct Meta {
    /// The photo's size after orientation.
    pub source_width: u32,
    /// The photo's size after orientation.
    pub source_height: u32,
    /// EXIF title, if any.
    pub title: Option<String>,
    /// EXIF capture date, if any.
    pub taken: Option<String>,
}

/// Copies a cached frame into the frames region and answers `env`. Returns whether a frame
/// was written (false when the worker has no frames region).
pub fn write_frame(
    w: &Worker,
    writer: Option<&mut FrameWriter>,
    env: &Envelope<ToWorker>,
    display: u32,
    key: &FrameKey,
    item: &Item,
    cached: &Cached<Meta>,
) -> Result<bool, WorkerError> {
    let Some(writer) = writer else {
        let message = "no frames region granted to the image worker".to_owned();
        w.outbox().reply(env, FromWorker::Error { message }, 0)?;
        return Ok(false);
    };
    let mut frame = writer.begin(WriteMeta::rgba8(env.generation, key.width, key.height))?;
    let payload = frame.payload();
    if cached.pixels.len() != payload.len() {
        // A library bug, not a user's file: refuse loudly rather than publish a torn picture.
        tracing::error!(key = %key, got = cached.pixels.len(), want = payload.len(), "frame size mismatch");
        let message = format!("internal error: frame for {key} has the wrong size");
        w.outbox().reply(env, FromWorker::Error { message }, 0)?;
        return Ok(false);
    }
    payload.copy_from_slice(&cached.pixels);
    let seq = frame.commit(false);
    let meta = &cached.meta;
    let title = meta.title.clone().unwrap_or_else(|| {
        key.path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    });
    let info = FrameInfo {
        display,
        width: key.width,
        height: key.height,
        source_width: meta.source_width,
        source_height: meta.source_height,
        source: key.path.display().to_string(),
        title,
        taken: meta.taken.clone(),
        kind: SourceKind::Local,
        position: item.position,
    };
    let size = u64::from(key.width) * u64::from(key.height) * 4;
    w.outbox().reply(
        env,
        FromWorker::Image(ImageResponse::Frame { seq, info }),
        size,
    )?;
    Ok(true)
}
