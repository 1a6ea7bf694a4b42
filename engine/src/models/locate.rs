//! Finding the model directory so that a newcomer's first run just works.

use crate::error::{EngineError, Result};
use std::path::{Path, PathBuf};

/// Environment variable that overrides where models are read from.
pub const MODELS_ENV: &str = "SAPA_MODELS";

/// Picks the model directory: an explicit path, else `$SAPA_MODELS`, else `models/` beside the
/// executable (an installed layout), else the workspace's own `models/` (a source checkout).
pub fn locate_models_dir(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(dir) = explicit {
        return check(dir.to_path_buf());
    }
    if let Some(dir) = std::env::var_os(MODELS_ENV) {
        return check(PathBuf::from(dir));
    }
    let mut candidates = Vec::new();
    if let Some(bin_dir) = std::env::current_exe().ok().and_then(|e| e.parent().map(Path::to_path_buf)) {
        candidates.push(bin_dir.join("models"));
        candidates.push(bin_dir.join("../share/sapa/models"));
    }
    candidates.push(PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../models")));
    candidates.into_iter().find(|d| d.join("manifest.toml").is_file()).ok_or_else(|| {
        EngineError::Model(format!("no models directory found: pass --models DIR or set {MODELS_ENV}"))
    })
}

fn check(dir: PathBuf) -> Result<PathBuf> {
    if dir.is_dir() {
        Ok(dir)
    } else {
        Err(EngineError::Model(format!("models directory {} does not exist", dir.display())))
    }
}
