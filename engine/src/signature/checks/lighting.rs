//! `uneven_lighting`: a shadow or a lamp's fall-off across the paper, read from the paper map.

use crate::signature::report::SignatureCheck;
use crate::signature::sample::Sample;
use crate::signature::{SignatureCode, SignatureProfile};
use crate::validate::Threshold;

pub fn check(s: &Sample, p: &SignatureProfile) -> Vec<SignatureCheck> {
    let t = Threshold::Max { max: p.max_paper_spread };
    vec![SignatureCheck::judge(SignatureCode::UnevenLighting, "paper_spread", s.paper.spread(), t)]
}
