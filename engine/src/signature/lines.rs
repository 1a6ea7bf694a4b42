//! Ruled and grid lines: print that runs straight across the frame. Pixels a little darker than
//! the paper are projected onto rows (and columns) at a few small angles, since a phone photo of
//! lined paper is rarely level; a bin covered along more than half the frame is a line. Strokes
//! of handwriting never stay in one one-pixel bin that long.

/// Darkness (0-255 against the paper) from which a pixel may belong to a printed line.
pub const LINE_DARKNESS: u8 = 12;
/// Share of the frame's width (or height) a bin must cover to be a line...
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

pub fn find(dark: &[u8], w: usize, h: usize) -> Lines {
    // Rows: sample every other column; columns: every other row.
    let mut row_pts = Vec::new();
    let mut col_pts = Vec::new();
    for y in 0..h {
        let row = &dark[y * w..(y + 1) * w];
        for (x, &d) in row.iter().enumerate() {
            if d >= LINE_DARKNESS {
                if x % 2 == 0 {
                    row_pts.push((x as f32, y as f32));
                }
                if y % 2 == 0 {
                    col_pts.push((y as f32, x as f32));
                }
            }
        }
    }
    Lines { rows: best(&row_pts, w, h), cols: best(&col_pts, h, w) }
}

/// The projection bin of a coordinate (nearest bin centre), `offset` bins from the start.
#[inline]
fn bin(coord: f32, offset: usize) -> Option<usize> {
    // Shifted to be positive first, so a truncating cast rounds (no call to `round`).
    let f = coord * (1.0 / BIN) + offset as f32 + 0.5;
    (f >= 0.0).then_some(f as usize)
}

/// The angle whose projection has the most line bins; points are (along, across).
fn best(points: &[(f32, f32)], along: usize, across: usize) -> LineSet {
    let sampled = along.div_ceil(2) as f32;
    let offset = (along as f32 * 0.06 / BIN).ceil() as usize + 2;
    let n = (across as f32 / BIN).ceil() as usize + 2 * offset;
    let mut best = LineSet { offset, bins: vec![false; n], ..Default::default() };
    let mut best_cover = 0usize;
    let mut hist = vec![0u32; n];
    let mut first = vec![f32::MAX; n];
    let mut last = vec![f32::MIN; n];
    for step in -ANGLE_STEPS..=ANGLE_STEPS {
        let tan = (step as f32 * ANGLE_STEP_DEG).to_radians().tan();
        hist.iter_mut().for_each(|c| *c = 0);
        first.iter_mut().for_each(|v| *v = f32::MAX);
        last.iter_mut().for_each(|v| *v = f32::MIN);
        for &(a, c) in points {
            if let Some(b) = bin(c - a * tan, offset).filter(|&b| b < n) {
                hist[b] += 1;
                first[b] = first[b].min(a);
                last[b] = last[b].max(a);
            }
        }
        let span = MIN_SPAN * along as f32;
        let bins: Vec<bool> =
            (0..n).map(|b| hist[b] as f32 >= MIN_COVER * sampled && last[b] - first[b] >= span).collect();
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
