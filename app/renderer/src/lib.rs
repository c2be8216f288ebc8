//! Idlewild's headless renderer: two RGBA frames on the GPU and a transition between them, drawn
//! into whatever texture view the host hands it.
//!
//! The host probes the GPU, gives [`Renderer::new`] a device, queue, target format and size, and
//! then per frame calls [`Renderer::update`] with a [`FrameState`] and [`Renderer::render`] with
//! its own command encoder and view. Transitions are rows of [`registry::TRANSITIONS`], each with
//! one WGSL file in the workspace's `shaders/` folder, appended to the shared prelude
//! `shaders/common.wgsl`.
//!
//! [`easing`] turns a transition's linear time into its progress, and [`kenburns`] a photo's
//! time on screen into its pan-and-zoom [`ImageView`] (both pure, table-tested).
//!
//! [`visualizer`] draws the audio-spectrum bars over the photo in the same pass
//! ([`Renderer::set_visualizer`]): modes are rows of [`VISUALIZER_MODES`], each with one WGSL
//! file appended to `shaders/visualizer.wgsl`, and one integer geometry rule serves both paths.
//!
//! [`CpuCompositor`] is fallback group C: the same frames and state drawn as a crossfade on the
//! CPU (bars included), for machines without any graphics adapter.
//!
//! **Boundary:** this crate knows nothing of windows, surfaces, files or worker processes: it has
//! no winit, no file I/O (shaders are embedded at compile time) and no IPC. Pixels arrive as byte
//! slices, which later will be the shared-memory slots the image worker fills.

pub mod cpu;
pub mod easing;
pub mod error;
pub mod frame;
pub mod hash;
pub mod kenburns;
pub mod offscreen;
mod pipeline;
pub mod registry;
pub mod renderer;
pub mod visualizer;

pub use cpu::CpuCompositor;
pub use easing::Easing;
pub use error::{ParamError, RenderError};
pub use frame::{FrameState, ImageView};
pub use kenburns::KenBurns;
pub use registry::{OptionDesc, OptionKind, TransitionDesc, TransitionId};
pub use renderer::{Renderer, Slot};
pub use visualizer::{
    BarsStyle, MAX_BARS, PALETTES, Palette, PaletteId, Placement, VISUALIZER_MODES, VisualizerMode,
    VisualizerModeId,
};
/// Re-exported so hosts and tests can name the adapter description and target formats without
/// depending on wgpu themselves.
pub use wgpu::{AdapterInfo, TextureFormat};
