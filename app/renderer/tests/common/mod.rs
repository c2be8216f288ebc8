//! Helpers shared by the renderer's GPU test binaries: the shared device, the two test images,
//! rendering one frame, pixel comparisons and golden PNGs.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use idlewild_renderer::{AdapterInfo, FrameState, Renderer, Slot, offscreen};

pub const W: u32 = 64;
pub const H: u32 = 48;

pub struct Gpu {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub info: AdapterInfo,
}

/// The shared device, or `None` (skipped, in every test that asks) when this machine has no
/// adapter and the lavapipe probe says the software driver is not installed either. No adapter
/// although lavapipe is installed fails the test: the probe, not the error's words, decides.
/// One device serves every test in a binary; creating it is the slow part. (`scripts/test.sh`
/// gives the run a private 0700 `XDG_RUNTIME_DIR`, so Mesa does not warn; the tests never change
/// the environment themselves.)
pub fn gpu() -> Option<&'static Gpu> {
    static GPU: OnceLock<Result<Gpu, String>> = OnceLock::new();
    let gpu = GPU.get_or_init(|| match offscreen::device() {
        Ok((device, queue, info)) => {
            eprintln!(
                "adapter: {} ({:?}, {:?}), driver {} {}",
                info.name, info.backend, info.device_type, info.driver, info.driver_info
            );
            Ok(Gpu {
                device,
                queue,
                info,
            })
        }
        Err(error) => match idlewild_testkit::probe::lavapipe() {
            Err(missing) => Err(format!("no wgpu adapter ({error}), and {missing}")),
            Ok(lvp) => panic!(
                "no wgpu adapter although lavapipe is installed ({}): {error}",
                lvp.icd.display()
            ),
        },
    });
    match gpu {
        Ok(gpu) => Some(gpu),
        Err(why) => {
            idlewild_testkit::skip(why);
            None
        }
    }
}

/// A smooth gradient with an XOR texture, so misplaced rows or columns show up.
pub fn old_image() -> Vec<u8> {
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
pub fn new_image() -> Vec<u8> {
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

/// A W×H image from a per-pixel function.
pub fn pixels(f: impl Fn(u32, u32) -> [u8; 4]) -> Vec<u8> {
    (0..H)
        .flat_map(|y| (0..W).map(move |x| (x, y)))
        .flat_map(|(x, y)| f(x, y))
        .collect()
}

/// The RGBA bytes of pixel `(x, y)` of a W×H frame.
pub fn pixel(frame: &[u8], x: u32, y: u32) -> &[u8] {
    let at = ((y * W + x) * 4) as usize;
    &frame[at..at + 4]
}

/// A renderer on a plain (non-sRGB) W×H target, where frames come back byte for byte.
pub fn plain_renderer(gpu: &Gpu) -> Renderer {
    Renderer::new(
        &gpu.device,
        &gpu.queue,
        wgpu::TextureFormat::Rgba8Unorm,
        (W, H),
    )
    .expect("renderer builds")
}

/// A renderer for `format` with the old image current and the new one next.
pub fn loaded_renderer(gpu: &Gpu, format: wgpu::TextureFormat) -> Renderer {
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

/// Draws `state` and reads the W×H frame back.
pub fn render(gpu: &Gpu, renderer: &mut Renderer, state: &FrameState) -> Vec<u8> {
    renderer.update(state);
    offscreen::render_to_rgba(renderer, &gpu.device, &gpu.queue, (W, H)).expect("frame reads back")
}

/// The largest per-channel difference of two W-wide frames, and the first pixel where it occurs.
pub fn max_diff(a: &[u8], b: &[u8]) -> (u8, (u32, u32)) {
    max_diff_w(a, b, W)
}

/// The largest per-channel difference of two frames `width` wide, and where.
pub fn max_diff_w(a: &[u8], b: &[u8], width: u32) -> (u8, (u32, u32)) {
    assert_eq!(a.len(), b.len(), "frames differ in size");
    let mut worst = (0, (0, 0));
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        let d = x.abs_diff(*y);
        if d > worst.0 {
            let pixel = (i / 4) as u32;
            worst = (d, (pixel % width, pixel / width));
        }
    }
    worst
}

/// The mean absolute difference per channel.
pub fn mean_diff(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len(), "frames differ in size");
    let sum: u64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    sum as f64 / a.len() as f64
}

/// The golden image `tests/golden/<name>.png`.
pub fn golden_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{name}.png"))
}

/// Compares `frame` with the golden image `name` allowing `tolerance` per channel.
///
/// A missing golden is written from this run and the test fails, asking for a look at it. With
/// `IDLEWILD_BLESS=1` a missing or differing golden is rewritten and the test passes (after
/// checking the new image by eye); goldens that still match are left alone, so blessing does
/// not churn files whose pixels did not change.
pub fn check_golden(gpu: &Gpu, name: &str, frame: &[u8], tolerance: u8) {
    let path = golden_path(name);
    let bless = std::env::var_os("IDLEWILD_BLESS").is_some_and(|v| v == "1");
    if !path.exists() {
        write_png(&path, frame);
        assert!(
            bless,
            "golden image {} was missing and has been written from this run ({}); inspect it \
             and commit it",
            path.display(),
            gpu.info.name
        );
        return;
    }
    let (diff, at) = max_diff(frame, &read_png(&path));
    if diff > tolerance && bless {
        write_png(&path, frame);
        eprintln!("blessed {} (was off by {diff} at {at:?})", path.display());
        return;
    }
    assert!(
        diff <= tolerance,
        "{name} differs from {} by {diff} (tolerance {tolerance}) at {at:?}",
        path.display()
    );
}

pub fn write_png(path: &Path, rgba: &[u8]) {
    let file = std::fs::File::create(path).expect("golden file can be created");
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), W, H);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().expect("png header");
    writer.write_image_data(rgba).expect("png data");
}

pub fn read_png(path: &Path) -> Vec<u8> {
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
