//! Validation end to end: the committed portrait's rejection reasons, the crop, every profile,
//! and the labelled set's false rejects and recall.

use sapa_engine::validate::{Code, Decision, Lang, Profile, Report, Severity, Status, Validator};
use sapa_tests::{analyzer, backends, calibration_dir, faces_dir, models_dir, workspace_root};

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
    for code in [Code::BusyBackground, Code::NonNeutralExpression, Code::LowRes] {
        assert!(r.failed.contains(&code), "expected {code} in {:?}", r.failed);
    }
    for code in [Code::NoFace, Code::MultipleFaces, Code::Grayscale, Code::ClosedEyes, Code::HeadCropped] {
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

/// Under `frame = "crop"` the head size and the horizontal centring are the crop's doing: they are
/// reported as fixed by it, not as measured passes. Judged as given (icao), they are measured.
#[test]
fn what_the_crop_sets_is_reported_as_fixed_by_the_crop() {
    let v = validator();
    for (name, status) in [("kz-id", Status::FixedByCrop), ("icao", Status::Measured)] {
        let r = v.validate_bytes(&astronaut(), &Profile::built_in(name).unwrap(), Lang::En).unwrap().report;
        for (code, measure) in [
            (Code::FaceTooSmall, "head_height_ratio"),
            (Code::FaceTooLarge, "head_height_ratio"),
            (Code::OffCenter, "eye_x_ratio"),
        ] {
            let c = r.checks.iter().find(|c| c.code == code && c.measure == measure).unwrap();
            assert_eq!(c.status, status, "{name}: {code}");
            assert!(c.value.is_some(), "{name}: {code} carries the crop's value");
        }
        let eye_y = r.checks.iter().find(|c| c.measure == "eye_y_ratio").unwrap();
        assert_eq!(eye_y.status, Status::Measured, "{name}: the eyes' height is read, not set");
    }
}

/// When the upright face region cannot be made, every check read on it is reported as not
/// measured (none vanishes), and the profile's `[on_unmeasurable]` policy decides: kz-id warns,
/// icao rejects with a message that says the requirement could not be checked.
#[test]
fn checks_that_cannot_be_measured_are_reported_and_follow_the_profile() {
    let v = validator();
    let decoded = v.analyzer().decode(&astronaut()).unwrap();
    let analysis = v.analyzer().analyze(&decoded.rgb, decoded.source).unwrap();
    let face = analysis.main_face().unwrap();
    let on_region = [
        (Code::Blur, "edge_sharpness"),
        (Code::Underexposed, "dark_share"),
        (Code::Underexposed, "face_luminance"),
        (Code::Overexposed, "bright_share"),
        (Code::Overexposed, "face_luminance"),
        (Code::LowDynamicRange, "entropy_bits"),
        (Code::UnevenLighting, "halves_median_gap"),
        (Code::ColourCast, "cheek_a"),
        (Code::ColourCast, "cheek_b"),
        (Code::NonNeutralExpression, "smile"),
        (Code::OpenMouth, "lip_gap_x_teeth"),
    ];
    let judge = |name: &str, lang: Lang| -> Report {
        let p = Profile::built_in(name).unwrap();
        let mut ctx = v.context(&decoded.rgb, &analysis, face, &p).unwrap();
        assert!(ctx.region.is_some());
        ctx.region = None;
        Report::new(&p.name, v.checks(&ctx, &p).unwrap(), ctx.crop, lang)
    };
    let kz = judge("kz-id", Lang::En);
    for (code, measure) in on_region {
        let c = kz.checks.iter().find(|c| c.code == code && c.measure == measure);
        let c = c.unwrap_or_else(|| panic!("{code}/{measure} vanished from the report"));
        assert_eq!(c.status, Status::NotMeasured, "{code}/{measure}");
        assert!(c.value.is_none() && c.note.is_some(), "{code}/{measure}");
    }
    // Codes with no measure left are listed, warned on under kz-id; a code still judged another
    // way (the expression model reads non_neutral_expression; the white point, underexposed) is not.
    for code in [
        Code::Blur,
        Code::Overexposed,
        Code::LowDynamicRange,
        Code::UnevenLighting,
        Code::ColourCast,
        Code::OpenMouth,
    ] {
        assert!(kz.not_measured.contains(&code), "{code} not in {:?}", kz.not_measured);
        assert!(kz.warnings.contains(&code) && !kz.failed.contains(&code), "{code}");
    }
    for code in [Code::Underexposed, Code::NonNeutralExpression] {
        assert!(!kz.not_measured.contains(&code), "{code} was judged by another measure");
    }
    for lang in [Lang::Kk, Lang::Ru, Lang::En] {
        let icao = judge("icao", lang);
        let blur = icao.checks.iter().find(|c| c.code == "blur").unwrap();
        assert!(!blur.passed && blur.severity == Severity::Reject);
        assert!(icao.failed.contains(&Code::Blur), "{:?}", icao.failed);
        let expected = sapa_engine::validate::messages::message("not_measured", false, lang);
        assert_eq!(blur.message, expected);
        assert_ne!(blur.message, sapa_engine::validate::messages::message("blur", false, lang));
    }
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

/// The held-out split of the shared faces and the calibration set (no threshold was set on these
/// photos): false rejects of ICAO-like photos and recall per labelled defect, each found only by
/// its own code. The floors sit just under what `sapa-eval validate` measured (BENCHMARKS.md,
/// "Validation that holds"); a drop below one is a regression.
#[test]
fn held_out_false_rejects_and_recall() {
    let (Some(faces), Some(cal)) = (faces_dir(), calibration_dir()) else { return };
    let v = validator();
    let profile = Profile::built_in("kz-id").unwrap();
    let mut rows = sapa_eval::labels::read(&faces.join("labels.csv"), None).unwrap();
    rows.extend(sapa_eval::labels::read(&cal.join("labels.csv"), None).unwrap());
    rows.retain(|r| r.split == sapa_eval::labels::Split::HeldOut);
    let reports: Vec<_> = {
        use rayon::prelude::*;
        rows.par_iter()
            .map(|l| v.validate_bytes(&std::fs::read(&l.path).unwrap(), &profile, Lang::En).unwrap().report)
            .collect()
    };
    let mut false_rejects = Vec::new();
    let mut per_defect: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
    for (l, r) in rows.iter().zip(&reports) {
        if l.icao_like && r.decision == Decision::Reject {
            false_rejects.push(format!("{} {:?}", l.file, r.failed));
        }
        for d in &l.defects {
            let e = per_defect.entry(d.clone()).or_default();
            e.1 += 1;
            if sapa_eval::validate::found(d, r) {
                e.0 += 1;
            }
        }
    }
    let icao = rows.iter().filter(|l| l.icao_like).count();
    println!("false rejects of ICAO-like photos: {} of {icao}: {false_rejects:?}", false_rejects.len());
    for (d, (hit, n)) in &per_defect {
        println!("{d:<24} {hit:>3}/{n:<3} {:>5.0}%", 100.0 * *hit as f32 / *n as f32);
    }
    // One ICAO-like photo is rejected (dev_0050, a closed-mouth smile every expression measure
    // reads as one); a second is a regression.
    assert!(false_rejects.len() <= 1, "{false_rejects:#?}");
    for (d, floor) in FLOORS {
        let (hit, n) = per_defect[*d];
        assert!(hit as f32 / n as f32 >= *floor, "{d}: {hit}/{n} below {floor}");
    }
}

/// Held-out recall floors per labelled defect with at least 5 cases: one photo under what was
/// measured (tract; BENCHMARKS.md), so a backend's rounding cannot fail it but a lost photo more
/// can. Below the 90% target: blur, hat, tilted, turned_head, gaze_away,
/// poor_lighting and occlusion (objects the face parser reads as skin, and a hand under the chin the
/// hand models place mostly off the face); face_too_small is
/// left out because kz-id judges the proposed crop, which rescales a small face (low_res judges
/// whether the pixels suffice).
const FLOORS: &[(&str, f32)] = &[
    ("blur", 0.66),
    ("busy_background", 0.93),
    ("closed_eyes", 0.86),
    ("dark_background", 0.8),
    ("gaze_away", 0.44),
    ("glasses", 0.89),
    ("grayscale", 0.9),
    ("hat", 0.75),
    ("head_cropped", 0.84),
    ("low_res", 0.96),
    ("mask", 0.86),
    ("multiple_faces", 0.86),
    ("non_neutral_expression", 0.92),
    ("occlusion", 0.58),
    ("open_mouth", 0.85),
    ("poor_lighting", 0.42),
    ("tilted", 0.6),
    ("turned_head", 0.66),
];

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
    assert!(r.failed.contains(&Code::HeadCropped) || r.failed.contains(&Code::NoFace), "{:?}", r.failed);
}

/// The committed portrait's pixels and their analysis (face, mesh, measures).
fn astronaut_analysis() -> (image::RgbImage, sapa_engine::analyze::Analysis) {
    let a = analyzer(backends()[backends().len() - 1]);
    let img = image::open(workspace_root().join("fixtures/astronaut.png")).unwrap().to_rgb8();
    let analysis = a.analyze(&img, sapa_engine::image::SourceInfo::for_pixels(&img)).unwrap();
    (img, analysis)
}

/// The second expression classifier reads the portrait's smile; painted over with a mask, the
/// mouth is covered and its expression is not read (a mask reads as a smile to that model), while
/// the occlusion check names the mask.
#[test]
fn a_covered_mouth_is_not_read_for_its_expression() {
    let v = validator();
    let (img, analysis) = astronaut_analysis();
    let mesh = &analysis.faces[0].landmarks.as_ref().unwrap().mesh;
    let reading = |r: &Report| {
        r.checks.iter().find(|c| c.measure == "mouth_expression_probability").cloned().expect("reported")
    };
    let bare = kz_id_report(&v, &img);
    let smile = reading(&bare);
    println!("bare: {smile:?}");
    assert_eq!(smile.status, Status::Measured);
    assert!(smile.value.unwrap() > 0.5 && !smile.passed, "{smile:?}");
    // A pale blue surgical mask from below the nose bridge to under the chin, cheek to cheek.
    let (left, right) = (mesh.point(234).x.min(mesh.point(454).x), mesh.point(234).x.max(mesh.point(454).x));
    let (top, bottom) = (mesh.point(195).y, mesh.point(152).y + 10.0);
    let mut masked = img.clone();
    for (x, y, px) in masked.enumerate_pixels_mut() {
        if (left..right).contains(&(x as f32)) && (top..bottom).contains(&(y as f32)) {
            *px = image::Rgb([172, 204, 226]);
        }
    }
    let r = kz_id_report(&v, &masked);
    let covered = reading(&r);
    println!("masked: {covered:?}; failed {:?}", r.failed);
    assert_eq!(covered.status, Status::NotMeasured, "{covered:?}");
    assert!(covered.note.unwrap().contains("covered"), "{covered:?}");
    assert!(r.failed.contains(&Code::Occlusion), "{:?}", r.failed);
}

/// The kz-id report (in English) on pixels, sent as a PNG file as a client would.
fn kz_id_report(v: &Validator, img: &image::RgbImage) -> sapa_engine::validate::Report {
    let mut png = Vec::new();
    image::DynamicImage::ImageRgb8(img.clone())
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    v.validate_bytes(&png, &Profile::built_in("kz-id").unwrap(), Lang::En).unwrap().report
}

/// The share of the eyes' band the face parser reads as eyeglasses, under kz-id.
fn glasses_score(v: &Validator, img: &image::RgbImage) -> f32 {
    let r = kz_id_report(v, img);
    r.checks.iter().find(|c| c.code == "glasses").and_then(|c| c.value).expect("glasses measured")
}

/// Thin dark frames drawn around the eyes: a ring per eye, the bridge between them and the arms
/// towards the ears, `t` pixels thick.
fn draw_frames(img: &mut image::RgbImage, re: (f32, f32), le: (f32, f32), t: f32) {
    let ied = ((le.0 - re.0).powi(2) + (le.1 - re.1).powi(2)).sqrt();
    let (ax, ay) = (0.42 * ied, 0.28 * ied);
    let on_ring = |x: f32, y: f32, c: (f32, f32)| {
        let (dx, dy) = ((x - c.0) / ax, (y - c.1 - 0.05 * ied) / ay);
        ((dx * dx + dy * dy).sqrt() - 1.0).abs() * ay < t / 2.0
    };
    let on_bar = |x: f32, y: f32, x0: f32, x1: f32, yc: f32| {
        x >= x0.min(x1) && x <= x0.max(x1) && (y - yc).abs() < t / 2.0
    };
    let (w, h) = img.dimensions();
    for y in 0..h {
        for x in 0..w {
            let (fx, fy) = (x as f32, y as f32);
            let frame = on_ring(fx, fy, re)
                || on_ring(fx, fy, le)
                || on_bar(fx, fy, re.0 + ax, le.0 - ax, (re.1 + le.1) / 2.0 - 0.02 * ied)
                || on_bar(fx, fy, re.0 - ax, re.0 - ax - 0.3 * ied, re.1)
                || on_bar(fx, fy, le.0 + ax, le.0 + ax + 0.3 * ied, le.1);
            if frame {
                img.put_pixel(x, y, image::Rgb([35, 30, 30]));
            }
        }
    }
}

#[test]
fn drawn_frames_raise_the_glasses_score_sharp_and_blurred() {
    let v = validator();
    let (img, analysis) = astronaut_analysis();
    let m = analysis.faces[0].landmarks.as_ref().unwrap().measures;
    let (re, le) = ((m.right_eye.x, m.right_eye.y), (m.left_eye.x, m.left_eye.y));
    let max = Profile::built_in("kz-id").unwrap().occlusion.max_glasses_share;
    // Blur of about a twentieth of the eye distance: a soft face, as an upsampled small photo is.
    let sigma = 0.05 * m.inter_eye_px;
    let mut framed = img.clone();
    draw_frames(&mut framed, re, le, (0.04 * m.inter_eye_px).max(1.5));
    let scores = [
        ("bare", glasses_score(&v, &img)),
        ("bare, blurred", glasses_score(&v, &image::imageops::blur(&img, sigma))),
        ("framed", glasses_score(&v, &framed)),
        ("framed, blurred", glasses_score(&v, &image::imageops::blur(&framed, sigma))),
    ];
    println!("eye_band_glasses_share (max {max}): {scores:?}");
    assert!(scores[0].1 < max && scores[1].1 < max, "{scores:?}");
    assert!(scores[2].1 > max && scores[3].1 > max, "{scores:?}");
}

/// The `blur` check's reading and verdict for an image under kz-id.
fn blur_reading(v: &Validator, img: &image::RgbImage) -> (f32, bool) {
    let r = kz_id_report(v, img);
    let c = r.checks.iter().find(|c| c.code == "blur").expect("blur judged");
    (c.value.expect("blur measured"), c.passed)
}

#[test]
fn blur_is_judged_by_edge_width_not_by_contrast() {
    let v = validator();
    let img = image::open(workspace_root().join("fixtures/astronaut.png")).unwrap().to_rgb8();
    // Half the contrast (a flat, low-texture look): the edges are as narrow as before.
    let mut flat = img.clone();
    flat.pixels_mut().for_each(|p| p.0 = p.0.map(|c| (128.0 + (c as f32 - 128.0) * 0.5) as u8));
    // Saved as a JPEG of quality 60: block edges must not read as focus, nor smoothing as blur.
    let jpeg_q60 = |img: &image::RgbImage| {
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 60).encode_image(img).unwrap();
        image::load_from_memory(&out).unwrap().to_rgb8()
    };
    let (jpeg, blurred_jpeg) = (jpeg_q60(&img), jpeg_q60(&image::imageops::blur(&img, 1.5)));
    let readings = [
        ("as shot", blur_reading(&v, &img)),
        ("half contrast", blur_reading(&v, &flat)),
        ("blurred, sigma 1.5 px", blur_reading(&v, &image::imageops::blur(&img, 1.5))),
        ("blurred, sigma 3 px", blur_reading(&v, &image::imageops::blur(&img, 3.0))),
        ("JPEG q60", blur_reading(&v, &jpeg)),
        ("blurred 1.5 px, JPEG q60", blur_reading(&v, &blurred_jpeg)),
    ];
    println!("edge_sharpness: {readings:?}");
    assert!(readings[0].1.1 && readings[1].1.1, "{readings:?}");
    assert!((readings[0].1.0 - readings[1].1.0).abs() < 0.03, "{readings:?}");
    assert!(!readings[2].1.1 && !readings[3].1.1, "{readings:?}");
    assert!(readings[3].1.0 < readings[2].1.0, "{readings:?}");
    assert!(readings[4].1.1 && !readings[5].1.1, "{readings:?}");
}

/// Every `underexposed` reading (measure, value, passed) for an image under kz-id.
fn exposure_readings(v: &Validator, img: &image::RgbImage) -> Vec<(String, f32, bool)> {
    let r = kz_id_report(v, img);
    r.checks
        .iter()
        .filter(|c| c.code == "underexposed")
        .map(|c| (c.measure.to_string(), c.value.unwrap_or(f32::NAN), c.passed))
        .collect()
}

#[test]
fn a_darker_face_in_good_light_passes_and_a_dim_photo_does_not() {
    let v = validator();
    let img = image::open(workspace_root().join("fixtures/astronaut.png")).unwrap().to_rgb8();
    let analysis = v.analyzer().analyze(&img, sapa_engine::image::SourceInfo::for_pixels(&img)).unwrap();
    let b = analysis.faces[0].detection.bbox;
    // Darker skin in the same light: the face (an ellipse around the detector's box) at a third of
    // its reflectance, the background, the suit and the eyes (whose whites and pupils do not
    // change with skin) as they were.
    let (cx, cy, rx, ry) = (b.x + b.w / 2.0, b.y + b.h / 2.0, b.w * 0.6, b.h * 0.75);
    let k = analysis.faces[0].detection.keypoints;
    let eye_r = 0.3 * k.right_eye.distance(&k.left_eye);
    let near_eye = |x: f32, y: f32| {
        [k.right_eye, k.left_eye].iter().any(|e| (x - e.x).powi(2) + (y - e.y).powi(2) < eye_r.powi(2))
    };
    let mut dark_face = img.clone();
    for (x, y, p) in dark_face.enumerate_pixels_mut() {
        let (fx, fy) = (x as f32, y as f32);
        if ((fx - cx) / rx).powi(2) + ((fy - cy) / ry).powi(2) < 1.0 && !near_eye(fx, fy) {
            p.0 = p.0.map(|c| (c as f32 * 0.34).round() as u8);
        }
    }
    let scaled = |k: f32| {
        let mut out = img.clone();
        out.pixels_mut().for_each(|p| p.0 = p.0.map(|c| (c as f32 * k).round() as u8));
        out
    };
    let face = exposure_readings(&v, &dark_face);
    // The whole photo at a third of the light: dim all over, white point included.
    let third = exposure_readings(&v, &scaled(0.34));
    // A tenth: much of the face is crushed to black.
    let tenth = exposure_readings(&v, &scaled(0.1));
    println!("dark face: {face:?}\nthird: {third:?}\ntenth: {tenth:?}");
    let mean = face.iter().find(|r| r.0 == "face_luminance").unwrap().1;
    assert!((40.0..90.0).contains(&mean), "{face:?}");
    assert!(face.iter().all(|r| r.2), "{face:?}");
    assert!(third.iter().any(|r| r.0 == "white_point_luminance" && !r.2), "{third:?}");
    assert!(third.iter().any(|r| r.0 == "dark_share" && r.2), "{third:?}");
    assert!(tenth.iter().any(|r| r.0 == "dark_share" && !r.2), "{tenth:?}");
}

/// The report keeps the sign of the pose angles (which way to turn) and judges their size: the
/// yaw it reports is the signed mean of the mesh's and the pose network's estimates.
#[test]
fn pose_angles_keep_their_sign() {
    let v = validator();
    let img = image::open(workspace_root().join("fixtures/astronaut.png")).unwrap().to_rgb8();
    let r = kz_id_report(&v, &img);
    let yaw = r.checks.iter().find(|c| c.measure == "yaw_deg").unwrap();
    let analysis = v.analyzer().analyze(&img, sapa_engine::image::SourceInfo::for_pixels(&img)).unwrap();
    let lm = analysis.faces[0].landmarks.as_ref().unwrap();
    let expected = (lm.pose.yaw + lm.pose_net.yaw) / 2.0;
    println!("yaw reported {:?}, mesh {} net {}", yaw.value, lm.pose.yaw, lm.pose_net.yaw);
    assert!(expected < -1.0, "the portrait faces slightly to one side: {expected}");
    assert!((yaw.value.unwrap() - expected).abs() < 0.05, "{:?} against {expected}", yaw.value);
    assert!(yaw.passed);
}

/// The eyes' white and black judge the tone curve and the white balance whatever the skin: on the
/// committed portrait, a brightening curve lifts the pupils (over-exposed), a darkening one
/// crushes them (under-exposed), and a warm cast yellows the sclera (colour cast), while the
/// photo as it is passes all three.
#[test]
fn the_eyes_judge_tone_curve_and_white_balance() {
    let v = validator();
    let img = image::open(workspace_root().join("fixtures/astronaut.png")).unwrap().to_rgb8();
    let map = |f: &dyn Fn([f32; 3]) -> [f32; 3]| {
        let mut out = img.clone();
        out.pixels_mut().for_each(|p| {
            let c = f(p.0.map(|c| c as f32));
            p.0 = c.map(|c| c.round().clamp(0.0, 255.0) as u8);
        });
        out
    };
    let reading = |img: &image::RgbImage, code: &str, measure: &str| -> (f32, bool) {
        let r = kz_id_report(&v, img);
        let c = r.checks.iter().find(|c| c.code == code && c.measure == measure).unwrap();
        (c.value.unwrap_or(f32::NAN), c.passed)
    };
    let gamma = |g: f32| move |c: [f32; 3]| c.map(|v| 255.0 * (v / 255.0).powf(g));
    let as_is = [
        reading(&img, "overexposed", "pupil_luminance"),
        reading(&img, "underexposed", "pupil_luminance"),
        reading(&img, "colour_cast", "sclera_b"),
        reading(&img, "overexposed", "sclera_clipped_share"),
    ];
    let bright = reading(&map(&gamma(0.33)), "overexposed", "pupil_luminance");
    let dark = reading(&map(&gamma(2.6)), "underexposed", "pupil_luminance");
    let warm = reading(&map(&|[r, g, b]| [r, g * 0.9, b * 0.7]), "colour_cast", "sclera_b");
    println!("as is {as_is:?}\nbright {bright:?}\ndark {dark:?}\nwarm {warm:?}");
    assert!(as_is.iter().all(|r| r.1), "{as_is:?}");
    assert!(!bright.1 && bright.0 > as_is[0].0, "{bright:?}");
    assert!(!dark.1 && dark.0 < as_is[1].0, "{dark:?}");
    assert!(!warm.1 && warm.0 > as_is[2].0, "{warm:?}");
}
