//! Golden tests for the renderer core on a real wgpu adapter (Vulkan lavapipe on machines
//! without a GPU): exact end points, the midpoint average, a reference PNG, sRGB targets, staged
//! uploads, Ken Burns views and input validation. The transitions themselves are in
//! `transitions.rs`.

mod common;

use common::*;
use idlewild_renderer::{FrameState, ImageView, RenderError, Renderer, Slot, TransitionId};

/// Largest per-channel difference the golden comparison accepts: GPUs may round a blend of two
/// 8-bit values either way, and different drivers differ by a step or two.
const GOLDEN_TOLERANCE: u8 = 2;

fn crossfade_at(gpu: &Gpu, renderer: &mut Renderer, progress: f32) -> Vec<u8> {
    let state = FrameState {
        progress,
        seed: 7,
        ..FrameState::new(TransitionId::CROSSFADE)
    };
    render(gpu, renderer, &state)
}

#[test]
fn end_points_reproduce_the_inputs_exactly() {
    let Some(gpu) = gpu() else { return };
    let mut renderer = loaded_renderer(gpu, wgpu::TextureFormat::Rgba8Unorm);
    assert!(
        crossfade_at(gpu, &mut renderer, 0.0) == old_image(),
        "progress 0 is not the old image"
    );
    assert!(
        crossfade_at(gpu, &mut renderer, 1.0) == new_image(),
        "progress 1 is not the new image"
    );
    // Out-of-range and NaN progress are clamped rather than extrapolated.
    assert!(
        crossfade_at(gpu, &mut renderer, -3.0) == old_image(),
        "progress < 0"
    );
    assert!(
        crossfade_at(gpu, &mut renderer, 9.0) == new_image(),
        "progress > 1"
    );
    assert!(
        crossfade_at(gpu, &mut renderer, f32::NAN) == old_image(),
        "progress NaN"
    );
    // Once the transition is over, the next frame becomes the current one without a re-upload.
    renderer.promote_next();
    assert!(
        crossfade_at(gpu, &mut renderer, 0.0) == new_image(),
        "promoted frame"
    );
}

#[test]
fn midpoint_is_the_per_channel_average() {
    let Some(gpu) = gpu() else { return };
    let mut renderer = loaded_renderer(gpu, wgpu::TextureFormat::Rgba8Unorm);
    let frame = crossfade_at(gpu, &mut renderer, 0.5);
    let average: Vec<u8> = old_image()
        .iter()
        .zip(new_image())
        .map(|(a, b)| ((u16::from(*a) + u16::from(b)) / 2) as u8)
        .collect();
    let (diff, at) = max_diff(&frame, &average);
    assert!(
        diff <= 1,
        "midpoint differs from the average by {diff} at {at:?}"
    );
}

#[test]
fn srgb_target_reproduces_the_inputs() {
    let Some(gpu) = gpu() else { return };
    // On an sRGB target the frames are decoded to linear and re-encoded; 8-bit values survive
    // that round trip, allowing one step for drivers that round the encode differently.
    let mut renderer = loaded_renderer(gpu, wgpu::TextureFormat::Rgba8UnormSrgb);
    let (diff, at) = max_diff(&crossfade_at(gpu, &mut renderer, 0.0), &old_image());
    assert!(diff <= 1, "sRGB progress 0 differs by {diff} at {at:?}");
    let (diff, at) = max_diff(&crossfade_at(gpu, &mut renderer, 1.0), &new_image());
    assert!(diff <= 1, "sRGB progress 1 differs by {diff} at {at:?}");
}

#[test]
fn crossfade_midpoint_matches_the_golden_png() {
    let Some(gpu) = gpu() else { return };
    let mut renderer = loaded_renderer(gpu, wgpu::TextureFormat::Rgba8Unorm);
    let frame = crossfade_at(gpu, &mut renderer, 0.5);
    check_golden(gpu, "crossfade_0.5", &frame, GOLDEN_TOLERANCE);
}

#[test]
fn starts_black_and_stretches_frames_of_another_size() {
    let Some(gpu) = gpu() else { return };
    let mut renderer = plain_renderer(gpu);
    // Before any upload the host sees black, not uninitialised memory.
    let black: Vec<u8> = pixels(|_, _| [0, 0, 0, 255]);
    assert!(
        crossfade_at(gpu, &mut renderer, 0.0) == black,
        "initial frame is not black"
    );

    // A 2x2 image on a 64x48 target (a resize the image worker has not caught up with yet) is
    // stretched over the whole target: each corner keeps its quadrant's colour.
    let quadrants = [
        [255, 0, 0, 255],
        [0, 255, 0, 255],
        [0, 0, 255, 255],
        [255, 255, 0, 255],
    ];
    renderer
        .set_image(&gpu.queue, Slot::Current, quadrants.as_flattened(), 2, 2)
        .expect("small image uploads");
    let frame = crossfade_at(gpu, &mut renderer, 0.0);
    for (i, (x, y)) in [(0, 0), (W - 1, 0), (0, H - 1), (W - 1, H - 1)]
        .into_iter()
        .enumerate()
    {
        let at = ((y * W + x) * 4) as usize;
        let (diff, _) = max_diff(&frame[at..at + 4], &quadrants[i]);
        assert!(
            diff <= 1,
            "corner ({x}, {y}) is {:?}, expected {:?}",
            &frame[at..at + 4],
            quadrants[i]
        );
    }
}

#[test]
fn set_image_refuses_malformed_buffers() {
    let Some(gpu) = gpu() else { return };
    let mut renderer = plain_renderer(gpu);
    let image = old_image();
    let short = &image[..image.len() - 1];
    for (bytes, width, height) in [
        (short, W, H),
        (&image[..], W, H + 1),
        (&[][..], 0, 0),
        (&image[..], u32::MAX, u32::MAX),
    ] {
        match renderer.set_image(&gpu.queue, Slot::Current, bytes, width, height) {
            Err(RenderError::BadImage { len, .. }) => assert_eq!(len, bytes.len()),
            other => panic!(
                "{width}x{height} with {} bytes: expected BadImage, got {other:?}",
                bytes.len()
            ),
        }
    }
    let max = gpu.device.limits().max_texture_dimension_2d;
    let wide = vec![0; (max as usize + 1) * 4];
    assert!(matches!(
        renderer.set_image(&gpu.queue, Slot::Next, &wide, max + 1, 1),
        Err(RenderError::ImageTooLarge { .. })
    ));
    // A rejected upload leaves the renderer usable.
    renderer
        .set_image(&gpu.queue, Slot::Current, &image, W, H)
        .expect("valid image uploads");
}

#[test]
fn a_frame_uploaded_in_bands_equals_the_one_shot_upload() {
    let Some(gpu) = gpu() else { return };
    let image = old_image();
    let row = (W * 4) as usize;
    let mut staged = plain_renderer(gpu);
    staged
        .begin_image(Slot::Current, W, H)
        .expect("image begins");
    // Four bands of 12 rows, out of order, as a host spreading a 4K upload over frames might.
    for band in [2u32, 0, 3, 1] {
        let rows = &image[band as usize * 12 * row..(band as usize + 1) * 12 * row];
        staged
            .write_rows(&gpu.queue, Slot::Current, band * 12, rows)
            .expect("band uploads");
    }
    let mut one_shot = plain_renderer(gpu);
    one_shot
        .set_image(&gpu.queue, Slot::Current, &image, W, H)
        .expect("image uploads");
    let staged_frame = crossfade_at(gpu, &mut staged, 0.0);
    assert!(staged_frame == image, "the staged upload is not the image");
    assert!(
        staged_frame == crossfade_at(gpu, &mut one_shot, 0.0),
        "staged and one-shot uploads differ"
    );

    // A reused texture keeps its size; rewriting a few rows changes only those rows.
    let new = new_image();
    staged
        .begin_image(Slot::Current, W, H)
        .expect("same size begins");
    staged
        .write_rows(&gpu.queue, Slot::Current, 5, &new[5 * row..8 * row])
        .expect("rows upload");
    let frame = crossfade_at(gpu, &mut staged, 0.0);
    let mut expected = image.clone();
    expected[5 * row..8 * row].copy_from_slice(&new[5 * row..8 * row]);
    assert!(frame == expected, "only rows 5..8 change");
}

#[test]
fn staged_uploads_refuse_rows_that_do_not_fit() {
    let Some(gpu) = gpu() else { return };
    let mut renderer = plain_renderer(gpu);
    renderer
        .begin_image(Slot::Next, W, H)
        .expect("image begins");
    let row = (W * 4) as usize;
    let rows = vec![7u8; 3 * row];
    for (first_row, len) in [
        (0, row - 1),     // a partial row
        (0, row + 4),     // one row and a bit
        (0, 0),           // nothing
        (H - 2, 3 * row), // past the last row
        (H, row),         // starts past the end
        (u32::MAX, row),  // overflows
    ] {
        match renderer.write_rows(&gpu.queue, Slot::Next, first_row, &rows[..len]) {
            Err(RenderError::BadRows {
                first_row: f,
                len: l,
                ..
            }) => assert_eq!((f, l), (first_row, len)),
            other => panic!("{len} bytes at row {first_row}: expected BadRows, got {other:?}"),
        }
    }
    renderer
        .write_rows(&gpu.queue, Slot::Next, H - 3, &rows)
        .expect("the last three rows fit");
    assert!(matches!(
        renderer.begin_image(Slot::Next, 0, 5),
        Err(RenderError::BadImage { .. })
    ));
    let max = gpu.device.limits().max_texture_dimension_2d;
    assert!(matches!(
        renderer.begin_image(Slot::Next, 1, max + 1),
        Err(RenderError::ImageTooLarge { .. })
    ));
    // A new size reallocates, and rows are then checked against the new width.
    renderer
        .begin_image(Slot::Next, 2, 2)
        .expect("small image begins");
    assert!(matches!(
        renderer.write_rows(&gpu.queue, Slot::Next, 0, &rows[..row]),
        Err(RenderError::BadRows { .. })
    ));
    renderer
        .write_rows(&gpu.queue, Slot::Next, 0, &[9; 16])
        .expect("a 2x2 image fits");
}

/// A linear gradient: bilinear filtering reproduces it exactly between texel centres, so a
/// zoomed view can be checked against arithmetic instead of a second filter implementation.
fn gradient() -> Vec<u8> {
    pixels(|x, y| [(x * 4) as u8, (y * 5) as u8, 128, 255])
}

/// The gradient's red and green at fractional texel position `(tx, ty)`, clamped to the edge
/// texels like the sampler.
fn gradient_at(tx: f32, ty: f32) -> [f32; 2] {
    [
        4.0 * tx.clamp(0.0, (W - 1) as f32),
        5.0 * ty.clamp(0.0, (H - 1) as f32),
    ]
}

#[test]
fn a_zoom_2_view_shows_a_quarter_of_the_image() {
    let Some(gpu) = gpu() else { return };
    let mut renderer = plain_renderer(gpu);
    renderer
        .set_image(&gpu.queue, Slot::Current, &gradient(), W, H)
        .expect("gradient uploads");
    renderer
        .set_image(&gpu.queue, Slot::Next, &gradient(), W, H)
        .expect("gradient uploads");
    // (requested centre, the quarter's top-left corner in texels); a centre too close to the
    // edge is moved in so the view never leaves the image.
    let cases = [
        ([0.25, 0.25], (0.0, 0.0)),
        ([0.75, 0.75], (32.0, 24.0)),
        ([0.75, 0.25], (32.0, 0.0)),
        ([0.0, 1.0], (0.0, 24.0)),
    ];
    for (slot, progress) in [(0, 0.0), (1, 1.0)] {
        for (center, (left, top)) in cases {
            let mut views = [ImageView::IDENTITY; 2];
            views[slot] = ImageView { zoom: 2.0, center };
            let state = FrameState {
                progress,
                views,
                ..FrameState::default()
            };
            let frame = render(gpu, &mut renderer, &state);
            let mut worst = 0.0f32;
            for y in 0..H {
                for x in 0..W {
                    // Target pixel centre x + 0.5 maps to texel coordinate left + (x + 0.5) / 2,
                    // which is `- 0.5` from the texel centres the filter interpolates between.
                    let tx = left + (x as f32 + 0.5) / 2.0 - 0.5;
                    let ty = top + (y as f32 + 0.5) / 2.0 - 0.5;
                    let want = gradient_at(tx, ty);
                    let got = pixel(&frame, x, y);
                    for c in 0..2 {
                        worst = worst.max((f32::from(got[c]) - want[c]).abs());
                    }
                }
            }
            // Filtering weights have limited precision on real GPUs (8 fractional bits is
            // common); on a 4-or-5-per-texel gradient that is well under one step, plus one
            // for rounding.
            assert!(
                worst <= 1.5,
                "slot {slot} centre {center:?}: off by {worst} from the expected quarter"
            );
        }
    }
}

#[test]
fn the_minimal_renderer_draws_every_transition_as_a_crossfade() {
    let Some(gpu) = gpu() else { return };
    let mut full = loaded_renderer(gpu, wgpu::TextureFormat::Rgba8Unorm);
    let mut minimal = Renderer::minimal(
        &gpu.device,
        &gpu.queue,
        wgpu::TextureFormat::Rgba8Unorm,
        (W, H),
    )
    .expect("the crossfade pipeline builds");
    assert!(minimal.is_minimal() && !full.is_minimal());
    minimal
        .set_image(&gpu.queue, Slot::Current, &old_image(), W, H)
        .unwrap();
    minimal
        .set_image(&gpu.queue, Slot::Next, &new_image(), W, H)
        .unwrap();
    let at = |id, progress| FrameState {
        progress,
        seed: 5,
        ..FrameState::new(id)
    };
    for id in TransitionId::all() {
        for progress in [0.0, 0.5, 1.0] {
            let want = render(gpu, &mut full, &at(TransitionId::CROSSFADE, progress));
            let got = render(gpu, &mut minimal, &at(id, progress));
            assert_eq!(got, want, "{} at {progress}", id.desc().key);
        }
    }
}
