//! The audio visualizer against real rendering (lavapipe here): bars land where the geometry rule
//! says, gaps and the rest of the photo stay untouched, a faded-out visualizer leaves the frame
//! byte-identical, and the CPU compositor (group C) draws the same picture as the GPU on sRGB and
//! plain targets.
//!
//! Expected edges are worked out here in floating point from the style's fractions, independently
//! of the renderer's integer rule, and allowed 1 pixel.

mod common;

use common::{gpu, max_diff_w};
use idlewild_renderer::{
    BarsStyle, CpuCompositor, FrameState, MAX_BARS, PaletteId, Placement, RenderError, Renderer,
    Slot, TextureFormat, VisualizerModeId, offscreen,
};

/// CPU and GPU blend through different roundings (a table here, the driver's blend unit there).
const TOLERANCE: u8 = 2;
/// A target on which the default band is 128 x 30 pixels at x = 16: 8 bars have a 16-pixel
/// pitch with 2-pixel gaps on each side.
const SIZE: (u32, u32) = (160, 120);
const GREY: [u8; 4] = [128, 128, 128, 255];

fn flat_photo((w, h): (u32, u32)) -> Vec<u8> {
    GREY.repeat((w * h) as usize)
}

/// A photo with gradients in every channel, so blending is tested over many values.
fn gradient_photo((w, h): (u32, u32)) -> Vec<u8> {
    (0..h)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .flat_map(|(x, y)| {
            [
                (x * 255 / w) as u8,
                (y * 255 / h) as u8,
                ((x + y) * 3 % 256) as u8,
                255,
            ]
        })
        .collect()
}

fn renderer(format: TextureFormat, size: (u32, u32), photo: &[u8], minimal: bool) -> Renderer {
    let gpu = gpu().expect("checked by the caller");
    let build = if minimal {
        Renderer::minimal
    } else {
        Renderer::new
    };
    let mut r = build(&gpu.device, &gpu.queue, format, size).expect("renderer builds");
    r.set_image(&gpu.queue, Slot::Current, photo, size.0, size.1)
        .expect("photo uploads");
    r.update(&FrameState::default());
    r
}

fn frame(r: &mut Renderer, size: (u32, u32)) -> Vec<u8> {
    let gpu = gpu().expect("checked by the caller");
    offscreen::render_to_rgba(r, &gpu.device, &gpu.queue, size).expect("frame reads back")
}

fn cpu(size: (u32, u32), photo: &[u8], linear: bool) -> CpuCompositor {
    let mut c = CpuCompositor::new(size, linear);
    c.set_image(Slot::Current, photo, size.0, size.1)
        .expect("photo");
    c.update(&FrameState::default());
    c
}

fn style(mode: &str, placement: Placement) -> BarsStyle {
    BarsStyle {
        mode: VisualizerModeId::by_id(mode).expect("registered"),
        placement,
        ..BarsStyle::default()
    }
}

/// Rows `y` of column `x` whose pixel differs from the grey photo, as half-open runs.
fn lit_runs(frame: &[u8], (w, h): (u32, u32), x: u32) -> Vec<(u32, u32)> {
    let lit = |y: u32| {
        let at = ((y * w + x) * 4) as usize;
        frame[at..at + 4] != GREY
    };
    let mut runs = Vec::new();
    let mut start = None;
    for y in 0..=h {
        match (start, y < h && lit(y)) {
            (None, true) => start = Some(y),
            (Some(s), false) => {
                runs.push((s, y));
                start = None;
            }
            _ => {}
        }
    }
    runs
}

/// Level 0 (nothing drawn) for bar 0, then a ramp; ghosts 0.3 above, so caps stand clear.
fn ramp() -> (Vec<f32>, Vec<f32>) {
    let levels: Vec<f32> = (0..8)
        .map(|i| if i == 0 { 0.0 } else { 0.05 + 0.09 * i as f32 })
        .collect();
    let ghosts = levels
        .iter()
        .map(|&l| if l == 0.0 { 0.0 } else { l + 0.3 })
        .collect();
    (levels, ghosts)
}

/// The runs one bar should light, in float rows: bar first, then caps, top to bottom.
fn expected_runs(mode: &str, placement: Placement, level: f32, ghost: f32) -> Vec<(f32, f32)> {
    let (h, band) = (SIZE.1 as f32, 30.0);
    let top = match placement {
        Placement::Bottom => h - band,
        Placement::Top => 0.0,
        Placement::Centre => (h - band) / 2.0,
    };
    let cap = 2.0;
    let mut runs = if level == 0.0 {
        Vec::new()
    } else if mode == "mirror" {
        let (c, g) = (top + band / 2.0, ghost * band / 2.0);
        let l = level * band / 2.0;
        vec![(c - g, c - g + cap), (c - l, c + l), (c + g - cap, c + g)]
    } else if placement == Placement::Top {
        vec![(0.0, level * band), (ghost * band - cap, ghost * band)]
    } else {
        let base = top + band;
        vec![
            (base - ghost * band, base - ghost * band + cap),
            (base - level * band, base),
        ]
    };
    runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    runs
}

#[test]
fn bars_and_caps_land_on_the_expected_rows_and_gaps_show_the_photo() {
    if gpu().is_none() {
        return;
    }
    let photo = flat_photo(SIZE);
    let (levels, ghosts) = ramp();
    for mode in ["bars", "mirror"] {
        for placement in Placement::ALL {
            let mut r = renderer(TextureFormat::Rgba8Unorm, SIZE, &photo, false);
            r.set_visualizer(&style(mode, placement), &levels, &ghosts, 1.0)
                .expect("8 bars");
            let f = frame(&mut r, SIZE);
            let case = format!("{mode} {placement:?}");
            for i in 0..8 {
                let centre = 16 + 16 * i as u32 + 8;
                let got = lit_runs(&f, SIZE, centre);
                let want = expected_runs(mode, placement, levels[i], ghosts[i]);
                assert_eq!(got.len(), want.len(), "{case} bar {i}: {got:?} vs {want:?}");
                for (g, w) in got.iter().zip(&want) {
                    assert!(
                        (g.0 as f32 - w.0).abs() <= 1.0 && (g.1 as f32 - w.1).abs() <= 1.0,
                        "{case} bar {i}: rows {g:?}, expected {w:?}"
                    );
                }
            }
            // The gaps between bars (2 columns each side of every pitch boundary) and
            // everything left and right of the band show the photo untouched.
            let mut clear: Vec<u32> = (1..8).flat_map(|b| [16 * b + 15, 16 * b + 16]).collect();
            clear.extend([0, 15, 144, 159]);
            for x in clear {
                assert!(
                    lit_runs(&f, SIZE, x).is_empty(),
                    "{case}: column {x} is lit"
                );
            }
        }
    }
}

#[test]
fn faded_out_or_empty_bars_leave_the_frame_byte_identical() {
    if gpu().is_none() {
        return;
    }
    let photo = gradient_photo(SIZE);
    for format in [TextureFormat::Rgba8Unorm, TextureFormat::Rgba8UnormSrgb] {
        let mut r = renderer(format, SIZE, &photo, false);
        let alone = frame(&mut r, SIZE);
        let s = BarsStyle::default();
        r.set_visualizer(&s, &[1.0; 64], &[1.0; 64], 1.0)
            .expect("64 bars");
        assert_ne!(frame(&mut r, SIZE), alone, "{format:?}: the bars show");
        for (levels, fade) in [
            (&[1.0f32; 64][..], 0.0),
            (&[1.0; 64][..], f32::NAN),
            (&[][..], 1.0),
        ] {
            r.set_visualizer(&s, levels, levels, fade)
                .expect("valid lengths");
            assert_eq!(frame(&mut r, SIZE), alone, "{format:?}: fade {fade}");
        }
    }
}

#[test]
fn the_cpu_compositor_draws_the_same_bars_as_the_gpu() {
    if gpu().is_none() {
        return;
    }
    let cases: &[((u32, u32), usize)] = &[(SIZE, 8), ((480, 200), MAX_BARS)];
    for &(size, n) in cases {
        let photo = gradient_photo(size);
        // Awkward inputs on purpose: NaN, negative and above 1 are clamped the same way.
        let levels: Vec<f32> = (0..n)
            .map(|i| match i % 11 {
                3 => f32::NAN,
                5 => -0.5,
                7 => 1.5,
                k => k as f32 / 10.0,
            })
            .collect();
        let ghosts: Vec<f32> = levels.iter().map(|l| l + 0.15).collect();
        for (format, linear) in [
            (TextureFormat::Rgba8UnormSrgb, true),
            (TextureFormat::Rgba8Unorm, false),
        ] {
            let mut r = renderer(format, size, &photo, false);
            let mut c = cpu(size, &photo, linear);
            for palette in PaletteId::all() {
                for mode in ["bars", "mirror"] {
                    for placement in Placement::ALL {
                        let s = BarsStyle {
                            palette,
                            ..style(mode, placement)
                        };
                        r.set_visualizer(&s, &levels, &ghosts, 0.8).expect("bars");
                        c.set_visualizer(&s, &levels, &ghosts, 0.8).expect("bars");
                        let (on_gpu, on_cpu) = (frame(&mut r, size), c.render_rgba());
                        let (diff, at) = max_diff_w(&on_gpu, &on_cpu, size.0);
                        assert!(
                            diff <= TOLERANCE,
                            "{format:?} {n} bars {} {mode} {placement:?}: off by {diff} at {at:?}",
                            palette.id()
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn the_minimal_renderer_and_a_resize_draw_the_same_bars() {
    if gpu().is_none() {
        return;
    }
    let photo = gradient_photo(SIZE);
    let (levels, ghosts) = ramp();
    let s = style("mirror", Placement::Centre);
    let mut full = renderer(TextureFormat::Rgba8Unorm, SIZE, &photo, false);
    let mut minimal = renderer(TextureFormat::Rgba8Unorm, SIZE, &photo, true);
    assert!(minimal.is_minimal());
    for r in [&mut full, &mut minimal] {
        r.set_visualizer(&s, &levels, &ghosts, 1.0).expect("bars");
    }
    let drawn = frame(&mut full, SIZE);
    assert_eq!(frame(&mut minimal, SIZE), drawn);
    // After a resize (and a photo of the new size) the band is laid out again for it.
    let other = (200, 90);
    let other_photo = gradient_photo(other);
    let gpu = gpu().expect("checked above");
    full.set_image(&gpu.queue, Slot::Current, &other_photo, other.0, other.1)
        .expect("photo uploads");
    let resized = frame(&mut full, other);
    let mut c = cpu(other, &other_photo, false);
    c.set_visualizer(&s, &levels, &ghosts, 1.0).expect("bars");
    let (diff, at) = max_diff_w(&resized, &c.render_rgba(), other.0);
    assert!(diff <= TOLERANCE, "after a resize: off by {diff} at {at:?}");
    assert_ne!(&resized, &other_photo, "the bars are drawn at the new size");
}

#[test]
fn mismatched_or_oversized_slices_are_refused_and_the_old_bars_stay() {
    let s = BarsStyle::default();
    let too_many = vec![0.5; MAX_BARS + 1];
    let bad: [(&[f32], &[f32]); 3] = [
        (&[0.5; 8], &[0.5; 7]),
        (&too_many, &too_many),
        (&[], &[0.5]),
    ];
    let photo = flat_photo(SIZE);
    let mut c = cpu(SIZE, &photo, false);
    c.set_visualizer(&s, &[0.5; 8], &[0.7; 8], 1.0).expect("8");
    let before = c.render_rgba();
    for (levels, ghosts) in bad {
        assert!(matches!(
            c.set_visualizer(&s, levels, ghosts, 1.0),
            Err(RenderError::BadBars { max: MAX_BARS, .. })
        ));
    }
    assert_eq!(c.render_rgba(), before, "the CPU keeps its bars");
    c.set_visualizer(&s, &[0.5; MAX_BARS], &[0.5; MAX_BARS], 1.0)
        .expect("exactly MAX_BARS is fine");
    if gpu().is_none() {
        return;
    }
    let mut r = renderer(TextureFormat::Rgba8Unorm, SIZE, &photo, false);
    r.set_visualizer(&s, &[0.5; 8], &[0.7; 8], 1.0).expect("8");
    let before = frame(&mut r, SIZE);
    for (levels, ghosts) in bad {
        assert!(matches!(
            r.set_visualizer(&s, levels, ghosts, 1.0),
            Err(RenderError::BadBars { .. })
        ));
    }
    assert_eq!(frame(&mut r, SIZE), before, "the GPU keeps its bars");
}

/// Each mode's reference picture (`tests/golden/visualizer_<id>.png`, tolerance 2): 8 bars in a
/// ramp with their ghost caps above them, over the common test photo, in the aurora palette.
/// `IDLEWILD_BLESS=1` rewrites them after a deliberate change.
#[test]
fn every_mode_matches_its_golden_image() {
    let Some(gpu) = gpu() else {
        return;
    };
    let size = (common::W, common::H);
    let levels: Vec<f32> = (1..=8).map(|i| i as f32 / 8.0).collect();
    let ghosts: Vec<f32> = levels.iter().map(|l| (l + 0.15).min(1.0)).collect();
    for mode in VisualizerModeId::all() {
        let style = BarsStyle {
            mode,
            placement: Placement::Centre,
            height: 0.75,
            width: 0.9,
            ..BarsStyle::default()
        };
        let mut r = renderer(
            TextureFormat::Rgba8UnormSrgb,
            size,
            &common::old_image(),
            false,
        );
        r.set_visualizer(&style, &levels, &ghosts, 1.0)
            .expect("8 bars are accepted");
        let frame = frame(&mut r, size);
        common::check_golden(gpu, &format!("visualizer_{}", mode.id()), &frame, TOLERANCE);
    }
}
