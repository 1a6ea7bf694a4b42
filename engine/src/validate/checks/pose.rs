//! Head pose on the raw angles (ICAO/ISO 19794-5: yaw and pitch within ±5°, roll within ±8°).
//!
//! Yaw and pitch are the mean of two independent estimates, the 3D mesh and the appearance
//! network: each alone scatters by several degrees on frontal photos, their mean by less. Roll is
//! the eye line's angle, which the mesh measures directly.
//!
//! A picture turned inside its frame (a crooked scan, or an edit that levelled the head and padded
//! the corners) shows no roll against the frame; its turn is measured from the padded corner
//! wedges instead (`quality::frame_rotation`) and judged as `tilted` too.

use crate::quality::frame_rotation::frame_rotation_deg;
use crate::validate::code::Code;
use crate::validate::context::Ctx;
use crate::validate::profile::Profile;
use crate::validate::report::{CheckResult, Threshold};

pub fn check(ctx: &Ctx, p: &Profile) -> Vec<CheckResult> {
    let (pose, net) = (ctx.lm.pose, ctx.lm.pose_net);
    let yaw = (pose.yaw + net.yaw) / 2.0;
    let pitch = (pose.pitch + net.pitch) / 2.0;
    // The signed angle is reported (the direction tells the citizen which way to turn) and
    // judged against a symmetric range.
    let within = |m: f32| Threshold::Range { min: -m, max: m };
    vec![
        CheckResult::judge(Code::TurnedHead, "yaw_deg", yaw, within(p.pose.max_yaw_deg)),
        CheckResult::judge(Code::Tilted, "pitch_deg", pitch, within(p.pose.max_pitch_deg)),
        CheckResult::judge(Code::Tilted, "roll_deg", pose.roll, within(p.pose.max_roll_deg)),
        CheckResult::judge(
            Code::Tilted,
            "frame_rotation_deg",
            frame_rotation_deg(ctx.img),
            within(p.pose.max_frame_rotation_deg),
        ),
    ]
}
