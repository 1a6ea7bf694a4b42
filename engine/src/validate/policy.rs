//! What a profile makes of the checks' results: each code's severity, and what a code none of
//! whose measures could be taken does (`[on_unmeasurable]`), so that nothing unmeasured passes
//! silently.

use super::judged;
use super::profile::Profile;
use super::report::CheckResult;

/// Sets every result's severity and applies the profile's unmeasurable policy
/// ([`judged::apply_policy`]).
pub fn apply(results: &mut [CheckResult], profile: &Profile) {
    judged::apply_policy(results, |c| profile.severity(c), |c| profile.on_unmeasurable(c));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::code::Code;
    use crate::validate::report::{Severity, Threshold};

    fn profile(table: &str) -> Profile {
        let text = include_str!("../../../profiles/kz-id.toml");
        Profile::from_toml(&text.replace("[on_unmeasurable]\ndefault = \"warn\"", table)).unwrap()
    }

    fn results() -> Vec<CheckResult> {
        let t = Threshold::Max { max: 1.0 };
        vec![
            CheckResult::not_measured(Code::CompressionArtifacts, "jpeg_quality", t, "not a JPEG file"),
            CheckResult::judge(Code::CompressionArtifacts, "blockiness", 0.9, t),
            CheckResult::not_measured(Code::ColourCast, "cheek_a", t, "not a colour photo"),
            CheckResult::not_measured(Code::Glasses, "eye_band_glasses_share", t, "face parts not parsed"),
        ]
    }

    #[test]
    fn an_unmeasured_code_follows_the_policy_and_a_code_judged_otherwise_passes() {
        let mut r = results();
        apply(&mut r, &profile("[on_unmeasurable]\ndefault = \"warn\"\nglasses = \"reject\""));
        assert!(r[0].passed && r[1].passed, "compression was judged by its blockiness");
        assert!(!r[2].passed && r[2].severity == Severity::Warn);
        assert!(!r[3].passed && r[3].severity == Severity::Reject);

        let mut r = results();
        apply(&mut r, &profile("[on_unmeasurable]\ndefault = \"pass\""));
        assert!(r.iter().all(|c| c.passed));
    }

    #[test]
    fn the_policy_is_never_stronger_than_the_codes_severity() {
        let mut r = results();
        let p = profile("[on_unmeasurable]\ndefault = \"reject\"\n\n[severity]\nglasses = \"warn\"");
        apply(&mut r, &p);
        assert!(!r[3].passed && r[3].severity == Severity::Warn);
        assert!(!r[2].passed && r[2].severity == Severity::Reject);
    }
}
