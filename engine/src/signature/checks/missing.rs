//! `signature_missing`: a blank or nearly blank frame.

use crate::signature::report::SignatureCheck;
use crate::signature::sample::Sample;
use crate::signature::{SignatureCode, SignatureProfile};
use crate::validate::Threshold;

pub fn check(s: &Sample, p: &SignatureProfile) -> Vec<SignatureCheck> {
    let t = Threshold::Min { min: p.min_ink_share };
    vec![SignatureCheck::judge(SignatureCode::SignatureMissing, "ink_share", s.ink_share(), t)]
}
