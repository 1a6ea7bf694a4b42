//! The officers' review page (`/review`) in headless Chromium, against a real `sapa serve`.

mod browser;
mod serve;

use browser::Browser;
use std::path::Path;
use std::time::Duration;

/// The harness itself: a page's DOM, a file input, console errors and a screenshot, on a page
/// that needs no server.
#[test]
fn the_browser_harness_sees_the_dom_files_console_and_pixels() {
    let Some(b) = Browser::launch("harness") else { return };
    let mut page = b.page();
    page.goto(
        "data:text/html,<input type=file id=f><p id=n></p><script>\
         f.onchange=()=>{n.textContent=f.files[0].name+' '+f.files[0].size}</script>",
    );
    let photo = serve::root().join("fixtures/astronaut.png");
    page.set_files("#f", &[&photo]);
    let size = std::fs::metadata(&photo).unwrap().len();
    let shown = page.wait_for("document.getElementById('n').textContent", Duration::from_secs(10));
    assert_eq!(shown, format!("astronaut.png {size}"));
    assert!(page.problems().is_empty(), "{:?}", page.problems());
    page.eval("console.error('on purpose'); 1");
    page.eval("setTimeout(() => { throw new Error('thrown on purpose') }, 0); 1");
    std::thread::sleep(Duration::from_millis(200));
    let problems = page.problems();
    assert!(problems.iter().any(|p| p.contains("on purpose")), "{problems:?}");
    assert!(problems.iter().any(|p| p.contains("thrown on purpose")), "{problems:?}");
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("harness.png");
    page.screenshot(&shot);
    let png = image::open(&shot).unwrap();
    assert!(png.width() >= 800, "{}x{}", png.width(), png.height());
}

/// A looped signature in blue ink on paper (generated: no third-party sample in the repository).
fn signature_png(dir: &Path) -> std::path::PathBuf {
    let mut img = image::RgbImage::from_pixel(1000, 420, image::Rgb([243, 241, 235]));
    let pts: Vec<(f32, f32, f32)> = (0..=420)
        .map(|i| {
            let t = i as f32 / 60.0;
            let a = std::f32::consts::TAU * t;
            (250.0 + 75.0 * t - 30.0 * a.cos(), 210.0 - 70.0 * a.sin() * (0.8 + 0.2 * (t * 1.7).sin()), 2.2)
        })
        .collect();
    sapa_engine::signature::strokes::draw_polyline(&mut img, &pts, [20, 40, 150]);
    let path = dir.join("signature.png");
    img.save(&path).unwrap();
    path
}

/// Where the page tests keep their screenshots: `target/screenshots/` (a CI artefact).
fn screenshots() -> std::path::PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("..").join("screenshots")
}

/// A number attribute of the first element matching `selector` inside the overlay.
fn attr(page: &mut browser::Page, selector: &str, name: &str) -> f64 {
    let v = page.eval(&format!(
        "(() => {{ const e = document.querySelector('#overlay svg {selector}'); \
         return e ? parseFloat(e.getAttribute('{name}')) : null }})()"
    ));
    v.as_f64().unwrap_or_else(|| panic!("no {name} on {selector}"))
}

#[test]
fn an_officer_reviews_the_committed_portrait_with_a_reference_and_a_signature() {
    let Some(b) = Browser::launch("review") else { return };
    let cfg = "[[key]]\nname = \"officer\"\nkey_env = \"OFFICER_KEY\"\nscopes = [\"validate\", \"verify\"]\n";
    let s = serve::Serve::start("review", cfg, &[("OFFICER_KEY", "officer-secret-1")]);
    let mut page = b.page();
    page.goto(&s.url("/review"));
    assert_eq!(page.eval("document.body.dataset.state"), "ready", "{:?}", page.problems());

    // Russian, then the key, once.
    page.eval("document.querySelector('#langs [data-lang=ru]').click()");
    assert_eq!(page.eval("document.getElementById('run').textContent"), "Проверить");
    page.eval(
        "document.getElementById('key').value = 'officer-secret-1'; \
         document.getElementById('key-save').click()",
    );
    assert_eq!(page.eval("document.getElementById('key-form').hidden"), true);

    let photo = serve::root().join("fixtures/astronaut.png");
    let signature = signature_png(&s.dir);
    page.set_files("#photo", &[&photo]);
    page.set_files("#reference", &[&photo]);
    page.set_files("#signature", &[&signature]);
    page.eval("document.getElementById('run').click()");
    let state = page.wait_for(
        "['done', 'error'].includes(document.body.dataset.state) && document.body.dataset.state",
        Duration::from_secs(300),
    );
    let error = page.eval("document.getElementById('error').textContent");
    assert_eq!(state, "done", "{error}");

    // The decision and the reasons in the citizen's words (Russian here).
    assert_eq!(page.eval("document.getElementById('decision').dataset.decision"), "reject");
    assert_eq!(page.eval("document.getElementById('decision').textContent"), "Отклонено");
    let codes = page.eval("[...document.querySelectorAll('#reasons li')].map(l => l.dataset.code)");
    assert!(codes.as_array().unwrap().iter().any(|c| c == "busy_background"), "{codes}");
    let first = page.eval("document.querySelector('#reasons li').textContent");
    assert!(first.as_str().unwrap().chars().any(|c| ('а'..='я').contains(&c)), "{first}");

    // Every check against its threshold.
    let rows = page.eval("document.querySelectorAll('#checks tbody tr').length").as_u64().unwrap();
    assert!(rows >= 20, "{rows} checks");
    let bg = page.eval(
        "document.querySelector('#checks tr.fail[data-code=busy_background] td:nth-child(4)').textContent",
    );
    assert!(bg.as_str().unwrap().starts_with('≤') || bg.as_str().unwrap().starts_with('≥'), "{bg}");

    // The overlay rendered over the photo: the photo decoded, the SVG laid over it at its size,
    // the crop around the eyes and the eyes inside the profile's eye-line band.
    assert!(page.eval("document.querySelector('#overlay img').naturalWidth").as_u64().unwrap() > 0);
    let fit = page.eval(
        "(() => { const i = document.querySelector('#overlay img').getBoundingClientRect(); \
         const s = document.querySelector('#overlay svg').getBoundingClientRect(); \
         return s.width > 100 && Math.abs(i.width - s.width) < 2 && Math.abs(i.height - s.height) < 2 })()",
    );
    assert_eq!(fit, true, "the overlay covers the photo");
    let (cx, cy) = (attr(&mut page, "[data-kind=crop]", "x"), attr(&mut page, "[data-kind=crop]", "y"));
    let (cw, ch) =
        (attr(&mut page, "[data-kind=crop]", "width"), attr(&mut page, "[data-kind=crop]", "height"));
    assert!((cw / ch - 35.0 / 45.0).abs() < 0.01, "a 35x45 crop: {cw}x{ch}");
    for eye in ["right_eye", "left_eye"] {
        let ex = attr(&mut page, &format!("[data-name={eye}]"), "cx");
        let ey = attr(&mut page, &format!("[data-name={eye}]"), "cy");
        assert!(ex > cx && ex < cx + cw && ey > cy && ey < cy + ch, "{eye} ({ex}, {ey}) outside the crop");
        let by = attr(&mut page, "[data-kind=eye_band]", "y");
        let bh = attr(&mut page, "[data-kind=eye_band]", "height");
        assert!(ey >= by - 1.0 && ey <= by + bh + 1.0, "{eye} at {ey} outside the band {by}+{bh}");
    }
    let axes = page.eval("document.querySelectorAll('#overlay svg [data-kind=pose_axis]').length");
    assert_eq!(axes, 3);

    // The match against the reference (the same photo) with the operating point.
    assert_eq!(page.eval("document.getElementById('match').hidden"), false);
    assert_eq!(page.eval("document.getElementById('match-decision').dataset.decision"), "match");
    let score: f64 =
        page.eval("document.getElementById('match-score').textContent").as_str().unwrap().parse().unwrap();
    let threshold: f64 = page
        .eval("document.getElementById('match-threshold').textContent")
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(score >= threshold, "{score} < {threshold}");

    // The signature check.
    let sig = page.eval("document.getElementById('signature-decision').dataset.decision");
    assert!(sig == "accept" || sig == "reject", "{sig}");
    assert!(page.eval("document.getElementById('signature-img').naturalWidth").as_u64().unwrap() > 0);

    // The key only in this tab's session storage; nothing else kept.
    assert_eq!(page.eval("sessionStorage.getItem('sapa.review.key')"), "officer-secret-1");
    assert_eq!(page.eval("localStorage.length"), 0);
    assert_eq!(page.eval("document.cookie"), "");

    // English from the switch: the reasons are asked for again in English.
    page.eval("document.querySelector('#langs [data-lang=en]').click()");
    page.wait_for(
        "document.body.dataset.state === 'done' && document.getElementById('decision').textContent === 'Rejected'",
        Duration::from_secs(300),
    );
    assert_eq!(page.eval("document.getElementById('match-decision').textContent"), "Same person");

    let problems = page.problems();
    assert!(problems.is_empty(), "console errors: {problems:?}");
    page.screenshot(&screenshots().join("review.png"));

    // Nothing of the photo in the service's log or its audit lines.
    let audit = serde_json::to_string(&s.audit()).unwrap();
    assert!(audit.contains("\"client\":\"officer\""), "{audit}");
    for text in [audit, s.log()] {
        assert!(
            !text.contains("<svg") && !text.contains("base64") && !text.contains("officer-secret-1"),
            "{text}"
        );
    }
}

#[test]
fn the_page_refuses_a_wrong_key_in_the_citizens_language() {
    let Some(b) = Browser::launch("review-key") else { return };
    let cfg = "[[key]]\nname = \"officer\"\nkey_env = \"OFFICER_KEY\"\nscopes = [\"validate\"]\n";
    let s = serve::Serve::start("review-key", cfg, &[("OFFICER_KEY", "officer-secret-2")]);
    let mut page = b.page();
    page.goto(&s.url("/review"));
    page.eval("document.querySelector('#langs [data-lang=kk]').click()");
    page.eval("document.getElementById('key').value = 'guess'; document.getElementById('key-save').click()");
    page.set_files("#photo", &[&serve::root().join("fixtures/astronaut.png")]);
    page.eval("document.getElementById('run').click()");
    page.wait_for("document.body.dataset.state === 'error'", Duration::from_secs(60));
    let error = page.eval("document.getElementById('error').textContent");
    assert!(error.as_str().unwrap().contains("invalid_api_key"), "{error}");
    assert_eq!(page.eval("document.getElementById('result').hidden"), true);
    // A refused request is the answer the page expects, not a page error; the browser still logs
    // the failed fetch's status, which is the only error allowed here.
    let problems: Vec<String> = page.problems().into_iter().filter(|p| !p.contains("401")).collect();
    assert!(problems.is_empty(), "{problems:?}");
}
