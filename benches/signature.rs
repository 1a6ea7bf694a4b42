//! Signature validation cost: one 1 MP sample (1400 x 720, a looped signature in blue ink on
//! grainy paper, through JPEG and decoded once), measured from pixels to the report and the
//! normalised sample, on one thread.

use criterion::{Criterion, criterion_group, criterion_main};
use image::{Rgb, RgbImage};
use sapa_engine::signature::{self, normalise, sample::Sample, strokes::draw_polyline};
use sapa_engine::validate::{Lang, Profile};

fn sample() -> RgbImage {
    let (w, h) = (1400u32, 720u32);
    let mut seed = 12345u32;
    let mut img = RgbImage::from_fn(w, h, |_, _| {
        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let n = (seed >> 28) as u8;
        Rgb([240 - n, 238 - n, 230 - n])
    });
    let pts: Vec<(f32, f32, f32)> = (0..900)
        .map(|i| {
            let t = i as f32 / 60.0;
            let a = std::f32::consts::TAU * t;
            let x = 250.0 + 60.0 * t - 40.0 * a.cos();
            let y = 380.0 - 90.0 * (0.5 + 0.5 * a.sin()) * (1.0 + 0.3 * (t * 0.7).sin());
            (x, y, 2.4)
        })
        .collect();
    draw_polyline(&mut img, &pts, [40, 50, 140]);
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 85).encode_image(&img).unwrap();
    image::load_from_memory(&jpeg).unwrap().to_rgb8()
}

fn bench(c: &mut Criterion) {
    let img = sample();
    let profile = Profile::built_in("kz-id").unwrap();
    let v = signature::judge(&img, &profile, Lang::En, None);
    assert!(v.report.failed.is_empty(), "the bench sample is usable: {:?}", v.report.failed);
    c.bench_function("signature_judge_1mp", |b| b.iter(|| signature::judge(&img, &profile, Lang::En, None)));
    // The stages, so a change can be placed: measuring the sample, then the normalised image.
    c.bench_function("signature_measure_1mp", |b| b.iter(|| Sample::new(&img).ink_count));
    let s = Sample::new(&img);
    c.bench_function("signature_normalise_1mp", |b| b.iter(|| normalise::normalise(&s, &profile.signature)));
}

criterion_group!(benches, bench);
criterion_main!(benches);
