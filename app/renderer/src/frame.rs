//! What the host sets per drawn frame ([`FrameState`], with each image's Ken Burns
//! [`ImageView`]) and how it becomes the uniform block every shader declares as `Frame`
//! (`shaders/common.wgsl`). Pure: sanitising happens here, so shaders can trust their inputs.

use crate::registry::{MAX_OPTIONS, TransitionId};

/// Which part of an image is shown: the image zoomed by `zoom` around `center`.
///
/// The identity view (the default) shows the whole image, and a display-sized image then comes
/// through byte for byte. A zoomed view is resampled with linear filtering. Views are clamped
/// before use (see [`ImageView::clamped`]), so no view ever shows anything outside the image.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImageView {
    /// Magnification, 1 (the whole image) to [`ImageView::MAX_ZOOM`].
    pub zoom: f32,
    /// Centre of the visible rectangle in `0..=1` of the image's width and height.
    pub center: [f32; 2],
}

impl ImageView {
    /// The whole image.
    pub const IDENTITY: ImageView = ImageView {
        zoom: 1.0,
        center: [0.5, 0.5],
    };

    /// The largest magnification the renderer accepts; beyond it a 4K photo would show a few
    /// dozen pixels per side and be nothing but blur.
    pub const MAX_ZOOM: f32 = 8.0;

    /// This view made safe to draw: `zoom` in `1..=MAX_ZOOM` (NaN counts as 1) and the centre
    /// moved just far enough that the visible rectangle, `1 / zoom` of each side, stays inside
    /// the image. A zoom of 1 therefore always gives exactly [`ImageView::IDENTITY`].
    pub fn clamped(self) -> ImageView {
        let zoom = if self.zoom.is_nan() {
            1.0
        } else {
            self.zoom.clamp(1.0, Self::MAX_ZOOM)
        };
        let half = 0.5 / zoom;
        let center = self.center.map(|c| {
            let c = if c.is_nan() { 0.5 } else { c };
            c.clamp(half, 1.0 - half)
        });
        ImageView { zoom, center }
    }

    /// The visible rectangle as `[left, top, right, bottom]` in `0..=1` of the image.
    pub fn rect(self) -> [f32; 4] {
        let half = 0.5 / self.zoom;
        [
            self.center[0] - half,
            self.center[1] - half,
            self.center[0] + half,
            self.center[1] + half,
        ]
    }
}

impl Default for ImageView {
    fn default() -> Self {
        ImageView::IDENTITY
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
    /// The transition's option values in the order of its option table, unused entries 0 (see
    /// [`crate::TransitionDesc::default_params`] and [`crate::TransitionDesc::params_from`]).
    /// The renderer clamps each to its option's range.
    pub params: [f32; MAX_OPTIONS],
    /// The Ken Burns view of each frame, indexed like the slots (`[current, next]`). After
    /// `Renderer::promote_next` the host moves the next view to the current one itself.
    pub views: [ImageView; 2],
}

impl FrameState {
    /// `transition` at progress 0 with seed 0, its default options and identity views.
    pub fn new(transition: TransitionId) -> FrameState {
        FrameState {
            transition,
            progress: 0.0,
            seed: 0,
            params: transition.default_params(),
            views: [ImageView::IDENTITY; 2],
        }
    }

    /// This state made safe to draw: progress clamped (NaN is 0), options clamped to their
    /// ranges, views clamped to their images.
    pub(crate) fn sanitized(&self) -> FrameState {
        let progress = if self.progress.is_nan() {
            0.0
        } else {
            self.progress.clamp(0.0, 1.0)
        };
        FrameState {
            progress,
            params: self.transition.desc().clamp_params(self.params),
            views: self.views.map(ImageView::clamped),
            ..*self
        }
    }
}

impl Default for FrameState {
    /// Crossfade at progress 0 (see [`FrameState::new`]).
    fn default() -> Self {
        FrameState::new(TransitionId::default())
    }
}

/// The uniform block every transition shader declares as `Frame` (`shaders/common.wgsl`).
///
/// WGSL aligns a `vec4<f32>` to 16 bytes: the first four scalars fill exactly 16 bytes, so every
/// vector starts on a 16-byte boundary and `repr(C)` needs no padding (checked below).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub(crate) struct Uniforms {
    progress: f32,
    seed: u32,
    target_size: [f32; 2],
    params: [f32; 4],
    current_view: [f32; 4],
    next_view: [f32; 4],
}

const _: () = {
    assert!(std::mem::offset_of!(Uniforms, params) == 16);
    assert!(std::mem::offset_of!(Uniforms, current_view) == 32);
    assert!(std::mem::offset_of!(Uniforms, next_view) == 48);
    assert!(std::mem::size_of::<Uniforms>() == 64);
};

impl Uniforms {
    /// The block for an already [sanitized](FrameState::sanitized) `state` on a target of `size`.
    pub(crate) fn new(state: &FrameState, (width, height): (u32, u32)) -> Uniforms {
        let view = |v: ImageView| [v.zoom, v.center[0], v.center[1], 0.0];
        Uniforms {
            progress: state.progress,
            seed: state.seed,
            target_size: [width as f32, height as f32],
            params: state.params,
            current_view: view(state.views[0]),
            next_view: view(state.views[1]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamped_views_stay_inside_the_image() {
        let cases = [
            (ImageView::IDENTITY, ImageView::IDENTITY),
            (
                ImageView {
                    zoom: 1.0,
                    center: [0.0, 1.0],
                },
                ImageView::IDENTITY,
            ),
            (
                ImageView {
                    zoom: f32::NAN,
                    center: [f32::NAN, 0.2],
                },
                ImageView::IDENTITY,
            ),
            (
                ImageView {
                    zoom: 0.25,
                    center: [0.9, 0.1],
                },
                ImageView::IDENTITY,
            ),
            (
                ImageView {
                    zoom: 2.0,
                    center: [0.0, 0.6],
                },
                ImageView {
                    zoom: 2.0,
                    center: [0.25, 0.6],
                },
            ),
            (
                ImageView {
                    zoom: 100.0,
                    center: [1.0, 0.5],
                },
                ImageView {
                    zoom: ImageView::MAX_ZOOM,
                    center: [1.0 - 0.5 / ImageView::MAX_ZOOM, 0.5],
                },
            ),
        ];
        for (input, expected) in cases {
            let got = input.clamped();
            assert_eq!(got, expected, "{input:?}");
            let [l, t, r, b] = got.rect();
            assert!(0.0 <= l && l < r && r <= 1.0 && 0.0 <= t && t < b && b <= 1.0);
        }
    }

    #[test]
    fn sanitized_clamps_progress_params_and_views() {
        let diffuse = TransitionId::from_key("diffuse").expect("registered");
        let state = FrameState {
            progress: f32::NAN,
            params: [1.0, 9.0, 9.0, 9.0],
            views: [ImageView {
                zoom: 0.0,
                center: [0.0, 0.0],
            }; 2],
            ..FrameState::new(diffuse)
        }
        .sanitized();
        assert_eq!(state.progress, 0.0);
        assert_eq!(state.params, [4.0, 0.0, 0.0, 0.0]);
        assert_eq!(state.views, [ImageView::IDENTITY; 2]);
        let over = FrameState {
            progress: 7.0,
            ..FrameState::default()
        };
        assert_eq!(over.sanitized().progress, 1.0);
    }

    #[test]
    fn uniforms_carry_the_state_in_shader_order() {
        let state = FrameState {
            progress: 0.5,
            seed: 9,
            params: [1.0, 2.0, 3.0, 4.0],
            views: [
                ImageView::IDENTITY,
                ImageView {
                    zoom: 2.0,
                    center: [0.3, 0.7],
                },
            ],
            ..FrameState::default()
        };
        let u = Uniforms::new(&state, (640, 480));
        let floats: &[f32] = bytemuck::cast_slice(bytemuck::bytes_of(&u));
        assert_eq!(floats[0], 0.5);
        assert_eq!(floats[1].to_bits(), 9);
        assert_eq!(
            floats[2..],
            [
                640.0, 480.0, 1.0, 2.0, 3.0, 4.0, 1.0, 0.5, 0.5, 0.0, 2.0, 0.3, 0.7, 0.0
            ]
        );
    }
}
