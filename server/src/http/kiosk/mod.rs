//! `/kiosk`: the self-service capture page. The camera preview, live hints over the guidance
//! WebSocket, an automatic capture once the person has been ready for a few frames in a row, then
//! the crop and the verdict. One HTML page with its own script and style compiled into the
//! binary, as `/review`; it calls the same guarded API as any client with the key the kiosk's
//! operator enters, so it needs no route or scope of its own.

pub mod messages;

use super::page_asset::asset;
use axum::response::IntoResponse;

const PAGE: &str = include_str!("page.html");
const SCRIPT: &str = include_str!("kiosk.js");
const STYLE: &str = include_str!("kiosk.css");

/// The camera for this origin only; nothing else the browser can grant. (The camera stream needs
/// no CSP source: it is handed to the `<video>` as an object, not loaded from a URL.)
const PERMISSIONS: Option<&str> = Some("camera=(self), microphone=(), geolocation=(), payment=(), usb=()");

pub async fn page() -> impl IntoResponse {
    asset("text/html; charset=utf-8", PAGE, PERMISSIONS)
}

pub async fn script() -> impl IntoResponse {
    asset("text/javascript; charset=utf-8", SCRIPT, PERMISSIONS)
}

pub async fn style() -> impl IntoResponse {
    asset("text/css; charset=utf-8", STYLE, PERMISSIONS)
}

/// Every message the page can show about an answer, in kk, ru and en (`messages.rs`).
pub async fn messages() -> impl IntoResponse {
    asset("application/json; charset=utf-8", messages::json(), PERMISSIONS)
}
