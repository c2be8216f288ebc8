//! The UI side of the image worker: its configuration from settings, and a client that keeps
//! one frame request outstanding and reads each answered frame from shared memory.
//!
//! **Boundary:** nothing here touches a photo file. The client only sends requests through the
//! supervisor (never blocking) and reads the frames region; scanning, decoding and the playlist
//! live in the worker.

use crate::supervisor::{RequestError, Supervisor};
use idlewild_protocol::WorkerKind;
use idlewild_protocol::message::image::{
    DisplaySpec, FrameInfo, ImageConfig, ImageLimits, ImageRequest, ImageResponse, ScaleMode,
    ScaleOptions, SourceConfig,
};
use idlewild_protocol::message::{FromWorker, ToWorker};
use idlewild_protocol::shm::{FrameReader, ReadError, SlotMeta};
use idlewild_settings::DisplayMode;
use idlewild_settings::Settings;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};

/// The image worker's configuration for `displays`. `sources` (from `--source`) replaces the
/// configured folders when not empty; `state_dir` holds the worker's index and playlist.
pub fn image_config(
    settings: &Settings,
    displays: &[DisplaySpec],
    sources: &[PathBuf],
    state_dir: &Path,
) -> ImageConfig {
    let s = &settings.sources;
    let w = &settings.workers.image;
    let mode = match settings.display.mode {
        DisplayMode::Fill => ScaleMode::Fill,
        DisplayMode::Fit => ScaleMode::Fit,
        DisplayMode::Shrink => ScaleMode::Shrink,
    };
    let mib = |v: u32| u64::from(v) << 20;
    ImageConfig {
        sources: SourceConfig {
            folders: if sources.is_empty() {
                s.folders.clone()
            } else {
                sources.to_vec()
            },
            extensions: s.extensions.clone(),
            follow_symlinks: s.follow_symlinks,
        },
        displays: displays.to_vec(),
        scale: ScaleOptions {
            mode,
            blur_bars: settings.display.blur_bars,
            sharpen: settings.display.sharpen,
        },
        limits: ImageLimits {
            max_file_bytes: mib(w.max_file_mb),
            max_pixels: u64::from(w.max_megapixels) * 1_000_000,
            max_decoded_bytes: u64::from(w.max_megapixels) * 1_000_000 * 8,
            time_budget_ms: w.decode_budget_ms,
        },
        prefetch: w.prefetch,
        cache_bytes: mib(w.cache_mb),
        same_on_all: settings.display.same_image_all_monitors,
        // No feed photos yet: the feeds issue brings `sources.feed_percent` back.
        feed_percent: 0,
        state_dir: state_dir.to_path_buf(),
        seed: None,
    }
}

/// Where the image worker keeps its scan index and playlist position: the platform cache
/// directory (`~/.cache/idlewild` on Linux).
pub fn default_state_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("org", "Idlewild", "idlewild").map(|d| d.cache_dir().to_owned())
}

/// Which way a display moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// The next photo (X, or the slideshow timer).
    Next,
    /// The previous photo (Z).
    Previous,
}

/// What the client learned from the worker.
#[derive(Clone, Debug, PartialEq)]
pub enum ImageEvent {
    /// A frame for `info.display` is ready: call [`ImageClient::read_frame`] now.
    Frame(FrameInfo),
    /// Anything else the worker said: `NoImages` (show its message instead of a photo),
    /// `Skipped`, `Scan` progress, `Status`.
    Worker(ImageResponse),
    /// The worker refused a request (for `display`, when it answered a frame request).
    Failed {
        /// The display whose request failed, if it was a frame request.
        display: Option<u32>,
        /// The worker's words.
        message: String,
    },
}

#[derive(Clone, Copy)]
struct Outstanding {
    seq_no: u64,
    display: u32,
    dir: Direction,
}

/// Drives the image worker from the UI: one frame request in flight at a time, and none while
/// the caller still reads an announced frame (the frames region is latest-wins, so a second
/// answer could replace the first before it is read). Callers that read a frame at once call
/// [`ImageClient::release`] right after.
pub struct ImageClient {
    config: ImageConfig,
    reader: Option<FrameReader>,
    generation: u64,
    configured: bool,
    queue: VecDeque<(u32, Direction)>,
    outstanding: Option<Outstanding>,
    /// A frame was announced and the caller still reads it (see [`ImageClient::release`]).
    holding: bool,
}

impl ImageClient {
    /// A client for `config`; nothing is sent before [`ImageClient::attach`].
    pub fn new(config: ImageConfig) -> Self {
        Self {
            config,
            reader: None,
            generation: 0,
            configured: false,
            queue: VecDeque::new(),
            outstanding: None,
            holding: false,
        }
    }

    /// A (new) worker process started: take its frames reader and configure it. A request
    /// that the previous process never answered is sent again.
    pub fn attach(
        &mut self,
        supervisor: &Supervisor,
        frames: Option<FrameReader>,
    ) -> Result<(), RequestError> {
        self.reader = frames;
        self.configured = false;
        if let Some(lost) = self.outstanding.take() {
            self.queue.push_front((lost.display, lost.dir));
        }
        // A client that replaces another (a rebuilt render thread's) starts above every
        // generation already sent, or the supervisor would drop its answers as stale.
        let seen = supervisor
            .kind(WorkerKind::Image)
            .map_or(0, |k| k.generation());
        self.generation = self.generation.max(seen) + 1;
        let body = ToWorker::Image(ImageRequest::Configure(Box::new(self.config.clone())));
        supervisor.request(WorkerKind::Image, body, self.generation)?;
        Ok(())
    }

    /// The displays changed size (a resized preview window): the worker is configured again
    /// with `displays`, keeping its playlist and timelines, and later photos come at the new
    /// sizes. Requests wait until the worker confirms.
    pub fn reconfigure(
        &mut self,
        supervisor: &Supervisor,
        displays: &[DisplaySpec],
    ) -> Result<(), RequestError> {
        if self.config.displays == displays {
            return Ok(());
        }
        self.config.displays = displays.to_vec();
        if self.reader.is_none() {
            // Not attached: `attach` sends the new configuration.
            return Ok(());
        }
        self.configured = false;
        self.generation += 1;
        let body = ToWorker::Image(ImageRequest::Configure(Box::new(self.config.clone())));
        supervisor.request(WorkerKind::Image, body, self.generation)?;
        Ok(())
    }

    /// The worker is gone (it will be restarted): forget its reader.
    pub fn detach(&mut self) {
        self.reader = None;
        self.configured = false;
        self.holding = false;
    }

    /// The caller is done with the last announced frame: the next request may go out (its
    /// answer would replace the frame in shared memory). Until then the queue waits, so a frame
    /// can be read in parts over several render frames with [`ImageClient::read_frame_again`].
    pub fn release(&mut self, supervisor: &Supervisor) {
        self.holding = false;
        let _ = self.pump(supervisor);
    }

    /// Asks for a frame for `display` (queued behind the one in flight, if any).
    pub fn request(
        &mut self,
        supervisor: &Supervisor,
        display: u32,
        dir: Direction,
    ) -> Result<(), RequestError> {
        self.queue.push_back((display, dir));
        self.pump(supervisor)
    }

    /// Asks the worker for its counters (answered by an [`ImageEvent::Worker`] holding
    /// [`ImageResponse::Status`]).
    pub fn request_status(&mut self, supervisor: &Supervisor) -> Result<(), RequestError> {
        let body = ToWorker::Image(ImageRequest::Status);
        supervisor.request(WorkerKind::Image, body, self.generation)?;
        Ok(())
    }

    /// True while a frame request waits for its answer.
    pub fn busy(&self) -> bool {
        self.outstanding.is_some() || !self.queue.is_empty()
    }

    fn pump(&mut self, supervisor: &Supervisor) -> Result<(), RequestError> {
        if self.outstanding.is_some() || !self.configured || self.holding {
            return Ok(());
        }
        let Some((display, dir)) = self.queue.pop_front() else {
            return Ok(());
        };
        self.generation += 1;
        let request = match dir {
            Direction::Next => ImageRequest::Next { display },
            Direction::Previous => ImageRequest::Previous { display },
        };
        match supervisor.request(WorkerKind::Image, ToWorker::Image(request), self.generation) {
            Ok(seq_no) => {
                if let Some(reader) = self.reader.as_mut() {
                    // Only a frame written for this request may be accepted.
                    reader.set_min_generation(self.generation);
                }
                self.outstanding = Some(Outstanding {
                    seq_no,
                    display,
                    dir,
                });
                Ok(())
            }
            Err(e) => {
                self.queue.push_front((display, dir));
                Err(e)
            }
        }
    }

    /// Drains the worker's answers. Never blocks.
    pub fn poll(&mut self, supervisor: &Supervisor) -> Vec<ImageEvent> {
        let mut events = Vec::new();
        while let Some(env) = supervisor.poll(WorkerKind::Image) {
            let answers_outstanding = self
                .outstanding
                .is_some_and(|o| o.seq_no == env.correlation_id);
            match env.body {
                FromWorker::Image(ImageResponse::Configured) => self.configured = true,
                FromWorker::Image(ImageResponse::Frame { info, .. }) if answers_outstanding => {
                    self.outstanding = None;
                    self.holding = true;
                    events.push(ImageEvent::Frame(info));
                }
                // The answer to a request of a process that was replaced: its frame is not in
                // this epoch's region, and the request was sent again.
                FromWorker::Image(ImageResponse::Frame { .. }) => {}
                FromWorker::Image(response) => {
                    if answers_outstanding && matches!(response, ImageResponse::NoImages { .. }) {
                        self.outstanding = None;
                    }
                    events.push(ImageEvent::Worker(response));
                }
                FromWorker::Error { message } => {
                    let display = if answers_outstanding {
                        self.outstanding.take().map(|o| o.display)
                    } else {
                        None
                    };
                    events.push(ImageEvent::Failed { display, message });
                }
                _ => {}
            }
        }
        // A failed send (supervisor busy) is retried at the next poll.
        let _ = self.pump(supervisor);
        events
    }

    /// Reads the frame announced by the last [`ImageEvent::Frame`] straight from shared
    /// memory. `f` sees the slot header and the pixels in the mapping; when this returns
    /// `Err`, whatever `f` produced must be thrown away (the seqlock check failed).
    pub fn read_frame<R>(
        &mut self,
        f: impl FnOnce(&SlotMeta, &[u8]) -> R,
    ) -> Result<Option<R>, ReadError> {
        let Some(reader) = self.reader.as_mut() else {
            return Ok(None);
        };
        Ok(reader.read_latest(f)?.map(|(_, r)| r))
    }

    /// Reads the frame [`ImageClient::read_frame`] took once more (for an upload in parts);
    /// `Err`: throw away what `f` produced.
    pub fn read_frame_again<R>(
        &self,
        f: impl FnOnce(&SlotMeta, &[u8]) -> R,
    ) -> Result<Option<R>, ReadError> {
        let Some(reader) = self.reader.as_ref() else {
            return Ok(None);
        };
        reader.read_again(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configuration_follows_settings_and_overrides() {
        let mut settings = Settings::default();
        settings.display.mode = DisplayMode::Shrink;
        settings.sources.folders = vec![PathBuf::from("/photos")];
        settings.workers.image.cache_mb = 64;
        settings.workers.image.max_megapixels = 50;
        let displays = [DisplaySpec {
            id: 0,
            width: 1920,
            height: 1080,
        }];
        let state = Path::new("/state");
        let cfg = image_config(&settings, &displays, &[], state);
        assert_eq!(cfg.sources.folders, [PathBuf::from("/photos")]);
        assert_eq!(cfg.scale.mode, ScaleMode::Shrink);
        assert_eq!(cfg.cache_bytes, 64 << 20);
        assert_eq!(cfg.limits.max_pixels, 50_000_000);
        assert_eq!(cfg.limits.max_file_bytes, 200 << 20);
        assert_eq!(cfg.prefetch, 3);
        assert_eq!(cfg.state_dir, state);
        assert_eq!(cfg.displays, displays);
        let cfg = image_config(&settings, &displays, &[PathBuf::from("/cli")], state);
        assert_eq!(
            cfg.sources.folders,
            [PathBuf::from("/cli")],
            "--source wins"
        );
    }
}
