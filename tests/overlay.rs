//! The overlay's geometry read back, on the committed portrait and on defects generated from it
//! (`sapa_eval::degrade`): the crop frames the eyes in the profile's band, a second face gets its
//! own labelled box, a shadow is boxed on the side it falls, a turned picture turns the roll axis.
//! The SVG and the raster drawing are read back too, so what a reviewer sees is what is asserted.

use image::RgbImage;
use sapa_engine::overlay::{Overlay, raster, svg};
use sapa_engine::validate::{Code, Lang, Profile, Report, Validator};
use sapa_eval::degrade::{Anchor, Kind, Severity, apply};
use sapa_tests::{analyzer, backends, models_dir, workspace_root};

fn validator() -> Validator {
    Validator::load(&models_dir(), analyzer(backends()[backends().len() - 1])).expect("validator")
}

fn astronaut() -> RgbImage {
    image::open(workspace_root().join("fixtures/astronaut.png")).unwrap().to_rgb8()
}

fn judge(v: &Validator, img: &RgbImage, p: &Profile) -> (Report, Overlay) {
    let analysis = v.analyzer().analyze(img, sapa_engine::image::SourceInfo::for_pixels(img)).unwrap();
    v.judge_with_overlay(img, &analysis, p, Lang::En).unwrap()
}

fn inside([x, y, w, h]: [f32; 4], px: f32, py: f32) -> bool {
    px >= x && px <= x + w && py >= y && py <= y + h
}

fn eyes(o: &Overlay) -> Vec<(f32, f32)> {
    o.landmarks.iter().filter(|l| l.name.ends_with("_eye")).map(|l| (l.x, l.y)).collect()
}

fn anchor(o: &Overlay) -> Anchor {
    let e = eyes(o);
    Anchor { face: o.face.unwrap(), eyes: [e[0], e[1]] }
}

fn decode(bytes: &[u8]) -> RgbImage {
    image::load_from_memory(bytes).unwrap().to_rgb8()
}

#[test]
fn the_committed_portrait_is_framed_with_its_eyes_in_the_band() {
    let v = validator();
    let img = astronaut();
    for name in ["kz-id", "icao"] {
        let p = Profile::built_in(name).unwrap();
        let (report, o) = judge(&v, &img, &p);
        assert_eq!((o.width, o.height), (img.width(), img.height()));
        // The eye-line band holds exactly when the report's eye_y_ratio check passed.
        let band = o.eye_band.unwrap();
        let eye_y = report.checks.iter().find(|c| c.measure == "eye_y_ratio").unwrap();
        assert_eq!(band.holds, eye_y.passed, "{name}: {band:?} against {eye_y:?}");
        let e = eyes(&o);
        assert_eq!(e.len(), 2);
        for &(x, y) in &e {
            assert!(inside(o.face.unwrap(), x, y), "{name}: eye outside the face box");
        }
        // kz-id judges the proposed crop: the crop encloses the eyes at the band.
        let crop = match (name, o.crop) {
            ("kz-id", c) => c.expect("kz-id proposes a crop for the portrait"),
            (_, Some(c)) => c,
            (_, None) => [0.0, 0.0, o.width as f32, o.height as f32],
        };
        if o.crop.is_some() {
            assert!((crop[2] / crop[3] - 35.0 / 45.0).abs() < 1e-3, "{crop:?}");
        }
        if name == "kz-id" {
            assert!(band.holds);
            for &(x, y) in &e {
                assert!(inside(crop, x, y), "eye ({x}, {y}) outside the crop {crop:?}");
                assert!(y >= band.y_min && y <= band.y_max, "eye at {y}, band {band:?}");
            }
            assert_eq!((band.x, band.w), (crop[0], crop[2]), "the band spans the crop");
        }
        // The head band: the crown the report's head height implies lies inside it.
        let crown = o.landmarks.iter().find(|l| l.name == "crown").unwrap();
        let hb = o.head_band.unwrap();
        assert_eq!(hb.holds, crown.y >= hb.y_min && crown.y <= hb.y_max);
        assert!(hb.y_min < hb.y_max && hb.y_max < e[0].1, "{hb:?}");
        // Regions only for what failed; every failed code drawn or listed as unplaced.
        for r in &o.regions {
            assert!(report.failed.contains(&r.code) || report.warnings.contains(&r.code), "{:?}", r.code);
        }
        for c in report.failed.iter().chain(&report.warnings) {
            assert!(
                o.regions.iter().any(|r| r.code == *c) || o.unplaced.contains(c),
                "{name}: {c} not drawn"
            );
        }
        if name == "kz-id" {
            assert!(o.unplaced.contains(&Code::BusyBackground), "{:?}", o.unplaced);
        }
        let pose = o.pose.unwrap();
        assert!(pose.roll_deg.abs() < 8.0, "{pose:?}");

        // The SVG carries the same geometry.
        let s = svg::svg(&o, None);
        let count = |needle: &str| s.matches(needle).count();
        assert_eq!(count(r#"data-kind="region""#), o.regions.len());
        assert_eq!(count(r#"data-kind="landmark""#), o.landmarks.len());
        if let Some(c) = o.crop {
            assert!(s.contains(&format!(r#"data-kind="crop" x="{:.1}" y="{:.1}""#, c[0], c[1])), "{s}");
            // The raster drawing paints the crop's bottom edge where it lies on the photo.
            let drawn = raster::draw(&img, &o);
            let (cx, cy) = ((c[0] + c[2] / 2.0) as u32, (c[1] + c[3] - 1.0) as u32);
            if cy < img.height() {
                assert_ne!(drawn.get_pixel(cx, cy), img.get_pixel(cx, cy), "the crop's bottom edge is drawn");
            }
        }
    }
}

#[test]
fn generated_defects_are_boxed_and_labelled_where_they_are() {
    let v = validator();
    let p = Profile::built_in("kz-id").unwrap();
    let img = astronaut();
    let (_, clean) = judge(&v, &img, &p);
    let a = anchor(&clean);
    let main = clean.face.unwrap();

    // A second face: its own box, away from the main face, labelled multiple_faces.
    let second = decode(&apply(&img, &a, Kind::SecondFace, Severity::Clear).bytes);
    let (report, o) = judge(&v, &second, &p);
    assert!(report.failed.contains(&Code::MultipleFaces), "{:?}", report.failed);
    let boxes: Vec<_> = o.regions.iter().filter(|r| r.code == Code::MultipleFaces).collect();
    assert!(!boxes.is_empty(), "{:?}", o.regions);
    for r in &boxes {
        let [x, y, w, h] = r.rect;
        let centre_in_main = inside(main, x + w / 2.0, y + h / 2.0);
        assert!(!centre_in_main, "the second face's box {:?} sits on the main face {main:?}", r.rect);
        assert_eq!(r.measure, "second_face_area_ratio");
    }
    let s = svg::svg(&o, None);
    assert!(s.contains(r#"data-code="multiple_faces""#) && s.contains(">multiple_faces</text>"));

    // A side shadow (the generator darkens the photo's right of the face's centre): the region of
    // uneven_lighting is the right half.
    let shadowed = decode(&apply(&img, &a, Kind::SideShadow, Severity::Clear).bytes);
    let (report, o) = judge(&v, &shadowed, &p);
    assert!(report.failed.contains(&Code::UnevenLighting), "{:?}", report.failed);
    let r = o.regions.iter().find(|r| r.code == Code::UnevenLighting).expect("a shadow region");
    let face_centre = main[0] + main[2] / 2.0;
    assert!(r.rect[0] + r.rect[2] / 2.0 > face_centre, "shadow boxed on the lit side: {:?}", r.rect);

    // A turned picture (counter-clockwise on screen): the roll axis turns with it.
    let turned = decode(&apply(&img, &a, Kind::Rotated, Severity::Clear).bytes);
    let (report, o) = judge(&v, &turned, &p);
    assert!(report.failed.contains(&Code::Tilted), "{:?}", report.failed);
    let pose = o.pose.unwrap();
    let [ox, oy] = pose.origin;
    let [xx, xy] = pose.x_end;
    let axis_deg = (-(xy - oy)).atan2(xx - ox).to_degrees();
    assert!((axis_deg - 18.0).abs() < 4.0, "the x axis at {axis_deg}°, the picture turned 18°");
    assert!((pose.roll_deg - axis_deg).abs() < 2.0, "{pose:?}");
    assert!(o.regions.iter().any(|r| r.code == Code::Tilted));

    // A blurred photo: the blur region covers the face.
    let blurred = decode(&apply(&img, &a, Kind::Blur, Severity::Clear).bytes);
    let (report, o) = judge(&v, &blurred, &p);
    assert!(report.failed.contains(&Code::Blur), "{:?}", report.failed);
    let r = o.regions.iter().find(|r| r.code == Code::Blur).expect("a blur region");
    let (fx, fy) = (main[0] + main[2] / 2.0, main[1] + main[3] / 2.0);
    assert!(inside(r.rect, fx, fy), "{:?} misses the face centre", r.rect);
}
