//! Live guidance at a kiosk camera: `POST /v1/guidance` answers one frame, `GET /v1/guidance/ws`
//! a stream of them. The engine decides (`sapa_engine::guidance`); this module bounds the work:
//! frame size, the CPU pool, and on the socket a rate per connection where a frame that cannot be
//! served yet is replaced by the next one, so no answer is ever about a stale frame.

use super::super::body::{self, Intake};
use super::super::error::{ApiError, ErrorResponse};
use super::super::guard::AuditFacts;
use super::super::metrics::ParserLabel;
use super::super::state::{AppState, Timing};
use super::ApiQuery;
use crate::error_code::ErrorCode;
use axum::Json;
use axum::body::Bytes;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, Request, State};
use axum::response::{IntoResponse, Response};
use prometheus_client::metrics::counter::Counter;
use sapa_engine::guidance::{self, Guidance, Parsed, ParserUse, Streamed};
use sapa_engine::validate::{Lang, Profile};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, mpsc, oneshot};
use tokio::time::Instant;

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default, deny_unknown_fields)]
pub struct GuidanceQuery {
    /// The profile whose thresholds guide; default `[kiosk] profile` of the config (`kiosk`).
    pub profile: Option<String>,
    /// `kk`, `ru` or `en`; otherwise from `Accept-Language`.
    pub lang: Option<String>,
}

/// The profile and language a guidance request names.
pub(super) fn setup(
    state: &AppState,
    q: GuidanceQuery,
    headers: &axum::http::HeaderMap,
) -> Result<(Lang, Arc<Profile>), ApiError> {
    let lang = super::lang(q.lang.as_deref(), headers)?;
    let name = q.profile.unwrap_or_else(|| state.config.kiosk.profile.clone());
    let (_, profile) = super::validate::profile(state, Some(name), lang)?;
    Ok((lang, profile))
}

/// How much of a frame is read, and for how long.
fn frame_intake(state: &AppState) -> Intake {
    Intake { max_bytes: state.config.kiosk.max_frame_bytes, timeout: state.config.body_read_timeout() }
}

/// What a guidance job may do with the face parser: `ParserUse`, owned so the job can move onto
/// a worker.
enum Parse {
    Run,
    ReuseOrDefer(Option<Parsed>),
}

impl Parse {
    fn as_use(&self) -> ParserUse<'_> {
        match self {
            Parse::Run => ParserUse::Run,
            Parse::ReuseOrDefer(earlier) => ParserUse::ReuseOrDefer(earlier.as_ref()),
        }
    }
}

/// Decodes and guides on the pool's thread.
fn run_guide(
    state: &AppState,
    bytes: &[u8],
    profile: &Profile,
    lang: Lang,
    parse: &Parse,
    timing: &mut Timing,
) -> Result<Streamed, ApiError> {
    let v = &state.engine.validator;
    let decoded = timing.stage("decode", || v.analyzer().decode(bytes))?;
    Ok(timing.stage("guidance", || {
        guidance::guide_reusing(v, &decoded.rgb, decoded.source, profile, lang, parse.as_use())
    })?)
}

/// Guide the person in front of a kiosk camera from one frame.
#[utoipa::path(
    post,
    path = "/v1/guidance",
    params(GuidanceQuery),
    request_body(description = "One camera frame: image/* bytes (JPEG or PNG), or multipart/form-data with a `frame` part; at most `[kiosk] max_frame_bytes`", content_type = "image/jpeg"),
    responses(
        (status = 200, description = "Whether the frame is ready, and the hints, most urgent first", body = Guidance),
        (status = 400, description = "Empty body or bad query", body = ErrorResponse),
        (status = 401, description = "No or unknown API key", body = ErrorResponse),
        (status = 413, description = "Frame over `[kiosk] max_frame_bytes` or the pixel limits", body = ErrorResponse),
        (status = 415, description = "Not an image content type", body = ErrorResponse),
        (status = 422, description = "Unreadable or corrupt frame", body = ErrorResponse),
        (status = 503, description = "Saturated or past the deadline; see Retry-After", body = ErrorResponse),
    ),
    security(("api_key" = ["validate"])),
    tag = "kiosk"
)]
pub async fn guide(
    State(state): State<Arc<AppState>>,
    ApiQuery(q): ApiQuery<GuidanceQuery>,
    req: Request,
) -> (AuditFacts, Result<Json<Guidance>, ApiError>) {
    let mut facts = AuditFacts::default();
    let result = async {
        let (lang, profile) = setup(&state, q, req.headers())?;
        facts.profile = Some(profile.name.clone());
        let admission = state.admit().map_err(|e| e.in_lang(lang))?;
        let bytes = body::photo(req, "frame", frame_intake(&state)).await.map_err(|e| e.in_lang(lang))?;
        let st = state.clone();
        let (result, timing) = state
            .compute_admitted(admission, move || {
                let mut timing = Timing::default();
                (run_guide(&st, &bytes, &profile, lang, &Parse::Run, &mut timing).map(|s| s.guidance), timing)
            })
            .await
            .map_err(|e| e.in_lang(lang))?;
        state.record_timing(&timing);
        let g = result.map_err(|e| e.in_lang(lang))?;
        facts.decision = Some(if g.ready { "ready" } else { "not_ready" });
        Ok(g)
    }
    .await;
    (facts, result.map(Json))
}

/// One answer on the socket: the frame's sequence number (its place in the connection, from 1),
/// the frames superseded since the previous answer, and the guidance or the error.
#[derive(Serialize, utoipa::ToSchema)]
pub struct FrameAnswer {
    pub seq: u64,
    /// Frames that were replaced by a newer one before they could be served: never answered.
    pub dropped: Vec<u64>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub guidance: Option<Guidance>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<FrameError>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct FrameError {
    pub code: ErrorCode,
    pub message: String,
}

/// The newest frame not yet served (its number, when it came, its bytes), and those it replaced.
#[derive(Default)]
struct Pending {
    frame: Option<(u64, Instant, Bytes)>,
    dropped: Vec<u64>,
    closed: bool,
}

/// Guide from a stream of camera frames over a WebSocket.
///
/// Send each frame as one binary message (JPEG or PNG, at most `[kiosk] max_frame_bytes`); each
/// answer is a text message holding a `FrameAnswer`. Frames are served at most `[kiosk] max_fps`
/// a second; one that arrives while another waits replaces it (the replaced one is listed in the
/// next answer's `dropped`). The connection closes after `[kiosk] idle_timeout_s` without a frame
/// or `[kiosk] max_session_s` in all.
///
/// The key goes in `Authorization` or `X-Api-Key` as on every route. A browser, which cannot set
/// headers on a WebSocket, offers it as a subprotocol instead: `Sec-WebSocket-Protocol: sapa.v1,
/// sapa-key.<the key in unpadded base64url>`; the answer selects `sapa.v1`. Never put the key in
/// the URL (it would be kept in access logs and browser history).
#[utoipa::path(
    get,
    path = "/v1/guidance/ws",
    params(GuidanceQuery),
    responses(
        (status = 101, description = "Switching to the WebSocket protocol; answers are `FrameAnswer` JSON text messages", body = FrameAnswer),
        (status = 400, description = "Not a WebSocket upgrade, or a bad query", body = ErrorResponse),
        (status = 401, description = "No or unknown API key", body = ErrorResponse),
    ),
    security(("api_key" = ["validate"])),
    tag = "kiosk"
)]
pub async fn stream(
    State(state): State<Arc<AppState>>,
    ApiQuery(q): ApiQuery<GuidanceQuery>,
    req: Request,
) -> (AuditFacts, Response) {
    let mut facts = AuditFacts::default();
    let (mut parts, _body) = req.into_parts();
    let setup = setup(&state, q, &parts.headers);
    let upgrade = WebSocketUpgrade::from_request_parts(&mut parts, &state).await;
    let response = match (setup, upgrade) {
        (Err(e), _) => e.into_response(),
        (Ok((lang, _)), Err(rejection)) => ApiError::bad_request(
            ErrorCode::BadRequest,
            format!("not a WebSocket upgrade: {}", rejection.body_text()),
        )
        .in_lang(lang)
        .into_response(),
        (Ok((lang, profile)), Ok(ws)) => {
            facts.profile = Some(profile.name.clone());
            facts.decision = Some("stream");
            let max = state.config.kiosk.max_frame_bytes;
            // A frame up to twice the limit is read and answered `payload_too_large`; past
            // that the protocol layer closes the connection (code 1009) before buffering it.
            // A browser offering the key as a subprotocol gets `sapa.v1` back, never the key.
            ws.protocols([super::super::auth::WS_PROTOCOL])
                .max_message_size(2 * max)
                .max_frame_size(2 * max)
                .on_upgrade(move |socket| session(state, socket, profile, lang))
        }
    };
    (facts, response)
}

/// One kiosk's connection: this task reads frames (keeping only the newest waiting one) and
/// writes answers; a worker task serves the waiting frame at the allowed rate. Ended by the
/// socket's close, silence, or the session's end.
async fn session(state: Arc<AppState>, mut socket: WebSocket, profile: Arc<Profile>, lang: Lang) {
    let pending = Arc::new(Mutex::new(Pending::default()));
    let wake = Arc::new(Notify::new());
    let (out_tx, mut out_rx) = mpsc::channel::<FrameAnswer>(8);
    let k = state.config.kiosk.clone();
    let ends = Instant::now() + Duration::from_secs(k.max_session_s);
    let idle = Duration::from_secs(k.idle_timeout_s);
    let worker =
        tokio::spawn(serve_newest(state, pending.clone(), wake.clone(), out_tx.clone(), profile, lang));
    let max = k.max_frame_bytes;
    let mut seq = 0u64;
    let mut deadline = (Instant::now() + idle).min(ends);
    loop {
        tokio::select! {
            answer = out_rx.recv() => {
                let Some(answer) = answer else { break };
                let text = serde_json::to_string(&answer).expect("an answer serialises");
                if socket.send(Message::Text(text.into())).await.is_err() {
                    break;
                }
            }
            msg = tokio::time::timeout_at(deadline, socket.recv()) => {
                let msg = match msg {
                    Err(_) | Ok(None) | Ok(Some(Err(_))) => break,
                    Ok(Some(Ok(m))) => m,
                };
                match msg {
                    Message::Binary(bytes) => {
                        seq += 1;
                        deadline = (Instant::now() + idle).min(ends);
                        if bytes.len() > max {
                            let e = ApiError::new(
                                axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                                ErrorCode::PayloadTooLarge,
                                format!("a frame may be at most {max} bytes"),
                            );
                            let answer = FrameAnswer { seq, dropped: Vec::new(), guidance: None, error: Some(frame_error(e, lang)) };
                            let _ = out_tx.try_send(answer);
                            continue;
                        }
                        {
                            let mut p = pending.lock().expect("the pending slot is never poisoned");
                            if let Some((old, _, _)) = p.frame.replace((seq, Instant::now(), bytes)) {
                                p.dropped.push(old);
                            }
                        }
                        wake.notify_one();
                    }
                    Message::Close(_) => break,
                    // Pings are answered by the protocol layer; text and pongs carry nothing here.
                    _ => {}
                }
            }
        }
    }
    pending.lock().expect("the pending slot is never poisoned").closed = true;
    wake.notify_one();
    let _ = worker.await;
    let _ = socket.send(Message::Close(None)).await;
}

/// The worker of a connection: waits for a frame, then for its turn under `max_fps`, then takes
/// the newest waiting frame (taken after the wait, so a frame that came meanwhile replaces the
/// older one) and serves it on the pool. It keeps the face parser's last verdict and hands it back
/// to the engine, which uses it while the face stays where it was parsed.
///
/// No frame's answer waits for the parser (about ten frames' time). A ready frame with no verdict that
/// fits it (the stream's first, or the face has moved) is answered `hold_still` at once, and
/// parsed apart as its own job on the pool; its verdict answers the frames after it. A verdict
/// older than `[kiosk] parser_reuse_ms` still answers the frame that finds it, and that frame is
/// parsed again on the idle lane (`AppState::idle`), whose verdict replaces the old one when it
/// comes back: so the refresh never takes a core from the frames. On a quiet server it runs about
/// once per window; under load as often as the frames leave CPU free (the verdict then ages beyond
/// the window; its age counts from when its frame was taken). One parse is in flight at a time per
/// connection. `parser_reuse_ms` 0 parses every ready frame before answering it, with no verdict
/// kept.
///
/// The turn is kept by [`Pace`].
async fn serve_newest(
    state: Arc<AppState>,
    pending: Arc<Mutex<Pending>>,
    wake: Arc<Notify>,
    out: mpsc::Sender<FrameAnswer>,
    profile: Arc<Profile>,
    lang: Lang,
) {
    let mut pace = Pace::new(state.config.kiosk.max_fps, Instant::now());
    let reuse_for = Duration::from_millis(state.config.kiosk.parser_reuse_ms);
    let mut parsed: Option<(Instant, Parsed)> = None;
    // The parse in flight apart from the frames, and its lane.
    let mut refresh: Option<(Lane, Fresh)> = None;
    let ran = state.metrics.guidance_parser.get_or_create(&ParserLabel { parser: "ran" }).clone();
    loop {
        wake.notified().await;
        tokio::time::sleep_until(pace.opens()).await;
        let ((seq, came, bytes), dropped) = {
            let mut p = pending.lock().expect("the pending slot is never poisoned");
            if p.closed {
                return;
            }
            match p.frame.take() {
                Some(f) => (f, std::mem::take(&mut p.dropped)),
                None => continue,
            }
        };
        pace.served(came);
        // A background parse that has come back replaces the verdict.
        if let Some((_, rx)) = refresh.as_mut() {
            match rx.try_recv() {
                Ok(fresh) => {
                    refresh = None;
                    if fresh.is_some() {
                        parsed = fresh;
                    }
                }
                Err(oneshot::error::TryRecvError::Empty) => {}
                Err(oneshot::error::TryRecvError::Closed) => refresh = None,
            }
        }
        let keep = !reuse_for.is_zero();
        let parse =
            if keep { Parse::ReuseOrDefer(parsed.as_ref().map(|(_, p)| p.clone())) } else { Parse::Run };
        if keep && refresh.is_none() && parsed.as_ref().is_some_and(|(at, _)| at.elapsed() >= reuse_for) {
            let job = (bytes.clone(), profile.clone());
            refresh = Some(parse_apart(&state, Lane::WhenIdle, job, lang, ran.clone()));
        }
        let frame = bytes.clone();
        let answer = match serve_frame(&state, Lane::Now, bytes, profile.clone(), lang, parse).await {
            Ok(s) => {
                if s.reused {
                    state.metrics.guidance_parser.get_or_create(&ParserLabel { parser: "reused" }).inc();
                    if let Some((at, _)) = &parsed {
                        state.metrics.guidance_verdict_age.observe(at.elapsed().as_secs_f64());
                    }
                }
                if let Some(p) = s.parsed {
                    ran.inc();
                    parsed = Some((Instant::now(), p));
                    // Newer than what a background parse in flight will bring.
                    refresh = None;
                }
                // A person waits for this verdict: it goes on the pool, and replaces a refresh on
                // the idle lane (which may be slow under load, and is about a face now moved).
                if s.deferred && refresh.as_ref().is_none_or(|(lane, _)| *lane == Lane::WhenIdle) {
                    refresh =
                        Some(parse_apart(&state, Lane::Now, (frame, profile.clone()), lang, ran.clone()));
                }
                FrameAnswer { seq, dropped, guidance: Some(s.guidance), error: None }
            }
            Err(e) => FrameAnswer { seq, dropped, guidance: None, error: Some(frame_error(e, lang)) },
        };
        if out.send(answer).await.is_err() {
            return;
        }
    }
}

/// A connection's turn, by a generic cell rate algorithm: each frame served moves a theoretical
/// time `due` one interval on (from the frame's arrival, if `due` is past), and a frame may be
/// served from half an interval before `due`. So frames are served at most `max_fps` a second
/// over time, and a client sending at exactly `max_fps` is not made to wait by its own jitter.
///
/// Two ways this went wrong before: served from `now + interval`, the timer's rounding added up
/// (at 10 frames a second the wait crept towards a whole interval within seconds, and frames were
/// dropped); moved on from when a frame was taken rather than when it came, one slow frame (a
/// stream's first parse) left every later frame waiting the same part of an interval for the
/// rest of the connection.
struct Pace {
    interval: Duration,
    due: Instant,
}

impl Pace {
    fn new(max_fps: f64, now: Instant) -> Self {
        Self { interval: Duration::from_secs_f64(1.0 / max_fps), due: now }
    }

    /// The earliest the next frame may be served.
    fn opens(&self) -> Instant {
        let early = self.interval / 2;
        self.due.checked_sub(early).unwrap_or(self.due)
    }

    /// A frame that came at `came` is being served.
    fn served(&mut self, came: Instant) {
        self.due = self.due.max(came) + self.interval;
    }
}

/// Where a parse apart from the frames will bring its verdict and the time of its frame.
type Fresh = oneshot::Receiver<Option<(Instant, Parsed)>>;

/// A frame guided again with the parser run, as its own job on `lane` (the pool for a frame that
/// had no verdict, the idle lane for a refresh): the parser's fresh verdict, dated when the frame
/// was taken for it (so a verdict that waited comes back as old as it is; counted in `ran` then),
/// or none when the frame did not reach the parser or the job could not run (the old verdict, if
/// any, then stands and the next frame tries again). Returned with its lane.
fn parse_apart(
    state: &Arc<AppState>,
    lane: Lane,
    (bytes, profile): (Bytes, Arc<Profile>),
    lang: Lang,
    ran: Counter,
) -> (Lane, Fresh) {
    let (tx, rx) = oneshot::channel();
    let state = state.clone();
    let taken = Instant::now();
    tokio::spawn(async move {
        let fresh = serve_frame(&state, lane, bytes, profile, lang, Parse::Run).await;
        let fresh = fresh.ok().and_then(|s| s.parsed);
        let got = fresh.is_some();
        let _ = tx.send(fresh.map(|p| (taken, p)));
        // Counted once the verdict can be had, so that whoever sees the count sees the verdict.
        if got {
            ran.inc();
        }
    });
    (lane, rx)
}

/// Where a frame is guided: on the pool, for an answer a person waits for, or on the idle lane.
#[derive(Clone, Copy, PartialEq)]
enum Lane {
    Now,
    WhenIdle,
}

/// One frame through the pool or the idle lane (a full one is an error answer, not a wait).
async fn serve_frame(
    state: &Arc<AppState>,
    lane: Lane,
    bytes: Bytes,
    profile: Arc<Profile>,
    lang: Lang,
    parse: Parse,
) -> Result<Streamed, ApiError> {
    let st = state.clone();
    let job = move || {
        let mut timing = Timing::default();
        (run_guide(&st, &bytes, &profile, lang, &parse, &mut timing), timing)
    };
    let ran = match lane {
        Lane::Now => state.compute(job).await,
        Lane::WhenIdle => state.compute_when_idle(job).await,
    };
    let (result, timing) = ran.map_err(|e| e.in_lang(lang))?;
    state.record_timing(&timing);
    result.map_err(|e| e.in_lang(lang))
}

fn frame_error(e: ApiError, lang: Lang) -> FrameError {
    let e = e.in_lang(lang);
    FrameError { code: e.code, message: e.citizen_message() }
}

#[cfg(test)]
mod tests {
    use super::Pace;
    use std::time::Duration;
    use tokio::time::Instant;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// A client at exactly 10 frames a second whose first frame took 474 ms to answer (the
    /// parser): once the worker is free, the frames that come on time are served on arrival.
    #[test]
    fn a_slow_frame_does_not_delay_the_frames_after_it() {
        let t0 = Instant::now();
        let mut pace = Pace::new(10.0, t0);
        assert!(pace.opens() <= t0);
        pace.served(t0);
        // Frames 2 to 5 came at 100..400 ms while the first was guided; the newest is taken at
        // 474 ms, when the worker is free.
        assert!(pace.opens() <= t0 + ms(474));
        pace.served(t0 + ms(400));
        for k in 5..50u64 {
            let came = t0 + ms(100 * k);
            assert!(pace.opens() <= came, "frame at {} ms waits until {:?}", 100 * k, pace.opens() - t0);
            pace.served(came);
        }
    }

    /// A client sending three times too fast is served at most `max_fps` over time.
    #[test]
    fn a_fast_client_is_served_at_most_max_fps() {
        let t0 = Instant::now();
        let mut pace = Pace::new(10.0, t0);
        let mut served = 0;
        // A frame every 33 ms for 10 s; each is served if its turn is open, else replaced by
        // the next (the newest waiting frame is taken when the turn opens).
        for k in 0..300u64 {
            let came = t0 + ms(33 * k);
            if pace.opens() <= came {
                pace.served(came);
                served += 1;
            }
        }
        assert!((95..=101).contains(&served), "{served} frames served in 10 s at max_fps 10");
    }
}
