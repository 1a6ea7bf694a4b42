//! `not_handwritten`: typed or printed text, by two measures. Type is built of straight strokes
//! along and across its line, handwriting of curves: the share of the ink's edges whose direction
//! lies within 5° of the writing's axis or its perpendicular (about 11% when directions are spread
//! evenly). And type sets separate letters of one height on one baseline: the most pieces of ink
//! that line up top and bottom ([`letters`](crate::signature::letters)).

use super::no_ink;
use crate::signature::letters;
use crate::signature::report::SignatureCheck;
use crate::signature::sample::Sample;
use crate::signature::{SignatureCode, SignatureProfile};
use crate::validate::Threshold;

const TOLERANCE_DEG: f32 = 5.0;
/// Edges with a Sobel magnitude under this are noise.
const MIN_GRADIENT: i32 = 80;

pub fn check(s: &Sample, p: &SignatureProfile) -> Vec<SignatureCheck> {
    let (code, measure, t) = (
        SignatureCode::NotHandwritten,
        "axis_aligned_edges",
        Threshold::Max { max: p.max_axis_aligned_edges },
    );
    let tl = Threshold::Max { max: p.max_aligned_letters };
    if s.ink_count == 0 {
        return vec![no_ink(code, measure, t), no_ink(code, "aligned_letters", tl)];
    }
    let edges = match aligned_share(s) {
        Some(v) => SignatureCheck::judge(code, measure, v, t),
        None => SignatureCheck::not_measured(code, measure, t, "too few ink edges"),
    };
    vec![edges, SignatureCheck::judge(code, "aligned_letters", letters::aligned_letters(s) as f32, tl)]
}

fn aligned_share(s: &Sample) -> Option<f32> {
    let (w, h) = (s.w, s.h);
    // Only the turn of the axis matters when the writing has one.
    let axis = if s.elongation >= super::rotated::MIN_ELONGATION { s.axis_deg } else { 0.0 };
    // An edge is aligned when its gradient, turned back by the axis, lies within the tolerance
    // of a multiple of 90°: its smaller component is at most tan(tolerance) of its larger.
    let (sin, cos) = axis.to_radians().sin_cos();
    let tol = TOLERANCE_DEG.to_radians().tan();
    let (mut aligned, mut n) = (0usize, 0usize);
    let l = |x: usize, y: usize| i32::from(s.luma[y * w + x]);
    let (rows, cols) = (&s.ink_rows, &s.ink_cols);
    for y in rows.start.max(1)..rows.end.min(h.saturating_sub(1)) {
        let (x0, x1) = (cols.start.max(1), cols.end.min(w.saturating_sub(1)));
        let mut next = x0;
        while next < x1 {
            let (x, i) = (next, y * w + next);
            // Paper eight at a time: no ink, no boundary.
            if x + 8 <= x1 && s.ink[i..i + 8] == [0; 8] {
                next += 8;
                continue;
            }
            next += 1;
            // Ink pixels on the boundary of the mask.
            if s.ink[i] == 0 || (s.ink[i - 1] & s.ink[i + 1] & s.ink[i - w] & s.ink[i + w]) == 1 {
                continue;
            }
            let gx = l(x + 1, y - 1) + 2 * l(x + 1, y) + l(x + 1, y + 1)
                - l(x - 1, y - 1)
                - 2 * l(x - 1, y)
                - l(x - 1, y + 1);
            let gy = l(x - 1, y + 1) + 2 * l(x, y + 1) + l(x + 1, y + 1)
                - l(x - 1, y - 1)
                - 2 * l(x, y - 1)
                - l(x + 1, y - 1);
            if gx.abs() + gy.abs() < MIN_GRADIENT {
                continue;
            }
            let (gx, gy) = (gx as f32, -gy as f32);
            let (a, b) = ((gx * cos + gy * sin).abs(), (gy * cos - gx * sin).abs());
            n += 1;
            if a.min(b) < tol * a.max(b) {
                aligned += 1;
            }
        }
    }
    (n >= 50).then_some(aligned as f32 / n.max(1) as f32)
}
