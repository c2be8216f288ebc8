//! One display of the render loop: its show, the photo being uploaded, its frame statistics, and
//! its [`Canvas`], which draws either on the GPU (groups A and B: a wgpu surface or offscreen
//! texture plus a [`Renderer`]) or on the CPU (group C: a [`CpuCompositor`] whose pixels
//! [`SoftSurface`] hands to the window system).

use std::time::{Duration, Instant};

use idlewild_protocol::message::image::FrameInfo;
use idlewild_renderer::visualizer::BarsStyle;
use idlewild_renderer::{CpuCompositor, FrameState, RenderError, Renderer, Slot};

use super::super::condition::Condition;
use super::super::gpu::{self, Gpu, Target};
use super::super::metrics::FrameStats;
use super::super::show::{Show, Timing};
use super::config::KenBurnsPaths;
use super::soft::SoftSurface;
use super::{Group, OutputSpec};
use crate::visualizer::BarsFrame;

/// A photo on its way from shared memory into the canvas, a band of rows per frame.
pub(super) struct Upload {
    pub info: FrameInfo,
    pub next_row: u32,
    pub spent: Duration,
}

/// Why an output could not be set up.
pub(super) enum OutputError {
    /// The renderer's pipelines failed: demote to group B and try again with these.
    Pipeline(Box<(String, OutputSpec, Option<wgpu::Surface<'static>>)>),
    /// Anything else.
    Other(String),
}

impl std::fmt::Display for OutputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OutputError::Pipeline(parts) => f.write_str(&parts.0),
            OutputError::Other(why) => f.write_str(why),
        }
    }
}

/// Where and how a display's frames are drawn.
pub(super) enum Canvas {
    /// Groups A and B.
    Gpu(Box<GpuCanvas>),
    /// Group C.
    Cpu(Box<CpuCanvas>),
}

impl Canvas {
    /// Writes rows `first..` of a `width` x `height` photo into the `Next` slot; `first == 0`
    /// begins the photo.
    pub fn write_rows(
        &mut self,
        queue: Option<&wgpu::Queue>,
        (width, height): (u32, u32),
        first: u32,
        rows: &[u8],
    ) -> Result<(), String> {
        match (self, queue) {
            (Canvas::Gpu(c), Some(queue)) => {
                if first == 0 {
                    c.renderer
                        .begin_image(Slot::Next, width, height)
                        .map_err(|e| e.to_string())?;
                }
                c.renderer
                    .write_rows(queue, Slot::Next, first, rows)
                    .map_err(|e| e.to_string())
            }
            (Canvas::Cpu(c), _) => {
                if first == 0 {
                    c.compositor
                        .begin_image(Slot::Next, width, height)
                        .map_err(|e| e.to_string())?;
                }
                c.compositor
                    .write_rows(Slot::Next, first, rows)
                    .map_err(|e| e.to_string())
            }
            (Canvas::Gpu(_), None) => Err("no graphics device".into()),
        }
    }
}

pub(super) struct GpuCanvas {
    /// `None`: offscreen (frames go to `offscreen` and are dropped).
    surface: Option<wgpu::Surface<'static>>,
    offscreen: Option<wgpu::Texture>,
    /// The submission before the last (offscreen pacing: at most two frames in flight).
    in_flight: Option<wgpu::SubmissionIndex>,
    config: wgpu::SurfaceConfiguration,
    renderer: Renderer,
}

pub(super) struct CpuCanvas {
    /// `None`: offscreen (frames are composed into `scratch` and dropped).
    surface: Option<SoftSurface>,
    scratch: Vec<u32>,
    compositor: CpuCompositor,
}

/// One display.
pub(super) struct Output {
    pub display: u32,
    pub target: Target,
    pub refresh_mhz: Option<u32>,
    pub canvas: Canvas,
    pub show: Show,
    pub upload: Option<Upload>,
    /// The last frame's state, redrawn when only a redraw was asked for.
    pub state: FrameState,
    pub frame_target: Duration,
    last_present: Option<Instant>,
    /// The last presented frame was part of continuous drawing (something moved), so the
    /// interval to the next one is a frame time, however long it is.
    last_moving: bool,
    pub redraw: bool,
    pub announced: bool,
    pub period: FrameStats,
    pub transition: FrameStats,
    pub paths: KenBurnsPaths,
    /// The image worker answers "nothing to show" (logged when it begins and ends).
    pub empty: Condition,
    /// The window system refuses frames (logged when it begins and ends).
    refused: Condition,
}

/// The texture an offscreen output draws into.
fn offscreen_target(device: &wgpu::Device, config: &wgpu::SurfaceConfiguration) -> wgpu::Texture {
    device.create_texture(&wgpu::TextureDescriptor {
        label: Some("idlewild offscreen output"),
        size: wgpu::Extent3d {
            width: config.width,
            height: config.height,
            depth_or_array_layers: 1,
        },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format: config.format,
        usage: wgpu::TextureUsages::RENDER_ATTACHMENT,
        view_formats: &[],
    })
}

impl Output {
    fn with_canvas(spec: &OutputSpec, canvas: Canvas, timing: Timing) -> Self {
        let hz = spec
            .refresh_mhz
            .filter(|&m| m >= 20_000)
            .map_or(60.0, |m| f64::from(m) / 1000.0);
        Self {
            display: spec.display,
            target: spec.target.clone(),
            refresh_mhz: spec.refresh_mhz,
            canvas,
            show: Show::new(timing),
            upload: None,
            state: FrameState::default(),
            frame_target: Duration::from_secs_f64(1.0 / hz),
            last_present: None,
            last_moving: false,
            redraw: true,
            announced: false,
            period: FrameStats::default(),
            transition: FrameStats::default(),
            paths: KenBurnsPaths::default(),
            empty: Condition::default(),
            refused: Condition::default(),
        }
    }

    /// A display drawn by wgpu (group A or B).
    pub fn gpu(
        gpu: &Gpu,
        spec: OutputSpec,
        surface: Option<wgpu::Surface<'static>>,
        timing: Timing,
        group: Group,
    ) -> Result<Self, OutputError> {
        let config = match &surface {
            Some(surface) => {
                let Some(config) = gpu::configuration(surface, &gpu.adapter, spec.size) else {
                    return Err(OutputError::Other(format!(
                        "display {}: the graphics adapter cannot present to its window",
                        spec.display
                    )));
                };
                surface.configure(&gpu.device, &config);
                config
            }
            None => gpu::offscreen_configuration(spec.size),
        };
        let offscreen = surface
            .is_none()
            .then(|| offscreen_target(&gpu.device, &config));
        let built = match group {
            Group::Minimal => Renderer::minimal(&gpu.device, &gpu.queue, config.format, spec.size),
            _ => Renderer::new(&gpu.device, &gpu.queue, config.format, spec.size),
        };
        let renderer = match built {
            Ok(r) => r,
            Err(e @ RenderError::Pipeline { .. }) => {
                return Err(OutputError::Pipeline(Box::new((
                    e.to_string(),
                    spec,
                    surface,
                ))));
            }
            Err(e) => return Err(OutputError::Other(e.to_string())),
        };
        let canvas = Canvas::Gpu(Box::new(GpuCanvas {
            surface,
            offscreen,
            in_flight: None,
            config,
            renderer,
        }));
        Ok(Self::with_canvas(&spec, canvas, timing))
    }

    /// A display drawn on the CPU (group C).
    pub fn cpu(spec: OutputSpec, timing: Timing) -> Result<Self, String> {
        let surface = SoftSurface::new(&spec.target, spec.size).map_err(|e| {
            format!(
                "display {}: cannot draw into the window from the CPU either: {e}",
                spec.display
            )
        })?;
        let size = (spec.size.0.max(1), spec.size.1.max(1));
        let canvas = Canvas::Cpu(Box::new(CpuCanvas {
            surface,
            scratch: Vec::new(),
            // Window systems show these bytes as sRGB, so blend in linear light, as an sRGB
            // GPU surface does.
            compositor: CpuCompositor::new(size, true),
        }));
        Ok(Self::with_canvas(&spec, canvas, timing))
    }

    /// Back to what it was made from (to rebuild it on another device or group). A CPU
    /// canvas's surface is dropped here, so the window is free for a new one.
    pub fn into_parts(self) -> (OutputSpec, Option<wgpu::Surface<'static>>) {
        let size = self.size();
        let spec = OutputSpec {
            display: self.display,
            target: self.target,
            size,
            refresh_mhz: self.refresh_mhz,
        };
        let surface = match self.canvas {
            Canvas::Gpu(c) => c.surface,
            Canvas::Cpu(_) => None,
        };
        (spec, surface)
    }

    /// The drawing size in pixels.
    pub fn size(&self) -> (u32, u32) {
        match &self.canvas {
            Canvas::Gpu(c) => (c.config.width, c.config.height),
            Canvas::Cpu(c) => c.compositor.size(),
        }
    }

    /// True when the size changed.
    pub fn resize(&mut self, gpu: Option<&Gpu>, size: (u32, u32)) -> bool {
        if size.0 == 0 || size.1 == 0 || self.size() == size {
            return false;
        }
        match (&mut self.canvas, gpu) {
            (Canvas::Gpu(c), Some(gpu)) => {
                c.config.width = size.0;
                c.config.height = size.1;
                match &c.surface {
                    Some(surface) => surface.configure(&gpu.device, &c.config),
                    None => c.offscreen = Some(offscreen_target(&gpu.device, &c.config)),
                }
                c.renderer.resize(size);
            }
            (Canvas::Cpu(c), _) => {
                if let Some(surface) = &mut c.surface
                    && let Err(e) = surface.resize(size)
                {
                    tracing::warn!("display {}: cannot resize: {e}", self.display);
                    return false;
                }
                c.compositor.resize(size);
            }
            (Canvas::Gpu(_), None) => return false,
        }
        self.redraw = true;
        true
    }

    /// The next photo becomes the current one.
    pub fn promote_next(&mut self) {
        match &mut self.canvas {
            Canvas::Gpu(c) => c.renderer.promote_next(),
            Canvas::Cpu(c) => c.compositor.promote_next(),
        }
    }

    /// What the next frame draws over the photo: `bars` with `style`, or nothing.
    pub fn set_bars(&mut self, style: &BarsStyle, bars: Option<&BarsFrame<'_>>) {
        let (levels, ghosts, fade) =
            bars.map_or((&[][..], &[][..], 0.0), |b| (b.levels, b.ghosts, b.fade));
        let set = match &mut self.canvas {
            Canvas::Gpu(c) => c.renderer.set_visualizer(style, levels, ghosts, fade),
            Canvas::Cpu(c) => c.compositor.set_visualizer(style, levels, ghosts, fade),
        };
        if let Err(e) = set {
            tracing::debug!("display {}: bars not drawn: {e}", self.display);
        }
    }

    /// Draws `state` and presents it. False when no frame was presented (occluded, timed
    /// out, reconfigured).
    pub fn draw(
        &mut self,
        gpu: Option<&Gpu>,
        state: &FrameState,
        now: Instant,
        in_transition: bool,
        moving: bool,
    ) -> bool {
        let presented = match (&mut self.canvas, gpu) {
            (Canvas::Gpu(c), Some(gpu)) => {
                c.renderer.update(state);
                c.present(gpu, &mut self.redraw)
            }
            (Canvas::Cpu(c), _) => {
                c.compositor.update(state);
                c.present()
            }
            (Canvas::Gpu(_), None) => Ok(false),
        };
        // A refusal repeats every frame while it lasts: said when it begins and when it ends.
        let presented = match presented {
            Ok(p) => {
                if p && let Some(n) = self.refused.clear() {
                    tracing::info!(
                        "display {}: frames are accepted again (after {n} refused)",
                        self.display
                    );
                }
                p
            }
            Err(why) => {
                if self.refused.hit() {
                    tracing::warn!(
                        "display {}: {why} (said once until frames are accepted again)",
                        self.display
                    );
                }
                false
            }
        };
        if !presented {
            return false;
        }
        // An interval that starts at a frame drawn while something moved is a frame time,
        // however long: a stall shows up in p99, max and the dropped count. An interval that
        // starts after an idle stretch (a still photo draws nothing) is not one.
        if let Some(last) = self.last_present
            && self.last_moving
        {
            let interval = now.saturating_duration_since(last);
            self.period.frame(interval, self.frame_target);
            if in_transition {
                self.transition.frame(interval, self.frame_target);
            }
        }
        self.last_present = Some(now);
        self.last_moving = moving;
        true
    }
}

impl GpuCanvas {
    /// `Ok(false)`: no frame this time (occluded, timed out, reconfigured); `Err`: the surface
    /// refused it.
    fn present(&mut self, gpu: &Gpu, redraw: &mut bool) -> Result<bool, String> {
        let mut encoder = gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("idlewild frame"),
            });
        match (&self.surface, &self.offscreen) {
            (Some(surface), _) => {
                let frame = match surface.get_current_texture() {
                    wgpu::CurrentSurfaceTexture::Success(t) => t,
                    wgpu::CurrentSurfaceTexture::Suboptimal(t) => {
                        surface.configure(&gpu.device, &self.config);
                        t
                    }
                    wgpu::CurrentSurfaceTexture::Timeout
                    | wgpu::CurrentSurfaceTexture::Occluded => return Ok(false),
                    wgpu::CurrentSurfaceTexture::Outdated | wgpu::CurrentSurfaceTexture::Lost => {
                        surface.configure(&gpu.device, &self.config);
                        *redraw = true;
                        return Ok(false);
                    }
                    wgpu::CurrentSurfaceTexture::Validation => {
                        return Err("the surface refused a frame".into());
                    }
                };
                let view = frame
                    .texture
                    .create_view(&wgpu::TextureViewDescriptor::default());
                self.renderer.render(&mut encoder, &view);
                gpu.queue.submit([encoder.finish()]);
                gpu.queue.present(frame);
            }
            (None, Some(target)) => {
                // Like a swapchain: the previous frame must be done before the next is queued,
                // so the GPU's real cost shows in the frame times instead of piling up.
                if let Some(index) = self.in_flight.take() {
                    let _ = gpu.device.poll(wgpu::PollType::Wait {
                        submission_index: Some(index),
                        timeout: Some(Duration::from_secs(1)),
                    });
                }
                let view = target.create_view(&wgpu::TextureViewDescriptor::default());
                self.renderer.render(&mut encoder, &view);
                self.in_flight = Some(gpu.queue.submit([encoder.finish()]));
            }
            (None, None) => return Ok(false),
        }
        Ok(true)
    }
}

impl CpuCanvas {
    /// As [`GpuCanvas::present`].
    fn present(&mut self) -> Result<bool, String> {
        let size = self.compositor.size();
        let compositor = &self.compositor;
        match &mut self.surface {
            Some(surface) => surface.present(size, |px| compositor.render_xrgb(px)),
            None => {
                self.scratch.resize(size.0 as usize * size.1 as usize, 0);
                compositor.render_xrgb(&mut self.scratch);
                Ok(true)
            }
        }
    }
}
