//! Something over the face: a mask, a hand, an object, or hair across the eyes. Read from the face
//! parser the way OFIQ reads its occlusion segmentation: how much of the mouth and of the nose is
//! still seen as mouth, lips and nose, and how much of the eyes' band is hair. A mask is parsed as
//! skin or cloth where the lips should be, so "lips missing" finds it where "skin missing" does
//! not; a beard leaves the lips visible.

use crate::validate::code::Code;
use crate::validate::context::Ctx;
use crate::validate::profile::Profile;
use crate::validate::report::{CheckResult, Threshold};

const CODE: Code = Code::Occlusion;

pub fn check(ctx: &Ctx, p: &Profile) -> Vec<CheckResult> {
    let o = &p.occlusion;
    let m = &ctx.lm.mesh;
    let parts = ctx.parts.as_ref();
    let read = |measure, t, f: &dyn Fn(&crate::quality::face_parsing::FaceParts) -> Option<f32>| match parts
        .map(f)
    {
        Some(Some(v)) => CheckResult::judge(CODE, measure, v, t),
        Some(None) => CheckResult::not_measured(CODE, measure, t, "region outside the parsed crop"),
        None => CheckResult::not_measured(CODE, measure, t, "face parts not parsed"),
    };
    vec![
        read("mouth_visible_share", Threshold::Min { min: o.min_mouth_visible }, &|f| f.mouth_visible(m)),
        read("nose_visible_share", Threshold::Min { min: o.min_nose_visible }, &|f| f.nose_visible(m)),
        read("eye_band_hair_share", Threshold::Max { max: o.max_eye_hair_share }, &|f| f.eye_hair_share(m)),
    ]
}
