//! Live guidance on kiosk frames made at test time: clean ICAO-like portraits of the held-out split
//! (../shared, never committed) placed in a 640x480 camera frame, then moved, scaled, turned,
//! darkened or blurred. Each defect must bring the hint that names it; a clean frame must be ready.

use image::{Rgb, RgbImage, imageops};
use sapa_engine::guidance::{self, Guidance, Hint};
use sapa_engine::image::SourceInfo;
use sapa_engine::image::resize::Rect;
use sapa_engine::validate::context;
use sapa_engine::validate::{Lang, Profile, Validator};
use sapa_eval::degrade::{self, Anchor, Kind, Severity};
use sapa_eval::labels::{self, Split};
use sapa_tests::{analyzer, backends, calibration_dir, faces_dir, models_dir};

/// How many clean portraits the test takes.
const SOURCES: usize = 8;
const W: u32 = 640;
const H: u32 = 480;

/// The ICAO crop the kiosk profile wants around the portrait's face.
fn crop_of(v: &Validator, p: &Profile, portrait: &RgbImage) -> Rect {
    let a = v.analyzer().analyze(portrait, SourceInfo::for_pixels(portrait)).unwrap();
    let lm = a.main_face().expect("a face in the portrait").landmarks.as_ref().unwrap();
    context::crop_rect(&context::head(lm, None), p)
}

/// A camera frame: `portrait` scaled so that its ICAO crop `crop` is `share` of the frame's
/// height, the crop's centre at (`cx`, `cy`) in shares of the frame, on a plain wall of the
/// portrait's own top-left colour where the portrait does not reach.
fn frame(portrait: &RgbImage, crop: Rect, share: f32, cx: f32, cy: f32) -> RgbImage {
    let k = share * H as f32 / crop.h;
    let (w, h) =
        ((portrait.width() as f32 * k).round() as u32, (portrait.height() as f32 * k).round() as u32);
    let scaled = imageops::resize(portrait, w, h, imageops::FilterType::Triangle);
    let wall = *portrait.get_pixel(2, 2);
    let mut out = RgbImage::from_pixel(W, H, wall);
    let x = (cx * W as f32 - (crop.x + crop.w / 2.0) * k).round() as i64;
    let y = (cy * H as f32 - (crop.y + crop.h / 2.0) * k).round() as i64;
    imageops::replace(&mut out, &scaled, x, y);
    out
}

fn guide(v: &Validator, p: &Profile, img: &RgbImage) -> Guidance {
    guidance::guide(v, img, SourceInfo::for_pixels(img), p, Lang::En).expect("guidance")
}

fn anchor(v: &Validator, img: &RgbImage) -> Anchor {
    let a = v.analyzer().analyze(img, SourceInfo::for_pixels(img)).unwrap();
    let f = a.main_face().expect("a face in the clean frame");
    let m = f.landmarks.as_ref().unwrap().measures;
    let b = f.detection.bbox;
    Anchor {
        face: [b.x, b.y, b.w, b.h],
        eyes: [(m.right_eye.x, m.right_eye.y), (m.left_eye.x, m.left_eye.y)],
    }
}

fn decoded(g: degrade::Generated) -> RgbImage {
    image::load_from_memory(&g.bytes).unwrap().to_rgb8()
}

/// The defects, each with the hint it must bring.
fn defects(
    v: &Validator,
    portrait: &RgbImage,
    crop: Rect,
    clean: &RgbImage,
) -> Vec<(&'static str, Hint, RgbImage)> {
    let a = anchor(v, clean);
    let clear = |k: Kind| decoded(degrade::apply(clean, &a, k, Severity::Clear));
    vec![
        ("far", Hint::MoveCloser, frame(portrait, crop, 0.45, 0.5, 0.5)),
        ("too close", Hint::MoveBack, frame(portrait, crop, 1.3, 0.5, 0.5)),
        // The face on the image's left is the person standing to their own right.
        ("at the image's left", Hint::MoveLeft, frame(portrait, crop, 0.85, 0.2, 0.5)),
        ("at the image's right", Hint::MoveRight, frame(portrait, crop, 0.85, 0.8, 0.5)),
        ("tilted 18 deg", Hint::StraightenHead, clear(Kind::Rotated)),
        ("underexposed 2.5 stops", Hint::MoreLight, clear(Kind::Underexposed)),
        ("blurred", Hint::HoldStill, clear(Kind::Blur)),
    ]
}

#[test]
fn generated_defects_bring_the_hint_that_names_them_and_clean_frames_are_ready() {
    let (Some(faces), Some(cal)) = (faces_dir(), calibration_dir()) else { return };
    let v = Validator::load(&models_dir(), analyzer(backends()[backends().len() - 1])).expect("validator");
    let p = Profile::built_in("kiosk").unwrap();
    let mut portraits = Vec::new();
    for dir in [cal, faces] {
        for row in labels::read(&dir.join("labels.csv"), None).unwrap() {
            if row.icao_like && row.split == Split::HeldOut && portraits.len() < SOURCES {
                let bytes = std::fs::read(&row.path).unwrap();
                portraits
                    .push((format!("{}/{}", row.set, row.file), v.analyzer().decode(&bytes).unwrap().rgb));
            }
        }
    }
    assert_eq!(portraits.len(), SOURCES);
    let mut ready = 0;
    let mut found: std::collections::BTreeMap<&str, (usize, Vec<String>)> = Default::default();
    for (name, portrait) in &portraits {
        let crop = crop_of(&v, &p, portrait);
        let clean = frame(portrait, crop, 0.85, 0.5, 0.5);
        let g = guide(&v, &p, &clean);
        println!("{name}: clean -> ready {} {:?}", g.ready, g.codes());
        ready += g.ready as usize;
        for (defect, hint, img) in defects(&v, portrait, crop, &clean) {
            let g = guide(&v, &p, &img);
            let cell = found.entry(defect).or_default();
            if g.codes().contains(&hint) {
                cell.0 += 1;
            } else {
                cell.1.push(format!("{name}: {:?}", g.codes()));
            }
            // The most urgent hint comes first, whatever else the frame has.
            let mut sorted = g.codes();
            sorted.sort();
            assert_eq!(sorted, g.codes(), "{name} {defect}: hints out of order");
            assert!(!g.ready, "{name} {defect}: a defective frame was called ready");
        }
    }
    println!("clean frames ready: {ready} of {SOURCES}");
    for (defect, (n, missed)) in &found {
        println!("{defect}: hint in {n} of {SOURCES}; missed {missed:?}");
    }
    assert!(ready >= SOURCES - 1, "clean frames ready: {ready} of {SOURCES}");
    for (defect, (n, _)) in &found {
        assert!(*n >= SOURCES - 1, "{defect}: the hint in {n} of {SOURCES}");
    }
}

#[test]
fn no_face_is_the_only_hint_on_an_empty_frame() {
    let v = Validator::load(&models_dir(), analyzer(backends()[0])).expect("validator");
    let p = Profile::built_in("kiosk").unwrap();
    let wall = RgbImage::from_pixel(W, H, Rgb([200, 200, 195]));
    let g = guide(&v, &p, &wall);
    assert!(!g.ready && g.face.is_none());
    assert_eq!(g.codes(), vec![Hint::NoFace]);
    assert_eq!(g.hints[0].message, Hint::NoFace.message(Lang::En));
}
