//! The GPU side of the shell: one wgpu instance, surfaces for windows (ours or a foreign X
//! window), the adapter chosen against the first surface, and the device the renderers share.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use winit::window::Window;

/// What a surface is made from.
#[derive(Clone, Debug)]
pub enum Target {
    /// A window the shell created.
    Window(Arc<Window>),
    /// An X window this process does not own (`--window-id`, `XSCREENSAVER_WINDOW`).
    XWindow(u64),
    /// No window: frames are drawn into a texture and dropped (benchmarks, headless runs).
    Offscreen,
}

/// Why the GPU could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum GpuError {
    /// A surface could not be made for a window.
    #[error(
        "cannot draw into the window: no graphics adapter or driver can make a surface for it \
         (install mesa-vulkan-drivers for a software renderer): {0}"
    )]
    Surface(#[from] wgpu::CreateSurfaceError),
    /// No adapter can present to the surfaces.
    #[error("no graphics adapter can draw into the window: {0}")]
    NoAdapter(String),
    /// The adapter refused a device.
    #[error("the graphics adapter refused a device: {0}")]
    Device(#[from] wgpu::RequestDeviceError),
    /// This platform cannot draw into foreign windows.
    #[error("drawing into an existing window by id is only supported on X11")]
    Unsupported,
}

/// The device and what the render loop watches on it.
pub struct Gpu {
    /// The adapter.
    pub adapter: wgpu::Adapter,
    /// The device.
    pub device: wgpu::Device,
    /// Its queue.
    pub queue: wgpu::Queue,
    /// Set by wgpu when the device is lost (not when it is dropped).
    pub lost: Arc<AtomicBool>,
    /// Validation and other uncaptured errors so far.
    pub errors: Arc<AtomicU64>,
}

/// Makes the instance. `display` is the event loop's display connection (GL needs it).
pub fn instance(display: Box<dyn wgpu::wgt::WgpuHasDisplayHandle>) -> wgpu::Instance {
    wgpu::Instance::new(wgpu::InstanceDescriptor::new_with_display_handle_from_env(
        display,
    ))
}

/// A surface for `target` (`None` for [`Target::Offscreen`]).
pub fn surface(
    instance: &wgpu::Instance,
    target: &Target,
) -> Result<Option<wgpu::Surface<'static>>, GpuError> {
    match target {
        Target::Window(window) => Ok(Some(instance.create_surface(Arc::clone(window))?)),
        Target::XWindow(id) => foreign_surface(instance, *id).map(Some),
        Target::Offscreen => Ok(None),
    }
}

#[cfg(target_os = "linux")]
fn foreign_surface(instance: &wgpu::Instance, id: u64) -> Result<wgpu::Surface<'static>, GpuError> {
    use raw_window_handle::{RawWindowHandle, XlibWindowHandle};
    let window = RawWindowHandle::Xlib(XlibWindowHandle::new(id as std::ffi::c_ulong));
    // SAFETY: the window belongs to the X server, not to us; it lives as long as the process
    // that asked us to draw into it wants the drawing (xscreensaver destroys it only after
    // killing us, and the shell exits when it disappears). The display connection is the
    // instance's own (`raw_display_handle: None` means "the instance's display").
    let surface = unsafe {
        instance.create_surface_unsafe(wgpu::SurfaceTargetUnsafe::RawHandle {
            raw_display_handle: None,
            raw_window_handle: window,
        })
    }?;
    Ok(surface)
}

#[cfg(not(target_os = "linux"))]
fn foreign_surface(
    _instance: &wgpu::Instance,
    _id: u64,
) -> Result<wgpu::Surface<'static>, GpuError> {
    Err(GpuError::Unsupported)
}

/// Picks the best adapter that can present to `surface`, if any (a discrete GPU over an
/// integrated one over a software rasteriser) and opens a device on it.
pub fn open(
    instance: &wgpu::Instance,
    surface: Option<&wgpu::Surface<'_>>,
) -> Result<Gpu, GpuError> {
    let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
        power_preference: wgpu::PowerPreference::HighPerformance,
        compatible_surface: surface,
        force_fallback_adapter: false,
        ..Default::default()
    }))
    .map_err(|e| GpuError::NoAdapter(e.to_string()))?;
    let info = adapter.get_info();
    tracing::info!(
        "graphics: {} ({:?}, {:?}), driver {} {}",
        info.name,
        info.backend,
        info.device_type,
        info.driver,
        info.driver_info
    );
    // The most every backend guarantees, with texture sizes raised to the adapter's, so 4K
    // (and 8K) frames fit.
    let required_limits =
        wgpu::Limits::downlevel_webgl2_defaults().using_resolution(adapter.limits());
    let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
        label: Some("idlewild device"),
        required_limits,
        ..Default::default()
    }))?;
    let lost = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&lost);
    device.set_device_lost_callback(move |reason, message| {
        if reason != wgpu::DeviceLostReason::Destroyed {
            tracing::warn!("the graphics device was lost ({reason:?}): {message}");
            flag.store(true, Ordering::Release);
        }
    });
    let errors = Arc::new(AtomicU64::new(0));
    let count = Arc::clone(&errors);
    // wgpu's default handler panics; a screensaver logs and keeps the screen up.
    device.on_uncaptured_error(Arc::new(move |error: wgpu::Error| {
        if count.fetch_add(1, Ordering::Relaxed) < 10 {
            tracing::error!("graphics error: {error}");
        }
    }));
    Ok(Gpu {
        adapter,
        device,
        queue,
        lost,
        errors,
    })
}

/// The configuration of an offscreen target of `size` (the fields a surface would have).
pub fn offscreen_configuration(size: (u32, u32)) -> wgpu::SurfaceConfiguration {
    wgpu::SurfaceConfiguration {
        usage: wgpu::TextureUsages::RENDER_ATTACHMENT,
        format: wgpu::TextureFormat::Rgba8UnormSrgb,
        color_space: wgpu::SurfaceColorSpace::Auto,
        width: size.0.max(1),
        height: size.1.max(1),
        present_mode: wgpu::PresentMode::Fifo,
        desired_maximum_frame_latency: 2,
        alpha_mode: wgpu::CompositeAlphaMode::Opaque,
        view_formats: vec![],
    }
}

/// The surface configuration for `size`: an sRGB format when there is one (blends happen in
/// linear light), opaque, and FIFO (vsync; the render loop also paces itself, since some
/// servers, Xvfb among them, do not throttle FIFO).
pub fn configuration(
    surface: &wgpu::Surface<'_>,
    adapter: &wgpu::Adapter,
    size: (u32, u32),
) -> Option<wgpu::SurfaceConfiguration> {
    let caps = surface.get_capabilities(adapter);
    let mut config = surface.get_default_config(adapter, size.0.max(1), size.1.max(1))?;
    if let Some(srgb) = caps.formats.iter().copied().find(|f| f.is_srgb()) {
        config.format = srgb;
    }
    if caps.alpha_modes.contains(&wgpu::CompositeAlphaMode::Opaque) {
        config.alpha_mode = wgpu::CompositeAlphaMode::Opaque;
    }
    // FIFO is the one mode every surface supports (GL offers nothing else).
    config.present_mode = wgpu::PresentMode::Fifo;
    Some(config)
}
