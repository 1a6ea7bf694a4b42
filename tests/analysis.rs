//! The analysis pipeline on real photos: face counts, pose conventions, and batches that survive
//! bad inputs.

use image::RgbImage;
use sapa_engine::Analyzer;
use sapa_engine::image::SourceInfo;
use sapa_engine::image::warp::{Affine, warp_affine};
use sapa_tests::{analyzer, backends, faces_dir, labels, workspace_root};

fn source(img: &RgbImage) -> SourceInfo {
    SourceInfo::for_pixels(img)
}

fn astronaut() -> RgbImage {
    image::open(workspace_root().join("fixtures/astronaut.png")).expect("astronaut").to_rgb8()
}

fn pose_of(a: &Analyzer, img: &RgbImage) -> sapa_engine::geometry::HeadPose {
    let analysis = a.analyze(img, source(img)).expect("analysis");
    assert_eq!(analysis.faces.len(), 1, "expected one face");
    analysis.faces[0].landmarks.as_ref().expect("landmarks").pose
}

fn rotated(img: &RgbImage, degrees: f32) -> RgbImage {
    let (cx, cy) = (img.width() as f32 / 2.0, img.height() as f32 / 2.0);
    // warp_affine maps output to source, so turning the picture by +θ samples the source at -θ.
    let to_src = Affine::rotation_about(-degrees, cx, cy);
    warp_affine(img, &to_src, img.width(), img.height(), [128, 128, 128])
}

fn check_pose_conventions(a: &Analyzer, img: &RgbImage, name: &str) {
    let base = pose_of(a, img);
    for deg in [10.0f32, -10.0] {
        let turned = pose_of(a, &rotated(img, deg));
        let delta = turned.roll - base.roll;
        println!("{name}: roll {:.1} -> {:.1} after turning the photo {deg:+}°", base.roll, turned.roll);
        assert!((delta - deg).abs() < 3.0, "{name}: roll moved {delta:.1}° for a {deg}° turn");
    }
    let mirrored = pose_of(a, &image::imageops::flip_horizontal(img));
    println!("{name}: yaw {:.1}, mirrored {:.1}", base.yaw, mirrored.yaw);
    assert!((base.yaw + mirrored.yaw).abs() < 3.0, "{name}: mirroring should negate yaw");
    assert!((base.roll + mirrored.roll).abs() < 3.0, "{name}: mirroring should negate roll");
    assert!(
        (base.pitch - mirrored.pitch).abs() < 4.0,
        "{name}: mirroring should keep pitch ({:.1} vs {:.1})",
        base.pitch,
        mirrored.pitch
    );
}

#[test]
fn pose_conventions_hold_on_the_committed_portrait() {
    for kind in backends() {
        let a = analyzer(kind);
        let img = astronaut();
        check_pose_conventions(&a, &img, &format!("{kind} astronaut"));
    }
}

#[test]
fn pose_conventions_hold_on_frontal_fixtures() {
    let Some(dir) = faces_dir() else { return };
    let a = analyzer(backends()[backends().len() - 1]);
    let frontal: Vec<_> = labels(&dir).into_iter().filter(|l| l.icao_like).take(6).collect();
    assert!(frontal.len() >= 3);
    for l in frontal {
        let img = image::open(dir.join(&l.file)).unwrap().to_rgb8();
        check_pose_conventions(&a, &img, &l.file);
    }
}

#[test]
fn face_counts_match_the_labels() {
    let Some(dir) = faces_dir() else { return };
    for kind in backends() {
        let a = analyzer(kind);
        let labels = labels(&dir);
        let bytes: Vec<Vec<u8>> = labels.iter().map(|l| std::fs::read(dir.join(&l.file)).unwrap()).collect();
        let results = a.analyze_many(&bytes);
        let (mut single_ok, mut singles, mut group_ok, mut groups) = (0, 0, 0, 0);
        let mut wrong = Vec::new();
        for (l, r) in labels.iter().zip(&results) {
            let n = r.as_ref().map(|a| a.faces.len()).unwrap_or_else(|e| panic!("{}: {e}", l.file));
            // A second face only partly inside the frame is labelled "not single", but it is not
            // a group photo: it is reported, not required.
            let partial = l.notes.contains("partly visible");
            if l.single_face {
                singles += 1;
                if n == 1 { single_ok += 1 } else { wrong.push(format!("{} single, found {n}", l.file)) }
            } else if !partial {
                groups += 1;
                if n >= 2 { group_ok += 1 } else { wrong.push(format!("{} group, found {n}", l.file)) }
            } else {
                println!("{kind} {}: second face partly visible, found {n} face(s)", l.file);
            }
        }
        println!("{kind}: single-face photos with exactly one face: {single_ok}/{singles}");
        println!("{kind}: group photos with two or more faces: {group_ok}/{groups}");
        assert!(wrong.is_empty(), "{kind}: {wrong:#?}");
    }
}

#[test]
fn a_batch_keeps_going_past_bad_inputs() {
    let good = std::fs::read(workspace_root().join("fixtures/astronaut.png")).unwrap();
    let mut truncated_jpeg = Vec::new();
    image::DynamicImage::ImageRgb8(astronaut())
        .write_to(&mut std::io::Cursor::new(&mut truncated_jpeg), image::ImageFormat::Jpeg)
        .unwrap();
    truncated_jpeg.truncate(truncated_jpeg.len() / 2);
    let random: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
    let blank = {
        let mut out = Vec::new();
        image::DynamicImage::ImageRgb8(RgbImage::from_pixel(400, 300, image::Rgb([200, 200, 200])))
            .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    };
    let inputs: Vec<(&str, Vec<u8>, Option<&str>)> = vec![
        ("good", good.clone(), None),
        ("empty", Vec::new(), Some("empty_input")),
        ("text", b"this is not a photo".to_vec(), Some("unsupported_format")),
        ("truncated", truncated_jpeg, Some("corrupt_image")),
        ("random", random, Some("unsupported_format")),
        ("blank", blank, None),
        ("good again", good, None),
    ];
    let a = analyzer(backends()[0]);
    let bytes: Vec<&[u8]> = inputs.iter().map(|i| i.1.as_slice()).collect();
    let results = a.analyze_many(&bytes);
    for ((name, _, expected), result) in inputs.iter().zip(&results) {
        match (expected, result) {
            (None, Ok(_)) => {}
            (Some(code), Err(e)) => assert_eq!(e.code(), *code, "{name}"),
            (exp, got) => panic!("{name}: expected {exp:?}, got {got:?}"),
        }
    }
    assert_eq!(results[0].as_ref().unwrap().faces.len(), 1);
    assert!(results[5].as_ref().unwrap().faces.is_empty(), "a blank image has no face");
}

#[test]
fn landmark_measures_are_plausible_on_the_portrait() {
    let a = analyzer(backends()[0]);
    let img = astronaut();
    let analysis = a.analyze(&img, source(&img)).unwrap();
    let lm = analysis.faces[0].landmarks.as_ref().unwrap();
    let m = lm.measures;
    // A 512 px half-length portrait: a face box of ~106 px puts the eyes some 35-55 px apart.
    assert!((35.0..55.0).contains(&m.inter_eye_px), "inter-eye {}", m.inter_eye_px);
    assert!(m.eye_openness.right > 0.15 && m.eye_openness.left > 0.15, "{:?}", m.eye_openness);
    assert!(lm.mesh.presence > 0.5);
    // The mesh pose and the appearance network agree within a loose margin.
    assert!((lm.pose.yaw - lm.pose_net.yaw).abs() < 15.0, "{:?} vs {:?}", lm.pose, lm.pose_net);
    assert!((lm.pose.roll - lm.pose_net.roll).abs() < 10.0, "{:?} vs {:?}", lm.pose, lm.pose_net);
}

#[test]
fn mirroring_a_turned_head_flips_the_sign_of_yaw() {
    let Some(dir) = faces_dir() else { return };
    let a = analyzer(backends()[backends().len() - 1]);
    let mut checked = 0;
    for l in labels(&dir).into_iter().filter(|l| l.single_face) {
        let img = image::open(dir.join(&l.file)).unwrap().to_rgb8();
        let yaw = pose_of(&a, &img).yaw;
        if yaw.abs() < 10.0 {
            continue;
        }
        let mirrored = pose_of(&a, &image::imageops::flip_horizontal(&img)).yaw;
        println!("{}: yaw {yaw:.1}, mirrored {mirrored:.1}", l.file);
        assert!(yaw.signum() != mirrored.signum(), "{}: {yaw} vs {mirrored}", l.file);
        assert!((yaw + mirrored).abs() < 0.25 * yaw.abs() + 3.0, "{}: {yaw} vs {mirrored}", l.file);
        checked += 1;
    }
    println!("turned heads checked: {checked}");
    assert!(checked >= 5);
}
