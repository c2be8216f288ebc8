//! Every transition in the registry on a real wgpu adapter (Vulkan lavapipe on machines without
//! a GPU): exact end points, a golden PNG at half way, proof that each one is more than a
//! crossfade, and the geometry each one promises (slide and wipe directions, diffuse's seeded
//! block order, the blinds' slats).

mod common;

use common::*;
use idlewild_renderer::hash::{hash_cell, unit_float};
use idlewild_renderer::{
    FrameState, OptionKind, Renderer, TextureFormat, TransitionId, registry::TRANSITIONS,
};

/// The seed of every golden frame.
const SEED: u32 = 7;

/// Largest per-channel difference from a golden PNG. Slide and diffuse copy exact texels, so on
/// any GPU they match byte for byte; the allowance is for the blends (crossfade, the wipe's soft
/// edge, the blinds' anti-aliased slat edges), which drivers may round either way by a step or
/// two. A misplaced edge or block differs by far more (the two images differ by 100+ on most
/// pixels), so 2 does not hide geometry errors.
const GOLDEN_TOLERANCE: u8 = 2;

fn id(key: &str) -> TransitionId {
    TransitionId::from_key(key).expect("registered")
}

/// `transition` with its default options, seed [`SEED`] and the given progress.
fn state(transition: TransitionId, progress: f32) -> FrameState {
    FrameState {
        progress,
        seed: SEED,
        ..FrameState::new(transition)
    }
}

/// `key` at `progress` with `options` set by name (as on a command line) and `seed`.
fn frame_with(
    gpu: &Gpu,
    renderer: &mut Renderer,
    key: &str,
    progress: f32,
    options: &[(&str, &str)],
    seed: u32,
) -> Vec<u8> {
    let transition = id(key);
    let params = transition
        .desc()
        .parse_params(options)
        .expect("valid options");
    let state = FrameState {
        params,
        seed,
        ..state(transition, progress)
    };
    render(gpu, renderer, &state)
}

#[test]
fn every_transition_builds_for_plain_and_srgb_targets() {
    let Some(gpu) = gpu() else { return };
    for format in [
        TextureFormat::Rgba8Unorm,
        TextureFormat::Rgba8UnormSrgb,
        TextureFormat::Bgra8Unorm,
        TextureFormat::Bgra8UnormSrgb,
    ] {
        if let Err(error) = Renderer::new(&gpu.device, &gpu.queue, format, (W, H)) {
            panic!("{format:?}: {error}");
        }
    }
}

#[test]
fn every_transition_shows_exactly_the_inputs_at_0_and_1() {
    let Some(gpu) = gpu() else { return };
    let mut renderer = loaded_renderer(gpu, TextureFormat::Rgba8Unorm);
    let (old, new) = (old_image(), new_image());
    for transition in TransitionId::all() {
        let desc = transition.desc();
        // The defaults, and every option at each end of its range (every choice included), so no
        // setting can leak a trace of the other image into an end point.
        let mut variants = vec![desc.default_params()];
        for (i, option) in desc.options.iter().enumerate() {
            let values: Vec<f32> = match option.kind {
                OptionKind::Choice(choices) => (0..choices.len()).map(|c| c as f32).collect(),
                OptionKind::Number => vec![option.min, option.max],
            };
            for value in values {
                let mut params = desc.default_params();
                params[i] = value;
                variants.push(params);
            }
        }
        for params in variants {
            for (progress, expected, what) in [(0.0, &old, "old"), (1.0, &new, "new")] {
                let frame = render(
                    gpu,
                    &mut renderer,
                    &FrameState {
                        params,
                        ..state(transition, progress)
                    },
                );
                let (diff, at) = max_diff(&frame, expected);
                assert!(
                    diff == 0,
                    "{} with {params:?} at {progress} is not exactly the {what} image \
                     (off by {diff} at {at:?})",
                    desc.key
                );
            }
        }
    }
}

#[test]
fn every_transition_at_half_way_matches_its_golden_png() {
    let Some(gpu) = gpu() else { return };
    let mut renderer = loaded_renderer(gpu, TextureFormat::Rgba8Unorm);
    for transition in TransitionId::all() {
        let frame = render(gpu, &mut renderer, &state(transition, 0.5));
        let name = format!("{}_0.5", transition.desc().key);
        check_golden(gpu, &name, &frame, GOLDEN_TOLERANCE);
    }
}

/// How far `frame` is from the crossfade frame, relative to how far the two images are apart.
///
/// A transition that shows each pixel from one image or the other in place is `|a - b| / 2`
/// from the average on every channel, so it scores 0.5 (soft edges and anti-aliasing pull it a
/// little below); one that moves the images, like slide, scores about as much or more (1.0 on
/// the test images); a crossfade scores about 0 (only rounding).
fn crossfade_likeness(frame: &[u8], crossfade: &[u8]) -> f64 {
    mean_diff(frame, crossfade) / mean_diff(&old_image(), &new_image())
}

#[test]
fn no_transition_but_crossfade_is_a_crossfade_at_half_way() {
    let Some(gpu) = gpu() else { return };
    let mut renderer = loaded_renderer(gpu, TextureFormat::Rgba8Unorm);
    let crossfade = render(gpu, &mut renderer, &state(TransitionId::CROSSFADE, 0.5));
    // The threshold sits half way between the two cases above: a crossfade (or a transition that
    // blends the whole frame) cannot reach it, one that moves or reveals pixels cannot miss it.
    const THRESHOLD: f64 = 0.25;
    assert!(crossfade_likeness(&crossfade, &crossfade) < 0.01);
    for transition in TransitionId::all().filter(|t| *t != TransitionId::CROSSFADE) {
        let frame = render(gpu, &mut renderer, &state(transition, 0.5));
        let score = crossfade_likeness(&frame, &crossfade);
        eprintln!("{}: crossfade likeness {score:.3}", transition.desc().key);
        assert!(
            score > THRESHOLD,
            "{} at 0.5 looks like a crossfade (score {score:.3}, needs > {THRESHOLD})",
            transition.desc().key
        );
    }
}

/// For each `block`-sized block of a diffuse frame: `Some(true)` if it shows the new image,
/// `Some(false)` the old one, `None` a mix (which diffuse must never draw).
fn diffuse_blocks(frame: &[u8], block: u32) -> Vec<Vec<Option<bool>>> {
    let (old, new) = (old_image(), new_image());
    (0..H.div_ceil(block))
        .map(|by| {
            (0..W.div_ceil(block))
                .map(|bx| {
                    let mut all_old = true;
                    let mut all_new = true;
                    for y in by * block..((by + 1) * block).min(H) {
                        for x in bx * block..((bx + 1) * block).min(W) {
                            let got = pixel(frame, x, y);
                            all_old &= got == pixel(&old, x, y);
                            all_new &= got == pixel(&new, x, y);
                        }
                    }
                    match (all_old, all_new) {
                        (true, false) => Some(false),
                        (false, true) => Some(true),
                        _ => None,
                    }
                })
                .collect()
        })
        .collect()
}

#[test]
fn diffuse_switches_exactly_the_blocks_ranked_below_the_progress() {
    let Some(gpu) = gpu() else { return };
    let mut renderer = loaded_renderer(gpu, TextureFormat::Rgba8Unorm);
    // 4-pixel blocks: 16 x 12 = 192 of them, enough for the share of new ones to be meaningful.
    let block = 4;
    let mut patterns = Vec::new();
    for seed in [1, 2, 3, SEED] {
        let mut previous: Option<Vec<Vec<Option<bool>>>> = None;
        for progress in [0.2, 0.5, 0.8] {
            let frame = frame_with(
                gpu,
                &mut renderer,
                "diffuse",
                progress,
                &[("block_px", "4")],
                seed,
            );
            let blocks = diffuse_blocks(&frame, block);
            let mut new = 0;
            for (by, row) in blocks.iter().enumerate() {
                for (bx, state) in row.iter().enumerate() {
                    // The shader's order is the documented hash, bit for bit.
                    let rank = unit_float(hash_cell(seed, bx as u32, by as u32));
                    let expected = rank < progress;
                    assert_eq!(
                        *state,
                        Some(expected),
                        "seed {seed} at {progress}: block ({bx}, {by}) of rank {rank}"
                    );
                    new += usize::from(expected);
                    // A block that has switched never switches back.
                    if let Some(previous) = &previous {
                        assert!(previous[by][bx] != Some(true) || expected);
                    }
                }
            }
            if progress == 0.5 {
                let share = new as f64 / 192.0;
                assert!(
                    (0.35..=0.65).contains(&share),
                    "seed {seed}: {share:.2} of the blocks are new at 0.5"
                );
                patterns.push(blocks.clone());
            }
            previous = Some(blocks);
        }
    }
    for (i, a) in patterns.iter().enumerate() {
        for b in &patterns[i + 1..] {
            assert_ne!(a, b, "two seeds switch the same blocks");
        }
    }
}

/// The W×H frame that shows `left` of width `split` and then `right` from their columns starting
/// at `left_from` / `right_from`, for checking slides and wipes column by column.
fn columns(left: &[u8], left_from: u32, right: &[u8], right_from: u32, split: u32) -> Vec<u8> {
    pixels(|x, y| {
        let (image, column) = if x < split {
            (left, left_from + x)
        } else {
            (right, right_from + x - split)
        };
        pixel(image, column, y).try_into().expect("4 bytes")
    })
}

/// The same with rows instead of columns.
fn rows(top: &[u8], top_from: u32, bottom: &[u8], bottom_from: u32, split: u32) -> Vec<u8> {
    pixels(|x, y| {
        let (image, row) = if y < split {
            (top, top_from + y)
        } else {
            (bottom, bottom_from + y - split)
        };
        pixel(image, x, row).try_into().expect("4 bytes")
    })
}

#[test]
fn slide_moves_both_images_by_whole_pixels_in_the_chosen_direction() {
    let Some(gpu) = gpu() else { return };
    let mut renderer = loaded_renderer(gpu, TextureFormat::Rgba8Unorm);
    let (old, new) = (old_image(), new_image());
    // At 0.25 the pictures have moved a quarter of the target.
    let (dx, dy) = (W / 4, H / 4);
    let cases = [
        // Moving left: the old image's right part, then the new image's left part.
        ("left", columns(&old, dx, &new, 0, W - dx)),
        ("right", columns(&new, W - dx, &old, 0, dx)),
        ("up", rows(&old, dy, &new, 0, H - dy)),
        ("down", rows(&new, H - dy, &old, 0, dy)),
    ];
    let mut frames = Vec::new();
    for (direction, expected) in &cases {
        let frame = frame_with(
            gpu,
            &mut renderer,
            "slide",
            0.25,
            &[("direction", direction)],
            SEED,
        );
        let (diff, at) = max_diff(&frame, expected);
        assert!(diff == 0, "slide {direction}: off by {diff} at {at:?}");
        frames.push(frame);
    }
    assert!(frames[0] != frames[1], "left and right slides are the same");
    // "random" is one of the four, fixed by the seed; across seeds more than one comes up.
    let mut picked = std::collections::HashSet::new();
    for seed in 0..16 {
        let frame = frame_with(
            gpu,
            &mut renderer,
            "slide",
            0.25,
            &[("direction", "random")],
            seed,
        );
        let index = frames
            .iter()
            .position(|f| *f == frame)
            .unwrap_or_else(|| panic!("seed {seed}: a random slide is none of the four"));
        picked.insert(index);
    }
    assert!(picked.len() > 1, "every seed picked the same direction");
}

#[test]
fn a_hard_wipe_reveals_the_new_image_behind_a_straight_edge() {
    let Some(gpu) = gpu() else { return };
    let mut renderer = loaded_renderer(gpu, TextureFormat::Rgba8Unorm);
    let (old, new) = (old_image(), new_image());
    let (dx, dy) = (W / 4, H / 4);
    // The images stay in place; only the edge moves.
    let cases = [
        ("left", columns(&old, 0, &new, W - dx, W - dx)),
        ("right", columns(&new, 0, &old, dx, dx)),
        ("up", rows(&old, 0, &new, H - dy, H - dy)),
        ("down", rows(&new, 0, &old, dy, dy)),
    ];
    for (direction, expected) in &cases {
        let frame = frame_with(
            gpu,
            &mut renderer,
            "wipe",
            0.25,
            &[("direction", direction), ("softness", "0")],
            SEED,
        );
        let (diff, at) = max_diff(&frame, expected);
        assert!(diff == 0, "wipe {direction}: off by {diff} at {at:?}");
    }
    // The diagonals start in their corner: at half way the starting corner is new and the
    // opposite one still old.
    for (direction, new_corner, old_corner) in [
        ("diagonal-down-right", (0, 0), (W - 1, H - 1)),
        ("diagonal-down-left", (W - 1, 0), (0, H - 1)),
    ] {
        let frame = frame_with(
            gpu,
            &mut renderer,
            "wipe",
            0.5,
            &[("direction", direction), ("softness", "0")],
            SEED,
        );
        let ((nx, ny), (ox, oy)) = (new_corner, old_corner);
        assert_eq!(pixel(&frame, nx, ny), pixel(&new, nx, ny), "{direction}");
        assert_eq!(pixel(&frame, ox, oy), pixel(&old, ox, oy), "{direction}");
    }
    // A soft edge blends a band around the edge instead.
    let soft = frame_with(
        gpu,
        &mut renderer,
        "wipe",
        0.5,
        &[("direction", "right"), ("softness", "16")],
        SEED,
    );
    let blended = (0..W)
        .filter(|x| {
            let got = pixel(&soft, *x, 0);
            got != pixel(&old, *x, 0) && got != pixel(&new, *x, 0)
        })
        .count();
    assert!(
        (10..=18).contains(&blended),
        "{blended} columns blended by a 16-px edge"
    );
}

#[test]
fn blinds_open_each_slat_from_its_edges() {
    let Some(gpu) = gpu() else { return };
    let mut renderer = loaded_renderer(gpu, TextureFormat::Rgba8Unorm);
    let (old, new) = (old_image(), new_image());
    // 6 horizontal slats of 8 rows; at half way the middle 4 rows of each slat are still old and
    // the 2 rows at either edge already new.
    let frame = frame_with(gpu, &mut renderer, "blinds", 0.5, &[("count", "6")], SEED);
    for slat in 0..6 {
        for (offset, expect_new) in [(0, true), (1, true), (2, false), (5, false), (6, true)] {
            let y = slat * 8 + offset;
            let image = if expect_new { &new } else { &old };
            for x in 0..W {
                assert_eq!(
                    pixel(&frame, x, y),
                    pixel(image, x, y),
                    "slat {slat} row {y}"
                );
            }
        }
    }
    let vertical = frame_with(
        gpu,
        &mut renderer,
        "blinds",
        0.5,
        &[("count", "8"), ("orientation", "vertical")],
        SEED,
    );
    // 8 vertical slats of 8 columns: column 0 of each is new, column 4 (the middle) old.
    for slat in 0..8 {
        for y in 0..H {
            assert_eq!(pixel(&vertical, slat * 8, y), pixel(&new, slat * 8, y));
            assert_eq!(
                pixel(&vertical, slat * 8 + 4, y),
                pixel(&old, slat * 8 + 4, y)
            );
        }
    }
}

#[test]
fn the_registry_lists_every_transition_tested_here() {
    // A new row needs its golden PNG (written on the first run) and, if it has a geometry of its
    // own, a test above; this list is the reminder.
    let keys: Vec<&str> = TRANSITIONS.iter().map(|t| t.key).collect();
    assert_eq!(keys, ["crossfade", "slide", "wipe", "diffuse", "blinds"]);
}
