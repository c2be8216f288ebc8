// Wipe: a moving edge uncovers the new frame, which stays in place behind it.
// (Appended to common.wgsl, which declares `frame` and the `fetch_*` helpers.)
//
// params.x: direction the edge travels (0 left, 1 right, 2 up, 3 down, 4 diagonally from the
//           top-left corner to the bottom-right, 5 from the top-right to the bottom-left,
//           6 picked from the seed).
// params.y: softness, the width of the blend across the edge in pixels (0 = a hard edge).

// Called by the prelude's `fs_main` for 0 < progress < 1 only.
fn blend(pixel: vec2<f32>) -> vec4<f32> {
    let size = frame.target_size;
    // The diagonal edges run parallel to the target's other diagonal, so they pass through two
    // corners at once halfway through and the new area grows symmetrically.
    let normal = normalize(size.yx);
    // `d` is how far the edge has to travel to reach this pixel, `len` the whole way (in pixels).
    var d: f32;
    var len: f32;
    switch choice_or_seeded(frame.params.x, 6u) {
        case 0u: {
            d = size.x - pixel.x;
            len = size.x;
        }
        case 1u: {
            d = pixel.x;
            len = size.x;
        }
        case 2u: {
            d = size.y - pixel.y;
            len = size.y;
        }
        case 3u: {
            d = pixel.y;
            len = size.y;
        }
        case 4u: {
            d = dot(pixel, normal);
            len = dot(size, normal);
        }
        default: {
            d = dot(vec2<f32>(size.x - pixel.x, pixel.y), normal);
            len = dot(size, normal);
        }
    }
    let softness = frame.params.y;
    // The edge's centre starts half a softness before the first pixel and ends half a softness
    // past the last one, so the blend enters and leaves the screen gradually.
    let edge = frame.progress * (len + softness) - 0.5 * softness;
    var t: f32;
    if softness <= 0.0 {
        t = select(0.0, 1.0, d < edge);
    } else {
        t = smoothstep(0.0, 1.0, (edge - d) / softness + 0.5);
    }
    // Pixels fully on one side are copied, not blended, so they keep their exact bytes.
    if t <= 0.0 {
        return fetch_current(pixel);
    }
    if t >= 1.0 {
        return fetch_next(pixel);
    }
    return mix(fetch_current(pixel), fetch_next(pixel), t);
}
