// Crossfade: the old frame fades into the new one, pixel by pixel.
//
// Bindings are shared by every transition (see app/renderer/src/renderer.rs): the current and
// next frames, a linear sampler, and the per-frame uniforms. The images normally arrive at exactly
// the display size, so each texture is read with `textureLoad` at 1:1 and the input bytes come
// back unchanged; only when a frame's size differs from the target (a resize that has not yet been
// followed by a fresh image) is it stretched with the linear sampler.

struct Frame {
    // Transition progress in 0..=1, already clamped on the CPU side.
    progress: f32,
    // Per-transition random seed; crossfade has no randomness and ignores it.
    seed: u32,
    // Size of the render target in pixels.
    target_size: vec2<f32>,
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

// Reads one texel of `tex` for the fragment at `pixel`: exact at 1:1, stretched otherwise.
fn fetch(tex: texture_2d<f32>, pixel: vec2<f32>) -> vec4<f32> {
    let dims = textureDimensions(tex);
    if all(vec2<f32>(dims) == frame.target_size) {
        return textureLoad(tex, vec2<i32>(floor(pixel)), 0);
    }
    return textureSampleLevel(tex, linear_sampler, pixel / frame.target_size, 0.0);
}

@fragment
fn fs_main(in: VertexOut) -> @location(0) vec4<f32> {
    let old_px = fetch(current_tex, in.position.xy);
    let new_px = fetch(next_tex, in.position.xy);
    // The end points are exact by construction rather than by float luck: `mix` at 0 or 1 can
    // leave a residue of the other image after rounding on some hardware.
    if frame.progress <= 0.0 {
        return old_px;
    }
    if frame.progress >= 1.0 {
        return new_px;
    }
    return mix(old_px, new_px, frame.progress);
}
