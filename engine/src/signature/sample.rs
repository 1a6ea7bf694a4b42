//! What every signature check reads, measured once: the luma, the paper under the ink, each
//! pixel's darkness against its paper, the ink mask (printed lines taken out), and the ink's
//! size, axis and stroke width.

use super::lines::{self, Lines};
use super::paper::{CellSums, PaperMap, RowSampler};
use image::RgbImage;

/// Ink is darker than its paper by at least this share of the darkest ink (the ink's core)...
const INK_SHARE_OF_PEAK: f32 = 0.45;
/// ...and never less than this (0-255), which JPEG noise and paper grain stay under.
const MIN_INK_DARKNESS: u8 = 28;
/// Any peak below this sets the threshold at [`MIN_INK_DARKNESS`] (63 * 0.45 rounds down to 28).
const PEAK_FLOOR: u8 = 63;

pub struct Sample<'a> {
    pub rgb: &'a RgbImage,
    pub w: usize,
    pub h: usize,
    pub luma: Vec<u8>,
    pub paper: PaperMap,
    /// The paper's brightness at any pixel (`paper_rows.row(y).at(x)`).
    pub paper_rows: RowSampler,
    /// Darkness against the paper, 0 (paper) to 255 (black on white).
    pub dark: Vec<u8>,
    /// The mean colour of clean paper (what white balance and cleaning are measured against).
    pub paper_rgb: [f32; 3],
    /// The darkness from which a pixel is ink.
    pub threshold: u8,
    /// 1 where ink (printed lines excluded), else 0.
    pub ink: Vec<u8>,
    /// On a printed line, a pixel is ink only from this darkness (darker than the line).
    pub keep_on_line: u8,
    pub ink_count: usize,
    pub lines: Lines,
    /// Ink extent: 1st to 99th percentile of the ink's columns and rows.
    pub bbox: Option<[f32; 4]>,
    /// Angle of the ink's main axis (degrees, counter-clockwise on screen), and how much longer
    /// it is than the cross axis.
    pub axis_deg: f32,
    pub elongation: f32,
    /// Median ink stroke width, pixels.
    pub stroke_width: f32,
    /// The rows and columns that hold any ink (half-open ranges; empty without ink), so the
    /// passes that look only at ink and its edges skip the bare paper around it.
    pub ink_rows: std::ops::Range<usize>,
    pub ink_cols: std::ops::Range<usize>,
    /// Ink pixels in each row.
    pub row_ink: Vec<usize>,
}

impl<'a> Sample<'a> {
    pub fn new(rgb: &'a RgbImage) -> Self {
        let (w, h) = (rgb.width() as usize, rgb.height() as usize);
        // The frame-sized planes are made a row at a time in a small buffer and appended, so
        // each is written once (a zeroed allocation would be written twice).
        let mut buf = vec![0u8; w];
        let mut luma = Vec::with_capacity(w * h);
        let mut sums = CellSums::new(w, h);
        for (y, src) in rgb.as_raw().chunks_exact(3 * w.max(1)).take(h).enumerate() {
            luma_row(src, &mut buf);
            sums.add_row(y, &buf);
            luma.extend_from_slice(&buf);
        }
        let paper = PaperMap::from_sums(sums);
        let paper_rows = RowSampler::new(&paper, w, h);
        let mut dark = Vec::with_capacity(w * h);
        // Only the darkest pixels set the ink threshold: below PEAK_FLOOR the share of the peak
        // is under MIN_INK_DARKNESS anyway, so the tally keeps just the tail above it.
        let mut tail = [0usize; 256];
        let mut p_row = vec![0u8; w];
        let mut tally = lines::Tally::new(w, h);
        for (y, l_row) in luma.chunks_exact(w.max(1)).enumerate() {
            paper_rows.row(y).fill(&mut p_row);
            darkness_row(l_row, &p_row, &mut buf);
            if buf.iter().fold(0, |m, &d| m.max(d)) >= PEAK_FLOOR {
                for &d in buf.iter().filter(|&&d| d >= PEAK_FLOOR) {
                    tail[usize::from(d)] += 1;
                }
            }
            tally.add_row(y, &buf);
            dark.extend_from_slice(&buf);
        }
        let paper_rgb = super::colour::paper_rgb(rgb, &dark);
        // The ink's core: the darkness only the darkest 0.05% of pixels reach.
        let mut left = (w * h) / 2000 + 1;
        let mut peak = 0u8;
        for d in (usize::from(PEAK_FLOOR)..256).rev() {
            if tail[d] >= left {
                peak = d as u8;
                break;
            }
            left -= tail[d];
        }
        let threshold = ((f32::from(peak) * INK_SHARE_OF_PEAK) as u8).max(MIN_INK_DARKNESS);
        let lines = tally.lines();
        let line_dark = line_darkness(&dark, &lines, w, h);
        let keep_on_line = threshold.max(((f32::from(line_dark) * 1.4) as u8).saturating_add(10));
        // The ink mask, and with it the ink's projections and moments (as integer sums per row).
        let (ink, shape) = ink_mask(&dark, w, h, threshold, keep_on_line, &lines);
        let ink_count = shape.n as usize;
        let mut s = Sample {
            rgb,
            w,
            h,
            luma,
            paper,
            paper_rows,
            dark,
            paper_rgb,
            threshold,
            ink,
            keep_on_line,
            ink_count,
            lines,
            bbox: None,
            axis_deg: 0.0,
            elongation: 1.0,
            stroke_width: 0.0,
            ink_rows: 0..0,
            ink_cols: 0..0,
            row_ink: Vec::new(),
        };
        s.measure_shape(shape);
        s
    }

    fn measure_shape(&mut self, shape: Shape) {
        if self.ink_count < 8 {
            self.row_ink = shape.rows;
            return;
        }
        let w = self.w;
        let Shape { cols, rows, sx, sy, sxx, syy, sxy, .. } = shape;
        let (sx, sy, sxx, syy, sxy) = (sx as f64, sy as f64, sxx as f64, syy as f64, sxy as f64);
        let n = self.ink_count as f64;
        let (mx, my) = (sx / n, sy / n);
        let (vxx, vyy, vxy) = (sxx / n - mx * mx, syy / n - my * my, sxy / n - mx * my);
        // Image y points down: negate so a counter-clockwise turn on screen is positive.
        let angle = 0.5 * (-2.0 * vxy).atan2(vxx - vyy);
        let tr = vxx + vyy;
        let disc = ((vxx - vyy).powi(2) + 4.0 * vxy * vxy).sqrt();
        let (l1, l2) = ((tr + disc) / 2.0, ((tr - disc) / 2.0).max(1e-9));
        self.axis_deg = angle.to_degrees() as f32;
        self.elongation = (l1 / l2).sqrt() as f32;
        let span = |p: &[usize]| {
            let first = p.iter().position(|&c| c > 0).unwrap_or(0);
            let last = p.iter().rposition(|&c| c > 0).unwrap_or(0);
            first..last + 1
        };
        self.ink_rows = span(&rows);
        self.ink_cols = span(&cols);
        let (x0, x1) = percentiles(&cols, self.ink_count);
        let (y0, y1) = percentiles(&rows, self.ink_count);
        self.bbox = Some([x0 as f32, y0 as f32, (x1 - x0 + 1) as f32, (y1 - y0 + 1) as f32]);
        self.stroke_width = stroke_width(&self.ink, w, self.ink_rows.clone(), self.ink_cols.clone());
        self.row_ink = rows;
    }

    /// `range` widened by `margin` on each side, within `0..len`.
    pub fn widened(range: &std::ops::Range<usize>, margin: usize, len: usize) -> std::ops::Range<usize> {
        if range.is_empty() {
            return 0..0;
        }
        range.start.saturating_sub(margin)..(range.end + margin).min(len)
    }

    /// Share of the frame that is ink.
    pub fn ink_share(&self) -> f32 {
        self.ink_count as f32 / (self.w * self.h).max(1) as f32
    }
}

/// One row of luma (BT.601 weights in 8-bit fixed point) from packed RGB. Compiled also for
/// AVX2 and picked at run time: the three-byte stride needs byte shuffles that the x86-64
/// baseline lacks, and this is a whole-frame pass. The arithmetic is integer, so every build
/// gives the same bytes.
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn luma_row(src: &[u8], dst: &mut [u8]) {
    for (l, p) in dst.iter_mut().zip(src.chunks_exact(3)) {
        *l = ((77 * u16::from(p[0]) + 150 * u16::from(p[1]) + 29 * u16::from(p[2])) >> 8) as u8;
    }
}

/// One row of darkness against the paper: (paper - luma) * 255 / paper, rounded down. Both are
/// whole numbers under 2^16, so the float quotient is never rounded across a whole number, and
/// plain IEEE division and subtraction (no fused steps) give the same bytes. (An AVX2 build of
/// this loop is no faster: the divider sets its pace.)
fn darkness_row(luma: &[u8], paper: &[u8], dst: &mut [u8]) {
    for ((d, &l), &p) in dst.iter_mut().zip(luma).zip(paper) {
        let lost = f32::from(p.saturating_sub(l)) * 255.0;
        // Rounded down: the quotient's fraction is a multiple of 1/p (p <= 255), so it is 0 or
        // at least 1/255 from the next whole number, and 0.498 below rounds it down.
        *d = round_byte((lost / f32::from(p.max(16))).min(255.0) - 0.498);
    }
}

/// The ink mask (1 where ink, printed lines taken out), and with it the ink's projections and
/// moments.
fn ink_mask(
    dark: &[u8],
    w: usize,
    h: usize,
    threshold: u8,
    keep_on_line: u8,
    lines: &Lines,
) -> (Vec<u8>, Shape) {
    let mut buf = vec![0u8; w];
    let mut ink = Vec::with_capacity(w * h);
    let mut shape = Shape { cols: vec![0; w], rows: vec![0; h], ..Default::default() };
    let has_lines = lines.count() > 0;
    for (y, d_row) in dark.chunks_exact(w.max(1)).take(h).enumerate() {
        if has_lines {
            for (x, (i, &d)) in buf.iter_mut().zip(d_row).enumerate() {
                *i = u8::from(d >= threshold && (d >= keep_on_line || !lines.on(x, y)));
            }
        } else {
            for (i, &d) in buf.iter_mut().zip(d_row) {
                *i = u8::from(d >= threshold);
            }
        }
        shape.add_row(y, &buf);
        ink.extend_from_slice(&buf);
    }
    (ink, shape)
}

/// `v` (-0.5 to 255.5) rounded to the nearest whole number (ties to even): adding 1.5 * 2^23
/// leaves the whole part in the float's lowest bits. An `as` cast saturates one value at a
/// time; this runs several to an instruction.
#[inline(always)]
pub(crate) fn round_byte(v: f32) -> u8 {
    (v + 12_582_912.0).to_bits() as u8
}

/// The ink's projections on columns and rows and its first and second moments, summed exactly
/// in integers a row at a time.
#[derive(Default)]
struct Shape {
    cols: Vec<usize>,
    rows: Vec<usize>,
    n: u64,
    sx: u64,
    sy: u64,
    sxx: u64,
    syy: u64,
    sxy: u64,
}

impl Shape {
    fn add_row(&mut self, y: usize, ink_row: &[u8]) {
        let n: usize = ink_row.iter().map(|&v| usize::from(v)).sum();
        self.rows[y] = n;
        if n == 0 {
            return;
        }
        let (mut sx, mut sxx) = (0u64, 0u64);
        for (x, (&v, c)) in ink_row.iter().zip(self.cols.iter_mut()).enumerate() {
            *c += usize::from(v);
            let (x, v) = (x as u64, u64::from(v));
            sx += v * x;
            sxx += v * x * x;
        }
        let (y, n) = (y as u64, n as u64);
        self.n += n;
        self.sx += sx;
        self.sy += y * n;
        self.sxx += sxx;
        self.syy += y * y * n;
        self.sxy += y * sx;
    }
}

/// The 1st and 99th percentile positions of a projection holding `total` pixels.
fn percentiles(proj: &[usize], total: usize) -> (usize, usize) {
    let (lo_n, hi_n) = (total / 100, total - total / 100);
    let (mut acc, mut lo, mut hi) = (0usize, 0usize, proj.len() - 1);
    let mut lo_set = false;
    for (i, &c) in proj.iter().enumerate() {
        acc += c;
        if !lo_set && acc > lo_n {
            lo = i;
            lo_set = true;
        }
        if acc >= hi_n {
            hi = i;
            break;
        }
    }
    (lo, hi.max(lo))
}

/// Median darkness of the pixels on the found lines (0 when there are none).
fn line_darkness(dark: &[u8], lines: &Lines, w: usize, h: usize) -> u8 {
    if lines.count() == 0 {
        return 0;
    }
    let mut hist = [0usize; 256];
    let mut n = 0;
    for y in (0..h).step_by(2) {
        for x in (0..w).step_by(2) {
            let d = dark[y * w + x];
            if d >= lines::LINE_DARKNESS && lines.on(x, y) {
                hist[d as usize] += 1;
                n += 1;
            }
        }
    }
    let mut acc = 0;
    for (d, &c) in hist.iter().enumerate() {
        acc += c;
        if acc * 2 >= n {
            return d as u8;
        }
    }
    0
}

/// Median over ink pixels of the shorter of the horizontal and vertical ink runs through it
/// (within the rectangle of `rows` and `cols` that holds all the ink).
fn stroke_width(ink: &[u8], w: usize, rows: std::ops::Range<usize>, cols: std::ops::Range<usize>) -> f32 {
    let cw = cols.len();
    let at = |y: usize| &ink[y * w + cols.start..y * w + cols.end];
    let mut up = vec![0u16; cw * rows.len()];
    for (j, y) in rows.clone().enumerate() {
        for (i, &v) in at(y).iter().enumerate() {
            if v == 1 {
                up[j * cw + i] = if j > 0 { up[(j - 1) * cw + i].saturating_add(1) } else { 1 };
            }
        }
    }
    let mut down = vec![0u16; cw];
    let mut hist = vec![0usize; 1024];
    let mut n = 0usize;
    for (j, y) in rows.enumerate().rev() {
        let row = at(y);
        let mut x = 0;
        while x < cw {
            if row[x] == 0 {
                down[x] = 0;
                x += 1;
                continue;
            }
            let start = x;
            while x < cw && row[x] == 1 {
                x += 1;
            }
            let hrun = (x - start) as u16;
            for i in start..x {
                down[i] = down[i].saturating_add(1);
                let vrun = up[j * cw + i] + down[i] - 1;
                hist[usize::from(hrun.min(vrun)).min(1023)] += 1;
                n += 1;
            }
        }
    }
    let mut acc = 0;
    for (v, &c) in hist.iter().enumerate() {
        acc += c;
        if acc * 2 >= n {
            return v as f32;
        }
    }
    0.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn darkness_is_the_exact_quotient_rounded_down_for_every_byte_pair() {
        for p in 0u8..=255 {
            for l in 0u8..=255 {
                let lost = f32::from(p.saturating_sub(l)) * 255.0;
                let fast = round_byte((lost / f32::from(p.max(16))).min(255.0) - 0.498);
                let exact = (u32::from(p.saturating_sub(l)) * 255 / u32::from(p.max(16))).min(255);
                assert_eq!(u32::from(fast), exact, "paper {p}, luma {l}");
            }
        }
        assert_eq!(
            (round_byte(-0.5), round_byte(0.49), round_byte(254.6), round_byte(255.4)),
            (0, 0, 255, 255)
        );
    }
}
