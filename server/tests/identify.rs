//! `POST /v1/kiosk/identify` and the `pad` field of `POST /v1/capture` over real TCP: the real
//! `sapa serve`, the real models. A reference is enrolled from the committed public-domain
//! portrait (fixtures/astronaut.png); every other image is made at test time from it.

mod frames;
mod serve;

use frames::{astronaut, capture_frame};
use image::{Rgb, RgbImage};
use serve::{Serve, multipart};
use std::time::Duration;

const KEY: &str = "identify-test-key-0123456789abcdef";
const VALIDATE_ONLY: &str = "identify-validate-key-0123456789ab";
const IIN: &str = "900101300017";
/// A valid IIN (check digit) with no reference enrolled.
const UNKNOWN_IIN: &str = "850615400016";

fn post(url: &str, content_type: &str, body: &[u8], key: Option<&str>) -> (u16, serde_json::Value, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into();
    let mut req = agent.post(url).header("content-type", content_type);
    if let Some(k) = key {
        req = req.header("x-api-key", k);
    }
    let mut r = req.send(body).expect("an HTTP answer");
    let status = r.status().as_u16();
    let text = r.body_mut().read_to_string().unwrap();
    (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::Null), text)
}

fn png(img: &RgbImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn jpeg(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).encode_image(img).unwrap();
    out
}

/// Two people: the portrait twice, side by side, each half the size.
fn two_faces() -> RgbImage {
    let a = astronaut();
    let small =
        image::imageops::resize(&a, a.width() / 2, a.height() / 2, image::imageops::FilterType::Triangle);
    let mut out = RgbImage::from_pixel(a.width(), a.height() / 2 + 40, *a.get_pixel(256, 2));
    image::imageops::replace(&mut out, &small, 0, 20);
    image::imageops::replace(&mut out, &small, i64::from(a.width() / 2), 20);
    out
}

/// A paper print of the portrait held up to the camera, made here (the evaluation's generator
/// lives in sapa-eval, which depends on this crate): a washed-out, desaturated, warm copy with a
/// coarse dot screen, smaller than the frame on a desk-coloured background, so the paper's edge
/// is in view.
fn held_up_print() -> RgbImage {
    let a = astronaut();
    let (w, h) = (a.width() * 3 / 4, a.height() * 3 / 4);
    let mut paper = image::imageops::resize(&a, w, h, image::imageops::FilterType::Triangle);
    for (x, y, px) in paper.enumerate_pixels_mut() {
        let luma = 0.299 * f32::from(px[0]) + 0.587 * f32::from(px[1]) + 0.114 * f32::from(px[2]);
        let dots = ((x as f32 * 0.9).sin() * (y as f32 * 0.9).sin()) * 18.0;
        let tint = [232.0, 226.0, 210.0];
        for k in 0..3 {
            let grey = 0.6 * f32::from(px[k]) + 0.4 * luma;
            px[k] = (40.0 + grey * (tint[k] - 40.0) / 255.0 + dots).clamp(0.0, 255.0) as u8;
        }
    }
    let mut frame = RgbImage::from_pixel(a.width(), a.height(), Rgb([96, 78, 60]));
    image::imageops::replace(
        &mut frame,
        &paper,
        i64::from((a.width() - w) / 2),
        i64::from((a.height() - h) / 3),
    );
    frame
}

/// The portrait replayed on a phone held up to the camera, made here: a screen's gamma and raised
/// black, a fine moiré from the camera sampling the pixel grid, and the black bezel in view.
fn screen_replay() -> RgbImage {
    let a = astronaut();
    let (w, h) = (a.width() * 7 / 10, a.height() * 7 / 10);
    let mut screen = image::imageops::resize(&a, w, h, image::imageops::FilterType::Triangle);
    for (x, y, px) in screen.enumerate_pixels_mut() {
        let moire = 25.0 * (2.0 * std::f32::consts::PI * (x as f32 * 0.97 + y as f32 * 0.23) / 3.0).sin();
        for k in 0..3 {
            let v = 255.0 * (f32::from(px[k]) / 255.0).powf(0.8) * 0.9 + 20.0 + moire;
            px[k] = v.clamp(0.0, 255.0) as u8;
        }
    }
    let bezel = 12;
    let mut phone = RgbImage::from_pixel(w + 2 * bezel, h + 2 * bezel, Rgb([8, 8, 8]));
    image::imageops::replace(&mut phone, &screen, i64::from(bezel), i64::from(bezel));
    let mut frame = RgbImage::from_pixel(a.width(), a.height(), Rgb([40, 38, 35]));
    let (x, y) = ((a.width() - phone.width()) / 2, (a.height() - phone.height()) / 2);
    image::imageops::replace(&mut frame, &phone, i64::from(x), i64::from(y));
    frame
}

fn identify(s: &Serve, photo: &[u8], iin: &str, key: Option<&str>) -> (u16, serde_json::Value, String) {
    let (ct, body) = multipart(&[("photo", Some(photo), ""), ("iin", None, iin)]);
    post(&s.url("/v1/kiosk/identify?lang=ru"), &ct, &body, key)
}

fn reason_codes(v: &serde_json::Value) -> Vec<String> {
    v["reasons"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap().to_string()).collect()
}

#[test]
fn a_kiosk_identifies_the_enrolled_person_and_says_why_it_does_not() {
    let config = "[[key]]\nname = \"kiosk-1\"\nkey_env = \"ID_KEY\"\nscopes = [\"validate\", \"verify\", \"references\"]\n\
         [[key]]\nname = \"kiosk-2\"\nkey_env = \"ID_VALIDATE_KEY\"\nscopes = [\"validate\"]\n";
    let s = Serve::start("identify", config, &[("ID_KEY", KEY), ("ID_VALIDATE_KEY", VALIDATE_ONLY)]);
    let portrait = png(&astronaut());

    let (ct, body) = multipart(&[("iin", None, IIN), ("photo", Some(&portrait), "")]);
    let (status, _, text) = post(&s.url("/v1/references"), &ct, &body, Some(KEY));
    assert_eq!(status, 201, "{text}");

    // The same person, live: identified, with PAD's verdict and the calibrated threshold.
    let (status, v, text) = identify(&s, &portrait, IIN, Some(KEY));
    assert_eq!(status, 200, "{text}");
    assert_eq!(v["outcome"], "identified", "{text}");
    assert_eq!(v["reasons"], serde_json::json!([]), "{text}");
    assert_eq!(v["pad"]["decision"], "live", "{text}");
    let live_score = v["pad"]["score"].as_f64().unwrap();
    assert!(v["pad"]["threshold"].as_f64().unwrap() > live_score, "{text}");
    assert!(v["score"].as_f64().unwrap() >= v["threshold"].as_f64().unwrap(), "{text}");
    assert_eq!(v["reference_source"], "store", "{text}");

    // No face at all: retake, nothing compared.
    let grey = png(&RgbImage::from_pixel(320, 240, Rgb([128, 128, 128])));
    let (status, v, text) = identify(&s, &grey, IIN, Some(KEY));
    assert_eq!(status, 200, "{text}");
    assert_eq!(
        (v["outcome"].as_str(), reason_codes(&v)),
        (Some("retake"), vec!["no_face".to_string()]),
        "{text}"
    );
    assert!(v["reasons"][0]["message"].as_str().unwrap().contains("Лицо не найдено"), "{text}");
    assert!(v["pad"].is_null() && v["score"].is_null(), "{text}");
    assert_eq!(v["pad_missing"], "no_face", "{text}");

    // Two people in the frame: retake.
    let (status, v, text) = identify(&s, &jpeg(&two_faces()), IIN, Some(KEY));
    assert_eq!(status, 200, "{text}");
    assert_eq!(v["outcome"], "retake", "{text}");
    assert_eq!(reason_codes(&v), vec!["multiple_faces".to_string()], "{text}");

    // A print held up to the camera: PAD scores it as more likely an attack than the live
    // portrait; the outcome follows PAD's decision at the kiosk threshold.
    let (status, v, text) = identify(&s, &jpeg(&held_up_print()), IIN, Some(KEY));
    assert_eq!(status, 200, "{text}");
    println!("print: {text}");
    let pad = &v["pad"];
    assert!(pad["score"].as_f64().unwrap() > live_score, "{text}");
    if pad["decision"] == "attack" {
        assert_eq!(v["outcome"], "attack_suspected", "{text}");
        assert_eq!(reason_codes(&v), vec!["attack_suspected".to_string()], "{text}");
        assert!(v["score"].is_null(), "the match is not reported: {text}");
    } else {
        assert_eq!(pad["decision"], "live", "{text}");
        assert_ne!(v["outcome"], "attack_suspected", "{text}");
    }

    // A phone replaying the portrait: PAD calls it an attack, and nothing is matched.
    let (status, v, text) = identify(&s, &jpeg(&screen_replay()), IIN, Some(KEY));
    assert_eq!(status, 200, "{text}");
    println!("replay: {text}");
    assert_eq!(v["pad"]["decision"], "attack", "{text}");
    assert!(v["pad"]["score"].as_f64().unwrap() >= v["pad"]["threshold"].as_f64().unwrap(), "{text}");
    assert_eq!(v["outcome"], "attack_suspected", "{text}");
    assert_eq!(reason_codes(&v), vec!["attack_suspected".to_string()], "{text}");
    assert!(v["reasons"][0]["message"].as_str().unwrap().contains("живой"), "{text}");
    assert!(v["score"].is_null() && v["reference_source"].is_null(), "the match is not run: {text}");

    // Unknown IIN: verify's 404; a bad IIN: 400; no key: 401; a key without `verify`: 403.
    let (status, v, text) = identify(&s, &portrait, UNKNOWN_IIN, Some(KEY));
    assert_eq!((status, v["error"]["code"].as_str()), (404, Some("reference_not_found")), "{text}");
    let (status, v, text) = identify(&s, &portrait, "123", Some(KEY));
    assert_eq!((status, v["error"]["code"].as_str()), (400, Some("invalid_iin")), "{text}");
    let (status, v, text) = identify(&s, &portrait, IIN, None);
    assert_eq!((status, v["error"]["code"].as_str()), (401, Some("missing_api_key")), "{text}");
    let (status, v, text) = identify(&s, &portrait, IIN, Some(VALIDATE_ONLY));
    assert_eq!((status, v["error"]["code"].as_str()), (403, Some("insufficient_scope")), "{text}");
    let (ct, body) = multipart(&[("photo", Some(&portrait), "")]);
    let (status, v, text) = post(&s.url("/v1/kiosk/identify"), &ct, &body, Some(KEY));
    assert_eq!((status, v["error"]["code"].as_str()), (400, Some("missing_field")), "{text}");

    // The audit log: the outcome and a keyed hash, never the IIN.
    let audit = s.audit();
    let lines: Vec<&serde_json::Value> = audit.iter().filter(|e| e["route"] == "identify").collect();
    assert!(lines.iter().any(|e| e["decision"] == "identified" && e["iin_hash"].is_string()), "{lines:?}");
    assert!(
        lines.iter().any(|e| e["decision"] == "attack_suspected" && e["reasons"][0] == "attack_suspected"),
        "{lines:?}"
    );
    assert!(lines.iter().any(|e| e["reasons"][0] == "no_face"), "{lines:?}");
    assert!(lines.iter().all(|e| e.get("message").is_none()), "{lines:?}");
    let raw = std::fs::read_to_string(s.dir.join("audit.jsonl")).unwrap();
    assert!(!raw.contains(IIN) && !raw.contains(UNKNOWN_IIN), "a raw IIN in the audit log");
    assert!(!s.log().contains(IIN), "a raw IIN in the service log");

    // Metrics count the outcomes like other routes' decisions.
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let metrics = agent.get(s.url("/metrics")).call().unwrap().body_mut().read_to_string().unwrap();
    for outcome in ["identified", "retake", "attack_suspected"] {
        let counted = metrics.lines().any(|l| {
            l.starts_with("sapa_decisions_total{")
                && l.contains("\"identify\"")
                && l.contains(&format!("\"{outcome}\""))
        });
        assert!(counted, "{outcome} not counted: {metrics}");
    }

    // The OpenAPI document has the route.
    let doc = agent.get(s.url("/openapi.json")).call().unwrap().body_mut().read_to_string().unwrap();
    let api: serde_json::Value = serde_json::from_str(&doc).unwrap();
    let op = &api["paths"]["/v1/kiosk/identify"]["post"];
    assert_eq!(op["security"][0]["api_key"][0], "verify", "{op}");
    let schemas = &api["components"]["schemas"];
    for name in ["IdentifyResponse", "Outcome", "Reason", "PadReport", "PadMissing", "CaptureResponse"] {
        assert!(schemas[name].is_object(), "{name} missing from the OpenAPI document");
    }
    assert!(schemas["IdentifyResponse"]["properties"]["pad"].is_object());
    assert!(schemas["CaptureResponse"]["properties"]["pad"].is_object());

    // Capture answers carry PAD for the chosen frame.
    let (ct, body) = {
        let frame = jpeg(&capture_frame());
        multipart(&[("frame", Some(&frame), "")])
    };
    let (status, v, text) = post(&s.url("/v1/capture"), &ct, &body, Some(VALIDATE_ONLY));
    assert_eq!(status, 200, "{text}");
    assert_eq!(v["pad"]["decision"], "live", "{text}");
    assert!(v["pad"]["score"].as_f64().unwrap() < v["pad"]["threshold"].as_f64().unwrap(), "{text}");
    assert!(v.get("pad_missing").is_none(), "{text}");
    let grey = jpeg(&RgbImage::from_pixel(640, 480, Rgb([128, 128, 128])));
    let (ct, body) = multipart(&[("frame", Some(&grey), "")]);
    let (status, v, text) = post(&s.url("/v1/capture"), &ct, &body, Some(VALIDATE_ONLY));
    assert_eq!(status, 200, "{text}");
    assert!(v["pad"].is_null(), "{text}");
    assert_eq!(v["pad_missing"], "no_face", "{text}");
}
