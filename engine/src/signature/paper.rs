//! The paper under the ink: a coarse map of its brightness, found by a grey closing (a local
//! maximum, then a local minimum) over cell means, so ink strokes narrower than the window
//! vanish from it while a shadow's edge stays where it is. Darkness is then measured against the
//! paper at each pixel, which takes shadows and vignetting out of every other measure.

/// The paper's brightness on a grid of `cell`-pixel cells (cell centres at `(i + 0.5) * cell`).
pub struct PaperMap {
    pub cells: Vec<f32>,
    pub cw: usize,
    pub ch: usize,
    pub cell: usize,
}

/// Closing radius, in cells: strokes up to about twice this many cells wide are removed.
const RADIUS: usize = 3;

/// Cell sums of the luma, taken a row at a time while the luma is made, so the frame is not
/// read again for them.
pub struct CellSums {
    sums: Vec<u32>,
    counts: Vec<u32>,
    cw: usize,
    ch: usize,
    cell: usize,
}

impl CellSums {
    pub fn new(w: usize, h: usize) -> Self {
        let cell = (w.min(h) / 40).clamp(4, 32);
        let (cw, ch) = (w.div_ceil(cell), h.div_ceil(cell));
        Self { sums: vec![0; cw * ch], counts: vec![0; cw * ch], cw, ch, cell }
    }

    pub fn add_row(&mut self, y: usize, row: &[u8]) {
        let base = (y / self.cell) * self.cw;
        for (i, run) in row.chunks(self.cell).enumerate() {
            self.sums[base + i] += run.iter().map(|&v| u32::from(v)).sum::<u32>();
            self.counts[base + i] += run.len() as u32;
        }
    }
}

impl PaperMap {
    pub fn new(luma: &[u8], w: usize, h: usize) -> Self {
        let mut sums = CellSums::new(w, h);
        for (y, row) in luma.chunks_exact(w).take(h).enumerate() {
            sums.add_row(y, row);
        }
        Self::from_sums(sums)
    }

    pub fn from_sums(sums: CellSums) -> Self {
        let CellSums { sums, counts, cw, ch, cell } = sums;
        let means: Vec<f32> = sums.iter().zip(&counts).map(|(&s, &c)| s as f32 / c.max(1) as f32).collect();
        let closed = filter(&filter(&means, cw, ch, RADIUS, f32::max), cw, ch, RADIUS, f32::min);
        let cells = box_blur(&closed, cw, ch);
        Self { cells, cw, ch, cell }
    }

    /// Spread of the paper's brightness: (98th - 2nd percentile) over the 98th.
    pub fn spread(&self) -> f32 {
        let mut v = self.cells.clone();
        v.sort_by(f32::total_cmp);
        let q = |p: f32| v[((v.len() - 1) as f32 * p).round() as usize];
        let hi = q(0.98).max(1.0);
        (hi - q(0.02)) / hi
    }
}

/// The paper's brightness at any pixel, by bilinear upsampling of the cells, without a
/// frame-sized plane: each row of cells is spread across the frame's width once, so a pixel row
/// is a plain blend of two such rows (contiguous, several pixels per instruction), and the few
/// passes that need the paper read it only where the ink is.
pub struct RowSampler {
    /// `spread[j * w + x]`: cell row `j` interpolated to column `x`.
    spread: Vec<f32>,
    /// For each pixel row: the two cell rows it lies between and the second one's weight.
    blends: Vec<(usize, usize, f32)>,
    w: usize,
}

/// One pixel row of the paper's brightness.
pub struct PaperRow<'a> {
    a: &'a [f32],
    b: &'a [f32],
    t: f32,
}

impl PaperRow<'_> {
    /// The paper's brightness at column `x`, rounded down (0.5 below the nearest).
    #[inline(always)]
    pub fn at(&self, x: usize) -> u8 {
        blend(self.a[x], self.b[x], self.t)
    }

    /// The whole row into `dst`.
    pub fn fill(&self, dst: &mut [u8]) {
        let t = self.t;
        for ((d, &a), &b) in dst.iter_mut().zip(self.a).zip(self.b) {
            *d = blend(a, b, t);
        }
    }
}

/// The paper's brightness between two spread cell rows, `t` of the way to the second, rounded
/// down (0.5 below the nearest).
#[inline(always)]
fn blend(a: f32, b: f32, t: f32) -> u8 {
    super::sample::round_byte(a * (1.0 - t) + b * t - 0.5)
}

impl RowSampler {
    pub fn new(map: &PaperMap, w: usize, h: usize) -> Self {
        let c = map.cell as f32;
        let cols: Vec<(usize, usize, f32)> = (0..w)
            .map(|x| {
                let f = ((x as f32 + 0.5) / c - 0.5).clamp(0.0, (map.cw - 1) as f32);
                let i = f as usize;
                (i, (i + 1).min(map.cw - 1), f - i as f32)
            })
            .collect();
        let mut spread = vec![0f32; map.ch * w];
        for (j, out) in spread.chunks_exact_mut(w).enumerate() {
            let cells = &map.cells[j * map.cw..(j + 1) * map.cw];
            for (o, &(i0, i1, s)) in out.iter_mut().zip(&cols) {
                *o = cells[i0] * (1.0 - s) + cells[i1] * s;
            }
        }
        let blends = (0..h)
            .map(|y| {
                let f = ((y as f32 + 0.5) / c - 0.5).clamp(0.0, (map.ch - 1) as f32);
                let j = f as usize;
                (j, (j + 1).min(map.ch - 1), f - j as f32)
            })
            .collect();
        Self { spread, blends, w }
    }

    /// Pixel row `y`.
    #[inline]
    pub fn row(&self, y: usize) -> PaperRow<'_> {
        let (j, j1, t) = self.blends[y];
        let w = self.w;
        PaperRow { a: &self.spread[j * w..(j + 1) * w], b: &self.spread[j1 * w..(j1 + 1) * w], t }
    }
}

/// A separable max or min filter of radius `r` on a `w` x `h` grid.
fn filter(v: &[f32], w: usize, h: usize, r: usize, op: impl Fn(f32, f32) -> f32 + Copy) -> Vec<f32> {
    let mut tmp = vec![0f32; v.len()];
    for y in 0..h {
        for x in 0..w {
            let (a, b) = (x.saturating_sub(r), (x + r).min(w - 1));
            tmp[y * w + x] = v[y * w + a..=y * w + b].iter().copied().reduce(op).unwrap_or(0.0);
        }
    }
    let mut out = vec![0f32; v.len()];
    for y in 0..h {
        let (a, b) = (y.saturating_sub(r), (y + r).min(h - 1));
        for x in 0..w {
            out[y * w + x] = (a..=b).map(|j| tmp[j * w + x]).reduce(op).unwrap_or(0.0);
        }
    }
    out
}

/// A 3x3 mean (edges clamped).
fn box_blur(v: &[f32], w: usize, h: usize) -> Vec<f32> {
    let mut out = vec![0f32; v.len()];
    for y in 0..h {
        for x in 0..w {
            let (mut s, mut n) = (0.0, 0.0);
            for j in y.saturating_sub(1)..=(y + 1).min(h - 1) {
                for i in x.saturating_sub(1)..=(x + 1).min(w - 1) {
                    s += v[j * w + i];
                    n += 1.0;
                }
            }
            out[y * w + x] = s / n;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stroke_vanishes_from_the_paper_and_a_shadow_stays() {
        let (w, h) = (400, 200);
        let mut luma = vec![0u8; w * h];
        for y in 0..h {
            for x in 0..w {
                let paper = if x < 200 { 230 } else { 130 };
                let stroke = (95..101).contains(&y) && x > 20 && x < 380;
                luma[y * w + x] = if stroke { 20 } else { paper };
            }
        }
        let map = PaperMap::new(&luma, w, h);
        let rows = RowSampler::new(&map, w, h);
        let mut p = vec![0u8; w * h];
        for (y, dst) in p.chunks_exact_mut(w).enumerate() {
            rows.row(y).fill(dst);
        }
        assert!(p[98 * w + 100].abs_diff(230) < 6, "{}", p[98 * w + 100]);
        assert!(p[98 * w + 300].abs_diff(130) < 6, "{}", p[98 * w + 300]);
    }
}
