//! Reading what a client sent: a raw image body (`Content-Type: image/*`) or a multipart form.
//! The body limit applies to both; everything else is `415 unsupported_media_type`.

use super::error::ApiError;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{StatusCode, header};
use http_body_util::BodyExt;
use std::collections::HashMap;
use std::time::Duration;

/// The parts of a request: files by field name and text fields by name.
#[derive(Default)]
pub struct Parts {
    pub files: HashMap<String, Bytes>,
    pub texts: HashMap<String, String>,
}

impl Parts {
    pub fn file(&mut self, name: &str) -> Result<Bytes, ApiError> {
        self.files.remove(name).ok_or_else(|| {
            ApiError::bad_request("missing_field", format!("the multipart part `{name}` is missing"))
        })
    }
}

fn content_type(req: &Request) -> String {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("the request body exceeds the limit of {limit} bytes"),
    )
}

fn is_image(ct: &str) -> bool {
    ct.starts_with("image/") || ct.starts_with("application/octet-stream")
}

/// What is read and thrown away of a body that is refused, so the client, still sending, gets
/// the answer instead of a broken pipe (a "lingering close", as nginx does).
const DRAIN_BYTES: usize = 64 * 1024 * 1024;
const DRAIN_TIME: Duration = Duration::from_secs(10);

/// Reads and discards what is left of a refused request's body, within bounds.
pub async fn drain(mut body: Body) {
    let _ = tokio::time::timeout(DRAIN_TIME, async {
        let mut seen = 0usize;
        while let Some(Ok(frame)) = body.frame().await {
            seen += frame.data_ref().map_or(0, |d| d.len());
            if seen > DRAIN_BYTES {
                break;
            }
        }
    })
    .await;
}

async fn raw(mut body: Body, limit: usize) -> Result<Bytes, ApiError> {
    let mut buf = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame =
            frame.map_err(|e| ApiError::bad_request("bad_request", format!("reading the body: {e}")))?;
        if let Some(data) = frame.data_ref() {
            if buf.len() + data.len() > limit {
                drain(body).await;
                return Err(too_large(limit));
            }
            buf.extend_from_slice(data);
        }
    }
    Ok(Bytes::from(buf))
}

/// Reads a multipart form: parts with a file name (or a non-text type) are files.
async fn multipart(req: Request, limit: usize) -> Result<Parts, ApiError> {
    let mut form = Multipart::from_request(req, &())
        .await
        .map_err(|e| ApiError::bad_request("bad_request", format!("multipart: {}", e.body_text())))?;
    let mut parts = Parts::default();
    let mut total = 0usize;
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large(limit)),
            Err(e) => {
                return Err(ApiError::bad_request("bad_request", format!("multipart: {}", e.body_text())));
            }
        };
        let name = field.name().unwrap_or("").to_string();
        let is_file =
            field.file_name().is_some() || field.content_type().is_some_and(|ct| !ct.starts_with("text/"));
        let data = match field.bytes().await {
            Ok(d) => d,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large(limit)),
            Err(e) => {
                return Err(ApiError::bad_request("bad_request", format!("multipart: {}", e.body_text())));
            }
        };
        total += data.len();
        if total > limit {
            return Err(too_large(limit));
        }
        if is_file {
            parts.files.insert(name, data);
        } else {
            let text = String::from_utf8(data.to_vec()).map_err(|_| {
                ApiError::bad_request("bad_request", format!("the field `{name}` is not UTF-8"))
            })?;
            parts.texts.insert(name, text);
        }
    }
    Ok(parts)
}

/// A request whose payload is one photo: the raw body, or the multipart part `field`.
pub async fn photo(req: Request, field: &str, limit: usize) -> Result<Bytes, ApiError> {
    let ct = content_type(&req);
    if is_image(&ct) {
        return raw(req.into_body(), limit).await;
    }
    if ct.starts_with("multipart/form-data") {
        return multipart(req, limit).await?.file(field);
    }
    drain(req.into_body()).await;
    Err(unsupported(&ct))
}

/// A multipart request (several photos, or a photo and text fields).
pub async fn form(req: Request, limit: usize) -> Result<Parts, ApiError> {
    let ct = content_type(&req);
    if ct.starts_with("multipart/form-data") {
        return multipart(req, limit).await;
    }
    drain(req.into_body()).await;
    Err(unsupported(&ct))
}

fn unsupported(ct: &str) -> ApiError {
    let shown = if ct.is_empty() { "none".to_string() } else { format!("{ct:?}") };
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        format!("Content-Type {shown} is not accepted: send image/* bytes or multipart/form-data"),
    )
}
