//! `sapa serve`: the HTTP service for the portal backend and the kiosks.

use super::{GlobalArgs, setup};
use crate::http::audit::AuditLog;
use crate::http::auth::ApiKeys;
use crate::http::config::ServeConfig;
use crate::http::state::{AppState, Engine, Pad};
use clap::Args;
use sapa_engine::models::locate_models_dir;
use sapa_engine::pad::{PadDetector, PadModel};
use sapa_engine::recognition::RecognitionConfig;
use sapa_engine::validate::{Profile, Validator};
use sapa_engine::{AnalyzerConfig, Recognizer};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on (overrides the config's `server.addr` and SAPA_ADDR). Port 0 picks a
    /// free port; the address is printed on standard error.
    #[arg(long)]
    addr: Option<SocketAddr>,
    /// Address of the health listener (`/health/*` and `/metrics` only, with connection slots of
    /// its own; overrides `server.health_addr` and SAPA_HEALTH_ADDR).
    #[arg(long)]
    health_addr: Option<SocketAddr>,
    /// The service's TOML configuration (see README); environment variables override it.
    #[arg(long, env = "SAPA_CONFIG")]
    config: Option<PathBuf>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn engine(global: &GlobalArgs, config: &ServeConfig) -> anyhow::Result<Engine> {
    let mut analyzer = AnalyzerConfig::default();
    analyzer.limits.max_pixels = config.limits.max_pixels;
    analyzer.limits.max_side = config.limits.max_side;
    analyzer.limits.max_bytes = config.limits.max_body_bytes;
    let validator: Validator = setup::validator(global, analyzer)?;
    let dir = locate_models_dir(global.models.as_deref())?;
    let recognition = RecognitionConfig::load(&dir)?;
    let recognizer = Recognizer::load(&dir, recognition.default_model, validator.analyzer().backend())?;
    let profiles: HashMap<String, Arc<Profile>> = Profile::built_in_names()
        .into_iter()
        .map(|n| Ok((n.to_string(), Arc::new(Profile::built_in(n)?))))
        .collect::<anyhow::Result<_>>()?;
    if !profiles.contains_key(&config.server.default_profile) {
        anyhow::bail!("default_profile {:?} is not a known profile", config.server.default_profile);
    }
    // PAD runs at the kiosk profile's operating point; without a `[pad]` section there is none.
    let pad = match profiles.get("kiosk").and_then(|p| p.pad.clone()) {
        Some(profile) => {
            let detector = PadDetector::load(&dir, validator.analyzer().backend(), &PadModel::KIOSK)?;
            Some(Pad { detector, profile })
        }
        None => {
            tracing::warn!(
                "the kiosk profile has no [pad] section: presentation-attack detection is unavailable"
            );
            None
        }
    };
    Ok(Engine { validator, recognizer, recognition, profiles, pad })
}

/// The audit key from the environment, or a random one for this process (hashes then cannot be
/// correlated across restarts, which is said in a warning).
fn audit_key(var: &str) -> anyhow::Result<Vec<u8>> {
    if let Some(k) = env(var).filter(|k| k.len() >= 16) {
        return Ok(k.into_bytes());
    }
    tracing::warn!(
        "{var} is not set (or shorter than 16 bytes): IIN hashes in the audit log use a random per-process key"
    );
    let mut key = vec![0u8; 32];
    getrandom::fill(&mut key).map_err(|e| anyhow::anyhow!("no randomness for the audit key: {e}"))?;
    Ok(key)
}

/// Crates that never log, at any level: the ГБД ФЛ HTTP client's lines carry the register's URL,
/// which may carry an IIN; the PostgreSQL client's debug lines carry query parameters (IINs,
/// sealed templates).
const QUIET: &[&str] = &["ureq=off", "ureq_proto=off", "tokio_postgres=off", "postgres=off", "r2d2=off"];

/// `SAPA_LOG` (default `info`) with the [`QUIET`] directives on top.
fn log_filter(quiet: &[&str]) -> tracing_subscriber::EnvFilter {
    let base = tracing_subscriber::EnvFilter::try_from_env("SAPA_LOG").unwrap_or_else(|_| "info".into());
    quiet.iter().fold(base, |f, d| f.add_directive(d.parse().expect("a valid directive")))
}

pub fn run(global: &GlobalArgs, args: ServeArgs) -> anyhow::Result<ExitCode> {
    // Colour only on a terminal: a log redirected to a file or a collector gets plain text.
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(log_filter(QUIET))
        .try_init();
    let mut config = ServeConfig::load(args.config.as_deref(), env)?;
    if let Some(addr) = args.addr {
        config.server.addr = addr;
    }
    if let Some(addr) = args.health_addr {
        config.server.health_addr = Some(addr);
    }
    if let Some(n) = global.threads {
        config.limits.workers = Some(n);
    }
    let keys = ApiKeys::load(&config.keys, env)?;
    if keys.is_empty() {
        if !config.server.addr.ip().is_loopback() {
            anyhow::bail!(
                "no API keys are configured, so the service may only listen on a loopback address, not {}",
                config.server.addr
            );
        }
        tracing::warn!("no API keys configured: the API is open to anyone on this machine (loopback only)");
    }
    let audit = AuditLog::open(&config.audit.path, audit_key(&config.audit.key_env)?)?;
    let engine = Arc::new(engine(global, &config)?);
    let state = Arc::new(AppState::new(engine, config, keys, audit)?);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let served = state.clone();
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(state.config.server.addr).await?;
        let addr = listener.local_addr()?;
        tracing::info!(
            %addr,
            workers = state.pool.workers(),
            queue = state.config.limits.queue,
            keys = state.keys.len(),
            store = state.store.backend(),
            backend = %state.engine.validator.analyzer().backend().runtime(),
            "listening"
        );
        let health = match state.config.server.health_addr {
            Some(a) => {
                let l = tokio::net::TcpListener::bind(a).await?;
                let addr = l.local_addr()?;
                tracing::info!(%addr, "health listening");
                eprintln!("sapa: health on http://{addr}");
                Some(l)
            }
            None => None,
        };
        eprintln!("sapa: listening on http://{addr}");
        crate::http::serve(state, listener, health, crate::http::shutdown_signal()).await
    })?;
    // Whatever the audit writer still holds (and the refusals' last sum) is written before exit.
    served.audit.flush();
    Ok(ExitCode::SUCCESS)
}
