//! `ink_colour`: the share of the ink in a colour the profile allows.

use crate::signature::colour::InkColours;
use crate::signature::report::SignatureCheck;
use crate::signature::{SignatureCode, SignatureProfile};
use crate::validate::Threshold;

pub fn check(colours: &InkColours, p: &SignatureProfile) -> Vec<SignatureCheck> {
    let (code, measure) = (SignatureCode::InkColour, "allowed_colour_share");
    let t = Threshold::Min { min: p.min_allowed_colour_share };
    if colours.total() == 0 {
        return vec![SignatureCheck::not_measured(code, measure, t, "no ink found")];
    }
    vec![
        SignatureCheck::judge(code, measure, colours.share_in(&p.allowed_colours), t)
            .with_note(colours.main()),
    ]
}
