// Shared prelude of every visualizer mode. The renderer appends a mode's own file (bars.wgsl,
// mirror.wgsl), which defines `mode_spans` and `mode_shade`; everything else is here.
//
// Each bar is drawn as up to three instanced quads right after the photo, in the same render
// pass, with alpha blending: the bar, then its ghost caps over it (instance 3i, 3i + 1, 3i + 2).
// Quads rather than one band-covering quad because only lit pixels are then shaded and blended:
// at the default style a full-band quad would run the fragment shader on every pixel of a
// 1536 x 270 band per frame, mostly to discard it, which matters on software rasterisers.
//
// The geometry is integer arithmetic on u32 and repeats app/renderer/src/visualizer/geometry.rs
// operation for operation, so the GPU lights exactly the pixels the CPU compositor does; quad
// corners land on pixel edges, so each pixel is either fully in a bar or not at all.

struct Visualizer {
    // The band: left column, top row, width, height, in pixels.
    band: vec4<u32>,
    // Bar count; gap in 1/256ths of the pitch (half on each side of a bar); ghost cap rows;
    // flags (FLAG_SRGB, FLAG_TOP).
    shape: vec4<u32>,
    // Bar alpha, cap alpha (both already multiplied by the fade), target width and height.
    alpha: vec4<f32>,
    // Ghost cap colour, sRGB-encoded.
    ghost_colour: vec4<f32>,
    // Levels and ghost levels in 1/65535ths, four bars per vector.
    levels: array<vec4<u32>, 24>,
    ghosts: array<vec4<u32>, 24>,
    // Each bar's low and high gradient colours (entries 2i and 2i + 1), sRGB-encoded.
    colours: array<vec4<f32>, 192>,
};

@group(0) @binding(0) var<uniform> vis: Visualizer;

// The target is sRGB: blending happens in linear light, so colours are decoded first.
const FLAG_SRGB: u32 = 1u;
// The band sits at the top of the screen: the mode's rows are flipped.
const FLAG_TOP: u32 = 2u;
// A level of 1 in the fixed-point units levels travel in.
const LEVEL_ONE: u32 = 65535u;

// Rows of one bar and its caps inside the band, counted down from the band's top edge as drawn
// at the bottom of the screen; (a, a) is empty.
struct Spans {
    bar: vec2<u32>,
    cap_a: vec2<u32>,
    cap_b: vec2<u32>,
};

// `q` (in 1/65535ths) of `px` pixels, rounded to the nearest pixel.
fn scale(q: u32, px: u32) -> u32 {
    return (q * px + LEVEL_ONE / 2u) / LEVEL_ONE;
}

// Columns x0..x1 of bar `i`: round((i + gap/2) * pitch) to round((i + 1 - gap/2) * pitch) from
// the band's left edge, at least one column, inside the band.
fn columns(i: u32) -> vec2<u32> {
    let n = vis.shape.x;
    let gap = vis.shape.y;
    let width = vis.band.z;
    let den = 512u * n;
    let left = min(((512u * i + gap) * width + 256u * n) / den, width - 1u);
    let right = min(max(((512u * (i + 1u) - gap) * width + 256u * n) / den, left + 1u), width);
    return vis.band.x + vec2<u32>(left, right);
}

fn flipped() -> bool {
    return (vis.shape.w & FLAG_TOP) != 0u;
}

struct VertexOut {
    @builtin(position) position: vec4<f32>,
    // Which bar, and which part of it (0 the bar, 1 and 2 its caps).
    @location(0) @interpolate(flat) bar: u32,
    @location(1) @interpolate(flat) part: u32,
};

@vertex
fn vs_main(@builtin(vertex_index) vertex: u32, @builtin(instance_index) instance: u32) -> VertexOut {
    let i = instance / 3u;
    let part = instance % 3u;
    let spans = mode_spans(vis.levels[i / 4u][i % 4u], vis.ghosts[i / 4u][i % 4u], vis.shape.z,
        vis.band.w);
    var rows = spans.bar;
    if part == 1u {
        rows = spans.cap_a;
    } else if part == 2u {
        rows = spans.cap_b;
    }
    if flipped() {
        rows = vis.band.w - rows.yx;
    }
    let cols = columns(i);
    // Two triangles: corners (0,0) (1,0) (0,1) and (0,1) (1,0) (1,1). An empty span gives a
    // quad of zero height, which covers no pixel.
    // (A `var`, because some backends cannot index a constant array with a runtime index.)
    var corners = array<vec2<u32>, 6>(vec2(0u, 0u), vec2(1u, 0u), vec2(0u, 1u), vec2(0u, 1u),
        vec2(1u, 0u), vec2(1u, 1u));
    let corner = corners[vertex % 6u];
    let x = f32(select(cols.x, cols.y, corner.x == 1u));
    let y = f32(vis.band.y + select(rows.x, rows.y, corner.y == 1u));
    var out: VertexOut;
    out.position = vec4<f32>(x / vis.alpha.z * 2.0 - 1.0, 1.0 - y / vis.alpha.w * 2.0, 0.0, 1.0);
    out.bar = i;
    out.part = part;
    return out;
}

fn srgb_to_linear(c: vec3<f32>) -> vec3<f32> {
    return select(pow((c + 0.055) / 1.055, vec3<f32>(2.4)), c / 12.92, c <= vec3<f32>(0.04045));
}

// An sRGB-encoded colour in the space the target blends in.
fn blend_space(c: vec3<f32>) -> vec3<f32> {
    if (vis.shape.w & FLAG_SRGB) != 0u {
        return srgb_to_linear(c);
    }
    return c;
}

@fragment
fn fs_main(in: VertexOut) -> @location(0) vec4<f32> {
    if in.part != 0u {
        return vec4<f32>(blend_space(vis.ghost_colour.rgb), vis.alpha.y);
    }
    // The centre of this pixel row, counted down from the band's top edge (as if at the bottom).
    var row = in.position.y - f32(vis.band.y);
    if flipped() {
        row = f32(vis.band.w) - row;
    }
    let t = clamp(mode_shade(row, vis.band.w), 0.0, 1.0);
    let c = mix(vis.colours[2u * in.bar].rgb, vis.colours[2u * in.bar + 1u].rgb, t);
    return vec4<f32>(blend_space(c), vis.alpha.x);
}
