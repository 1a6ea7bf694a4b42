//! `/review`: the officers' page. One HTML page with its own script and style, all compiled into
//! the binary and served by Sapa (no font, script or style from elsewhere; the Content Security
//! Policy says so to the browser too). The page calls the same guarded API as any client, with
//! the key the officer enters, so it needs no route or scope of its own.

use axum::http::header;
use axum::response::IntoResponse;

const PAGE: &str = include_str!("page.html");
const SCRIPT: &str = include_str!("review.js");
const STYLE: &str = include_str!("review.css");

/// Only Sapa's own origin, photos from memory (`blob:`) and the answers' PNGs (`data:`); no
/// inline script or style, no framing, no form posts elsewhere.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; \
                   connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
}

pub async fn page() -> impl IntoResponse {
    asset("text/html; charset=utf-8", PAGE)
}

pub async fn script() -> impl IntoResponse {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

pub async fn style() -> impl IntoResponse {
    asset("text/css; charset=utf-8", STYLE)
}
