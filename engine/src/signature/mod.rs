//! Signature sample validation: pure functions of pixels. A photographed or scanned signature
//! (or a pad's strokes, drawn first) is measured once ([`sample`]), judged by one check per
//! concern ([`checks`]) against the profile's `[signature]` section, and normalised for the
//! document's signature field ([`normalise`]).

pub mod checks;
pub mod code;
pub mod colour;
pub mod letters;
pub mod lines;
pub mod messages;
pub mod normalise;
pub mod paper;
pub mod profile;
pub mod report;
pub mod sample;
pub mod strokes;

pub use code::SignatureCode;
pub use profile::{InkColour, SignatureProfile};
pub use report::{NormalisedInfo, SignatureCheck, SignatureReport};
pub use strokes::StrokeInput;

use crate::error::{EngineError, Result};
use crate::validate::{Lang, Profile};
use image::RgbImage;
use sample::Sample;

/// The verdict and the normalised sample (absent when there is no ink to normalise).
pub struct SignatureVerdict {
    pub report: SignatureReport,
    pub normalised: Option<RgbImage>,
}

/// Judges a decoded signature sample. `faces` is how many faces a detector found in it, when the
/// caller ran one (a face is `not_a_signature`).
pub fn judge(img: &RgbImage, profile: &Profile, lang: Lang, faces: Option<usize>) -> SignatureVerdict {
    let p = &profile.signature;
    let s = Sample::new(img);
    let colours = colour::InkColours::measure(&s);
    let mut results = Vec::new();
    results.extend(checks::missing::check(&s, p));
    results.extend(checks::not_a_signature::check(&s, p, faces));
    results.extend(checks::not_handwritten::check(&s, p));
    results.extend(checks::multiple::check(&s, p));
    results.extend(checks::cropped::check(&s, p));
    results.extend(checks::too_small::check(&s, p));
    results.extend(checks::rotated::check(&s, p));
    results.extend(checks::contrast::check(&s, p));
    results.extend(checks::blur::check(&s, p));
    results.extend(checks::lighting::check(&s, p));
    results.extend(checks::background::check(&s, p, &colours));
    results.extend(checks::ink_colour::check(&colours, p));
    let normalised = normalise::normalise(&s, p);
    let info = normalised.as_ref().map(|n| n.1);
    let report = SignatureReport::new(&profile.name, p, results, info, lang);
    SignatureVerdict { report, normalised: normalised.map(|n| n.0) }
}

/// Draws pad strokes and judges them like a photographed sample.
pub fn judge_strokes(input: &StrokeInput, profile: &Profile, lang: Lang) -> Result<SignatureVerdict> {
    let img = input.render()?;
    Ok(judge(&img, profile, lang, None))
}

/// The normalised sample as PNG bytes (in memory; writing them is the caller's business).
pub fn encode_png(img: &RgbImage) -> Result<Vec<u8>> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).map_err(|e| EngineError::Config(format!("png: {e}")))?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::Decision;
    use image::{Rgb, RgbImage};

    /// A looped, cursive-like signature drawn on `w` x `h` paper, turned by `deg`.
    fn drawn(w: u32, h: u32, ink: [u8; 3], deg: f32, height: f32) -> RgbImage {
        let mut img = RgbImage::from_pixel(w, h, Rgb([244, 242, 236]));
        let (s, c) = deg.to_radians().sin_cos();
        let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
        let pts: Vec<(f32, f32, f32)> = (0..=420)
            .map(|i| {
                let t = i as f32 / 60.0;
                let a = std::f32::consts::TAU * t;
                let x = (t - 3.5) * 0.55 * height - 0.2 * height * a.cos();
                let y = -0.5 * height * a.sin() * (0.7 + 0.3 * (t * 1.3).sin());
                (cx + x * c + y * s, cy - x * s + y * c, 2.0)
            })
            .collect();
        strokes::draw_polyline(&mut img, &pts, ink);
        img
    }

    fn failed(img: &RgbImage) -> Vec<SignatureCode> {
        let p = Profile::built_in("kz-id").unwrap();
        judge(img, &p, Lang::En, None).report.failed
    }

    #[test]
    fn a_plain_signature_passes_and_is_normalised_to_the_field() {
        let p = Profile::built_in("kz-id").unwrap();
        let v = judge(&drawn(900, 400, [30, 40, 130], 0.0, 160.0), &p, Lang::En, None);
        assert_eq!(v.report.decision, Decision::Accept, "{:#?}", v.report.checks);
        let n = v.normalised.expect("normalised");
        assert_eq!((n.width(), n.height()), (p.signature.field_width_px, p.signature.field_height_px));
        assert_eq!(n.get_pixel(1, 1), &Rgb([255, 255, 255]), "the paper is cleaned to white");
        let darkest = n.pixels().map(|p| p[2] as i32 - p[0] as i32).max().unwrap();
        assert!(darkest > 40, "the blue ink stays blue");
        for c in &v.report.checks {
            assert!(c.value.is_some() || c.note.is_some(), "{c:?} has neither a value nor a reason");
        }
    }

    #[test]
    fn each_defect_fails_its_own_code() {
        let blank = RgbImage::from_pixel(900, 400, Rgb([244, 242, 236]));
        assert!(failed(&blank).contains(&SignatureCode::SignatureMissing));
        assert!(failed(&drawn(900, 400, [190, 40, 50], 0.0, 160.0)).contains(&SignatureCode::InkColour));
        assert!(failed(&drawn(900, 600, [30, 30, 30], 60.0, 160.0)).contains(&SignatureCode::Rotated));
        assert!(
            failed(&drawn(900, 400, [30, 30, 30], 0.0, 22.0)).contains(&SignatureCode::SignatureTooSmall)
        );
        assert!(failed(&drawn(900, 400, [205, 203, 198], 0.0, 160.0)).contains(&SignatureCode::LowContrast));
        let mut cut = drawn(900, 400, [30, 30, 30], 0.0, 160.0);
        cut = image::imageops::crop_imm(&cut, 200, 0, 700, 400).to_image();
        assert!(failed(&cut).contains(&SignatureCode::SignatureCropped));
    }

    #[test]
    fn pad_strokes_are_judged_like_a_photo() {
        let p = Profile::built_in("kz-id").unwrap();
        let json = r#"{"width":600,"height":200,"strokes":[]}"#;
        let empty: StrokeInput = serde_json::from_str(json).unwrap();
        let v = judge_strokes(&empty, &p, Lang::Kk).unwrap();
        assert_eq!(v.report.failed, vec![SignatureCode::SignatureMissing]);
        assert!(v.report.checks[0].message.chars().any(|c| "әғқңөұүһі".contains(c)), "Kazakh message");
        let pts: Vec<String> = (0..=360)
            .map(|i| {
                let t = i as f32 / 60.0;
                let a = std::f32::consts::TAU * t;
                let x = 120.0 + 60.0 * t - 20.0 * a.cos();
                let y = 100.0 - 40.0 * a.sin();
                format!(r#"{{"x":{x},"y":{y},"t":{},"pressure":0.6}}"#, i * 8)
            })
            .collect();
        let json = format!(r#"{{"width":600,"height":200,"strokes":[[{}]]}}"#, pts.join(","));
        let signed: StrokeInput = serde_json::from_str(&json).unwrap();
        let v = judge_strokes(&signed, &p, Lang::En).unwrap();
        assert_eq!(v.report.decision, Decision::Accept, "{:#?}", v.report.checks);
    }
}
