//! `idlewild bench images`: the image pipeline against its baselines, side by side in one run.
//!
//! 1. Decode + prescale of real photos to 1920×1080 fill, round-robin per round so noise hits
//!    all contenders alike: Idlewild's worker path (`prepare_file`: limits, DCT-domain JPEG
//!    scaling, SIMD resize, sharpening as configured by default), the naive `image` crate path
//!    (`image::open` + Lanczos3 resize-to-fill), and libvips' `vipsthumbnail` when installed
//!    (one process per round over all files, so its start-up is amortised; it writes `.v`
//!    files, its cheapest output).
//! 2. Peak RSS of a real image worker process prefetching from a 10,000-photo folder (symlinks
//!    to the real photos) with a small cache budget, against that budget.
//!
//! Paths are made absolute before anything else (`--source photos` works from any directory:
//! the links of part 2 live in a temporary folder and would otherwise point nowhere), every
//! path's output is read back, and no ratio is printed whose side decoded faster than the
//! hardware could write the output ([`super::sanity::ratio`]); such a run exits non-zero.

use super::sanity::{self, Timed, observe};
use anyhow::{Context, bail};
use idlewild_image::baseline::naive_fill;
use idlewild_image::prepare::prepare_file;
use idlewild_image::scan::{ScanEvent, ScanOptions, scan};
use idlewild_image::sources::ExtensionSet;
use idlewild_protocol::message::image::{ImageLimits, ScaleOptions};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const TARGET: (u32, u32) = (1920, 1080);
/// Bytes every contender writes per photo at least (RGBA at the target size; vips writes RGB,
/// three quarters of it, which only makes the plausibility check more lenient).
const OUT_BYTES: f64 = (TARGET.0 * TARGET.1 * 4) as f64;

/// Options of `bench images`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Folder of photos (searched recursively for jpg/png).
    pub source: PathBuf,
    /// Rounds over all photos.
    pub rounds: u32,
    /// Files in the RSS run's folder.
    pub files: u32,
    /// Seconds of prefetching in the RSS run.
    pub seconds: u32,
}

/// The JPEGs and PNGs under `dir`, sorted and absolute (they are linked to from elsewhere and
/// handed to worker processes), found by the image worker's own scanner (also used by `bench
/// frames`).
pub(crate) fn photos(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let dir =
        std::path::absolute(dir).with_context(|| format!("making {} absolute", dir.display()))?;
    let options = ScanOptions {
        roots: vec![dir],
        extensions: ExtensionSet::new(&["jpg".into(), "jpeg".into(), "png".into()])?,
        follow_symlinks: false,
    };
    let mut out = Vec::new();
    scan(&options, None, &mut |event| {
        if let ScanEvent::Batch(paths) = event {
            out.extend(paths);
        }
        ControlFlow::Continue(())
    });
    out.sort();
    Ok(out)
}

fn is_jpeg(p: &Path) -> bool {
    p.extension().is_some_and(|e| e.eq_ignore_ascii_case("jpg"))
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn vipsthumbnail() -> Option<PathBuf> {
    let out = Command::new("vipsthumbnail")
        .arg("--version")
        .output()
        .ok()?;
    out.status.success().then(|| PathBuf::from("vipsthumbnail"))
}

/// Runs both parts and prints the tables.
pub fn run(opts: &Options) -> anyhow::Result<()> {
    let source = std::path::absolute(&opts.source)
        .with_context(|| format!("making {} absolute", opts.source.display()))?;
    let all = photos(&source)?;
    if all.is_empty() {
        bail!(
            "no photos in {} (install Debian's mate-backgrounds, or pass --source DIR)",
            source.display()
        );
    }
    let profile = if cfg!(debug_assertions) {
        "debug (dependencies and worker crates at opt-level 2)"
    } else {
        "release"
    };
    println!(
        "idlewild bench images — build: {profile}; {} photos from {}, target {}x{} fill, {} rounds",
        all.len(),
        source.display(),
        TARGET.0,
        TARGET.1,
        opts.rounds
    );
    let refused = decode_part(&all, opts.rounds)?;
    println!();
    rss_part(&all, opts.files, opts.seconds)?;
    if refused > 0 {
        bail!("{refused} ratio(s) not reported: a path measured faster than the hardware can go");
    }
    Ok(())
}

/// `measured / baseline`, or why it is not reported (counted in `refused`).
fn ratio_text(measured: Timed, baseline: Timed, refused: &mut u32) -> String {
    match sanity::ratio(measured, baseline) {
        Ok(r) => format!("{r:.2}"),
        Err(e) => {
            *refused += 1;
            format!("[{e}]")
        }
    }
}

#[derive(Default)]
struct Times {
    ours: Vec<f64>,
    naive: Vec<f64>,
}

/// Returns how many ratios were refused as implausible.
fn decode_part(all: &[PathBuf], rounds: u32) -> anyhow::Result<u32> {
    let mut refused = 0;
    let opts = ScaleOptions::default();
    let limits = ImageLimits::default();
    let mut buf = Vec::new();
    let (mut jpeg, mut png) = (Times::default(), Times::default());
    let vips = vipsthumbnail();
    let vips_out = tempfile::tempdir()?;
    let jpegs: Vec<&PathBuf> = all.iter().filter(|p| is_jpeg(p)).collect();
    let (mut vips_rounds, mut vips_single) = (Vec::new(), Vec::new());
    let (mut ours_total, mut naive_total) = (0.0, 0.0);
    for _ in 0..rounds {
        for path in all {
            // Inputs through black_box and outputs read back (untimed), so neither path can be
            // hoisted or elided.
            let t = Instant::now();
            prepare_file(
                std::hint::black_box(path),
                TARGET,
                &opts,
                &limits,
                None,
                &mut buf,
            )
            .with_context(|| format!("idlewild path failed on {}", path.display()))?;
            let ours = t.elapsed().as_secs_f64() * 1e3;
            observe(&buf);
            let t = Instant::now();
            let naive = naive_fill(std::hint::black_box(path), TARGET.0, TARGET.1)
                .with_context(|| format!("naive path failed on {}", path.display()))?;
            let naive_ms = t.elapsed().as_secs_f64() * 1e3;
            observe(&naive);
            let times = if is_jpeg(path) { &mut jpeg } else { &mut png };
            times.ours.push(ours);
            times.naive.push(naive_ms);
            ours_total += ours;
            naive_total += naive_ms;
        }
        if let Some(vips) = &vips {
            // JPEGs only: the target the issue sets for vipsthumbnail is on JPEGs. Once with
            // its default thread pool, once with one thread (like one of our decode threads).
            for (threads, out) in [(None, &mut vips_rounds), (Some("1"), &mut vips_single)] {
                let mut cmd = Command::new(vips);
                if let Some(n) = threads {
                    cmd.env("VIPS_CONCURRENCY", n);
                }
                let t = Instant::now();
                let status = cmd
                    .args(jpegs.iter().map(|p| p.as_os_str()))
                    .args([
                        "--size",
                        &format!("{}x{}", TARGET.0, TARGET.1),
                        "--smartcrop",
                        "centre",
                    ])
                    .arg("-o")
                    .arg(vips_out.path().join("%s.v"))
                    .status()?;
                if !status.success() {
                    bail!("vipsthumbnail failed: {status}");
                }
                out.push(t.elapsed().as_secs_f64() * 1e3 / jpegs.len() as f64);
            }
        }
    }
    println!("decode + prescale, per photo (median over photos × rounds):");
    println!(
        "  {:<8} {:>6} {:>12} {:>12} {:>8}",
        "format", "photos", "idlewild", "naive", "ratio"
    );
    for (name, t) in [("jpeg", &jpeg), ("png", &png)] {
        if t.ours.is_empty() {
            continue;
        }
        let (o, n) = (median(t.ours.clone()), median(t.naive.clone()));
        let ratio = ratio_text(
            Timed::new(n * 1e6, OUT_BYTES),
            Timed::new(o * 1e6, OUT_BYTES),
            &mut refused,
        );
        println!(
            "  {name:<8} {:>6} {:>9.1} ms {:>9.1} ms {:>7}×",
            t.ours.len() / rounds as usize,
            o,
            n,
            ratio
        );
    }
    let decoded = all.len() as f64 * f64::from(rounds);
    println!(
        "  throughput, all photos: idlewild {:.1}/s, naive {:.1}/s ({}× faster)",
        decoded / (ours_total / 1e3),
        decoded / (naive_total / 1e3),
        ratio_text(
            Timed::new(naive_total * 1e6, decoded * OUT_BYTES),
            Timed::new(ours_total * 1e6, decoded * OUT_BYTES),
            &mut refused,
        )
    );
    let ours_jpeg_mean = jpeg.ours.iter().sum::<f64>() / jpeg.ours.len().max(1) as f64;
    match vips {
        Some(_) => {
            let (v, v1) = (median(vips_rounds), median(vips_single));
            let ours = Timed::new(ours_jpeg_mean * 1e6, OUT_BYTES);
            let (r, r1) = (
                ratio_text(Timed::new(v * 1e6, OUT_BYTES), ours, &mut refused),
                ratio_text(Timed::new(v1 * 1e6, OUT_BYTES), ours, &mut refused),
            );
            println!(
                "  JPEGs, mean per photo: idlewild (one thread) {ours_jpeg_mean:.1} ms; vipsthumbnail \
                 (one process per round over all JPEGs) {v:.1} ms with its default threads, {v1:.1} ms \
                 with one thread → vips/idlewild = {r} and {r1} (≥ 1: idlewild at least as fast)"
            );
        }
        None => println!(
            "  vipsthumbnail: not installed (apt-get install libvips-tools) — comparison skipped"
        ),
    }
    Ok(refused)
}

#[cfg(not(target_os = "linux"))]
fn rss_part(_all: &[PathBuf], _files: u32, _seconds: u32) -> anyhow::Result<()> {
    println!("worker peak RSS: measured from /proc, Linux only — skipped");
    Ok(())
}

#[cfg(target_os = "linux")]
fn rss_part(all: &[PathBuf], files: u32, seconds: u32) -> anyhow::Result<()> {
    super::worker_rss::run(all, files, seconds, TARGET)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn photos_of_a_relative_folder_come_back_absolute_and_existing() {
        let dir = tempfile::tempdir().unwrap();
        let png = image::RgbaImage::from_pixel(4, 4, image::Rgba([1, 2, 3, 255]));
        png.save(dir.path().join("one.png")).unwrap();
        std::fs::write(dir.path().join("notes.txt"), b"not a photo").unwrap();
        // The same folder named relative to the working directory.
        let cwd = std::env::current_dir().unwrap();
        let mut relative = PathBuf::new();
        for _ in cwd.components().skip(1) {
            relative.push("..");
        }
        let relative = relative.join(dir.path().strip_prefix("/").unwrap());
        assert!(relative.is_relative());

        let found = photos(&relative).unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].is_absolute(), "{found:?}");
        assert!(found[0].is_file(), "{found:?}");
        assert!(found[0].ends_with("one.png"));
    }
}
