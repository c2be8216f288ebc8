//! The headless renderer: two frame textures, one pipeline per registered transition, and a
//! `new / resize / update / render` life cycle driven entirely by the host.
//!
//! **sRGB targets.** The frame textures take the sRGB-ness of the target format: on an `*Srgb`
//! target they are `Rgba8UnormSrgb` (sampling decodes to linear, the target re-encodes), on a
//! plain `*Unorm` target they are `Rgba8Unorm` (bytes pass straight through). Either way a frame
//! shown at progress 0 or 1 reproduces the caller's bytes; only the in-between blend differs, in
//! linear light on sRGB targets and in encoded values on plain ones. Tests use `Rgba8Unorm`
//! because that path is exact by construction.
//!
//! **Visualizer.** After the photo, the same pass draws the audio bars set by
//! [`Renderer::set_visualizer`] with alpha blending (see [`crate::visualizer`]); when they are
//! faded out or empty there is no extra draw call and the frame is the photo alone.

use std::num::NonZeroU64;

use crate::RenderError;
use crate::frame::{FrameState, Uniforms};
use crate::pipeline::compile_pipeline;
use crate::registry::{TRANSITIONS, TransitionId};
use crate::visualizer::gpu::VisualizerGpu;
use crate::visualizer::{Bars, BarsStyle};

/// The prelude every transition's WGSL is appended to: the `Frame` uniforms, the bindings,
/// `vs_main` and the `fetch_*` / hash helpers.
const PRELUDE: &str = include_str!("../../../shaders/common.wgsl");

/// Which of the two frame textures an image goes into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Slot {
    /// The frame on screen before (and at the start of) a transition.
    Current,
    /// The frame a transition moves towards.
    Next,
}

impl Slot {
    fn index(self) -> usize {
        match self {
            Slot::Current => 0,
            Slot::Next => 1,
        }
    }
}

/// One uploaded image: its texture, the view the bind group uses, and its size in pixels.
#[derive(Debug)]
struct FrameTexture {
    view: wgpu::TextureView,
    texture: wgpu::Texture,
    size: (u32, u32),
}

/// Draws transitions between two uploaded RGBA8 frames into a host-provided texture view.
///
/// The renderer keeps clones of the device and queue handles it was created with (they are
/// reference-counted), so [`Renderer::update`] and [`Renderer::resize`] can refresh the uniform
/// buffer without the host passing the queue on every call.
#[derive(Debug)]
pub struct Renderer {
    device: wgpu::Device,
    queue: wgpu::Queue,
    format: wgpu::TextureFormat,
    image_format: wgpu::TextureFormat,
    size: (u32, u32),
    layout: wgpu::BindGroupLayout,
    /// One pipeline per row of [`TRANSITIONS`], in the same order.
    pipelines: Vec<wgpu::RenderPipeline>,
    sampler: wgpu::Sampler,
    uniforms: wgpu::Buffer,
    /// Indexed by [`Slot::index`].
    frames: [FrameTexture; 2],
    bind_group: wgpu::BindGroup,
    state: FrameState,
    /// The audio bars; `None` only in a minimal renderer whose visualizer pipelines failed.
    visualizer: Option<VisualizerGpu>,
}

impl Renderer {
    /// Builds the pipelines of every registered transition for `format` and shows black until
    /// images are uploaded.
    ///
    /// Fails with [`RenderError::Pipeline`] when a shader does not validate or `format` cannot be
    /// rendered to.
    pub fn new(
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        format: wgpu::TextureFormat,
        size: (u32, u32),
    ) -> Result<Self, RenderError> {
        Self::build(device, queue, format, size, false)
    }

    /// The minimal compositor of fallback group B: only the crossfade pipeline is built, and
    /// every transition is drawn as a crossfade. For adapters where another transition's shader
    /// or pipeline fails.
    pub fn minimal(
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        format: wgpu::TextureFormat,
        size: (u32, u32),
    ) -> Result<Self, RenderError> {
        Self::build(device, queue, format, size, true)
    }

    /// True for a [`Renderer::minimal`] one.
    pub fn is_minimal(&self) -> bool {
        self.pipelines.len() == 1 && TRANSITIONS.len() > 1
    }

    fn build(
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        format: wgpu::TextureFormat,
        size: (u32, u32),
        minimal: bool,
    ) -> Result<Self, RenderError> {
        let image_format = if format.is_srgb() {
            wgpu::TextureFormat::Rgba8UnormSrgb
        } else {
            wgpu::TextureFormat::Rgba8Unorm
        };
        let layout = bind_group_layout(device);
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("idlewild transition layout"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let pipelines = if minimal {
            vec![build_pipeline(
                device,
                &pipeline_layout,
                format,
                TransitionId::CROSSFADE,
            )?]
        } else {
            TransitionId::all()
                .map(|id| build_pipeline(device, &pipeline_layout, format, id))
                .collect::<Result<Vec<_>, _>>()?
        };

        // Linear filtering only matters when a frame's size differs from the target's or a Ken
        // Burns view zooms in; at 1:1 the shaders use `textureLoad` and never touch the sampler.
        // The default clamp-to-edge addressing keeps samples at the border inside the image.
        let sampler = device.create_sampler(&wgpu::SamplerDescriptor {
            label: Some("idlewild frame sampler"),
            mag_filter: wgpu::FilterMode::Linear,
            min_filter: wgpu::FilterMode::Linear,
            ..Default::default()
        });
        let uniforms = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("idlewild frame uniforms"),
            size: std::mem::size_of::<Uniforms>() as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let frames = [Slot::Current, Slot::Next]
            .map(|slot| frame_texture(device, image_format, (1, 1), slot));
        let bind_group = bind_group(device, &layout, &frames, &sampler, &uniforms);
        let visualizer = match VisualizerGpu::new(device, format, clamp_size(size)) {
            Ok(visualizer) => Some(visualizer),
            // The minimal renderer exists to show photos where shaders fail; the bars are not
            // worth losing that for, so it goes on without them.
            Err(error) if minimal => {
                tracing::warn!(%error, "minimal renderer: visualizer unavailable");
                None
            }
            Err(error) => return Err(error),
        };
        let renderer = Renderer {
            device: device.clone(),
            queue: queue.clone(),
            format,
            image_format,
            size: clamp_size(size),
            layout,
            pipelines,
            sampler,
            uniforms,
            frames,
            bind_group,
            state: FrameState::default(),
            visualizer,
        };
        // Opaque black rather than the zeroed (transparent) texels of a fresh texture.
        for slot in [Slot::Current, Slot::Next] {
            renderer.write_rows(queue, slot, 0, &[0, 0, 0, 255])?;
        }
        renderer.write_uniforms();
        Ok(renderer)
    }

    /// The target format the pipelines were built for; views passed to [`Renderer::render`]
    /// must have it.
    pub fn format(&self) -> wgpu::TextureFormat {
        self.format
    }

    /// The target size in pixels, as last set by [`Renderer::new`] or [`Renderer::resize`].
    pub fn size(&self) -> (u32, u32) {
        self.size
    }

    /// Records a new target size. Frames already uploaded stay; until images of the new size
    /// arrive they are stretched to fit.
    pub fn resize(&mut self, size: (u32, u32)) {
        self.size = clamp_size(size);
        self.write_uniforms();
        if let Some(visualizer) = &mut self.visualizer {
            visualizer.resize(&self.queue, self.size);
        }
    }

    /// Uploads an RGBA8 image into `slot`, straight from the caller's slice (one copy, no
    /// intermediate buffer on our side): [`Renderer::begin_image`] and one
    /// [`Renderer::write_rows`] with every row.
    ///
    /// `rgba` must be tightly packed rows of `width * 4` bytes. A texture is only reallocated
    /// when the size changes, so a steady slideshow at display size reuses both textures.
    pub fn set_image(
        &mut self,
        queue: &wgpu::Queue,
        slot: Slot,
        rgba: &[u8],
        width: u32,
        height: u32,
    ) -> Result<(), RenderError> {
        RenderError::check_rgba(rgba.len(), width, height)?;
        self.begin_image(slot, width, height)?;
        self.write_rows(queue, slot, 0, rgba)
    }

    /// Starts a staged upload of a `width` x `height` RGBA8 image into `slot`: the texture is
    /// reallocated if its size differs, otherwise reused as is. Follow with
    /// [`Renderer::write_rows`] calls, for instance a quarter of the rows per frame, so a 4K
    /// upload does not land in one frame.
    ///
    /// Until every row has been written the slot holds a mix of the previous image and the new
    /// rows (zeroed rows in a fresh texture), so the host should not show the slot meanwhile;
    /// normally it is the next slot, which is invisible until its transition starts.
    pub fn begin_image(&mut self, slot: Slot, width: u32, height: u32) -> Result<(), RenderError> {
        let max = self.device.limits().max_texture_dimension_2d;
        RenderError::check_size(width, height, max)?;
        let index = slot.index();
        if self.frames[index].size != (width, height) {
            self.frames[index] =
                frame_texture(&self.device, self.image_format, (width, height), slot);
            self.rebuild_bind_group();
        }
        Ok(())
    }

    /// Writes whole rows of the image in `slot`, starting at row `first_row`, straight from the
    /// caller's slice (one copy). `rows` must hold one or more tightly packed rows of
    /// `width * 4` bytes that end at or before the image's last row; the size is the one given
    /// to [`Renderer::begin_image`] or [`Renderer::set_image`].
    pub fn write_rows(
        &self,
        queue: &wgpu::Queue,
        slot: Slot,
        first_row: u32,
        rows: &[u8],
    ) -> Result<(), RenderError> {
        let frame = &self.frames[slot.index()];
        let (width, height) = frame.size;
        let row_bytes = width as usize * 4;
        let count = rows.len() / row_bytes;
        let fits = u32::try_from(count)
            .ok()
            .and_then(|count| first_row.checked_add(count))
            .is_some_and(|end| end <= height);
        if rows.is_empty() || !rows.len().is_multiple_of(row_bytes) || !fits {
            return Err(RenderError::BadRows {
                first_row,
                len: rows.len(),
                row_bytes,
                width,
                height,
            });
        }
        // `count` fits in u32: it was checked together with `first_row` above.
        let count = count as u32;
        queue.write_texture(
            wgpu::TexelCopyTextureInfo {
                texture: &frame.texture,
                mip_level: 0,
                origin: wgpu::Origin3d {
                    x: 0,
                    y: first_row,
                    z: 0,
                },
                aspect: wgpu::TextureAspect::All,
            },
            rows,
            wgpu::TexelCopyBufferLayout {
                offset: 0,
                // Unlike buffer-to-texture copies, `write_texture` accepts tightly packed rows,
                // so the caller's slice is used as is.
                bytes_per_row: Some(width * 4),
                rows_per_image: Some(count),
            },
            wgpu::Extent3d {
                width,
                height: count,
                depth_or_array_layers: 1,
            },
        );
        tracing::trace!(?slot, first_row, count, "rows uploaded");
        Ok(())
    }

    /// Makes the next frame the current one once a transition has finished, without copying
    /// pixels; the old current texture becomes the next slot, ready to be overwritten. Views are
    /// the host's state: it moves `FrameState::views[1]` to `views[0]` in its next update.
    pub fn promote_next(&mut self) {
        self.frames.swap(0, 1);
        self.rebuild_bind_group();
    }

    /// Sets the transition, progress, seed, options and views used by the following
    /// [`Renderer::render`] calls. Out-of-range values are clamped (see [`FrameState`]).
    pub fn update(&mut self, state: &FrameState) {
        self.state = if self.is_minimal() {
            // Drawn as a crossfade, with crossfade's (default) parameters.
            FrameState {
                transition: TransitionId::CROSSFADE,
                params: TransitionId::CROSSFADE.default_params(),
                ..*state
            }
            .sanitized()
        } else {
            state.sanitized()
        };
        self.write_uniforms();
    }

    /// Sets the audio bars the following [`Renderer::render`] calls draw over the photo.
    ///
    /// `levels[i]` and `ghosts[i]` are bar `i`'s height and peak-cap height in `0..=1` of the
    /// band (clamped; NaN counts as 0), left to right. `fade` in `0..=1` multiplies both
    /// opacities: at 0, or with no bars, nothing is drawn and frames are byte-identical to the
    /// photo alone. Slices of different lengths or longer than [`MAX_BARS`](crate::MAX_BARS)
    /// are refused with [`RenderError::BadBars`] and the previous bars stay. Only the parts of
    /// the uniform buffer that changed are uploaded.
    pub fn set_visualizer(
        &mut self,
        style: &BarsStyle,
        levels: &[f32],
        ghosts: &[f32],
        fade: f32,
    ) -> Result<(), RenderError> {
        let bars = Bars::new(style, levels, ghosts, fade)?;
        if let Some(visualizer) = &mut self.visualizer {
            visualizer.set(&self.queue, bars);
        }
        Ok(())
    }

    /// Records the draw of the current state into `encoder`, covering all of `view`.
    ///
    /// `view` must have the format given to [`Renderer::new`] and should have the size last given
    /// to [`Renderer::resize`].
    pub fn render(&self, encoder: &mut wgpu::CommandEncoder, view: &wgpu::TextureView) {
        let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
            label: Some("idlewild transition"),
            color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                view,
                depth_slice: None,
                resolve_target: None,
                ops: wgpu::Operations {
                    load: wgpu::LoadOp::Clear(wgpu::Color::BLACK),
                    store: wgpu::StoreOp::Store,
                },
            })],
            ..Default::default()
        });
        // A minimal renderer has the crossfade pipeline only (and `update` gave it crossfade's
        // parameters).
        let pipeline = self
            .pipelines
            .get(self.state.transition.index())
            .filter(|_| !self.is_minimal())
            .unwrap_or(&self.pipelines[0]);
        pass.set_pipeline(pipeline);
        pass.set_bind_group(0, &self.bind_group, &[]);
        // The vertex shader makes one viewport-covering triangle from the vertex index alone.
        pass.draw(0..3, 0..1);
        if let Some(visualizer) = &self.visualizer {
            visualizer.draw(&mut pass);
        }
    }

    fn write_uniforms(&self) {
        let uniforms = Uniforms::new(&self.state, self.size);
        self.queue
            .write_buffer(&self.uniforms, 0, bytemuck::bytes_of(&uniforms));
    }

    fn rebuild_bind_group(&mut self) {
        self.bind_group = bind_group(
            &self.device,
            &self.layout,
            &self.frames,
            &self.sampler,
            &self.uniforms,
        );
    }
}

/// A zero-sized target cannot be rendered to and would divide by zero in the shaders.
fn clamp_size((width, height): (u32, u32)) -> (u32, u32) {
    (width.max(1), height.max(1))
}

fn bind_group_layout(device: &wgpu::Device) -> wgpu::BindGroupLayout {
    let texture = |binding| wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::FRAGMENT,
        ty: wgpu::BindingType::Texture {
            sample_type: wgpu::TextureSampleType::Float { filterable: true },
            view_dimension: wgpu::TextureViewDimension::D2,
            multisampled: false,
        },
        count: None,
    };
    device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some("idlewild transition bindings"),
        entries: &[
            texture(0),
            texture(1),
            wgpu::BindGroupLayoutEntry {
                binding: 2,
                visibility: wgpu::ShaderStages::FRAGMENT,
                ty: wgpu::BindingType::Sampler(wgpu::SamplerBindingType::Filtering),
                count: None,
            },
            wgpu::BindGroupLayoutEntry {
                binding: 3,
                visibility: wgpu::ShaderStages::FRAGMENT,
                ty: wgpu::BindingType::Buffer {
                    ty: wgpu::BufferBindingType::Uniform,
                    has_dynamic_offset: false,
                    min_binding_size: NonZeroU64::new(std::mem::size_of::<Uniforms>() as u64),
                },
                count: None,
            },
        ],
    })
}

fn bind_group(
    device: &wgpu::Device,
    layout: &wgpu::BindGroupLayout,
    frames: &[FrameTexture; 2],
    sampler: &wgpu::Sampler,
    uniforms: &wgpu::Buffer,
) -> wgpu::BindGroup {
    device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some("idlewild transition bindings"),
        layout,
        entries: &[
            wgpu::BindGroupEntry {
                binding: 0,
                resource: wgpu::BindingResource::TextureView(&frames[0].view),
            },
            wgpu::BindGroupEntry {
                binding: 1,
                resource: wgpu::BindingResource::TextureView(&frames[1].view),
            },
            wgpu::BindGroupEntry {
                binding: 2,
                resource: wgpu::BindingResource::Sampler(sampler),
            },
            wgpu::BindGroupEntry {
                binding: 3,
                resource: uniforms.as_entire_binding(),
            },
        ],
    })
}

/// Compiles one transition's shader and pipeline, turning validation errors into a
/// [`RenderError`] instead of wgpu's default panic.
fn build_pipeline(
    device: &wgpu::Device,
    layout: &wgpu::PipelineLayout,
    format: wgpu::TextureFormat,
    id: TransitionId,
) -> Result<wgpu::RenderPipeline, RenderError> {
    let desc = id.desc();
    // The shader's output is the final pixel; blending with the cleared target would only cost
    // time.
    compile_pipeline(device, layout, format, desc.key, (PRELUDE, desc.wgsl), None).map_err(
        |message| RenderError::Pipeline {
            transition: desc.key,
            message,
        },
    )
}

fn frame_texture(
    device: &wgpu::Device,
    format: wgpu::TextureFormat,
    (width, height): (u32, u32),
    slot: Slot,
) -> FrameTexture {
    let texture = device.create_texture(&wgpu::TextureDescriptor {
        label: Some(match slot {
            Slot::Current => "idlewild current frame",
            Slot::Next => "idlewild next frame",
        }),
        size: wgpu::Extent3d {
            width,
            height,
            depth_or_array_layers: 1,
        },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format,
        usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
        view_formats: &[],
    });
    let view = texture.create_view(&wgpu::TextureViewDescriptor::default());
    FrameTexture {
        view,
        texture,
        size: (width, height),
    }
}
