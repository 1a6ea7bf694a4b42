//! Per-stage timings on the committed portrait at 1 MP, for each backend built in: every model
//! the validation and the template run, with the pre-processing around it (letterbox, warp, tensor
//! packing), plus decode by size, the template comparison and the model-free frame rotation.
//! Run: `cargo bench -p sapa-benches --bench stages` (add `--features ort` with ORT_DYLIB_PATH set).

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use sapa_benches::{analyzer, backends, jpeg, models_dir, portrait_of_side, recognizer};
use sapa_engine::align::five_points;
use sapa_engine::image::warp::{Affine, warp_affine};
use sapa_engine::image::{DecodeLimits, SourceInfo, decode};
use sapa_engine::models::load_model;
use sapa_engine::quality::expression::ExpressionModel;
use sapa_engine::quality::frame_rotation::frame_rotation_deg;
use sapa_engine::quality::segmentation::Segmenter;
use sapa_engine::validate::Profile;
use std::hint::black_box;
use std::time::Duration;

fn decode_bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("decode_jpeg");
    let limits = DecodeLimits::default();
    for side in [512u32, 1024, 2048] {
        let bytes = jpeg(&portrait_of_side(side));
        g.bench_with_input(BenchmarkId::from_parameter(format!("{side}x{side}")), &bytes, |b, bytes| {
            b.iter(|| decode(black_box(bytes), &limits).expect("decode"))
        });
    }
    g.finish();
}

fn stage_bench(c: &mut Criterion) {
    let img = portrait_of_side(1024);
    let source = SourceInfo::for_pixels(&img);
    let profile = Profile::built_in("kz-id").expect("kz-id");
    for kind in backends() {
        let a = analyzer(kind);
        let det = a.detect(&img).expect("detect")[0];
        let analysis = a.analyze(&img, source.clone()).expect("analyze");
        let lm = analysis.faces[0].landmarks.as_ref().expect("meshed");
        let backend = a.backend().clone();
        let segmenter =
            Segmenter::new(load_model(&models_dir(), Segmenter::MODEL_ID, &backend).expect("seg"));
        let expression = ExpressionModel::new(
            load_model(&models_dir(), ExpressionModel::MODEL_ID, &backend).expect("fer"),
        );
        let rec = recognizer(kind);
        let points = five_points(&lm.mesh, &lm.measures);
        let chip = rec.model().align(&img, &points).expect("aligned");

        let mut g = c.benchmark_group(format!("stages_{kind}"));
        g.bench_function("detect", |b| b.iter(|| a.detect(black_box(&img)).expect("detect")));
        g.bench_function("detect_edge_pass", |b| {
            b.iter(|| {
                a.detect_padded(
                    black_box(&img),
                    profile.faces.edge_pass_fill,
                    profile.faces.edge_pass_min_score,
                )
                .expect("edge pass")
            })
        });
        g.bench_function("mesh_and_iris", |b| b.iter(|| a.mesh(black_box(&img), &det).expect("mesh")));
        g.bench_function("pose_net", |b| b.iter(|| a.pose_net(black_box(&img), &det).expect("pose")));
        g.bench_function("analyze_1mp", |b| {
            b.iter(|| a.analyze(black_box(&img), source.clone()).expect("analyze"))
        });
        g.bench_function("segmentation", |b| b.iter(|| segmenter.run(black_box(&img)).expect("seg")));
        g.bench_function("expression", |b| b.iter(|| expression.run(black_box(&img), &det).expect("fer")));
        g.bench_function("align_recognition_crop", |b| {
            b.iter(|| rec.model().align(black_box(&img), &points).expect("aligned"))
        });
        g.bench_function("embedding", |b| b.iter(|| rec.embed_chip(black_box(&chip)).expect("embed")));
        g.bench_function("template_from_analysis", |b| {
            b.iter(|| rec.template_of_main_face(black_box(&img), &analysis).expect("template"))
        });
        g.finish();
    }
}

/// The `tilted` check's frame rotation on 1 MP: the upright portrait, the portrait turned 7 deg
/// with black corners, and a flat white frame (every border run goes to the depth cap: the worst
/// case).
fn frame_rotation_bench(c: &mut Criterion) {
    let img = portrait_of_side(1024);
    let turned = warp_affine(&img, &Affine::rotation_about(-7.0, 512.0, 512.0), 1024, 1024, [0, 0, 0]);
    let flat = image::RgbImage::from_pixel(1024, 1024, image::Rgb([240, 240, 240]));
    let mut g = c.benchmark_group("frame_rotation");
    for (name, img) in [("upright_1mp", &img), ("turned_1mp", &turned), ("flat_1mp", &flat)] {
        g.bench_function(name, |b| b.iter(|| frame_rotation_deg(black_box(img))));
    }
    g.finish();
}

fn compare_bench(c: &mut Criterion) {
    let img = portrait_of_side(1024);
    let a = analyzer(backends()[0]);
    let analysis = a.analyze(&img, SourceInfo::for_pixels(&img)).expect("analyze");
    let rec = recognizer(backends()[0]);
    let t = rec.template_of_main_face(&img, &analysis).expect("template");
    let mirrored = image::imageops::flip_horizontal(&img);
    let analysis_m = a.analyze(&mirrored, SourceInfo::for_pixels(&mirrored)).expect("analyze");
    let u = rec.template_of_main_face(&mirrored, &analysis_m).expect("template");
    let bytes = t.to_bytes();
    let mut g = c.benchmark_group("template");
    g.bench_function("compare", |b| b.iter(|| black_box(&t).similarity(black_box(&u)).expect("same model")));
    g.bench_function("decode_and_compare", |b| {
        b.iter(|| {
            sapa_engine::Template::from_bytes(black_box(&bytes)).expect("valid").similarity(&u).expect("same")
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = decode_bench, stage_bench, compare_bench, frame_rotation_bench
}
criterion_main!(benches);
