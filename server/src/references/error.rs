//! Errors of a reference lookup, with stable codes the portal and kiosks can branch on.

use super::iin::IinError;

/// Why no reference template could be produced. Messages never contain the IIN, the URL or any
/// response body, so they are safe to log and to return to a client.
#[derive(Debug, thiserror::Error)]
pub enum ReferenceError {
    /// The IIN failed validation; nothing was requested.
    #[error(transparent)]
    InvalidIin(#[from] IinError),
    /// The register answered that it holds no photo for this person (HTTP 404). Not retried:
    /// asking again will not make one appear.
    #[error("the reference source holds no photo for this person")]
    NotFound,
    /// The register could not be asked or did not answer usefully: timeouts, connection
    /// errors, 5xx after retries, rejected credentials, or the circuit breaker is open.
    /// Transient from the applicant's point of view: try later or fall back to another channel.
    #[error("reference source unavailable: {reason}")]
    Unavailable { reason: String },
    /// A photo came back but cannot serve as a reference: too large, empty, or no template
    /// could be derived from it (no face, unreadable image).
    #[error("reference photo unusable: {reason}")]
    Invalid { reason: String },
}

impl ReferenceError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ReferenceError::InvalidIin(_) => IinError::CODE,
            ReferenceError::NotFound => "reference_not_found",
            ReferenceError::Unavailable { .. } => "reference_unavailable",
            ReferenceError::Invalid { .. } => "reference_invalid",
        }
    }

    /// Whether the same request may succeed later without anything changing on our side.
    pub fn is_transient(&self) -> bool {
        matches!(self, ReferenceError::Unavailable { .. })
    }

    pub(crate) fn unavailable(reason: impl Into<String>) -> Self {
        ReferenceError::Unavailable { reason: reason.into() }
    }

    pub(crate) fn invalid(reason: impl Into<String>) -> Self {
        ReferenceError::Invalid { reason: reason.into() }
    }
}
