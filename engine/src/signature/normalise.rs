//! The normalised sample: the ink cropped with a margin, turned level, the paper cleaned to
//! white (shadows, texture and printed lines gone), the ink's own colour kept, scaled to fit the
//! document's signature field and centred on white.

use super::SignatureProfile;
use super::checks::rotated::MIN_ELONGATION;
use super::paper::PaperRow;
use super::report::NormalisedInfo;
use super::sample::Sample;
use image::{Rgb, RgbImage};

/// Turns larger than this are not taken out (the axis of a sample turned by 90° is ambiguous).
const MAX_DESKEW_DEG: f32 = 45.0;

pub fn normalise(s: &Sample, p: &SignatureProfile) -> Option<(RgbImage, NormalisedInfo)> {
    let bbox = s.bbox?;
    let deskew =
        if s.elongation >= MIN_ELONGATION && s.axis_deg.abs() <= MAX_DESKEW_DEG { s.axis_deg } else { 0.0 };
    let a = deskew.to_radians();
    // The writing's axis u and its perpendicular v, in image coordinates (y down).
    let (ux, uy) = (a.cos(), -a.sin());
    let (vx, vy) = (a.sin(), a.cos());
    let ((u0, u1), (v0, v1)) = extent(s, (ux, uy), (vx, vy));
    let (fw, fh) = (p.field_width_px as f32, p.field_height_px as f32);
    let margin = (p.margin * (v1 - v0)).max(2.0);
    let scale = (fw / (u1 - u0 + 2.0 * margin)).min(fh / (v1 - v0 + 2.0 * margin));
    let (uc, vc) = ((u0 + u1) / 2.0, (v0 + v1) / 2.0);
    let paper = s.paper_rgb;
    let paper_luma = 0.299 * paper[0] + 0.587 * paper[1] + 0.114 * paper[2];
    let balance = paper.map(|c| paper_luma / c.max(16.0));
    let clean = Clean::new(s, balance);
    let frame = Frame {
        uc,
        vc,
        u: (ux, uy),
        v: (vx, vy),
        inv: 1.0 / scale,
        fw: p.field_width_px,
        fh: p.field_height_px,
    };
    // The field's corners in the source: only dark pixels within reach of them can show.
    let corners = [(0.0, 0.0), (fw, 0.0), (0.0, fh), (fw, fh)].map(|(x, y)| frame.source(x, y));
    let out =
        if scale >= 1.0 { enlarge(s, &frame, &clean, corners) } else { shrink(s, &frame, &clean, corners) };
    let info =
        NormalisedInfo { rect: bbox, deskew_deg: deskew, width: p.field_width_px, height: p.field_height_px };
    Some((out, info))
}

/// Where the field sits in the source: its centre along the writing's axis `u` and across it
/// `v`, the axes in image coordinates, and source pixels per field pixel.
struct Frame {
    uc: f32,
    vc: f32,
    u: (f32, f32),
    v: (f32, f32),
    inv: f32,
    fw: u32,
    fh: u32,
}

impl Frame {
    /// The source position of field position (`ox`, `oy`) (in field pixels, from the top left).
    fn source(&self, ox: f32, oy: f32) -> (f32, f32) {
        let u = self.uc + (ox - self.fw as f32 / 2.0) * self.inv;
        let v = self.vc + (oy - self.fh as f32 / 2.0) * self.inv;
        (u * self.u.0 + v * self.v.0, u * self.u.1 + v * self.v.1)
    }
}

/// Enlarging (a field pixel smaller than a source pixel): each field pixel near ink is the
/// bilinear blend of the cleaned source around its centre.
fn enlarge(s: &Sample, f: &Frame, clean: &Clean, corners: [(f32, f32); 4]) -> RgbImage {
    let near = NearInk::new(s, 0.5 * f.inv + 2.0, corners);
    let mut out = RgbImage::from_pixel(f.fw, f.fh, Rgb([255, 255, 255]));
    for oy in 0..f.fh {
        for ox in 0..f.fw {
            let (x, y) = f.source(ox as f32 + 0.5, oy as f32 + 0.5);
            // Most of the field is paper, which cleans to the white it already is.
            if near.at(x, y) {
                let c = cleaned(s, x, y, clean);
                out.put_pixel(ox, oy, Rgb(c.map(|v| (v + 0.5).clamp(0.0, 255.0) as u8)));
            }
        }
    }
    out
}

/// Shrinking: only the source pixels that show ink are visited. Each spreads what it takes from
/// the white (255 less its cleaned colour) over the four field pixels around its position, by
/// bilinear weights, and a field pixel loses the sum over its area in source pixels. The
/// paper, most of the footprint, is never read past a quick look at its darkness.
fn shrink(s: &Sample, f: &Frame, clean: &Clean, corners: [(f32, f32); 4]) -> RgbImage {
    let (fw, fh) = (f.fw as usize, f.fh as usize);
    let mut loss = vec![[0f32; 3]; fw * fh];
    let span = |k: fn(&(f32, f32)) -> f32, len: usize| {
        let (lo, hi) = corner_span(&corners, k, f.inv + 1.0);
        (lo.max(0.0) as usize).min(len)..(hi.max(0.0) as usize).min(len)
    };
    let (xs, ys) = (span(|c| c.0, s.w), span(|c| c.1, s.h));
    // Integer darkness at or below this cleans to white (the same cut as `ink`).
    let min = s.threshold / 2;
    // A pixel's field position, less half a field pixel (the four around it start there): a
    // row term and a column term, worked out once each.
    let scale = 1.0 / f.inv;
    let (cx, cy) = (f.fw as f32 / 2.0 - 0.5 - f.uc * scale, f.fh as f32 / 2.0 - 0.5 - f.vc * scale);
    for y in ys {
        let row = &s.dark[y * s.w + xs.start..y * s.w + xs.end];
        let paper = s.paper_rows.row(y);
        let yf = y as f32 + 0.5;
        let (ry, ry2) = (cx + yf * f.u.1 * scale, cy + yf * f.v.1 * scale);
        for (b, run) in row.chunks(BLOCK).enumerate() {
            if !any_above(run, min) {
                continue;
            }
            let x0 = xs.start + b * BLOCK;
            for x in x0..x0 + run.len() {
                let Some(c) = ink_at(s, x, y, &paper, clean) else { continue };
                let xf = x as f32 + 0.5;
                let (gx, gy) = (ry + xf * f.u.0 * scale, ry2 + xf * f.v.0 * scale);
                let (i, j) = (floor(gx), floor(gy));
                let (tx, ty) = (gx - i as f32, gy - j as f32);
                let lost = c.map(|v| 255.0 - v);
                // The four field pixels around it: offsets from (i, j) and bilinear weights.
                let around = [
                    (0, (1.0 - tx) * (1.0 - ty)),
                    (1, tx * (1.0 - ty)),
                    (fw as isize, (1.0 - tx) * ty),
                    (fw as isize + 1, tx * ty),
                ];
                let at = j * fw as isize + i;
                if i >= 0 && j >= 0 && i + 1 < fw as isize && j + 1 < fh as isize {
                    // Inside the field, the common case: no corner needs a check.
                    for (d, wgt) in around {
                        let a = &mut loss[(at + d) as usize];
                        for k in 0..3 {
                            a[k] += lost[k] * wgt;
                        }
                    }
                } else {
                    for (n, (d, wgt)) in around.into_iter().enumerate() {
                        let (i, j) = (i + (n % 2) as isize, j + (n / 2) as isize);
                        if i >= 0 && j >= 0 && (i as usize) < fw && (j as usize) < fh {
                            let a = &mut loss[(at + d) as usize];
                            for k in 0..3 {
                                a[k] += lost[k] * wgt;
                            }
                        }
                    }
                }
            }
        }
    }
    let area = f.inv * f.inv;
    let mut out = RgbImage::new(f.fw, f.fh);
    for (px, l) in out.pixels_mut().zip(&loss) {
        *px = Rgb(l.map(|v| (255.0 - v / area + 0.5).clamp(0.0, 255.0) as u8));
    }
    out
}

/// The span of one coordinate (`k`) of the field's corners in the source, widened by `by` each
/// side: the part of the source the field can draw from.
fn corner_span(corners: &[(f32, f32); 4], k: fn(&(f32, f32)) -> f32, by: f32) -> (f32, f32) {
    let lo = corners.iter().map(k).fold(f32::MAX, f32::min);
    let hi = corners.iter().map(k).fold(f32::MIN, f32::max);
    (lo - by, hi + by)
}

/// `x` rounded down (a cast and a compare: no call into the maths library).
#[inline]
fn floor(x: f32) -> isize {
    let i = x as isize;
    i - isize::from((i as f32) > x)
}

/// Which 8 x 8 blocks of the source hold, or lie within `reach` pixels of, a pixel dark enough to
/// show in the cleaned sample (darkness above half the ink threshold).
struct NearInk {
    blocks: Vec<bool>,
    bw: usize,
    bh: usize,
}

const BLOCK: usize = 8;

impl NearInk {
    /// Looks only within `reach` of the box around `corners` (the field's footprint).
    fn new(s: &Sample, reach: f32, corners: [(f32, f32); 4]) -> Self {
        let (bw, bh) = (s.w.div_ceil(BLOCK), s.h.div_ceil(BLOCK));
        let mut dark = vec![false; bw * bh];
        let min = s.threshold / 2;
        let span = |k: fn(&(f32, f32)) -> f32, len: usize| {
            let (lo, hi) = corner_span(&corners, k, reach + BLOCK as f32);
            // Whole blocks, so a block's darkness never depends on where the footprint cut it.
            let a = (lo.max(0.0) as usize / BLOCK * BLOCK).min(len);
            let b = ((hi.max(0.0) as usize).div_ceil(BLOCK) * BLOCK).min(len);
            a..b.max(a)
        };
        let (xs, ys) = (span(|c| c.0, s.w), span(|c| c.1, s.h));
        for y in ys {
            let row = &s.dark[y * s.w + xs.start..y * s.w + xs.end];
            for (i, run) in row.chunks(BLOCK).enumerate() {
                if any_above(run, min) {
                    dark[(y / BLOCK) * bw + xs.start / BLOCK + i] = true;
                }
            }
        }
        let r = (reach / BLOCK as f32).ceil() as usize;
        let mut blocks = vec![false; bw * bh];
        for by in 0..bh {
            for bx in 0..bw {
                if dark[by * bw + bx] {
                    for j in by.saturating_sub(r)..=(by + r).min(bh - 1) {
                        blocks[j * bw + bx.saturating_sub(r)..=j * bw + (bx + r).min(bw - 1)].fill(true);
                    }
                }
            }
        }
        Self { blocks, bw, bh }
    }

    /// Whether source position (x, y) is near ink (a position off the frame answers for the edge
    /// nearest it, whose reach covers the footprint that still falls inside).
    fn at(&self, x: f32, y: f32) -> bool {
        let bx = (x.max(0.0) as usize / BLOCK).min(self.bw - 1);
        let by = (y.max(0.0) as usize / BLOCK).min(self.bh - 1);
        self.blocks[by * self.bw + bx]
    }
}

/// Whether any byte of `run` (at most 8) is above `min` (under 128): eight bytes at once, each
/// plus (127 - min) reaching its top bit exactly when it is above `min`.
#[inline]
fn any_above(run: &[u8], min: u8) -> bool {
    debug_assert!(min < 128 && run.len() <= 8);
    let b = <[u8; 8]>::try_from(run).unwrap_or_else(|_| {
        let mut b = [0u8; 8];
        b[..run.len()].copy_from_slice(run);
        b
    });
    let x = u64::from_le_bytes(b);
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let add = u64::from(127 - min) * 0x0101_0101_0101_0101;
    (((x & LOW7) + add) | x) & !LOW7 != 0
}

/// The 1st and 99th percentile of the ink's position along `u` and along `v` (on a pixel grid
/// of bins).
fn extent(s: &Sample, u: (f32, f32), v: (f32, f32)) -> ((f32, f32), (f32, f32)) {
    let span = (s.w + s.h) as f32;
    let n = (2.0 * span) as usize + 2;
    let (mut hu, mut hv) = (vec![0usize; n], vec![0usize; n]);
    let at = |p: f32| (p + span).clamp(0.0, (n - 1) as f32) as usize;
    for y in s.ink_rows.clone() {
        let row = &s.ink[y * s.w..(y + 1) * s.w];
        let yf = y as f32;
        for x in s.ink_cols.clone() {
            if row[x] == 1 {
                let xf = x as f32;
                hu[at(xf * u.0 + yf * u.1)] += 1;
                hv[at(xf * v.0 + yf * v.1)] += 1;
            }
        }
    }
    let bounds = |hist: &[usize]| {
        let (lo_n, hi_n) = (s.ink_count / 100, s.ink_count - s.ink_count / 100);
        let (mut acc, mut lo, mut hi) = (0usize, None, n - 1);
        for (i, &c) in hist.iter().enumerate() {
            acc += c;
            if lo.is_none() && acc > lo_n {
                lo = Some(i);
            }
            if acc >= hi_n {
                hi = i;
                break;
            }
        }
        let lo = lo.unwrap_or(0);
        (lo as f32 - span, hi.max(lo) as f32 + 1.0 - span)
    };
    (bounds(&hu), bounds(&hv))
}

/// What cleaning a pixel needs, worked out once: half the ink threshold (where ink starts to
/// show), the relighting gain for each paper brightness, and the paper's white balance.
struct Clean {
    half: f32,
    relight: [f32; 256],
    balance: [f32; 3],
}

impl Clean {
    fn new(s: &Sample, balance: [f32; 3]) -> Self {
        let relight = std::array::from_fn(|p| 255.0 / (p.max(16) as f32));
        Self { half: f32::from(s.threshold) * 0.5, relight, balance }
    }
}

/// The cleaned colour at a source position (bilinear over the four pixels around it).
fn cleaned(s: &Sample, x: f32, y: f32, clean: &Clean) -> [f32; 3] {
    let (fx, fy) = (x - 0.5, y - 0.5);
    let (x0, y0) = (fx.floor(), fy.floor());
    let (tx, ty) = (fx - x0, fy - y0);
    let mut acc = [0f32; 3];
    for (dx, dy, wgt) in
        [(0, 0, (1.0 - tx) * (1.0 - ty)), (1, 0, tx * (1.0 - ty)), (0, 1, (1.0 - tx) * ty), (1, 1, tx * ty)]
    {
        let c = blend(s, x0 as isize + dx, y0 as isize + dy, clean);
        for (a, v) in acc.iter_mut().zip(c) {
            *a += v * wgt;
        }
    }
    acc
}

/// One source pixel cleaned: paper (and printed lines) white, ink blended in by its darkness,
/// relit to the paper's brightness and white-balanced. Off the frame is white.
fn blend(s: &Sample, x: isize, y: isize, clean: &Clean) -> [f32; 3] {
    ink(s, x, y, clean).unwrap_or([255.0; 3])
}

/// A source pixel's cleaned colour where it shows ink; `None` where it cleans to white.
#[inline(always)]
fn ink(s: &Sample, x: isize, y: isize, clean: &Clean) -> Option<[f32; 3]> {
    if x < 0 || y < 0 || x as usize >= s.w || y as usize >= s.h {
        return None;
    }
    let (x, y) = (x as usize, y as usize);
    ink_at(s, x, y, &s.paper_rows.row(y), clean)
}

/// [`ink`] at a pixel known to be on the frame, with its row of paper at hand.
#[inline(always)]
fn ink_at(s: &Sample, x: usize, y: usize, paper: &PaperRow, clean: &Clean) -> Option<[f32; 3]> {
    let i = y * s.w + x;
    let d = s.dark[i];
    // Paper, the commonest case, first: half the ink threshold or lighter shows nothing.
    let df = f32::from(d);
    if df <= clean.half || (s.lines.count() > 0 && d < s.keep_on_line && s.lines.on(x, y)) {
        return None;
    }
    let alpha = ((df - clean.half) / clean.half).min(1.0);
    let relight = clean.relight[usize::from(paper.at(x))];
    let px = &s.rgb.as_raw()[3 * i..3 * i + 3];
    Some([0, 1, 2].map(|k| {
        let ink = (f32::from(px[k]) * relight * clean.balance[k]).min(255.0);
        255.0 * (1.0 - alpha) + ink * alpha
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::Profile;

    /// A black bar `len` x `thick` on near-white paper.
    fn bar(len: u32, thick: u32) -> RgbImage {
        let (w, h) = (len + 300, 500);
        RgbImage::from_fn(w, h, |x, y| {
            let on = (150..150 + len).contains(&x) && (250 - thick / 2..250 + thick / 2).contains(&y);
            if on { Rgb([0, 0, 0]) } else { Rgb([250, 250, 250]) }
        })
    }

    #[test]
    fn a_shrunk_stroke_keeps_its_core_black_and_its_ink_in_proportion() {
        let p = Profile::built_in("kz-id").unwrap().signature;
        let (len, thick) = (1200u32, 40u32);
        let img = bar(len, thick);
        let (out, _) = normalise(&Sample::new(&img), &p).expect("ink");
        let dark_cols: Vec<u32> =
            (0..out.width()).filter(|&x| (0..out.height()).any(|y| out.get_pixel(x, y)[0] < 128)).collect();
        let scale = dark_cols.len() as f32 / len as f32;
        assert!(scale < 0.5, "the bar is shrunk ({scale})");
        let mid = out.get_pixel(out.width() / 2, out.height() / 2);
        assert!(mid[0] < 8, "the stroke's core stays black: {mid:?}");
        assert_eq!(out.get_pixel(1, 1), &Rgb([255, 255, 255]), "paper is white");
        // What the field loses from white is the ink's area at the field's scale.
        let mass: f32 = out.pixels().map(|p| f32::from(255 - p[0]) / 255.0).sum();
        let expected = (len * thick) as f32 * scale * scale;
        assert!((mass / expected - 1.0).abs() < 0.06, "ink mass {mass} against {expected}");
    }
}
