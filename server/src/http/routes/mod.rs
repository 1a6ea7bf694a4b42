//! One module per endpoint group. Each handler extracts, computes on the pool and answers; the
//! guard layer (`guard.rs`) authorises, drains refused bodies and audits around it.

pub mod capture;
pub mod guidance;
pub mod health;
pub mod identify;
pub mod references;
pub mod signature;
pub mod validate;
pub mod verify;

use super::error::ApiError;
use crate::error_code::ErrorCode;
use axum::extract::{FromRequestParts, Query};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use sapa_engine::validate::Lang;
use serde::de::DeserializeOwned;

/// `?lang=` wins over `Accept-Language`; English when neither names kk, ru or en.
pub fn lang(query: Option<&str>, headers: &HeaderMap) -> Result<Lang, ApiError> {
    if let Some(q) = query {
        return q.parse().map_err(|e: String| ApiError::bad_request(ErrorCode::BadRequest, e));
    }
    Ok(headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Lang::from_accept_language)
        .unwrap_or_default())
}

/// axum's `Query<T>` with the service's JSON error: `400 bad_request` naming what is wrong.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Query(q) = Query::<T>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::bad_request(ErrorCode::BadRequest, format!("query: {}", e.body_text())))?;
        Ok(ApiQuery(q))
    }
}
