//! `/review`: the officers' page. One HTML page with its own script and style, all compiled into
//! the binary and served by Sapa (no font, script or style from elsewhere; the Content Security
//! Policy says so to the browser too). The page calls the same guarded API as any client, with
//! the key the officer enters, so it needs no route or scope of its own.

use super::page_asset::asset;
use axum::response::IntoResponse;

const PAGE: &str = include_str!("page.html");
const SCRIPT: &str = include_str!("review.js");
const STYLE: &str = include_str!("review.css");

const PERMISSIONS: Option<&str> = None;

pub async fn page() -> impl IntoResponse {
    asset("text/html; charset=utf-8", PAGE, PERMISSIONS)
}

pub async fn script() -> impl IntoResponse {
    asset("text/javascript; charset=utf-8", SCRIPT, PERMISSIONS)
}

pub async fn style() -> impl IntoResponse {
    asset("text/css; charset=utf-8", STYLE, PERMISSIONS)
}
