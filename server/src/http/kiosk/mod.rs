//! `/kiosk`: the self-service capture page. The camera preview, live hints over the guidance
//! WebSocket, an automatic capture once the person has been ready for a few frames in a row, then
//! the crop and the verdict. One HTML page with its own script and style compiled into the
//! binary, as `/review`; it calls the same guarded API as any client with the key the kiosk's
//! operator enters, so it needs no route or scope of its own.

use axum::http::header;
use axum::response::IntoResponse;

const PAGE: &str = include_str!("page.html");
const SCRIPT: &str = include_str!("kiosk.js");
const STYLE: &str = include_str!("kiosk.css");

/// Only Sapa's own origin (which covers its WebSocket), the crop from the answer (`data:`); no
/// inline script or style, no framing, no form posts elsewhere. The camera stream needs no
/// source: it is handed to the `<video>` as an object, not loaded from a URL.
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
            // The camera for this origin only; nothing else the browser can grant.
            (
                header::HeaderName::from_static("permissions-policy"),
                "camera=(self), microphone=(), geolocation=(), payment=(), usb=()",
            ),
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
