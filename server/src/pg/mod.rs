//! Sapa's PostgreSQL side: one connection pool per process and one versioned schema, shared by the
//! reference store (`references::PgStore`) and the distributed batch queue (`fleet`).
//!
//! Why blocking `postgres` behind r2d2 and not an async client: every caller already runs off the
//! async threads (the service's store calls go through `spawn_blocking`, the CLI is synchronous),
//! and the pool's `test_on_check_out` drops connections a PostgreSQL restart broke.

pub mod migrations;

use r2d2_postgres::PostgresConnectionManager;
use r2d2_postgres::postgres::NoTls;
use std::time::Duration;

pub type Pool = r2d2::Pool<PostgresConnectionManager<NoTls>>;
pub type Conn = r2d2::PooledConnection<PostgresConnectionManager<NoTls>>;

/// Why PostgreSQL could not be used. Messages carry the server's words, never the DSN.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error("PostgreSQL URL: {0}")]
    Url(String),
    #[error("PostgreSQL unreachable: {0}")]
    Unreachable(#[from] r2d2::Error),
    #[error("PostgreSQL: {0}")]
    Query(#[from] postgres::Error),
    #[error("PostgreSQL schema version {found} is newer than this build supports ({supported})")]
    SchemaTooNew { found: i32, supported: i32 },
}

/// Pool sizing and patience.
#[derive(Debug, Clone)]
pub struct PoolOptions {
    pub max_size: u32,
    /// How long a caller waits for a connection before the request fails (as a 503 in the service).
    pub connect_timeout: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions { max_size: 8, connect_timeout: Duration::from_secs(3) }
    }
}

/// A pool on `url` (`postgres://user[:password]@host[:port]/db`, or key=value), with the schema
/// migrated to the newest version this build knows. Fails when PostgreSQL cannot be reached.
pub fn connect(url: &str, options: &PoolOptions) -> Result<Pool, PgError> {
    let mut config: postgres::Config =
        url.parse().map_err(|_| PgError::Url(format!("cannot parse {}", redact(url))))?;
    config.connect_timeout(options.connect_timeout);
    config.application_name("sapa");
    let manager = PostgresConnectionManager::new(config, NoTls);
    let pool = r2d2::Pool::builder()
        .max_size(options.max_size)
        .min_idle(Some(0))
        .connection_timeout(options.connect_timeout)
        .test_on_check_out(true)
        // r2d2 logs connection errors itself through `log`; ours are reported as typed errors.
        .error_handler(Box::new(r2d2::NopErrorHandler))
        .build_unchecked(manager);
    let mut conn = pool.get()?;
    migrations::migrate(&mut *conn)?;
    drop(conn);
    Ok(pool)
}

/// The URL with its password replaced, for messages and logs.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        // key=value form: drop any password=… pair.
        return url
            .split_whitespace()
            .map(|kv| if kv.starts_with("password=") { "password=***" } else { kv })
            .collect::<Vec<_>>()
            .join(" ");
    };
    let (auth, host) = match rest.rsplit_once('@') {
        Some((auth, host)) => (Some(auth), host),
        None => (None, rest),
    };
    let host = match host.split_once('?') {
        Some((h, _)) => format!("{h}?…"),
        None => host.to_string(),
    };
    match auth {
        Some(auth) => match auth.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => format!("{scheme}://{auth}@{host}"),
        },
        None => format!("{scheme}://{host}"),
    }
}

/// Whether `s` names a PostgreSQL database rather than a file.
pub fn is_url(s: &str) -> bool {
    s.starts_with("postgres://") || s.starts_with("postgresql://")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_survive_redaction() {
        assert_eq!(redact("postgres://sapa:s3cret@db:5432/sapa"), "postgres://sapa:***@db:5432/sapa");
        assert_eq!(redact("postgres://sapa@db/sapa"), "postgres://sapa@db/sapa");
        assert_eq!(redact("postgres://u:p@h/d?password=x"), "postgres://u:***@h/d?…");
        assert_eq!(redact("host=db user=u password=s3cret"), "host=db user=u password=***");
        assert!(is_url("postgresql://h/d") && !is_url("/var/lib/sapa/references.sqlite"));
    }
}
