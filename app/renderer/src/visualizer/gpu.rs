//! The visualizer on the GPU: one pipeline per mode, one uniform buffer that is written only
//! where its contents changed, and one instanced draw after the photo in the renderer's pass.
//!
//! Per frame that is at most three small `write_buffer`s (in practice only the 768 bytes of
//! levels, which move every frame) and one draw of `6 × 3n` vertices; nothing at all when the
//! bars are faded out or empty.

use std::num::NonZeroU64;
use std::ops::Range;

use super::geometry::Band;
use super::{Bars, MAX_BARS, VISUALIZER_MODES, VisualizerMode};
use crate::RenderError;
use crate::pipeline::compile_pipeline;

/// The prelude every mode's WGSL is appended to.
const PRELUDE: &str = include_str!("../../../../shaders/visualizer.wgsl");

/// `shape.w` bits; the same constants are declared in `visualizer.wgsl`.
const FLAG_SRGB: u32 = 1;
const FLAG_TOP: u32 = 2;

/// The uniform block `visualizer.wgsl` declares as `Visualizer`. Every member is a whole number
/// of 16-byte vectors, so `repr(C)` matches WGSL's uniform layout without padding.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub(crate) struct Uniforms {
    band: [u32; 4],
    shape: [u32; 4],
    alpha: [f32; 4],
    ghost_colour: [f32; 4],
    levels: [[u32; 4]; MAX_BARS / 4],
    ghosts: [[u32; 4]; MAX_BARS / 4],
    colours: [[[f32; 4]; 2]; MAX_BARS],
}

/// The parts of [`Uniforms`] that change at different rates, uploaded separately: the style
/// header, the levels (every frame while music plays) and the colours (only with the palette
/// or the bar count).
const PARTS: [Range<usize>; 3] = [0..64, 64..832, 832..std::mem::size_of::<Uniforms>()];

const _: () = {
    assert!(std::mem::offset_of!(Uniforms, levels) == PARTS[1].start);
    assert!(std::mem::offset_of!(Uniforms, colours) == PARTS[2].start);
    assert!(std::mem::size_of::<Uniforms>() == 3904);
};

impl Uniforms {
    /// The block for `bars` on a target of `size` whose format is sRGB or not.
    pub(crate) fn new(bars: &Bars, size: (u32, u32), srgb: bool) -> Uniforms {
        let band = Band::new(&bars.style, size);
        let palette = bars.style.palette.palette();
        let flags = if srgb { FLAG_SRGB } else { 0 } | if band.flipped { FLAG_TOP } else { 0 };
        let ghost = palette.ghost_colour();
        let mut u = Uniforms {
            band: [band.x0, band.y0, band.width, band.height],
            shape: [bars.count as u32, band.gap, band.cap, flags],
            alpha: [
                bars.bar_alpha(),
                bars.cap_alpha(),
                size.0.max(1) as f32,
                size.1.max(1) as f32,
            ],
            ghost_colour: [ghost[0], ghost[1], ghost[2], 1.0],
            ..bytemuck::Zeroable::zeroed()
        };
        for i in 0..bars.count {
            u.levels[i / 4][i % 4] = u32::from(bars.levels[i]);
            u.ghosts[i / 4][i % 4] = u32::from(bars.ghosts[i]);
            u.colours[i] = palette
                .bar_colours(i, bars.count)
                .map(|[r, g, b]| [r, g, b, 1.0]);
        }
        u
    }
}

/// The renderer's visualizer state. See the module documentation.
#[derive(Debug)]
pub(crate) struct VisualizerGpu {
    /// One per row of [`VISUALIZER_MODES`], in the same order.
    pipelines: Vec<wgpu::RenderPipeline>,
    buffer: wgpu::Buffer,
    bind_group: wgpu::BindGroup,
    srgb: bool,
    size: (u32, u32),
    bars: Bars,
    /// What `buffer` holds, so unchanged parts are not uploaded again.
    uploaded: Box<Uniforms>,
}

impl VisualizerGpu {
    /// Builds every mode's pipeline for `format`; draws nothing until [`VisualizerGpu::set`].
    pub fn new(
        device: &wgpu::Device,
        format: wgpu::TextureFormat,
        size: (u32, u32),
    ) -> Result<VisualizerGpu, RenderError> {
        let size_bytes = std::mem::size_of::<Uniforms>() as u64;
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("idlewild visualizer bindings"),
            entries: &[wgpu::BindGroupLayoutEntry {
                binding: 0,
                visibility: wgpu::ShaderStages::VERTEX_FRAGMENT,
                ty: wgpu::BindingType::Buffer {
                    ty: wgpu::BufferBindingType::Uniform,
                    has_dynamic_offset: false,
                    min_binding_size: NonZeroU64::new(size_bytes),
                },
                count: None,
            }],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("idlewild visualizer layout"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let pipelines = VISUALIZER_MODES
            .iter()
            .map(|mode| build_pipeline(device, &pipeline_layout, format, mode))
            .collect::<Result<Vec<_>, _>>()?;
        // Zeroed at creation, which is what `uploaded` starts as.
        let buffer = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("idlewild visualizer uniforms"),
            size: size_bytes,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("idlewild visualizer bindings"),
            layout: &layout,
            entries: &[wgpu::BindGroupEntry {
                binding: 0,
                resource: buffer.as_entire_binding(),
            }],
        });
        Ok(VisualizerGpu {
            pipelines,
            buffer,
            bind_group,
            srgb: format.is_srgb(),
            size,
            bars: Bars::default(),
            uploaded: Box::new(bytemuck::Zeroable::zeroed()),
        })
    }

    /// Takes the next frame's bars, uploading what changed.
    pub fn set(&mut self, queue: &wgpu::Queue, bars: Bars) {
        if bars != self.bars {
            self.bars = bars;
            self.upload(queue);
        }
    }

    /// Records a new target size (the band is laid out in pixels of it).
    pub fn resize(&mut self, queue: &wgpu::Queue, size: (u32, u32)) {
        if size != self.size {
            self.size = size;
            self.upload(queue);
        }
    }

    fn upload(&mut self, queue: &wgpu::Queue) {
        // While nothing shows nothing is read, so the upload waits until the bars come back.
        if !self.bars.visible() {
            return;
        }
        let fresh = Uniforms::new(&self.bars, self.size, self.srgb);
        let (old, new) = (
            bytemuck::bytes_of(&*self.uploaded),
            bytemuck::bytes_of(&fresh),
        );
        for part in PARTS {
            if old[part.clone()] != new[part.clone()] {
                queue.write_buffer(&self.buffer, part.start as u64, &new[part]);
            }
        }
        *self.uploaded = fresh;
    }

    /// Records the bars into `pass`, over what it has drawn so far; no draw call at all when
    /// nothing would show.
    pub fn draw(&self, pass: &mut wgpu::RenderPass<'_>) {
        if !self.bars.visible() {
            return;
        }
        pass.set_pipeline(&self.pipelines[self.bars.style.mode.index()]);
        pass.set_bind_group(0, &self.bind_group, &[]);
        // Three quads per bar: the bar and up to two caps, the caps after the bar so they blend
        // over it. Unused caps are quads of zero height.
        pass.draw(0..6, 0..self.bars.count as u32 * 3);
    }
}

/// Compiles one mode's shader and pipeline (drawn over the photo with alpha blending),
/// turning validation errors into a [`RenderError`] instead of wgpu's default panic.
fn build_pipeline(
    device: &wgpu::Device,
    layout: &wgpu::PipelineLayout,
    format: wgpu::TextureFormat,
    mode: &VisualizerMode,
) -> Result<wgpu::RenderPipeline, RenderError> {
    let blend = wgpu::BlendState {
        color: wgpu::BlendComponent {
            src_factor: wgpu::BlendFactor::SrcAlpha,
            dst_factor: wgpu::BlendFactor::OneMinusSrcAlpha,
            operation: wgpu::BlendOperation::Add,
        },
        // The photo is opaque and stays so, whatever the bars' alpha.
        alpha: wgpu::BlendComponent {
            src_factor: wgpu::BlendFactor::Zero,
            dst_factor: wgpu::BlendFactor::One,
            operation: wgpu::BlendOperation::Add,
        },
    };
    compile_pipeline(
        device,
        layout,
        format,
        mode.id,
        (PRELUDE, mode.wgsl),
        Some(blend),
    )
    .map_err(|message| RenderError::VisualizerPipeline {
        mode: mode.id,
        message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::visualizer::{BarsStyle, PaletteId, Placement};

    #[test]
    fn uniforms_carry_band_levels_and_colours_in_shader_order() {
        let style = BarsStyle {
            placement: Placement::Top,
            palette: PaletteId::by_id("mono").expect("registered"),
            ..BarsStyle::default()
        };
        let bars = Bars::new(&style, &[0.0, 0.5, 1.0, 0.25, 1.0], &[1.0; 5], 0.5).expect("5");
        let u = Uniforms::new(&bars, (1920, 1080), true);
        assert_eq!(u.band, [192, 0, 1536, 270]);
        assert_eq!(u.shape, [5, 64, 5, FLAG_SRGB | FLAG_TOP]);
        assert_eq!(u.alpha, [0.85 * 0.5, 0.6 * 0.5, 1920.0, 1080.0]);
        assert_eq!(u.levels[0], [0, 32768, 65535, 16384]);
        assert_eq!(u.levels[1], [65535, 0, 0, 0]);
        assert_eq!(u.ghosts[1][0], 65535);
        assert_eq!(
            u.colours[4][1],
            [248.0 / 255.0, 248.0 / 255.0, 248.0 / 255.0, 1.0]
        );
        assert_eq!(u.colours[5], [[0.0; 4]; 2], "unused bars stay zero");
    }
}
