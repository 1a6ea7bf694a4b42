//! Focus, read from how steep the face's strongest edges are (lids, irises, brows, nostrils, the
//! lip line), not from how much texture the skin has.
//!
//! A blurred step edge of height `h` has a steepest slope of about `h / (σ √2π)`, so the slope
//! over the local intensity range depends on the blur width `σ` alone: a one-pixel step gives
//! 0.5 (central differences), a step blurred to σ = 1.2 px about 0.33, whatever the edge's
//! contrast, the face's brightness or the skin's smoothness. A texture-energy measure (Laplacian
//! over contrast) read smooth, studio-sharp faces as blurred (BENCHMARKS.md).

use crate::quality::face_region::FaceRegion;

/// Side of the window the local intensity range is taken over: wide enough to hold a sharp
/// edge's both sides, narrow enough not to reach the next edge.
const RANGE_WINDOW: usize = 5;
/// How far inside the face outline a pixel must lie, so the face's border with hair or
/// background (whose sharpness is the background's) does not count.
const INSET: usize = 3;
/// Local range, in 8-bit luminance levels, below which a pixel is not on an edge worth reading.
const MIN_RANGE: f32 = 20.0;
/// The steepest edges read: this share of the edge pixels, by gradient magnitude.
const STRONGEST: f32 = 0.05;
/// The percentile of slope over range among them that is reported.
const PERCENTILE: f32 = 0.75;
/// Fewer edge pixels than this (a tiny or featureless crop) measure 0.
const MIN_PIXELS: usize = 20;

/// Slope over local range at the face's strongest edges: about 0.5 for a focused face, lower as
/// blur widens the edges.
pub fn edge_sharpness(r: &FaceRegion) -> f32 {
    edge_sharpness_of(&r.luma, &r.face_mask, r.width() as usize, r.height() as usize)
}

/// [`edge_sharpness`] of a `w` x `h` luminance buffer over the pixels of `mask`.
fn edge_sharpness_of(l: &[f32], mask: &[bool], w: usize, h: usize) -> f32 {
    if w < 3 || h < 3 {
        return 0.0;
    }
    let range = window_range(l, w, h, RANGE_WINDOW / 2);
    let inside = inset_mask(mask, w, h, INSET);
    let mut edges: Vec<(f32, f32)> = Vec::new();
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let i = y * w + x;
            if !inside[i] || range[i] < MIN_RANGE {
                continue;
            }
            let gx = (l[i + 1] - l[i - 1]) / 2.0;
            let gy = (l[i + w] - l[i - w]) / 2.0;
            edges.push(((gx * gx + gy * gy).sqrt(), range[i]));
        }
    }
    if edges.len() < MIN_PIXELS {
        return 0.0;
    }
    let keep = ((edges.len() as f32 * STRONGEST).ceil() as usize).clamp(1, edges.len());
    // The `keep` steepest first, in no order: a partial selection, not a sort of every pixel.
    edges.select_nth_unstable_by(keep - 1, |a, b| b.0.total_cmp(&a.0));
    let mut slopes: Vec<f32> = edges[..keep].iter().map(|&(g, r)| g / r).collect();
    slopes.sort_unstable_by(f32::total_cmp);
    slopes[((slopes.len() - 1) as f32 * PERCENTILE).round() as usize]
}

/// Max minus min of `v` over the (2r+1)-square around each pixel, clamped at the borders;
/// separable: rows, then columns, the column pass a row at a time so it vectorises.
fn window_range(v: &[f32], w: usize, h: usize, r: usize) -> Vec<f32> {
    // Plain comparisons: `f32::max` also handles NaN, which luminance never is, at several
    // times the cost.
    let hi = |a: f32, b: f32| if a > b { a } else { b };
    let lo = |a: f32, b: f32| if a < b { a } else { b };
    let (mut rmax, mut rmin) = (vec![0f32; v.len()], vec![0f32; v.len()]);
    for y in 0..h {
        let row = &v[y * w..(y + 1) * w];
        for x in 0..w {
            let win = &row[x.saturating_sub(r)..=(x + r).min(w - 1)];
            rmax[y * w + x] = win.iter().fold(win[0], |m, &p| hi(m, p));
            rmin[y * w + x] = win.iter().fold(win[0], |m, &p| lo(m, p));
        }
    }
    let mut out = vec![0f32; v.len()];
    let (mut cmax, mut cmin) = (vec![0f32; w], vec![0f32; w]);
    for y in 0..h {
        let (y0, y1) = (y.saturating_sub(r), (y + r).min(h - 1));
        cmax.copy_from_slice(&rmax[y0 * w..(y0 + 1) * w]);
        cmin.copy_from_slice(&rmin[y0 * w..(y0 + 1) * w]);
        for yy in y0 + 1..=y1 {
            for (m, &p) in cmax.iter_mut().zip(&rmax[yy * w..(yy + 1) * w]) {
                *m = hi(*m, p);
            }
            for (m, &p) in cmin.iter_mut().zip(&rmin[yy * w..(yy + 1) * w]) {
                *m = lo(*m, p);
            }
        }
        for ((o, &a), &b) in out[y * w..(y + 1) * w].iter_mut().zip(&cmax).zip(&cmin) {
            *o = a - b;
        }
    }
    out
}

/// Pixels whose whole (2r+1)-square lies inside `mask` (and inside the crop).
fn inset_mask(mask: &[bool], w: usize, h: usize, r: usize) -> Vec<bool> {
    let mut rows = vec![false; mask.len()];
    for y in 0..h {
        for x in r..w.saturating_sub(r) {
            rows[y * w + x] = mask[y * w + x - r..=y * w + x + r].iter().all(|&m| m);
        }
    }
    let mut out = vec![false; mask.len()];
    for y in r..h.saturating_sub(r) {
        for x in 0..w {
            out[y * w + x] = (y - r..=y + r).all(|yy| rows[yy * w + x]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Vertical bars 16 px wide every 32 px, each edge a step between 60 and 180 spread over
    /// `width` pixels.
    fn edges(width: f32, w: usize, h: usize) -> Vec<f32> {
        let ramp = |d: f32| (d / width + 0.5).clamp(0.0, 1.0);
        (0..w * h)
            .map(|i| {
                let p = (i % w % 32) as f32;
                60.0 + 120.0 * (ramp(p - 8.0) - ramp(p - 24.0))
            })
            .collect()
    }

    #[test]
    fn edge_width_not_contrast_decides() {
        let (w, h) = (64, 64);
        let mask = vec![true; w * h];
        let sharp = edge_sharpness_of(&edges(1.0, w, h), &mask, w, h);
        let soft = edge_sharpness_of(&edges(10.0, w, h), &mask, w, h);
        assert!(sharp >= 0.45, "one-pixel step reads {sharp}");
        assert!(soft < 0.3, "ten-pixel ramp reads {soft}");
        // A third of the contrast, same width: the same reading.
        let faint: Vec<f32> = edges(1.0, w, h).iter().map(|v| 100.0 + (v - 60.0) / 3.0).collect();
        let faint = edge_sharpness_of(&faint, &mask, w, h);
        assert!((faint - sharp).abs() < 0.02, "contrast changed the reading: {faint} vs {sharp}");
    }

    #[test]
    fn a_flat_or_unmasked_crop_measures_zero() {
        let (w, h) = (32, 32);
        assert_eq!(edge_sharpness_of(&vec![128.0; w * h], &vec![true; w * h], w, h), 0.0);
        assert_eq!(edge_sharpness_of(&edges(1.0, w, h), &vec![false; w * h], w, h), 0.0);
    }
}
