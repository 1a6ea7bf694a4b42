//! What signature validation returns: one result per measure, with its value, threshold,
//! pass/fail and a message in the citizen's language; the failed codes in the order to fix them.

use super::code::SignatureCode;
use super::messages::message;
use crate::validate::Lang;
use crate::validate::report::{Decision, Severity, Status, Threshold, Unmeasurable};
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
        for i in 0..checks.len() {
            let code = checks[i].code;
            checks[i].severity = policy.severity(code);
            // A code measured another way was judged: its unmeasured extra stays a pass.
            let judged_otherwise = checks.iter().any(|o| o.code == code && o.status != Status::NotMeasured);
            let c = &mut checks[i];
            if c.status == Status::NotMeasured && !judged_otherwise {
                match policy.on_unmeasurable {
                    Unmeasurable::Pass => c.passed = true,
                    Unmeasurable::Warn => {
                        c.passed = false;
                        if c.severity == Severity::Reject {
                            c.severity = Severity::Warn;
                        }
                    }
                    Unmeasurable::Reject => c.passed = false,
                }
            }
        }
        checks.retain(|c| c.severity != Severity::Off);
        for c in &mut checks {
            let key =
                if !c.passed && c.status == Status::NotMeasured { "not_measured" } else { c.code.as_str() };
            c.message = message(key, c.passed, lang).to_string();
        }
        let mut not_measured = Vec::new();
        for c in &checks {
            let all = checks.iter().filter(|o| o.code == c.code).all(|o| o.status == Status::NotMeasured);
            if all && !not_measured.contains(&c.code) {
                not_measured.push(c.code);
            }
        }
        not_measured.sort();
        let (mut failed, mut warnings) = (Vec::new(), Vec::new());
        for c in checks.iter().filter(|c| !c.passed) {
            let list = if c.severity == Severity::Reject { &mut failed } else { &mut warnings };
            if !list.contains(&c.code) {
                list.push(c.code);
            }
        }
        failed.sort();
        warnings.sort();
        warnings.retain(|c| !failed.contains(c));
        checks.sort_by_key(|c| (c.passed, c.code));
        let decision = if failed.is_empty() { Decision::Accept } else { Decision::Reject };
        Self { decision, profile: profile.to_string(), checks, failed, warnings, not_measured, normalised }
    }
}
