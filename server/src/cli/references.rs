//! `sapa enroll`, `sapa references show|delete`, and the reference lookup behind
//! `sapa verify --iin`: the store (SQLite or PostgreSQL) first, then (when configured) the ГБД ФЛ adapter.

use super::GlobalArgs;
use super::enrol::Enroller;
use super::files::ErrorBody;
use crate::error_code::ErrorCode;
use crate::references::{
    DeriveError, GbdClient, GbdConfig, Iin, LookupError, ReferenceError, ReferenceStore, StoreLocation,
    TemplateRecord, TemplateSource, find_current_reference,
};
use anyhow::Context;
use clap::{Args, Subcommand};
use sapa_engine::Template;
use sapa_engine::recognition::RecognitionModel;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

/// Where references live.
#[derive(Args, Debug, Clone)]
pub struct StoreArgs {
    /// The reference store (SQLite; created with its directory when missing). Default: the user's
    /// data directory, `$XDG_DATA_HOME/sapa/references.sqlite` or `~/.local/share/sapa/…`.
    #[arg(long, env = "SAPA_STORE", default_value_os_t = crate::references::default_store_path())]
    pub store: PathBuf,
    /// A shared PostgreSQL store instead (`postgres://user@host/db`); templates are sealed with
    /// the keys in SAPA_STORE_KEYS. Overrides `--store`.
    #[arg(long, env = "SAPA_STORE_URL", hide_env_values = true)]
    pub store_url: Option<String>,
    /// A TOML file with a `[gbd]` table: the ГБД ФЛ reference-photo source to ask when the store
    /// has no reference (see README).
    #[arg(long, env = "SAPA_GBD_CONFIG")]
    pub gbd_config: Option<PathBuf>,
}

impl StoreArgs {
    pub fn location(&self) -> StoreLocation {
        StoreLocation::choose(self.store_url.as_deref(), &self.store)
    }

    fn open(&self) -> anyhow::Result<ReferenceStore> {
        let location = self.location();
        ReferenceStore::locate(&location).with_context(|| format!("opening the reference store {location}"))
    }
}

#[derive(Args, Debug)]
pub struct EnrollArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Recognition model (default: `default_model` of models/recognition.toml).
    #[arg(long, value_parser = super::verify::parse_model)]
    model: Option<RecognitionModel>,
    /// The person's IIN (12 digits).
    iin: String,
    /// The reference photo; only its template is stored.
    photo: PathBuf,
}

#[derive(Args, Debug)]
pub struct ReferencesArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[command(subcommand)]
    action: ReferencesAction,
}

#[derive(Subcommand, Debug)]
pub enum ReferencesAction {
    /// Enrolment metadata for an IIN (no template bytes).
    Show { iin: String },
    /// Erase every reference of an IIN.
    Delete { iin: String },
    /// PostgreSQL store: re-seal every template with the first key of SAPA_STORE_KEYS (key
    /// rotation; see README). Prints how many were re-sealed and the templates per key id.
    Rekey,
}

fn parse_iin(s: &str) -> anyhow::Result<Iin> {
    Iin::parse(s).map_err(|e| anyhow::anyhow!("{} ({})", e, e.code()))
}

pub fn enroll(global: &GlobalArgs, args: EnrollArgs) -> anyhow::Result<ExitCode> {
    let iin = parse_iin(&args.iin)?;
    let model = match args.model {
        Some(m) => m,
        None => super::enrol::config(global)?.default_model,
    };
    let enroller = Enroller::load(global, &[model], None)?;
    let template = match enroller.photo(&args.photo).into_iter().next() {
        Some((Ok(t), _)) => t,
        Some((Err(e), _)) => {
            println!("{}", serde_json::json!({ "enrolled": false, "error": e }));
            return Ok(ExitCode::from(1));
        }
        None => anyhow::bail!("no recognizer loaded"),
    };
    let store = args.store.open()?;
    let record = TemplateRecord::enrolled(&template);
    store.put(&iin, &record)?;
    println!(
        "{}",
        serde_json::json!({ "enrolled": true, "model": record.model_id, "quality": record.quality })
    );
    Ok(ExitCode::SUCCESS)
}

pub fn references(args: ReferencesArgs) -> anyhow::Result<ExitCode> {
    let store = args.store.open()?;
    match args.action {
        ReferencesAction::Show { iin } => {
            let meta = store.metadata(&parse_iin(&iin)?)?;
            let rows: Vec<_> = meta
                .iter()
                .map(|m| serde_json::json!({"model": m.model_id, "enrolled_at": m.enrolled_at, "source": m.source, "quality": m.quality}))
                .collect();
            println!("{}", serde_json::json!({ "references": rows }));
        }
        ReferencesAction::Delete { iin } => {
            let removed = store.delete(&parse_iin(&iin)?)?;
            println!("{}", serde_json::json!({ "deleted": removed }));
        }
        ReferencesAction::Rekey => {
            let resealed = store.rekey()?;
            let keys: serde_json::Map<String, serde_json::Value> =
                store.key_usage()?.into_iter().map(|(k, n)| (k, n.into())).collect();
            println!("{}", serde_json::json!({ "resealed": resealed, "templates_by_key": keys }));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Derives templates from ГБД ФЛ photos with the same engine and model as the probe.
struct EngineSource {
    enroller: Arc<Enroller>,
    model_id: String,
}

impl TemplateSource for EngineSource {
    fn model_id(&self) -> &str {
        &self.model_id
    }
    fn derive(&self, photo: &[u8]) -> Result<(Vec<u8>, f32), DeriveError> {
        match self.enroller.photo_bytes(photo, Path::new("reference photo")).into_iter().next() {
            Some((Ok(t), _)) => Ok((t.to_bytes(), t.quality())),
            Some((Err(e), _)) => Err(DeriveError::Unusable(format!("{}: {}", e.code, e.message))),
            None => Err(DeriveError::Unusable("no recognizer".into())),
        }
    }
}

/// The reference template of `iin` for `model`: from the store, else from ГБД ФЛ when configured
/// (see [`find_current_reference`]). The ГБД ФЛ configuration is read only when the store has nothing.
pub fn reference_template(
    args: &StoreArgs,
    enroller: Arc<Enroller>,
    iin: &str,
    model: RecognitionModel,
) -> Result<Template, ErrorBody> {
    let iin = Iin::parse(iin).map_err(|e| ErrorBody::new(ErrorCode::from(&e), e.to_string()))?;
    let store = ReferenceStore::locate(&args.location())
        .map_err(|e| ErrorBody::new(ErrorCode::ReferenceUnavailable, e.to_string()))?;
    let register = || -> Result<Option<GbdClient>, ReferenceError> {
        let Some(path) = &args.gbd_config else {
            return Ok(None);
        };
        let unavailable = |e: &dyn std::fmt::Display| ReferenceError::unavailable(e.to_string());
        let text = std::fs::read_to_string(path).map_err(|e| unavailable(&e))?;
        #[derive(serde::Deserialize)]
        struct File {
            gbd: GbdConfig,
        }
        let cfg: File = toml::from_str(&text).map_err(|e| unavailable(&e))?;
        let source = Arc::new(EngineSource { enroller, model_id: model.id().to_string() });
        GbdClient::new(cfg.gbd, source).map(Some).map_err(|e| unavailable(&e))
    };
    let version = model.version();
    let current = |r: &TemplateRecord| r.made_with(&version);
    let (record, _) =
        find_current_reference(&store, &iin, model.id(), current, register).map_err(|e| match e {
            LookupError::Store(e) => ErrorBody::new(ErrorCode::ReferenceUnavailable, e.to_string()),
            LookupError::NotEnrolled => ErrorBody::new(ErrorCode::ReferenceNotFound, e.to_string()),
            LookupError::Outdated { .. } => ErrorBody::new(ErrorCode::ReferenceOutdated, e.to_string()),
            LookupError::Register(e) => ErrorBody::new(ErrorCode::from(&e), e.to_string()),
        })?;
    Template::from_bytes(&record.template)
        .map_err(|e| ErrorBody::new(ErrorCode::ReferenceInvalid, e.to_string()))
}
