//! Per-stage timings of the analysis pipeline on the committed portrait, for each backend built in.
//! Run: `cargo bench -p sapa-benches --bench stages` (add `--features ort` with ORT_DYLIB_PATH set).

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use image::{DynamicImage, RgbImage, imageops::FilterType};
use sapa_engine::image::{DecodeLimits, SourceInfo, decode};
use sapa_engine::runtime::{Backend, BackendKind, BackendOptions};
use sapa_engine::{Analyzer, AnalyzerConfig};
use std::hint::black_box;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn portrait() -> RgbImage {
    image::open(root().join("fixtures/astronaut.png")).expect("fixtures/astronaut.png").to_rgb8()
}

/// The portrait scaled to `side` x `side` and JPEG-encoded at quality 90.
fn jpeg_of_side(side: u32) -> Vec<u8> {
    let img = DynamicImage::ImageRgb8(portrait()).resize_exact(side, side, FilterType::Triangle);
    let mut out = Vec::new();
    let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90);
    img.write_with_encoder(enc).expect("encode");
    out
}

fn backends() -> Vec<BackendKind> {
    let mut v = vec![BackendKind::Tract];
    if cfg!(feature = "ort") {
        v.push(BackendKind::Ort);
    }
    v
}

fn analyzer(kind: BackendKind) -> Analyzer {
    let backend = Backend::new(BackendOptions { kind, intra_threads: 1 }).expect("backend");
    Analyzer::load(&root().join("models"), backend, AnalyzerConfig::default()).expect("models")
}

fn decode_bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("decode_jpeg");
    let limits = DecodeLimits::default();
    for side in [512u32, 1024, 2048] {
        let bytes = jpeg_of_side(side);
        g.bench_with_input(BenchmarkId::from_parameter(format!("{side}x{side}")), &bytes, |b, bytes| {
            b.iter(|| decode(black_box(bytes), &limits).expect("decode"))
        });
    }
    g.finish();
}

fn stage_bench(c: &mut Criterion) {
    let img = DynamicImage::ImageRgb8(portrait()).resize_exact(1024, 1024, FilterType::Triangle).to_rgb8();
    let source = SourceInfo::for_pixels(&img);
    for kind in backends() {
        let a = analyzer(kind);
        let det = a.detect(&img).expect("detect")[0];
        let mut g = c.benchmark_group(format!("stages_{kind}"));
        g.bench_function("detect", |b| b.iter(|| a.detect(black_box(&img)).expect("detect")));
        g.bench_function("mesh_and_iris", |b| b.iter(|| a.mesh(black_box(&img), &det).expect("mesh")));
        g.bench_function("pose_net", |b| b.iter(|| a.pose_net(black_box(&img), &det).expect("pose")));
        g.bench_function("analyze_1mp", |b| {
            b.iter(|| a.analyze(black_box(&img), source.clone()).expect("analyze"))
        });
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(4));
    targets = decode_bench, stage_bench
}
criterion_main!(benches);
