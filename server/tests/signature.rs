//! Signature samples end to end: the `sapa signature` command and `POST /v1/signature` on the
//! real binary, with real files, a real server and real models (the face detector).

mod serve;

use image::{Rgb, RgbImage};
use sapa_engine::signature::strokes::draw_polyline;
use serve::{Serve, root};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sapa-sig-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A looped signature in blue ink on paper, as PNG.
fn signed_png(ink: [u8; 3]) -> Vec<u8> {
    let mut img = RgbImage::from_pixel(1000, 420, Rgb([243, 241, 235]));
    let pts: Vec<(f32, f32, f32)> = (0..=420)
        .map(|i| {
            let t = i as f32 / 60.0;
            let a = std::f32::consts::TAU * t;
            (250.0 + 75.0 * t - 30.0 * a.cos(), 210.0 - 70.0 * a.sin() * (0.8 + 0.2 * (t * 1.7).sin()), 2.2)
        })
        .collect();
    draw_polyline(&mut img, &pts, ink);
    png(&img)
}

fn png(img: &RgbImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// A PNG header claiming 60000 x 60000 pixels.
fn huge_png() -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&60000u32.to_be_bytes());
    ihdr.extend_from_slice(&60000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    png.extend_from_slice(&13u32.to_be_bytes());
    png.extend_from_slice(&ihdr);
    png.extend_from_slice(&crc32fast::hash(&ihdr).to_be_bytes());
    png
}

fn strokes_json() -> String {
    let pts: Vec<String> = (0..=360)
        .map(|i| {
            let t = i as f32 / 60.0;
            let a = std::f32::consts::TAU * t;
            format!(
                r#"{{"x":{},"y":{},"t":{}}}"#,
                120.0 + 60.0 * t - 20.0 * a.cos(),
                100.0 - 40.0 * a.sin(),
                i * 8
            )
        })
        .collect();
    format!(r#"{{"width":600,"height":200,"strokes":[[{}]]}}"#, pts.join(","))
}

fn sapa(args: &[&str]) -> Vec<serde_json::Value> {
    let out =
        Command::new(env!("CARGO_BIN_EXE_sapa")).args(args).current_dir(root()).output().expect("run sapa");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect()
}

fn failed(v: &serde_json::Value) -> Vec<String> {
    v["failed"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_string()).collect()
}

#[test]
fn the_command_judges_images_and_strokes_and_refuses_bad_input_with_a_code() {
    let dir = temp("cli");
    let files = [
        ("good.png", signed_png([35, 45, 130])),
        ("red.png", signed_png([190, 40, 50])),
        ("empty.png", Vec::new()),
        ("notes.jpg", b"not an image at all".to_vec()),
        ("huge.png", huge_png()),
        ("pad.json", strokes_json().into_bytes()),
        ("bad.json", br#"{"width":600,"height":200,"strokes":[[{"x":"a","y":1,"t":0}]]}"#.to_vec()),
    ];
    let mut args =
        vec!["signature".to_string(), "--json".into(), "--out".into(), dir.join("out").display().to_string()];
    for (name, bytes) in &files {
        std::fs::write(dir.join(name), bytes).unwrap();
        args.push(dir.join(name).display().to_string());
    }
    args.push("fixtures/astronaut.png".into());
    let lines = sapa(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(lines.len(), 8);
    assert_eq!(lines[0]["decision"], "accept", "{}", lines[0]);
    let written = lines[0]["normalised_file"].as_str().expect("normalised written");
    let img = image::open(written).unwrap();
    assert_eq!((img.width(), img.height()), (413, 142));
    assert_eq!(failed(&lines[1]), vec!["ink_colour"], "{}", lines[1]);
    assert_eq!(lines[2]["error"]["code"], "empty_input");
    assert_eq!(lines[3]["error"]["code"], "unsupported_format");
    assert_eq!(lines[4]["error"]["code"], "image_too_large");
    assert_eq!(lines[5]["decision"], "accept", "{}", lines[5]);
    assert_eq!(lines[6]["error"]["code"], "invalid_strokes");
    assert!(failed(&lines[7]).contains(&"not_a_signature".to_string()), "a portrait: {}", lines[7]);
    let faces =
        lines[7]["checks"].as_array().unwrap().iter().find(|c| c["measure"] == "faces_found").unwrap();
    assert_eq!(faces["value"], 1.0);

    let human = Command::new(env!("CARGO_BIN_EXE_sapa"))
        .args(["signature", "--lang", "ru", dir.join("red.png").to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8(human.stdout).unwrap();
    assert!(text.contains(": REJECT (kz-id)\n  1. [ink_colour] Недопустимый цвет"), "{text}");
}

/// The audit log once it holds at least `n` lines (it is written after the answer), or after 20 s.
fn audit(s: &Serve, n: usize) -> Vec<serde_json::Value> {
    let start = Instant::now();
    loop {
        let lines = s.audit();
        if lines.len() >= n || start.elapsed() > Duration::from_secs(20) {
            return lines;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn request(url: &str, content_type: &str, body: &[u8], headers: &[(&str, &str)]) -> (u16, serde_json::Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into();
    let mut req = agent.post(url).header("content-type", content_type);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let mut r = req.send(body).expect("an HTTP answer");
    let status = r.status().as_u16();
    let text = r.body_mut().with_config().limit(50_000_000).read_to_string().unwrap();
    (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::Null))
}

#[test]
fn the_endpoint_answers_images_forms_and_strokes_and_bad_input_is_a_4xx() {
    let s = Serve::start("sig-http", "", &[]);
    let url = format!("{}/v1/signature", s.base);
    let (status, good) = request(&url, "image/png", &signed_png([35, 45, 130]), &[]);
    assert_eq!(status, 200, "{good}");
    assert_eq!(good["decision"], "accept", "{good}");
    use base64::Engine as _;
    let bytes =
        base64::engine::general_purpose::STANDARD.decode(good["normalised_png"].as_str().unwrap()).unwrap();
    let img = image::load_from_memory(&bytes).unwrap();
    assert_eq!((img.width(), img.height()), (413, 142));

    let boundary = "sig-boundary-1";
    let mut form = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"signature\"; filename=\"s.png\"\r\nContent-Type: image/png\r\n\r\n").into_bytes();
    form.extend_from_slice(&signed_png([190, 40, 50]));
    form.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let (status, red) =
        request(&format!("{url}?lang=kk"), &format!("multipart/form-data; boundary={boundary}"), &form, &[]);
    assert_eq!(status, 200, "{red}");
    assert_eq!(red["failed"], serde_json::json!(["ink_colour"]));

    let (status, pad) = request(&url, "application/json", strokes_json().as_bytes(), &[]);
    assert_eq!((status, pad["decision"].as_str()), (200, Some("accept")), "{pad}");

    let astronaut = std::fs::read(root().join("fixtures/astronaut.png")).unwrap();
    let bad: [(&str, Vec<u8>, u16, &str); 6] = [
        ("image/png", Vec::new(), 400, "empty_input"),
        ("image/jpeg", b"not an image".to_vec(), 422, "unsupported_format"),
        ("image/png", huge_png(), 413, "image_too_large"),
        ("application/json", b"{\"width\":1}".to_vec(), 422, "invalid_strokes"),
        (
            "application/json",
            br#"{"width":10,"height":10,"strokes":[[{"x":1,"y":1,"t":5},{"x":2,"y":2,"t":1}]]}"#.to_vec(),
            422,
            "invalid_strokes",
        ),
        ("text/plain", b"hello".to_vec(), 415, "unsupported_media_type"),
    ];
    for (ct, body, want, code) in bad {
        let (status, v) = request(&url, ct, &body, &[]);
        assert_eq!((status, v["error"]["code"].as_str()), (want, Some(code)), "{ct}: {v}");
    }
    let (status, photo) = request(&url, "image/png", &astronaut, &[]);
    assert_eq!(status, 200);
    assert!(failed(&photo).contains(&"not_a_signature".to_string()), "{photo}");

    let audit = audit(&s, 10);
    let ours: Vec<_> = audit.iter().filter(|e| e["route"] == "signature").collect();
    assert_eq!(ours.len(), 10, "{audit:?}");
    assert!(ours.iter().any(|e| e["decision"] == "reject"));
    assert!(ours.iter().any(|e| e["error"] == "invalid_strokes"));

    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let metrics =
        agent.get(&format!("{}/metrics", s.base)).call().unwrap().body_mut().read_to_string().unwrap();
    assert!(
        metrics.contains("sapa_http_requests_total{route=\"/v1/signature\",status=\"200\"} 4"),
        "{metrics}"
    );
    let api: serde_json::Value = serde_json::from_str(
        &agent.get(&format!("{}/openapi.json", s.base)).call().unwrap().body_mut().read_to_string().unwrap(),
    )
    .unwrap();
    let op = &api["paths"]["/v1/signature"]["post"];
    assert!(op.is_object(), "/v1/signature is documented");
    assert_eq!(op["security"][0]["api_key"][0], "validate");
    assert!(api["components"]["schemas"]["SignatureResponse"].is_object());
    assert!(api["components"]["schemas"]["SignatureCode"].is_object());
}

#[test]
fn the_endpoint_needs_a_key_with_the_validate_scope() {
    let s = Serve::start("sig-keys", "", &[("SAPA_API_KEYS", "portal=k1:validate,other=k2:verify")]);
    let url = format!("{}/v1/signature", s.base);
    let body = signed_png([30, 30, 30]);
    assert_eq!(request(&url, "image/png", &body, &[]).0, 401);
    assert_eq!(request(&url, "image/png", &body, &[("x-api-key", "k2")]).0, 403);
    assert_eq!(request(&url, "image/png", &body, &[("x-api-key", "k1")]).0, 200);
}

/// A manifest's `signature` column: each photo's sample is judged beside it, into the same JSON
/// line, the CSV, the summary and the HTML report; a photo that fails to read keeps its
/// signature's result, and a missing sample is an error of its own.
#[test]
fn the_batch_judges_the_signature_filed_with_each_photo() {
    let dir = temp("batch");
    std::fs::copy(root().join("fixtures/astronaut.png"), dir.join("a.png")).unwrap();
    std::fs::copy(root().join("fixtures/astronaut.png"), dir.join("b.png")).unwrap();
    std::fs::write(dir.join("broken.jpg"), b"\xFF\xD8\xFF\xE0 cut short").unwrap();
    std::fs::write(dir.join("good.png"), signed_png([35, 45, 130])).unwrap();
    std::fs::write(dir.join("red.png"), signed_png([190, 40, 50])).unwrap();
    std::fs::write(dir.join("pad.json"), strokes_json()).unwrap();
    let manifest = dir.join("m.csv");
    std::fs::write(
        &manifest,
        "file,signature\na.png,good.png\nbroken.jpg,red.png\nb.png,missing.png\nc.png,pad.json\nd.png,\n",
    )
    .unwrap();
    for name in ["c.png", "d.png"] {
        std::fs::copy(root().join("fixtures/astronaut.png"), dir.join(name)).unwrap();
    }
    let (out, csv, html) = (dir.join("r.jsonl"), dir.join("r.csv"), dir.join("r.html"));
    let run = Command::new(env!("CARGO_BIN_EXE_sapa"))
        .args(["batch", "--input", manifest.to_str().unwrap(), "--out", out.to_str().unwrap()])
        .args(["--csv", csv.to_str().unwrap(), "--report", html.to_str().unwrap()])
        .current_dir(root())
        .output()
        .expect("run sapa");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let summary = String::from_utf8(run.stdout).unwrap();
    let lines: Vec<serde_json::Value> =
        std::fs::read_to_string(&out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let line =
        |name: &str| lines.iter().find(|l| l["file"].as_str().unwrap().ends_with(name)).unwrap().clone();
    let a = line("a.png");
    assert!(a["template"].is_string(), "the photo's own result is whole");
    assert_eq!(a["signature"]["decision"], "accept", "{}", a["signature"]);
    assert!(a["signature"]["file"].as_str().unwrap().ends_with("good.png"));
    let broken = line("broken.jpg");
    assert!(broken["error"]["code"].is_string(), "{broken}");
    assert_eq!(failed(&broken["signature"]), vec!["ink_colour"], "the sample is judged all the same");
    let b = line("b.png");
    assert!(b["decision"].is_string());
    assert_eq!(b["signature"]["error"]["code"], "unreadable_file", "{}", b["signature"]);
    assert_eq!(line("c.png")["signature"]["decision"], "accept", "pad strokes: {}", line("c.png"));
    assert!(line("d.png").get("signature").is_none(), "no sample filed, none reported");

    assert!(summary.contains("signatures: 4 samples: 2 accept, 1 reject, 1 error"), "{summary}");
    assert!(summary.contains("signature failed checks: ink_colour 1"), "{summary}");
    let table = std::fs::read_to_string(&csv).unwrap();
    let rows: Vec<&str> = table.lines().collect();
    assert_eq!(
        rows[0],
        "file,decision,failed,error,signature,signature_decision,signature_failed,signature_error"
    );
    assert!(rows.iter().any(|r| r.contains("red.png,reject,ink_colour,")), "{table}");
    assert!(rows.iter().any(|r| r.ends_with("missing.png,error,,unreadable_file")), "{table}");
    assert!(rows.iter().any(|r| r.contains("d.png,") && r.ends_with(",,,,")), "{table}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("Signature samples") && page.contains("4 samples: 2 accept, 1 reject, 1 error"));
    assert!(page.contains("red.png") && page.contains("ink_colour"), "the refused sample is listed");
}
