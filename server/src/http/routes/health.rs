//! Liveness, readiness and the Prometheus scrape. Unauthenticated: they carry no personal data.

use super::super::state::AppState;
use crate::references::BreakerState;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::sync::Arc;
use std::time::SystemTime;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Live {
    pub status: &'static str,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Ready {
    /// `ready`, `degraded` (validation works; verification by IIN against ГБД ФЛ does not) or
    /// `not_ready`.
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub models: &'static str,
    /// What runs the models: `tract`, or `onnxruntime <version>`.
    pub backend: String,
    /// `ok` or `unreachable`.
    pub store: &'static str,
    /// `sqlite` or `postgres`.
    pub store_backend: &'static str,
    /// `closed`, `open`, `half_open`, or `not_configured`.
    pub reference_source: &'static str,
    /// Seconds the reference source has been failing, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference_source_down_s: Option<u64>,
    pub workers: usize,
    pub queue_depth: i64,
}

/// The process is up.
#[utoipa::path(get, path = "/health/live", responses((status = 200, body = Live)), tag = "operations")]
pub async fn live() -> Json<Live> {
    Json(Live { status: "live" })
}

fn down_for(state: &BreakerState) -> Option<u64> {
    state.since().map(|s| SystemTime::now().duration_since(s).map_or(0, |d| d.as_secs()))
}

/// Models loaded and store reachable; `degraded` with a reason while the ГБД ФЛ circuit is open.
#[utoipa::path(
    get,
    path = "/health/ready",
    responses(
        (status = 200, description = "Ready or degraded", body = Ready),
        (status = 503, description = "Not ready: the reference store is unreachable", body = Ready),
    ),
    tag = "operations"
)]
pub async fn ready(State(state): State<Arc<AppState>>) -> Response {
    let store_ok = state.on_store(|store| store.ping()).await.is_ok();
    let breaker = state.gbd.as_ref().map(|g| g.breaker_state());
    let down = breaker.as_ref().and_then(down_for);
    let (status, reason, code) = if !store_ok {
        ("not_ready", Some("the reference store is unreachable".to_string()), StatusCode::SERVICE_UNAVAILABLE)
    } else if let Some(s) = down {
        let state = breaker.map(|b| b.as_str()).unwrap_or("open");
        let reason = format!(
            "ГБД ФЛ reference source failing for {s} s (circuit {state}); verify by IIN answers reference_unavailable"
        );
        ("degraded", Some(reason), StatusCode::OK)
    } else {
        ("ready", None, StatusCode::OK)
    };
    let body = Ready {
        status,
        reason,
        models: "loaded",
        backend: state.engine.validator.analyzer().backend().runtime(),
        store: if store_ok { "ok" } else { "unreachable" },
        store_backend: state.store.backend(),
        reference_source: breaker.map(|b| b.as_str()).unwrap_or("not_configured"),
        reference_source_down_s: down,
        workers: state.pool.workers(),
        queue_depth: state.pool.waiting(),
    };
    (code, Json(body)).into_response()
}

/// Prometheus metrics (OpenMetrics text).
#[utoipa::path(get, path = "/metrics", responses((status = 200, description = "OpenMetrics text", content_type = "application/openmetrics-text")), tag = "operations")]
pub async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let m = &state.metrics;
    m.queue_depth.set(state.pool.waiting());
    m.in_flight.set(state.pool.running());
    let down = state.gbd.as_ref().and_then(|g| down_for(&g.breaker_state())).unwrap_or(0);
    m.reference_source_down_seconds.set(down as i64);
    m.audit_lines_dropped.set(state.audit.dropped() as i64);
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], m.encode())
        .into_response()
}
