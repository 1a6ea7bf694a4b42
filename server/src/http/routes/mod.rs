//! One module per endpoint group; each handler is thin: authorise, read, compute on the pool,
//! answer, audit.

pub mod health;
pub mod references;
pub mod signature;
pub mod validate;
pub mod verify;

use super::error::ApiError;
use axum::http::HeaderMap;
use sapa_engine::validate::Lang;

/// `?lang=` wins over `Accept-Language`; English when neither names kk, ru or en.
pub fn lang(query: Option<&str>, headers: &HeaderMap) -> Result<Lang, ApiError> {
    if let Some(q) = query {
        return q.parse().map_err(|e: String| ApiError::bad_request("bad_request", e));
    }
    Ok(headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Lang::from_accept_language)
        .unwrap_or_default())
}

/// The raw query string parsed as `T`, with a JSON 400 on failure.
pub fn query<T: serde::de::DeserializeOwned + Default>(uri: &axum::http::Uri) -> Result<T, ApiError> {
    match uri.query() {
        None => Ok(T::default()),
        Some(q) => serde_urlencoded::from_str(q)
            .map_err(|e| ApiError::bad_request("bad_request", format!("query: {e}"))),
    }
}
