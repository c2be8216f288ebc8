// Crossfade: the old frame fades into the new one, pixel by pixel.
// (Appended to common.wgsl, which declares `frame` and the `fetch_*` helpers.)

// Called by the prelude's `fs_main` for 0 < progress < 1 only, which returns the exact frames
// at the end points (`mix` at 0 or 1 could leave a rounding residue of the other image).
fn blend(pixel: vec2<f32>) -> vec4<f32> {
    return mix(fetch_current(pixel), fetch_next(pixel), frame.progress);
}
