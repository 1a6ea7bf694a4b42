//! How Sapa serves its own pages (`/review`, `/kiosk`): the HTML, script and style compiled into
//! the binary, each with the same strict headers. Only Sapa's own origin (which covers its
//! WebSocket), photos from memory (`blob:`) and images in answers (`data:`); no inline script or
//! style, no framing, no form posts elsewhere.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; \
                   connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// One compiled-in asset; `permissions` is the page's `Permissions-Policy`, when it asks for any.
pub fn asset(content_type: &'static str, body: &'static str, permissions: Option<&'static str>) -> Response {
    let mut response = (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response();
    if let Some(p) = permissions {
        response
            .headers_mut()
            .insert(header::HeaderName::from_static("permissions-policy"), HeaderValue::from_static(p));
    }
    response
}
