//! Typed recognition errors, each with a stable machine code like [`crate::EngineError`]'s.

use crate::error::EngineError;
use thiserror::Error;

/// Why a template could not be made, read or compared.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum RecognitionError {
    /// The image decoded but no face was found (or the main face has no landmarks).
    #[error("no face found")]
    NoFace,
    /// The five landmarks are degenerate, so no alignment crop exists.
    #[error("the face's landmarks are degenerate; cannot align")]
    AlignmentFailed,
    /// Two templates from different models (or model versions): their scores mean nothing.
    #[error("template model mismatch: {a} vs {b}")]
    ModelMismatch { a: String, b: String },
    /// A template, or the values offered for one, is malformed.
    #[error("invalid template: {0}")]
    InvalidTemplate(#[from] TemplateDefect),
    /// Decoding, model loading or inference failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl RecognitionError {
    /// The stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NoFace => "no_face",
            Self::AlignmentFailed => "alignment_failed",
            Self::ModelMismatch { .. } => "template_model_mismatch",
            Self::InvalidTemplate(_) => "invalid_template",
            Self::Engine(e) => e.code(),
        }
    }
}

/// What exactly is wrong with a template. Serialised forms are checked field by field so a
/// damaged or foreign blob is refused with a reason instead of yielding a wrong score.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum TemplateDefect {
    #[error("bad magic: not a Sapa template")]
    BadMagic,
    #[error("unsupported format version {0}")]
    UnsupportedVersion(u8),
    #[error("wrong length: {0}")]
    Length(String),
    #[error("checksum mismatch: damaged template")]
    Checksum,
    #[error("not base64: {0}")]
    Base64(String),
    #[error("embedding is empty")]
    Empty,
    #[error("embedding has a non-finite value")]
    NonFinite,
    #[error("embedding has zero norm")]
    ZeroNorm,
    #[error("quality {0} is outside [0, 1]")]
    Quality(f32),
    #[error("bad {0} field")]
    Field(&'static str),
}
