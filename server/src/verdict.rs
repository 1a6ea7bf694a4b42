//! A verification answer as the CLI and the API give it: the engine's [`Verdict`] and, for
//! `retake` and `reference_unusable`, what was too poor and the citizen's message about it.

use sapa_engine::recognition::{Usability, Verdict};
use sapa_engine::validate::{Lang, messages};
use serde::Serialize;

/// One measure that made a photo too poor to decide on.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PoorPhoto {
    /// `probe` or `reference`.
    pub photo: &'static str,
    /// `face_too_small`, `turned`, `blurred`, `dark` or `obscured`.
    pub reason: &'static str,
    /// The measure, e.g. `edge_sharpness`.
    pub measure: &'static str,
    pub value: Option<f32>,
    pub threshold: f32,
    /// What the citizen should change, in the requested language.
    pub message: &'static str,
}

/// The measures behind a `retake` (the probe's) or a `reference_unusable` (the reference's).
pub fn poor_photos(verdict: Verdict, probe: &Usability, reference: &Usability, lang: Lang) -> Vec<PoorPhoto> {
    let (photo, usability) = match verdict {
        Verdict::Retake => ("probe", probe),
        Verdict::ReferenceUnusable => ("reference", reference),
        Verdict::Match | Verdict::NoMatch => return Vec::new(),
    };
    usability
        .measures
        .iter()
        .filter(|m| !m.passed)
        .map(|m| PoorPhoto {
            photo,
            reason: m.reason.code(),
            measure: m.name,
            value: m.value,
            threshold: m.threshold,
            message: messages::message(m.reason.message_code(), false, lang),
        })
        .collect()
}
