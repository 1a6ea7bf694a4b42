//! Verification thresholds and the default model, from `models/recognition.toml`. Thresholds are
//! measured data, re-calibrated as the evaluation sets grow, so they live in config, not code.

use super::calibration::Basis;
use super::model::RecognitionModel;
use super::usability::UsabilityLimits;
use crate::error::{EngineError, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The file name inside the models directory.
pub const CONFIG_FILE: &str = "recognition.toml";
/// The repository's calibration, built in as the fallback when the models directory has none.
pub const EMBEDDED_TOML: &str = include_str!("../../../models/recognition.toml");

/// Which model verifies by default, at which operating point, and every model's thresholds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecognitionConfig {
    pub default_model: RecognitionModel,
    /// The default operating point, as a target false match rate.
    pub default_fmr: f64,
    /// When a face is too poor to decide a comparison on (`retake`, `reference_unusable`).
    pub usability: UsabilityLimits,
    #[serde(rename = "model")]
    pub models: Vec<ModelCalibration>,
}

/// One model's calibration.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelCalibration {
    pub id: RecognitionModel,
    /// The template version the scores were measured with: thresholds of another pre-processing
    /// revision do not apply.
    pub template_version: String,
    /// Date of the calibration run (YYYY-MM-DD).
    pub calibrated_on: String,
    pub calibration_set: String,
    pub genuine_comparisons: usize,
    pub impostor_comparisons: usize,
    /// The held-out split the thresholds were checked on (never chosen on).
    #[serde(default)]
    pub held_out_genuine: usize,
    #[serde(default)]
    pub held_out_impostor: usize,
    #[serde(rename = "threshold")]
    pub thresholds: Vec<OperatingPoint>,
}

/// A threshold for one target FMR (match when `score >= score`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OperatingPoint {
    pub fmr: f64,
    pub score: f32,
    pub basis: Basis,
    pub method: String,
    /// The FMR and FNMR this threshold gave on the held-out split, with 95% intervals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_out: Option<String>,
}

impl RecognitionConfig {
    /// Parses and checks a configuration text.
    pub fn parse(text: &str) -> Result<Self> {
        let config: Self =
            toml::from_str(text).map_err(|e| EngineError::Config(format!("{CONFIG_FILE}: {e}")))?;
        config.calibration(config.default_model)?;
        config.operating_point(config.default_model, config.default_fmr)?;
        Ok(config)
    }

    /// `models_dir/recognition.toml` when present, else the built-in calibration.
    pub fn load(models_dir: &Path) -> Result<Self> {
        let path = models_dir.join(CONFIG_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::parse(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Self::embedded(),
            Err(e) => Err(EngineError::Config(format!("{}: {e}", path.display()))),
        }
    }

    pub fn embedded() -> Result<Self> {
        Self::parse(EMBEDDED_TOML)
    }

    /// The calibration of `model`.
    pub fn calibration(&self, model: RecognitionModel) -> Result<&ModelCalibration> {
        self.models
            .iter()
            .find(|m| m.id == model)
            .ok_or_else(|| EngineError::Config(format!("{CONFIG_FILE} has no thresholds for {model}")))
    }

    /// The threshold of `model` at target FMR `fmr` (one of the calibrated points). Anything
    /// else, infinities and NaN included, is refused with the points there are.
    pub fn operating_point(&self, model: RecognitionModel, fmr: f64) -> Result<&OperatingPoint> {
        let cal = self.calibration(model)?;
        let found =
            cal.thresholds.iter().find(|p| fmr.is_finite() && (p.fmr - fmr).abs() <= fmr.abs() * 1e-6);
        found.ok_or_else(|| {
            let have: Vec<String> = cal.thresholds.iter().map(|p| format!("{:e}", p.fmr)).collect();
            EngineError::Config(format!(
                "fmr={fmr} is not a calibrated operating point of {model}; use one of {}",
                have.join(", ")
            ))
        })
    }
}
