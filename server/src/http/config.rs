//! The service's configuration: one TOML file, then environment overrides, then the command line.
//! Secrets (API keys, the audit key) are named by environment variable or given as a hash, so the
//! file itself can be committed to a deployment repository.

use crate::references::GbdConfig;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Everything `sapa serve` reads from its config file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServeConfig {
    pub server: ServerSection,
    pub limits: LimitsSection,
    pub store: StoreSection,
    pub audit: AuditSection,
    /// API keys for the portal and each kiosk.
    #[serde(rename = "key")]
    pub keys: Vec<KeyConfig>,
    /// The ГБД ФЛ reference-photo source; without it, verify by IIN uses only the store.
    pub gbd: Option<GbdConfig>,
    /// Live capture at kiosks: guidance frames, the guidance WebSocket and capture bursts.
    pub kiosk: KioskSection,
}

/// `[kiosk]`: the bounds of live capture, per frame and per connection.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KioskSection {
    /// Profile guidance and capture use when a request names none.
    pub profile: String,
    /// Largest guidance frame, in bytes (a 1280x720 JPEG from a webcam is 100-300 kB).
    pub max_frame_bytes: usize,
    /// Frames a WebSocket connection gets answers for per second; frames that arrive faster are
    /// superseded by newer ones (only the newest waiting frame is kept).
    pub max_fps: f64,
    /// Seconds a WebSocket connection may stay silent before it is closed.
    pub idle_timeout_s: u64,
    /// Seconds a WebSocket connection may last (one citizen's capture takes well under this).
    pub max_session_s: u64,
    /// Most frames one `POST /v1/capture` burst may carry (each at most `max_frame_bytes`): every
    /// frame is fully validated (about 0.3-0.5 s of one worker each), so this bounds the request.
    pub max_capture_frames: usize,
    /// Milliseconds after which a WebSocket connection refreshes the face parser's verdict
    /// (glasses, head covering). The verdict stands for later ready frames whose face box still
    /// overlaps the parsed one (`guidance::REUSE_MIN_IOU`); once it is older than this, the next
    /// ready frame is answered with it and parsed again in the background, on the idle lane (so
    /// under load the verdict ages past this until the frames leave a core free). 0 parses every
    /// ready frame before answering it. `POST /v1/guidance` always parses.
    pub parser_reuse_ms: u64,
}

impl Default for KioskSection {
    fn default() -> Self {
        Self {
            profile: "kiosk".into(),
            max_frame_bytes: 2 * 1024 * 1024,
            max_fps: 10.0,
            idle_timeout_s: 30,
            max_session_s: 600,
            max_capture_frames: 8,
            parser_reuse_ms: 1000,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSection {
    pub addr: SocketAddr,
    /// A second address that serves only `/health/live`, `/health/ready` and `/metrics`, with
    /// connection slots of its own: probes are answered even when clients hold every API
    /// connection. Point the orchestrator's probes here. Unset: health is on `addr` only.
    pub health_addr: Option<SocketAddr>,
    /// Profile used when a request names none.
    pub default_profile: String,
    /// Seconds a client is told to wait in `Retry-After` when the service is saturated.
    pub retry_after_s: u64,
    /// Seconds in-flight requests get to finish after SIGTERM before the process exits anyway.
    pub shutdown_grace_s: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsSection {
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Largest accepted image, width x height, checked from the header before decoding.
    pub max_pixels: u64,
    /// Largest accepted image side, in pixels.
    pub max_side: u32,
    /// Time a request may take, queueing included, before it is answered 503.
    pub deadline_ms: u64,
    /// Threads doing CPU work (decode, inference, checks). Default: one per core.
    pub workers: Option<usize>,
    /// Requests that may wait for a worker; beyond `workers + queue` the answer is 503.
    pub queue: usize,
    /// Time a client has to send a request's headers (the first request of a connection, or the
    /// next one on a kept-alive connection) before the connection is closed: a slowloris client
    /// holds nothing for longer.
    pub header_read_timeout_ms: u64,
    /// Time a client has to send the whole body, from the moment its headers are read; later
    /// the answer is `408 request_timeout` and the connection is closed.
    pub body_read_timeout_ms: u64,
    /// Connections served at once. One more waits in the kernel's accept backlog until one of
    /// these ends, so many idle or slow clients hold sockets, not memory and tasks without bound.
    pub max_connections: usize,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreSection {
    /// The SQLite reference store (templates only, never photos); used when `url` is unset.
    pub path: PathBuf,
    /// A PostgreSQL store shared by every replica, `postgres://user@host/db` (the password is
    /// better given as `PGPASSWORD`-style URL from a secret, and is never logged). Templates are
    /// sealed with the keys in `SAPA_STORE_KEYS`.
    pub url: Option<String>,
    /// Connections this replica may hold to PostgreSQL.
    pub pool_size: u32,
    /// How long a request waits for a PostgreSQL connection before it is answered 503.
    pub connect_timeout_ms: u64,
}

/// The URL's password is never printed.
impl std::fmt::Debug for StoreSection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreSection")
            .field("path", &self.path)
            .field("url", &self.url.as_deref().map(crate::pg::redact))
            .field("pool_size", &self.pool_size)
            .field("connect_timeout_ms", &self.connect_timeout_ms)
            .finish()
    }
}

impl StoreSection {
    /// Where the references live: PostgreSQL when `url` is set, else the SQLite file.
    pub fn location(&self) -> crate::references::StoreLocation {
        crate::references::StoreLocation::choose(self.url.as_deref(), &self.path)
    }

    pub fn pool(&self) -> crate::pg::PoolOptions {
        crate::pg::PoolOptions {
            max_size: self.pool_size.max(1),
            connect_timeout: Duration::from_millis(self.connect_timeout_ms.max(1)),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditSection {
    /// Where audit events go, one JSON object per line; `-` is standard output.
    pub path: String,
    /// Environment variable holding the key of the IIN hash in audit events. Keep it stable
    /// across restarts so events of one person can be correlated by those who hold the key.
    pub key_env: String,
}

/// One client's key. The key itself comes from `key_env` or is given by its SHA-256.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyConfig {
    /// Who the client is (e.g. `portal`, `kiosk-astana-07`); this name is what the audit log shows.
    pub name: String,
    #[serde(default)]
    pub key_env: Option<String>,
    /// Hex SHA-256 of the key, so the config file holds no secret.
    #[serde(default)]
    pub key_sha256: Option<String>,
    pub scopes: Vec<String>,
}

impl std::fmt::Debug for KeyConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyConfig").field("name", &self.name).field("scopes", &self.scopes).finish()
    }
}

impl Default for ServerSection {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            health_addr: None,
            default_profile: "kz-id".into(),
            retry_after_s: 1,
            shutdown_grace_s: 30,
        }
    }
}

impl Default for LimitsSection {
    fn default() -> Self {
        Self {
            max_body_bytes: 15 * 1024 * 1024,
            max_pixels: 40_000_000,
            max_side: 12_000,
            deadline_ms: 10_000,
            workers: None,
            queue: 16,
            header_read_timeout_ms: 10_000,
            body_read_timeout_ms: 30_000,
            max_connections: 1024,
        }
    }
}

impl Default for StoreSection {
    fn default() -> Self {
        let pool = crate::pg::PoolOptions::default();
        Self {
            path: crate::references::default_store_path(),
            url: None,
            pool_size: pool.max_size,
            connect_timeout_ms: pool.connect_timeout.as_millis() as u64,
        }
    }
}

impl Default for AuditSection {
    fn default() -> Self {
        Self { path: "-".into(), key_env: "SAPA_AUDIT_KEY".into() }
    }
}

/// Environment variables that override the file, by name.
pub const ENV_OVERRIDES: &[(&str, &str)] = &[
    ("SAPA_ADDR", "server.addr"),
    ("SAPA_HEALTH_ADDR", "server.health_addr"),
    ("SAPA_DEFAULT_PROFILE", "server.default_profile"),
    ("SAPA_MAX_BODY_BYTES", "limits.max_body_bytes"),
    ("SAPA_MAX_PIXELS", "limits.max_pixels"),
    ("SAPA_DEADLINE_MS", "limits.deadline_ms"),
    ("SAPA_WORKERS", "limits.workers"),
    ("SAPA_QUEUE", "limits.queue"),
    ("SAPA_HEADER_READ_TIMEOUT_MS", "limits.header_read_timeout_ms"),
    ("SAPA_BODY_READ_TIMEOUT_MS", "limits.body_read_timeout_ms"),
    ("SAPA_MAX_CONNECTIONS", "limits.max_connections"),
    ("SAPA_STORE", "store.path"),
    ("SAPA_STORE_URL", "store.url"),
    ("SAPA_AUDIT_LOG", "audit.path"),
];

/// Keys given in the environment: `SAPA_API_KEYS="portal=SECRET:validate+verify,kiosk-1=SECRET2:validate"`.
pub const API_KEYS_ENV: &str = "SAPA_API_KEYS";

impl ServeConfig {
    /// Reads `path` (or the defaults), then applies the environment.
    pub fn load(path: Option<&Path>, env: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let mut cfg: ServeConfig = match path {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|e| anyhow::anyhow!("reading config {}: {e}", p.display()))?;
                toml::from_str(&text).map_err(|e| anyhow::anyhow!("config {}: {e}", p.display()))?
            }
            None => ServeConfig::default(),
        };
        for (var, field) in ENV_OVERRIDES {
            if let Some(v) = env(var) {
                cfg.set(field, &v).map_err(|e| anyhow::anyhow!("{var}={v:?}: {e}"))?;
            }
        }
        for (name, n) in [
            ("limits.header_read_timeout_ms", cfg.limits.header_read_timeout_ms),
            ("limits.body_read_timeout_ms", cfg.limits.body_read_timeout_ms),
            ("limits.max_connections", cfg.limits.max_connections as u64),
            ("kiosk.max_frame_bytes", cfg.kiosk.max_frame_bytes as u64),
            ("kiosk.idle_timeout_s", cfg.kiosk.idle_timeout_s),
            ("kiosk.max_session_s", cfg.kiosk.max_session_s),
            ("kiosk.max_capture_frames", cfg.kiosk.max_capture_frames as u64),
        ] {
            if n == 0 {
                anyhow::bail!("{name} must be more than 0");
            }
        }
        if !(cfg.kiosk.max_fps > 0.0 && cfg.kiosk.max_fps.is_finite()) {
            anyhow::bail!("kiosk.max_fps must be a positive number");
        }
        Ok(cfg)
    }

    /// How long a client has to send a request's headers.
    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_millis(self.limits.header_read_timeout_ms)
    }

    /// How long a client has to send a request's body.
    pub fn body_read_timeout(&self) -> Duration {
        Duration::from_millis(self.limits.body_read_timeout_ms)
    }

    fn set(&mut self, field: &str, v: &str) -> Result<(), String> {
        fn num<T: std::str::FromStr>(v: &str) -> Result<T, String> {
            v.parse().map_err(|_| "not a number".to_string())
        }
        match field {
            "server.addr" => self.server.addr = v.parse().map_err(|_| "not a socket address".to_string())?,
            "server.health_addr" => {
                self.server.health_addr = Some(v.parse().map_err(|_| "not a socket address".to_string())?)
            }
            "server.default_profile" => self.server.default_profile = v.into(),
            "limits.max_body_bytes" => self.limits.max_body_bytes = num(v)?,
            "limits.max_pixels" => self.limits.max_pixels = num(v)?,
            "limits.deadline_ms" => self.limits.deadline_ms = num(v)?,
            "limits.workers" => self.limits.workers = Some(num(v)?),
            "limits.queue" => self.limits.queue = num(v)?,
            "limits.header_read_timeout_ms" => self.limits.header_read_timeout_ms = num(v)?,
            "limits.body_read_timeout_ms" => self.limits.body_read_timeout_ms = num(v)?,
            "limits.max_connections" => self.limits.max_connections = num(v)?,
            "store.path" => self.store.path = v.into(),
            "store.url" => self.store.url = Some(v.to_string()),
            "audit.path" => self.audit.path = v.into(),
            other => return Err(format!("unknown field {other}")),
        }
        Ok(())
    }

    pub fn workers(&self) -> usize {
        self.limits
            .workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
            .max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_overrides_the_file() {
        let dir = std::env::temp_dir().join(format!("sapa-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("serve.toml");
        std::fs::write(
            &file,
            "[server]\naddr = \"127.0.0.1:9000\"\n[limits]\nqueue = 3\n[[key]]\nname = \"portal\"\nkey_env = \"K\"\nscopes = [\"validate\"]\n",
        )
        .unwrap();
        let env = |k: &str| match k {
            "SAPA_QUEUE" => Some("7".to_string()),
            "SAPA_BODY_READ_TIMEOUT_MS" => Some("1500".to_string()),
            _ => None,
        };
        let cfg = ServeConfig::load(Some(&file), env).unwrap();
        assert_eq!(cfg.server.addr.port(), 9000);
        assert_eq!(cfg.limits.queue, 7);
        assert_eq!(cfg.body_read_timeout(), Duration::from_millis(1500));
        assert_eq!(cfg.header_read_timeout(), Duration::from_secs(10), "the default");
        let zero = |k: &str| (k == "SAPA_HEADER_READ_TIMEOUT_MS").then(|| "0".to_string());
        assert!(ServeConfig::load(Some(&file), zero).is_err(), "a zero timeout would close every connection");
        let no_slots = |k: &str| (k == "SAPA_MAX_CONNECTIONS").then(|| "0".to_string());
        assert!(ServeConfig::load(Some(&file), no_slots).is_err(), "no connection could ever be served");
        assert_eq!(cfg.limits.max_connections, 1024, "the default");
        assert_eq!(cfg.keys[0].name, "portal");
        let bad = |k: &str| (k == "SAPA_WORKERS").then(|| "many".to_string());
        assert!(ServeConfig::load(Some(&file), bad).is_err());
    }

    #[test]
    fn unknown_fields_are_refused() {
        let dir = std::env::temp_dir().join(format!("sapa-config-u-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("serve.toml");
        std::fs::write(&file, "[limits]\nmax_bodybytes = 1\n").unwrap();
        assert!(ServeConfig::load(Some(&file), |_| None).is_err());
    }
}
