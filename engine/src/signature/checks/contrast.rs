//! `low_contrast`: faint pencil or washed-out ink. The ink's core (its 90th percentile of
//! darkness against the paper under it) must be dark enough to print.

use super::no_ink;
use crate::signature::report::SignatureCheck;
use crate::signature::sample::Sample;
use crate::signature::{SignatureCode, SignatureProfile};
use crate::validate::Threshold;

pub fn check(s: &Sample, p: &SignatureProfile) -> Vec<SignatureCheck> {
    let (code, measure, t) =
        (SignatureCode::LowContrast, "ink_darkness", Threshold::Min { min: p.min_ink_darkness });
    if s.ink_count == 0 {
        return vec![no_ink(code, measure, t)];
    }
    let mut hist = [0usize; 256];
    for y in s.ink_rows.clone() {
        let span = y * s.w + s.ink_cols.start..y * s.w + s.ink_cols.end;
        for (&d, &i) in s.dark[span.clone()].iter().zip(&s.ink[span]) {
            if i == 1 {
                hist[usize::from(d)] += 1;
            }
        }
    }
    let target = s.ink_count * 9 / 10;
    let (mut acc, mut core) = (0, 255);
    for (d, &c) in hist.iter().enumerate() {
        acc += c;
        if acc >= target {
            core = d;
            break;
        }
    }
    vec![SignatureCheck::judge(code, measure, core as f32, t)]
}
