//! `POST /v1/validate`: the document-photo verdict, as `sapa validate --json` prints it.

use super::super::body;
use super::super::error::{ApiError, ErrorResponse};
use super::super::guard::AuditFacts;
use super::super::state::{AppState, Timing};
use super::ApiQuery;
use crate::error_code::ErrorCode;
use axum::Json;
use axum::extract::{Request, State};
use sapa_engine::overlay::{Overlay, raster, svg};
use sapa_engine::validate::{Decision, Lang, Profile, Report};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default, deny_unknown_fields)]
pub struct ValidateQuery {
    /// `kz-id` (default), `icao` or `kiosk`.
    pub profile: Option<String>,
    /// `kk`, `ru` or `en`; otherwise from `Accept-Language`.
    pub lang: Option<String>,
    /// Also return what Sapa saw, drawn (`overlay` in the answer): `svg`, a transparent drawing in
    /// the photo's pixel space to lay over the photo the client already has (the photo is not
    /// echoed back); or `png`, the photo with the drawing on it, as base64.
    pub overlay: Option<OverlayFormat>,
}

/// How the overlay is returned.
#[derive(Deserialize, Serialize, Clone, Copy, PartialEq, Eq, Debug, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OverlayFormat {
    Svg,
    Png,
}

/// The verdict, and the overlay when the query asked for one.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ValidateResponse {
    #[serde(flatten)]
    pub report: Report,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overlay: Option<OverlayBody>,
}

/// What Sapa saw on the photo: the face box and landmarks, the proposed crop, the profile's
/// head-height and eye-line bands, the pose axes and each failed check's region with its code.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OverlayBody {
    pub format: OverlayFormat,
    /// `format = svg`: the SVG text, `viewBox` in the photo's pixels, no photo inside.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub svg: Option<String>,
    /// `format = png`: the photo with the overlay drawn on it, base64 PNG.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub png: Option<String>,
    /// The drawing as coordinates (source pixels, origin top left).
    pub geometry: Overlay,
}

/// Validate a portrait against a document-photo profile.
#[utoipa::path(
    post,
    path = "/v1/validate",
    params(ValidateQuery),
    request_body(description = "The photo: image/* bytes, or multipart/form-data with a `photo` part", content_type = "image/jpeg"),
    responses(
        (status = 200, description = "The verdict, with every check's value, threshold and message, and the overlay when `overlay` was asked for", body = ValidateResponse),
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
pub async fn validate(
    State(state): State<Arc<AppState>>,
    ApiQuery(q): ApiQuery<ValidateQuery>,
    req: Request,
) -> (AuditFacts, Result<Json<ValidateResponse>, ApiError>) {
    let mut facts = AuditFacts::default();
    let result = run(&state, q, req, &mut facts).await;
    (facts, result.map(Json))
}

/// The profile the query names (or the configured default).
pub fn profile(
    state: &AppState,
    name: Option<String>,
    lang: Lang,
) -> Result<(String, Arc<Profile>), ApiError> {
    let name = name.unwrap_or_else(|| state.config.server.default_profile.clone());
    match state.engine.profiles.get(&name) {
        Some(p) => Ok((name, Arc::clone(p))),
        None => {
            let known: Vec<&str> = state.engine.profiles.keys().map(String::as_str).collect();
            let detail = format!("no profile {name:?}; known: {known:?}");
            Err(ApiError::bad_request(ErrorCode::UnknownProfile, detail).in_lang(lang))
        }
    }
}

async fn run(
    state: &Arc<AppState>,
    q: ValidateQuery,
    req: Request,
    facts: &mut AuditFacts,
) -> Result<ValidateResponse, ApiError> {
    let lang = super::lang(q.lang.as_deref(), req.headers())?;
    let (name, profile) = profile(state, q.profile, lang)?;
    facts.profile = Some(name);
    // A place on the pool before any of the body is read (a refused body drains itself).
    let admission = state.admit().map_err(|e| e.in_lang(lang))?;
    let bytes = body::photo(req, "photo", state.intake()).await.map_err(|e| e.in_lang(lang))?;
    let engine = state.engine.clone();
    let format = q.overlay;
    let (result, timing) = state
        .compute_admitted(admission, move || {
            let mut timing = Timing::default();
            let v = &engine.validator;
            let result = (|| {
                let decoded = timing.stage("decode", || v.analyzer().decode(&bytes))?;
                let analysis =
                    timing.stage("analyze", || v.analyzer().analyze(&decoded.rgb, decoded.source))?;
                let Some(format) = format else {
                    let report =
                        timing.stage("checks", || v.judge(&decoded.rgb, &analysis, &profile, lang))?;
                    return Ok((report, None));
                };
                let (report, geometry) = timing
                    .stage("checks", || v.judge_with_overlay(&decoded.rgb, &analysis, &profile, lang))?;
                let overlay = timing.stage("overlay", || overlay(&decoded.rgb, geometry, format));
                Ok::<_, sapa_engine::EngineError>((report, Some(overlay)))
            })();
            (result, timing)
        })
        .await
        .map_err(|e| e.in_lang(lang))?;
    state.record_timing(&timing);
    let (report, overlay) = result.map_err(|e| ApiError::from(e).in_lang(lang))?;
    let decision = match report.decision {
        Decision::Accept => "accept",
        Decision::Reject => "reject",
    };
    state.metrics.decision("validate", decision);
    facts.decision = Some(decision);
    facts.failed = report.failed.clone();
    Ok(ValidateResponse { report, overlay })
}

/// Draws the overlay in the asked format.
fn overlay(img: &image::RgbImage, geometry: Overlay, format: OverlayFormat) -> OverlayBody {
    use base64::Engine;
    let (svg, png) = match format {
        OverlayFormat::Svg => (Some(svg::svg(&geometry, None)), None),
        OverlayFormat::Png => {
            (None, Some(base64::engine::general_purpose::STANDARD.encode(raster::png(img, &geometry))))
        }
    };
    OverlayBody { format, svg, png, geometry }
}
