//! `multiple_signatures`: several signatures or blocks of writing. The ink is cut into blocks at
//! empty bands (rows first, then columns within each band of rows) wider than `block_gap` times
//! the tallest band's height; blocks holding under 15% of the largest block's ink (a dot, a
//! speck) do not count.

use super::no_ink;
use crate::signature::report::SignatureCheck;
use crate::signature::sample::Sample;
use crate::signature::{SignatureCode, SignatureProfile};
use crate::validate::Threshold;

const MIN_BLOCK_SHARE: f32 = 0.15;

pub fn check(s: &Sample, p: &SignatureProfile) -> Vec<SignatureCheck> {
    let (code, measure, t) =
        (SignatureCode::MultipleSignatures, "writing_blocks", Threshold::Max { max: p.max_writing_blocks });
    if s.ink_count == 0 {
        return vec![no_ink(code, measure, t)];
    }
    vec![SignatureCheck::judge(code, measure, blocks(s, p.block_gap) as f32, t)]
}

/// Runs of `proj` at or above `min`, merged across gaps shorter than `gap(tallest run)`.
fn runs(proj: &[usize], min: usize, gap: impl Fn(usize) -> usize) -> Vec<(usize, usize)> {
    let mut raw: Vec<(usize, usize)> = Vec::new();
    let mut start = None;
    for (i, &c) in proj.iter().chain(std::iter::once(&0)).enumerate() {
        match (c >= min, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                raw.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    let longest = raw.iter().map(|r| r.1 - r.0).max().unwrap_or(0);
    let g = gap(longest);
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for r in raw {
        match merged.last_mut() {
            Some(last) if r.0 - last.1 < g => last.1 = r.1,
            _ => merged.push(r),
        }
    }
    merged
}

fn blocks(s: &Sample, block_gap: f32) -> usize {
    let w = s.w;
    let min = (s.stroke_width / 2.0).ceil().max(2.0) as usize;
    let bands = runs(&s.row_ink, min, |tallest| ((tallest as f32 * block_gap) as usize).max(2));
    let tallest = bands.iter().map(|b| b.1 - b.0).max().unwrap_or(1);
    let mut weights = Vec::new();
    for (y0, y1) in bands {
        let mut cols = vec![0usize; w];
        let xs = s.ink_cols.clone();
        for y in y0..y1 {
            for (c, &v) in cols[xs.clone()].iter_mut().zip(&s.ink[y * w + xs.start..y * w + xs.end]) {
                *c += usize::from(v);
            }
        }
        let gap = ((tallest as f32 * block_gap) as usize).max(2);
        for (x0, x1) in runs(&cols, min, |_| gap) {
            weights.push(cols[x0..x1].iter().sum::<usize>());
        }
    }
    let biggest = weights.iter().copied().max().unwrap_or(0) as f32;
    weights.iter().filter(|&&wgt| wgt as f32 >= MIN_BLOCK_SHARE * biggest).count()
}
