//! Detection that does not give up on a tight crop. The full-range model misses a face that fills
//! the whole frame (a 150 px passport-style crop), the short-range model is built for exactly that,
//! and extra padding restores the context either model expects. Later stages run only when the
//! earlier ones found nothing, so an ordinary photo pays for one inference.

use super::{Detection, Detector};
use crate::error::Result;
use image::RgbImage;

/// One attempt: a detector and how much of its input square the image fills.
pub struct Stage {
    pub detector: Detector,
    pub fill: f32,
}

pub struct Cascade {
    stages: Vec<Stage>,
}

impl Cascade {
    pub fn new(stages: Vec<Stage>) -> Self {
        Self { stages }
    }

    /// The faces of the first stage that finds any, largest first.
    pub fn detect(&self, img: &RgbImage) -> Result<Vec<Detection>> {
        for stage in &self.stages {
            let faces = stage.detector.detect_padded(img, stage.fill)?;
            if !faces.is_empty() {
                return Ok(faces);
            }
        }
        Ok(Vec::new())
    }
}

impl Cascade {
    /// The faces `kind`'s detector finds on the whole frame, else those of the full cascade: a
    /// live camera frame holds one near face, which the short-range model finds at a third of the
    /// full-range model's cost.
    pub fn detect_preferring(&self, img: &RgbImage, kind: super::DetectorKind) -> Result<Vec<Detection>> {
        if let Some(stage) = self.stages.iter().find(|s| s.detector.config().kind == kind && s.fill == 1.0) {
            let faces = stage.detector.detect(img)?;
            if !faces.is_empty() {
                return Ok(faces);
            }
        }
        self.detect(img)
    }

    /// The first stage's detector, for extra passes with other padding.
    pub fn primary(&self) -> Option<&Detector> {
        self.stages.first().map(|s| &s.detector)
    }
}
