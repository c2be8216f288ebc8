// Mirror: each bar grows up and down from the band's centre line by the same number of rows, and
// one ghost cap marks the ghost level on each side. Shaded low on the centre line to high at the
// band's top and bottom edges.
// (Appended to visualizer.wgsl; the Rust twins are `mirror_spans` and `mirror_shade` in
// app/renderer/src/visualizer/geometry.rs.)

fn mode_spans(level: u32, ghost: u32, cap_rows: u32, band_h: u32) -> Spans {
    let centre = band_h / 2u;
    let cap = min(cap_rows, centre);
    let half = scale(level, centre);
    let ghost_px = scale(ghost, centre);
    var spans: Spans;
    spans.bar = vec2<u32>(centre - half, centre + half);
    if ghost_px != 0u && cap != 0u {
        let reach = max(ghost_px, cap);
        spans.cap_a = vec2<u32>(centre - reach, centre - reach + cap);
        spans.cap_b = vec2<u32>(centre + reach - cap, centre + reach);
    }
    return spans;
}

fn mode_shade(row: f32, band_h: u32) -> f32 {
    let centre = f32(band_h / 2u);
    return abs(row - centre) / max(centre, 1.0);
}
