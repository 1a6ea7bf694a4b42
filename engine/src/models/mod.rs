//! The model manifest and model loading. The manifest is compiled into the engine, so a model
//! directory can never vouch for itself: a file whose sha256 differs from the pinned one is refused.

pub mod locate;
pub mod manifest;

pub use locate::locate_models_dir;
pub use manifest::{InputSpec, Manifest, ModelSpec, OutputSpec, manifest};

use crate::error::{EngineError, Result};
use crate::runtime::{Backend, Model};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::Arc;

/// Reads one model from `dir`, checks its sha256 against the manifest and prepares it on `backend`.
pub fn load_model(dir: &Path, id: &str, backend: &Backend) -> Result<Arc<dyn Model>> {
    let spec = manifest().get(id)?;
    let path = dir.join(&spec.file);
    let bytes = std::fs::read(&path).map_err(|e| {
        EngineError::Model(format!("model {} missing or unreadable at {}: {e}", spec.id, path.display()))
    })?;
    verify_sha256(spec, &bytes)?;
    backend.load(spec, &bytes)
}

/// Refuses bytes whose sha256 is not the one the manifest pins for `spec`.
pub fn verify_sha256(spec: &ModelSpec, bytes: &[u8]) -> Result<()> {
    let got = hex::encode(Sha256::digest(bytes));
    if got == spec.sha256 {
        Ok(())
    } else {
        Err(EngineError::Model(format!(
            "model {} ({}) has sha256 {got}, the manifest requires {}: wrong or damaged file",
            spec.id, spec.file, spec.sha256
        )))
    }
}
