//! What every handler shares: the loaded engine, the CPU pool, keys, store, metrics and audit.

use super::audit::{AuditEvent, AuditLog};
use super::auth::ApiKeys;
use super::body::Intake;
use super::config::ServeConfig;
use super::error::ApiError;
use super::metrics::{Metrics, RefusalLabel};
use super::pool::{Admission, CpuPool, PoolError};
use crate::error_code::ErrorCode;
use crate::references::{
    DeriveError, GbdClient, Keyring, ReferenceStore, StoreError, StoreLocation, TemplateSource,
};
use axum::http::HeaderValue;
use axum::response::Response;
use sapa_engine::Analysis;
use sapa_engine::detect::BoundingBox;
use sapa_engine::pad::{PadDecision, PadDetector, PadProfile};
use sapa_engine::recognition::RecognitionConfig;
use sapa_engine::recognition::usability::{self, Usability};
use sapa_engine::validate::{Profile, Validator};
use sapa_engine::{Recognizer, Template};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The models and the rules they are judged by. Loaded once; shared by every worker.
pub struct Engine {
    pub validator: Validator,
    pub recognizer: Recognizer,
    pub recognition: RecognitionConfig,
    /// Shared, not copied: a request takes an `Arc` clone of the profile it names.
    pub profiles: HashMap<String, Arc<Profile>>,
    /// Presentation-attack detection: `None` when the kiosk profile has no `[pad]` section, and
    /// then every answer says PAD is unavailable (never "live").
    pub pad: Option<Pad>,
}

/// The loaded PAD models and the kiosk profile's operating point.
pub struct Pad {
    pub detector: PadDetector,
    pub profile: PadProfile,
}

impl Pad {
    /// The verdict on the face `face` of `img`, timed as the `pad` stage.
    pub fn judge(
        &self,
        img: &image::RgbImage,
        face: &BoundingBox,
        timing: &mut Timing,
    ) -> Result<PadReport, ApiError> {
        let liveness = timing.stage("pad", || self.detector.assess(img, face))?;
        Ok(PadReport {
            decision: liveness.decide(&self.profile),
            score: liveness.score,
            threshold: self.profile.threshold,
        })
    }
}

/// Presentation-attack detection on one face, at the kiosk profile's operating point.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PadReport {
    /// `live` or `attack`.
    #[schema(value_type = String, example = "live")]
    pub decision: PadDecision,
    /// Attack probability in [0, 1].
    pub score: f32,
    /// The score at or above which the face is judged an attack (`[pad] threshold`).
    pub threshold: f32,
}

/// Why an answer carries no PAD verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PadMissing {
    /// No face on the frame to judge.
    NoFace,
    /// The service runs without PAD (the kiosk profile has no `[pad]` section).
    PadUnavailable,
}

impl Engine {
    /// The template of the main face of an encoded photo.
    pub fn template_of(&self, bytes: &[u8], timing: &mut Timing) -> Result<Template, ApiError> {
        Ok(self.assessed_template_of(bytes, timing)?.0)
    }

    /// The template of the main face, and how usable that face is for deciding a comparison.
    pub fn assessed_template_of(
        &self,
        bytes: &[u8],
        timing: &mut Timing,
    ) -> Result<(Template, Usability), ApiError> {
        let analyzer = self.validator.analyzer();
        let decoded = timing.stage("decode", || analyzer.decode(bytes))?;
        let analysis = timing.stage("analyze", || analyzer.analyze(&decoded.rgb, decoded.source))?;
        self.assessed_template(&decoded.rgb, &analysis, timing)
    }

    /// [`Self::assessed_template_of`] on pixels already decoded and analysed.
    pub fn assessed_template(
        &self,
        rgb: &image::RgbImage,
        analysis: &Analysis,
        timing: &mut Timing,
    ) -> Result<(Template, Usability), ApiError> {
        let template = timing.stage("embed", || self.recognizer.template_of_main_face(rgb, analysis))?;
        let usability = match analysis.main_face() {
            Some(face) => {
                timing.stage("usability", || usability::assess(rgb, face, &self.recognition.usability))
            }
            None => Usability::default(),
        };
        Ok((template, usability))
    }
}

/// Stage timings of one request, reported to the metrics when the request ends.
#[derive(Default)]
pub struct Timing(pub Vec<(&'static str, Duration)>);

impl Timing {
    pub fn stage<T>(&mut self, name: &'static str, f: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let out = f();
        self.0.push((name, start.elapsed()));
        out
    }
}

/// Turns ГБД ФЛ photos into templates with the same engine and model as the probe, on the same
/// bounded CPU pool as every request: a register photo (which may be a 6320 x 6320 PNG) is decoded
/// only when a place is free, within the request deadline, never on an unbounded thread.
pub struct EngineSource {
    pub engine: Arc<Engine>,
    pub pool: Arc<CpuPool>,
    pub deadline: Duration,
}

impl TemplateSource for EngineSource {
    fn model_id(&self) -> &str {
        self.engine.recognizer.model().id()
    }
    fn derive(&self, photo: &[u8]) -> Result<(Vec<u8>, f32), DeriveError> {
        let engine = self.engine.clone();
        let mut photo = photo.to_vec();
        let ran = self.pool.run_blocking(Instant::now() + self.deadline, move || {
            let t = engine.template_of(&photo, &mut Timing::default());
            photo.fill(0);
            t
        });
        let t = match ran {
            Ok(ran) => ran.value.map_err(|e| DeriveError::Unusable(format!("{}: {}", e.code, e.detail)))?,
            Err(PoolError::Saturated) => return Err(DeriveError::Busy("every worker is busy".into())),
            Err(PoolError::DeadlineExceeded) => return Err(DeriveError::Busy("past the deadline".into())),
            Err(PoolError::Panicked) => return Err(DeriveError::Busy("a worker failed".into())),
        };
        Ok((t.to_bytes(), t.quality()))
    }
}

pub struct AppState {
    pub engine: Arc<Engine>,
    pub pool: Arc<CpuPool>,
    /// One worker on CPU time the pool leaves idle, for work nobody waits on (a kiosk stream's
    /// verdict refresh). One thread, so it holds at most one model session at a time.
    pub idle: CpuPool,
    pub keys: ApiKeys,
    pub store: Arc<ReferenceStore>,
    pub gbd: Option<Arc<GbdClient>>,
    pub metrics: Metrics,
    pub audit: AuditLog,
    pub config: ServeConfig,
    next_id: std::sync::atomic::AtomicU64,
}

impl AppState {
    pub fn new(
        engine: Arc<Engine>,
        config: ServeConfig,
        keys: ApiKeys,
        audit: AuditLog,
    ) -> anyhow::Result<Self> {
        let pool = Arc::new(CpuPool::new(config.workers(), config.limits.queue)?);
        let idle = CpuPool::idle(1, config.limits.queue)?;
        let location = config.store.location();
        let opened = match &location {
            StoreLocation::Sqlite(path) => ReferenceStore::open(path),
            StoreLocation::Postgres(url) => Keyring::from_env()
                .map_err(StoreError::from)
                .and_then(|keys| ReferenceStore::connect(url, keys, &config.store.pool())),
        };
        let store =
            Arc::new(opened.map_err(|e| anyhow::anyhow!("opening the reference store {location}: {e}"))?);
        // Register-derived templates live only in the adapter's TTL cache; older versions kept
        // them in the store, so they are swept out at start.
        let swept =
            store.purge_source("gbd").map_err(|e| anyhow::anyhow!("sweeping the reference store: {e}"))?;
        if swept > 0 {
            tracing::info!(swept, "removed register-derived templates from the reference store");
        }
        let gbd = match &config.gbd {
            Some(g) => {
                let source = EngineSource {
                    engine: engine.clone(),
                    pool: pool.clone(),
                    deadline: Duration::from_millis(config.limits.deadline_ms),
                };
                Some(Arc::new(GbdClient::new(g.clone(), Arc::new(source))?))
            }
            None => None,
        };
        let metrics = Metrics::new();
        metrics.workers.set(pool.workers() as i64);
        let runtime = engine.validator.analyzer().backend().runtime();
        metrics.backend.get_or_create(&super::metrics::RuntimeLabel { runtime }).set(1);
        Ok(Self { engine, pool, idle, keys, store, gbd, metrics, audit, config, next_id: Default::default() })
    }

    /// A request id unique within this process, for correlating the audit log with client logs.
    pub fn request_id(&self) -> String {
        let n = self.next_id.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        format!("{:x}-{n:06}", std::process::id())
    }

    /// The bounds on reading a request's body.
    pub fn intake(&self) -> Intake {
        Intake { max_bytes: self.config.limits.max_body_bytes, timeout: self.config.body_read_timeout() }
    }

    pub fn deadline(&self) -> Instant {
        Instant::now() + Duration::from_millis(self.config.limits.deadline_ms)
    }

    /// Runs CPU work on the bounded pool; saturation and deadlines become 503s.
    pub async fn compute<T, F>(&self, job: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let admission = self.admit()?;
        self.compute_admitted(admission, job).await
    }

    /// A place in the CPU pool, taken before the body is read, or `503 overloaded`: so a request
    /// that cannot be served never has its body buffered, and the bytes buffered at once are at
    /// most (workers + queue) x `max_body_bytes`.
    pub fn admit(&self) -> Result<Admission, ApiError> {
        self.pool.admit().map_err(|_| self.overloaded())
    }

    fn overloaded(&self) -> ApiError {
        ApiError::unavailable(
            ErrorCode::Overloaded,
            "every worker is busy and the queue is full",
            self.config.server.retry_after_s,
        )
    }

    /// [`Self::compute`] on a place taken with [`Self::admit`].
    pub async fn compute_admitted<T, F>(&self, admission: Admission, job: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let ran =
            self.pool.run_admitted(admission, self.deadline(), job).await.map_err(|e| self.refused(e))?;
        self.metrics.stage("queue", ran.queued);
        Ok(ran.value)
    }

    /// A job the pool or the idle lane did not finish, as the API's error: saturation and
    /// deadlines are 503s.
    fn refused(&self, e: PoolError) -> ApiError {
        match e {
            PoolError::Saturated => self.overloaded(),
            PoolError::DeadlineExceeded => ApiError::unavailable(
                ErrorCode::DeadlineExceeded,
                format!("the request took longer than {} ms", self.config.limits.deadline_ms),
                self.config.server.retry_after_s,
            ),
            PoolError::Panicked => ApiError::internal("a worker failed on this request"),
        }
    }

    /// [`Self::compute`] on the idle lane: the job runs only when the pool's workers leave a
    /// core free (or, under full load, slowly). A full lane or a passed deadline is an error, as
    /// on the pool.
    pub async fn compute_when_idle<T, F>(&self, job: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        self.idle.run(self.deadline(), job).await.map(|ran| ran.value).map_err(|e| self.refused(e))
    }

    /// Runs blocking work on the reference store (SQLite or PostgreSQL, and ГБД ФЛ behind it) off the async
    /// runtime's threads; its error becomes the API's (a store failure is `reference_unavailable`).
    pub async fn on_store<T, E>(
        &self,
        job: impl FnOnce(&ReferenceStore) -> Result<T, E> + Send + 'static,
    ) -> Result<T, ApiError>
    where
        T: Send + 'static,
        E: Into<ApiError> + Send + 'static,
    {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || job(&store))
            .await
            .map_err(|_| ApiError::internal("the store task failed"))?
            .map_err(Into::into)
    }

    /// Finishes an API request: the audit line, and the request id in `X-Request-Id` so a client's
    /// log can be matched with ours. A request refused before any work (`503 overloaded`) is
    /// counted, not written one by one: a flood of them would flood the audit log.
    pub fn conclude(&self, mut event: AuditEvent, start: Instant, mut response: Response) -> Response {
        event.duration_ms = start.elapsed().as_secs_f64() * 1e3;
        event.status = response.status().as_u16();
        if let Ok(id) = HeaderValue::from_str(&event.request_id) {
            response.headers_mut().insert("x-request-id", id);
        }
        if event.error == Some(ErrorCode::Overloaded) {
            self.metrics
                .refused
                .get_or_create(&RefusalLabel { route: event.route, reason: ErrorCode::Overloaded.as_str() })
                .inc();
            self.audit.refused();
        } else {
            self.audit.record(&event);
        }
        response
    }

    pub fn record_timing(&self, timing: &Timing) {
        for (stage, took) in &timing.0 {
            self.metrics.stage(stage, *took);
        }
    }
}
