//! Idlewild's headless renderer: two RGBA frames on the GPU and a transition between them, drawn
//! into whatever texture view the host hands it.
//!
//! The host probes the GPU, gives [`Renderer::new`] a device, queue, target format and size, and
//! then per frame calls [`Renderer::update`] with a [`FrameState`] and [`Renderer::render`] with
//! its own command encoder and view. Transitions are rows of [`registry::TRANSITIONS`], each with
//! one WGSL file in the workspace's `shaders/` folder.
//!
//! [`easing`] turns a transition's linear time into its progress (pure, table-tested).
//!
//! **Boundary:** this crate knows nothing of windows, surfaces, files or worker processes: it has
//! no winit, no file I/O (shaders are embedded at compile time) and no IPC. Pixels arrive as byte
//! slices, which later will be the shared-memory slots the image worker fills.

pub mod easing;
pub mod error;
pub mod offscreen;
pub mod registry;
pub mod renderer;

pub use easing::Easing;
pub use error::RenderError;
pub use registry::{OptionDesc, TransitionDesc, TransitionId};
pub use renderer::{FrameState, Renderer, Slot};
/// Re-exported so hosts and tests can name the adapter description and target formats without
/// depending on wgpu themselves.
pub use wgpu::{AdapterInfo, TextureFormat};
