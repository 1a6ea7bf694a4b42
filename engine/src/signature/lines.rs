//! Ruled and grid lines: print that runs straight across the frame. Pixels a little darker than
//! the paper are projected onto rows (and columns) at a few small angles, since a phone photo of
//! lined paper is rarely level; a bin covered along more than half the frame is a line. Strokes
//! of handwriting never stay in one one-pixel bin that long.

/// Darkness (0-255 against the paper) from which a pixel may belong to a printed line.
pub const LINE_DARKNESS: u8 = 12;
/// Share of the frame's strips (see [`STRIP`]) a bin must run through to be a line...
const MIN_COVER: f32 = 0.5;
/// ...and the share of it from its first to its last pixel: print runs across the sheet, a row
/// of typed letters or a signature's underline stops short of the frame's edges.
const MIN_SPAN: f32 = 0.85;
/// Angles tried: -3° to 3° in quarter degrees (a line drifts at most 1/8° from one of them,
/// under 3 px across a 1300 px frame; bins are 2 px).
const ANGLE_STEPS: i32 = 12;
const ANGLE_STEP_DEG: f32 = 0.25;
const BIN: f32 = 2.0;

/// Lines found in one direction: the tangent of their angle and which projection bins they take.
#[derive(Debug, Clone, Default)]
pub struct LineSet {
    pub tan: f32,
    pub offset: usize,
    pub bins: Vec<bool>,
    pub count: usize,
}

/// The projection bin of a coordinate (nearest bin centre), `offset` bins from the start.
#[inline]
fn bin(coord: f32, offset: usize) -> Option<usize> {
    // Shifted to be positive first, so a truncating cast rounds (no call to `round`).
    let f = coord * (1.0 / BIN) + offset as f32 + 0.5;
    (f >= 0.0).then_some(f as usize)
}

impl LineSet {
    fn on(&self, coord: f32) -> bool {
        bin(coord, self.offset).is_some_and(|b| self.bins.get(b).copied().unwrap_or(false))
    }
}

#[derive(Debug, Clone, Default)]
pub struct Lines {
    pub rows: LineSet,
    pub cols: LineSet,
}

impl Lines {
    pub fn count(&self) -> usize {
        self.rows.count + self.cols.count
    }

    /// Whether pixel (x, y) lies on a found line.
    pub fn on(&self, x: usize, y: usize) -> bool {
        let (x, y) = (x as f32, y as f32);
        (self.rows.count > 0 && self.rows.on(y - x * self.rows.tan))
            || (self.cols.count > 0 && self.cols.on(x - y * self.cols.tan))
    }
}

/// Pixels are tallied per strip of `STRIP` pixels along a line's direction: a strip's tally of
/// one row (or column) stands for pixels at most half a strip from its centre, which a 3° line
/// drifts from by under a pixel (0.42 px), well inside a 2 px bin.
const STRIP: usize = 16;
/// A bin runs through a strip when it holds a strip's length of line-dark pixels there (of the
/// twice that its two rows hold). Print is continuous; a handwritten stroke stays level within
/// one 2 px bin only briefly, and JPEG's block edges are broken, so counting strips rather than
/// pixels keeps long flat strokes of a tight crop and blocky paper from adding up to a line.
const FULL: u16 = STRIP as u16;

pub fn find(dark: &[u8], w: usize, h: usize) -> Lines {
    let mut tally = Tally::new(w, h);
    for (y, row) in dark.chunks_exact(w.max(1)).take(h).enumerate() {
        tally.add_row(y, row);
    }
    tally.lines()
}

/// Line-dark pixels per strip, taken a row at a time (while the darkness is made, so the frame
/// is not read again for them): `rows_by_strip[s * h + y]` of row y within column strip s, and
/// `cols_by_strip[s * w + x]` of column x within row strip s.
pub struct Tally {
    rows_by_strip: Vec<u16>,
    cols_by_strip: Vec<u16>,
    w: usize,
    h: usize,
}

impl Tally {
    pub fn new(w: usize, h: usize) -> Self {
        let (sx, sy) = (w.div_ceil(STRIP), h.div_ceil(STRIP));
        Self { rows_by_strip: vec![0; sx * h], cols_by_strip: vec![0; sy * w], w, h }
    }

    /// Row `y` of the darkness.
    pub fn add_row(&mut self, y: usize, row: &[u8]) {
        let w = self.w;
        let cols = &mut self.cols_by_strip[(y / STRIP) * w..(y / STRIP + 1) * w];
        tally_row(row, cols, &mut self.rows_by_strip[y..], self.h);
    }

    pub fn lines(&self) -> Lines {
        let (w, h) = (self.w, self.h);
        Lines { rows: best(&self.rows_by_strip, w, h), cols: best(&self.cols_by_strip, h, w) }
    }
}

/// One row into the column tallies of its row strip and into its own tally per column strip
/// (`rows[s * stride]`).
fn tally_row(row: &[u8], cols: &mut [u16], rows: &mut [u16], stride: usize) {
    for (c, &d) in cols.iter_mut().zip(row) {
        *c += u16::from(d >= LINE_DARKNESS);
    }
    for (s, run) in row.chunks(STRIP).enumerate() {
        rows[s * stride] = run.iter().map(|&d| u16::from(d >= LINE_DARKNESS)).sum();
    }
}

/// The angle whose projection has the most line bins. `by_strip[s * across + c]` counts the
/// line-dark pixels at `c` across within strip `s` along.
fn best(by_strip: &[u16], along: usize, across: usize) -> LineSet {
    let strips = along.div_ceil(STRIP);
    let offset = (along as f32 * 0.06 / BIN).ceil() as usize + 2;
    let n = (across as f32 / BIN).ceil() as usize + 2 * offset;
    let mut best = LineSet { offset, bins: vec![false; n], ..Default::default() };
    let mut best_cover = 0usize;
    let mut hist = vec![0u32; n];
    // Sums of neighbouring pairs across, per strip: even[m] = c[2m] + c[2m + 1] and
    // odd[m] = c[2m + 1] + c[2m + 2] (0 past the end).
    let half = across.div_ceil(2);
    let (mut even, mut odd) = (vec![0u16; strips * half], vec![0u16; strips * half]);
    for (s, c) in by_strip.chunks_exact(across).enumerate().take(strips) {
        let at = |i: usize| c.get(i).copied().unwrap_or(0);
        for m in 0..half {
            even[s * half + m] = at(2 * m) + at(2 * m + 1);
            odd[s * half + m] = at(2 * m + 1) + at(2 * m + 2);
        }
    }
    // A bin is a line when it runs through more than half the strips, first to last across
    // most of the frame.
    let (cover, span) = (MIN_COVER * strips as f32, MIN_SPAN * along as f32);
    for step in -ANGLE_STEPS..=ANGLE_STEPS {
        let tan = (step as f32 * ANGLE_STEP_DEG).to_radians().tan();
        // In half pixels, strip s's position c falls in bin (2c + base[s]) / 4: its shift by the
        // angle at the strip's centre, rounded to half a pixel, and the bins' offset and
        // rounding to the nearest bin centre (offset keeps every bin positive).
        let base: Vec<usize> = (0..strips)
            .map(|s| {
                let centre = (s * STRIP + STRIP / 2).min(along) as f32;
                let shift = (2.0 * centre * tan + 0.5).floor() as isize;
                (4 * offset as isize + 2 - shift).max(0) as usize
            })
            .collect();
        hist.iter_mut().for_each(|c| *c = 0);
        // Two neighbours across always share a bin: the pair starting at an even position when
        // base is 0 or 1 (mod 4), else the pair starting at an odd one, so each strip adds one
        // run of pair sums at its shift.
        for (s, &b0) in base.iter().enumerate() {
            let q = b0 / 4;
            let (pairs, first) = if b0 % 4 < 2 {
                (&even[s * half..(s + 1) * half], q)
            } else {
                hist[q] += u32::from(by_strip[s * across]);
                (&odd[s * half..(s + 1) * half], q + 1)
            };
            let end = (first + half).min(n);
            for (h, &k) in hist[first..end].iter_mut().zip(pairs) {
                *h += u32::from(k >= FULL);
            }
        }
        // Only the bins that hold enough are asked how far they run: the first and last strip
        // with a line-dark pixel in them.
        let seen = |b: usize, s: usize| {
            let lo = (4 * b).saturating_sub(base[s]).div_ceil(2);
            let hi = ((4 * b + 4).saturating_sub(base[s]).div_ceil(2)).min(across);
            lo < hi && by_strip[s * across + lo..s * across + hi].iter().any(|&k| k > 0)
        };
        let bins: Vec<bool> = (0..n)
            .map(|b| {
                if (hist[b] as f32) < cover {
                    return false;
                }
                match ((0..strips).find(|&s| seen(b, s)), (0..strips).rev().find(|&s| seen(b, s))) {
                    (Some(f), Some(l)) => ((l - f) * STRIP) as f32 >= span,
                    _ => false,
                }
            })
            .collect();
        let covered = bins.iter().filter(|&&b| b).count();
        if covered > best_cover {
            best_cover = covered;
            let count = bins.iter().zip(bins.iter().skip(1)).filter(|(a, b)| !**a && **b).count()
                + usize::from(bins[0]);
            // Widen each line by a bin each side so its anti-aliased edge goes with it.
            let mut wide = bins.clone();
            for (i, &on) in bins.iter().enumerate() {
                if on {
                    wide[i.saturating_sub(1)..(i + 2).min(n)].iter_mut().for_each(|b| *b = true);
                }
            }
            best = LineSet { tan, offset, bins: wide, count };
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tilted_ruled_lines_are_counted() {
        let (w, h) = (600, 300);
        let mut dark = vec![0u8; w * h];
        let tan = 2f32.to_radians().tan();
        for k in 0..5 {
            for x in 0..w {
                let y = (30 + k * 50) as f32 + x as f32 * tan;
                let y = y.round() as usize;
                if y < h {
                    dark[y * w + x] = 60;
                }
            }
        }
        let l = find(&dark, w, h);
        assert_eq!(l.rows.count, 5, "{l:?}");
        assert_eq!(l.cols.count, 0);
        assert!(l.on(300, (130.0 + 300.0 * tan).round() as usize));
        assert!(!l.on(300, 100));
    }
}
