//! Configuration of the ГБД ФЛ adapter, read from TOML by the service.

use serde::Deserialize;
use std::fmt;
use std::time::Duration;

/// Where and how to fetch reference photos. Every field but `url_template` has a default.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GbdConfig {
    /// URL with one `{iin}` placeholder, e.g. `https://gbd.example/api/photo/{iin}`.
    pub url_template: String,
    /// Header that authenticates us to the register.
    #[serde(default)]
    pub auth_header: Option<AuthHeader>,
    /// Whole-request timeout per attempt (connect, send, receive body).
    #[serde(default = "d_timeout_ms")]
    pub timeout_ms: u64,
    /// Extra attempts after a retryable failure (timeout, connection error, 408, 429, 5xx).
    #[serde(default = "d_retries")]
    pub retries: u32,
    /// First backoff; doubles per retry up to `backoff_max_ms`.
    #[serde(default = "d_backoff_ms")]
    pub backoff_ms: u64,
    #[serde(default = "d_backoff_max_ms")]
    pub backoff_max_ms: u64,
    /// Consecutive failed lookups (each after its retries) that open the circuit.
    #[serde(default = "d_breaker_failures")]
    pub breaker_failures: u32,
    /// How long the circuit stays open before one probe is let through.
    #[serde(default = "d_breaker_cooldown_ms")]
    pub breaker_cooldown_ms: u64,
    /// How long a derived template is reused; 0 disables the cache.
    #[serde(default = "d_cache_ttl_s")]
    pub cache_ttl_s: u64,
    /// Upper bound on cached templates.
    #[serde(default = "d_cache_max_entries")]
    pub cache_max_entries: usize,
    /// Larger photos are refused (`reference_invalid`) without being read past the limit.
    #[serde(default = "d_max_photo_bytes")]
    pub max_photo_bytes: u64,
    /// Allow `http://` URLs. Off by default: the request carries an IIN and a credential.
    /// Tests against a local stand-in turn it on.
    #[serde(default)]
    pub allow_insecure_http: bool,
}

fn d_timeout_ms() -> u64 {
    3_000
}
fn d_retries() -> u32 {
    2
}
fn d_backoff_ms() -> u64 {
    200
}
fn d_backoff_max_ms() -> u64 {
    2_000
}
fn d_breaker_failures() -> u32 {
    5
}
fn d_breaker_cooldown_ms() -> u64 {
    30_000
}
fn d_cache_ttl_s() -> u64 {
    600
}
fn d_cache_max_entries() -> usize {
    10_000
}
fn d_max_photo_bytes() -> u64 {
    2 * 1024 * 1024
}

/// A request header; the value is given inline or, better, named as an environment variable so
/// the secret stays out of the config file.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthHeader {
    pub name: String,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub value_env: Option<String>,
}

/// The secret is never printed.
impl fmt::Debug for AuthHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthHeader")
            .field("name", &self.name)
            .field("value", &self.value.as_ref().map(|_| "<redacted>"))
            .field("value_env", &self.value_env)
            .finish()
    }
}

impl fmt::Debug for GbdConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GbdConfig")
            .field("url_template", &self.url_template)
            .field("auth_header", &self.auth_header)
            .field("timeout_ms", &self.timeout_ms)
            .field("retries", &self.retries)
            .field("backoff_ms", &self.backoff_ms)
            .field("backoff_max_ms", &self.backoff_max_ms)
            .field("breaker_failures", &self.breaker_failures)
            .field("breaker_cooldown_ms", &self.breaker_cooldown_ms)
            .field("cache_ttl_s", &self.cache_ttl_s)
            .field("cache_max_entries", &self.cache_max_entries)
            .field("max_photo_bytes", &self.max_photo_bytes)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .finish()
    }
}

/// The configuration cannot work; reported at startup, not on the first applicant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid ГБД ФЛ adapter config: {0}")]
pub struct ConfigError(pub String);

impl AuthHeader {
    /// The (name, value) to send, reading `value_env` from the process environment.
    pub fn resolve(&self) -> Result<(String, String), ConfigError> {
        self.resolve_with(|k| std::env::var(k).ok())
    }

    /// Like [`resolve`](Self::resolve) with an injected environment (for tests).
    pub fn resolve_with(
        &self,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<(String, String), ConfigError> {
        let err = |m: String| Err(ConfigError(m));
        if self.name.is_empty() {
            return err("auth_header.name is empty".into());
        }
        let value = match (&self.value, &self.value_env) {
            (Some(v), None) => v.clone(),
            (None, Some(var)) => match env(var) {
                Some(v) if !v.is_empty() => v,
                _ => {
                    return err(format!("environment variable {var} (auth_header.value_env) is not set"));
                }
            },
            _ => return err("auth_header needs exactly one of value, value_env".into()),
        };
        Ok((self.name.clone(), value))
    }
}

impl GbdConfig {
    /// A config with every default, for `url_template`.
    pub fn with_url(url_template: impl Into<String>) -> Self {
        GbdConfig {
            url_template: url_template.into(),
            auth_header: None,
            timeout_ms: d_timeout_ms(),
            retries: d_retries(),
            backoff_ms: d_backoff_ms(),
            backoff_max_ms: d_backoff_max_ms(),
            breaker_failures: d_breaker_failures(),
            breaker_cooldown_ms: d_breaker_cooldown_ms(),
            cache_ttl_s: d_cache_ttl_s(),
            cache_max_entries: d_cache_max_entries(),
            max_photo_bytes: d_max_photo_bytes(),
            allow_insecure_http: false,
        }
    }

    /// Checks what can be checked without a request.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let err = |m: &str| Err(ConfigError(m.to_string()));
        if self.url_template.matches("{iin}").count() != 1 {
            return err("url_template must contain {iin} exactly once");
        }
        let scheme_ok = self.url_template.starts_with("https://")
            || (self.allow_insecure_http && self.url_template.starts_with("http://"));
        if !scheme_ok {
            return err("url_template must be https:// (or http:// with allow_insecure_http)");
        }
        if self.build_url("000000000000").parse::<ureq::http::Uri>().is_err() {
            return err("url_template is not a valid URL");
        }
        if self.timeout_ms == 0 {
            return err("timeout_ms must be > 0");
        }
        if self.breaker_failures == 0 {
            return err("breaker_failures must be >= 1");
        }
        if self.max_photo_bytes == 0 {
            return err("max_photo_bytes must be > 0");
        }
        Ok(())
    }

    pub(crate) fn build_url(&self, iin_digits: &str) -> String {
        self.url_template.replace("{iin}", iin_digits)
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }

    /// Wait before retry number `retry` (1-based): `backoff_ms · 2^(retry-1)`, capped.
    pub fn backoff(&self, retry: u32) -> Duration {
        let factor = 1u64.checked_shl(retry.saturating_sub(1)).unwrap_or(u64::MAX);
        Duration::from_millis(
            self.backoff_ms.saturating_mul(factor).min(self.backoff_max_ms.max(self.backoff_ms)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let mut c = GbdConfig::with_url("https://x/{iin}");
        c.backoff_ms = 100;
        c.backoff_max_ms = 350;
        let ms: Vec<u128> = (1..=5).map(|r| c.backoff(r).as_millis()).collect();
        assert_eq!(ms, [100, 200, 350, 350, 350]);
        assert_eq!(c.backoff(200).as_millis(), 350);
    }

    #[test]
    fn validation() {
        assert!(GbdConfig::with_url("https://gbd.example/p/{iin}").validate().is_ok());
        assert!(GbdConfig::with_url("https://gbd.example/p/").validate().is_err());
        assert!(GbdConfig::with_url("https://gbd/{iin}/{iin}").validate().is_err());
        let mut c = GbdConfig::with_url("http://127.0.0.1:1/{iin}");
        assert!(c.validate().is_err());
        c.allow_insecure_http = true;
        assert!(c.validate().is_ok());
    }

    #[test]
    fn auth_value_from_env_and_redacted() {
        let h = AuthHeader { name: "X-Key".into(), value: None, value_env: Some("GBD_KEY".into()) };
        let env = |k: &str| (k == "GBD_KEY").then(|| "s3cret".to_string());
        assert_eq!(h.resolve_with(env).unwrap(), ("X-Key".into(), "s3cret".into()));
        assert!(h.resolve_with(|_| None).is_err());
        let inline = AuthHeader { name: "X-Key".into(), value: Some("s3cret".into()), value_env: None };
        assert!(!format!("{inline:?}").contains("s3cret"));
        let both = AuthHeader { value_env: Some("GBD_KEY".into()), ..inline };
        assert!(both.resolve_with(env).is_err());
    }
}
