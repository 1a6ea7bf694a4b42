//! Kiosk auto-capture: a short burst of camera frames in, the frame to keep out. Every frame gets
//! the full validation of the profile (the report `POST /v1/validate` gives), so the kept frame's
//! verdict is the document's verdict and not the fast path's; [`rank::better`] states the order.
//! When no frame is compliant the best one is still returned, with the hints the person can act
//! on, so the kiosk guides and tries again instead of storing a photo that would be refused.

pub mod rank;

pub use rank::{FrameScore, better, rank};

use crate::error::Result;
use crate::guidance::{Hint, HintMessage, hint};
use crate::image::DecodedImage;
use crate::validate::{CheckResult, Code, Decision, Lang, Profile, Report, Severity, Validator};
use image::RgbImage;

/// The burst's outcome.
pub struct Capture {
    /// The chosen frame's place in the burst, from 0.
    pub chosen: usize,
    /// True when the chosen frame is compliant (`report.decision = accept`).
    pub captured: bool,
    /// The chosen frame's full report.
    pub report: Report,
    /// The chosen frame's ICAO crop at the profile's output size, when the report proposes one.
    pub crop: Option<RgbImage>,
    /// What the person can still fix on the chosen frame, most urgent first (empty when captured).
    pub hints: Vec<HintMessage>,
    /// The chosen frame's failed codes that no hint covers (empty when captured).
    pub others: Vec<Code>,
    /// Every frame's score, in burst order.
    pub frames: Vec<FrameScore>,
}

/// Validates every frame of `frames` with `profile` and keeps the best (see [`rank::better`]).
/// `frames` must not be empty.
pub fn capture(v: &Validator, frames: &[DecodedImage], profile: &Profile, lang: Lang) -> Result<Capture> {
    assert!(!frames.is_empty(), "a burst has at least one frame");
    let mut reports = Vec::with_capacity(frames.len());
    for f in frames {
        reports.push(v.validate(&f.rgb, f.source.clone(), profile, lang)?.report);
    }
    let scores: Vec<FrameScore> =
        reports.iter().enumerate().map(|(i, r)| FrameScore::from_report(i, r)).collect();
    let chosen = rank(&scores)[0];
    let report = reports.swap_remove(chosen);
    let crop = match &report.crop {
        Some(c) => Some(Validator::render_crop(&frames[chosen].rgb, c)?),
        None => None,
    };
    let captured = report.decision == Decision::Accept;
    let f = &frames[chosen].rgb;
    let closer_helps = hint::min_crop_height_px(profile, f.width(), f.height()).is_some();
    let (hints, others) = if captured { Default::default() } else { advice(&report, lang, closer_helps) };
    Ok(Capture { chosen, captured, report, crop, hints, others, frames: scores })
}

/// The hints for a report's rejecting failures (what guidance would say of the same frame, less
/// the placement hints: the report's framing is judged on its crop), and the failed codes no hint
/// covers (the background, the camera's resolution: for the operator, not the person).
/// `closer_helps`: the camera's frame can hold a crop of the resolution the profile asks for
/// ([`hint::min_crop_height_px`]), so a measured `low_res` is the person standing too far away
/// and asks them closer, as guidance does; otherwise it is the camera's and listed apart.
pub fn advice(report: &Report, lang: Lang, closer_helps: bool) -> (Vec<HintMessage>, Vec<Code>) {
    let rejecting: Vec<CheckResult> =
        report.checks.iter().filter(|c| !c.passed && c.severity == Severity::Reject).cloned().collect();
    let too_far = closer_helps
        && rejecting.iter().any(|c| c.code == Code::LowRes && c.status == crate::validate::Status::Measured);
    let mut codes = hint::collect(if too_far { vec![Hint::MoveCloser] } else { Vec::new() }, &rejecting);
    if report.failed.contains(&Code::NoFace) {
        codes.insert(0, Hint::NoFace);
    }
    let hinted = |code: &Code| {
        *code == Code::NoFace
            || (*code == Code::LowRes && too_far)
            || rejecting.iter().any(|c| c.code == *code && hint::from_check(c).is_some())
    };
    let others = report.failed.iter().copied().filter(|c| !hinted(c)).collect();
    let hints = codes.into_iter().map(|code| HintMessage { code, message: code.message(lang) }).collect();
    (hints, others)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::Threshold;

    #[test]
    fn a_fixable_failure_is_a_hint_and_the_rest_is_listed_apart() {
        let mouth =
            CheckResult::judge(Code::OpenMouth, "mouth_openness", 0.05, Threshold::Max { max: 0.013 });
        let wall = CheckResult::judge(Code::BusyBackground, "edge_density", 9.0, Threshold::Max { max: 1.0 });
        let report = Report::new("kiosk", vec![mouth, wall], None, Lang::En);
        let (hints, others) = advice(&report, Lang::En, true);
        assert_eq!(hints.iter().map(|h| h.code).collect::<Vec<_>>(), vec![Hint::CloseMouth]);
        assert_eq!(others, vec![Code::BusyBackground]);
        assert!(!hints[0].message.is_empty());
    }

    #[test]
    fn too_few_pixels_asks_the_person_closer_only_when_the_camera_can_give_them() {
        let small = CheckResult::judge(Code::LowRes, "frame_height_px", 504.0, Threshold::Min { min: 600.0 });
        let report = Report::new("kiosk", vec![small], None, Lang::En);
        // A 1280x720 camera: the person was too far for a 600 px crop.
        let (hints, others) = advice(&report, Lang::En, true);
        assert_eq!(hints.iter().map(|h| h.code).collect::<Vec<_>>(), vec![Hint::MoveCloser]);
        assert!(others.is_empty(), "{others:?}");
        // A 640x480 camera: no distance helps; it is the camera's, for the operator.
        let (hints, others) = advice(&report, Lang::En, false);
        assert!(hints.is_empty(), "{hints:?}");
        assert_eq!(others, vec![Code::LowRes]);
    }
}
