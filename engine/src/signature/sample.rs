//! What every signature check reads, measured once: the luma, the paper under the ink, each
//! pixel's darkness against its paper, the ink mask (printed lines taken out), and the ink's
//! size, axis and stroke width.

use super::lines::{self, Lines};
use super::paper::PaperMap;
use image::RgbImage;

/// Ink is darker than its paper by at least this share of the darkest ink (the ink's core)...
const INK_SHARE_OF_PEAK: f32 = 0.45;
/// ...and never less than this (0-255), which JPEG noise and paper grain stay under.
const MIN_INK_DARKNESS: u8 = 28;

pub struct Sample<'a> {
    pub rgb: &'a RgbImage,
    pub w: usize,
    pub h: usize,
    pub luma: Vec<u8>,
    pub paper: PaperMap,
    /// The paper's brightness at each pixel.
    pub paper_px: Vec<u8>,
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
}

impl<'a> Sample<'a> {
    pub fn new(rgb: &'a RgbImage) -> Self {
        let (w, h) = (rgb.width() as usize, rgb.height() as usize);
        let mut luma = vec![0u8; w * h];
        for (l, p) in luma.iter_mut().zip(rgb.as_raw().chunks_exact(3)) {
            *l = ((77 * u32::from(p[0]) + 150 * u32::from(p[1]) + 29 * u32::from(p[2])) >> 8) as u8;
        }
        let paper = PaperMap::new(&luma, w, h);
        let paper_px = paper.upsample(w, h);
        // (paper - luma) * 255 / paper, the division taken from a table of 16.16 reciprocals
        // (rounded up, which gives the exact quotient for every 8-bit pair).
        let recip: [u32; 256] = std::array::from_fn(|p| {
            let p = (p as u32).max(16);
            (255u32 << 16).div_ceil(p)
        });
        let mut dark = vec![0u8; w * h];
        for ((d, &l), &p) in dark.iter_mut().zip(&luma).zip(&paper_px) {
            *d = ((u32::from(p.saturating_sub(l)) * recip[usize::from(p)]) >> 16).min(255) as u8;
        }
        let hist = histogram(&dark);
        let paper_rgb = super::colour::paper_rgb(rgb, &dark);
        // The ink's core: the darkness only the darkest 0.05% of pixels reach.
        let mut left = (w * h) / 2000 + 1;
        let mut peak = 0u8;
        for d in (0..256).rev() {
            if hist[d] >= left {
                peak = d as u8;
                break;
            }
            left -= hist[d];
        }
        let threshold = ((f32::from(peak) * INK_SHARE_OF_PEAK) as u8).max(MIN_INK_DARKNESS);
        let lines = lines::find(&dark, w, h);
        let line_dark = line_darkness(&dark, &lines, w, h);
        let keep_on_line = threshold.max(((f32::from(line_dark) * 1.4) as u8).saturating_add(10));
        let mut ink = vec![0u8; w * h];
        let mut ink_count = 0;
        let has_lines = lines.count() > 0;
        for y in 0..h {
            for x in 0..w {
                let d = dark[y * w + x];
                if d >= threshold && (!has_lines || d >= keep_on_line || !lines.on(x, y)) {
                    ink[y * w + x] = 1;
                    ink_count += 1;
                }
            }
        }
        let mut s = Sample {
            rgb,
            w,
            h,
            luma,
            paper,
            paper_px,
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
        };
        s.measure_shape();
        s
    }

    fn measure_shape(&mut self) {
        if self.ink_count < 8 {
            return;
        }
        let (w, h) = (self.w, self.h);
        let mut cols = vec![0usize; w];
        let mut rows = vec![0usize; h];
        let (mut sx, mut sy, mut sxx, mut syy, mut sxy) = (0f64, 0f64, 0f64, 0f64, 0f64);
        for (y, (line, row_count)) in self.ink.chunks_exact(w).zip(rows.iter_mut()).enumerate() {
            for (x, (&v, col_count)) in line.iter().zip(cols.iter_mut()).enumerate() {
                if v == 1 {
                    *col_count += 1;
                    *row_count += 1;
                    let (fx, fy) = (x as f64, y as f64);
                    sx += fx;
                    sy += fy;
                    sxx += fx * fx;
                    syy += fy * fy;
                    sxy += fx * fy;
                }
            }
        }
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

/// Counts of each darkness, in four interleaved tallies (one tally's increments do not wait on
/// the last, which a run of equal values would otherwise make them do).
fn histogram(v: &[u8]) -> [usize; 256] {
    let mut lanes = [[0u32; 256]; 4];
    let mut quads = v.chunks_exact(4);
    for q in &mut quads {
        for (lane, &d) in lanes.iter_mut().zip(q) {
            lane[usize::from(d)] += 1;
        }
    }
    for &d in quads.remainder() {
        lanes[0][usize::from(d)] += 1;
    }
    std::array::from_fn(|i| lanes.iter().map(|l| l[i] as usize).sum())
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
