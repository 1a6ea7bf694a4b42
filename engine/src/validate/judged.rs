//! What turns judged measures into a verdict, for photos and signatures alike: each code's
//! severity and the unmeasurable policy, then the failed, warned and unmeasured codes in the order
//! to fix them. One implementation, so the two reports cannot drift apart in how they decide.

use super::report::{Decision, Severity, Status, Unmeasurable};

/// A measure judged against its threshold, whatever the code type it reports.
pub trait Judged {
    type Code: Copy + Ord;
    fn code(&self) -> Self::Code;
    fn passed(&self) -> bool;
    fn status(&self) -> Status;
    fn severity(&self) -> Severity;
    fn settle(&mut self, passed: bool, severity: Severity);
}

/// Implements [`Judged`] for a check struct by its `code`, `passed`, `status` and `severity`
/// fields.
macro_rules! judged_by_fields {
    ($check:ty, $code:ty) => {
        impl $crate::validate::judged::Judged for $check {
            type Code = $code;
            fn code(&self) -> $code {
                self.code
            }
            fn passed(&self) -> bool {
                self.passed
            }
            fn status(&self) -> $crate::validate::report::Status {
                self.status
            }
            fn severity(&self) -> $crate::validate::report::Severity {
                self.severity
            }
            fn settle(&mut self, passed: bool, severity: $crate::validate::report::Severity) {
                (self.passed, self.severity) = (passed, severity);
            }
        }
    };
}
pub(crate) use judged_by_fields;

/// Sets every result's severity and applies the unmeasurable policy. A not-measured result
/// whose code was measured another way (a PNG has no quantisation table, but its blockiness is
/// read) stays a pass: the code was judged.
pub fn apply_policy<J: Judged>(
    results: &mut [J],
    severity: impl Fn(J::Code) -> Severity,
    on_unmeasurable: impl Fn(J::Code) -> Unmeasurable,
) {
    for i in 0..results.len() {
        let code = results[i].code();
        let (passed, sev) = (results[i].passed(), severity(code));
        results[i].settle(passed, sev);
        let judged_otherwise = results.iter().any(|o| o.code() == code && o.status() != Status::NotMeasured);
        if results[i].status() != Status::NotMeasured || judged_otherwise {
            continue;
        }
        match on_unmeasurable(code) {
            Unmeasurable::Pass => {}
            // Never stronger than the code's own severity: a `warn` code warns, an `off` code is off.
            Unmeasurable::Warn => {
                results[i].settle(false, if sev == Severity::Reject { Severity::Warn } else { sev })
            }
            Unmeasurable::Reject => results[i].settle(false, sev),
        }
    }
}

/// The codes a report lists, each once and in priority order (the codes' declaration order).
#[derive(Debug, PartialEq)]
pub struct Tally<C> {
    pub decision: Decision,
    /// Codes of the failed rejecting checks.
    pub failed: Vec<C>,
    /// Codes of failed checks that only warn, and not also failed.
    pub warnings: Vec<C>,
    /// Codes none of whose measures could be taken.
    pub not_measured: Vec<C>,
}

/// Drops the checks that are off, orders the rest (failures first) and tallies them.
pub fn tally<J: Judged>(checks: &mut Vec<J>) -> Tally<J::Code> {
    checks.retain(|c| c.severity() != Severity::Off);
    let mut not_measured = Vec::new();
    for c in checks.iter() {
        let all = checks.iter().filter(|o| o.code() == c.code()).all(|o| o.status() == Status::NotMeasured);
        if all && !not_measured.contains(&c.code()) {
            not_measured.push(c.code());
        }
    }
    let (mut failed, mut warnings) = (Vec::new(), Vec::new());
    for c in checks.iter().filter(|c| !c.passed()) {
        let list = if c.severity() == Severity::Reject { &mut failed } else { &mut warnings };
        if !list.contains(&c.code()) {
            list.push(c.code());
        }
    }
    for list in [&mut not_measured, &mut failed, &mut warnings] {
        list.sort();
    }
    warnings.retain(|c| !failed.contains(c));
    checks.sort_by_key(|c| (c.passed(), c.code()));
    let decision = if failed.is_empty() { Decision::Accept } else { Decision::Reject };
    Tally { decision, failed, warnings, not_measured }
}

/// The message catalogue key for a check: a check that fails because it could not be measured
/// says so, not that the defect is there.
pub fn message_key<J: Judged>(c: &J, code_key: &'static str) -> &'static str {
    if !c.passed() && c.status() == Status::NotMeasured { "not_measured" } else { code_key }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::code::Code;
    use crate::validate::report::{CheckResult, Threshold};

    #[test]
    fn the_tally_lists_each_code_once_in_priority_order_and_drops_what_is_off() {
        let t = Threshold::Max { max: 1.0 };
        let warn = |mut c: CheckResult| {
            c.severity = Severity::Warn;
            c
        };
        let off = |mut c: CheckResult| {
            c.severity = Severity::Off;
            c
        };
        let mut checks = vec![
            CheckResult::judge(Code::Glasses, "eye_band_glasses_share", 0.5, t),
            CheckResult::judge(Code::Glasses, "other", 2.0, t),
            warn(CheckResult::judge(Code::Blur, "edge_sharpness", 2.0, t)),
            CheckResult::judge(Code::TurnedHead, "yaw_deg", 2.0, t),
            off(CheckResult::judge(Code::RedEye, "red_pupil_share", 2.0, t)),
            CheckResult::not_measured(Code::ColourCast, "cheek_a", t, "not a colour photo"),
        ];
        let tally = tally(&mut checks);
        assert_eq!(tally.decision, Decision::Reject);
        assert_eq!(tally.failed, {
            let mut v = vec![Code::Glasses, Code::TurnedHead];
            v.sort();
            v
        });
        assert_eq!(tally.warnings, vec![Code::Blur]);
        assert_eq!(tally.not_measured, vec![Code::ColourCast]);
        assert_eq!(checks.len(), 5, "the check that is off is dropped");
        assert!(checks.iter().take(3).all(|c| !c.passed) && checks.iter().skip(3).all(|c| c.passed));
    }

    #[test]
    fn a_code_both_failed_and_warned_is_listed_as_failed_only() {
        let t = Threshold::Max { max: 1.0 };
        let mut warned = CheckResult::judge(Code::Blur, "b", 2.0, t);
        warned.severity = Severity::Warn;
        let mut checks = vec![CheckResult::judge(Code::Blur, "a", 2.0, t), warned];
        let tally = tally(&mut checks);
        assert_eq!((tally.failed, tally.warnings), (vec![Code::Blur], vec![]));
    }
}
