//! Golden tests for the renderer on a real wgpu adapter (Vulkan lavapipe on machines without a
//! GPU): exact end points, the midpoint average, a reference PNG, and input validation.
//!
//! One device is shared by every test in this binary; creating it is the slow part.

use std::path::Path;
use std::sync::OnceLock;

use idlewild_renderer::{
    AdapterInfo, FrameState, RenderError, Renderer, Slot, TransitionId, offscreen,
};

const W: u32 = 64;
const H: u32 = 48;
/// Largest per-channel difference the golden comparison accepts: GPUs may round a blend of two
/// 8-bit values either way, and different drivers differ by a step or two.
const GOLDEN_TOLERANCE: u8 = 2;
const GOLDEN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/golden/crossfade_0.5.png"
);

struct Gpu {
    device: wgpu::Device,
    queue: wgpu::Queue,
    info: AdapterInfo,
}

/// The shared device, or `None` (after a loud message) when this machine has no adapter at all.
/// (`scripts/test.sh` gives the run a private 0700 `XDG_RUNTIME_DIR`, so Mesa does not warn; the
/// tests never change the environment themselves.)
fn gpu() -> Option<&'static Gpu> {
    static GPU: OnceLock<Option<Gpu>> = OnceLock::new();
    let gpu = GPU.get_or_init(|| match offscreen::device() {
        Ok((device, queue, info)) => {
            eprintln!(
                "adapter: {} ({:?}, {:?}), driver {} {}",
                info.name, info.backend, info.device_type, info.driver, info.driver_info
            );
            Some(Gpu {
                device,
                queue,
                info,
            })
        }
        Err(error) => {
            eprintln!("SKIPPED: no wgpu adapter (install mesa-vulkan-drivers): {error}");
            None
        }
    });
    if gpu.is_none() {
        eprintln!("SKIPPED: no wgpu adapter (install mesa-vulkan-drivers)");
    }
    gpu.as_ref()
}

/// A smooth gradient with an XOR texture, so misplaced rows or columns show up.
fn old_image() -> Vec<u8> {
    pixels(|x, y| {
        [
            (x * 4) as u8,
            (y * 5) as u8,
            (((x ^ y) * 4) & 0xff) as u8,
            255,
        ]
    })
}

/// An 8-pixel checkerboard with a diagonal stripe: hard edges that any filtering would blur.
fn new_image() -> Vec<u8> {
    pixels(|x, y| {
        if x.abs_diff(y) < 3 {
            [255, 255, 255, 255]
        } else if (x / 8 + y / 8) % 2 == 0 {
            [200, 40, 90, 255]
        } else {
            [30, 180, 220, 255]
        }
    })
}

fn pixels(f: impl Fn(u32, u32) -> [u8; 4]) -> Vec<u8> {
    (0..H)
        .flat_map(|y| (0..W).map(move |x| (x, y)))
        .flat_map(|(x, y)| f(x, y))
        .collect()
}

/// A renderer for `format` with the old image current and the new one next.
fn loaded_renderer(gpu: &Gpu, format: wgpu::TextureFormat) -> Renderer {
    let mut renderer =
        Renderer::new(&gpu.device, &gpu.queue, format, (W, H)).expect("renderer builds");
    renderer
        .set_image(&gpu.queue, Slot::Current, &old_image(), W, H)
        .expect("old image uploads");
    renderer
        .set_image(&gpu.queue, Slot::Next, &new_image(), W, H)
        .expect("new image uploads");
    renderer
}

fn crossfade_at(gpu: &Gpu, renderer: &mut Renderer, progress: f32) -> Vec<u8> {
    renderer.update(&FrameState {
        transition: TransitionId::CROSSFADE,
        progress,
        seed: 7,
    });
    offscreen::render_to_rgba(renderer, &gpu.device, &gpu.queue, (W, H)).expect("frame reads back")
}

/// The largest per-channel difference, and the first pixel where it occurs.
fn max_diff(a: &[u8], b: &[u8]) -> (u8, (u32, u32)) {
    assert_eq!(a.len(), b.len(), "frames differ in size");
    let mut worst = (0, (0, 0));
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        let d = x.abs_diff(*y);
        if d > worst.0 {
            let pixel = (i / 4) as u32;
            worst = (d, (pixel % W, pixel / W));
        }
    }
    worst
}

/// A renderer on a plain (non-sRGB) W×H target, where frames come back byte for byte.
fn plain_renderer(gpu: &Gpu) -> Renderer {
    Renderer::new(
        &gpu.device,
        &gpu.queue,
        wgpu::TextureFormat::Rgba8Unorm,
        (W, H),
    )
    .expect("renderer builds")
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
    let path = Path::new(GOLDEN);
    if !path.exists() {
        write_png(path, &frame);
        panic!(
            "golden image {GOLDEN} was missing and has been written from this run ({}); \
             inspect it and commit it",
            gpu.info.name
        );
    }
    let (diff, at) = max_diff(&frame, &read_png(path));
    assert!(
        diff <= GOLDEN_TOLERANCE,
        "crossfade at 0.5 differs from {GOLDEN} by {diff} (tolerance {GOLDEN_TOLERANCE}) at {at:?}"
    );
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

fn write_png(path: &Path, rgba: &[u8]) {
    let file = std::fs::File::create(path).expect("golden file can be created");
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), W, H);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().expect("png header");
    writer.write_image_data(rgba).expect("png data");
}

fn read_png(path: &Path) -> Vec<u8> {
    let file = std::fs::File::open(path).expect("golden file opens");
    let mut reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .expect("golden is a PNG");
    let mut buf = vec![
        0;
        reader
            .output_buffer_size()
            .expect("golden size fits in memory")
    ];
    let info = reader.next_frame(&mut buf).expect("golden decodes");
    assert_eq!(
        (info.width, info.height, info.color_type, info.bit_depth),
        (W, H, png::ColorType::Rgba, png::BitDepth::Eight),
        "golden image has the wrong shape"
    );
    buf.truncate(info.buffer_size());
    buf
}
