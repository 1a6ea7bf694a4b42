//! `POST /v1/validate`: the document-photo verdict, as `sapa validate --json` prints it.

use super::super::audit::AuditEvent;
use super::super::auth::Scope;
use super::super::body;
use super::super::error::{ApiError, ErrorResponse};
use super::super::state::{AppState, Timing};
use axum::Json;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use sapa_engine::validate::{Decision, Lang, Profile, Report};
use serde::Deserialize;
use std::sync::Arc;
use std::time::Instant;

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default, deny_unknown_fields)]
pub struct ValidateQuery {
    /// `kz-id` (default), `icao` or `kiosk`.
    pub profile: Option<String>,
    /// `kk`, `ru` or `en`; otherwise from `Accept-Language`.
    pub lang: Option<String>,
}

/// Validate a portrait against a document-photo profile.
#[utoipa::path(
    post,
    path = "/v1/validate",
    params(ValidateQuery),
    request_body(description = "The photo: image/* bytes, or multipart/form-data with a `photo` part", content_type = "image/jpeg"),
    responses(
        (status = 200, description = "The verdict, with every check's value, threshold and message", body = Report),
        (status = 400, description = "Empty body or bad query", body = ErrorResponse),
        (status = 401, description = "No or unknown API key", body = ErrorResponse),
        (status = 408, description = "The body did not arrive within `body_read_timeout_ms`; the connection is closed", body = ErrorResponse),
        (status = 413, description = "Body or image dimensions over the limit", body = ErrorResponse),
        (status = 415, description = "Not an image content type", body = ErrorResponse),
        (status = 422, description = "Unreadable, corrupt or unsupported image", body = ErrorResponse),
        (status = 503, description = "Saturated or past the deadline; see Retry-After", body = ErrorResponse),
    ),
    security(("api_key" = ["validate"])),
    tag = "validation"
)]
pub async fn validate(State(state): State<Arc<AppState>>, req: Request) -> Response {
    let start = Instant::now();
    let mut event = AuditEvent { request_id: state.request_id(), route: "validate", ..Default::default() };
    let result = run(&state, req, &mut event).await;
    let response = match result {
        Ok(report) => {
            let decision = match report.decision {
                Decision::Accept => "accept",
                Decision::Reject => "reject",
            };
            state.metrics.decision("validate", decision);
            event.decision = Some(decision);
            event.failed = report.failed.clone();
            Json(report).into_response()
        }
        Err(e) => {
            event.error = Some(e.code.clone());
            e.into_response()
        }
    };
    state.conclude(event, start, response)
}

/// What the request asks for, read from the head before any of the body is.
fn prelude(state: &AppState, head: &Parts, event: &mut AuditEvent) -> Result<(Arc<Profile>, Lang), ApiError> {
    event.client = state.keys.authorize(&head.headers, Scope::Validate)?.0;
    let q: ValidateQuery = super::query(&head.uri)?;
    let lang = super::lang(q.lang.as_deref(), &head.headers)?;
    let name = q.profile.unwrap_or_else(|| state.config.server.default_profile.clone());
    let Some(profile) = state.engine.profiles.get(&name).map(Arc::clone) else {
        let known: Vec<&str> = state.engine.profiles.keys().map(String::as_str).collect();
        return Err(ApiError::bad_request(
            "unknown_profile",
            format!("no profile {name:?}; known: {known:?}"),
        )
        .in_lang(lang));
    };
    event.profile = Some(name);
    Ok((profile, lang))
}

async fn run(state: &Arc<AppState>, req: Request, event: &mut AuditEvent) -> Result<Report, ApiError> {
    let (head, body) = req.into_parts();
    let (profile, lang) = match prelude(state, &head, event) {
        Ok(p) => p,
        Err(e) => {
            body::drain(body, state.intake()).await;
            return Err(e);
        }
    };
    let admission = match state.admit() {
        Ok(a) => a,
        Err(e) => {
            body::drain(body, state.intake()).await;
            return Err(e.in_lang(lang));
        }
    };
    let req = Request::from_parts(head, body);
    let bytes = body::photo(req, "photo", state.intake()).await.map_err(|e| e.in_lang(lang))?;
    let engine = state.engine.clone();
    let (result, timing) = state
        .compute_admitted(admission, move || {
            let mut timing = Timing::default();
            let v = &engine.validator;
            let result = (|| {
                let decoded = timing.stage("decode", || v.analyzer().decode(&bytes))?;
                let analysis =
                    timing.stage("analyze", || v.analyzer().analyze(&decoded.rgb, decoded.source))?;
                timing.stage("checks", || v.judge(&decoded.rgb, &analysis, &profile, lang))
            })();
            (result, timing)
        })
        .await
        .map_err(|e| e.in_lang(lang))?;
    state.record_timing(&timing);
    result.map_err(|e| ApiError::from(e).in_lang(lang))
}
