//! Prometheus metrics: requests by route and status, latency per route and per pipeline stage,
//! the CPU pool's queue, and the state of the ГБД ФЛ source.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::time::Duration;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteStatus {
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabel {
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StageLabel {
    pub stage: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RuntimeLabel {
    pub runtime: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RefusalLabel {
    pub route: &'static str,
    pub reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DecisionLabel {
    pub route: String,
    pub decision: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ParserLabel {
    pub parser: &'static str,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// 0.5 ms .. ~16 s: a decode of a thumbnail to a ГБД ФЛ lookup with retries.
fn latency_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

pub struct Metrics {
    registry: Registry,
    pub requests: Family<RouteStatus, Counter>,
    pub latency: HistogramFamily<RouteLabel>,
    pub stages: HistogramFamily<StageLabel>,
    pub decisions: Family<DecisionLabel, Counter>,
    /// Guidance frames on a WebSocket that needed the face parser: `ran` or `reused` (an earlier
    /// frame's verdict stood, `[kiosk] parser_reuse_ms`).
    pub guidance_parser: Family<ParserLabel, Counter>,
    /// How old the verdict a `reused` frame was answered with was, from the frame it was made
    /// from: the window on a quiet server, longer when the idle lane that refreshes it waits.
    pub guidance_verdict_age: Histogram,
    pub queue_depth: Gauge,
    pub in_flight: Gauge,
    pub workers: Gauge,
    pub reference_source_down_seconds: Gauge,
    /// Requests refused before any work (not audited one by one).
    pub refused: Family<RefusalLabel, Counter>,
    pub audit_lines_dropped: Gauge,
    /// 1 for the runtime that runs the models (`tract` or `onnxruntime <version>`).
    pub backend: Family<RuntimeLabel, Gauge>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("sapa");
        let requests = Family::<RouteStatus, Counter>::default();
        let latency =
            HistogramFamily::<RouteLabel>::new_with_constructor(latency_buckets as fn() -> Histogram);
        let stages =
            HistogramFamily::<StageLabel>::new_with_constructor(latency_buckets as fn() -> Histogram);
        let decisions = Family::<DecisionLabel, Counter>::default();
        let guidance_parser = Family::<ParserLabel, Counter>::default();
        let guidance_verdict_age = Histogram::new(exponential_buckets(0.25, 2.0, 8));
        let (queue_depth, in_flight, workers) = (Gauge::default(), Gauge::default(), Gauge::default());
        let down = Gauge::default();
        let refused = Family::<RefusalLabel, Counter>::default();
        let audit_lines_dropped = Gauge::default();
        let backend = Family::<RuntimeLabel, Gauge>::default();
        registry.register("backend", "The runtime that runs the models (value 1)", backend.clone());
        registry.register(
            "refused",
            "Requests refused before any work, by route and reason",
            refused.clone(),
        );
        registry.register(
            "audit_lines_dropped",
            "Audit lines dropped because the writer fell behind (each sum is in the next `refused` line)",
            audit_lines_dropped.clone(),
        );
        registry.register("http_requests", "HTTP requests by route and status", requests.clone());
        registry.register("http_request_duration_seconds", "Request latency by route", latency.clone());
        registry.register("stage_duration_seconds", "Time per pipeline stage", stages.clone());
        registry.register("decisions", "Validation and verification outcomes", decisions.clone());
        registry.register(
            "guidance_parser",
            "Streamed guidance frames that needed the face parser: ran, or an earlier verdict reused",
            guidance_parser.clone(),
        );
        registry.register(
            "guidance_verdict_age_seconds",
            "Age of the face parser's verdict a streamed frame was answered with",
            guidance_verdict_age.clone(),
        );
        registry.register("queue_depth", "Requests waiting for a CPU worker", queue_depth.clone());
        registry.register("in_flight", "Requests running on a CPU worker", in_flight.clone());
        registry.register("workers", "CPU workers", workers.clone());
        registry.register(
            "reference_source_down_seconds",
            "Seconds the ГБД ФЛ source has been failing (0 when up)",
            down.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            stages,
            decisions,
            guidance_parser,
            guidance_verdict_age,
            queue_depth,
            in_flight,
            workers,
            reference_source_down_seconds: down,
            refused,
            audit_lines_dropped,
            backend,
        }
    }

    pub fn stage(&self, stage: &'static str, took: Duration) {
        self.stages.get_or_create(&StageLabel { stage }).observe(took.as_secs_f64());
    }

    pub fn decision(&self, route: &str, decision: &'static str) {
        self.decisions.get_or_create(&DecisionLabel { route: route.to_string(), decision }).inc();
    }

    /// The OpenMetrics text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry).expect("writing to a String");
        out
    }
}
