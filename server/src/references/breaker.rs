//! A circuit breaker in front of the state register.
//!
//! Why: when ГБД ФЛ is down, every renewal would otherwise wait `timeout × (1 + retries)` before
//! failing, tying up workers and piling load on a service that is trying to recover. After
//! `failures` consecutive failed lookups the breaker opens and lookups fail at once; after
//! `cooldown` one probe is let through (half-open): success closes the breaker, failure opens
//! it for another cooldown. `since` stays at the start of the outage across failed probes, so
//! the portal can say how long the register has been unreachable.

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

/// What readiness checks and the portal see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Requests flow normally.
    Closed,
    /// Failing fast since `since` (wall clock, start of the outage).
    Open { since: SystemTime },
    /// The cooldown is over: the next lookup is a probe. Still degraded since `since`.
    HalfOpen { since: SystemTime },
}

impl BreakerState {
    /// `"closed"`, `"open"` or `"half_open"`, for readiness and metrics.
    pub fn as_str(&self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open { .. } => "open",
            BreakerState::HalfOpen { .. } => "half_open",
        }
    }

    /// Start of the current outage, if any.
    pub fn since(&self) -> Option<SystemTime> {
        match *self {
            BreakerState::Closed => None,
            BreakerState::Open { since } | BreakerState::HalfOpen { since } => Some(since),
        }
    }
}

/// Whether a lookup may go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Closed: go ahead with the usual retries.
    Allowed,
    /// Half-open and this caller is the one probe: a single attempt, no retries.
    Probe,
    /// Open (or another caller holds the probe): fail without a request.
    Rejected,
}

#[derive(Debug)]
pub struct CircuitBreaker {
    failures_to_open: u32,
    cooldown: Duration,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    consecutive_failures: u32,
    open: Option<Open>,
    probing: bool,
}

#[derive(Debug, Clone, Copy)]
struct Open {
    since: SystemTime,
    retry_at: Instant,
}

impl CircuitBreaker {
    /// `failures_to_open` is clamped to at least 1.
    pub fn new(failures_to_open: u32, cooldown: Duration) -> Self {
        CircuitBreaker {
            failures_to_open: failures_to_open.max(1),
            cooldown,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Asks to make a lookup. Every `Allowed` or `Probe` must be followed by exactly one
    /// [`record_success`](Self::record_success) or [`record_failure`](Self::record_failure).
    pub fn admit(&self) -> Admission {
        let mut inner = self.lock();
        match inner.open {
            None => Admission::Allowed,
            Some(open) if Instant::now() < open.retry_at || inner.probing => Admission::Rejected,
            Some(_) => {
                inner.probing = true;
                Admission::Probe
            }
        }
    }

    /// The register answered (even "not found"): it is up.
    pub fn record_success(&self) {
        let mut inner = self.lock();
        if inner.open.is_some() {
            tracing::info!(target: "sapa::gbd", "reference source recovered; circuit closed");
        }
        *inner = Inner::default();
    }

    /// A lookup failed for reasons on the register's side.
    pub fn record_failure(&self) {
        let mut inner = self.lock();
        let now = Instant::now();
        inner.probing = false;
        if let Some(open) = inner.open.as_mut() {
            open.retry_at = now + self.cooldown;
            return;
        }
        inner.consecutive_failures += 1;
        if inner.consecutive_failures >= self.failures_to_open {
            tracing::warn!(
                target: "sapa::gbd",
                failures = inner.consecutive_failures,
                cooldown_ms = self.cooldown.as_millis() as u64,
                "reference source failing; circuit opened"
            );
            inner.open = Some(Open { since: SystemTime::now(), retry_at: now + self.cooldown });
        }
    }

    pub fn state(&self) -> BreakerState {
        let inner = self.lock();
        match inner.open {
            None => BreakerState::Closed,
            Some(open) if Instant::now() < open.retry_at => BreakerState::Open { since: open.since },
            Some(open) => BreakerState::HalfOpen { since: open.since },
        }
    }

    /// When the current outage started, or `None` while closed.
    pub fn open_since(&self) -> Option<SystemTime> {
        self.state().since()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::thread::sleep;

    #[test]
    fn opens_after_n_failures_and_recovers_through_a_probe() {
        let b = CircuitBreaker::new(2, Duration::from_millis(50));
        assert_eq!(b.admit(), Admission::Allowed);
        b.record_failure();
        assert_eq!(b.state(), BreakerState::Closed);
        b.record_failure();
        let since = b.open_since().expect("open");
        assert!(matches!(b.state(), BreakerState::Open { .. }));
        assert_eq!(b.admit(), Admission::Rejected);

        sleep(Duration::from_millis(60));
        assert_eq!(b.state(), BreakerState::HalfOpen { since });
        assert_eq!(b.admit(), Admission::Probe);
        assert_eq!(b.admit(), Admission::Rejected, "only one probe at a time");
        b.record_failure();
        assert_eq!(b.state(), BreakerState::Open { since }, "outage start kept");

        sleep(Duration::from_millis(60));
        assert_eq!(b.admit(), Admission::Probe);
        b.record_success();
        assert_eq!(b.state(), BreakerState::Closed);
        assert_eq!(b.admit(), Admission::Allowed);
    }

    #[test]
    fn success_resets_the_failure_count() {
        let b = CircuitBreaker::new(2, Duration::from_secs(60));
        b.record_failure();
        b.record_success();
        b.record_failure();
        assert_eq!(b.state(), BreakerState::Closed);
    }
}
