//! Head coverings: the share of the band above the hairline that the face parser labels hat or
//! cloth. Where the profile allows a headscarf worn for religious reasons, a covering that wraps
//! the sides of the face (a scarf, not a cap or a hat) and leaves the whole face visible, mouth
//! and nose included, passes, with a note saying so; the officer judges the reason.

use crate::validate::code::Code;
use crate::validate::context::Ctx;
use crate::validate::profile::Profile;
use crate::validate::report::{CheckResult, Threshold};

const CODE: Code = Code::HeadCovering;
const MEASURE: &str = "crown_covered_share";

pub fn check(ctx: &Ctx, p: &Profile) -> Vec<CheckResult> {
    let o = &p.occlusion;
    let t = Threshold::Max { max: o.max_head_covering_share };
    let Some(parts) = &ctx.parts else {
        return vec![CheckResult::not_measured(CODE, MEASURE, t, "face parts not parsed")];
    };
    let m = &ctx.lm.mesh;
    let Some(v) = parts.crown_covered(m) else {
        return vec![CheckResult::not_measured(CODE, MEASURE, t, "crown outside the parsed crop")];
    };
    let mut out = CheckResult::judge(CODE, MEASURE, v, t);
    if !out.passed && o.allow_religious_headscarf {
        let at_least = |v: Option<f32>, min: f32| v.is_some_and(|v| v >= min);
        let scarf = at_least(parts.side_covered(m), o.min_scarf_side_share)
            && at_least(parts.face_visible(m), o.min_face_visible)
            && at_least(parts.mouth_visible(m), o.min_mouth_visible)
            && at_least(parts.nose_visible(m), o.min_nose_visible);
        if scarf {
            out.passed = true;
            out = out.with_note(
                "headscarf allowed: it wraps the face and leaves it visible from chin to forehead",
            );
        }
    }
    vec![out]
}
