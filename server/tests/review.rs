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
