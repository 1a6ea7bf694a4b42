//! `sapa serve` over real TCP: the real binary, real models, a real HTTP client.

mod serve;

use serve::{BOUNDARY, Serve, multipart, root};
use std::process::{Child, Command};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(300)))
        .build()
        .into()
}

/// Status, `Retry-After`, and the JSON body.
struct Reply {
    status: u16,
    request_id: Option<String>,
    retry_after: Option<String>,
    json: serde_json::Value,
    text: String,
}

fn reply(r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Reply {
    let mut r = r.expect("an HTTP answer");
    let status = r.status().as_u16();
    let retry_after = r.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
    let request_id = r.headers().get("x-request-id").map(|v| v.to_str().unwrap().to_string());
    let text = r.body_mut().with_config().limit(50_000_000).read_to_string().unwrap();
    let json = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
    Reply { status, request_id, json, text, retry_after }
}

fn post(url: &str, content_type: &str, body: &[u8], headers: &[(&str, &str)]) -> Reply {
    let mut req = agent().post(url).header("content-type", content_type);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    reply(req.send(body))
}

fn get(url: &str, headers: &[(&str, &str)]) -> Reply {
    let mut req = agent().get(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    reply(req.call())
}

/// A plain grey PNG: a valid photo with no face.
fn grey_png() -> Vec<u8> {
    let img = image::RgbImage::from_pixel(320, 240, image::Rgb([128, 128, 128]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// Every `$ref` in an OpenAPI document.
fn schema_refs(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x.as_str()) {
                    ("$ref", Some(r)) => out.push(r.to_string()),
                    _ => schema_refs(x, out),
                }
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| schema_refs(x, out)),
        _ => {}
    }
}

fn astronaut() -> Vec<u8> {
    std::fs::read(root().join("fixtures/astronaut.png")).unwrap()
}

fn failed(r: &Reply) -> Vec<String> {
    r.json["failed"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()
}

/// Valid IIN (check digit and birth date) used by the CLI tests too.
const IIN: &str = "900101300017";

#[test]
fn every_endpoint_answers_its_happy_path() {
    let s = Serve::start("happy", "", &[]);
    let photo = astronaut();

    let r = post(&s.url("/v1/validate"), "image/png", &photo, &[]);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["decision"], "reject");
    assert_eq!(r.json["profile"], "kz-id");
    assert!(failed(&r).contains(&"busy_background".to_string()), "{:?}", failed(&r));
    let check = &r.json["checks"][0];
    assert!(check["code"].is_string() && check["threshold"].is_object() && check["message"].is_string());

    // Multipart, Kazakh from Accept-Language, the strict profile from the query.
    let (ct, body) = multipart(&[("photo", Some(&photo), "")]);
    let r = post(&s.url("/v1/validate?profile=icao"), &ct, &body, &[("accept-language", "kk-KZ, ru;q=0.8")]);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["profile"], "icao");
    let first_failed = r.json["checks"].as_array().unwrap().iter().find(|c| c["passed"] == false).unwrap();
    assert!(
        first_failed["message"].as_str().unwrap().chars().any(|c| "әғқңөұүһі".contains(c)),
        "{first_failed}"
    );

    // Verify two uploads of the same face.
    let (ct, body) = multipart(&[("probe", Some(&photo), ""), ("reference", Some(&photo), "")]);
    let r = post(&s.url("/v1/verify"), &ct, &body, &[]);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["decision"], "match");
    assert_eq!(r.json["reference_source"], "upload");
    assert!(r.json["score"].as_f64().unwrap() >= r.json["threshold"].as_f64().unwrap());
    assert_eq!(r.json["reasons"], serde_json::json!([]));

    // A probe blurred (made here) below the threshold: `retake`, with the reason in Russian.
    let blurred = {
        let img = image::load_from_memory(&photo).unwrap().to_rgb8();
        let mut png = std::io::Cursor::new(Vec::new());
        image::imageops::blur(&img, 6.0).write_to(&mut png, image::ImageFormat::Png).unwrap();
        png.into_inner()
    };
    let (ct, body) = multipart(&[("probe", Some(&blurred), ""), ("reference", Some(&photo), "")]);
    let r = post(&s.url("/v1/verify?lang=ru"), &ct, &body, &[]);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["decision"], "retake", "{}", r.text);
    let reason = &r.json["reasons"][0];
    assert_eq!(
        (reason["photo"].as_str(), reason["reason"].as_str()),
        (Some("probe"), Some("blurred")),
        "{reason}"
    );
    assert!(reason["value"].as_f64().unwrap() < reason["threshold"].as_f64().unwrap(), "{reason}");
    assert!(reason["message"].as_str().unwrap().contains("размыто"), "{reason}");

    // Enrol, read, verify by IIN, erase; the IIN always in the body, never in a URL.
    let (ct, body) = multipart(&[("iin", None, IIN), ("photo", Some(&photo), "")]);
    let r = post(&s.url("/v1/references"), &ct, &body, &[]);
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["enrolled"], true);
    let iin_json = format!("{{\"iin\": \"{IIN}\"}}");
    let r = post(&s.url("/v1/references/show"), "application/json", iin_json.as_bytes(), &[]);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["references"][0]["source"], "enrol");
    assert!(!r.text.contains("template\""), "metadata only: {}", r.text);
    let (ct, body) = multipart(&[("probe", Some(&photo), ""), ("iin", None, IIN)]);
    let r = post(&s.url("/v1/verify"), &ct, &body, &[]);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (r.json["decision"].as_str(), r.json["reference_source"].as_str()),
        (Some("match"), Some("store"))
    );
    // A damaged row is a reference that yields no template: 422 reference_invalid, as from ГБД ФЛ.
    let db = rusqlite::Connection::open(s.dir.join("refs.sqlite")).unwrap();
    for damage in
        ["UPDATE reference_template SET template = x'00ff'", "UPDATE reference_template SET quality = 'abc'"]
    {
        db.execute(damage, []).unwrap();
        let (ct, body) = multipart(&[("probe", Some(&photo), ""), ("iin", None, IIN)]);
        let r = post(&s.url("/v1/verify"), &ct, &body, &[]);
        assert_eq!(
            (r.status, r.json["error"]["code"].as_str()),
            (422, Some("reference_invalid")),
            "{damage}: {}",
            r.text
        );
    }
    let r = post(&s.url("/v1/references/erase"), "application/json", iin_json.as_bytes(), &[]);
    assert_eq!(r.json["deleted"], 1, "{}", r.text);
    // An IIN in a URL is not an API: the old path routes are gone.
    let r = get(&s.url(&format!("/v1/references/{IIN}")), &[]);
    assert_eq!(r.status, 404, "{}", r.text);
    let r = post(&s.url("/v1/references/show"), "application/json", iin_json.as_bytes(), &[]);
    assert_eq!((r.status, r.json["error"]["code"].as_str()), (404, Some("reference_not_found")));
    let last_id = r.request_id;

    // Operations.
    assert_eq!(get(&s.url("/health/live"), &[]).json["status"], "live");
    let r = get(&s.url("/health/ready"), &[]);
    assert_eq!((r.status, r.json["status"].as_str()), (200, Some("ready")));
    assert_eq!(r.json["reference_source"], "not_configured");
    // The runtime in use, the same in readiness and metrics (ONNX Runtime when the test run found
    // its library, tract otherwise).
    let runtime = r.json["backend"].as_str().expect("backend in readiness").to_string();
    assert!(runtime == "tract" || runtime.starts_with("onnxruntime"), "{runtime}");
    let m = get(&s.url("/metrics"), &[]).text;
    assert!(m.contains(&format!("sapa_backend{{runtime=\"{runtime}\"}} 1")), "{m}");
    assert!(m.contains("sapa_http_requests_total{route=\"/v1/validate\",status=\"200\"} 2"), "{m}");
    assert!(m.contains("sapa_stage_duration_seconds_count{stage=\"analyze\"} 10"), "{m}");
    assert!(m.contains("sapa_queue_depth"), "{m}");
    let api = get(&s.url("/openapi.json"), &[]).json;
    for path in
        ["/v1/validate", "/v1/verify", "/v1/references", "/v1/references/show", "/health/ready", "/metrics"]
    {
        assert!(api["paths"][path].is_object(), "{path} missing from the OpenAPI document");
    }
    assert!(api["components"]["schemas"]["Report"]["properties"]["checks"].is_object());
    let mut refs = Vec::new();
    schema_refs(&api, &mut refs);
    for r in &refs {
        let name = r.trim_start_matches("#/components/schemas/");
        assert!(api["components"]["schemas"][name].is_object(), "{r} does not resolve");
    }
    assert!(refs.iter().any(|r| r.ends_with("/PoorPhoto")), "verify's reasons are documented");
    // A parameter declared `in: path` must be in the path (query parameters once were not).
    for (path, ops) in api["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            for p in op["parameters"].as_array().into_iter().flatten() {
                if p["in"] == "path" {
                    let name = p["name"].as_str().unwrap();
                    assert!(path.contains(&format!("{{{name}}}")), "{method} {path}: path parameter {name}");
                }
            }
        }
    }
    // scripts/test.sh runs openapi-spec-validator on this copy.
    let copy = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("openapi.json");
    std::fs::write(&copy, serde_json::to_string_pretty(&api).unwrap()).unwrap();

    // The audit trail: one line per API call, a keyed hash for the IIN, never the IIN itself.
    let audit = s.audit_at_least(11);
    assert_eq!(audit.len(), 11, "{audit:?}");
    assert!(audit.iter().any(|e| e["decision"] == "retake"), "a retake is audited as such");
    let text = std::fs::read_to_string(s.dir.join("audit.jsonl")).unwrap();
    assert!(!text.contains(IIN), "raw IIN in the audit log");
    let hashes: Vec<&str> = audit.iter().filter_map(|e| e["iin_hash"].as_str()).collect();
    assert_eq!(hashes.len(), 7);
    assert!(hashes.iter().all(|h| h.len() == 64 && *h == hashes[0]));
    assert_eq!(audit[0]["decision"], "reject");
    assert_eq!(
        audit.last().unwrap()["request_id"].as_str(),
        last_id.as_deref(),
        "X-Request-Id names the audit line"
    );
    assert!(audit[0]["failed"].as_array().unwrap().iter().any(|c| c == "busy_background"));
    assert!(!s.log().contains(IIN), "raw IIN in the service log");
    // The log goes to a pipe here, not a terminal: plain text, no colour escapes.
    assert!(!s.log().contains('\u{1b}'), "ANSI escapes in a redirected log");
    let (ct, body) = multipart(&[("probe", Some(&photo), ""), ("reference", Some(&photo), "")]);
    // An FMR that is no calibrated operating point is the request's fault, and says so.
    for bad in ["inf", "NaN", "0.5", "1e-7"] {
        let r = post(&s.url(&format!("/v1/verify?fmr={bad}")), &ct, &body, &[]);
        assert_eq!((r.status, r.json["error"]["code"].as_str()), (400, Some("bad_request")), "fmr={bad}");
        assert!(
            r.json["error"]["detail"].as_str().unwrap().contains("calibrated operating point"),
            "{}",
            r.text
        );
    }
}

/// A PNG whose header claims 60000x60000 pixels (a decompression bomb's calling card).
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

#[test]
fn bad_input_gets_its_4xx_code_and_never_a_5xx() {
    let s = Serve::start("bad", "[limits]\nmax_body_bytes = 1000000\n", &[]);
    let photo = astronaut();
    let mut random = vec![0u8; 4096];
    let mut x = 0x2545_f491_u32;
    for b in &mut random {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *b = x as u8;
    }
    let text = "this is a note, not a photo".as_bytes();
    let cases: Vec<(&str, &str, Vec<u8>, u16, &str)> = vec![
        ("empty", "image/jpeg", vec![], 400, "empty_input"),
        ("text as text", "text/plain", text.to_vec(), 415, "unsupported_media_type"),
        ("text as an image", "image/jpeg", text.to_vec(), 422, "unsupported_format"),
        ("truncated", "image/png", photo[..photo.len() / 2].to_vec(), 422, "corrupt_image"),
        ("random bytes", "image/jpeg", random, 422, "unsupported_format"),
        ("60000x60000 header", "image/png", huge_png(), 413, "image_too_large"),
        ("wrong content type", "application/json", photo.clone(), 415, "unsupported_media_type"),
        ("too large", "image/png", vec![0u8; 1_500_000], 413, "payload_too_large"),
    ];
    for (what, ct, body, status, code) in cases {
        let r = post(&s.url("/v1/validate?lang=ru"), ct, &body, &[]);
        assert_eq!((r.status, r.json["error"]["code"].as_str()), (status, Some(code)), "{what}: {}", r.text);
        let message = r.json["error"]["message"].as_str().unwrap();
        assert!(
            message.chars().any(|c| ('а'..='я').contains(&c)),
            "{what}: message not in Russian: {message}"
        );
    }
    // A photo part with neither file name nor type (`curl -F photo=<face.jpg`) is still a photo;
    // a part named twice is refused.
    let mut body =
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"photo\"\r\n\r\n").into_bytes();
    body.extend_from_slice(&photo);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let r = post(&s.url("/v1/validate"), &format!("multipart/form-data; boundary={BOUNDARY}"), &body, &[]);
    assert_eq!(r.status, 200, "{}", r.text);
    let (ct, body) = multipart(&[("photo", Some(&photo), ""), ("photo", Some(&grey_png()), "")]);
    let r = post(&s.url("/v1/validate"), &ct, &body, &[]);
    assert_eq!((r.status, r.json["error"]["code"].as_str()), (400, Some("duplicate_field")), "{}", r.text);
    // Multipart without the photo, an unknown profile, a bad IIN, a photo with no face.
    let (ct, body) = multipart(&[("picture", Some(&photo), "")]);
    assert_eq!(post(&s.url("/v1/validate"), &ct, &body, &[]).json["error"]["code"], "missing_field");
    assert_eq!(
        post(&s.url("/v1/validate?profile=mars"), "image/png", &photo, &[]).json["error"]["code"],
        "unknown_profile"
    );
    let (ct, body) = multipart(&[("probe", Some(&photo), ""), ("iin", None, "123")]);
    let r = post(&s.url("/v1/verify"), &ct, &body, &[]);
    assert_eq!((r.status, r.json["error"]["code"].as_str()), (400, Some("invalid_iin")));
    let grey = grey_png();
    let r = post(&s.url("/v1/validate"), "image/png", &grey, &[]);
    assert_eq!((r.status, r.json["failed"][0].as_str()), (200, Some("no_face")), "no face is a verdict");
    assert!(
        r.json["warnings"].as_array().is_some_and(|w| w.is_empty()),
        "warnings is always present: {}",
        r.text
    );
    let (ct, body) = multipart(&[("probe", Some(&grey), ""), ("reference", Some(&photo), "")]);
    let r = post(&s.url("/v1/verify"), &ct, &body, &[]);
    assert_eq!((r.status, r.json["error"]["code"].as_str()), (422, Some("no_face")));
    assert!(r.json["error"]["detail"].as_str().unwrap().starts_with("probe:"), "{}", r.text);
    let r = get(&s.url("/v2/nothing"), &[]);
    assert_eq!((r.status, r.json["error"]["code"].as_str()), (404, Some("not_found")));
    // The service is still healthy after all that.
    assert_eq!(post(&s.url("/v1/validate"), "image/png", &photo, &[]).status, 200);
    let m = get(&s.url("/metrics"), &[]).text;
    assert!(!m.contains("status=\"500\""), "{m}");
}

#[test]
fn keys_and_scopes_guard_the_api() {
    let cfg = "[[key]]\nname = \"portal\"\nkey_env = \"PORTAL_KEY\"\nscopes = [\"validate\", \"verify\"]\n";
    let s = Serve::start(
        "auth",
        cfg,
        &[("PORTAL_KEY", "portal-secret"), ("SAPA_API_KEYS", "kiosk-7=kiosk-secret:validate")],
    );
    let photo = astronaut();
    let url = s.url("/v1/validate");
    let r = post(&url, "image/png", &photo, &[]);
    assert_eq!((r.status, r.json["error"]["code"].as_str()), (401, Some("missing_api_key")));
    let r = post(&url, "image/png", &photo, &[("authorization", "Bearer guess")]);
    assert_eq!((r.status, r.json["error"]["code"].as_str()), (401, Some("invalid_api_key")));
    assert_eq!(post(&url, "image/png", &photo, &[("authorization", "Bearer portal-secret")]).status, 200);
    // The scheme is case-insensitive.
    assert_eq!(post(&url, "image/png", &photo, &[("authorization", "BEARER portal-secret")]).status, 200);
    assert_eq!(post(&url, "image/png", &photo, &[("x-api-key", "kiosk-secret")]).status, 200);
    let (ct, body) = multipart(&[("probe", Some(&photo), ""), ("reference", Some(&photo), "")]);
    let r = post(&s.url("/v1/verify"), &ct, &body, &[("x-api-key", "kiosk-secret")]);
    assert_eq!((r.status, r.json["error"]["code"].as_str()), (403, Some("insufficient_scope")));
    let iin_json = format!("{{\"iin\": \"{IIN}\"}}");
    let r = post(
        &s.url("/v1/references/show"),
        "application/json",
        iin_json.as_bytes(),
        &[("authorization", "Bearer portal-secret")],
    );
    assert_eq!(r.status, 403);
    // Health stays open for the load balancer.
    assert_eq!(get(&s.url("/health/ready"), &[]).status, 200);
    let clients: Vec<String> = s
        .audit_at_least(5)
        .iter()
        .filter_map(|e| e["client"].as_str().map(String::from))
        .filter(|c| !c.is_empty())
        .collect();
    assert!(
        clients.contains(&"portal".to_string()) && clients.contains(&"kiosk-7".to_string()),
        "{clients:?}"
    );
}

#[test]
fn without_keys_the_service_refuses_a_public_address() {
    let out = Command::new(env!("CARGO_BIN_EXE_sapa"))
        .args(["serve", "--addr", "0.0.0.0:0"])
        .env_remove("SAPA_API_KEYS")
        .env_remove("SAPA_CONFIG")
        .current_dir(root())
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("loopback"));
}

#[test]
fn overload_answers_503_with_retry_after() {
    let s = Serve::start("overload", "[limits]\nworkers = 1\nqueue = 0\n", &[]);
    let photo = Arc::new(astronaut());
    let n = 8;
    let barrier = Arc::new(Barrier::new(n));
    let url = s.url("/v1/validate");
    let threads: Vec<_> = (0..n)
        .map(|_| {
            let (photo, barrier, url) = (photo.clone(), barrier.clone(), url.clone());
            std::thread::spawn(move || {
                barrier.wait();
                post(&url, "image/png", &photo, &[])
            })
        })
        .collect();
    let replies: Vec<Reply> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let ok = replies.iter().filter(|r| r.status == 200).count();
    let busy: Vec<&Reply> = replies.iter().filter(|r| r.status == 503).collect();
    assert_eq!(
        ok + busy.len(),
        n,
        "only 200s and 503s: {:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert!(ok >= 1 && !busy.is_empty(), "{ok} ok, {} busy", busy.len());
    for r in &busy {
        assert_eq!(r.json["error"]["code"], "overloaded");
        assert_eq!(r.retry_after.as_deref(), Some("1"));
    }
    // Refusals are counted, not audited one by one: one line per served request, and the
    // refusals summed in a `refused` line (written at the latest when the service stops).
    let metrics = get(&s.url("/metrics"), &[]).text;
    let refused: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("sapa_refused_total{route=\"validate\",reason=\"overloaded\"} "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no refusal count in {metrics}"));
    assert_eq!(refused as usize, busy.len());
    let mut s = s;
    let pid = s.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    assert_eq!(wait_exit(&mut s.child, Duration::from_secs(60)), Some(0));
    let audit = s.audit_at_least(ok + 1);
    let requests = audit.iter().filter(|e| e["event"] == "request").count();
    assert_eq!(requests, ok, "{audit:?}");
    let summed: u64 =
        audit.iter().filter(|e| e["event"] == "refused").map(|e| e["count"].as_u64().unwrap()).sum();
    assert_eq!(summed as usize, busy.len(), "{audit:?}");
}

/// A stand-in register on 127.0.0.1 that answers every GET with `photo`; counts its requests.
fn fake_register(photo: Vec<u8>) -> (std::net::SocketAddr, Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let mut out = stream;
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                photo.len()
            );
            let _ = out.write_all(head.as_bytes()).and_then(|_| out.write_all(&photo));
        }
    });
    (addr, hits)
}

#[test]
fn a_register_photo_becomes_a_reference_on_the_bounded_pool() {
    // One place in the pool: the probe's job ends before the register's photo is derived there.
    let (addr, hits) = fake_register(astronaut());
    let cfg = format!(
        "[limits]\nworkers = 1\nqueue = 0\n[gbd]\nurl_template = \"http://{addr}/photo/{{iin}}\"\nallow_insecure_http = true\nretries = 0\n"
    );
    // At the most verbose log level, the register's URL (which carries the IIN) is never printed.
    // On tract, whose model loading logs at debug level, so the log is surely verbose.
    let s = Serve::start("gbd-ok", &cfg, &[("SAPA_LOG", "trace"), ("SAPA_BACKEND", "tract")]);
    let (ct, body) = multipart(&[("probe", Some(&astronaut()), ""), ("iin", None, IIN)]);
    let r = post(&s.url("/v1/verify"), &ct, &body, &[]);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (r.json["decision"].as_str(), r.json["reference_source"].as_str()),
        (Some("match"), Some("gbd"))
    );
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 1);
    let log = s.log();
    assert!(log.contains("TRACE") || log.contains("DEBUG"), "the log is verbose: {log}");
    assert!(!log.contains(IIN), "an IIN in the trace log");
}

#[test]
fn a_failing_reference_source_is_a_clear_503_and_degraded_readiness() {
    // A port nobody listens on: connections are refused at once.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let cfg = format!(
        "[gbd]\nurl_template = \"http://{dead}/photo/{{iin}}\"\nallow_insecure_http = true\nretries = 0\ntimeout_ms = 500\nbreaker_failures = 1\nbreaker_cooldown_ms = 600000\n"
    );
    let s = Serve::start("gbd-down", &cfg, &[]);
    assert_eq!(get(&s.url("/health/ready"), &[]).json["status"], "ready");
    let photo = astronaut();
    let (ct, body) = multipart(&[("probe", Some(&photo), ""), ("iin", None, IIN)]);
    let r = post(&s.url("/v1/verify?lang=kk"), &ct, &body, &[]);
    assert_eq!(
        (r.status, r.json["error"]["code"].as_str()),
        (503, Some("reference_unavailable")),
        "{}",
        r.text
    );
    assert!(r.retry_after.is_some());
    let ready = get(&s.url("/health/ready"), &[]);
    assert_eq!((ready.status, ready.json["status"].as_str()), (200, Some("degraded")), "{}", ready.text);
    assert_eq!(ready.json["reference_source"], "open");
    assert!(ready.json["reason"].as_str().unwrap().contains("ГБД ФЛ"));
    // Validation is unaffected.
    assert_eq!(post(&s.url("/v1/validate"), "image/png", &photo, &[]).status, 200);
    let m = get(&s.url("/metrics"), &[]).text;
    assert!(m.contains("sapa_reference_source_down_seconds"), "{m}");
}

fn in_flight(s: &Serve) -> f64 {
    let m = get(&s.url("/metrics"), &[]).text;
    m.lines()
        .find_map(|l| l.strip_prefix("sapa_in_flight "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

#[test]
fn sigterm_finishes_the_request_in_flight_then_exits() {
    let mut s = Serve::start("sigterm", "[limits]\nworkers = 1\n", &[]);
    // A large photo keeps the worker busy long enough to signal while it runs.
    let big = {
        let img = image::load_from_memory(&astronaut()).unwrap().resize_exact(
            3000,
            3000,
            image::imageops::FilterType::Triangle,
        );
        let mut out = std::io::Cursor::new(Vec::new());
        img.to_rgb8().write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    };
    let url = s.url("/v1/validate");
    let request = std::thread::spawn(move || post(&url, "image/png", &big, &[]));
    let start = Instant::now();
    while in_flight(&s) < 1.0 {
        assert!(start.elapsed() < Duration::from_secs(60), "the request never started");
        std::thread::sleep(Duration::from_millis(5));
    }
    let pid = s.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let r = request.join().unwrap();
    assert_eq!(r.status, 200, "the request in flight is answered: {}", r.text);
    let exit = wait_exit(&mut s.child, Duration::from_secs(60));
    assert_eq!(exit, Some(0), "clean exit after SIGTERM; log: {}", s.log());
    assert!(s.log().contains("shutting down"));
}

fn wait_exit(child: &mut Child, limit: Duration) -> Option<i32> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// What a raw-socket client saw: the bytes the server sent, and whether it closed the
/// connection (end of stream or a reset) within the generous bound.
struct Seen {
    answer: String,
    closed: bool,
}

impl Seen {
    fn status(&self) -> Option<u16> {
        self.answer.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
    }

    fn json(&self) -> serde_json::Value {
        let body = self.answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        serde_json::from_str(body).unwrap_or(serde_json::Value::Null)
    }
}

/// Connects to the service on a plain TCP socket.
fn connect(s: &Serve) -> std::net::TcpStream {
    let addr = s.base.strip_prefix("http://").unwrap();
    std::net::TcpStream::connect(addr).unwrap()
}

/// Reads what the server sends until it closes, giving up after 30 s (with timeouts of 1 s under
/// test, only a server that never closes takes that long).
fn read_until_closed(stream: &mut std::net::TcpStream) -> Seen {
    use std::io::Read;
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let closed = loop {
        match stream.read(&mut buf) {
            Ok(0) => break true,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break true,
            Err(_) => break false,
        }
    };
    Seen { answer: String::from_utf8_lossy(&answer).into_owned(), closed }
}

#[test]
fn a_refused_body_is_drained_and_the_connection_carries_the_next_request() {
    use std::io::Write;
    // No key: the guard refuses before the body is read. The body (4 MB, sent whole) must be read
    // and thrown away so that the next request on the same connection is parsed from the right
    // byte and answered, instead of the connection being reset under the client.
    let cfg = "[[key]]\nname = \"portal\"\nkey_env = \"PORTAL_KEY\"\nscopes = [\"validate\"]\n";
    let s = Serve::start("drain", cfg, &[("PORTAL_KEY", "portal-secret")]);
    let body = vec![0x5au8; 4 << 20];
    let mut stream = connect(&s);
    let head = format!(
        "POST /v1/validate?lang=ru HTTP/1.1\r\nHost: sapa\r\nContent-Type: image/png\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&body).unwrap();
    stream.write_all(b"GET /health/live HTTP/1.1\r\nHost: sapa\r\nConnection: close\r\n\r\n").unwrap();
    let seen = read_until_closed(&mut stream);
    assert_eq!(seen.status(), Some(401), "{}", seen.answer);
    assert!(seen.answer.contains("missing_api_key"), "{}", seen.answer);
    let second = seen.answer.match_indices("HTTP/1.1 ").nth(1).map(|(i, _)| &seen.answer[i..]);
    assert!(
        second.is_some_and(|a| a.starts_with("HTTP/1.1 200")),
        "the next request answered: {}",
        seen.answer
    );
    // The refusal is audited with its code.
    let refused = s.audit_at_least(1);
    assert!(refused.iter().any(|e| e["error"] == "missing_api_key" && e["status"] == 401), "{refused:?}");
}

#[test]
fn a_request_is_admitted_before_its_body_is_read() {
    use std::io::Write;
    // One place in the pool. A slow upload takes it as soon as its headers arrive, so a second
    // request is refused at once, before its body is buffered; the slow one then completes.
    let s = Serve::start("admission", "[limits]\nworkers = 1\nqueue = 0\n", &[]);
    let photo = astronaut();
    let mut slow = connect(&s);
    let head = format!(
        "POST /v1/validate HTTP/1.1\r\nHost: sapa\r\nConnection: close\r\nContent-Type: image/png\r\nContent-Length: {}\r\n\r\n",
        photo.len()
    );
    slow.write_all(head.as_bytes()).unwrap();
    slow.write_all(&photo[..1000]).unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let r = post(&s.url("/v1/validate"), "image/png", &photo, &[]);
    assert_eq!((r.status, r.json["error"]["code"].as_str()), (503, Some("overloaded")), "{}", r.text);
    slow.write_all(&photo[1000..]).unwrap();
    let seen = read_until_closed(&mut slow);
    assert_eq!(seen.status(), Some(200), "{}", seen.answer);
    assert_eq!(post(&s.url("/v1/validate"), "image/png", &photo, &[]).status, 200, "the place is free again");
}

#[test]
fn slow_clients_are_cut_off_at_the_configured_timeouts() {
    use std::io::Write;
    let cfg = "[limits]\nheader_read_timeout_ms = 1000\nbody_read_timeout_ms = 1000\n";
    let s = Serve::start("slow", cfg, &[]);
    // Half the headers, then nothing: closed without an answer.
    let mut stream = connect(&s);
    stream.write_all(b"POST /v1/validate HTTP/1.1\r\nHost: sapa\r\nContent-Ty").unwrap();
    let seen = read_until_closed(&mut stream);
    assert!(seen.closed, "a client stalling in its headers is disconnected: {:?}", seen.answer);
    // Headers, then the body a byte at a time, each byte well within the timeout: the deadline is
    // for the whole body, so trickling does not extend it.
    let mut stream = connect(&s);
    stream
        .write_all(b"POST /v1/validate?lang=ru HTTP/1.1\r\nHost: sapa\r\nContent-Type: image/png\r\nContent-Length: 100000\r\n\r\n")
        .unwrap();
    let mut writer = stream.try_clone().unwrap();
    std::thread::spawn(move || {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(30) && writer.write_all(b"x").is_ok() {
            std::thread::sleep(Duration::from_millis(200));
        }
    });
    let seen = read_until_closed(&mut stream);
    assert_eq!(seen.status(), Some(408), "{}", seen.answer);
    assert_eq!(seen.json()["error"]["code"], "request_timeout", "{}", seen.answer);
    let message = seen.json()["error"]["message"].as_str().unwrap_or("").to_string();
    assert!(message.chars().any(|c| ('а'..='я').contains(&c)), "not in Russian: {message}");
    assert!(seen.closed, "the connection is closed after the 408");
    // A multipart form whose body stalls after its first part's header: the same answer.
    let mut stream = connect(&s);
    let (ct, body) = multipart(&[("probe", Some(&astronaut()), "")]);
    let head = format!(
        "POST /v1/verify HTTP/1.1\r\nHost: sapa\r\nContent-Type: {ct}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&body[..200]).unwrap();
    let seen = read_until_closed(&mut stream);
    assert_eq!(seen.status(), Some(408), "{}", seen.answer);
    assert_eq!(seen.json()["error"]["code"], "request_timeout");
    assert!(seen.closed);
    // The service is still there for a prompt client.
    assert_eq!(post(&s.url("/v1/validate"), "image/png", &astronaut(), &[]).status, 200);
    let m = get(&s.url("/metrics"), &[]).text;
    assert!(!m.contains("status=\"500\""), "{m}");
}

#[test]
fn an_oversize_body_is_read_to_the_end_and_answered_413() {
    use std::io::Write;
    let s = Serve::start("oversize", "[limits]\nmax_body_bytes = 1000000\n", &[]);
    // Far more than the loopback socket buffers hold: a server that stopped reading at the limit
    // and closed would reset this client's connection while it is still writing.
    let big = vec![0u8; 24 * 1024 * 1024];
    let (ct, form) = multipart(&[("probe", Some(&big), ""), ("iin", None, IIN)]);
    let cases = [
        ("raw photo", "/v1/validate", "image/png".to_string(), big.clone()),
        ("multipart photo", "/v1/validate", ct.clone(), form.clone()),
        ("multipart verify", "/v1/verify", ct, form),
    ];
    for (what, path, ct, body) in cases {
        let mut stream = connect(&s);
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: sapa\r\nConnection: close\r\nContent-Type: {ct}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        // Like most clients: send everything, then read the answer.
        let sent = stream.write_all(head.as_bytes()).and_then(|_| stream.write_all(&body));
        assert!(sent.is_ok(), "{what}: the upload was cut off: {sent:?}");
        let seen = read_until_closed(&mut stream);
        assert_eq!(seen.status(), Some(413), "{what}: {}", seen.answer);
        assert_eq!(seen.json()["error"]["code"], "payload_too_large", "{what}: {}", seen.answer);
    }
}

/// With every API connection held, the health listener still answers the probes and the
/// metrics; the API port's own `/health/live` waits for a slot.
#[test]
fn health_answers_on_its_own_listener_while_the_api_connections_are_all_held() {
    let s = Serve::start(
        "health-flood",
        "[limits]\nmax_connections = 4\n",
        &[("SAPA_HEALTH_ADDR", "127.0.0.1:0")],
    );
    let health = {
        let log = s.log();
        let line = log.lines().find_map(|l| l.strip_prefix("sapa: health on ")).map(String::from);
        line.unwrap_or_else(|| panic!("no health listener in {log}"))
    };
    let held: Vec<_> = (0..4).map(|_| connect(&s)).collect();
    let url = s.url("/health/live");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(get(&url, &[]).status);
    });
    for path in ["/health/live", "/health/ready", "/metrics"] {
        let r = get(&format!("{health}{path}"), &[]);
        assert_eq!(r.status, 200, "{path}");
    }
    assert_eq!(get(&format!("{health}/v1/validate"), &[]).status, 404, "the health listener serves no API");
    assert!(rx.try_recv().is_err(), "the API port answered while all its slots were held");
    drop(held);
    assert_eq!(rx.recv_timeout(Duration::from_secs(30)).expect("served once a slot is free"), 200);
}

#[test]
fn connections_past_the_cap_wait_for_a_free_slot() {
    let s = Serve::start("cap", "[limits]\nmax_connections = 1\n", &[]);
    // A client that connects and sends nothing holds the only slot.
    let idle = connect(&s);
    let url = s.url("/health/live");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let r = get(&url, &[]);
        tx.send((r.status, Instant::now())).unwrap();
    });
    std::thread::sleep(Duration::from_millis(1000));
    let freed = Instant::now();
    drop(idle);
    let (status, answered) = rx.recv_timeout(Duration::from_secs(30)).expect("served once the slot is free");
    assert_eq!(status, 200);
    assert!(answered > freed, "the second client was served while the first held the only slot");
}

// ---------------------------------------------------------------------------------------------
// The bad-input corpus: generated here, sent over TCP to the real binary.

#[allow(dead_code)]
#[path = "../../tests/intake/build.rs"]
mod build;

/// `bytes` with `n` bytes flipped between 40% and 90% of its length (inside a JPEG's scan, a
/// PNG's IDAT), at places fixed by `seed`.
fn flipped(bytes: &[u8], n: usize, seed: u64) -> Vec<u8> {
    let mut rng = build::Rng::new(seed);
    let mut out = bytes.to_vec();
    let (from, to) = (bytes.len() * 2 / 5, bytes.len() * 9 / 10);
    for _ in 0..n {
        let i = from + rng.below(to - from);
        out[i] ^= 0x5A;
    }
    out
}

/// A zlib stream of stored (uncompressed) deflate blocks: enough to hand-build a PNG's IDAT.
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let chunks: Vec<&[u8]> = data.chunks(65_535).collect();
    for (i, c) in chunks.iter().enumerate() {
        out.push(u8::from(i + 1 == chunks.len()));
        out.extend_from_slice(&(c.len() as u16).to_le_bytes());
        out.extend_from_slice(&(!(c.len() as u16)).to_le_bytes());
        out.extend_from_slice(c);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &x in data {
        a = (a + u32::from(x)) % 65_521;
        b = (b + a) % 65_521;
    }
    out.extend_from_slice(&((b << 16) | a).to_be_bytes());
    out
}

/// The astronaut as an 8-bit palette PNG (216 web-safe colours), built by hand.
fn palette_png(rgb: &image::RgbImage) -> Vec<u8> {
    let level = |v: u8| (u16::from(v) * 5 / 255) as u8;
    let mut plte = Vec::new();
    for r in 0..6u8 {
        for g in 0..6u8 {
            for b in 0..6u8 {
                plte.extend_from_slice(&[r * 51, g * 51, b * 51]);
            }
        }
    }
    let mut raw = Vec::new();
    for row in rgb.rows() {
        raw.push(0); // filter: none
        raw.extend(row.map(|p| level(p[0]) * 36 + level(p[1]) * 6 + level(p[2])));
    }
    let mut ihdr = rgb.width().to_be_bytes().to_vec();
    ihdr.extend_from_slice(&rgb.height().to_be_bytes());
    ihdr.extend_from_slice(&[8, 3, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(build::png_chunk(b"IHDR", &ihdr));
    png.extend(build::png_chunk(b"PLTE", &plte));
    png.extend(build::png_chunk(b"IDAT", &zlib_stored(&raw)));
    png.extend(build::png_chunk(b"IEND", &[]));
    png
}

/// The PNG `still` with an `acTL` chunk after IHDR: an APNG.
fn apng(still: &[u8]) -> Vec<u8> {
    let mut out = still[..33].to_vec();
    out.extend(build::png_chunk(b"acTL", &[0, 0, 0, 2, 0, 0, 0, 0]));
    out.extend_from_slice(&still[33..]);
    out
}

/// A JPEG whose frame header claims `w` x `h`.
fn jpeg_claiming(jpeg: &[u8], w: u16, h: u16) -> Vec<u8> {
    let mut out = jpeg.to_vec();
    let sof = out.windows(2).position(|m| m == [0xFF, 0xC0]).expect("baseline SOF");
    out[sof + 5..sof + 7].copy_from_slice(&h.to_be_bytes());
    out[sof + 7..sof + 9].copy_from_slice(&w.to_be_bytes());
    out
}

/// In the corpus: the input is a good photo and gets a report.
const VERDICT: &str = "verdict";

fn encoded(img: image::DynamicImage, format: image::ImageFormat) -> Vec<u8> {
    build::encode(&img, format)
}

/// Every kind of bad (and odd but good) input the issue names, sent to validate, and the broken
/// ones to verify and as multipart too: only 2xx and 4xx come back (503 would be allowed), none
/// hangs, a truncated or corrupt file is `corrupt_image`, an animation `unsupported_format`, a
/// header bomb `image_too_large`, and every EXIF orientation of a real portrait finds the face.
#[test]
fn a_generated_bad_input_corpus_gets_only_4xx_and_verdicts() {
    let s = Serve::start("corpus", "[limits]\nmax_body_bytes = 4000000\nmax_pixels = 16000000\n", &[]);
    let png = astronaut();
    let rgb = image::load_from_memory(&png).unwrap().to_rgb8();
    let dynamic = image::DynamicImage::ImageRgb8(rgb.clone());
    let jpeg = encoded(dynamic.clone(), image::ImageFormat::Jpeg);
    let fixture = |name: &str| std::fs::read(root().join("fixtures/intake").join(name)).unwrap();
    let sources: Vec<(&str, Vec<u8>)> = vec![
        ("jpeg", jpeg.clone()),
        ("png", png.clone()),
        ("webp", encoded(dynamic.clone(), image::ImageFormat::WebP)),
        ("png16", encoded(image::DynamicImage::ImageRgb16(dynamic.to_rgb16()), image::ImageFormat::Png)),
        ("png gray", encoded(image::DynamicImage::ImageLuma8(dynamic.to_luma8()), image::ImageFormat::Png)),
        ("png rgba", encoded(image::DynamicImage::ImageRgba8(dynamic.to_rgba8()), image::ImageFormat::Png)),
        ("png palette", palette_png(&rgb)),
        ("jpeg cmyk", fixture("quadrants_cmyk.jpg")),
        ("jp2", fixture("quadrants.jp2")),
        ("j2k", fixture("quadrants.j2k")),
    ];
    // (what, bytes, the error code expected, VERDICT for a 200 report, or None for "a 4xx or a
    // verdict")
    let mut cases: Vec<(String, Vec<u8>, Option<&str>)> = Vec::new();
    for (name, bytes) in &sources {
        cases.push((name.to_string(), bytes.clone(), Some(VERDICT)));
        cases.push((
            format!("{name} truncated at half"),
            bytes[..bytes.len() / 2].to_vec(),
            Some("corrupt_image"),
        ));
        cases.push((format!("{name} headers only"), bytes[..40.min(bytes.len())].to_vec(), None));
        for seed in 1..=3 {
            cases.push((format!("{name} corrupt {seed}"), flipped(bytes, 8, seed), None));
        }
        let mut zip = bytes.clone();
        zip.extend_from_slice(b"PK\x03\x04\x14\x00\x00\x00\x08\x00polyglot");
        cases.push((format!("{name} + zip"), zip, None));
        let mut html = bytes.clone();
        html.extend_from_slice(b"<html><script>alert(1)</script></html>");
        cases.push((format!("{name} + html"), html, None));
    }
    cases.push(("apng".into(), apng(&png), Some("unsupported_format")));
    let mut webp_anim = b"RIFF\x00\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00".to_vec();
    webp_anim.extend_from_slice(&[0x02, 0, 0, 0, 15, 0, 0, 7, 0, 0]);
    cases.push(("animated webp".into(), webp_anim, Some("unsupported_format")));
    cases.push(("png 60000x60000".into(), build::png_header_only(60_000, 60_000), Some("image_too_large")));
    cases.push(("png 1x100000".into(), build::png_header_only(1, 100_000), Some("image_too_large")));
    cases.push(("png 0x0".into(), build::png_header_only(0, 0), Some("corrupt_image")));
    cases.push(("jpeg 65535x65535".into(), jpeg_claiming(&jpeg, 65_535, 65_535), Some("image_too_large")));
    let mut vp8x = b"RIFF\x00\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00".to_vec();
    vp8x.extend_from_slice(&[0x00, 0, 0, 0, 0xFF, 0x3F, 0, 0xFF, 0x3F, 0]);
    cases.push(("webp 16384x16384".into(), vp8x, Some("image_too_large")));
    let mut bad_status = Vec::new();
    let mut check = |what: &str, r: &Reply, expected: Option<&str>| {
        let code = r.json["error"]["code"].as_str().unwrap_or("");
        if r.status >= 500 && r.status != 503 {
            bad_status.push(format!("{what}: {} {}", r.status, r.text));
        }
        match expected {
            Some(VERDICT) => assert_eq!(r.status, 200, "{what}: {}", r.text),
            Some(e) => assert_eq!(code, e, "{what}: {} {}", r.status, r.text),
            None => {}
        }
    };
    for (what, bytes, expected) in &cases {
        let r = post(&s.url("/v1/validate"), "application/octet-stream", bytes, &[]);
        check(what, &r, *expected);
        if r.status != 200 {
            // A refused photo is refused the same way in a multipart body and as a verify probe.
            let (ct, body) = multipart(&[("photo", Some(bytes), "")]);
            check(&format!("{what} (multipart)"), &post(&s.url("/v1/validate"), &ct, &body, &[]), *expected);
            let (ct, body) = multipart(&[("probe", Some(bytes), ""), ("reference", Some(&png), "")]);
            let r = post(&s.url("/v1/verify"), &ct, &body, &[]);
            check(&format!("{what} (verify)"), &r, *expected);
        }
    }
    // Every EXIF orientation of a real portrait: the face is found upright in each.
    for orientation in 1..=8u16 {
        let r = post(
            &s.url("/v1/validate"),
            "image/jpeg",
            &build::with_exif_orientation(&jpeg, orientation),
            &[],
        );
        assert_eq!(r.status, 200, "orientation {orientation}: {}", r.text);
        assert!(!failed(&r).contains(&"no_face".to_string()), "orientation {orientation}: {:?}", failed(&r));
    }
    // Malformed multipart bodies.
    let photo_part = multipart(&[("photo", Some(&png), "")]).1;
    let cut = photo_part[..photo_part.len() - 20].to_vec();
    let malformed: Vec<(&str, String, Vec<u8>)> = vec![
        ("no boundary parameter", "multipart/form-data".into(), photo_part.clone()),
        ("another boundary", "multipart/form-data; boundary=other".into(), photo_part.clone()),
        ("no closing boundary", format!("multipart/form-data; boundary={BOUNDARY}"), cut),
        ("empty body", format!("multipart/form-data; boundary={BOUNDARY}"), Vec::new()),
        ("only the closing boundary", format!("multipart/form-data; boundary={BOUNDARY}"), format!("--{BOUNDARY}--\r\n").into_bytes()),
        (
            "a part without Content-Disposition",
            format!("multipart/form-data; boundary={BOUNDARY}"),
            format!("--{BOUNDARY}\r\nContent-Type: image/png\r\n\r\nxx\r\n--{BOUNDARY}--\r\n").into_bytes(),
        ),
        (
            "a 100 kB part header",
            format!("multipart/form-data; boundary={BOUNDARY}"),
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"{}\"\r\n\r\nxx\r\n--{BOUNDARY}--\r\n", "a".repeat(100_000)).into_bytes(),
        ),
        ("random bytes", format!("multipart/form-data; boundary={BOUNDARY}"), build::Rng::new(5).bytes(5000)),
    ];
    for (what, ct, body) in &malformed {
        for route in ["/v1/validate", "/v1/verify", "/v1/references"] {
            let r = post(&s.url(route), ct, body, &[]);
            check(&format!("{what} {route}"), &r, None);
            assert!((400..500).contains(&r.status), "{what} {route}: {} {}", r.status, r.text);
        }
    }
    assert!(bad_status.is_empty(), "5xx answers:\n{}", bad_status.join("\n"));
    assert_eq!(get(&s.url("/health/live"), &[]).status, 200, "still alive");
    let m = get(&s.url("/metrics"), &[]).text;
    let server_errors: Vec<&str> =
        m.lines().filter(|l| l.contains("status=\"5") && !l.contains("status=\"503\"")).collect();
    assert!(server_errors.is_empty(), "{server_errors:?}");
    println!("{} inputs, {} malformed multipart bodies", cases.len() + 8, malformed.len());
}
