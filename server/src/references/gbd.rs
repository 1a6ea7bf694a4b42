//! The ГБД ФЛ adapter: fetches a person's photo from the State Database of Individuals over
//! HTTP, turns it into a template at once, and keeps only the template.
//!
//! Blocking on purpose: the CLI is synchronous, and the HTTP service calls this through
//! `spawn_blocking`. One lookup is at most `(1 + retries)` attempts of `timeout_ms` each plus
//! the backoffs; while the circuit breaker is open it costs nothing.

use super::breaker::{Admission, BreakerState, CircuitBreaker};
use super::cache::TemplateCache;
use super::config::{ConfigError, GbdConfig};
use super::error::ReferenceError;
use super::iin::Iin;
use super::store::TemplateRecord;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Turns a reference photo into a template. The engine implements this; the adapter only needs
/// to know which model it speaks for (the cache key) and to call it once per fetched photo.
pub trait TemplateSource: Send + Sync {
    /// The model whose templates `derive` produces.
    fn model_id(&self) -> &str;
    /// `(template bytes, quality)`, or why not. The reason must not contain personal data; it
    /// is passed on in `reference_invalid` or `reference_unavailable`.
    fn derive(&self, photo: &[u8]) -> Result<(Vec<u8>, f32), DeriveError>;
}

/// Why a register photo gave no template.
#[derive(Debug, Clone, PartialEq)]
pub enum DeriveError {
    /// The photo is unusable (no face, undecodable): `reference_invalid`, not retried.
    Unusable(String),
    /// No capacity to derive it now (the CPU pool is full, or the deadline passed):
    /// `reference_unavailable`, transient.
    Busy(String),
}

/// A [`TemplateSource`] from a model id and a closure.
pub struct FnTemplateSource<F> {
    model_id: String,
    derive: F,
}

impl<F> FnTemplateSource<F>
where
    F: Fn(&[u8]) -> Result<(Vec<u8>, f32), String> + Send + Sync,
{
    pub fn new(model_id: impl Into<String>, derive: F) -> Self {
        FnTemplateSource { model_id: model_id.into(), derive }
    }
}

impl<F> TemplateSource for FnTemplateSource<F>
where
    F: Fn(&[u8]) -> Result<(Vec<u8>, f32), String> + Send + Sync,
{
    fn model_id(&self) -> &str {
        &self.model_id
    }
    fn derive(&self, photo: &[u8]) -> Result<(Vec<u8>, f32), DeriveError> {
        (self.derive)(photo).map_err(DeriveError::Unusable)
    }
}

/// How one HTTP attempt ended, before retry and breaker policy.
enum Attempt {
    Photo(Vec<u8>),
    NotFound,
    /// The register is up but the photo cannot be used (too large, empty).
    Unusable(String),
    /// Worth another attempt: timeout, connection trouble, 408/429/5xx.
    Retryable(String),
    /// Failing on the register's side or ours, and retrying will not help (401/403, odd status).
    Fatal(String),
}

/// Client of the register. Cheap to share behind an `Arc`; all methods take `&self`.
pub struct GbdClient {
    config: GbdConfig,
    agent: ureq::Agent,
    auth: Option<(String, String)>,
    breaker: CircuitBreaker,
    cache: TemplateCache,
    source: Arc<dyn TemplateSource>,
}

impl std::fmt::Debug for GbdClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GbdClient")
            .field("config", &self.config)
            .field("model_id", &self.source.model_id())
            .field("breaker", &self.breaker.state())
            .finish()
    }
}

impl GbdClient {
    /// Validates `config` and resolves the auth header now, so a missing secret fails at
    /// startup rather than on the first applicant.
    pub fn new(config: GbdConfig, source: Arc<dyn TemplateSource>) -> Result<Self, ConfigError> {
        config.validate()?;
        let auth = config.auth_header.as_ref().map(|h| h.resolve()).transpose()?;
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(config.timeout()))
            // Statuses are policy here (404 vs 401 vs 503), not errors.
            .http_status_as_error(false)
            // A register does not redirect; following one could send the IIN and the
            // credential elsewhere.
            .max_redirects(0)
            .user_agent(concat!("sapa/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Ok(GbdClient {
            breaker: CircuitBreaker::new(
                config.breaker_failures,
                Duration::from_millis(config.breaker_cooldown_ms),
            ),
            cache: TemplateCache::new(Duration::from_secs(config.cache_ttl_s), config.cache_max_entries),
            config,
            agent,
            auth,
            source,
        })
    }

    /// Parses `iin` and looks it up; a malformed IIN is `invalid_iin` with no request made.
    pub fn reference_for(&self, iin: &str) -> Result<TemplateRecord, ReferenceError> {
        self.reference(&Iin::parse(iin)?)
    }

    /// The reference template of `iin` for the source's model: from the cache if fresh, else
    /// fetched, derived and cached. The returned record has `source = "gbd"` and can be put in
    /// the [`ReferenceStore`](super::ReferenceStore) as is.
    pub fn reference(&self, iin: &Iin) -> Result<TemplateRecord, ReferenceError> {
        let model_id = self.source.model_id();
        if let Some(rec) = self.cache.get(iin.as_str(), model_id) {
            return Ok(rec);
        }
        let mut photo = self.fetch_photo(iin)?;
        let derived = self.source.derive(&photo);
        // The photo is not kept anywhere; scrub the buffer before freeing it.
        photo.fill(0);
        drop(std::hint::black_box(photo));
        let (template, quality) = derived.map_err(|e| match e {
            DeriveError::Unusable(reason) => ReferenceError::invalid(reason),
            DeriveError::Busy(reason) => ReferenceError::unavailable(reason),
        })?;
        if template.is_empty() || !quality.is_finite() {
            return Err(ReferenceError::invalid(
                "template source returned an empty template or a non-finite quality",
            ));
        }
        let rec = TemplateRecord {
            model_id: model_id.to_string(),
            template,
            enrolled_at: SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64),
            source: "gbd".into(),
            quality,
            note: None,
        };
        self.cache.insert(iin.as_str(), rec.clone());
        Ok(rec)
    }

    /// Drops cached templates of `iin`, e.g. when the person's document was just renewed.
    pub fn invalidate(&self, iin: &Iin) {
        self.cache.invalidate(iin.as_str());
    }

    /// For readiness: `Closed` is ready, anything else is degraded.
    pub fn breaker_state(&self) -> BreakerState {
        self.breaker.state()
    }

    /// When the current outage began (wall clock), or `None` while the register is reachable.
    pub fn open_since(&self) -> Option<SystemTime> {
        self.breaker.open_since()
    }

    /// Templates currently cached.
    pub fn cached(&self) -> usize {
        self.cache.len()
    }

    pub fn config(&self) -> &GbdConfig {
        &self.config
    }

    /// Breaker admission, retries with backoff, and the mapping of outcomes to errors.
    fn fetch_photo(&self, iin: &Iin) -> Result<Vec<u8>, ReferenceError> {
        let attempts = match self.breaker.admit() {
            Admission::Rejected => {
                let secs =
                    self.breaker.open_since().and_then(|s| s.elapsed().ok()).map_or(0, |d| d.as_secs());
                return Err(ReferenceError::unavailable(format!(
                    "circuit breaker open for {secs} s after repeated failures; not requested"
                )));
            }
            Admission::Probe => 1,
            Admission::Allowed => 1 + self.config.retries,
        };
        let url = self.config.build_url(iin.as_str());
        let mut last = String::new();
        for attempt in 0..attempts {
            if attempt > 0 {
                std::thread::sleep(self.config.backoff(attempt));
            }
            match self.attempt(&url) {
                Attempt::Photo(bytes) => {
                    self.breaker.record_success();
                    return Ok(bytes);
                }
                Attempt::NotFound => {
                    self.breaker.record_success();
                    return Err(ReferenceError::NotFound);
                }
                Attempt::Unusable(reason) => {
                    self.breaker.record_success();
                    return Err(ReferenceError::invalid(reason));
                }
                Attempt::Fatal(reason) => {
                    self.breaker.record_failure();
                    return Err(ReferenceError::unavailable(reason));
                }
                Attempt::Retryable(reason) => {
                    tracing::debug!(target: "sapa::gbd", attempt = attempt + 1, attempts, %reason, "reference lookup attempt failed");
                    last = reason;
                }
            }
        }
        self.breaker.record_failure();
        Err(ReferenceError::unavailable(format!(
            "{last} ({attempts} attempt{})",
            if attempts == 1 { "" } else { "s" }
        )))
    }

    /// One GET. Messages name the failure class only: no URL, no IIN, no body.
    fn attempt(&self, url: &str) -> Attempt {
        let mut req = self.agent.get(url);
        if let Some((name, value)) = &self.auth {
            req = req.header(name.as_str(), value.as_str());
        }
        let mut resp = match req.call() {
            Ok(r) => r,
            Err(e) => return classify_transport(e),
        };
        let status = resp.status().as_u16();
        match status {
            200 => {}
            404 => return Attempt::NotFound,
            401 | 403 => {
                return Attempt::Fatal(format!(
                    "reference source rejected our credentials (HTTP {status}); check auth_header"
                ));
            }
            408 | 429 | 500..=599 => {
                return Attempt::Retryable(format!("reference source answered HTTP {status}"));
            }
            _ => {
                return Attempt::Fatal(format!("reference source answered unexpected HTTP {status}"));
            }
        }
        let max = self.config.max_photo_bytes;
        if resp.body().content_length().is_some_and(|n| n > max) {
            return Attempt::Unusable(format!("photo larger than max_photo_bytes ({max})"));
        }
        match resp.body_mut().with_config().limit(max).read_to_vec() {
            Ok(bytes) if bytes.is_empty() => Attempt::Unusable("empty photo".into()),
            Ok(bytes) => Attempt::Photo(bytes),
            Err(ureq::Error::BodyExceedsLimit(_)) => {
                Attempt::Unusable(format!("photo larger than max_photo_bytes ({max})"))
            }
            Err(e) => classify_transport(e),
        }
    }
}

fn classify_transport(e: ureq::Error) -> Attempt {
    use std::io::ErrorKind;
    let reason = match &e {
        ureq::Error::Timeout(_) => "timed out".to_string(),
        ureq::Error::Io(io) if io.kind() == ErrorKind::TimedOut => "timed out".to_string(),
        ureq::Error::Io(io) => format!("connection error ({:?})", io.kind()),
        ureq::Error::ConnectionFailed => "connection failed".to_string(),
        ureq::Error::HostNotFound => "host not found".to_string(),
        ureq::Error::Protocol(_) => "HTTP protocol error".to_string(),
        ureq::Error::Tls(m) => format!("TLS error ({m})"),
        ureq::Error::TooManyRedirects | ureq::Error::RedirectFailed => {
            return Attempt::Fatal("reference source redirected; redirects are refused".into());
        }
        ureq::Error::BadUri(_) | ureq::Error::Http(_) | ureq::Error::InvalidProxyUrl => {
            return Attempt::Fatal("request could not be built (check url_template)".into());
        }
        // Other variants (rustls details, etc.): name the class without its text, which may
        // carry the URL.
        _ => "transport error".to_string(),
    };
    Attempt::Retryable(format!("reference source {reason}"))
}
