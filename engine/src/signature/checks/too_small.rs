//! `signature_too_small`: too few ink pixels, or writing too low to scale to the field.

use super::no_ink;
use crate::signature::report::SignatureCheck;
use crate::signature::sample::Sample;
use crate::signature::{SignatureCode, SignatureProfile};
use crate::validate::Threshold;

pub fn check(s: &Sample, p: &SignatureProfile) -> Vec<SignatureCheck> {
    let code = SignatureCode::SignatureTooSmall;
    let (th, tp) = (Threshold::Min { min: p.min_ink_height_px }, Threshold::Min { min: p.min_ink_pixels });
    let Some(b) = s.bbox else {
        return vec![no_ink(code, "ink_height_px", th), no_ink(code, "ink_pixels", tp)];
    };
    vec![
        SignatureCheck::judge(code, "ink_height_px", b[3], th),
        SignatureCheck::judge(code, "ink_pixels", s.ink_count as f32, tp),
    ]
}
