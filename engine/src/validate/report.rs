//! What validation returns: one result per check, each with the measured value, the threshold it
//! was judged against, pass/fail, a stable code and a message in the citizen's language.

use super::code::Code;
use super::judged::{Tally, judged_by_fields, message_key, tally};
use super::messages::{Lang, message};
use crate::image::resize::Rect;
use serde::Serialize;

/// How a threshold bounds a measured value.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Threshold {
    Min { min: f32 },
    Max { max: f32 },
    Range { min: f32, max: f32 },
}

impl Threshold {
    pub fn admits(&self, v: f32) -> bool {
        match *self {
            Threshold::Min { min } => v >= min,
            Threshold::Max { max } => v <= max,
            Threshold::Range { min, max } => v >= min && v <= max,
        }
    }
}

/// What a failed check does to the decision.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A failure rejects the photo.
    #[default]
    Reject,
    /// A failure is reported but the photo is accepted.
    Warn,
    /// The check is not run.
    Off,
}

/// Whether a check's value was measured on the photo.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Measured on the photo and judged against the threshold.
    Measured,
    /// Could not be measured (the reason is in `note`); the profile's `[on_unmeasurable]` policy
    /// decides whether that passes, warns or rejects.
    NotMeasured,
    /// Set by the proposed crop, not by the photo (`frame = "crop"`): the value is the crop's, and
    /// the check passes because the crop makes it so.
    FixedByCrop,
}

/// What a check that could not be measured does to the decision (`[on_unmeasurable]`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Unmeasurable {
    /// Passes, with the reason in the report.
    Pass,
    /// Reported as a warning: the photo is accepted, the reviewer sees what was not checked.
    #[default]
    Warn,
    /// Rejects the photo, as a failed measurement would.
    Reject,
}

/// One measurement judged against its threshold.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    /// The stable failure code this check reports (e.g. `turned_head`).
    pub code: Code,
    /// What was measured, with its unit (e.g. `yaw_deg`).
    pub measure: &'static str,
    pub passed: bool,
    pub status: Status,
    /// `None` when the measurement could not be taken (the reason is in `note`).
    pub value: Option<f32>,
    pub threshold: Threshold,
    pub severity: Severity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<&'static str>,
    pub message: String,
}

impl CheckResult {
    /// Judges `value` against `threshold`.
    pub fn judge(code: Code, measure: &'static str, value: f32, threshold: Threshold) -> Self {
        let passed = value.is_finite() && threshold.admits(value);
        Self {
            code,
            measure,
            passed,
            status: Status::Measured,
            value: Some(value),
            threshold,
            severity: Severity::Reject,
            note: None,
            message: String::new(),
        }
    }

    /// A check that could not be measured, with the reason. It passes until the profile's
    /// `[on_unmeasurable]` policy is applied (`Validator::judge`).
    pub fn not_measured(code: Code, measure: &'static str, threshold: Threshold, why: &'static str) -> Self {
        Self {
            code,
            measure,
            passed: true,
            status: Status::NotMeasured,
            value: None,
            threshold,
            severity: Severity::Reject,
            note: Some(why),
            message: String::new(),
        }
    }

    pub fn with_note(mut self, note: &'static str) -> Self {
        self.note = Some(note);
        self
    }

    /// Marks a passing value that the proposed crop set (not the photo): the crop is what the
    /// document will carry.
    pub fn fixed_by_crop(mut self) -> Self {
        self.status = Status::FixedByCrop;
        self.note = Some("set by the proposed crop");
        self
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Accept,
    Reject,
}

/// The ICAO 35x45 crop the photo allows, in source pixels.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CropProposal {
    #[serde(rename = "box")]
    pub rect: [f32; 4],
    /// Pixel size of the rendered crop.
    pub width: u32,
    pub height: u32,
}

impl CropProposal {
    pub fn rect(&self) -> Rect {
        Rect { x: self.rect[0], y: self.rect[1], w: self.rect[2], h: self.rect[3] }
    }
}

/// The verdict on one photo.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub decision: Decision,
    pub profile: String,
    pub checks: Vec<CheckResult>,
    /// Codes of the failed rejecting checks, most important to the citizen first.
    pub failed: Vec<Code>,
    /// Codes of failed checks that only warn; always present, empty when none did.
    pub warnings: Vec<Code>,
    /// Codes no measure of which could be taken on this photo (see each check's `note`); always
    /// present. Whether they passed, warned or rejected is the profile's `[on_unmeasurable]`.
    pub not_measured: Vec<Code>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crop: Option<CropProposal>,
}

/// Codes in the order a citizen should fix them (the declaration order of [`Code`]).
pub const PRIORITY: &[Code] = Code::ALL;

impl Report {
    /// Builds the report: fills messages in `lang`, orders failures, and decides.
    pub fn new(profile: &str, mut checks: Vec<CheckResult>, crop: Option<CropProposal>, lang: Lang) -> Self {
        let Tally { decision, failed, warnings, not_measured } = tally(&mut checks);
        for c in &mut checks {
            c.message = message(message_key(c, c.code.as_str()), c.passed, lang).to_string();
        }
        Self { decision, profile: profile.to_string(), checks, failed, warnings, not_measured, crop }
    }
}

judged_by_fields!(CheckResult, Code);
