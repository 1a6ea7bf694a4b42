//! `models/manifest.toml`, parsed once and embedded in the binary.

use crate::error::{EngineError, Result};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// The manifest text as built into this engine.
pub const MANIFEST_TOML: &str = include_str!("../../../models/manifest.toml");

/// Every model Sapa may load, with provenance and tensor layout.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    #[serde(rename = "model")]
    pub models: Vec<ModelSpec>,
}

/// One model: where it comes from, what it expects, what it returns.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelSpec {
    pub id: String,
    pub file: String,
    pub sha256: String,
    pub role: String,
    pub version: String,
    pub source: String,
    pub licence: String,
    pub conversion: String,
    pub input: InputSpec,
    pub outputs: Vec<OutputSpec>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InputSpec {
    pub name: String,
    pub shape: Vec<usize>,
    pub layout: String,
    pub colour: String,
    pub normalisation: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutputSpec {
    pub name: String,
    pub shape: Vec<usize>,
    pub meaning: String,
}

impl Manifest {
    /// The spec of model `id`, or a model error naming it.
    pub fn get(&self, id: &str) -> Result<&ModelSpec> {
        self.models
            .iter()
            .find(|m| m.id == id)
            .ok_or_else(|| EngineError::Model(format!("model {id} is not in the manifest")))
    }
}

/// The embedded manifest. It is checked by a unit test, so parsing cannot fail in a released build.
pub fn manifest() -> &'static Manifest {
    static MANIFEST: OnceLock<Manifest> = OnceLock::new();
    MANIFEST.get_or_init(|| toml::from_str(MANIFEST_TOML).expect("embedded models/manifest.toml is valid"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_manifest_parses_and_is_complete() {
        let m: Manifest = toml::from_str(MANIFEST_TOML).unwrap();
        assert!(!m.models.is_empty());
        for spec in &m.models {
            assert_eq!(spec.sha256.len(), 64, "{}", spec.id);
            assert!(!spec.outputs.is_empty(), "{}", spec.id);
            assert!(!spec.licence.is_empty(), "{}", spec.id);
        }
    }
}
