//! The template: one face's embedding, tagged with the model that made it and the quality of the
//! face it came from. Fields are private and every constructor validates, so a `Template` always
//! holds a finite, L2-normalised embedding with a known origin.

use super::error::{RecognitionError, TemplateDefect};

/// Longest model id or version a template carries (they are stored with a one-byte length).
pub const MAX_TAG_LEN: usize = 255;
/// Largest embedding dimension a template carries (stored as a u16).
pub const MAX_DIM: usize = u16::MAX as usize;
/// How far a stored embedding's norm may drift from 1 (f32 rounding) before it is refused.
const NORM_TOLERANCE: f32 = 1e-3;

/// A face template, ready to compare with another template of the same model and version.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    model_id: String,
    model_version: String,
    quality: f32,
    embedding: Box<[f32]>,
}

impl Template {
    /// Builds a template from a raw (un-normalised) embedding. `quality` is in [0, 1].
    pub fn new(
        model_id: &str,
        model_version: &str,
        quality: f32,
        raw: &[f32],
    ) -> Result<Self, TemplateDefect> {
        check_tag(model_id, "model id")?;
        check_tag(model_version, "model version")?;
        check_quality(quality)?;
        let norm = checked_norm(raw)?;
        let embedding = raw.iter().map(|v| v / norm).collect::<Box<[f32]>>();
        Ok(Self {
            model_id: model_id.to_owned(),
            model_version: model_version.to_owned(),
            quality,
            embedding,
        })
    }

    /// Rebuilds a template whose embedding is already normalised (as read from storage), keeping
    /// the values bit for bit.
    pub(crate) fn from_normalised(
        model_id: String,
        model_version: String,
        quality: f32,
        embedding: Vec<f32>,
    ) -> Result<Self, TemplateDefect> {
        check_tag(&model_id, "model id")?;
        check_tag(&model_version, "model version")?;
        check_quality(quality)?;
        let norm = checked_norm(&embedding)?;
        if (norm - 1.0).abs() > NORM_TOLERANCE {
            return Err(TemplateDefect::Field("embedding norm"));
        }
        Ok(Self { model_id, model_version, quality, embedding: embedding.into_boxed_slice() })
    }

    /// The manifest id of the model that made this template.
    pub fn model_id(&self) -> &str {
        &self.model_id
    }

    /// The model file and pre-processing revision (see [`super::RecognitionModel::version`]).
    pub fn model_version(&self) -> &str {
        &self.model_version
    }

    /// Quality of the source face in [0, 1] (see [`super::face_quality`]).
    pub fn quality(&self) -> f32 {
        self.quality
    }

    /// The L2-normalised embedding.
    pub fn embedding(&self) -> &[f32] {
        &self.embedding
    }

    pub fn dim(&self) -> usize {
        self.embedding.len()
    }

    /// Cosine similarity in [-1, 1], higher = more alike. Templates of different models or model
    /// versions are not comparable: that is an error, never a number.
    pub fn similarity(&self, other: &Template) -> Result<f32, RecognitionError> {
        if self.model_id != other.model_id
            || self.model_version != other.model_version
            || self.dim() != other.dim()
        {
            return Err(RecognitionError::ModelMismatch {
                a: format!("{}@{}", self.model_id, self.model_version),
                b: format!("{}@{}", other.model_id, other.model_version),
            });
        }
        let dot: f32 = self.embedding.iter().zip(other.embedding.iter()).map(|(a, b)| a * b).sum();
        Ok(dot.clamp(-1.0, 1.0))
    }
}

fn check_tag(tag: &str, what: &'static str) -> Result<(), TemplateDefect> {
    if tag.is_empty() || tag.len() > MAX_TAG_LEN || tag.chars().any(char::is_control) {
        Err(TemplateDefect::Field(what))
    } else {
        Ok(())
    }
}

fn check_quality(q: f32) -> Result<(), TemplateDefect> {
    if (0.0..=1.0).contains(&q) { Ok(()) } else { Err(TemplateDefect::Quality(q)) }
}

/// The L2 norm, refusing empty, oversized, non-finite and zero vectors.
fn checked_norm(v: &[f32]) -> Result<f32, TemplateDefect> {
    if v.is_empty() {
        return Err(TemplateDefect::Empty);
    }
    if v.len() > MAX_DIM {
        return Err(TemplateDefect::Length(format!("dimension {} over {MAX_DIM}", v.len())));
    }
    if v.iter().any(|x| !x.is_finite()) {
        return Err(TemplateDefect::NonFinite);
    }
    let norm = v.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt() as f32;
    if norm > f32::MIN_POSITIVE && norm.is_finite() { Ok(norm) } else { Err(TemplateDefect::ZeroNorm) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_normalises_and_validates() {
        let t = Template::new("m", "v", 0.5, &[3.0, 4.0]).unwrap();
        assert_eq!(t.embedding(), &[0.6, 0.8]);
        assert_eq!(Template::new("m", "v", 0.5, &[0.0, 0.0]), Err(TemplateDefect::ZeroNorm));
        assert_eq!(Template::new("m", "v", 0.5, &[f32::NAN, 1.0]), Err(TemplateDefect::NonFinite));
        assert_eq!(Template::new("m", "v", 1.5, &[1.0]), Err(TemplateDefect::Quality(1.5)));
        assert!(Template::new("", "v", 0.5, &[1.0]).is_err());
    }

    #[test]
    fn different_models_do_not_compare() {
        let a = Template::new("a", "1", 1.0, &[1.0, 0.0]).unwrap();
        let b = Template::new("b", "1", 1.0, &[1.0, 0.0]).unwrap();
        let a2 = Template::new("a", "2", 1.0, &[1.0, 0.0]).unwrap();
        assert_eq!(a.similarity(&b).unwrap_err().code(), "template_model_mismatch");
        assert!(a.similarity(&a2).is_err());
        assert!((a.similarity(&a).unwrap() - 1.0).abs() < 1e-6);
    }
}
