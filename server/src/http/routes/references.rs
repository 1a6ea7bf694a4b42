//! `POST /v1/references` (enrol a reference photo; only its template is kept),
//! `POST /v1/references/show` (the enrolment metadata) and `POST /v1/references/erase`.
//!
//! The IIN travels in the body, never in the URL: URLs end up in proxy access logs, browser
//! histories and traces, and an IIN is personal data (the privacy standard: no IIN in URLs).

use super::super::audit::AuditEvent;
use super::super::auth::Scope;
use super::super::body::{self, Intake};
use super::super::error::{ApiError, ErrorResponse};
use super::super::pool::Admission;
use super::super::state::{AppState, Timing};
use crate::references::{Iin, ReferenceError, TemplateRecord};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Instant;

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

/// Runs a handler with authorisation, audit and the JSON error shape around it. `read` takes the
/// request (authorised, language known) and gives the IIN and whatever else the body held.
async fn audited<B, T: Serialize>(
    state: &Arc<AppState>,
    route: &'static str,
    req: Request,
    ok: StatusCode,
    read: impl AsyncFnOnce(Request) -> Result<(Iin, B), ApiError>,
    work: impl AsyncFnOnce(Iin, B) -> Result<T, ApiError>,
) -> Response {
    let start = Instant::now();
    let mut event = AuditEvent { request_id: state.request_id(), route, ..Default::default() };
    let (head, body) = req.into_parts();
    let prelude = (|| {
        event.client = state.keys.authorize(&head.headers, Scope::References)?.0;
        super::lang(None, &head.headers)
    })();
    let result = match prelude {
        Ok(lang) => match read(Request::from_parts(head, body)).await {
            Ok((iin, rest)) => {
                event.iin_hash = Some(state.audit.iin_hash(&iin));
                work(iin, rest).await
            }
            Err(e) => Err(e),
        }
        .map_err(|e| e.in_lang(lang)),
        Err(e) => {
            // Refused before the body was read: read it anyway, so the client gets the answer.
            body::drain(body, state.intake()).await;
            Err(e)
        }
    };
    let response = match result {
        Ok(v) => (ok, Json(v)).into_response(),
        Err(e) => {
            event.error = Some(e.code.clone());
            e.into_response()
        }
    };
    state.conclude(event, start, response)
}

/// Reads a `{"iin": "..."}` body.
async fn iin_body(state: &AppState, req: Request) -> Result<(Iin, ()), ApiError> {
    let intake = Intake { max_bytes: IIN_BODY_BYTES, ..state.intake() };
    let bytes = body::json(req, intake).await?;
    let b: IinBody = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::bad_request("bad_request", format!("expected {{\"iin\": \"...\"}}: {e}")))?;
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
pub async fn enrol(State(state): State<Arc<AppState>>, req: Request) -> Response {
    let st = state.clone();
    let read = async move |req: Request| {
        let (head, body): (Parts, _) = req.into_parts();
        let admission = match st.admit() {
            Ok(a) => a,
            Err(e) => {
                body::drain(body, st.intake()).await;
                return Err(e);
            }
        };
        let mut parts = body::form(Request::from_parts(head, body), st.intake()).await?;
        let iin = parts
            .texts
            .remove("iin")
            .ok_or_else(|| ApiError::bad_request("missing_field", "the multipart part `iin` is missing"))?;
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
    audited(&state, "references.put", req, StatusCode::CREATED, read, work).await
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
pub async fn show(State(state): State<Arc<AppState>>, req: Request) -> Response {
    let st = state.clone();
    let read = async |req: Request| iin_body(&state, req).await;
    let work = async move |iin: Iin, ()| {
        let meta = st.on_store(move |store| store.metadata(&iin)).await?;
        if meta.is_empty() {
            return Err(ApiError::not_found("reference_not_found", "no reference enrolled for this IIN"));
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
    audited(&state, "references.get", req, StatusCode::OK, read, work).await
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
pub async fn erase(State(state): State<Arc<AppState>>, req: Request) -> Response {
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
            return Err(ApiError::not_found("reference_not_found", "no reference enrolled for this IIN"));
        }
        Ok(Deleted { deleted })
    };
    audited(&state, "references.delete", req, StatusCode::OK, read, work).await
}
