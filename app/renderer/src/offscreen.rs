//! Offscreen helpers for tests, previews and thumbnails: a surface-less device, and rendering a
//! frame into plain bytes.
//!
//! These block on wgpu's futures with `pollster`, which is fine off the frame loop; the
//! windowed host creates its own device against its surface instead.

use std::sync::mpsc;

use crate::{RenderError, Renderer};

/// Creates a device with no surface: the best adapter wgpu offers (high-performance preference),
/// or failing that any adapter at all, software rasterisers included.
///
/// Honours wgpu's environment variables (`WGPU_BACKEND`, `WGPU_ADAPTER_NAME`, ...), so a test run
/// can be pinned to one backend. On a machine without a GPU this is normally Vulkan lavapipe
/// ("llvmpipe", device type `Cpu`), or GL llvmpipe when no Vulkan driver is installed.
pub fn device() -> Result<(wgpu::Device, wgpu::Queue, wgpu::AdapterInfo), RenderError> {
    let instance =
        wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
    let preferred = wgpu::RequestAdapterOptions {
        power_preference: wgpu::PowerPreference::HighPerformance,
        ..Default::default()
    };
    let adapter = match pollster::block_on(instance.request_adapter(&preferred)) {
        Ok(adapter) => adapter,
        Err(error) => {
            // `request_adapter` can refuse where an adapter still exists (for instance one that
            // does not meet the default downlevel flags); any working adapter beats none.
            tracing::warn!(%error, "no preferred adapter; trying every adapter");
            pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()))
                .into_iter()
                .next()
                .ok_or_else(|| RenderError::NoAdapter(error.to_string()))?
        }
    };
    let info = adapter.get_info();
    // WebGL2-level limits are the most any backend guarantees, GL fallbacks included; the texture
    // size limits are raised to what the adapter really supports, so 4K frames still fit.
    let required_limits =
        wgpu::Limits::downlevel_webgl2_defaults().using_resolution(adapter.limits());
    let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
        label: Some("idlewild offscreen device"),
        required_limits,
        ..Default::default()
    }))
    .map_err(|error| RenderError::Device(error.to_string()))?;
    tracing::debug!(name = %info.name, backend = ?info.backend, "offscreen device created");
    Ok((device, queue, info))
}

/// Renders `renderer`'s current state at `size` and returns the pixels as tightly packed rows.
///
/// The renderer is resized to `size` first, so the frame matches the target. The bytes are in
/// the renderer's target format (RGBA for `Rgba8Unorm`/`Rgba8UnormSrgb`); formats that are not
/// four bytes per pixel are refused.
pub fn render_to_rgba(
    renderer: &mut Renderer,
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    size: (u32, u32),
) -> Result<Vec<u8>, RenderError> {
    let format = renderer.format();
    if format.block_copy_size(None) != Some(4) {
        return Err(RenderError::UnsupportedFormat(format));
    }
    renderer.resize(size);
    let (width, height) = renderer.size();
    let extent = wgpu::Extent3d {
        width,
        height,
        depth_or_array_layers: 1,
    };
    let target = device.create_texture(&wgpu::TextureDescriptor {
        label: Some("idlewild offscreen target"),
        size: extent,
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format,
        usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
        view_formats: &[],
    });
    let view = target.create_view(&wgpu::TextureViewDescriptor::default());

    // Texture-to-buffer copies need every row to start on a 256-byte boundary; the padding is
    // stripped again below.
    let row_bytes = width * 4;
    let padded_row_bytes = row_bytes.next_multiple_of(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT);
    let readback = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("idlewild offscreen readback"),
        size: u64::from(padded_row_bytes) * u64::from(height),
        usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
        mapped_at_creation: false,
    });

    let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
        label: Some("idlewild offscreen frame"),
    });
    renderer.render(&mut encoder, &view);
    encoder.copy_texture_to_buffer(
        target.as_image_copy(),
        wgpu::TexelCopyBufferInfo {
            buffer: &readback,
            layout: wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(padded_row_bytes),
                rows_per_image: Some(height),
            },
        },
        extent,
    );
    queue.submit([encoder.finish()]);

    let (sender, receiver) = mpsc::channel();
    readback.map_async(wgpu::MapMode::Read, .., move |result| {
        // The receiver only goes away if this function already returned with an error.
        let _ = sender.send(result);
    });
    device
        .poll(wgpu::PollType::wait_indefinitely())
        .map_err(|error| RenderError::Readback(error.to_string()))?;
    receiver
        .recv()
        .map_err(|_| RenderError::Readback("map callback never ran".into()))?
        .map_err(|error| RenderError::Readback(error.to_string()))?;

    let mut pixels = Vec::with_capacity(row_bytes as usize * height as usize);
    {
        let mapped = readback
            .get_mapped_range(..)
            .map_err(|error| RenderError::Readback(error.to_string()))?;
        for row in mapped.chunks_exact(padded_row_bytes as usize) {
            pixels.extend_from_slice(&row[..row_bytes as usize]);
        }
    }
    readback.unmap();
    Ok(pixels)
}
