//! `POST /v1/signature`: the verdict on a signature sample (an image, or a pad's strokes as
//! JSON), as `sapa signature --json` prints it, with the normalised sample as base64 PNG.

use super::super::body;
use super::super::error::{ApiError, ErrorResponse};
use super::super::guard::AuditFacts;
use super::super::state::{AppState, Timing};
use super::ApiQuery;
use crate::cli::signature::{MIN_FACE_SCORE, judge_strokes};
use axum::Json;
use axum::extract::{Request, State};
use axum::http::header;
use base64::Engine as _;
use sapa_engine::signature::{self, SignatureReport};
use sapa_engine::validate::Decision;
use serde::Serialize;
use std::sync::Arc;

/// The query of `/v1/signature`: `/v1/validate`'s, without the overlay.
#[derive(serde::Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default, deny_unknown_fields)]
pub struct SignatureQuery {
    /// `kz-id` (default), `icao` or `kiosk`.
    pub profile: Option<String>,
    /// `kk`, `ru` or `en`; otherwise from `Accept-Language`.
    pub lang: Option<String>,
}

/// The signature report and the normalised sample.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SignatureResponse {
    #[serde(flatten)]
    pub report: SignatureReport,
    /// The normalised sample (cropped, level, white paper, scaled to the document's signature
    /// field) as base64 PNG; absent when no ink was found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub normalised_png: Option<String>,
}

/// Validate a signature sample and normalise it for the document's signature field.
#[utoipa::path(
    post,
    path = "/v1/signature",
    params(SignatureQuery),
    request_body(description = "The signature: image/* bytes, multipart/form-data with a `signature` part, or application/json pad strokes `{width, height, strokes: [[{x, y, t, pressure?}]]}`", content_type = "image/jpeg"),
    responses(
        (status = 200, description = "The verdict, with every check's value, threshold and message, and the normalised sample", body = SignatureResponse),
        (status = 400, description = "Empty body or bad query", body = ErrorResponse),
        (status = 401, description = "No or unknown API key", body = ErrorResponse),
        (status = 408, description = "The body did not arrive within `body_read_timeout_ms`; the connection is closed", body = ErrorResponse),
        (status = 413, description = "Body or image dimensions over the limit", body = ErrorResponse),
        (status = 415, description = "Neither an image, multipart nor JSON", body = ErrorResponse),
        (status = 422, description = "Unreadable, corrupt or unsupported image, or strokes that cannot be drawn", body = ErrorResponse),
        (status = 503, description = "Saturated or past the deadline; see Retry-After", body = ErrorResponse),
    ),
    security(("api_key" = ["validate"])),
    tag = "signature"
)]
pub async fn signature(
    State(state): State<Arc<AppState>>,
    ApiQuery(q): ApiQuery<SignatureQuery>,
    req: Request,
) -> (AuditFacts, Result<Json<SignatureResponse>, ApiError>) {
    let mut facts = AuditFacts::default();
    let result = run(&state, q, req, &mut facts).await;
    if let Ok(body) = &result {
        let decision = match body.report.decision {
            Decision::Accept => "accept",
            Decision::Reject => "reject",
        };
        state.metrics.decision("signature", decision);
        facts.decision = Some(decision);
    }
    (facts, result.map(Json))
}

async fn run(
    state: &Arc<AppState>,
    q: SignatureQuery,
    req: Request,
    facts: &mut AuditFacts,
) -> Result<SignatureResponse, ApiError> {
    let lang = super::lang(q.lang.as_deref(), req.headers())?;
    let (name, profile) = super::validate::profile(state, q.profile, lang)?;
    facts.profile = Some(name);
    // A place on the pool before any of the body is read (a refused body drains itself).
    let admission = state.admit().map_err(|e| e.in_lang(lang))?;
    let (head, body) = req.into_parts();
    let strokes = head
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.trim().to_ascii_lowercase().starts_with("application/json"));
    let req = Request::from_parts(head, body);
    let bytes = if strokes {
        body::json(req, state.intake()).await
    } else {
        body::photo(req, "signature", state.intake()).await
    }
    .map_err(|e| e.in_lang(lang))?;
    if bytes.is_empty() {
        return Err(ApiError::from(sapa_engine::EngineError::EmptyInput).in_lang(lang));
    }
    let engine = state.engine.clone();
    let (result, timing) = state
        .compute_admitted(admission, move || {
            let mut timing = Timing::default();
            let analyzer = engine.validator.analyzer();
            let result = (|| {
                if strokes {
                    return timing.stage("checks", || judge_strokes(&bytes, &profile, lang));
                }
                let decoded = timing.stage("decode", || analyzer.decode(&bytes))?;
                let faces = timing.stage("analyze", || analyzer.detect(&decoded.rgb))?;
                let faces = faces.iter().filter(|d| d.score >= MIN_FACE_SCORE).count();
                Ok(timing.stage("checks", || signature::judge(&decoded.rgb, &profile, lang, Some(faces))))
            })();
            (result, timing)
        })
        .await
        .map_err(|e| e.in_lang(lang))?;
    state.record_timing(&timing);
    let verdict = result.map_err(|e| ApiError::from(e).in_lang(lang))?;
    let normalised_png = match &verdict.normalised {
        Some(img) => Some(
            base64::engine::general_purpose::STANDARD
                .encode(signature::encode_png(img).map_err(|e| ApiError::internal(e.to_string()))?),
        ),
        None => None,
    };
    Ok(SignatureResponse { report: verdict.report, normalised_png })
}
