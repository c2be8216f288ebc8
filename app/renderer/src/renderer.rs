//! The headless renderer: two frame textures, one pipeline per registered transition, and a
//! `new / resize / update / render` life cycle driven entirely by the host.
//!
//! **sRGB targets.** The frame textures take the sRGB-ness of the target format: on an `*Srgb`
//! target they are `Rgba8UnormSrgb` (sampling decodes to linear, the target re-encodes), on a
//! plain `*Unorm` target they are `Rgba8Unorm` (bytes pass straight through). Either way a frame
//! shown at progress 0 or 1 reproduces the caller's bytes; only the in-between blend differs, in
//! linear light on sRGB targets and in encoded values on plain ones. Tests use `Rgba8Unorm`
//! because that path is exact by construction.

use std::num::NonZeroU64;

use crate::RenderError;
use crate::registry::{TRANSITIONS, TransitionId};

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

/// Everything that changes from one drawn frame to the next.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameState {
    /// The transition to draw.
    pub transition: TransitionId,
    /// How far the transition has run: 0 shows only the current frame, 1 only the next one.
    /// Values outside `0..=1` are clamped and NaN counts as 0.
    pub progress: f32,
    /// Per-transition random seed, so transitions with randomness differ between runs but can be
    /// replayed exactly in tests.
    pub seed: u32,
}

impl Default for FrameState {
    fn default() -> Self {
        FrameState {
            transition: TransitionId::default(),
            progress: 0.0,
            seed: 0,
        }
    }
}

/// The uniform block every transition shader declares as `Frame` (see `shaders/crossfade.wgsl`).
#[repr(C)]
#[derive(Debug, Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Uniforms {
    progress: f32,
    seed: u32,
    target_size: [f32; 2],
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
        let pipelines = TransitionId::all()
            .map(|id| build_pipeline(device, &pipeline_layout, format, id))
            .collect::<Result<Vec<_>, _>>()?;
        debug_assert_eq!(pipelines.len(), TRANSITIONS.len());

        // Linear filtering only matters when a frame's size differs from the target's; at 1:1 the
        // shaders use `textureLoad` and never touch the sampler.
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
        let black = [0, 0, 0, 255];
        let frames = [Slot::Current, Slot::Next].map(|slot| {
            let frame = frame_texture(device, image_format, (1, 1), slot);
            write_frame(queue, &frame, &black);
            frame
        });
        let bind_group = bind_group(device, &layout, &frames, &sampler, &uniforms);
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
        };
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
    }

    /// Uploads an RGBA8 image into `slot`, straight from the caller's slice (one copy, no
    /// intermediate buffer on our side).
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
        let expected = (width as usize)
            .checked_mul(height as usize)
            .and_then(|px| px.checked_mul(4))
            .unwrap_or(0);
        if expected == 0 || rgba.len() != expected {
            return Err(RenderError::BadImage {
                width,
                height,
                len: rgba.len(),
                expected,
            });
        }
        let max = self.device.limits().max_texture_dimension_2d;
        if width > max || height > max {
            return Err(RenderError::ImageTooLarge { width, height, max });
        }
        let index = slot.index();
        if self.frames[index].size != (width, height) {
            self.frames[index] =
                frame_texture(&self.device, self.image_format, (width, height), slot);
            self.rebuild_bind_group();
        }
        write_frame(queue, &self.frames[index], rgba);
        tracing::trace!(?slot, width, height, "frame uploaded");
        Ok(())
    }

    /// Makes the next frame the current one once a transition has finished, without copying
    /// pixels; the old current texture becomes the next slot, ready to be overwritten.
    pub fn promote_next(&mut self) {
        self.frames.swap(0, 1);
        self.rebuild_bind_group();
    }

    /// Sets the transition, progress and seed used by the following [`Renderer::render`] calls.
    pub fn update(&mut self, state: &FrameState) {
        let progress = if state.progress.is_nan() {
            0.0
        } else {
            state.progress.clamp(0.0, 1.0)
        };
        self.state = FrameState { progress, ..*state };
        self.write_uniforms();
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
        pass.set_pipeline(&self.pipelines[self.state.transition.index()]);
        pass.set_bind_group(0, &self.bind_group, &[]);
        // The vertex shader makes one viewport-covering triangle from the vertex index alone.
        pass.draw(0..3, 0..1);
    }

    fn write_uniforms(&self) {
        let uniforms = Uniforms {
            progress: self.state.progress,
            seed: self.state.seed,
            target_size: [self.size.0 as f32, self.size.1 as f32],
        };
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
    let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(desc.key),
        source: wgpu::ShaderSource::Wgsl(desc.wgsl.into()),
    });
    let pipeline = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
        label: Some(desc.key),
        layout: Some(layout),
        vertex: wgpu::VertexState {
            module: &module,
            entry_point: Some("vs_main"),
            compilation_options: Default::default(),
            buffers: &[],
        },
        primitive: wgpu::PrimitiveState::default(),
        depth_stencil: None,
        multisample: wgpu::MultisampleState::default(),
        fragment: Some(wgpu::FragmentState {
            module: &module,
            entry_point: Some("fs_main"),
            compilation_options: Default::default(),
            targets: &[Some(wgpu::ColorTargetState {
                format,
                // The shader's output is the final pixel; blending with the cleared target
                // would only cost time.
                blend: None,
                write_mask: wgpu::ColorWrites::ALL,
            })],
        }),
        multiview_mask: None,
        cache: None,
    });
    // On native backends the scope resolves immediately; blocking here keeps `new` synchronous.
    match pollster::block_on(scope.pop()) {
        None => Ok(pipeline),
        Some(error) => Err(RenderError::Pipeline {
            transition: desc.key,
            message: error.to_string(),
        }),
    }
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

/// Queues `rgba` (already checked to be `width * height * 4` bytes) for upload into `frame`.
fn write_frame(queue: &wgpu::Queue, frame: &FrameTexture, rgba: &[u8]) {
    let (width, height) = frame.size;
    queue.write_texture(
        frame.texture.as_image_copy(),
        rgba,
        wgpu::TexelCopyBufferLayout {
            offset: 0,
            // Unlike buffer-to-texture copies, `write_texture` accepts tightly packed rows, so the
            // caller's slice is used as is.
            bytes_per_row: Some(width * 4),
            rows_per_image: Some(height),
        },
        wgpu::Extent3d {
            width,
            height,
            depth_or_array_layers: 1,
        },
    );
}
