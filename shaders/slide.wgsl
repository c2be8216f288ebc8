// Slide: the new frame slides in and pushes the old one out of the opposite edge.
// (Appended to common.wgsl, which declares `frame` and the `fetch_*` helpers.)
//
// params.x: direction the pictures move (0 left, 1 right, 2 up, 3 down, 4 picked from the seed).

// Called by the prelude's `fs_main` for 0 < progress < 1 only.
fn blend(pixel: vec2<f32>) -> vec4<f32> {
    var motion: vec2<f32>;
    switch choice_or_seeded(frame.params.x, 4u) {
        case 0u: {
            motion = vec2<f32>(-1.0, 0.0);
        }
        case 1u: {
            motion = vec2<f32>(1.0, 0.0);
        }
        case 2u: {
            motion = vec2<f32>(0.0, -1.0);
        }
        default: {
            motion = vec2<f32>(0.0, 1.0);
        }
    }
    // Whole pixels, so a display-sized frame moves as exact texels (no blur while sliding) and
    // both frames move together without a seam between them.
    let shift = round(frame.progress * frame.target_size) * motion;
    // Where this pixel was in the old frame before it moved; the new frame follows one target
    // size behind it.
    let old_pos = pixel - shift;
    if all(old_pos >= vec2<f32>(0.0)) && all(old_pos < frame.target_size) {
        return fetch_current(old_pos);
    }
    return fetch_next(old_pos + motion * frame.target_size);
}
