//! Reading what a client sent: a raw image body (`Content-Type: image/*`) or a multipart form.
//! Both are read by one bounded reader: the body limit (`413 payload_too_large`) and the
//! body-read deadline (`408 request_timeout`) apply to both; any other content type is
//! `415 unsupported_media_type`.

use super::error::ApiError;
use crate::error_code::ErrorCode;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{StatusCode, header};
use http_body_util::BodyExt;
use std::collections::HashMap;
use std::time::Duration;
use tokio::time::Instant;

/// How much of a body is read, and for how long.
#[derive(Debug, Clone, Copy)]
pub struct Intake {
    pub max_bytes: usize,
    /// From the start of reading to the body's last byte: a whole-body deadline, so a client
    /// trickling a byte now and then cannot hold a connection for longer.
    pub timeout: Duration,
}

/// The parts of a request: files by field name and text fields by name.
#[derive(Default)]
pub struct Parts {
    pub files: HashMap<String, Bytes>,
    pub texts: HashMap<String, String>,
}

impl Parts {
    pub fn file(&mut self, name: &str) -> Result<Bytes, ApiError> {
        self.files.remove(name).ok_or_else(|| {
            ApiError::bad_request(ErrorCode::MissingField, format!("the multipart part `{name}` is missing"))
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
        ErrorCode::PayloadTooLarge,
        format!("the request body exceeds the limit of {limit} bytes"),
    )
}

fn timed_out(timeout: Duration) -> ApiError {
    ApiError::new(
        StatusCode::REQUEST_TIMEOUT,
        ErrorCode::RequestTimeout,
        format!("the request body did not arrive within {} ms", timeout.as_millis()),
    )
}

fn is_image(ct: &str) -> bool {
    ct.starts_with("image/") || ct.starts_with("application/octet-stream")
}

/// What is read and thrown away of a body that is refused, so the client, still sending, gets
/// the answer instead of a broken pipe (a "lingering close", as nginx does).
const DRAIN_BYTES: usize = 64 * 1024 * 1024;
pub const DRAIN_TIME: Duration = Duration::from_secs(10);

/// Reads and discards what is left of a refused request's body, within bounds (at most
/// [`DRAIN_TIME`], and never past the body-read deadline).
pub async fn drain(body: Body, intake: Intake) {
    drain_until(body, Instant::now() + intake.timeout.min(DRAIN_TIME)).await
}

pub async fn drain_until(mut body: Body, deadline: Instant) {
    let _ = tokio::time::timeout_at(deadline, async {
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

/// The whole body, or `413` past `max_bytes` (after draining the rest) or `408` past the
/// deadline (the connection is then closed: see [`ApiError`]'s response).
async fn read(mut body: Body, intake: Intake) -> Result<Bytes, ApiError> {
    let deadline = Instant::now() + intake.timeout;
    let mut buf = Vec::new();
    loop {
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Err(_) => return Err(timed_out(intake.timeout)),
            Ok(None) => break,
            Ok(Some(frame)) => frame.map_err(|e| {
                ApiError::bad_request(ErrorCode::BadRequest, format!("reading the body: {e}"))
            })?,
        };
        if let Some(data) = frame.data_ref() {
            if buf.len() + data.len() > intake.max_bytes {
                drain_until(body, deadline.min(Instant::now() + DRAIN_TIME)).await;
                return Err(too_large(intake.max_bytes));
            }
            buf.extend_from_slice(data);
        }
    }
    Ok(Bytes::from(buf))
}

fn bad_multipart(e: axum::extract::multipart::MultipartError) -> ApiError {
    ApiError::bad_request(ErrorCode::BadRequest, format!("multipart: {}", e.body_text()))
}

/// Reads a multipart form: parts with a file name, a non-text type, or bytes that are not UTF-8
/// are files (`curl -F photo=<face.jpg` sends a photo with neither name nor type). A part named
/// twice is refused, not silently overwritten. The body is read whole first, by the same bounded
/// reader as a raw photo, and parsed from memory: the parts are all kept in memory anyway, and a
/// refused form is drained like a refused photo.
async fn multipart(req: Request, intake: Intake) -> Result<Parts, ApiError> {
    let (head, body) = req.into_parts();
    let bytes = read(body, intake).await?;
    let req = Request::from_parts(head, Body::from(bytes));
    let mut form = Multipart::from_request(req, &())
        .await
        .map_err(|e| ApiError::bad_request(ErrorCode::BadRequest, format!("multipart: {}", e.body_text())))?;
    let mut parts = Parts::default();
    while let Some(field) = form.next_field().await.map_err(bad_multipart)? {
        let name = field.name().unwrap_or("").to_string();
        let is_file =
            field.file_name().is_some() || field.content_type().is_some_and(|ct| !ct.starts_with("text/"));
        let data = field.bytes().await.map_err(bad_multipart)?;
        if parts.files.contains_key(&name) || parts.texts.contains_key(&name) {
            return Err(ApiError::bad_request(
                ErrorCode::DuplicateField,
                format!("the multipart part `{name}` is given more than once"),
            ));
        }
        match (is_file, std::str::from_utf8(&data)) {
            (false, Ok(text)) => {
                parts.texts.insert(name, text.to_string());
            }
            _ => {
                parts.files.insert(name, data);
            }
        }
    }
    Ok(parts)
}

/// A request whose payload is one photo: the raw body, or the multipart part `field`.
pub async fn photo(req: Request, field: &str, intake: Intake) -> Result<Bytes, ApiError> {
    let ct = content_type(&req);
    if is_image(&ct) {
        return read(req.into_body(), intake).await;
    }
    if ct.starts_with("multipart/form-data") {
        return multipart(req, intake).await?.file(field);
    }
    drain(req.into_body(), intake).await;
    Err(unsupported(&ct))
}

/// A small `application/json` body (read whole, within `intake`).
pub async fn json(req: Request, intake: Intake) -> Result<Bytes, ApiError> {
    let ct = content_type(&req);
    if ct.starts_with("application/json") {
        return read(req.into_body(), intake).await;
    }
    drain(req.into_body(), intake).await;
    Err(ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorCode::UnsupportedMediaType,
        format!("Content-Type {ct:?} is not accepted: send application/json"),
    ))
}

/// A multipart request (several photos, or a photo and text fields).
pub async fn form(req: Request, intake: Intake) -> Result<Parts, ApiError> {
    let ct = content_type(&req);
    if ct.starts_with("multipart/form-data") {
        return multipart(req, intake).await;
    }
    drain(req.into_body(), intake).await;
    Err(unsupported(&ct))
}

fn unsupported(ct: &str) -> ApiError {
    let shown = if ct.is_empty() { "none".to_string() } else { format!("{ct:?}") };
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorCode::UnsupportedMediaType,
        format!("Content-Type {shown} is not accepted: send image/* bytes or multipart/form-data"),
    )
}

/// A burst of camera frames: a multipart form whose parts are all named `field`, at most
/// `max_frames` of them, each at most `max_frame_bytes`. Read part by part, so a burst with one
/// frame too many or one frame too large is refused at that part, before the rest is read and
/// before any frame is decoded (the guard drains what is left); the whole read keeps `timeout`.
pub async fn frames(
    req: Request,
    field: &str,
    max_frames: usize,
    max_frame_bytes: usize,
    timeout: Duration,
) -> Result<Vec<Bytes>, ApiError> {
    let ct = content_type(&req);
    if !ct.starts_with("multipart/form-data") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
            format!("Content-Type {ct:?} is not accepted: send multipart/form-data with `{field}` parts"),
        ));
    }
    let read = async {
        let mut form = Multipart::from_request(req, &()).await.map_err(|e| {
            ApiError::bad_request(ErrorCode::BadRequest, format!("multipart: {}", e.body_text()))
        })?;
        let mut out: Vec<Bytes> = Vec::new();
        while let Some(mut part) = form.next_field().await.map_err(bad_multipart)? {
            let name = part.name().unwrap_or("").to_string();
            if name != field {
                return Err(ApiError::bad_request(
                    ErrorCode::BadRequest,
                    format!("unexpected multipart part `{name}`: a burst has only `{field}` parts"),
                ));
            }
            if out.len() == max_frames {
                return Err(ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    ErrorCode::TooManyFrames,
                    format!("a burst may carry at most {max_frames} frames"),
                ));
            }
            let mut buf = Vec::new();
            while let Some(chunk) = part.chunk().await.map_err(bad_multipart)? {
                if buf.len() + chunk.len() > max_frame_bytes {
                    return Err(ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        ErrorCode::PayloadTooLarge,
                        format!("frame {} exceeds the limit of {max_frame_bytes} bytes", out.len()),
                    ));
                }
                buf.extend_from_slice(&chunk);
            }
            out.push(Bytes::from(buf));
        }
        if out.is_empty() {
            return Err(ApiError::bad_request(
                ErrorCode::MissingField,
                format!("the multipart part `{field}` is missing"),
            ));
        }
        Ok(out)
    };
    match tokio::time::timeout(timeout, read).await {
        Err(_) => Err(timed_out(timeout)),
        Ok(r) => r,
    }
}
