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
use crate::validate::{CheckResult, Decision, Lang, Profile, Report, Severity, Validator};
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
    let hints = if captured { Vec::new() } else { hints(&report, lang) };
    Ok(Capture { chosen, captured, report, crop, hints, frames: scores })
}

/// The hints for a report's rejecting failures (what guidance would say of the same frame, less
/// the placement hints: the report's framing is judged on its crop).
pub fn hints(report: &Report, lang: Lang) -> Vec<HintMessage> {
    let rejecting: Vec<CheckResult> =
        report.checks.iter().filter(|c| !c.passed && c.severity == Severity::Reject).cloned().collect();
    let mut codes = hint::collect(Vec::new(), &rejecting);
    if report.failed.contains(&crate::validate::Code::NoFace) {
        codes.insert(0, Hint::NoFace);
    }
    codes.into_iter().map(|code| HintMessage { code, message: code.message(lang) }).collect()
}
