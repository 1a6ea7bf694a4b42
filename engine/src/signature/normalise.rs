//! The normalised sample: the ink cropped with a margin, turned level, the paper cleaned to
//! white (shadows, texture and printed lines gone), the ink's own colour kept, scaled to fit the
//! document's signature field and centred on white.

use super::SignatureProfile;
use super::checks::rotated::MIN_ELONGATION;
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
    let (u0, u1) = extent(s, |x, y| x * ux + y * uy);
    let (v0, v1) = extent(s, |x, y| x * vx + y * vy);
    let (fw, fh) = (p.field_width_px as f32, p.field_height_px as f32);
    let margin = (p.margin * (v1 - v0)).max(2.0);
    let scale = (fw / (u1 - u0 + 2.0 * margin)).min(fh / (v1 - v0 + 2.0 * margin));
    let (uc, vc) = ((u0 + u1) / 2.0, (v0 + v1) / 2.0);
    let paper = s.paper_rgb;
    let paper_luma = 0.299 * paper[0] + 0.587 * paper[1] + 0.114 * paper[2];
    let balance = paper.map(|c| paper_luma / c.max(16.0));
    let k = (1.0 / scale).ceil().clamp(1.0, 3.0) as usize;
    let near = NearInk::new(s, 0.5 / scale + 2.0);
    let inv = 1.0 / scale;
    // Sub-sample offsets within an output pixel, in source units along u and v.
    let subs: Vec<f32> = (0..k).map(|i| (i as f32 + 0.5) / k as f32 * inv).collect();
    let n = (k * k) as f32;
    let mut out = RgbImage::from_pixel(p.field_width_px, p.field_height_px, Rgb([255, 255, 255]));
    for oy in 0..p.field_height_px {
        let v_top = vc + (oy as f32 - fh / 2.0) * inv;
        for ox in 0..p.field_width_px {
            let u_left = uc + (ox as f32 - fw / 2.0) * inv;
            // Most of the field is paper, which cleans to the white it already is.
            let (u, v) = (u_left + 0.5 * inv, v_top + 0.5 * inv);
            if !near.at(u * ux + v * vx, u * uy + v * vy) {
                continue;
            }
            let mut acc = [0f32; 3];
            for &dv in &subs {
                for &du in &subs {
                    let (u, v) = (u_left + du, v_top + dv);
                    let (x, y) = (u * ux + v * vx, u * uy + v * vy);
                    // Bilinear when enlarging; when shrinking the k x k samples average already.
                    let c = if k == 1 {
                        cleaned(s, x, y, &balance)
                    } else {
                        pixel(s, floor(x), floor(y), &balance)
                    };
                    for (a, v) in acc.iter_mut().zip(c) {
                        *a += v;
                    }
                }
            }
            out.put_pixel(ox, oy, Rgb(acc.map(|v| (v / n + 0.5).clamp(0.0, 255.0) as u8)));
        }
    }
    let info =
        NormalisedInfo { rect: bbox, deskew_deg: deskew, width: p.field_width_px, height: p.field_height_px };
    Some((out, info))
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
    fn new(s: &Sample, reach: f32) -> Self {
        let (bw, bh) = (s.w.div_ceil(BLOCK), s.h.div_ceil(BLOCK));
        let mut dark = vec![false; bw * bh];
        let min = s.threshold / 2;
        for y in 0..s.h {
            let row = &s.dark[y * s.w..(y + 1) * s.w];
            for (bx, run) in row.chunks(BLOCK).enumerate() {
                if run.iter().any(|&d| d > min) {
                    dark[(y / BLOCK) * bw + bx] = true;
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

/// The 1st and 99th percentile of `f` over the ink (on a pixel grid of bins).
fn extent(s: &Sample, f: impl Fn(f32, f32) -> f32) -> (f32, f32) {
    let span = (s.w + s.h) as f32;
    let n = (2.0 * span) as usize + 2;
    let mut hist = vec![0usize; n];
    for y in 0..s.h {
        for x in 0..s.w {
            if s.ink[y * s.w + x] == 1 {
                let b = (f(x as f32, y as f32) + span).clamp(0.0, (n - 1) as f32) as usize;
                hist[b] += 1;
            }
        }
    }
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
}

/// The cleaned colour at a source position (bilinear over the four pixels around it).
fn cleaned(s: &Sample, x: f32, y: f32, balance: &[f32; 3]) -> [f32; 3] {
    let (fx, fy) = (x - 0.5, y - 0.5);
    let (x0, y0) = (fx.floor(), fy.floor());
    let (tx, ty) = (fx - x0, fy - y0);
    let mut acc = [0f32; 3];
    for (dx, dy, wgt) in
        [(0, 0, (1.0 - tx) * (1.0 - ty)), (1, 0, tx * (1.0 - ty)), (0, 1, (1.0 - tx) * ty), (1, 1, tx * ty)]
    {
        let c = pixel(s, x0 as isize + dx, y0 as isize + dy, balance);
        for (a, v) in acc.iter_mut().zip(c) {
            *a += v * wgt;
        }
    }
    acc
}

/// One source pixel cleaned: paper (and printed lines) white, ink blended in by its darkness,
/// relit to the paper's brightness and white-balanced.
fn pixel(s: &Sample, x: isize, y: isize, balance: &[f32; 3]) -> [f32; 3] {
    if x < 0 || y < 0 || x as usize >= s.w || y as usize >= s.h {
        return [255.0; 3];
    }
    let (x, y) = (x as usize, y as usize);
    let i = y * s.w + x;
    let d = s.dark[i];
    if s.lines.count() > 0 && d < s.keep_on_line && s.lines.on(x, y) {
        return [255.0; 3];
    }
    let t = f32::from(s.threshold);
    let alpha = ((f32::from(d) - t * 0.5) / (t * 0.5)).clamp(0.0, 1.0);
    if alpha == 0.0 {
        return [255.0; 3];
    }
    let relight = 255.0 / f32::from(s.paper_px[i].max(16));
    let px = s.rgb.get_pixel(x as u32, y as u32);
    [0, 1, 2].map(|k| {
        let ink = (f32::from(px[k]) * relight * balance[k]).min(255.0);
        255.0 * (1.0 - alpha) + ink * alpha
    })
}
