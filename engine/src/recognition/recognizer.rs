//! Turning an analysed face into a template with one recognition model.

use super::error::RecognitionError;
use super::model::{ColourOrder, RecognitionModel};
use super::template::Template;
use crate::align::five_points;
use crate::analyze::{Analysis, Face};
use crate::error::{EngineError, Result};
use crate::models::load_model;
use crate::runtime::{Backend, Model};
use image::RgbImage;
use std::path::Path;
use std::sync::Arc;

/// A loaded recognition model, shared by every thread.
pub struct Recognizer {
    kind: RecognitionModel,
    order: ColourOrder,
    version: String,
    net: Arc<dyn Model>,
}

impl Recognizer {
    /// Loads (and sha256-checks) the model's file from `models_dir`.
    pub fn load(models_dir: &Path, kind: RecognitionModel, backend: &Backend) -> Result<Self> {
        Ok(Self {
            kind,
            order: kind.colour_order(),
            version: kind.version(),
            net: load_model(models_dir, kind.id(), backend)?,
        })
    }

    /// Feeds the network the other colour order: for measuring which one a model was trained
    /// on. The version tag says so, so such templates never compare with normal ones.
    pub fn with_colour_order(mut self, order: ColourOrder) -> Self {
        if order != self.kind.colour_order() {
            self.version = format!("{}.{order:?}", self.kind.version()).to_lowercase();
        }
        self.order = order;
        self
    }

    pub fn model(&self) -> RecognitionModel {
        self.kind
    }

    /// The version tag of the templates this recognizer makes.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The raw embedding of an already aligned crop.
    pub fn embed_chip(&self, chip: &RgbImage) -> Result<Vec<f32>> {
        let out = self.net.run(self.kind.tensor(chip, self.order).view())?;
        out.into_iter()
            .next()
            .map(|t| t.iter().copied().collect())
            .ok_or_else(|| EngineError::Inference(format!("{} gave no output", self.kind)))
    }

    /// The template of one meshed face in `img`.
    pub fn template(&self, img: &RgbImage, face: &Face) -> Result<Template, RecognitionError> {
        let lm = face.landmarks.as_ref().ok_or(RecognitionError::NoFace)?;
        let points = five_points(&lm.mesh, &lm.measures);
        let chip = self.kind.align(img, &points).ok_or(RecognitionError::AlignmentFailed)?;
        let raw = self.embed_chip(&chip)?;
        let quality = face_quality(face);
        Ok(Template::new(self.kind.id(), &self.version, quality, &raw)?)
    }

    /// The template of the main (largest) face of an analysis of `img`.
    pub fn template_of_main_face(
        &self,
        img: &RgbImage,
        analysis: &Analysis,
    ) -> Result<Template, RecognitionError> {
        let face = analysis.main_face().ok_or(RecognitionError::NoFace)?;
        self.template(img, face)
    }
}

/// A provisional face quality in [0, 1]: detector confidence times the mesh's face-presence
/// score. Both fall on blurred, occluded, tiny or strongly turned faces, which are the faces
/// that match poorly. Validation will later supply a proper (ISO/IEC 29794-5 style) quality.
pub fn face_quality(face: &Face) -> f32 {
    let presence = face.landmarks.as_ref().map(|l| l.mesh.presence).unwrap_or(0.0);
    let q = face.detection.score * presence;
    if q.is_finite() { q.clamp(0.0, 1.0) } else { 0.0 }
}
