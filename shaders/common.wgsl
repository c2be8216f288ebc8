// Shared prelude of every transition shader. The renderer prepends this file to each
// transition's own file (see app/renderer/src/renderer.rs), so a transition only writes
// `blend(pixel)` in terms of `frame`, `fetch_current` and `fetch_next`; the entry point
// `fs_main` below decides the end points for all of them.
//
// Bindings are shared by every transition: the current and next frames, a linear sampler, and
// the per-frame uniforms. The images normally arrive at exactly the display size and are shown
// whole, so each texture is read with `textureLoad` at 1:1 and the input bytes come back
// unchanged. Only when a frame's size differs from the target (a resize that has not yet been
// followed by a fresh image) or its Ken Burns view zooms in is it resampled with the linear
// sampler.

struct Frame {
    // Transition progress in 0..=1, already clamped on the CPU side.
    progress: f32,
    // Per-transition random seed: every random choice a transition makes derives from it, so a
    // frame can be replayed exactly.
    seed: u32,
    // Size of the render target in pixels.
    target_size: vec2<f32>,
    // The transition's option values in the order of its option table (unused entries are 0),
    // already clamped to each option's range; a choice is its index.
    params: vec4<f32>,
    // Ken Burns view of each frame: (zoom >= 1, centre x, centre y, unused), the centre in 0..1
    // of the image and already clamped so the view never leaves the image.
    current_view: vec4<f32>,
    next_view: vec4<f32>,
};

@group(0) @binding(0) var current_tex: texture_2d<f32>;
@group(0) @binding(1) var next_tex: texture_2d<f32>;
@group(0) @binding(2) var linear_sampler: sampler;
@group(0) @binding(3) var<uniform> frame: Frame;

struct VertexOut {
    @builtin(position) position: vec4<f32>,
};

// One triangle that covers the whole viewport: no vertex buffer is needed, and there is no
// diagonal seam as there would be with two triangles.
@vertex
fn vs_main(@builtin(vertex_index) index: u32) -> VertexOut {
    let uv = vec2<f32>(f32((index << 1u) & 2u), f32(index & 2u));
    var out: VertexOut;
    out.position = vec4<f32>(uv.x * 2.0 - 1.0, 1.0 - uv.y * 2.0, 0.0, 1.0);
    return out;
}

// Reads `tex` as shown through `view` at the target position `pixel` (in pixels, 0..target_size):
// the exact texel when the frame is display-sized and not zoomed, else a linear sample of the
// zoomed sub-rectangle, stretched to the target.
fn fetch(tex: texture_2d<f32>, view: vec4<f32>, pixel: vec2<f32>) -> vec4<f32> {
    let dims = textureDimensions(tex);
    if view.x <= 1.0 && all(vec2<f32>(dims) == frame.target_size) {
        // Clamped so a transition that computes a position just outside the frame still reads
        // an edge texel rather than whatever an out-of-bounds load returns on this GPU.
        let texel = clamp(vec2<i32>(floor(pixel)), vec2<i32>(0), vec2<i32>(dims) - 1);
        return textureLoad(tex, texel, 0);
    }
    let uv = view.yz + (pixel / frame.target_size - 0.5) / view.x;
    return textureSampleLevel(tex, linear_sampler, uv, 0.0);
}

// The current (old) frame at target position `pixel`.
fn fetch_current(pixel: vec2<f32>) -> vec4<f32> {
    return fetch(current_tex, frame.current_view, pixel);
}

// The next (new) frame at target position `pixel`.
fn fetch_next(pixel: vec2<f32>) -> vec4<f32> {
    return fetch(next_tex, frame.next_view, pixel);
}

// A 32-bit integer hash (the PCG output permutation, as in Jarzynski and Olano, "Hash Functions
// for GPU Rendering", 2020): well mixed, cheap, and the same on every GPU because it is pure
// integer arithmetic (u32 operations wrap in WGSL).
fn hash_u32(value: u32) -> u32 {
    let state = value * 747796405u + 2891336453u;
    let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
    return (word >> 22u) ^ word;
}

// A hash of a 2D integer position and the frame's seed.
fn hash_cell(cell: vec2<u32>) -> u32 {
    return hash_u32(cell.x + hash_u32(cell.y + hash_u32(frame.seed)));
}

// Maps a hash to a float in [0, 1) with 24 exact bits, so comparisons are the same everywhere.
fn unit_float(hash: u32) -> f32 {
    return f32(hash >> 8u) * (1.0 / 16777216.0);
}

// Resolves a choice option whose entries 0..count-1 are concrete and whose entry `count` means
// "random": the random pick comes from the seed, so it is fixed for the whole transition.
fn choice_or_seeded(value: f32, count: u32) -> u32 {
    let index = u32(max(value, 0.0) + 0.5);
    if index < count {
        return index;
    }
    return hash_u32(frame.seed ^ 0x9e3779b9u) % count;
}

// The fragment entry point of every transition. Progress 0 is exactly the current frame and 1
// exactly the next one, decided here once, so no transition can leave a trace of the other image
// at either end; in between, the transition's own `blend` draws.
@fragment
fn fs_main(in: VertexOut) -> @location(0) vec4<f32> {
    let pixel = in.position.xy;
    if frame.progress <= 0.0 {
        return fetch_current(pixel);
    }
    if frame.progress >= 1.0 {
        return fetch_next(pixel);
    }
    return blend(pixel);
}
