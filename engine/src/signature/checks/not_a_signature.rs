//! `not_a_signature`: a photo, a face or an object instead of writing. Writing is lines: its ink
//! fills little of its box and its strokes are thin against its height; a photo is filled areas.
//! When the caller ran a face detector, a face found is a third measure.

use super::no_ink;
use crate::signature::report::SignatureCheck;
use crate::signature::sample::Sample;
use crate::signature::{SignatureCode, SignatureProfile};
use crate::validate::Threshold;

pub fn check(s: &Sample, p: &SignatureProfile, faces: Option<usize>) -> Vec<SignatureCheck> {
    let code = SignatureCode::NotASignature;
    let (tf, ts) = (Threshold::Max { max: p.max_box_fill }, Threshold::Max { max: p.max_stroke_to_height });
    let tface = Threshold::Max { max: 0.0 };
    let face = match faces {
        Some(n) => SignatureCheck::judge(code, "faces_found", n as f32, tface),
        None => SignatureCheck::not_measured(code, "faces_found", tface, "no face detector was run"),
    };
    let Some(b) = s.bbox else {
        return vec![no_ink(code, "ink_box_fill", tf), no_ink(code, "stroke_to_height", ts), face];
    };
    let fill = s.ink_count as f32 / (b[2] * b[3]).max(1.0);
    vec![
        SignatureCheck::judge(code, "ink_box_fill", fill, tf),
        SignatureCheck::judge(code, "stroke_to_height", s.stroke_width / b[3].max(1.0), ts),
        face,
    ]
}
