// Diffuse: the target is cut into square blocks that switch from the old frame to the new one
// one by one, in an order drawn from the seed.
// (Appended to common.wgsl, which declares `frame` and the `fetch_*` helpers.)
//
// params.x: block side in pixels (4..256). Blocks start at the top-left corner; the ones on the
// right and bottom edges may be cut off.

// Called by the prelude's `fs_main` for 0 < progress < 1 only.
fn blend(pixel: vec2<f32>) -> vec4<f32> {
    let block = max(round(frame.params.x), 1.0);
    let cell = vec2<u32>(floor(pixel / block));
    // Each block's moment is a uniform rank in [0, 1): at progress p exactly the blocks ranked
    // below p show the new frame, so about p of them have switched and none ever switches back.
    if unit_float(hash_cell(cell)) < frame.progress {
        return fetch_next(pixel);
    }
    return fetch_current(pixel);
}
