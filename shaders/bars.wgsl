// Bars: each bar rises from the band's baseline; its ghost cap's top edge sits at the ghost level
// (resting on the baseline while the ghost is lower than the cap is thick). Shaded low at the
// baseline to high at the band's far edge.
// (Appended to visualizer.wgsl; the Rust twins are `bars_spans` and `bars_shade` in
// app/renderer/src/visualizer/geometry.rs.)

fn mode_spans(level: u32, ghost: u32, cap_rows: u32, band_h: u32) -> Spans {
    let cap = min(cap_rows, band_h);
    let height = scale(level, band_h);
    let ghost_px = scale(ghost, band_h);
    var spans: Spans;
    spans.bar = vec2<u32>(band_h - height, band_h);
    if ghost_px != 0u {
        let top = band_h - max(ghost_px, cap);
        spans.cap_a = vec2<u32>(top, top + cap);
    }
    return spans;
}

fn mode_shade(row: f32, band_h: u32) -> f32 {
    return (f32(band_h) - row) / f32(band_h);
}
