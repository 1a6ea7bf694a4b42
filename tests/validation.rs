//! Validation end to end: the committed portrait's rejection reasons, the crop, every profile,
//! and the labelled set's false rejects and recall.

use sapa_engine::validate::{Decision, Lang, Profile, Validator};
use sapa_tests::{analyzer, backends, faces_dir, labels, models_dir, workspace_root};

fn validator() -> Validator {
    Validator::load(&models_dir(), analyzer(backends()[backends().len() - 1])).expect("validator")
}

fn astronaut() -> Vec<u8> {
    std::fs::read(workspace_root().join("fixtures/astronaut.png")).unwrap()
}

#[test]
fn the_astronaut_portrait_is_rejected_for_the_right_reasons() {
    let v = validator();
    let r = v.validate_bytes(&astronaut(), &Profile::built_in("kz-id").unwrap(), Lang::Ru).unwrap().report;
    println!("failed: {:?}", r.failed);
    assert_eq!(r.decision, Decision::Reject);
    // A smiling half-length portrait in front of a busy background, 512 px square.
    for code in ["busy_background", "non_neutral_expression", "low_res"] {
        assert!(r.failed.contains(&code), "expected {code} in {:?}", r.failed);
    }
    for code in ["no_face", "multiple_faces", "grayscale", "closed_eyes", "head_cropped"] {
        assert!(!r.failed.contains(&code), "unexpected {code} in {:?}", r.failed);
    }
    // Every check reports a value (or why not), its threshold, and a Russian message.
    for c in &r.checks {
        assert!(c.value.is_some() || c.note.is_some(), "{} has neither value nor note", c.code);
        assert!(c.message.chars().any(|ch| ('а'..='я').contains(&ch)), "{}: {}", c.code, c.message);
    }
    // Failures come in the order a citizen should fix them.
    let ranks: Vec<usize> = r
        .failed
        .iter()
        .map(|c| sapa_engine::validate::report::PRIORITY.iter().position(|p| p == c).unwrap())
        .collect();
    assert!(ranks.windows(2).all(|w| w[0] < w[1]), "{:?}", r.failed);
}

#[test]
fn every_profile_runs_and_icao_is_stricter_than_kz_id() {
    let v = validator();
    let mut failed = Vec::new();
    for name in Profile::built_in_names() {
        let p = Profile::built_in(name).unwrap();
        let r = v.validate_bytes(&astronaut(), &p, Lang::En).unwrap().report;
        assert_eq!(r.profile, name);
        failed.push(r.failed.len());
    }
    assert!(failed[1] >= failed[0], "icao {} < kz-id {}", failed[1], failed[0]);
}

#[test]
fn a_photo_without_a_face_is_a_report_not_an_error() {
    let img = image::RgbImage::from_pixel(600, 800, image::Rgb([230, 230, 225]));
    let mut png = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let r = validator().validate_bytes(&png, &Profile::built_in("kz-id").unwrap(), Lang::Kk).unwrap().report;
    assert_eq!(r.failed, vec!["no_face"]);
    assert!(!r.checks[0].message.is_empty());
}

#[test]
fn labelled_set_false_rejects_and_recall() {
    let Some(dir) = faces_dir() else { return };
    let v = validator();
    let profile = Profile::built_in("kz-id").unwrap();
    let labels = labels(&dir);
    let mut false_rejects = Vec::new();
    let mut per_defect: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
    for l in &labels {
        let bytes = std::fs::read(dir.join(&l.file)).unwrap();
        let r = v.validate_bytes(&bytes, &profile, Lang::En).unwrap().report;
        if l.icao_like && r.decision == Decision::Reject {
            false_rejects.push(format!("{} {:?}", l.file, r.failed));
        }
        for d in &l.defects {
            let detectors = sapa_server::cli::eval_validate::detectors_for_label(d);
            let e = per_defect.entry(d.clone()).or_default();
            e.1 += 1;
            if detectors.iter().any(|x| x.fired(&r)) {
                e.0 += 1;
            }
        }
    }
    let icao = labels.iter().filter(|l| l.icao_like).count();
    println!("false rejects of ICAO-like photos: {} of {icao}: {false_rejects:?}", false_rejects.len());
    for (d, (hit, n)) in &per_defect {
        println!("{d:<24} {hit:>3}/{n:<3} {:>5.0}%", 100.0 * *hit as f32 / *n as f32);
    }
    // Measured on this set (BENCHMARKS.md): one ICAO-like photo is rejected, for a slight smile
    // every expression measure reads as one (an independent calibration set included). A second
    // one is a regression.
    assert!(false_rejects.len() <= 1, "{false_rejects:#?}");
    // Defects the checks measure directly must all be found.
    for d in ["grayscale", "head_cropped", "low_res", "blur"] {
        let (hit, n) = per_defect[d];
        assert_eq!(hit, n, "{d}: {hit}/{n}");
    }
    for (d, floor) in [
        ("busy_background", 0.85),
        ("glasses", 0.8),
        ("non_neutral_expression", 0.9),
        ("turned_head", 0.9),
        ("open_mouth", 0.85),
        ("multiple_faces", 0.8),
    ] {
        let (hit, n) = per_defect[d];
        assert!(hit as f32 / n as f32 >= floor, "{d}: {hit}/{n} below {floor}");
    }
}

#[test]
fn a_face_cut_by_the_frame_edge_is_reported_not_a_crash() {
    let img = image::open(workspace_root().join("fixtures/astronaut.png")).unwrap().to_rgb8();
    // Keep only the right part of the face: the frame's left edge runs through it.
    let cut = image::imageops::crop_imm(&img, 215, 40, 297, 300).to_image();
    let mut png = Vec::new();
    image::DynamicImage::ImageRgb8(cut)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let r = validator().validate_bytes(&png, &Profile::built_in("kz-id").unwrap(), Lang::En).unwrap().report;
    println!("failed: {:?}", r.failed);
    assert_eq!(r.decision, Decision::Reject);
    assert!(r.failed.contains(&"head_cropped") || r.failed.contains(&"no_face"), "{:?}", r.failed);
}
