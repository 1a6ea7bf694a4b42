//! The HTTP service: a thin axum shell over the engine. Handlers authorise, read the body,
//! run the CPU work on a bounded pool and answer with the same JSON the CLI prints.

pub mod audit;
pub mod auth;
pub mod body;
pub mod config;
pub mod error;
pub mod guard;
pub mod kiosk;
pub mod messages;
pub mod metrics;
pub mod openapi;
pub mod page_asset;
pub mod pool;
pub mod review;
pub mod routes;
pub mod state;

use crate::error_code::ErrorCode;
use auth::Scope;
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use error::ApiError;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use metrics::{RouteLabel, RouteStatus};
use state::AppState;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Every route of the service.
pub fn router(state: Arc<AppState>) -> Router {
    // Slack over the body limit so the handler, not the transport, answers with the JSON 413.
    let body_limit = state.config.limits.max_body_bytes.saturating_add(64 * 1024);
    // A burst is read part by part, each frame within `max_frame_bytes`; the multipart framing
    // around them is small.
    let k = &state.config.kiosk;
    let capture_limit = k.max_capture_frames.saturating_mul(k.max_frame_bytes).saturating_add(64 * 1024);
    let guarded = |route: &'static str, scope: Scope| {
        middleware::from_fn_with_state(guard::Guard { state: state.clone(), route, scope }, guard::guard)
    };
    Router::new()
        .route(
            "/v1/validate",
            post(routes::validate::validate).route_layer(guarded("validate", Scope::Validate)),
        )
        .route(
            "/v1/signature",
            post(routes::signature::signature).route_layer(guarded("signature", Scope::Validate)),
        )
        .route("/v1/verify", post(routes::verify::verify).route_layer(guarded("verify", Scope::Verify)))
        .route(
            "/v1/references",
            post(routes::references::enrol).route_layer(guarded("references.put", Scope::References)),
        )
        .route(
            "/v1/references/show",
            post(routes::references::show).route_layer(guarded("references.get", Scope::References)),
        )
        .route(
            "/v1/references/erase",
            post(routes::references::erase).route_layer(guarded("references.delete", Scope::References)),
        )
        .route(
            "/v1/guidance",
            post(routes::guidance::guide).route_layer(guarded("guidance", Scope::Validate)),
        )
        .route(
            "/v1/guidance/ws",
            get(routes::guidance::stream).route_layer(guarded("guidance.ws", Scope::Validate)),
        )
        .route(
            "/v1/capture",
            post(routes::capture::capture)
                .route_layer(guarded("capture", Scope::Validate))
                .layer(DefaultBodyLimit::max(capture_limit)),
        )
        .route(
            "/v1/kiosk/identify",
            post(routes::identify::identify).route_layer(guarded("identify", Scope::Verify)),
        )
        .route("/health/live", get(routes::health::live))
        .route("/health/ready", get(routes::health::ready))
        .route("/metrics", get(routes::health::metrics))
        .route("/kiosk", get(kiosk::page))
        .route("/kiosk/kiosk.js", get(kiosk::script))
        .route("/kiosk/kiosk.css", get(kiosk::style))
        .route("/kiosk/messages.json", get(kiosk::messages))
        .route("/review", get(review::page))
        .route("/review/review.js", get(review::script))
        .route("/review/review.css", get(review::style))
        .route("/openapi.json", get(|| async { ([("content-type", "application/json")], openapi::json()) }))
        .fallback(|| async { ApiError::not_found(ErrorCode::NotFound, "no such route") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                ErrorCode::MethodNotAllowed,
                "this route does not take that method",
            )
        })
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

/// The health listener's routes: probes and metrics only, nothing that takes a body or a worker.
pub fn health_router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/health/live", get(routes::health::live))
        .route("/health/ready", get(routes::health::ready))
        .route("/metrics", get(routes::health::metrics))
        .fallback(|| async {
            ApiError::not_found(ErrorCode::NotFound, "the health listener serves /health/* and /metrics")
        })
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

/// Connections the health listener serves at once, and how long a probe may take to send its
/// headers: probes are few and quick.
const HEALTH_CONNECTIONS: usize = 64;
const HEALTH_HEADER_TIMEOUT: Duration = Duration::from_secs(2);

/// Counts every request by route and status and times it.
async fn observe(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let start = Instant::now();
    let response = next.run(req).await;
    let m = &state.metrics;
    m.requests.get_or_create(&RouteStatus { route: route.clone(), status: response.status().as_u16() }).inc();
    m.latency.get_or_create(&RouteLabel { route }).observe(start.elapsed().as_secs_f64());
    response
}

/// Serves until `shutdown` resolves, then stops accepting, lets in-flight requests finish (up
/// to the configured grace period) and returns. `health`, when given, serves the probes and the
/// metrics with connection slots of its own, so a flood of API connections cannot starve them.
///
/// The connection loop is ours rather than `axum::serve`'s so that hyper's header-read timeout
/// is on: it needs a timer, which `axum::serve` does not give it, and without it a client that
/// sends its headers a byte at a time holds a connection for ever.
pub async fn serve(
    state: Arc<AppState>,
    listener: tokio::net::TcpListener,
    health: Option<tokio::net::TcpListener>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let grace = Duration::from_secs(state.config.server.shutdown_grace_s);
    let probes = health.map(|l| {
        let app = health_router(state.clone());
        tokio::spawn(async move {
            accept(
                l,
                app,
                HEALTH_CONNECTIONS,
                HEALTH_HEADER_TIMEOUT,
                &Connections::new(),
                std::future::pending(),
            )
            .await
        })
    });
    let connections = Connections::new();
    let (max, timeout) = (state.config.limits.max_connections, state.config.header_read_timeout());
    accept(listener, router(state), max, timeout, &connections, shutdown).await;
    tracing::info!("shutting down: no new connections; finishing requests in flight");
    tokio::select! {
        _ = connections.shutdown() => {}
        _ = tokio::time::sleep(grace) => tracing::warn!(grace_s = grace.as_secs(), "requests still in flight after the grace period; exiting"),
    }
    if let Some(p) = probes {
        p.abort();
    }
    Ok(())
}

/// One connection as the accept loop serves it.
type Served = hyper::server::conn::http1::UpgradeableConnection<
    TokioIo<tokio::net::TcpStream>,
    TowerToHyperService<Router>,
>;

/// The connections being served, told to finish when the service shuts down. hyper-util's
/// `GracefulShutdown` does the same for plain connections but not for upgradeable ones (the
/// guidance WebSocket needs upgrades), so this is the same idea over a watch channel: each
/// connection holds a receiver, and shutdown waits until every one is dropped.
struct Connections {
    signal: tokio::sync::watch::Sender<bool>,
}

impl Connections {
    fn new() -> Self {
        Self { signal: tokio::sync::watch::Sender::new(false) }
    }

    /// `conn`, finished gracefully (the request in flight completes, no new one starts) once
    /// shutdown begins.
    fn watch(&self, conn: Served) -> impl Future<Output = Result<(), hyper::Error>> + use<> {
        let mut stop = self.signal.subscribe();
        // Held to the connection's end: shutdown waits for every receiver to go.
        let held = self.signal.subscribe();
        async move {
            let _held = held;
            let mut conn = std::pin::pin!(conn);
            let stopping = async move {
                let _ = stop.wait_for(|s| *s).await;
            };
            tokio::select! {
                done = conn.as_mut() => done,
                () = stopping => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            }
        }
    }

    /// Tells every connection to finish and waits until they have.
    async fn shutdown(&self) {
        self.signal.send_replace(true);
        self.signal.closed().await;
    }
}

/// Accepts connections on `listener` and serves `app` on each, at most `max` at once, until
/// `shutdown` resolves; the connections stay watched by `connections`.
async fn accept(
    listener: tokio::net::TcpListener,
    app: Router,
    max: usize,
    header_read_timeout: Duration,
    connections: &Connections,
    shutdown: impl Future<Output = ()>,
) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(header_read_timeout);
    let slots = Arc::new(tokio::sync::Semaphore::new(max));
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // A free connection slot first, then the next connection: at the cap, new clients wait
        // in the accept backlog instead of each taking a task and buffers.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            _ = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        // With upgrades: the kiosk's guidance stream is a WebSocket.
        let conn = http
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone()))
            .with_upgrades();
        let conn = connections.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(slot);
        });
    }
}

/// A failed accept: a peer that gave up is nothing; anything else (out of file descriptors,
/// say) is logged and waited out a little, so the loop does not spin.
async fn accept_failed(e: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(e.kind(), ConnectionAborted | ConnectionRefused | ConnectionReset) {
        return;
    }
    tracing::error!(error = %e, "accepting a connection failed");
    tokio::time::sleep(Duration::from_millis(500)).await;
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
