//! Every error code a client of the CLI or the service can see, as one enum: a typo is a compile
//! error, the catalogue of messages is keyed by it (an unknown key fails at load), and the OpenAPI
//! document lists the values. Serialised as the stable snake_case string.

use crate::references::{IinError, ReferenceError};
use sapa_engine::EngineError;
use sapa_engine::recognition::RecognitionError;
use serde::{Deserialize, Serialize};

macro_rules! codes {
    ($($(#[$doc:meta])* $variant:ident = $text:literal,)*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum ErrorCode {
            $($(#[$doc])* $variant,)*
        }

        impl ErrorCode {
            /// Every code, in declaration order.
            pub const ALL: &[ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The stable string (what `serde` writes).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $text,)*
                }
            }
        }
    };
}

codes! {
    // The photo as bytes (the engine's intake).
    /// The body or file is empty.
    EmptyInput = "empty_input",
    /// Not a format Sapa reads, or an animation.
    UnsupportedFormat = "unsupported_format",
    /// The decoder found the file broken.
    CorruptImage = "corrupt_image",
    /// Over the byte or pixel limits.
    ImageTooLarge = "image_too_large",
    /// Too small to hold an analysable face.
    ImageTooSmall = "image_too_small",
    /// Signature pad strokes that cannot be drawn.
    InvalidStrokes = "invalid_strokes",
    // Recognition.
    /// No face to make a template from.
    NoFace = "no_face",
    /// The face could not be aligned for the recogniser.
    AlignmentFailed = "alignment_failed",
    /// A template made by another model.
    TemplateModelMismatch = "template_model_mismatch",
    /// A damaged or foreign template.
    InvalidTemplate = "invalid_template",
    // The request.
    /// The body is over the route's limit.
    PayloadTooLarge = "payload_too_large",
    /// The body did not arrive in time.
    RequestTimeout = "request_timeout",
    /// Not an image content type.
    UnsupportedMediaType = "unsupported_media_type",
    /// A required multipart part or field is missing.
    MissingField = "missing_field",
    /// A multipart part is given twice.
    DuplicateField = "duplicate_field",
    /// A capture burst has more frames than `[kiosk] max_capture_frames`.
    TooManyFrames = "too_many_frames",
    /// A malformed query, body or multipart stream.
    BadRequest = "bad_request",
    /// No such validation profile.
    UnknownProfile = "unknown_profile",
    /// No such route.
    NotFound = "not_found",
    /// The route does not take this method.
    MethodNotAllowed = "method_not_allowed",
    // Access.
    /// No API key was given.
    MissingApiKey = "missing_api_key",
    /// The API key is not recognised.
    InvalidApiKey = "invalid_api_key",
    /// The key lacks the route's scope.
    InsufficientScope = "insufficient_scope",
    // References.
    /// The IIN fails its format or check digit.
    InvalidIin = "invalid_iin",
    /// No reference for this IIN.
    ReferenceNotFound = "reference_not_found",
    /// The reference was made by an older model.
    ReferenceOutdated = "reference_outdated",
    /// The register or the store cannot be reached now.
    ReferenceUnavailable = "reference_unavailable",
    /// The reference photo or row cannot be used.
    ReferenceInvalid = "reference_invalid",
    // Capacity.
    /// Every worker and queue place is taken.
    Overloaded = "overloaded",
    /// The request's deadline passed.
    DeadlineExceeded = "deadline_exceeded",
    // The server's own faults (5xx).
    /// A model file is missing or does not match its manifest.
    ModelError = "model_error",
    /// The inference backend failed.
    InferenceError = "inference_error",
    /// A configuration value is invalid.
    InvalidConfig = "invalid_config",
    /// Anything else on our side.
    InternalError = "internal_error",
    // The CLI.
    /// An input file cannot be read.
    UnreadableFile = "unreadable_file",
    /// An output file cannot be written.
    UnwritableFile = "unwritable_file",
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl From<&EngineError> for ErrorCode {
    fn from(e: &EngineError) -> Self {
        match e {
            EngineError::EmptyInput => ErrorCode::EmptyInput,
            EngineError::UnsupportedFormat(_) => ErrorCode::UnsupportedFormat,
            EngineError::CorruptImage(_) => ErrorCode::CorruptImage,
            EngineError::ImageTooLarge(_) => ErrorCode::ImageTooLarge,
            EngineError::ImageTooSmall(_) => ErrorCode::ImageTooSmall,
            EngineError::InvalidStrokes(_) => ErrorCode::InvalidStrokes,
            EngineError::Model(_) => ErrorCode::ModelError,
            EngineError::Inference(_) => ErrorCode::InferenceError,
            EngineError::Config(_) => ErrorCode::InvalidConfig,
        }
    }
}

impl From<&RecognitionError> for ErrorCode {
    fn from(e: &RecognitionError) -> Self {
        match e {
            RecognitionError::NoFace => ErrorCode::NoFace,
            RecognitionError::AlignmentFailed => ErrorCode::AlignmentFailed,
            RecognitionError::ModelMismatch { .. } => ErrorCode::TemplateModelMismatch,
            RecognitionError::InvalidTemplate(_) => ErrorCode::InvalidTemplate,
            RecognitionError::Engine(inner) => inner.into(),
        }
    }
}

impl From<&ReferenceError> for ErrorCode {
    fn from(e: &ReferenceError) -> Self {
        match e {
            ReferenceError::InvalidIin(_) => ErrorCode::InvalidIin,
            ReferenceError::NotFound => ErrorCode::ReferenceNotFound,
            ReferenceError::Unavailable { .. } => ErrorCode::ReferenceUnavailable,
            ReferenceError::Invalid { .. } => ErrorCode::ReferenceInvalid,
        }
    }
}

impl From<&IinError> for ErrorCode {
    fn from(_: &IinError) -> Self {
        ErrorCode::InvalidIin
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_string_is_what_serde_writes_and_reads() {
        for &code in ErrorCode::ALL {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert_eq!(serde_json::from_str::<ErrorCode>(&json).unwrap(), code);
        }
        assert!(serde_json::from_str::<ErrorCode>("\"no_such_code\"").is_err());
    }

    #[test]
    fn every_source_code_string_is_one_of_ours() {
        // The engine and the reference side keep their own `code()` strings (the engine has no
        // server types); they must agree with the enum.
        let engine = [
            EngineError::EmptyInput,
            EngineError::UnsupportedFormat(String::new()),
            EngineError::CorruptImage(String::new()),
            EngineError::ImageTooLarge(String::new()),
            EngineError::ImageTooSmall(String::new()),
            EngineError::InvalidStrokes(String::new()),
            EngineError::Model(String::new()),
            EngineError::Inference(String::new()),
            EngineError::Config(String::new()),
        ];
        for e in &engine {
            assert_eq!(ErrorCode::from(e).as_str(), e.code());
        }
        for e in [RecognitionError::NoFace, RecognitionError::AlignmentFailed] {
            assert_eq!(ErrorCode::from(&e).as_str(), e.code());
        }
        for e in [
            ReferenceError::NotFound,
            ReferenceError::Unavailable { reason: String::new() },
            ReferenceError::Invalid { reason: String::new() },
        ] {
            assert_eq!(ErrorCode::from(&e).as_str(), e.code());
        }
    }
}
