//! Requests of the UI: configuration checks and dispatch to the [`Session`].

use super::session::{Dir, Session};
use crate::runtime::{Worker, WorkerError};
use idlewild_image::sources::ExtensionSet;
use idlewild_protocol::message::image::{ImageConfig, ImageRequest, ImageResponse};
use idlewild_protocol::message::{Envelope, FromWorker, ToWorker};
use idlewild_protocol::shm::FrameWriter;

/// Handles one request of the UI.
pub fn handle_request(
    w: &Worker,
    writer: &mut Option<FrameWriter>,
    session: &mut Option<Session>,
    env: &Envelope<ToWorker>,
) -> Result<(), WorkerError> {
    let ToWorker::Image(request) = &env.body else {
        return Ok(());
    };
    let error = |message: String| w.outbox().reply(env, FromWorker::Error { message }, 0);
    match request {
        ImageRequest::Configure(cfg) => {
            if let Err(message) = check_config(cfg, writer.as_ref()) {
                tracing::error!("image configuration refused: {message}");
                return Ok(error(message)?);
            }
            let extensions = match ExtensionSet::new(&cfg.sources.extensions) {
                Ok(set) => set,
                Err(e) => return Ok(error(e.to_string())?),
            };
            *session = Some(match session.take() {
                Some(old) if old.same_sources(cfg) => old.reconfigure(w, (**cfg).clone())?,
                Some(mut old) => {
                    old.cancel_waiting(w, "the photo sources changed; ask again")?;
                    old.save_state();
                    Session::start((**cfg).clone(), extensions)
                }
                None => Session::start((**cfg).clone(), extensions),
            });
            w.outbox()
                .reply(env, FromWorker::Image(ImageResponse::Configured), 0)?;
        }
        ImageRequest::Next { display } | ImageRequest::Previous { display } => {
            let Some(s) = session.as_mut() else {
                return Ok(error("the image worker is not configured yet".into())?);
            };
            if !s.knows(*display) {
                return Ok(error(format!("unknown display {display}"))?);
            }
            let dir = if matches!(request, ImageRequest::Next { .. }) {
                Dir::Forward
            } else {
                Dir::Back
            };
            s.serve(w, writer.as_mut(), env.clone(), *display, dir)?;
            s.prefetch(w)?;
        }
        ImageRequest::Status => {
            let status = session.as_ref().map(Session::status).unwrap_or_default();
            w.outbox()
                .reply(env, FromWorker::Image(ImageResponse::Status(status)), 0)?;
        }
    }
    Ok(())
}

/// Refuses configurations the worker cannot honour, in words the UI can log.
fn check_config(cfg: &ImageConfig, writer: Option<&FrameWriter>) -> Result<(), String> {
    if cfg.displays.is_empty() {
        return Err("no displays given".into());
    }
    let max = writer.map_or(0, |w| w.region().params().max_payload);
    for (i, d) in cfg.displays.iter().enumerate() {
        if cfg.displays[..i].iter().any(|o| o.id == d.id) {
            return Err(format!("display id {} given twice", d.id));
        }
        let bytes = u64::from(d.width) * u64::from(d.height) * 4;
        if d.width == 0 || d.height == 0 || bytes > max {
            return Err(format!(
                "display {} is {}×{}: frames must be non-empty and at most {max} bytes",
                d.id, d.width, d.height
            ));
        }
    }
    Ok(())
}
