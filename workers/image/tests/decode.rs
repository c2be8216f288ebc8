//! Decoding as a specification: every format and orientation comes out upright with the right
//! colours, and hostile and broken files are refused with the right reason, without hanging
//! or allocating. (The real photos go through the whole worker path in `tests/scale.rs`.)

mod fixtures;

use fixtures::*;
use idlewild_image::ImageError;
use idlewild_image::decode::{DecodeRequest, Decoded, decode_bytes, decode_file};
use idlewild_protocol::message::image::ImageLimits;
use std::time::{Duration, Instant};

fn decode(bytes: &[u8]) -> Result<Decoded, ImageError> {
    decode_bytes(bytes, &DecodeRequest::default())
}

/// Checks a decoded image shows the upright quadrant pattern, sampling each quadrant's centre.
fn assert_quadrants(d: &Decoded, tol: u8, what: &str) {
    let (w, h) = (d.width, d.height);
    for (qx, qy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
        let (x, y) = (w / 4 + qx * w / 2, h / 4 + qy * h / 2);
        let want = QUADRANTS[(qy * 2 + qx) as usize];
        assert_rgb_close(
            pixel(&d.rgba, w, x, y),
            want,
            tol,
            &format!("{what} at ({x}, {y})"),
        );
    }
    assert!(
        d.rgba.chunks_exact(4).all(|p| p[3] == 255),
        "{what}: not opaque"
    );
}

#[test]
fn every_exif_orientation_comes_out_upright() {
    let (w, h) = (96, 64);
    for o in 1..=8u16 {
        let d = decode(&oriented_quadrant_jpeg(o, w, h)).unwrap();
        assert_eq!((d.width, d.height), (w, h), "orientation {o}: size");
        assert_eq!(
            (d.source_width, d.source_height),
            (w, h),
            "orientation {o}: source size"
        );
        assert_quadrants(&d, 24, &format!("orientation {o}"));
    }
}

#[test]
fn the_dct_hint_is_taken_in_upright_terms() {
    // Stored 256×128 turned right: upright 128×256. A 32×64 upright hint allows 1/4 (stored
    // 64×32); read in stored terms it would only allow 1/2.
    let (w, h) = (128, 256);
    let jpeg = oriented_quadrant_jpeg(6, w, h);
    let req = DecodeRequest {
        hint: Some((32, 64)),
        ..Default::default()
    };
    let d = decode_bytes(&jpeg, &req).unwrap();
    assert_eq!((d.width, d.height), (32, 64));
    assert_eq!((d.source_width, d.source_height), (128, 256));
    assert_quadrants(&d, 24, "orientation 6 at 1/4");

    // The largest reduction that still covers the hint in both axes.
    let upright = jpeg_rgb(&quadrant_rgb(400, 200), 400, 200);
    for (hint, size) in [
        ((50, 25), (50, 25)),
        ((51, 25), (100, 50)),
        ((100, 60), (200, 100)),
        ((300, 10), (400, 200)),
    ] {
        let req = DecodeRequest {
            hint: Some(hint),
            ..Default::default()
        };
        let d = decode_bytes(&upright, &req).unwrap();
        assert_eq!((d.width, d.height), size, "hint {hint:?}");
        assert_quadrants(&d, 24, &format!("hint {hint:?}"));
    }
}

#[test]
fn exif_title_and_capture_date() {
    let base = jpeg_rgb(&quadrant_rgb(32, 32), 32, 32);
    let with = |f: ExifFields<'_>| {
        decode(&with_app1_exif(&base, &exif_block(&f)))
            .unwrap()
            .meta
    };

    let m = with(ExifFields {
        description: Some("  Dunes at dawn  "),
        date_time: Some("2020:01:01 00:00:00"),
        date_time_original: Some("2019:07:04 18:30:05"),
        ..Default::default()
    });
    assert_eq!(m.title.as_deref(), Some("Dunes at dawn"));
    assert_eq!(
        m.taken.as_deref(),
        Some("2019-07-04 18:30:05"),
        "DateTimeOriginal wins"
    );

    let m = with(ExifFields {
        description: Some("          "),
        date_time: Some("2020:02:03 04:05:06"),
        ..Default::default()
    });
    assert_eq!(m.title, None, "blank description");
    assert_eq!(
        m.taken.as_deref(),
        Some("2020-02-03 04:05:06"),
        "falls back to DateTime"
    );

    let m = with(ExifFields {
        description: Some("OLYMPUS DIGITAL CAMERA"),
        date_time_original: Some("0000:00:00 00:00:00"),
        ..Default::default()
    });
    assert_eq!(
        (m.title, m.taken),
        (None, None),
        "camera boilerplate and a zero date"
    );

    assert_eq!(
        decode(&base).unwrap().meta,
        Default::default(),
        "no EXIF at all"
    );
    // A broken EXIF block loses the metadata, never the photo.
    let broken = with_app1_exif(&base, b"II\x2a\x00\xff\xff\xff\xff");
    assert_quadrants(&decode(&broken).unwrap(), 24, "broken EXIF");
}

#[test]
fn cmyk_and_ycck_jpegs_have_the_right_colours() {
    for kind in [CmykKind::Adobe, CmykKind::AdobeYcck, CmykKind::Plain] {
        let d = decode(&cmyk_jpeg(kind, 64, 64)).unwrap();
        for (q, (_, want)) in CMYK_QUADRANTS.iter().enumerate() {
            let (x, y) = (16 + (q as u32 % 2) * 32, 16 + (q as u32 / 2) * 32);
            assert_rgb_close(
                pixel(&d.rgba, 64, x, y),
                *want,
                10,
                &format!("{kind:?} quadrant {q}"),
            );
        }
    }
}

#[test]
fn grayscale_progressive_and_subsampled_jpegs() {
    let luma: Vec<u8> = (0..64 * 48)
        .map(|i| if i % 64 < 32 { 40 } else { 200 })
        .collect();
    let gray = jpeg(
        &luma,
        64,
        48,
        jpeg_encoder::ColorType::Luma,
        95,
        false,
        false,
    );
    let d = decode(&gray).unwrap();
    assert_rgb_close(pixel(&d.rgba, 64, 10, 20), [40; 3], 4, "gray left");
    assert_rgb_close(pixel(&d.rgba, 64, 50, 20), [200; 3], 4, "gray right");
    // Grayscale at a DCT scale goes through the other decoder: same result.
    let req = DecodeRequest {
        hint: Some((32, 24)),
        ..Default::default()
    };
    let d = decode_bytes(&gray, &req).unwrap();
    assert_eq!((d.width, d.height), (32, 24));
    assert_rgb_close(pixel(&d.rgba, 32, 5, 10), [40; 3], 6, "gray 1/2 left");

    let rgb = quadrant_rgb(96, 64);
    let progressive = jpeg(&rgb, 96, 64, jpeg_encoder::ColorType::Rgb, 95, true, false);
    assert_quadrants(&decode(&progressive).unwrap(), 24, "progressive");
    let subsampled = jpeg(&rgb, 96, 64, jpeg_encoder::ColorType::Rgb, 95, false, true);
    assert_quadrants(&decode(&subsampled).unwrap(), 24, "4:2:0");
    let req = DecodeRequest {
        hint: Some((24, 16)),
        ..Default::default()
    };
    assert_quadrants(
        &decode_bytes(&subsampled, &req).unwrap(),
        24,
        "4:2:0 at 1/4",
    );
}

#[test]
fn pngs_of_every_kind() {
    let (w, h) = (96, 64);
    let rgb = quadrant_rgb(w, h);
    assert_quadrants(&decode(&png_rgb(&rgb, w, h)).unwrap(), 0, "RGB8 PNG");

    // 16-bit: each sample v becomes v·257 (so the 8-bit value is exact).
    let rgb16: Vec<u8> = rgb
        .iter()
        .flat_map(|&v| (u16::from(v) * 257).to_be_bytes())
        .collect();
    let png16 = png(
        w,
        h,
        png::ColorType::Rgb,
        png::BitDepth::Sixteen,
        &rgb16,
        None,
        None,
    );
    assert_quadrants(&decode(&png16).unwrap(), 0, "RGB16 PNG");

    let gray: Vec<u8> = (0..w * h).map(|i| (i % w) as u8).collect();
    let d = decode(&png(
        w,
        h,
        png::ColorType::Grayscale,
        png::BitDepth::Eight,
        &gray,
        None,
        None,
    ))
    .unwrap();
    assert_eq!(pixel(&d.rgba, w, 77, 3), [77, 77, 77, 255], "gray PNG");

    // Palette with a half-transparent entry: composited over black.
    let plte = [255, 0, 0, 0, 0, 255];
    let trns = [255, 128];
    let idx: Vec<u8> = (0..w * h).map(|i| u8::from(i % w >= w / 2)).collect();
    let d = decode(&png(
        w,
        h,
        png::ColorType::Indexed,
        png::BitDepth::Eight,
        &idx,
        Some((&plte, Some(&trns))),
        None,
    ))
    .unwrap();
    assert_eq!(
        pixel(&d.rgba, w, 10, 10),
        [255, 0, 0, 255],
        "opaque palette entry"
    );
    assert_rgb_close(
        pixel(&d.rgba, w, 80, 10),
        [0, 0, 128],
        1,
        "half-transparent palette entry",
    );

    // Gray + alpha, 16-bit RGBA: transparency over black, output opaque.
    let ga: Vec<u8> = (0..w * h).flat_map(|_| [200, 64]).collect();
    let d = decode(&png(
        w,
        h,
        png::ColorType::GrayscaleAlpha,
        png::BitDepth::Eight,
        &ga,
        None,
        None,
    ))
    .unwrap();
    assert_rgb_close(pixel(&d.rgba, w, 5, 5), [50, 50, 50], 1, "gray+alpha");
    let rgba16: Vec<u8> = (0..w * h)
        .flat_map(|_| {
            [0xFFFFu16, 0x8080, 0, 0x8080]
                .into_iter()
                .flat_map(u16::to_be_bytes)
        })
        .collect();
    let d = decode(&png(
        w,
        h,
        png::ColorType::Rgba,
        png::BitDepth::Sixteen,
        &rgba16,
        None,
        None,
    ))
    .unwrap();
    assert_rgb_close(
        pixel(&d.rgba, w, 5, 5),
        [128, 64, 0],
        1,
        "RGBA16 half transparent",
    );
    assert!(d.rgba.chunks_exact(4).all(|p| p[3] == 255));

    // EXIF orientation in a PNG eXIf chunk.
    let (stored, sw, sh) = stored_for_orientation(&rgb, w, h, 6);
    let tiff = exif_block(&ExifFields {
        orientation: Some(6),
        ..Default::default()
    });
    let rotated = png(
        sw,
        sh,
        png::ColorType::Rgb,
        png::BitDepth::Eight,
        &stored,
        None,
        Some(&tiff),
    );
    let d = decode(&rotated).unwrap();
    assert_eq!(
        (d.width, d.height, d.source_width, d.source_height),
        (w, h, w, h)
    );
    assert_quadrants(&d, 0, "PNG with eXIf orientation 6");
}

#[test]
fn gif_webp_bmp_tiff() {
    let d = decode(&gif_two_frames(40, 30, [200, 30, 30], [30, 30, 200])).unwrap();
    assert_eq!((d.width, d.height), (40, 30));
    assert_rgb_close(
        pixel(&d.rgba, 40, 20, 15),
        [200, 30, 30],
        8,
        "GIF shows its first frame",
    );

    let (w, h) = (96, 64);
    let rgb = quadrant_rgb(w, h);
    let rgba: Vec<u8> = rgb
        .chunks_exact(3)
        .flat_map(|p| [p[0], p[1], p[2], 255])
        .collect();
    use image::{ExtendedColorType as C, ImageFormat as F};
    for (format, data, color) in [
        (F::WebP, &rgba, C::Rgba8),
        (F::Bmp, &rgb, C::Rgb8),
        (F::Tiff, &rgb, C::Rgb8),
    ] {
        let d = decode(&encode_with_image(data, w, h, color, format)).unwrap();
        assert_quadrants(&d, 0, &format!("{format:?}"));
    }
}

#[test]
fn truncated_files_are_corrupt_never_half_grey() {
    let jpeg = jpeg_rgb(&quadrant_rgb(96, 64), 96, 64);
    let progressive = jpeg_encoder_progressive(&quadrant_rgb(96, 64));
    for (what, bytes) in [("baseline", &jpeg), ("progressive", &progressive)] {
        for cut in [bytes.len() / 2, bytes.len() * 9 / 10, bytes.len() - 2] {
            match decode(&bytes[..cut]) {
                Err(ImageError::Corrupt(_)) => {}
                other => panic!("{what} JPEG cut at {cut}/{}: {other:?}", bytes.len()),
            }
        }
    }
    let png = png_rgb(&quadrant_rgb(96, 64), 96, 64);
    let iend = png.len() - 12;
    for cut in [40, png.len() / 2, iend, png.len() - 1] {
        match decode(&png[..cut]) {
            Err(ImageError::Corrupt(_)) => {}
            other => panic!("PNG cut at {cut}/{}: {other:?}", png.len()),
        }
    }
}

fn jpeg_encoder_progressive(rgb: &[u8]) -> Vec<u8> {
    jpeg(rgb, 96, 64, jpeg_encoder::ColorType::Rgb, 90, true, true)
}

#[test]
fn files_that_are_not_images() {
    let dir = tempfile::tempdir().unwrap();
    let req = DecodeRequest::default();

    let empty = write(dir.path(), "empty.jpg", b"");
    assert!(matches!(decode_file(&empty, &req), Err(ImageError::Empty)));
    assert!(matches!(decode_bytes(b"", &req), Err(ImageError::Empty)));

    let text = write(
        dir.path(),
        "notes.jpg",
        b"BM these are my notes, not a photo\n",
    );
    assert!(matches!(
        decode_file(&text, &req),
        Err(ImageError::Unsupported(_))
    ));

    let folder = dir.path().join("x.jpg");
    std::fs::create_dir(&folder).unwrap();
    assert!(matches!(
        decode_file(&folder, &req),
        Err(ImageError::Unsupported(_))
    ));

    assert!(matches!(
        decode_file(&dir.path().join("missing.jpg"), &req),
        Err(ImageError::Io(_))
    ));

    // The content decides, not the name: a PNG called .jpg decodes.
    let png = write(
        dir.path(),
        "really-a-png.jpg",
        &png_rgb(&quadrant_rgb(8, 8), 8, 8),
    );
    assert_eq!(decode_file(&png, &req).unwrap().width, 8);
}

#[cfg(unix)]
#[test]
fn a_fifo_named_like_a_photo_does_not_block() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("y.jpg");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success(), "mkfifo");
    // On a thread, so a regression fails the test instead of hanging it.
    let (tx, rx) = std::sync::mpsc::channel();
    let path = fifo.clone();
    std::thread::spawn(move || {
        let _ = tx.send(decode_file(&path, &DecodeRequest::default()).map(|_| ()));
    });
    match rx.recv_timeout(Duration::from_secs(5)) {
        Ok(Err(ImageError::Unsupported(_))) => {}
        Ok(other) => panic!("FIFO: {other:?}"),
        Err(_) => panic!("decoding a FIFO blocked"),
    }
}

#[test]
fn size_pixel_and_memory_limits() {
    let dir = tempfile::tempdir().unwrap();
    let jpeg = jpeg_rgb(&quadrant_rgb(96, 64), 96, 64);
    let path = write(dir.path(), "photo.jpg", &jpeg);
    let small = DecodeRequest {
        limits: ImageLimits {
            max_file_bytes: 100,
            ..Default::default()
        },
        ..Default::default()
    };
    match decode_file(&path, &small) {
        Err(ImageError::FileTooLarge { bytes, limit: 100 }) => assert_eq!(bytes, jpeg.len() as u64),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        decode_bytes(&jpeg, &small),
        Err(ImageError::FileTooLarge { .. })
    ));

    // A header claiming 100000×100000 is refused from the header alone, at once.
    let bomb = png_claiming(100_000, 100_000);
    let started = Instant::now();
    match decode(&bomb) {
        Err(ImageError::TooManyPixels {
            width: 100_000,
            height: 100_000,
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    assert!(
        started.elapsed() < Duration::from_millis(100),
        "bomb took {:?}",
        started.elapsed()
    );
    // The same for a JPEG whose frame header claims 65535×65535.
    let mut jpeg_bomb = jpeg.clone();
    let sof = jpeg_bomb
        .windows(2)
        .position(|m| m == [0xFF, 0xC0])
        .unwrap();
    jpeg_bomb[sof + 5..sof + 9].copy_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF]);
    assert!(matches!(
        decode(&jpeg_bomb),
        Err(ImageError::TooManyPixels { .. })
    ));

    let few_pixels = DecodeRequest {
        limits: ImageLimits {
            max_pixels: 1000,
            ..Default::default()
        },
        ..Default::default()
    };
    assert!(matches!(
        decode_bytes(&jpeg, &few_pixels),
        Err(ImageError::TooManyPixels { .. })
    ));

    let little_memory = DecodeRequest {
        limits: ImageLimits {
            max_decoded_bytes: 10_000,
            ..Default::default()
        },
        ..Default::default()
    };
    assert!(matches!(
        decode_bytes(&jpeg, &little_memory),
        Err(ImageError::TooMuchMemory { .. })
    ));
    let png = png_rgb(&quadrant_rgb(96, 64), 96, 64);
    assert!(matches!(
        decode_bytes(&png, &little_memory),
        Err(ImageError::TooMuchMemory { .. })
    ));
}

#[test]
fn a_passed_deadline_is_too_slow() {
    let jpeg = jpeg_rgb(&quadrant_rgb(96, 64), 96, 64);
    let req = DecodeRequest {
        deadline: Some(Instant::now()),
        limits: ImageLimits {
            time_budget_ms: 1234,
            ..Default::default()
        },
        ..Default::default()
    };
    assert!(matches!(
        decode_bytes(&jpeg, &req),
        Err(ImageError::TooSlow { budget_ms: 1234 })
    ));
}

#[test]
fn garbage_after_a_valid_start_never_panics() {
    // Flip bytes all over a valid JPEG and PNG: any error is fine, a panic or a hang is not.
    let jpeg = jpeg_rgb(&quadrant_rgb(64, 48), 64, 48);
    let png = png_rgb(&quadrant_rgb(64, 48), 64, 48);
    let mut rng = 0x1234_5678u32;
    for base in [&jpeg, &png] {
        for _ in 0..60 {
            let mut b = base.clone();
            for _ in 0..8 {
                rng ^= rng << 13;
                rng ^= rng >> 17;
                rng ^= rng << 5;
                let i = rng as usize % b.len();
                b[i] = (rng >> 24) as u8;
            }
            if let Ok(d) = decode(&b) {
                assert_eq!(d.rgba.len(), (d.width * d.height * 4) as usize);
            }
        }
    }
}
