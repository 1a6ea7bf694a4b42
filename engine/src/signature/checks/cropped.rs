//! `signature_cropped`: ink cut by the frame edge. Ink pixels on the outermost rows and columns,
//! over the stroke width, count the strokes the edge cuts.

use super::no_ink;
use crate::signature::report::SignatureCheck;
use crate::signature::sample::Sample;
use crate::signature::{SignatureCode, SignatureProfile};
use crate::validate::Threshold;

pub fn check(s: &Sample, p: &SignatureProfile) -> Vec<SignatureCheck> {
    let (code, measure, t) =
        (SignatureCode::SignatureCropped, "cut_strokes", Threshold::Max { max: p.max_cut_strokes });
    if s.ink_count == 0 {
        return vec![no_ink(code, measure, t)];
    }
    let (w, h) = (s.w, s.h);
    let mut on_edge = 0usize;
    for x in 0..w {
        on_edge += usize::from(s.ink[x]) + usize::from(s.ink[(h - 1) * w + x]);
    }
    for y in 1..h - 1 {
        on_edge += usize::from(s.ink[y * w]) + usize::from(s.ink[y * w + w - 1]);
    }
    vec![SignatureCheck::judge(code, measure, on_edge as f32 / s.stroke_width.max(1.0), t)]
}
