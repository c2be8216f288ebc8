//! Fallback group C against the GPU: the CPU compositor's crossfade must look like the GPU
//! renderer's (on lavapipe here) on both an sRGB target (blend in linear light) and a plain one,
//! so a machine that falls back to the CPU shows the same show, only without the other effects.

mod common;

use common::*;
use idlewild_renderer::{CpuCompositor, FrameState, Slot, TextureFormat, TransitionId};

/// Drivers round the GPU blend either way; the CPU encodes through a table within one step.
const TOLERANCE: u8 = 2;

fn cpu(linear: bool) -> CpuCompositor {
    let mut c = CpuCompositor::new((W, H), linear);
    c.set_image(Slot::Current, &old_image(), W, H)
        .expect("old image");
    c.set_image(Slot::Next, &new_image(), W, H)
        .expect("new image");
    c
}

#[test]
fn the_cpu_crossfade_matches_the_gpu_crossfade() {
    let Some(gpu) = gpu() else { return };
    for (format, linear) in [
        (TextureFormat::Rgba8UnormSrgb, true),
        (TextureFormat::Rgba8Unorm, false),
    ] {
        let mut renderer = loaded_renderer(gpu, format);
        let mut c = cpu(linear);
        for progress in [0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0] {
            let state = FrameState {
                progress,
                ..FrameState::new(TransitionId::CROSSFADE)
            };
            let on_gpu = render(gpu, &mut renderer, &state);
            c.update(&state);
            let on_cpu = c.render_rgba();
            let (diff, at) = max_diff(&on_gpu, &on_cpu);
            assert!(
                diff <= TOLERANCE,
                "{format:?} at {progress}: differs by {diff} at {at:?}"
            );
            if progress == 0.0 || progress == 1.0 {
                assert_eq!(diff, 0, "{format:?}: the ends are exact on both");
            }
        }
    }
}
