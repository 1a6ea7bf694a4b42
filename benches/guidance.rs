//! Kiosk guidance cost: one 640 x 480 camera frame (the committed portrait's head and shoulders,
//! centred, the sides filled with its edge colour), judged by the guidance fast path under the
//! `kiosk` profile, for each backend built in. Issue #18 asks for at most 50 ms p95 on one ort core.
//! Run: `cargo bench -p sapa-benches --features ort --bench guidance` (ORT_DYLIB_PATH set).

use criterion::{Criterion, criterion_group, criterion_main};
use image::RgbImage;
use sapa_benches::{backends, portrait, validator};
use sapa_engine::guidance::guide;
use sapa_engine::image::SourceInfo;
use sapa_engine::validate::{Lang, Profile};
use std::hint::black_box;
use std::time::Duration;

/// A 640 x 480 kiosk frame made from the portrait (no one's real capture).
fn kiosk_frame() -> RgbImage {
    let a = portrait();
    let head = image::imageops::crop_imm(&a, 76, 0, 360, 360).to_image();
    let scaled = image::imageops::resize(&head, 480, 480, image::imageops::FilterType::Triangle);
    let mut out = RgbImage::from_pixel(640, 480, *a.get_pixel(256, 2));
    image::imageops::replace(&mut out, &scaled, 80, 0);
    out
}

fn bench(c: &mut Criterion) {
    let frame = kiosk_frame();
    let source = SourceInfo::for_pixels(&frame);
    let profile = Profile::built_in("kiosk").expect("kiosk");
    for kind in backends() {
        let v = validator(kind);
        let g = guide(&v, &frame, source.clone(), &profile, Lang::En).expect("guidance");
        assert!(g.face.is_some(), "the bench frame has a face");
        c.bench_function(&format!("guidance_640x480_{kind}"), |b| {
            b.iter(|| guide(&v, black_box(&frame), source.clone(), &profile, Lang::En).expect("guidance"))
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(60).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(6));
    targets = bench
}
criterion_main!(benches);
