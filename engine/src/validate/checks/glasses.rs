//! Glasses: the share of the band across both eyes that the face parser labels eyeglasses (clear,
//! tinted and sun glasses alike; frames and lenses).

use crate::validate::code::Code;
use crate::validate::context::Ctx;
use crate::validate::profile::Profile;
use crate::validate::report::{CheckResult, Threshold};

const MEASURE: &str = "eye_band_glasses_share";

pub fn check(ctx: &Ctx, p: &Profile) -> Vec<CheckResult> {
    let t = Threshold::Max { max: p.occlusion.max_glasses_share };
    vec![match ctx.parts.as_ref().map(|parts| parts.glasses_share(&ctx.lm.mesh)) {
        Some(Some(v)) => CheckResult::judge(Code::Glasses, MEASURE, v, t),
        Some(None) => CheckResult::not_measured(Code::Glasses, MEASURE, t, "eyes outside the parsed crop"),
        None => CheckResult::not_measured(Code::Glasses, MEASURE, t, "face parts not parsed"),
    }]
}
