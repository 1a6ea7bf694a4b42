//! The validator's check groups on a prepared context, and the end-to-end jobs: validation of a
//! JPEG, validation plus template (what `sapa batch` does per photo), and verification of two
//! photos, on the committed portrait at 1 MP and, when present, a real ~1 MP shared photo.
//! Run: `cargo bench -p sapa-benches --bench pipeline` (add `--features ort` with ORT_DYLIB_PATH set).

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use sapa_benches::{backends, models_dir, photos, portrait_of_side, recognizer, validator};
use sapa_engine::image::SourceInfo;
use sapa_engine::models::load_model;
use sapa_engine::quality::blendshapes::BlendshapeModel;
use sapa_engine::quality::expression::ExpressionModel;
use sapa_engine::quality::eye_state::EyeStateModel;
use sapa_engine::quality::face_parsing::FaceParser;
use sapa_engine::quality::face_region::FaceRegion;
use sapa_engine::quality::faceapi_expression::FaceApiExpressionModel;
use sapa_engine::quality::hands::HandModels;
use sapa_engine::quality::segmentation::Segmenter;
use sapa_engine::validate::context::{self, Ctx};
use sapa_engine::validate::{Lang, Profile, checks};
use std::hint::black_box;
use std::time::Duration;

/// Each check group on a context prepared the way `Validator::judge` prepares it.
fn check_groups(c: &mut Criterion) {
    let img = portrait_of_side(1024);
    let profile = Profile::built_in("kz-id").expect("kz-id");
    let kind = backends()[0];
    let v = validator(kind);
    let a = v.analyzer();
    let analysis = a.analyze(&img, SourceInfo::for_pixels(&img)).expect("analyze");
    let face = &analysis.faces[0];
    let lm = face.landmarks.as_ref().expect("meshed");
    let backend = a.backend().clone();
    let segmenter = Segmenter::new(load_model(&models_dir(), Segmenter::MODEL_ID, &backend).expect("seg"));
    let expression =
        ExpressionModel::new(load_model(&models_dir(), ExpressionModel::MODEL_ID, &backend).expect("fer"));
    let eye_state =
        EyeStateModel::new(load_model(&models_dir(), EyeStateModel::MODEL_ID, &backend).expect("eyes"));
    let parser = FaceParser::new(load_model(&models_dir(), FaceParser::MODEL_ID, &backend).expect("parser"));
    let person = segmenter.run(&img).expect("seg");
    let expr = expression.run(&img, &face.detection).expect("fer");
    let faceapi = FaceApiExpressionModel::new(
        load_model(&models_dir(), FaceApiExpressionModel::MODEL_ID, &backend).expect("faceapi"),
    );
    let faceapi_expr = faceapi.run(&img, &face.detection).expect("faceapi");
    let eyes = eye_state.run(&img, &lm.mesh).expect("eyes");
    let parts = parser.run(&img, &lm.mesh).expect("parse");
    let blendshape_model = BlendshapeModel::new(
        load_model(&models_dir(), BlendshapeModel::MODEL_ID, &backend).expect("blendshapes"),
    );
    let shapes = blendshape_model.run(&lm.mesh).expect("blendshapes");
    let hand_models = HandModels::new(
        load_model(&models_dir(), HandModels::PALM_ID, &backend).expect("palm"),
        load_model(&models_dir(), HandModels::LANDMARK_ID, &backend).expect("hand"),
    );
    let hands = hand_models.run(&img, &face.detection.bbox).expect("hands");
    let edge =
        a.detect_padded(&img, profile.faces.edge_pass_fill, profile.faces.edge_pass_min_score).expect("edge");
    // What judge derives from the models' outputs before any check: head box, crop, frame and
    // the normalised face region.
    let derive = || {
        let head = context::head(lm, Some(&person));
        let crop = context::propose_crop(&head, &profile, img.width(), img.height());
        let frame = context::frame(&profile, crop.as_ref(), img.width(), img.height());
        (head, crop, frame, FaceRegion::new(&img, &lm.mesh, &lm.measures))
    };
    let (head, crop, frame, region) = derive();
    let ctx = Ctx {
        img: &img,
        source: &analysis.source,
        analysis: &analysis,
        face,
        lm,
        region,
        person: Some(segmenter.run(&img).expect("seg")),
        expression: Some(expr),
        faceapi_expression: Some(faceapi_expr),
        eye_state: Some(eyes),
        blendshapes: Some(shapes),
        parts: Some(parts),
        hands: Some(hands),
        head,
        frame,
        crop,
    };
    let mut g = c.benchmark_group("checks");
    g.bench_function("context", |b| b.iter(|| black_box(derive())));
    // The two models validation added for what is in the picture (issue #22).
    g.bench_function("eye_state", |b| b.iter(|| eye_state.run(black_box(&img), &lm.mesh).expect("eyes")));
    g.bench_function("faceapi_expression", |b| {
        b.iter(|| faceapi.run(black_box(&img), &face.detection).expect("faceapi"))
    });
    g.bench_function("blendshapes", |b| {
        b.iter(|| blendshape_model.run(black_box(&lm.mesh)).expect("shapes"))
    });
    g.bench_function("face_parsing", |b| b.iter(|| parser.run(black_box(&img), &lm.mesh).expect("parse")));
    g.bench_function("hands", |b| {
        b.iter(|| hand_models.run(black_box(&img), &face.detection.bbox).expect("hands"))
    });
    // As judge does, less the mesh confirmation of each other face (a model run, timed above).
    let main = face.detection;
    let others: Vec<_> =
        analysis.faces[1..].iter().map(|f| f.detection).chain(edge.iter().copied()).collect();
    let other_person =
        ctx.person.as_ref().map(|m| m.other_person_ratio(main.bbox.x, main.bbox.y, main.bbox.w, main.bbox.h));
    g.bench_function("faces", |b| {
        b.iter(|| checks::faces::check(&main, black_box(&others), other_person, &profile))
    });
    g.bench_function("framing", |b| b.iter(|| checks::framing::check(black_box(&ctx), &profile)));
    g.bench_function("pose", |b| b.iter(|| checks::pose::check(black_box(&ctx), &profile)));
    g.bench_function("eyes", |b| b.iter(|| checks::eyes::check(black_box(&ctx), &profile)));
    g.bench_function("mouth", |b| b.iter(|| checks::mouth::check(black_box(&ctx), &profile)));
    g.bench_function("occlusion", |b| b.iter(|| checks::occlusion::check(black_box(&ctx), &profile)));
    g.bench_function("head_covering", |b| b.iter(|| checks::head_covering::check(black_box(&ctx), &profile)));
    g.bench_function("glasses", |b| b.iter(|| checks::glasses::check(black_box(&ctx), &profile)));
    g.bench_function("capture", |b| b.iter(|| checks::capture::check(black_box(&ctx), &profile)));
    if let Some(r) = &ctx.region {
        g.bench_function("capture_edge_sharpness", |b| {
            b.iter(|| sapa_engine::quality::sharpness::edge_sharpness(black_box(r)))
        });
    }
    g.bench_function("background", |b| b.iter(|| checks::background::check(black_box(&ctx), &profile)));
    g.finish();
}

fn end_to_end(c: &mut Criterion) {
    let profile = Profile::built_in("kz-id").expect("kz-id");
    let photos = photos();
    for kind in backends() {
        let v = validator(kind);
        let rec = recognizer(kind);
        let mut g = c.benchmark_group(format!("end_to_end_{kind}"));
        for (name, bytes) in &photos {
            g.bench_with_input(BenchmarkId::new("validate", name), bytes, |b, bytes| {
                b.iter(|| v.validate_bytes(black_box(bytes), &profile, Lang::En).expect("validate"))
            });
            g.bench_with_input(BenchmarkId::new("validate_and_template", name), bytes, |b, bytes| {
                b.iter(|| {
                    let d = v.analyzer().decode(black_box(bytes)).expect("decode");
                    let r = v.validate(&d.rgb, d.source, &profile, Lang::En).expect("validate");
                    rec.template_of_main_face(&d.rgb, &r.analysis).expect("template")
                })
            });
        }
        // Decode, detect, mesh and template without validation: what a face-recognition peer does.
        let template = |bytes: &[u8]| {
            let d = v.analyzer().decode(bytes).expect("decode");
            let analysis = v.analyzer().analyze(&d.rgb, d.source).expect("analyze");
            rec.template_of_main_face(&d.rgb, &analysis).expect("template")
        };
        for (name, bytes) in &photos {
            g.bench_with_input(BenchmarkId::new("template_only", name), bytes, |b, bytes| {
                b.iter(|| template(black_box(bytes)))
            });
        }
        let (first, second) = (&photos[0].1, &photos[photos.len() - 1].1);
        g.bench_function("verify_two_photos", |b| {
            b.iter(|| {
                template(black_box(first)).similarity(&template(black_box(second))).expect("same model")
            })
        });
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    targets = check_groups, end_to_end
}
criterion_main!(benches);
