//! The overlay through the product's edges: `sapa validate --overlay` writes PNG and SVG files,
//! `POST /v1/validate?overlay=svg|png` answers with it, and a format it does not know is a typed
//! 400, never a 500.

mod serve;

use base64::Engine;
use std::process::Command;
use std::time::Duration;

fn post(url: &str, body: &[u8]) -> (u16, serde_json::Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(300)))
        .build()
        .into();
    let mut r = agent.post(url).header("content-type", "image/png").send(body).expect("an HTTP answer");
    let text = r.body_mut().with_config().limit(50_000_000).read_to_string().unwrap();
    (r.status().as_u16(), serde_json::from_str(&text).unwrap_or(serde_json::Value::Null))
}

#[test]
fn the_service_answers_with_the_overlay_in_the_asked_format() {
    let s = serve::Serve::start("overlay", "", &[]);
    let photo = std::fs::read(serve::root().join("fixtures/astronaut.png")).unwrap();
    let size = image::load_from_memory(&photo).unwrap();

    let (status, plain) = post(&s.url("/v1/validate"), &photo);
    assert_eq!(status, 200);
    assert!(plain.get("overlay").is_none(), "no overlay unless asked");

    let (status, v) = post(&s.url("/v1/validate?overlay=svg"), &photo);
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["decision"], plain["decision"]);
    let o = &v["overlay"];
    assert_eq!(o["format"], "svg");
    let svg = o["svg"].as_str().unwrap();
    let view = format!(r#"viewBox="0 0 {} {}""#, size.width(), size.height());
    assert!(svg.starts_with("<svg") && svg.contains(&view), "{}", &svg[..200]);
    assert!(!svg.contains("<image"), "the photo is not echoed back in the SVG");
    // The geometry matches the report: the crop is the report's crop, every region's code failed.
    assert_eq!(o["geometry"]["crop"], v["crop"]["box"]);
    let failed: Vec<&str> = v["failed"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    for r in o["geometry"]["regions"].as_array().unwrap() {
        let code = r["code"].as_str().unwrap();
        assert!(failed.contains(&code) || v["warnings"].to_string().contains(code), "{code}");
        assert!(svg.contains(&format!(r#"data-code="{code}""#)), "{code} not drawn");
    }

    let (status, v) = post(&s.url("/v1/validate?overlay=png"), &photo);
    assert_eq!(status, 200);
    assert_eq!(v["overlay"]["format"], "png");
    let png =
        base64::engine::general_purpose::STANDARD.decode(v["overlay"]["png"].as_str().unwrap()).unwrap();
    let drawn = image::load_from_memory(&png).unwrap();
    assert_eq!((drawn.width(), drawn.height()), (size.width(), size.height()));
    assert_ne!(drawn.to_rgb8().as_raw(), size.to_rgb8().as_raw(), "something is drawn");

    let (status, v) = post(&s.url("/v1/validate?overlay=gif"), &photo);
    assert_eq!((status, v["error"]["code"].as_str()), (400, Some("bad_request")), "{v}");
    // The signature route takes no overlay.
    let (status, v) = post(&s.url("/v1/signature?overlay=svg"), &photo);
    assert_eq!((status, v["error"]["code"].as_str()), (400, Some("bad_request")), "{v}");

    // Nothing of the drawing in the audit or the log.
    let audit = serde_json::to_string(&s.audit()).unwrap();
    assert!(!audit.contains("<svg") && !s.log().contains("<svg"));
}

#[test]
fn the_command_writes_png_and_svg_overlays() {
    let dir = std::env::temp_dir().join(format!("sapa-overlay-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for ext in ["png", "svg"] {
        let out = dir.join(format!("astronaut.{ext}"));
        let run = Command::new(env!("CARGO_BIN_EXE_sapa"))
            .args(["validate", "--json", "--overlay", out.to_str().unwrap(), "fixtures/astronaut.png"])
            .current_dir(serve::root())
            .output()
            .unwrap();
        assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
        let line: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
        assert_eq!(line["overlay_file"], out.to_str().unwrap());
        let bytes = std::fs::read(&out).unwrap();
        match ext {
            "png" => assert_eq!(image::load_from_memory(&bytes).unwrap().width(), 512),
            _ => {
                let svg = String::from_utf8(bytes).unwrap();
                assert!(svg.contains(r#"<image data-kind="photo" href="data:image/jpeg;base64,"#));
                assert!(svg.contains(r#"data-kind="crop""#) && svg.contains(r#"data-kind="region""#));
            }
        }
    }
    // An unwritable target is the file's error line with its code, not a crash.
    let run = Command::new(env!("CARGO_BIN_EXE_sapa"))
        .args(["validate", "--json", "--overlay", "/nonexistent/dir/o.png", "fixtures/astronaut.png"])
        .current_dir(serve::root())
        .output()
        .unwrap();
    let line: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(line["error"]["code"], "unwritable_file", "{line}");
    let _ = std::fs::remove_dir_all(&dir);
}
