//! Something over the face: a mask, a hand, an object, or hair across the eyes. Read from the face
//! parser the way OFIQ reads its occlusion segmentation: how much of the mouth and of the nose is
//! still seen as mouth, lips and nose, and how much of the eyes' band is hair. A mask is parsed as
//! skin or cloth where the lips should be, so "lips missing" finds it where "skin missing" does
//! not; a beard leaves the lips visible. The parser reads a hand as skin, so hands are found by
//! the hand models: the share of a confirmed hand's landmarks that lie on the face.

use crate::detect::BoundingBox;
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
    let t_hand = Threshold::Max { max: o.max_hand_on_face_share };
    let hand = match &ctx.hands {
        Some(hands) => {
            let b = ctx.face.detection.bbox;
            let face = BoundingBox { x: b.x - 0.1 * b.w, y: b.y - 0.1 * b.h, w: 1.2 * b.w, h: 1.2 * b.h };
            let on_face = hands
                .iter()
                .filter(|h| h.presence >= o.min_hand_presence)
                .map(|h| h.share_inside(&face))
                .fold(0.0f32, f32::max);
            CheckResult::judge(CODE, "hand_on_face_share", on_face, t_hand)
        }
        None => CheckResult::not_measured(CODE, "hand_on_face_share", t_hand, "hands not looked for"),
    };
    vec![
        hand,
        read("mouth_visible_share", Threshold::Min { min: o.min_mouth_visible }, &|f| f.mouth_visible(m)),
        read("nose_visible_share", Threshold::Min { min: o.min_nose_visible }, &|f| f.nose_visible(m)),
        read("eye_band_hair_share", Threshold::Max { max: o.max_eye_hair_share }, &|f| f.eye_hair_share(m)),
    ]
}
