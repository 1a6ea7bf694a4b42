//! Image intake: every accepted format decodes to upright RGB8, and every bad input is refused
//! with the right stable error code, cheaply and without panicking.

#[path = "intake/build.rs"]
mod build;

use build::{BLUE, GREEN, RED, Rng, WHITE, quadrants};
use image::{DynamicImage, GrayImage, ImageBuffer, Luma, Rgb, RgbImage, Rgba, RgbaImage};
use sapa_engine::image::{ColourKind, DecodeLimits, ImageFormat, decode, probe};
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn fixture(name: &str) -> Vec<u8> {
    let path: PathBuf = sapa_tests::workspace_root().join("fixtures").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn limits() -> DecodeLimits {
    DecodeLimits::default()
}

/// The error code `decode` gives for `bytes`, panicking if it succeeds.
fn decode_code(bytes: &[u8]) -> &'static str {
    match decode(bytes, &limits()) {
        Ok(d) => panic!("expected an error, decoded {:?}", d.source),
        Err(e) => e.code(),
    }
}

/// Asserts `actual` is within `tol` of `expected` in every channel (lossy codecs).
#[track_caller]
fn assert_near(actual: &Rgb<u8>, expected: [u8; 3], tol: u8) {
    let ok = actual.0.iter().zip(expected).all(|(a, e)| a.abs_diff(e) <= tol);
    assert!(ok, "pixel {:?}, expected {expected:?} ± {tol}", actual.0);
}

/// Checks the four quadrant colours of a `quadrants` image, sampled inside each quadrant.
#[track_caller]
fn assert_quadrants(img: &RgbImage, tol: u8) {
    let (w, h) = img.dimensions();
    assert_near(img.get_pixel(w / 4, h / 4), RED, tol);
    assert_near(img.get_pixel(3 * w / 4, h / 4), GREEN, tol);
    assert_near(img.get_pixel(w / 4, 3 * h / 4), BLUE, tol);
    assert_near(img.get_pixel(3 * w / 4, 3 * h / 4), WHITE, tol);
}

// ------------------------------------------------------------------------------------------
// Bad inputs

#[test]
fn empty_input_is_refused() {
    assert_eq!(decode_code(&[]), "empty_input");
    assert_eq!(probe(&[], &limits()).unwrap_err().code(), "empty_input");
}

#[test]
fn text_and_random_bytes_are_unsupported() {
    assert_eq!(decode_code(b"Hello, this is not an image at all.\n"), "unsupported_format");
    let noise = Rng::new(7).bytes(4096);
    assert_eq!(decode_code(&noise), "unsupported_format");
    assert_eq!(decode_code(&[0xFF]), "unsupported_format");
}

#[test]
fn other_image_formats_are_unsupported() {
    let img = DynamicImage::ImageRgb8(quadrants(64, 48));
    for format in [image::ImageFormat::Bmp, image::ImageFormat::Tiff] {
        let bytes = build::encode(&img, format);
        assert_eq!(decode_code(&bytes), "unsupported_format", "{format:?}");
    }
    assert_eq!(decode_code(b"GIF89a\x40\x00\x30\x00\x00\x00\x00;"), "unsupported_format");
}

#[test]
fn truncated_jpeg_is_corrupt() {
    let jpeg = build::jpeg(&quadrants(256, 192));
    let half = &jpeg[..jpeg.len() / 2];
    assert_eq!(decode_code(half), "corrupt_image");
    // The header is intact, so a probe still answers: it never looks at the pixels.
    let info = probe(half, &limits()).expect("probe reads only the header");
    assert_eq!((info.width, info.height), (256, 192));
}

#[test]
fn truncated_png_webp_jpeg2000_are_corrupt() {
    let img = DynamicImage::ImageRgb8(quadrants(256, 192));
    let png = build::png(img.clone());
    let webp = build::encode(&img, image::ImageFormat::WebP);
    for bytes in [png, webp, fixture("intake/quadrants.jp2"), fixture("intake/quadrants.j2k")] {
        assert_eq!(decode_code(&bytes[..bytes.len() / 2]), "corrupt_image");
    }
}

#[test]
fn jpeg_family_must_reach_its_end_marker() {
    // The JPEG and JPEG 2000 decoders would fill a cut-off image with grey; intake refuses it
    // even when only the final end marker is missing. (A PNG or WebP missing only its last
    // trailer byte still has every pixel, and is accepted.)
    let jpeg = build::jpeg(&quadrants(64, 48));
    let inputs = [jpeg, fixture("intake/quadrants.jp2"), fixture("intake/quadrants.j2k")];
    for bytes in inputs {
        assert!(decode(&bytes, &limits()).is_ok());
        assert_eq!(decode_code(&bytes[..bytes.len() - 1]), "corrupt_image");
    }
}

#[test]
fn truncated_headers_are_corrupt() {
    let jpeg = build::jpeg(&quadrants(64, 48));
    let png = build::png(DynamicImage::ImageRgb8(quadrants(64, 48)));
    for bytes in [&jpeg[..20], &png[..20], &fixture("intake/quadrants.jp2")[..40]] {
        assert_eq!(decode_code(bytes), "corrupt_image");
    }
}

#[test]
fn huge_png_header_is_refused_before_decoding() {
    let bomb = build::png_header_only(60_000, 60_000);
    let start = Instant::now();
    assert_eq!(decode_code(&bomb), "image_too_large");
    assert_eq!(probe(&bomb, &limits()).unwrap_err().code(), "image_too_large");
    // A wide strip is as refused as a big square: each side is limited too.
    assert_eq!(decode_code(&build::png_header_only(60_000, 100)), "image_too_large");
    assert!(start.elapsed() < Duration::from_millis(200), "took {:?}", start.elapsed());
}

#[test]
fn huge_jpeg_and_jpeg2000_headers_are_refused() {
    // JPEG: rewrite the SOF0 frame size to 65000 x 65000.
    let mut jpeg = build::jpeg(&quadrants(64, 48));
    let sof = jpeg.windows(2).position(|w| w == [0xFF, 0xC0]).expect("SOF0");
    jpeg[sof + 5..sof + 9].copy_from_slice(&[0xFD, 0xE8, 0xFD, 0xE8]);
    assert_eq!(decode_code(&jpeg), "image_too_large");
    // Raw J2K SIZ after SOC, SIZ, Lsiz, Rsiz: Xsiz, Ysiz, XOsiz, YOsiz, XTsiz, YTsiz (u32 each).
    let mut j2k = fixture("intake/quadrants.j2k");
    let huge = 60_000u32.to_be_bytes();
    for field in [0, 1, 4, 5] {
        j2k[8 + 4 * field..12 + 4 * field].copy_from_slice(&huge); // one 60000² tile
    }
    assert_eq!(decode_code(&j2k), "image_too_large");
    // A grid of ~880 000 tiles (the spec allows 65 535) is refused as corrupt, not decoded.
    j2k[24..32].copy_from_slice(&[0, 0, 0, 64, 0, 0, 0, 64]);
    assert_eq!(decode_code(&j2k), "corrupt_image");
}

#[test]
fn too_many_bytes_is_too_large() {
    let png = build::png(DynamicImage::ImageRgb8(quadrants(64, 48)));
    let tight = DecodeLimits { max_bytes: png.len() - 1, ..limits() };
    assert_eq!(decode(&png, &tight).unwrap_err().code(), "image_too_large");
}

#[test]
fn tiny_image_is_too_small() {
    let png = build::png(DynamicImage::ImageRgb8(quadrants(10, 10)));
    assert_eq!(decode_code(&png), "image_too_small");
    let jpeg = build::jpeg(&quadrants(10, 10));
    assert_eq!(decode_code(&jpeg), "image_too_small");
}

// ------------------------------------------------------------------------------------------
// Good inputs

#[test]
fn rgb_jpeg_png_webp_decode() {
    let img = quadrants(64, 48);
    let cases = [
        (build::jpeg(&img), ImageFormat::Jpeg, 12),
        (build::png(DynamicImage::ImageRgb8(img.clone())), ImageFormat::Png, 0),
        (
            build::encode(&DynamicImage::ImageRgb8(img.clone()), image::ImageFormat::WebP),
            ImageFormat::Webp,
            0,
        ),
    ];
    for (bytes, format, tol) in cases {
        let d = decode(&bytes, &limits()).unwrap_or_else(|e| panic!("{format:?}: {e}"));
        assert_eq!(d.source.format, format);
        assert_eq!((d.source.width, d.source.height), (64, 48));
        assert_eq!((d.source.colour, d.source.bits_per_channel), (ColourKind::Rgb, 8));
        assert_eq!(d.source.exif_orientation, 1);
        assert_quadrants(&d.rgb, tol);
        assert_eq!(probe(&bytes, &limits()).unwrap(), d.source);
    }
}

#[test]
fn exif_orientation_6_rotates_clockwise() {
    let jpeg = build::with_exif_orientation(&build::jpeg(&quadrants(64, 48)), 6);
    let d = decode(&jpeg, &limits()).expect("decode");
    assert_eq!(d.source.exif_orientation, 6);
    assert_eq!((d.source.width, d.source.height), (48, 64));
    assert_eq!((d.source.orig_width, d.source.orig_height), (64, 48));
    assert_eq!(d.rgb.dimensions(), (48, 64));
    // Turned 90° clockwise: the stored top-left (red) is now top-right, bottom-left (blue)
    // now top-left, top-right (green) now bottom-right.
    assert_near(d.rgb.get_pixel(44, 4), RED, 12);
    assert_near(d.rgb.get_pixel(4, 4), BLUE, 12);
    assert_near(d.rgb.get_pixel(44, 60), GREEN, 12);
    assert_near(d.rgb.get_pixel(4, 60), WHITE, 12);
}

#[test]
fn grayscale_is_reported_as_gray() {
    let gray = GrayImage::from_fn(40, 40, |x, _| Luma([if x < 20 { 30 } else { 200 }]));
    let png = build::png(DynamicImage::ImageLuma8(gray.clone()));
    let jpeg = build::encode(&DynamicImage::ImageLuma8(gray), image::ImageFormat::Jpeg);
    for (bytes, tol) in [(png, 0), (jpeg, 6)] {
        let d = decode(&bytes, &limits()).expect("decode");
        assert_eq!(d.source.colour, ColourKind::Gray);
        assert_near(d.rgb.get_pixel(5, 5), [30; 3], tol);
        assert_near(d.rgb.get_pixel(35, 5), [200; 3], tol);
    }
}

#[test]
fn sixteen_bit_png_is_scaled_to_eight() {
    let img: ImageBuffer<Rgb<u16>, Vec<u16>> =
        ImageBuffer::from_fn(40, 40, |x, _| Rgb(if x < 20 { [65535, 0, 257 * 100] } else { [0; 3] }));
    let d = decode(&build::png(DynamicImage::ImageRgb16(img)), &limits()).expect("decode");
    assert_eq!((d.source.colour, d.source.bits_per_channel), (ColourKind::Rgb, 16));
    assert_eq!(d.rgb.get_pixel(5, 5).0, [255, 0, 100]);
    assert_eq!(d.rgb.get_pixel(35, 5).0, [0, 0, 0]);
}

#[test]
fn transparency_is_composited_onto_white() {
    let img = RgbaImage::from_fn(40, 40, |x, _| match x {
        0..10 => Rgba([0, 0, 0, 0]),    // fully transparent black
        10..20 => Rgba([0, 0, 0, 128]), // half-transparent black
        _ => Rgba([200, 10, 20, 255]),  // opaque colour
    });
    let d = decode(&build::png(DynamicImage::ImageRgba8(img)), &limits()).expect("decode");
    assert_eq!(d.source.colour, ColourKind::Rgba);
    assert_eq!(d.rgb.get_pixel(5, 5).0, WHITE);
    assert_near(d.rgb.get_pixel(15, 5), [127; 3], 1);
    assert_eq!(d.rgb.get_pixel(30, 5).0, [200, 10, 20]);

    let gray_alpha = ImageBuffer::from_fn(40, 40, |x, _| image::LumaA([0u8, if x < 20 { 0 } else { 255 }]));
    let d = decode(&build::png(DynamicImage::ImageLumaA8(gray_alpha)), &limits()).expect("decode");
    assert_eq!(d.source.colour, ColourKind::GrayAlpha);
    assert_eq!((d.rgb.get_pixel(5, 5).0, d.rgb.get_pixel(35, 5).0), (WHITE, [0; 3]));
}

#[test]
fn cmyk_jpeg_converts_to_rgb() {
    // Made with Pillow (Adobe APP14, inverted CMYK): cyan, magenta / yellow, no ink.
    let d = decode(&fixture("intake/quadrants_cmyk.jpg"), &limits()).expect("decode");
    assert_eq!((d.source.format, d.source.colour), (ImageFormat::Jpeg, ColourKind::Cmyk));
    assert_eq!(d.rgb.dimensions(), (64, 48));
    assert_near(d.rgb.get_pixel(8, 8), [0, 255, 255], 12);
    assert_near(d.rgb.get_pixel(56, 8), [255, 0, 255], 12);
    assert_near(d.rgb.get_pixel(8, 40), [255, 255, 0], 12);
    assert_near(d.rgb.get_pixel(56, 40), WHITE, 12);
}

#[test]
fn jpeg2000_jp2_and_raw_codestream_decode() {
    for name in ["intake/quadrants.jp2", "intake/quadrants.j2k"] {
        let bytes = fixture(name);
        let info = probe(&bytes, &limits()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(info.format, ImageFormat::Jpeg2000);
        assert_eq!((info.width, info.height, info.colour), (64, 48, ColourKind::Rgb));
        let d = decode(&bytes, &limits()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(d.source, info);
        assert_quadrants(&d.rgb, 2);
    }
}

#[test]
fn astronaut_photo_decodes() {
    let d = decode(&fixture("astronaut.png"), &limits()).expect("decode");
    assert_eq!((d.source.format, d.source.colour), (ImageFormat::Png, ColourKind::Rgb));
    assert_eq!(d.rgb.dimensions(), (512, 512));
    let json = serde_json::to_value(&d.source).unwrap();
    assert_eq!(json["format"], "png");
    assert_eq!(json["colour"], "rgb");
}

// ------------------------------------------------------------------------------------------
// Robustness

/// Counts panics raised on this test's thread, even ones the engine catches internally, so
/// the fuzz test fails if any decoder panics on its input.
fn count_panics_on_this_thread() -> std::sync::Arc<std::sync::atomic::AtomicUsize> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let count = std::sync::Arc::new(AtomicUsize::new(0));
    let (mine, previous) = (std::thread::current().id(), std::panic::take_hook());
    let seen = count.clone();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().id() == mine {
            seen.fetch_add(1, Ordering::SeqCst);
        }
        previous(info);
    }));
    count
}

#[test]
fn fuzzed_inputs_never_panic() {
    let panics = count_panics_on_this_thread();
    // Small limits keep a corrupted size field from making one case slow.
    let limits = DecodeLimits { max_side: 1024, max_pixels: 1 << 20, min_side: 1, ..limits() };
    let img = quadrants(64, 48);
    let rgba = RgbaImage::from_fn(40, 40, |x, y| Rgba([x as u8 * 6, y as u8 * 6, 90, (x + y) as u8]));
    let seeds: Vec<Vec<u8>> = vec![
        build::jpeg(&img),
        build::with_exif_orientation(&build::jpeg(&img), 6),
        build::png(DynamicImage::ImageRgb8(img.clone())),
        build::png(DynamicImage::ImageRgba8(rgba)),
        build::encode(&DynamicImage::ImageRgb8(img.clone()), image::ImageFormat::WebP),
        fixture("intake/quadrants.jp2"),
        fixture("intake/quadrants.j2k"),
        fixture("intake/quadrants_cmyk.jpg"),
    ];
    // SAPA_FUZZ_ROUNDS=20000 for a longer hunt; the default keeps the test well under a second.
    let rounds: usize = std::env::var("SAPA_FUZZ_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(300);
    let seed = std::env::var("SAPA_FUZZ_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(0x5A9A);
    let mut rng = Rng::new(seed);
    let mut outcomes = std::collections::BTreeMap::<&str, usize>::new();
    let mut run = |bytes: &[u8]| {
        let _ = probe(bytes, &limits);
        let code = match decode(bytes, &limits) {
            Ok(d) => {
                assert_eq!(d.rgb.dimensions(), (d.source.width, d.source.height));
                "ok"
            }
            Err(e) => e.code(),
        };
        *outcomes.entry(code).or_default() += 1;
    };
    for seed in &seeds {
        for _ in 0..rounds {
            run(&seed[..rng.below(seed.len())]); // truncation
            let mut ended = seed[..rng.below(seed.len())].to_vec(); // truncation, end marker kept
            ended.extend_from_slice(&[0xFF, 0xD9]); // so the decoders see cut-off data
            run(&ended);
            let mut flipped = seed.clone();
            for _ in 0..1 + rng.below(8) {
                let at = rng.below(flipped.len());
                flipped[at] ^= 1 << rng.below(8); // bit flips
            }
            run(&flipped);
            let mut spliced = seed[..rng.below(seed.len())].to_vec(); // valid prefix, noise after
            let noise = rng.below(512);
            spliced.extend(rng.bytes(noise));
            run(&spliced);
        }
    }
    for _ in 0..rounds * 7 {
        let len = rng.below(600);
        run(&rng.bytes(len));
    }
    eprintln!("fuzz outcomes: {outcomes:?}");
    assert_eq!(panics.load(std::sync::atomic::Ordering::SeqCst), 0, "a decoder panicked");
}

/// A textured photo-like JPEG: smooth gradients with noise, so its scan is long and dense.
fn textured_jpeg() -> Vec<u8> {
    let mut rng = Rng::new(7);
    let img = RgbImage::from_fn(320, 240, |x, y| {
        let n = rng.below(40) as u8;
        Rgb([(x / 2) as u8 + n, (y / 2) as u8 + n, ((x + y) / 4) as u8 + n])
    });
    build::jpeg(&img)
}

/// Corrupted entropy-coded data that the strict decoder can tell is broken is refused as
/// `corrupt_image`; the lenient decoder `image` runs would have decoded it into smeared pixels
/// and had it judged as a photo.
#[test]
fn a_jpeg_with_a_broken_scan_is_refused_as_corrupt() {
    let clean = textured_jpeg();
    assert!(decode(&clean, &limits()).is_ok());
    let sos = clean.windows(2).position(|w| w == [0xFF, 0xDA]).unwrap();
    let (start, end) = (sos + 64, clean.len() - 2);
    let mut rng = Rng::new(11);
    let mut refused = 0;
    for _ in 0..20 {
        let mut bytes = clean.clone();
        for _ in 0..8 {
            let i = start + rng.below(end - start);
            bytes[i] ^= 0x5A;
        }
        let lenient = image::load_from_memory_with_format(&bytes, image::ImageFormat::Jpeg).is_ok();
        match decode(&bytes, &limits()) {
            Err(e) if lenient => {
                assert_eq!(e.code(), "corrupt_image");
                refused += 1;
            }
            _ => {}
        }
    }
    assert!(refused >= 3, "only {refused} of 20 broken scans refused");
}

/// Strict decoding refuses no real photo: every JPEG of the shared sets decodes.
#[test]
fn strict_jpeg_decoding_refuses_no_real_photo() {
    let dirs: Vec<PathBuf> =
        [sapa_tests::faces_dir(), sapa_tests::calibration_dir()].into_iter().flatten().collect();
    let mut n = 0;
    for dir in dirs {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
                n += 1;
                let big = DecodeLimits {
                    max_pixels: 200_000_000,
                    max_side: 30_000,
                    max_bytes: 200 << 20,
                    ..limits()
                };
                if let Err(e) = decode(&bytes, &big) {
                    panic!("{}: {e}", path.display());
                }
            }
        }
    }
    println!("{n} JPEGs decoded");
}
