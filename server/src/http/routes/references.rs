//! `PUT|GET|DELETE /v1/references/{iin}`: enrol a reference photo (only its template is kept),
//! read the enrolment metadata, erase it.

use super::super::audit::AuditEvent;
use super::super::auth::Scope;
use super::super::body;
use super::super::error::{ApiError, ErrorResponse};
use super::super::state::{AppState, Timing};
use crate::references::{Iin, ReferenceError, TemplateRecord};
use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
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

fn parse(iin: &str) -> Result<Iin, ApiError> {
    Iin::parse(iin).map_err(|e| ReferenceError::from(e).into())
}

/// Runs a handler body with authorisation, audit and the JSON error shape around it.
async fn audited<T: Serialize>(
    state: &Arc<AppState>,
    route: &'static str,
    req: Request,
    iin: &str,
    ok: StatusCode,
    work: impl AsyncFnOnce(Iin, Request) -> Result<T, ApiError>,
) -> Response {
    let start = Instant::now();
    let mut event = AuditEvent { request_id: state.request_id(), route, ..Default::default() };
    let (head, body) = req.into_parts();
    let prelude = (|| {
        event.client = state.keys.authorize(&head.headers, Scope::References)?.0;
        let lang = super::lang(None, &head.headers)?;
        let iin = parse(iin).map_err(|e| e.in_lang(lang))?;
        event.iin_hash = Some(state.audit.iin_hash(&iin));
        Ok::<_, ApiError>((iin, lang))
    })();
    let result = match prelude {
        Ok((iin, lang)) => work(iin, Request::from_parts(head, body)).await.map_err(|e| e.in_lang(lang)),
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

/// Enrol a reference photo for an IIN; only its template is stored.
#[utoipa::path(
    put,
    path = "/v1/references/{iin}",
    params(("iin" = String, Path, description = "12-digit IIN")),
    request_body(description = "The reference photo: image/* bytes, or multipart with a `photo` part", content_type = "image/jpeg"),
    responses(
        (status = 201, description = "Enrolled", body = Enrolled),
        (status = 400, description = "Invalid IIN", body = ErrorResponse),
        (status = 408, description = "The body did not arrive within `body_read_timeout_ms`; the connection is closed", body = ErrorResponse),
        (status = 422, description = "No face, unreadable image", body = ErrorResponse),
    ),
    security(("api_key" = ["references"])),
    tag = "references"
)]
pub async fn put(State(state): State<Arc<AppState>>, Path(iin): Path<String>, req: Request) -> Response {
    let st = state.clone();
    audited(&state, "references.put", req, &iin, StatusCode::CREATED, async move |iin: Iin, req: Request| {
        let (head, body) = req.into_parts();
        let admission = match st.admit() {
            Ok(a) => a,
            Err(e) => {
                body::drain(body, st.intake()).await;
                return Err(e);
            }
        };
        let bytes = body::photo(Request::from_parts(head, body), "photo", st.intake()).await?;
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
    })
    .await
}

/// The enrolment metadata of an IIN (never the template).
#[utoipa::path(
    get,
    path = "/v1/references/{iin}",
    params(("iin" = String, Path, description = "12-digit IIN")),
    responses(
        (status = 200, description = "Stored references", body = References),
        (status = 404, description = "Nothing stored", body = ErrorResponse),
    ),
    security(("api_key" = ["references"])),
    tag = "references"
)]
pub async fn get(State(state): State<Arc<AppState>>, Path(iin): Path<String>, req: Request) -> Response {
    let st = state.clone();
    audited(&state, "references.get", req, &iin, StatusCode::OK, async move |iin: Iin, _| {
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
    })
    .await
}

/// Erase every reference of an IIN.
#[utoipa::path(
    delete,
    path = "/v1/references/{iin}",
    params(("iin" = String, Path, description = "12-digit IIN")),
    responses(
        (status = 200, description = "Erased", body = Deleted),
        (status = 404, description = "Nothing stored", body = ErrorResponse),
    ),
    security(("api_key" = ["references"])),
    tag = "references"
)]
pub async fn delete(State(state): State<Arc<AppState>>, Path(iin): Path<String>, req: Request) -> Response {
    let (st, gbd) = (state.clone(), state.gbd.clone());
    audited(&state, "references.delete", req, &iin, StatusCode::OK, async move |iin: Iin, _| {
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
    })
    .await
}
