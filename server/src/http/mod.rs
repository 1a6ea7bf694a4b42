//! The HTTP service: a thin axum shell over the engine. Handlers authorise, read the body,
//! run the CPU work on a bounded pool and answer with the same JSON the CLI prints.

pub mod audit;
pub mod auth;
pub mod body;
pub mod config;
pub mod error;
pub mod messages;
pub mod metrics;
pub mod openapi;
pub mod pool;
pub mod routes;
pub mod state;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post, put};
use error::ApiError;
use metrics::{RouteLabel, RouteStatus};
use state::AppState;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Every route of the service.
pub fn router(state: Arc<AppState>) -> Router {
    // Slack over the body limit so the handler, not the transport, answers with the JSON 413.
    let body_limit = state.config.limits.max_body_bytes.saturating_add(64 * 1024);
    Router::new()
        .route("/v1/validate", post(routes::validate::validate))
        .route("/v1/verify", post(routes::verify::verify))
        .route(
            "/v1/references/{iin}",
            put(routes::references::put).get(routes::references::get).delete(routes::references::delete),
        )
        .route("/health/live", get(routes::health::live))
        .route("/health/ready", get(routes::health::ready))
        .route("/metrics", get(routes::health::metrics))
        .route("/openapi.json", get(|| async { ([("content-type", "application/json")], openapi::json()) }))
        .fallback(|| async { ApiError::not_found("not_found", "no such route") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this route does not take that method",
            )
        })
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

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
/// to the configured grace period) and returns.
pub async fn serve(
    state: Arc<AppState>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let grace = Duration::from_secs(state.config.server.shutdown_grace_s);
    let (stopping_tx, mut stopping_rx) = tokio::sync::watch::channel(false);
    let app = router(state).into_make_service();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        shutdown.await;
        tracing::info!("shutting down: no new connections; finishing requests in flight");
        let _ = stopping_tx.send(true);
    });
    let overdue = async move {
        let _ = stopping_rx.wait_for(|s| *s).await;
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        r = server => r?,
        _ = overdue => tracing::warn!(grace_s = grace.as_secs(), "requests still in flight after the grace period; exiting"),
    }
    Ok(())
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
