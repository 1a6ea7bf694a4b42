//! Every failure a client can see: an HTTP status, a stable code, and a message in the client's
//! language (the technical detail stays in English). Bad input is always a 4xx.

use super::messages;
use crate::error_code::ErrorCode;
use crate::references::{LookupError, ReferenceError, StoreError};
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sapa_engine::EngineError;
use sapa_engine::recognition::RecognitionError;
use sapa_engine::validate::Lang;
use serde::Serialize;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: ErrorCode,
    /// What exactly went wrong, in English, for the integrator.
    pub detail: String,
    /// Seconds to wait before trying again (503s).
    pub retry_after: Option<u64>,
    pub lang: Lang,
}

/// The JSON body: `{"error": {"code": ..., "message": ..., "detail": ...}}`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorResponse {
    pub error: ErrorObject,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorObject {
    /// Stable machine-readable code.
    pub code: ErrorCode,
    /// For the citizen, in the language asked for.
    pub message: String,
    /// For the integrator, in English.
    pub detail: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode, detail: impl Into<String>) -> Self {
        Self { status, code, detail: detail.into(), retry_after: None, lang: Lang::En }
    }

    pub fn bad_request(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }

    pub fn unauthorized(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, detail)
    }

    pub fn forbidden(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, detail)
    }

    pub fn not_found(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, detail)
    }

    /// Saturated or past the deadline: come back in `retry_after` seconds.
    pub fn unavailable(code: ErrorCode, detail: impl Into<String>, retry_after: u64) -> Self {
        let mut e = Self::new(StatusCode::SERVICE_UNAVAILABLE, code, detail);
        e.retry_after = Some(retry_after);
        e
    }

    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::InternalError, detail)
    }

    pub fn in_lang(mut self, lang: Lang) -> Self {
        self.lang = lang;
        self
    }

    /// Names the part of the request the error is about (e.g. `probe` or `reference`).
    pub fn about(mut self, part: &str) -> Self {
        self.detail = format!("{part}: {}", self.detail);
        self
    }

    pub fn is_client_error(&self) -> bool {
        self.status.is_client_error()
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        let status = match &e {
            EngineError::EmptyInput => StatusCode::BAD_REQUEST,
            EngineError::ImageTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            EngineError::UnsupportedFormat(_)
            | EngineError::CorruptImage(_)
            | EngineError::ImageTooSmall(_)
            | EngineError::InvalidStrokes(_) => StatusCode::UNPROCESSABLE_ENTITY,
            EngineError::Model(_) | EngineError::Inference(_) | EngineError::Config(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        Self::new(status, ErrorCode::from(&e), e.to_string())
    }
}

impl From<RecognitionError> for ApiError {
    fn from(e: RecognitionError) -> Self {
        match e {
            RecognitionError::Engine(inner) => inner.into(),
            other => Self::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::from(&other), other.to_string()),
        }
    }
}

impl From<ReferenceError> for ApiError {
    fn from(e: ReferenceError) -> Self {
        let status = match &e {
            ReferenceError::InvalidIin(_) => StatusCode::BAD_REQUEST,
            ReferenceError::NotFound => StatusCode::NOT_FOUND,
            ReferenceError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ReferenceError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        };
        let mut api = Self::new(status, ErrorCode::from(&e), e.to_string());
        if e.is_transient() {
            api.retry_after = Some(30);
        }
        api
    }
}

/// A row that cannot be read back is a damaged reference: `reference_invalid`, as when the
/// register's photo yields no template (retrying cannot help). Anything else means the store is
/// down: for the client, the reference source is unavailable for now.
impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        if e.is_damaged_row() {
            tracing::error!(error = %e, "a damaged reference store row");
            return Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::ReferenceInvalid,
                "the stored reference is damaged",
            );
        }
        Self::unavailable(ErrorCode::ReferenceUnavailable, format!("reference store: {e}"), 30)
    }
}

impl From<LookupError> for ApiError {
    fn from(e: LookupError) -> Self {
        match e {
            LookupError::Store(e) => e.into(),
            LookupError::NotEnrolled => {
                Self::not_found(ErrorCode::ReferenceNotFound, "no reference enrolled for this IIN")
            }
            LookupError::Register(e) => e.into(),
            LookupError::Outdated { .. } => {
                Self::new(StatusCode::CONFLICT, ErrorCode::ReferenceOutdated, e.to_string())
            }
        }
    }
}

impl ApiError {
    /// The `message` field. A citizen never reads an internal detail: a server-side failure
    /// without a message of its own gets the generic one.
    pub(crate) fn citizen_message(&self) -> String {
        match messages::message(self.code, self.lang) {
            Some(m) => m.to_string(),
            None if self.status.is_server_error() => {
                messages::message(ErrorCode::InternalError, self.lang).unwrap_or_default().to_string()
            }
            None => self.detail.clone(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let message = self.citizen_message();
        let body = ErrorResponse { error: ErrorObject { code: self.code, message, detail: self.detail } };
        let mut resp = (self.status, Json(body)).into_response();
        // For the audit line (the guard reads it back; it is not sent).
        resp.extensions_mut().insert(self.code);
        if let Some(s) = self.retry_after {
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        if self.status == StatusCode::REQUEST_TIMEOUT {
            // The rest of the body may still come: this connection cannot carry another request.
            resp.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_failure_never_shows_its_detail_to_the_citizen() {
        let e = ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::ModelError,
            "sqlite: disk I/O error in /var/lib/x",
        )
        .in_lang(Lang::Ru);
        let m = e.citizen_message();
        assert!(!m.contains("sqlite") && !m.is_empty(), "{m}");
        assert_eq!(m, messages::message(ErrorCode::InternalError, Lang::Ru).unwrap());
    }
}
