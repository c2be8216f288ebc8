//! `idlewild snapshot` through the real binary: real photos prepared by the image worker's path,
//! the real renderer on whatever adapter exists (lavapipe here), a PNG on disk.
//!
//! The photos are probed up front. A run that finds no adapter is known by its exit status
//! (`Exit::NoGraphics`), never by words in its message, and is a skip only when the lavapipe
//! probe says the software driver is missing too (a machine with a real GPU needs no lavapipe).

use idlewild::exit::Exit;
use idlewild_image::prepare::prepare_file;
use idlewild_protocol::message::image::{ImageLimits, ScaleOptions};
use idlewild_testkit::{probe, require, skip};
use std::path::Path;
use std::process::Command;

const A: &str = "/usr/share/backgrounds/mate/nature/Garden.jpg";
const B: &str = "/usr/share/backgrounds/mate/nature/Aqua.jpg";
const SIZE: (u32, u32) = (160, 90);

/// Runs a crossfade snapshot; `None` (skipped) when the run exits with an environmental status
/// (no adapter).
fn snapshot(progress: &str, out: &Path) -> Option<Vec<u8>> {
    snapshot_of("crossfade", progress, out)
}

/// Runs the snapshot of `transition` (default options, seed 0).
fn snapshot_of(transition: &str, progress: &str, out: &Path) -> Option<Vec<u8>> {
    snapshot_with(transition, progress, &[], out)
}

/// Runs the snapshot of `transition` with `extra` arguments (`--param`, `--seed`).
fn snapshot_with(transition: &str, progress: &str, extra: &[&str], out: &Path) -> Option<Vec<u8>> {
    let output = Command::new(env!("CARGO_BIN_EXE_idlewild"))
        .args(["snapshot", "--from", A, "--to", B, "--progress", progress])
        .args(["--transition", transition])
        .args(extra)
        .args(["--size", &format!("{}x{}", SIZE.0, SIZE.1), "--out"])
        .arg(out)
        .output()
        .expect("run idlewild");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let exit = output.status.code().and_then(Exit::from_code);
    if exit.is_some_and(Exit::is_environmental) {
        match probe::lavapipe() {
            Err(missing) => {
                skip(format!(
                    "idlewild snapshot exited with {} ({exit:?}), and {missing}",
                    output.status
                ));
                return None;
            }
            Ok(lvp) => panic!(
                "idlewild snapshot found no adapter ({}, {exit:?}) although lavapipe is \
                 installed ({}): {stderr}",
                output.status,
                lvp.icd.display()
            ),
        }
    }
    assert!(
        output.status.success(),
        "snapshot failed ({}, {exit:?}): {stderr}",
        output.status
    );
    let png = image::open(out).expect("a PNG").to_rgba8();
    assert_eq!(png.dimensions(), SIZE);
    Some(png.into_raw())
}

fn prepared(path: &str) -> Vec<u8> {
    let mut out = Vec::new();
    prepare_file(
        Path::new(path),
        SIZE,
        &ScaleOptions::default(),
        &ImageLimits::default(),
        None,
        &mut out,
    )
    .expect("prepare");
    out
}

/// A test's photos prepared at [`SIZE`] and the PNG path `out` in a temporary folder.
struct Fixture {
    _dir: tempfile::TempDir,
    out: std::path::PathBuf,
    a: Vec<u8>,
    b: Vec<u8>,
}

/// `None` (skipped) when the photos are not installed.
fn fixture(name: &str) -> Option<Fixture> {
    let name_of = |p: &'static str| p.rsplit('/').next().unwrap_or(p);
    require(probe::photos(&[name_of(A), name_of(B)]))?;
    let dir = tempfile::tempdir().unwrap();
    Some(Fixture {
        out: dir.path().join(name),
        _dir: dir,
        a: prepared(A),
        b: prepared(B),
    })
}

#[test]
fn snapshot_renders_the_transition_between_the_prepared_photos() {
    let Some(Fixture { _dir, out, a, b }) = fixture("frame.png") else {
        return;
    };
    assert_ne!(a, b);
    let Some(start) = snapshot("0", &out) else {
        return;
    };
    assert!(start == a, "progress 0 is exactly the first photo's frame");
    let end = snapshot("1", &out).expect("adapter");
    assert!(end == b, "progress 1 is exactly the second photo's frame");
    let mid = snapshot("0.5", &out).expect("adapter");
    let worst = mid
        .iter()
        .zip(a.iter().zip(&b))
        .map(|(m, (x, y))| (i32::from(*m) - (i32::from(*x) + i32::from(*y)) / 2).abs())
        .max()
        .unwrap_or(0);
    assert!(
        worst <= 1,
        "crossfade at 0.5 is the average (worst {worst})"
    );
}

/// The frame of a half-way slide in each of the four directions (left, right, up, down):
/// `a` pushed out by `b`, both moved by half the frame.
fn half_slides(a: &[u8], b: &[u8]) -> [Vec<u8>; 4] {
    let (w, h) = SIZE;
    let at = |image: &[u8], x: u32, y: u32| {
        let i = ((y * w + x) * 4) as usize;
        image[i..i + 4].to_vec()
    };
    let frame = |f: &dyn Fn(u32, u32) -> Vec<u8>| -> Vec<u8> {
        (0..h)
            .flat_map(|y| (0..w).flat_map(move |x| f(x, y)))
            .collect()
    };
    let (dx, dy) = (w / 2, h.div_ceil(2));
    [
        frame(&|x, y| {
            if x < w - dx {
                at(a, x + dx, y)
            } else {
                at(b, x + dx - w, y)
            }
        }),
        frame(&|x, y| {
            if x >= dx {
                at(a, x - dx, y)
            } else {
                at(b, x + w - dx, y)
            }
        }),
        frame(&|x, y| {
            if y < h - dy {
                at(a, x, y + dy)
            } else {
                at(b, x, y + dy - h)
            }
        }),
        frame(&|x, y| {
            if y >= dy {
                at(a, x, y - dy)
            } else {
                at(b, x, y + h - dy)
            }
        }),
    ]
}

#[test]
fn snapshot_renders_a_slide_with_its_default_options() {
    let Some(Fixture { _dir, out, a, b }) = fixture("slide.png") else {
        return;
    };
    let Some(start) = snapshot_of("slide", "0", &out) else {
        return;
    };
    assert!(start == a, "progress 0 is exactly the first photo's frame");
    assert!(
        snapshot_of("slide", "1", &out).expect("adapter") == b,
        "progress 1 is exactly the second photo's frame"
    );
    // The default direction is picked from the seed (0 for a snapshot): whichever it is, half way
    // shows exact halves of both photos, moved by whole pixels.
    let mid = snapshot_of("slide", "0.5", &out).expect("adapter");
    assert!(
        half_slides(&a, &b).contains(&mid),
        "slide at 0.5 is not half of each photo"
    );
}

/// `--param direction=…` picks each slide direction: half way is exactly the matching half of
/// each photo. A key or value the transition does not have is refused with the keys it has.
#[test]
fn snapshot_params_choose_the_slide_direction_and_bad_ones_are_refused() {
    let Some(Fixture { _dir, out, a, b }) = fixture("slide.png") else {
        return;
    };
    let expected = half_slides(&a, &b);
    for (direction, want) in ["left", "right", "up", "down"].iter().zip(&expected) {
        let param = format!("direction={direction}");
        let Some(mid) = snapshot_with("slide", "0.5", &["--param", &param], &out) else {
            return;
        };
        assert!(
            &mid == want,
            "slide {direction} at 0.5 is not that half of each photo"
        );
    }
    for (param, says) in [
        ("speed=3", "has no option `speed` (it has: direction)"),
        (
            "direction=sideways",
            "`sideways` is not a value of option `direction`",
        ),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_idlewild"))
            .args(["snapshot", "--from", A, "--to", B, "--transition", "slide"])
            .args(["--param", param, "--out"])
            .arg(&out)
            .output()
            .expect("run idlewild");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{param} accepted");
        assert!(stderr.contains(says), "{param}: {stderr}");
    }
}
