//! `POST /v1/capture`: a kiosk's burst of frames in, the frame to keep out, with its full report
//! and its ICAO crop. The engine judges and ranks (`sapa_engine::capture`); this module bounds
//! the burst (frame count and size, before any decoding) and encodes the crop.

use super::super::body;
use super::super::error::{ApiError, ErrorResponse};
use super::super::guard::AuditFacts;
use super::super::state::{AppState, Engine, PadMissing, PadReport, Timing};
use super::ApiQuery;
use super::guidance::GuidanceQuery;
use axum::Json;
use axum::extract::{Request, State};
use sapa_engine::capture::{self, FrameScore};
use sapa_engine::guidance::HintMessage;
use sapa_engine::validate::{Code, Report};
use serde::Serialize;
use std::sync::Arc;

/// The burst's outcome.
///
/// `captured: true`: the chosen frame is compliant; keep `crop`. `captured: false`: no frame of
/// the burst is compliant; the answer is still `200`, with the best frame's report and `hints`
/// (what the person can fix), so the kiosk shows them and streams guidance again. Nothing of a
/// refused burst is stored anywhere.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CaptureResponse {
    pub captured: bool,
    /// The chosen frame's place in the burst, from 0.
    pub chosen: usize,
    /// The chosen frame's full report, the same shape `POST /v1/validate` answers.
    pub report: Report,
    /// The chosen frame's ICAO crop at the profile's output size; `null` when the frame allows
    /// none (the face too near an edge).
    pub crop: Option<CropImage>,
    /// What the person can still fix on the chosen frame, most urgent first; empty when captured.
    pub hints: Vec<HintMessage>,
    /// The chosen frame's failed codes that no hint covers (the camera's resolution, the
    /// background): for the operator; their messages are in the report's checks.
    pub others: Vec<Code>,
    /// Every frame's ranking measures, in burst order (the order is stated in
    /// `sapa_engine::capture::rank::better`).
    pub frames: Vec<FrameScore>,
    /// Presentation-attack detection on the chosen frame's largest face; `null` when there is no
    /// face or the service runs without PAD (`pad_missing` says which). A kiosk must not take a
    /// `null` for live. `captured` does not depend on it: `POST /v1/kiosk/identify` decides.
    pub pad: Option<PadReport>,
    /// Why `pad` is `null`: `no_face` or `pad_unavailable`; absent when `pad` is given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pad_missing: Option<PadMissing>,
}

/// An image in the answer.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CropImage {
    /// Always `jpeg` (quality 95).
    pub format: &'static str,
    pub width: u32,
    pub height: u32,
    /// The image, base64.
    pub data: String,
}

/// Keep the best frame of a kiosk burst.
///
/// Each frame is validated in full (as `POST /v1/validate`), then the frames are ranked:
/// compliant first, then with a face, fewest failed checks, sharpest, most frontal, eyes most
/// open, later. A burst of more than `[kiosk] max_capture_frames` frames is refused at the first
/// frame too many, before any is decoded.
#[utoipa::path(
    post,
    path = "/v1/capture",
    params(GuidanceQuery),
    request_body(description = "multipart/form-data with 1 to `[kiosk] max_capture_frames` parts named `frame`, each a JPEG or PNG of at most `[kiosk] max_frame_bytes`", content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "The chosen frame: `captured` says whether it is compliant; its report, crop and hints", body = CaptureResponse),
        (status = 400, description = "No `frame` part, a part of another name, an empty frame, or a bad query", body = ErrorResponse),
        (status = 401, description = "No or unknown API key", body = ErrorResponse),
        (status = 408, description = "The burst did not arrive within `body_read_timeout_ms`", body = ErrorResponse),
        (status = 413, description = "`too_many_frames`, or a frame over `[kiosk] max_frame_bytes` (`payload_too_large`) or the pixel limits", body = ErrorResponse),
        (status = 415, description = "Not multipart/form-data", body = ErrorResponse),
        (status = 422, description = "A frame is not a readable image (the detail names its index)", body = ErrorResponse),
        (status = 503, description = "Saturated or past the deadline; see Retry-After", body = ErrorResponse),
    ),
    security(("api_key" = ["validate"])),
    tag = "kiosk"
)]
pub async fn capture(
    State(state): State<Arc<AppState>>,
    ApiQuery(q): ApiQuery<GuidanceQuery>,
    req: Request,
) -> (AuditFacts, Result<Json<CaptureResponse>, ApiError>) {
    let mut facts = AuditFacts::default();
    let result = run(&state, q, req, &mut facts).await;
    (facts, result.map(Json))
}

async fn run(
    state: &Arc<AppState>,
    q: GuidanceQuery,
    req: Request,
    facts: &mut AuditFacts,
) -> Result<CaptureResponse, ApiError> {
    let (lang, profile) = super::guidance::setup(state, q, req.headers())?;
    facts.profile = Some(profile.name.clone());
    let admission = state.admit().map_err(|e| e.in_lang(lang))?;
    let k = &state.config.kiosk;
    let frames =
        body::frames(req, "frame", k.max_capture_frames, k.max_frame_bytes, state.config.body_read_timeout())
            .await
            .map_err(|e| e.in_lang(lang))?;
    let engine = state.engine.clone();
    let (result, timing) = state
        .compute_admitted(admission, move || {
            let mut timing = Timing::default();
            let v = &engine.validator;
            let result = (|| {
                let decoded = timing.stage("decode", || {
                    frames
                        .iter()
                        .enumerate()
                        .map(|(i, f)| {
                            v.analyzer().decode(f).map_err(|e| ApiError::from(e).about(&format!("frame {i}")))
                        })
                        .collect::<Result<Vec<_>, ApiError>>()
                })?;
                let c = timing.stage("capture", || capture::capture(v, &decoded, &profile, lang))?;
                let crop = c.crop.as_ref().map(|img| timing.stage("encode", || jpeg(img)));
                let (pad, pad_missing) = match pad_of(&engine, &decoded[c.chosen].rgb, &mut timing)? {
                    Ok(p) => (Some(p), None),
                    Err(m) => (None, Some(m)),
                };
                Ok::<_, ApiError>(CaptureResponse {
                    captured: c.captured,
                    chosen: c.chosen,
                    report: c.report,
                    crop,
                    hints: c.hints,
                    others: c.others,
                    frames: c.frames,
                    pad,
                    pad_missing,
                })
            })();
            (result, timing)
        })
        .await
        .map_err(|e| e.in_lang(lang))?;
    state.record_timing(&timing);
    let answer = result.map_err(|e| e.in_lang(lang))?;
    let decision = if answer.captured { "captured" } else { "not_captured" };
    state.metrics.decision("capture", decision);
    facts.decision = Some(decision);
    facts.failed = answer.report.failed.clone();
    Ok(answer)
}

/// PAD on the largest face of `img`, or why there is no verdict.
pub fn pad_of(
    engine: &Engine,
    img: &image::RgbImage,
    timing: &mut Timing,
) -> Result<Result<PadReport, PadMissing>, ApiError> {
    let Some(pad) = &engine.pad else { return Ok(Err(PadMissing::PadUnavailable)) };
    let faces = timing.stage("detect", || engine.validator.analyzer().detect(img))?;
    match faces.first() {
        Some(face) => Ok(Ok(pad.judge(img, &face.bbox, timing)?)),
        None => Ok(Err(PadMissing::NoFace)),
    }
}

/// The crop as base64 JPEG: a 413x531 portrait is some 40 kB, a PNG several times that.
fn jpeg(img: &image::RgbImage) -> CropImage {
    use base64::Engine;
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 95)
        .encode_image(img)
        .expect("encoding an RGB image in memory cannot fail");
    CropImage {
        format: "jpeg",
        width: img.width(),
        height: img.height(),
        data: base64::engine::general_purpose::STANDARD.encode(out),
    }
}
