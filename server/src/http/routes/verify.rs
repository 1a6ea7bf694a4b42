//! `POST /v1/verify`: 1:1 verification of a probe photo against an uploaded reference photo or
//! the reference of an IIN (the store first, then ГБД ФЛ).

use super::super::body;
use super::super::error::{ApiError, ErrorResponse};
use super::super::guard::AuditFacts;
use super::super::state::{AppState, Timing};
use super::ApiQuery;
use crate::error_code::ErrorCode;
use crate::references::{Iin, Origin, ReferenceError, TemplateRecord, find_current_reference};
use crate::verdict::{PoorPhoto, poor_photos};
use axum::Json;
use axum::extract::{Request, State};
use sapa_engine::Template;
use sapa_engine::recognition::{Usability, Verdict};
use sapa_engine::validate::Lang;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Instant;

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default, deny_unknown_fields)]
pub struct VerifyQuery {
    /// Decide at this calibrated false match rate (default: the calibration's `default_fmr`).
    pub fmr: Option<f64>,
    /// `kk`, `ru` or `en` for error messages; otherwise from `Accept-Language`.
    pub lang: Option<String>,
}

/// The outcome of a comparison.
#[derive(Serialize, utoipa::ToSchema)]
pub struct VerifyResponse {
    /// `match`; `no_match`; `retake` (below the threshold and the probe is too poor to decide
    /// on: take the photo again); or `reference_unusable` (below the threshold and the reference
    /// is too poor: route the citizen to a service centre).
    pub decision: &'static str,
    /// For `retake` and `reference_unusable`: the measures that failed, each with the message
    /// for the citizen in the requested language. Empty otherwise.
    pub reasons: Vec<PoorPhoto>,
    /// Similarity of the two templates; higher is more alike.
    pub score: f32,
    /// The score a match needs at this operating point.
    pub threshold: f32,
    /// The calibrated false match rate the threshold stands for.
    pub fmr: f64,
    /// Recognition model id.
    pub model: String,
    /// Where the reference came from: `upload`, `store` or `gbd`.
    pub reference_source: String,
}

/// Multipart form of `POST /v1/verify`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct VerifyForm {
    /// The applicant's photo.
    #[schema(format = Binary, value_type = String)]
    probe: Vec<u8>,
    /// A reference photo (or give `iin`).
    #[schema(format = Binary, value_type = String)]
    reference: Option<Vec<u8>>,
    /// The applicant's IIN, to compare with their stored or ГБД ФЛ reference.
    iin: Option<String>,
}

/// Compare a probe photo with a reference photo or with the reference of an IIN.
#[utoipa::path(
    post,
    path = "/v1/verify",
    params(VerifyQuery),
    request_body(content = VerifyForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "The decision at the calibrated threshold", body = VerifyResponse),
        (status = 400, description = "Missing part, bad IIN", body = ErrorResponse),
        (status = 408, description = "The body did not arrive within `body_read_timeout_ms`; the connection is closed", body = ErrorResponse),
        (status = 404, description = "No reference for this IIN", body = ErrorResponse),
        (status = 409, description = "The stored reference was made with another model or an older version, and no ГБД ФЛ is configured to re-derive it (`reference_outdated`)", body = ErrorResponse),
        (status = 422, description = "No face, unreadable image; or a reference (stored or from ГБД ФЛ) that yields no template (`reference_invalid`)", body = ErrorResponse),
        (status = 503, description = "Saturated, past the deadline, or ГБД ФЛ unavailable (`reference_unavailable`)", body = ErrorResponse),
    ),
    security(("api_key" = ["verify"])),
    tag = "matching"
)]
pub async fn verify(
    State(state): State<Arc<AppState>>,
    ApiQuery(q): ApiQuery<VerifyQuery>,
    req: Request,
) -> (AuditFacts, Result<Json<VerifyResponse>, ApiError>) {
    let mut facts = AuditFacts::default();
    let result = run(&state, q, req, &mut facts).await;
    if let Ok(v) = &result {
        state.metrics.decision("verify", v.decision);
        facts.decision = Some(v.decision);
        facts.score = Some(v.score);
    }
    (facts, result.map(Json))
}

/// The operating point asked for (the calibration's default when `None`): `(fmr, threshold)`.
pub(super) fn operating_point(
    state: &AppState,
    fmr: Option<f64>,
    lang: Lang,
) -> Result<(f64, f32), ApiError> {
    let engine = &state.engine;
    let fmr = fmr.unwrap_or(engine.recognition.default_fmr);
    // Only a calibrated operating point is a valid request; anything else (inf, NaN, 0.5, 1e-7)
    // is the caller's mistake and is named as such, with the points there are. (The served model
    // is the default, whose calibration the configuration is checked to hold at load.)
    let point = engine.recognition.operating_point(engine.recognizer.model(), fmr).map_err(|e| {
        let detail = match e {
            sapa_engine::EngineError::Config(m) => m,
            other => other.to_string(),
        };
        ApiError::bad_request(ErrorCode::BadRequest, detail).in_lang(lang)
    })?;
    Ok((fmr, point.score))
}

async fn run(
    state: &Arc<AppState>,
    q: VerifyQuery,
    req: Request,
    facts: &mut AuditFacts,
) -> Result<VerifyResponse, ApiError> {
    let lang = super::lang(q.lang.as_deref(), req.headers())?;
    let (fmr, threshold) = operating_point(state, q.fmr, lang)?;
    // A place on the pool before any of the body is read (a refused body drains itself).
    let admission = state.admit().map_err(|e| e.in_lang(lang))?;
    let fail = |e: ApiError| e.in_lang(lang);
    let engine = state.engine.clone();
    let model = engine.recognizer.model();
    let mut parts = body::form(req, state.intake()).await.map_err(fail)?;
    let probe = parts.file("probe").map_err(fail)?;
    let iin = parts.texts.remove("iin");
    let reference = parts.files.remove("reference");
    let (probe_t, reference_t, source) = match (reference, iin) {
        (Some(reference), None) => {
            let (a, b) = state
                .compute_admitted(admission, move || {
                    let mut timing = Timing::default();
                    let a = engine.assessed_template_of(&probe, &mut timing).map_err(|e| e.about("probe"));
                    let b = a.as_ref().ok().map(|_| {
                        engine.assessed_template_of(&reference, &mut timing).map_err(|e| e.about("reference"))
                    });
                    (a, b, timing)
                })
                .await
                .map(|(a, b, timing)| {
                    state.record_timing(&timing);
                    (a, b)
                })
                .map_err(fail)?;
            let a = a.map_err(fail)?;
            let b = b.expect("computed when the probe succeeded").map_err(fail)?;
            (a, b, "upload".to_string())
        }
        (None, Some(iin)) => {
            let iin = Iin::parse(iin.trim()).map_err(|e| fail(ReferenceError::from(e).into()))?;
            facts.iin_hash = Some(state.audit.iin_hash(&iin));
            let probe_t = state
                .compute_admitted(admission, move || {
                    let mut timing = Timing::default();
                    (engine.assessed_template_of(&probe, &mut timing).map_err(|e| e.about("probe")), timing)
                })
                .await
                .map(|(t, timing)| {
                    state.record_timing(&timing);
                    t
                })
                .map_err(fail)?
                .map_err(fail)?;
            let (reference_t, usability, origin) = reference_of(state, iin, lang).await?;
            (probe_t, (reference_t, usability), origin.as_str().to_string())
        }
        (Some(_), Some(_)) => {
            return Err(fail(ApiError::bad_request(
                ErrorCode::BadRequest,
                "give either `reference` or `iin`, not both",
            )));
        }
        (None, None) => {
            return Err(fail(ApiError::bad_request(
                ErrorCode::MissingField,
                "give a `reference` photo or an `iin`",
            )));
        }
    };
    let ((probe_t, probe_u), (reference_t, reference_u)) = (probe_t, reference_t);
    let score = probe_t.similarity(&reference_t).map_err(|e| fail(e.into()))?;
    let verdict = Verdict::decide(score, threshold, &probe_u, &reference_u);
    Ok(VerifyResponse {
        decision: verdict.as_str(),
        reasons: poor_photos(verdict, &probe_u, &reference_u, lang),
        score,
        threshold,
        fmr,
        model: model.id().to_string(),
        reference_source: source,
    })
}

/// The reference of `iin` as a template, how usable it is, and where it came from: what a
/// comparison by IIN (`/v1/verify`, `/v1/kiosk/identify`) compares the probe with.
pub(super) async fn reference_of(
    state: &Arc<AppState>,
    iin: Iin,
    lang: Lang,
) -> Result<(Template, Usability, Origin), ApiError> {
    let (record, origin) = lookup(state, iin, state.engine.recognizer.model().id(), lang).await?;
    // Damaged bytes are a reference that yields no template: 422, as from ГБД ФЛ.
    let template = Template::from_bytes(&record.template).map_err(|e| {
        tracing::error!(error = %e, "a stored reference template does not decode");
        ApiError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::ReferenceInvalid,
            e.to_string(),
        )
        .in_lang(lang)
    })?;
    // A stored reference carries only its face quality; that is what judges it.
    let usability = Usability::of_stored(record.quality, &state.engine.recognition.usability);
    Ok((template, usability, origin))
}

/// The reference template of `iin` made by the model and pre-processing this service runs (the
/// store, else ГБД ФЛ: see [`find_current_reference`]), off the runtime's threads, timed.
async fn lookup(
    state: &Arc<AppState>,
    iin: Iin,
    model_id: &'static str,
    lang: Lang,
) -> Result<(TemplateRecord, Origin), ApiError> {
    let gbd = state.gbd.clone();
    let version = state.engine.recognizer.version().to_string();
    let current = move |r: &TemplateRecord| r.made_with(&version);
    let started = Instant::now();
    let found = state
        .on_store(move |store| {
            find_current_reference(store, &iin, model_id, current, || Ok::<_, ReferenceError>(gbd))
        })
        .await;
    state.metrics.stage("reference_lookup", started.elapsed());
    found.map_err(|e| e.in_lang(lang))
}
