//! `rotated`: the writing's main axis (second moments of the ink) against the horizontal. A
//! compact scribble has no axis to read, and says so.

use super::no_ink;
use crate::signature::report::SignatureCheck;
use crate::signature::sample::Sample;
use crate::signature::{SignatureCode, SignatureProfile};
use crate::validate::Threshold;

/// Below this ratio of the axes' spreads the ink is too round for its axis to mean anything.
pub const MIN_ELONGATION: f32 = 1.6;

pub fn check(s: &Sample, p: &SignatureProfile) -> Vec<SignatureCheck> {
    let (code, measure, t) = (
        SignatureCode::Rotated,
        "axis_deg",
        Threshold::Range { min: -p.max_rotation_deg, max: p.max_rotation_deg },
    );
    if s.ink_count == 0 {
        return vec![no_ink(code, measure, t)];
    }
    if s.elongation < MIN_ELONGATION {
        return vec![SignatureCheck::not_measured(
            code,
            measure,
            t,
            "the ink is too compact to show a direction",
        )];
    }
    vec![SignatureCheck::judge(code, measure, s.axis_deg, t)]
}
