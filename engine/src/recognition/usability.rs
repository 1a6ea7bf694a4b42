//! Whether a face is good enough to decide a comparison on. A genuine pair scores low when one
//! photo is tiny, blurred, turned, dark or covered; answering "no match" then tells a citizen
//! "this is not you" when the truth is "this photo cannot say". So a comparison that fails the
//! threshold on a poor face answers `retake` (the probe) or `reference_unusable` (the
//! reference) instead, with the reason.
//!
//! The measures are the validation's own (inter-eye distance, head pose, edge sharpness, face
//! luminance), read from the analysis the template was made from, with limits far looser than
//! the document-photo profile: they mark where recognition stops being reliable, not where a
//! photo stops being ICAO-compliant. The limits live in `models/recognition.toml` `[usability]`.

use crate::analyze::Face;
use crate::quality::face_region::FaceRegion;
use crate::quality::sharpness::edge_sharpness;
use image::RgbImage;
use serde::{Deserialize, Serialize};

/// Why a face is too poor to decide on. Each maps to the validation code whose message tells
/// the citizen what to change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnusableReason {
    /// Too few pixels between the eyes.
    FaceTooSmall,
    /// The head is turned or tilted beyond what the models were trained to match.
    Turned,
    /// The face's edges are soft.
    Blurred,
    /// The face is too dark to show its features.
    Dark,
    /// The detector and the landmark model barely see a face (covered, cut off or distorted).
    Obscured,
}

impl UnusableReason {
    /// Every reason.
    pub const ALL: [Self; 5] = [Self::FaceTooSmall, Self::Turned, Self::Blurred, Self::Dark, Self::Obscured];

    /// The validation code whose kk/ru/en message names the fix.
    pub fn message_code(self) -> &'static str {
        match self {
            Self::FaceTooSmall => "face_too_small",
            Self::Turned => "turned_head",
            Self::Blurred => "blur",
            Self::Dark => "underexposed",
            Self::Obscured => "occlusion",
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::FaceTooSmall => "face_too_small",
            Self::Turned => "turned",
            Self::Blurred => "blurred",
            Self::Dark => "dark",
            Self::Obscured => "obscured",
        }
    }
}

/// Limits below (or above) which a face is too poor to decide on.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsabilityLimits {
    pub min_inter_eye_px: f32,
    pub max_yaw_deg: f32,
    pub max_pitch_deg: f32,
    pub min_edge_sharpness: f32,
    pub min_face_luminance: f32,
    /// Detector confidence times the mesh's face presence ([`super::face_quality`]); this is the
    /// one measure a stored reference template carries, so it also judges stored references.
    pub min_face_quality: f32,
}

/// One measure against its limit.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct UsabilityMeasure {
    pub reason: UnusableReason,
    pub name: &'static str,
    /// `None` when it could not be measured (which does not make the face unusable).
    pub value: Option<f32>,
    pub threshold: f32,
    pub passed: bool,
}

/// Every measure of one face.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Usability {
    pub measures: Vec<UsabilityMeasure>,
}

impl Usability {
    pub fn usable(&self) -> bool {
        self.measures.iter().all(|m| m.passed)
    }

    /// The distinct reasons that failed, in measure order.
    pub fn reasons(&self) -> Vec<UnusableReason> {
        let mut out: Vec<UnusableReason> = Vec::new();
        for m in self.measures.iter().filter(|m| !m.passed) {
            if !out.contains(&m.reason) {
                out.push(m.reason);
            }
        }
        out
    }

    /// A stored template's usability: only its face quality travels with it.
    pub fn of_stored(quality: f32, limits: &UsabilityLimits) -> Self {
        Self {
            measures: vec![min(
                UnusableReason::Obscured,
                "face_quality",
                Some(quality),
                limits.min_face_quality,
            )],
        }
    }
}

fn min(reason: UnusableReason, name: &'static str, value: Option<f32>, threshold: f32) -> UsabilityMeasure {
    let passed = value.is_none_or(|v| v >= threshold);
    UsabilityMeasure { reason, name, value, threshold, passed }
}

fn within(reason: UnusableReason, name: &'static str, value: f32, limit: f32) -> UsabilityMeasure {
    UsabilityMeasure { reason, name, value: Some(value), threshold: limit, passed: value.abs() <= limit }
}

/// The usability of `face` (as analysed in `img`). A face without landmarks has no template
/// either, so it is never assessed here.
pub fn assess(img: &RgbImage, face: &Face, limits: &UsabilityLimits) -> Usability {
    let Some(lm) = face.landmarks.as_ref() else {
        return Usability::default();
    };
    let region = FaceRegion::new(img, &lm.mesh, &lm.measures);
    let sharpness = region.as_ref().map(edge_sharpness);
    let luminance = region.as_ref().and_then(|r| {
        let face: Vec<f32> = r.face_pixels().map(|i| r.luma[i]).collect();
        (!face.is_empty()).then(|| face.iter().sum::<f32>() / face.len() as f32)
    });
    let (pose, net) = (lm.pose, lm.pose_net);
    use UnusableReason::*;
    Usability {
        measures: vec![
            min(FaceTooSmall, "inter_eye_px", Some(lm.measures.inter_eye_px), limits.min_inter_eye_px),
            within(Turned, "yaw_deg", (pose.yaw + net.yaw) / 2.0, limits.max_yaw_deg),
            within(Turned, "pitch_deg", (pose.pitch + net.pitch) / 2.0, limits.max_pitch_deg),
            min(Blurred, "edge_sharpness", sharpness, limits.min_edge_sharpness),
            min(Dark, "face_luminance", luminance, limits.min_face_luminance),
            min(Obscured, "face_quality", Some(super::face_quality(face)), limits.min_face_quality),
        ],
    }
}

/// The answer to a 1:1 comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Match,
    NoMatch,
    /// Below the threshold, and the probe is too poor to say why: take the photo again.
    Retake,
    /// Below the threshold, and the reference is too poor to decide on: route to an officer.
    ReferenceUnusable,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Match => "match",
            Self::NoMatch => "no_match",
            Self::Retake => "retake",
            Self::ReferenceUnusable => "reference_unusable",
        }
    }

    /// A score at or above the threshold is a match whatever the quality: the threshold holds
    /// its false match rate over all impostor photos, poor ones included. Below it, a poor probe
    /// asks for a retake before a poor reference is blamed, since the citizen can fix the probe.
    pub fn decide(score: f32, threshold: f32, probe: &Usability, reference: &Usability) -> Self {
        if score >= threshold {
            Self::Match
        } else if !probe.usable() {
            Self::Retake
        } else if !reference.usable() {
            Self::ReferenceUnusable
        } else {
            Self::NoMatch
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> UsabilityLimits {
        UsabilityLimits {
            min_inter_eye_px: 30.0,
            max_yaw_deg: 30.0,
            max_pitch_deg: 25.0,
            min_edge_sharpness: 0.3,
            min_face_luminance: 40.0,
            min_face_quality: 0.5,
        }
    }

    #[test]
    fn a_poor_probe_asks_for_a_retake_only_below_the_threshold() {
        let good = Usability::of_stored(0.9, &limits());
        let poor = Usability::of_stored(0.1, &limits());
        assert_eq!(Verdict::decide(0.8, 0.5, &poor, &good), Verdict::Match);
        assert_eq!(Verdict::decide(0.2, 0.5, &poor, &good), Verdict::Retake);
        assert_eq!(Verdict::decide(0.2, 0.5, &poor, &poor), Verdict::Retake);
        assert_eq!(Verdict::decide(0.2, 0.5, &good, &poor), Verdict::ReferenceUnusable);
        assert_eq!(Verdict::decide(0.2, 0.5, &good, &good), Verdict::NoMatch);
        assert_eq!(poor.reasons(), vec![UnusableReason::Obscured]);
    }

    #[test]
    fn an_unmeasured_value_does_not_fail_and_signs_do_not_matter() {
        assert!(min(UnusableReason::Blurred, "x", None, 0.3).passed);
        assert!(!within(UnusableReason::Turned, "yaw", -31.0, 30.0).passed);
        assert!(within(UnusableReason::Turned, "yaw", -29.0, 30.0).passed);
    }
}
