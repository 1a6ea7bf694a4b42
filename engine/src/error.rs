//! Typed engine errors. Every variant has a stable machine code: clients branch on the code,
//! people read the message. Codes never change once published.

use thiserror::Error;

/// What went wrong, with a stable code from [`EngineError::code`].
#[derive(Debug, Error, Clone, PartialEq)]
pub enum EngineError {
    /// Zero bytes were given.
    #[error("the input is empty")]
    EmptyInput,
    /// The bytes are not an image format Sapa reads (JPEG, PNG, WebP, JPEG 2000).
    #[error("unsupported image format: {0}")]
    UnsupportedFormat(String),
    /// The format was recognised but the data is damaged or truncated.
    #[error("corrupt image: {0}")]
    CorruptImage(String),
    /// Bytes or pixel dimensions exceed the configured limits (checked before decoding).
    #[error("image too large: {0}")]
    ImageTooLarge(String),
    /// The image is smaller than the minimum a face can be analysed in.
    #[error("image too small: {0}")]
    ImageTooSmall(String),
    /// Signature-pad stroke data that cannot be drawn (no finite points, too many, time backwards).
    #[error("invalid strokes: {0}")]
    InvalidStrokes(String),
    /// A model file is missing, unreadable, or does not match its manifest sha256.
    #[error("model error: {0}")]
    Model(String),
    /// The inference backend failed or is not available in this build.
    #[error("inference error: {0}")]
    Inference(String),
    /// A configuration value is invalid.
    #[error("invalid configuration: {0}")]
    Config(String),
}

impl EngineError {
    /// The stable, machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            EngineError::EmptyInput => "empty_input",
            EngineError::UnsupportedFormat(_) => "unsupported_format",
            EngineError::CorruptImage(_) => "corrupt_image",
            EngineError::ImageTooLarge(_) => "image_too_large",
            EngineError::ImageTooSmall(_) => "image_too_small",
            EngineError::InvalidStrokes(_) => "invalid_strokes",
            EngineError::Model(_) => "model_error",
            EngineError::Inference(_) => "inference_error",
            EngineError::Config(_) => "invalid_config",
        }
    }

    /// True when the caller's input is at fault (a 4xx), false for a server-side fault.
    pub fn is_input_error(&self) -> bool {
        matches!(
            self,
            EngineError::EmptyInput
                | EngineError::UnsupportedFormat(_)
                | EngineError::CorruptImage(_)
                | EngineError::ImageTooLarge(_)
                | EngineError::ImageTooSmall(_)
                | EngineError::InvalidStrokes(_)
        )
    }
}

pub type Result<T, E = EngineError> = std::result::Result<T, E>;
