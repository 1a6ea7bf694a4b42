//! What signature validation returns: one result per measure, with its value, threshold,
//! pass/fail and a message in the citizen's language; the failed codes in the order to fix them.

use super::code::SignatureCode;
use super::messages::message;
use crate::validate::Lang;
use crate::validate::judged::{Tally, apply_policy, judged_by_fields, message_key, tally};
use crate::validate::report::{Decision, Severity, Status, Threshold};
use serde::Serialize;

/// One measurement of a signature sample judged against its threshold.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct SignatureCheck {
    pub code: SignatureCode,
    /// What was measured, with its unit.
    pub measure: &'static str,
    pub passed: bool,
    pub status: Status,
    /// `None` when it could not be measured (the reason is in `note`).
    pub value: Option<f32>,
    pub threshold: Threshold,
    pub severity: Severity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<&'static str>,
    pub message: String,
}

impl SignatureCheck {
    pub fn judge(code: SignatureCode, measure: &'static str, value: f32, threshold: Threshold) -> Self {
        Self {
            code,
            measure,
            passed: value.is_finite() && threshold.admits(value),
            status: Status::Measured,
            value: Some(value),
            threshold,
            severity: Severity::Reject,
            note: None,
            message: String::new(),
        }
    }

    /// A measure that could not be taken, with the reason; the profile's `on_unmeasurable`
    /// decides what it does.
    pub fn not_measured(
        code: SignatureCode,
        measure: &'static str,
        threshold: Threshold,
        why: &'static str,
    ) -> Self {
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
}

/// Where the normalised sample came from and what it is.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct NormalisedInfo {
    /// The ink's box in source pixels (before deskewing): x, y, width, height.
    #[serde(rename = "box")]
    pub rect: [f32; 4],
    /// The turn taken out, degrees (counter-clockwise on screen).
    pub deskew_deg: f32,
    pub width: u32,
    pub height: u32,
}

/// The verdict on one signature sample.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct SignatureReport {
    pub decision: Decision,
    pub profile: String,
    pub checks: Vec<SignatureCheck>,
    /// Codes of failed rejecting checks, most important first.
    pub failed: Vec<SignatureCode>,
    /// Codes of failed checks that only warn.
    pub warnings: Vec<SignatureCode>,
    /// Codes none of whose measures could be taken.
    pub not_measured: Vec<SignatureCode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub normalised: Option<NormalisedInfo>,
}

impl SignatureReport {
    /// Applies severities and the unmeasurable policy, fills messages, orders failures, decides.
    pub fn new(
        profile: &str,
        policy: &super::SignatureProfile,
        mut checks: Vec<SignatureCheck>,
        normalised: Option<NormalisedInfo>,
        lang: Lang,
    ) -> Self {
        apply_policy(&mut checks, |c| policy.severity(c), |_| policy.on_unmeasurable);
        let Tally { decision, failed, warnings, not_measured } = tally(&mut checks);
        for c in &mut checks {
            c.message = message(message_key(c, c.code.as_str()), c.passed, lang).to_string();
        }
        Self { decision, profile: profile.to_string(), checks, failed, warnings, not_measured, normalised }
    }
}

judged_by_fields!(SignatureCheck, SignatureCode);
