//! `POST /v1/references` (enrol a reference photo; only its template is kept),
//! `POST /v1/references/show` (the enrolment metadata) and `POST /v1/references/erase`.
//!
//! The IIN travels in the body, never in the URL: URLs end up in proxy access logs, browser
//! histories and traces, and an IIN is personal data (the privacy standard: no IIN in URLs).

use super::super::body::{self, Intake};
use super::super::error::{ApiError, ErrorResponse};
use super::super::guard::AuditFacts;
use super::super::pool::Admission;
use super::super::state::{AppState, Timing};
use crate::error_code::ErrorCode;
use crate::references::{Iin, ReferenceError, TemplateRecord};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// One stored reference, without its template bytes.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ReferenceInfo {
    pub model: String,
    /// Unix seconds.
    pub enrolled_at: i64,
    /// `enrol` (this API or the CLI) or `gbd` (derived from the ГБД ФЛ photo).
    pub source: String,
    pub quality: f32,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct References {
    pub references: Vec<ReferenceInfo>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Enrolled {
    pub enrolled: bool,
    pub model: String,
    pub quality: f32,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Deleted {
    pub deleted: usize,
}

/// The body of `show` and `erase`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IinBody {
    /// The person's 12-digit IIN.
    pub iin: String,
}

/// Multipart form of `POST /v1/references`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct EnrolForm {
    /// The person's 12-digit IIN.
    iin: String,
    /// The reference photo; only its template is stored.
    #[schema(format = Binary, value_type = String)]
    photo: Vec<u8>,
}

/// A JSON `{"iin": ...}` body is a few dozen bytes; anything longer is refused unread.
const IIN_BODY_BYTES: usize = 1024;

fn parse(iin: &str) -> Result<Iin, ApiError> {
    Iin::parse(iin.trim()).map_err(|e| ReferenceError::from(e).into())
}

/// What a references handler returns: the audit facts (the IIN's keyed hash once it is known)
/// and the answer.
type Answer<T> = (AuditFacts, Result<(StatusCode, Json<T>), ApiError>);

/// Runs `work` on the IIN and whatever else `read` took from the body, in the client's language,
/// noting the IIN's keyed hash for the audit line.
async fn answer<B, T>(
    state: &AppState,
    req: Request,
    ok: StatusCode,
    read: impl AsyncFnOnce(Request) -> Result<(Iin, B), ApiError>,
    work: impl AsyncFnOnce(Iin, B) -> Result<T, ApiError>,
) -> Answer<T> {
    let mut facts = AuditFacts::default();
    let result = async {
        let lang = super::lang(None, req.headers())?;
        let (iin, rest) = read(req).await.map_err(|e| e.in_lang(lang))?;
        facts.iin_hash = Some(state.audit.iin_hash(&iin));
        work(iin, rest).await.map_err(|e| e.in_lang(lang))
    }
    .await;
    (facts, result.map(|v| (ok, Json(v))))
}

/// Reads a `{"iin": "..."}` body.
async fn iin_body(state: &AppState, req: Request) -> Result<(Iin, ()), ApiError> {
    let intake = Intake { max_bytes: IIN_BODY_BYTES, ..state.intake() };
    let bytes = body::json(req, intake).await?;
    let b: IinBody = serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::bad_request(ErrorCode::BadRequest, format!("expected {{\"iin\": \"...\"}}: {e}"))
    })?;
    Ok((parse(&b.iin)?, ()))
}

/// Enrol a reference photo for an IIN; only its template is stored.
#[utoipa::path(
    post,
    path = "/v1/references",
    request_body(content = EnrolForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Enrolled", body = Enrolled),
        (status = 400, description = "Invalid IIN, missing part", body = ErrorResponse),
        (status = 408, description = "The body did not arrive within `body_read_timeout_ms`; the connection is closed", body = ErrorResponse),
        (status = 422, description = "No face, unreadable image", body = ErrorResponse),
        (status = 503, description = "Saturated", body = ErrorResponse),
    ),
    security(("api_key" = ["references"])),
    tag = "references"
)]
pub async fn enrol(State(state): State<Arc<AppState>>, req: Request) -> Answer<Enrolled> {
    let st = state.clone();
    let read = async move |req: Request| {
        // A place on the pool before any of the body is read (a refused body drains itself).
        let admission = st.admit()?;
        let mut parts = body::form(req, st.intake()).await?;
        let iin = parts.texts.remove("iin").ok_or_else(|| {
            ApiError::bad_request(ErrorCode::MissingField, "the multipart part `iin` is missing")
        })?;
        let photo = parts.file("photo")?;
        Ok((parse(&iin)?, (admission, photo)))
    };
    let st = state.clone();
    let work = async move |iin: Iin, (admission, bytes): (Admission, Bytes)| {
        let engine = st.engine.clone();
        let (template, timing) = st
            .compute_admitted(admission, move || {
                let mut timing = Timing::default();
                (engine.template_of(&bytes, &mut timing), timing)
            })
            .await?;
        st.record_timing(&timing);
        let template = template?;
        let record = TemplateRecord::enrolled(&template);
        let (model, quality) = (record.model_id.clone(), record.quality);
        st.on_store(move |store| store.put(&iin, &record)).await?;
        Ok(Enrolled { enrolled: true, model, quality })
    };
    answer(&state, req, StatusCode::CREATED, read, work).await
}

/// The enrolment metadata of an IIN (never the template).
#[utoipa::path(
    post,
    path = "/v1/references/show",
    request_body(content = IinBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Stored references", body = References),
        (status = 400, description = "Invalid IIN or body", body = ErrorResponse),
        (status = 404, description = "Nothing stored", body = ErrorResponse),
    ),
    security(("api_key" = ["references"])),
    tag = "references"
)]
pub async fn show(State(state): State<Arc<AppState>>, req: Request) -> Answer<References> {
    let st = state.clone();
    let read = async |req: Request| iin_body(&state, req).await;
    let work = async move |iin: Iin, ()| {
        let meta = st.on_store(move |store| store.metadata(&iin)).await?;
        if meta.is_empty() {
            return Err(ApiError::not_found(
                ErrorCode::ReferenceNotFound,
                "no reference enrolled for this IIN",
            ));
        }
        let references = meta
            .into_iter()
            .map(|m| ReferenceInfo {
                model: m.model_id,
                enrolled_at: m.enrolled_at,
                source: m.source,
                quality: m.quality,
            })
            .collect();
        Ok(References { references })
    };
    answer(&state, req, StatusCode::OK, read, work).await
}

/// Erase every reference of an IIN.
#[utoipa::path(
    post,
    path = "/v1/references/erase",
    request_body(content = IinBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Erased", body = Deleted),
        (status = 400, description = "Invalid IIN or body", body = ErrorResponse),
        (status = 404, description = "Nothing stored", body = ErrorResponse),
    ),
    security(("api_key" = ["references"])),
    tag = "references"
)]
pub async fn erase(State(state): State<Arc<AppState>>, req: Request) -> Answer<Deleted> {
    let (st, gbd) = (state.clone(), state.gbd.clone());
    let read = async |req: Request| iin_body(&state, req).await;
    let work = async move |iin: Iin, ()| {
        let deleted = st
            .on_store(move |store| {
                // A cached ГБД ФЛ template must not outlive an erasure either.
                if let Some(g) = gbd {
                    g.invalidate(&iin);
                }
                store.delete(&iin)
            })
            .await?;
        if deleted == 0 {
            return Err(ApiError::not_found(
                ErrorCode::ReferenceNotFound,
                "no reference enrolled for this IIN",
            ));
        }
        Ok(Deleted { deleted })
    };
    answer(&state, req, StatusCode::OK, read, work).await
}
