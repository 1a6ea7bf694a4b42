//! `blur`: how steep the ink's edges are. At each place the ink mask changes along a row or a
//! column, the largest one-pixel step of luma nearby over the local luma range: about 0.5 or
//! more for a sharp edge, falling as a defocus or a shake spreads the edge over more pixels.

use super::no_ink;
use crate::signature::report::SignatureCheck;
use crate::signature::sample::Sample;
use crate::signature::{SignatureCode, SignatureProfile};
use crate::validate::Threshold;

/// Edges whose local range is under this (0-255) are too faint to read a slope from.
const MIN_RANGE: u8 = 30;

pub fn check(s: &Sample, p: &SignatureProfile) -> Vec<SignatureCheck> {
    let (code, measure, t) =
        (SignatureCode::Blur, "edge_sharpness", Threshold::Min { min: p.min_edge_sharpness });
    if s.ink_count == 0 {
        return vec![no_ink(code, measure, t)];
    }
    match sharpness(s) {
        Some(v) => vec![SignatureCheck::judge(code, measure, v, t)],
        None => vec![SignatureCheck::not_measured(code, measure, t, "no ink edge with enough contrast")],
    }
}

fn sharpness(s: &Sample) -> Option<f32> {
    let (w, h) = (s.w, s.h);
    let mut hist = [0usize; 101];
    let mut n = 0usize;
    let mut add = |vals: &[u8; 10]| {
        let (mut lo, mut hi, mut step) = (255u8, 0u8, 0u8);
        for &v in vals {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        for pair in vals[3..8].windows(2) {
            step = step.max(pair[0].abs_diff(pair[1]));
        }
        let range = hi - lo;
        if range >= MIN_RANGE {
            hist[(usize::from(step) * 100 / usize::from(range)).min(100)] += 1;
            n += 1;
        }
    };
    let mut vals = [0u8; 10];
    // Edges lie within a pixel of the ink.
    let rows = Sample::widened(&s.ink_rows, 2, h);
    let cols = Sample::widened(&s.ink_cols, 2, w);
    let (x_lo, x_hi) = (cols.start.max(5), cols.end.min(w.saturating_sub(5)));
    for y in rows.start.max(5)..rows.end.min(h.saturating_sub(5)) {
        let row = y * w;
        let mut x = x_lo;
        while x < x_hi {
            // Most of the ink's box is paper: eight pixels with no change to their right or
            // below are passed over at once.
            if x + 8 <= x_hi && !changes(&s.ink, row + x, w) {
                x += 8;
                continue;
            }
            let here = s.ink[row + x];
            if here != s.ink[row + x + 1] {
                vals.copy_from_slice(&s.luma[row + x - 4..row + x + 6]);
                add(&vals);
            }
            if here != s.ink[row + w + x] {
                for (k, v) in vals.iter_mut().enumerate() {
                    *v = s.luma[(y + k - 4) * w + x];
                }
                add(&vals);
            }
            x += 1;
        }
    }
    if n < 20 {
        return None;
    }
    let mut acc = 0;
    for (v, &c) in hist.iter().enumerate() {
        acc += c;
        if acc * 2 >= n {
            return Some(v as f32 / 100.0);
        }
    }
    None
}

/// Whether any of the eight mask bytes from `i` differs from its right or lower neighbour.
#[inline]
fn changes(ink: &[u8], i: usize, w: usize) -> bool {
    let at = |j: usize| u64::from_le_bytes(ink[j..j + 8].try_into().unwrap_or([0; 8]));
    let here = at(i);
    here != at(i + 1) || here != at(i + w)
}
