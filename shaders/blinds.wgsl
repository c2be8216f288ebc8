// Blinds: the picture is cut into slats that turn like a venetian blind. Each slat of the old
// frame narrows towards its middle line as it turns edge-on, and the new frame shows in the
// widening gaps between them.
// (Appended to common.wgsl, which declares `frame` and the `fetch_*` helpers.)
//
// params.x: number of slats (2..64).
// params.y: orientation (0 horizontal slats stacked top to bottom, 1 vertical slats side by side).

// Called by the prelude's `fs_main` for 0 < progress < 1 only.
fn blend(pixel: vec2<f32>) -> vec4<f32> {
    let count = max(round(frame.params.x), 1.0);
    let vertical = frame.params.y >= 0.5;
    // Position across the slats, and the length the slats share.
    let across = select(pixel.y, pixel.x, vertical);
    let extent = select(frame.target_size.y, frame.target_size.x, vertical);
    let slat = extent / count;
    let local = across - floor(across / slat) * slat;
    // Distance from the slat's middle line, against the half width of what is left of the old
    // slat; the difference (plus half a pixel) is how much of this pixel the gap covers, which
    // anti-aliases the slat edges.
    let from_middle = abs(local - 0.5 * slat);
    let half_old = 0.5 * slat * (1.0 - frame.progress);
    let t = clamp(from_middle - half_old + 0.5, 0.0, 1.0);
    if t <= 0.0 {
        return fetch_current(pixel);
    }
    if t >= 1.0 {
        return fetch_next(pixel);
    }
    return mix(fetch_current(pixel), fetch_next(pixel), t);
}
