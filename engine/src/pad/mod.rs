//! Passive presentation-attack detection (PAD) on one RGB frame: is the face in front of the
//! camera a live person, or a print, a screen, a mask? A pure function of the pixels and the face
//! the detector found: each model sees its own context crop around the face box, and the
//! ensemble's mean live probability becomes an attack probability in [0, 1].
//!
//! One frame without depth, infrared or challenge-response stops what leaves traces in the
//! pixels (print texture, moiré, a bezel or paper edge in the crop); it cannot be trusted against
//! a good replay on a large screen or a 3D mask (README, Presentation-attack detection).

pub mod crop;
mod member;
mod profile;
mod resample;

pub use member::PadModel;
pub use profile::PadProfile;

use crate::detect::BoundingBox;
use crate::error::Result;
use crate::models::load_model;
use crate::runtime::{Backend, Model};
use image::RgbImage;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Arc;

/// The verdict at a profile's operating point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PadDecision {
    Live,
    Attack,
}

/// One model's opinion.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ModelScore {
    pub model: PadModel,
    /// The model's probability that the face is live.
    pub live: f32,
}

/// What the ensemble saw on one face.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Liveness {
    /// Attack probability: 1 minus the mean of the models' live probabilities.
    pub score: f32,
    pub models: Vec<ModelScore>,
}

impl Liveness {
    /// Attack at or above the profile's threshold.
    pub fn decide(&self, pad: &PadProfile) -> PadDecision {
        if self.score >= pad.threshold { PadDecision::Attack } else { PadDecision::Live }
    }

    /// One model's live probability, when it took part.
    pub fn live_of(&self, model: PadModel) -> Option<f32> {
        self.models.iter().find(|m| m.model == model).map(|m| m.live)
    }
}

/// The loaded PAD models, shared by every thread.
pub struct PadDetector {
    members: Vec<(PadModel, Arc<dyn Model>)>,
}

impl PadDetector {
    /// Loads and verifies `members` (usually [`PadModel::KIOSK`]).
    pub fn load(models_dir: &Path, backend: &Backend, members: &[PadModel]) -> Result<Self> {
        let members = members
            .iter()
            .map(|&m| Ok((m, load_model(models_dir, m.model_id(), backend)?)))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { members })
    }

    /// Runs every member on the face `face` of `img`.
    pub fn assess(&self, img: &RgbImage, face: &BoundingBox) -> Result<Liveness> {
        let mut models = Vec::with_capacity(self.members.len());
        for (m, model) in &self.members {
            let out = model.run(m.input(img, face)?.view())?;
            let row = out[0].as_slice().expect("contiguous output");
            models.push(ModelScore { model: *m, live: m.live_probability(row) });
        }
        let live = models.iter().map(|s| s.live).sum::<f32>() / models.len().max(1) as f32;
        Ok(Liveness { score: (1.0 - live).clamp(0.0, 1.0), models })
    }
}
