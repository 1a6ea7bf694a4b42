//! Separate letters: the ink's connected pieces, and the largest group of them that share one
//! height and one baseline. Type sets every capital on the same two lines, each letter its own
//! piece; a hand joins its letters and does not keep their heights that even.

use super::sample::Sample;

/// A piece's top and bottom, measured across the writing's axis.
#[derive(Debug, Clone, Copy)]
struct Piece {
    top: f32,
    bottom: f32,
    pixels: usize,
}

/// Pieces lower than this share of the ink's height (dots, accents, specks) are not letters.
const MIN_HEIGHT_SHARE: f32 = 0.25;
/// Two letters line up when both their tops and their bottoms differ by at most this share of
/// the height (and 2 px)...
const TOLERANCE: f32 = 0.06;
/// ...and a piece needs this many pixels to count.
const MIN_PIXELS: usize = 12;

/// How many separate pieces of the ink line up top and bottom with one another (the largest such
/// group; 1 when no two do, 0 without ink).
pub fn aligned_letters(s: &Sample) -> usize {
    let pieces = pieces(s);
    let tallest = pieces.iter().map(|p| p.bottom - p.top).fold(0.0, f32::max);
    let letters: Vec<Piece> = pieces
        .into_iter()
        .filter(|p| p.pixels >= MIN_PIXELS && p.bottom - p.top >= MIN_HEIGHT_SHARE * tallest)
        .collect();
    letters
        .iter()
        .map(|a| {
            let tol = (TOLERANCE * (a.bottom - a.top)).max(2.0);
            letters
                .iter()
                .filter(|b| (a.top - b.top).abs() <= tol && (a.bottom - b.bottom).abs() <= tol)
                .count()
        })
        .max()
        .unwrap_or(0)
}

/// The ink's 8-connected pieces, found over runs of ink in each row (a union-find over runs), with
/// their extent across the writing's axis.
fn pieces(s: &Sample) -> Vec<Piece> {
    let a =
        if s.elongation >= super::checks::rotated::MIN_ELONGATION { s.axis_deg.to_radians() } else { 0.0 };
    // Across the axis: v = x sin a + y cos a (image y points down; a is counter-clockwise).
    let (sa, ca) = a.sin_cos();
    let mut parent: Vec<usize> = Vec::new();
    let mut runs: Vec<(usize, usize, usize)> = Vec::new(); // (x0, x1 exclusive, id) of each run
    let mut row_of: Vec<usize> = Vec::new(); // the row of each run
    let mut prev: (usize, usize) = (0, 0); // the previous row's runs: runs[prev.0..prev.1]
    let (c0, c1) = (s.ink_cols.start, s.ink_cols.end);
    for y in s.ink_rows.clone() {
        let row = &s.ink[y * s.w..(y + 1) * s.w];
        let start = runs.len();
        let mut x = c0;
        while x < c1 {
            if row[x] == 0 {
                x += 1;
                continue;
            }
            let x0 = x;
            while x < c1 && row[x] == 1 {
                x += 1;
            }
            let id = parent.len();
            parent.push(id);
            // 8-connected: a run above touches this one when it reaches one column either side.
            for &(p0, p1, pid) in &runs[prev.0..prev.1] {
                if p0 <= x && x0 <= p1 {
                    union(&mut parent, id, pid);
                }
            }
            runs.push((x0, x, id));
            row_of.push(y);
        }
        prev = (start, runs.len());
    }
    let mut pieces: Vec<Option<Piece>> = vec![None; parent.len()];
    for (&(x0, x1, id), &y) in runs.iter().zip(&row_of) {
        let root = find(&mut parent, id);
        let (v0, v1) = (x0 as f32 * sa + y as f32 * ca, (x1 - 1) as f32 * sa + y as f32 * ca);
        let (lo, hi) = (v0.min(v1), v0.max(v1));
        let p = pieces[root].get_or_insert(Piece { top: lo, bottom: hi, pixels: 0 });
        p.top = p.top.min(lo);
        p.bottom = p.bottom.max(hi + 1.0);
        p.pixels += x1 - x0;
    }
    pieces.into_iter().flatten().collect()
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

fn union(parent: &mut [usize], a: usize, b: usize) {
    let (ra, rb) = (find(parent, a), find(parent, b));
    if ra != rb {
        parent[ra.max(rb)] = ra.min(rb);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::strokes::draw_polyline;
    use image::{Rgb, RgbImage};

    /// Six block capitals on one line, turned by `deg`, against one looped stroke.
    #[test]
    fn capitals_on_one_line_line_up_and_a_looped_stroke_does_not() {
        for deg in [0.0f32, 4.0] {
            let mut img = RgbImage::from_pixel(900, 400, Rgb([245, 245, 240]));
            let (sn, cs) = deg.to_radians().sin_cos();
            let turn = |x: f32, y: f32| {
                (450.0 + (x - 450.0) * cs + (y - 200.0) * sn, 200.0 - (x - 450.0) * sn + (y - 200.0) * cs)
            };
            for i in 0..6 {
                let x = 150.0 + i as f32 * 105.0;
                let (a, b, c) = (turn(x, 250.0), turn(x + 35.0, 150.0), turn(x + 70.0, 250.0));
                draw_polyline(&mut img, &[(a.0, a.1, 3.0), (b.0, b.1, 3.0), (c.0, c.1, 3.0)], [20, 20, 20]);
            }
            let s = Sample::new(&img);
            assert!(aligned_letters(&s) >= 5, "{deg}°: {}", aligned_letters(&s));
        }
        let mut img = RgbImage::from_pixel(900, 400, Rgb([245, 245, 240]));
        let pts: Vec<(f32, f32, f32)> = (0..=420)
            .map(|i| {
                let t = i as f32 / 60.0;
                let a = std::f32::consts::TAU * t;
                (200.0 + 75.0 * t - 30.0 * a.cos(), 200.0 - 70.0 * a.sin(), 2.5)
            })
            .collect();
        draw_polyline(&mut img, &pts, [20, 20, 20]);
        assert!(aligned_letters(&Sample::new(&img)) <= 1);
    }
}
