//! Head pose on the raw angles (ICAO/ISO 19794-5: yaw and pitch within ±5°, roll within ±8°).

use crate::validate::context::Ctx;
use crate::validate::profile::Profile;
use crate::validate::report::{CheckResult, Threshold};

pub fn check(ctx: &Ctx, p: &Profile) -> Vec<CheckResult> {
    let pose = ctx.lm.pose;
    vec![
        CheckResult::judge(
            "turned_head",
            "yaw_deg",
            pose.yaw.abs(),
            Threshold::Max {
                max: p.pose.max_yaw_deg,
            },
        ),
        CheckResult::judge(
            "tilted",
            "pitch_deg",
            pose.pitch.abs(),
            Threshold::Max {
                max: p.pose.max_pitch_deg,
            },
        ),
        CheckResult::judge(
            "tilted",
            "roll_deg",
            pose.roll.abs(),
            Threshold::Max {
                max: p.pose.max_roll_deg,
            },
        ),
    ]
}
