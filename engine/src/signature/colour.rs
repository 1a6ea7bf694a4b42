//! The ink's colours: each ink pixel, white-balanced against the paper (so a warm lamp does not
//! turn black ink brown), is black (grey: little saturation) or the hue class it falls in.

use super::profile::InkColour;
use super::sample::Sample;

/// Below this saturation (after white balance) a pixel is black or grey ink.
const MIN_SATURATION: f32 = 0.25;
/// ...and below this channel spread (0-255).
const MIN_SPREAD: f32 = 25.0;

/// The brightness a full-strength stroke takes from the paper (a ballpoint line, 0-255), to
/// which each pixel's colour is scaled before it is classed.
const FULL_STRENGTH: f32 = 190.0;

/// Ink pixel counts per colour class, in the order of [`CLASSES`].
pub struct InkColours {
    pub counts: [usize; 4],
}

pub const CLASSES: [InkColour; 4] = [InkColour::Black, InkColour::Blue, InkColour::Red, InkColour::Green];

impl InkColours {
    pub fn measure(s: &Sample) -> Self {
        let paper = s.paper_rgb;
        let gain = paper.map(|c| 255.0 / c.max(16.0));
        let mut counts = [0usize; 4];
        let raw = s.rgb.as_raw();
        // Relit by the paper under the pixel too, so a shadow is not read as grey ink.
        let paper_luma = luma(paper).max(16.0);
        let relight: [f32; 256] = std::array::from_fn(|p| paper_luma / (p.max(16) as f32));
        let (w, h) = (s.w, s.h);
        let (rows, cols) = (&s.ink_rows, &s.ink_cols);
        let (y0, y1) = (rows.start.max(1), rows.end.min(h.saturating_sub(1)));
        let (x0, x1) = (cols.start.max(1), cols.end.min(w.saturating_sub(1)));
        if y0 >= y1 || x0 >= x1 {
            return Self { counts };
        }
        // The light each channel lost at each pixel of the ink's rectangle (one pixel wider
        // each side), then summed over each pixel and its left and right neighbours. Only
        // pixels within one of ink are ever read, so runs of eight with no ink within one
        // (above, below or beside) are left at zero instead of worked out.
        let (ax0, aw) = (x0 - 1, x1 - x0 + 2);
        let ink_near = |y: usize, a: usize, b: usize| {
            let word = |j: usize| u64::from_le_bytes(s.ink[j..j + 8].try_into().unwrap_or([1; 8]));
            (y.saturating_sub(1)..=(y + 1).min(h - 1)).any(|r| {
                let (lo, hi) = (r * w + a, r * w + b);
                // A whole run and its two neighbours are ten bytes: two overlapping words.
                if hi - lo == 10 { word(lo) | word(hi - 8) != 0 } else { s.ink[lo..hi].contains(&1) }
            })
        };
        let mut lost = vec![[0f32; 3]; aw];
        let mut across = |y: usize, out: &mut [[f32; 3]]| {
            let paper = s.paper_rows.row(y);
            for (c, chunk) in lost.chunks_mut(8).enumerate() {
                let x = ax0 + 8 * c;
                if !ink_near(y, x.saturating_sub(1), (x + chunk.len() + 1).min(w)) {
                    chunk.fill([0.0; 3]);
                    continue;
                }
                for (i, l) in chunk.iter_mut().enumerate() {
                    let j = y * w + x + i;
                    let r = relight[usize::from(paper.at(x + i))];
                    *l = [0, 1, 2].map(|k| 255.0 - (f32::from(raw[3 * j + k]) * gain[k] * r).min(255.0));
                }
            }
            for (i, o) in out.iter_mut().enumerate() {
                let (l, c, r) = (lost[i.saturating_sub(1)], lost[i], lost[(i + 1).min(aw - 1)]);
                *o = [0, 1, 2].map(|k| l[k] + c[k] + r[k]);
            }
        };
        let mut band = [vec![[0f32; 3]; aw], vec![[0f32; 3]; aw], vec![[0f32; 3]; aw]];
        for (k, b) in band.iter_mut().enumerate() {
            across(y0 - 1 + k, b);
        }
        for y in y0..y1 {
            if y > y0 {
                band.rotate_left(1);
                across(y + 1, &mut band[2]);
            }
            let ink = &s.ink[y * w..(y + 1) * w];
            for (x, &v) in (x0..x1).zip(&ink[x0..x1]) {
                if v == 0 {
                    continue;
                }
                // JPEG keeps colour at half resolution and spreads it over the neighbours, so a
                // thin coloured stroke's own pixels read greyer than its ink. The light each
                // channel lost, summed over the 3 x 3 neighbourhood, keeps the ink's proportions
                // (the colour and the brightness that left the pixel went next door together).
                // Scaled to a full-strength stroke's loss, it names the ink whether the pixel
                // is a stroke's core or its faint edge.
                let i = x - ax0;
                let sum: [f32; 3] = [0, 1, 2].map(|k| band[0][i][k] + band[1][i][k] + band[2][i][k]);
                let lost = luma(sum);
                if lost <= 0.0 {
                    continue;
                }
                let scale = FULL_STRENGTH / lost;
                counts[class(sum.map(|v| (255.0 - v * scale).clamp(0.0, 255.0)))] += 1;
            }
        }
        Self { counts }
    }

    pub fn total(&self) -> usize {
        self.counts.iter().sum()
    }

    /// Share of the ink in the second most common class.
    pub fn second_share(&self) -> f32 {
        let mut c = self.counts;
        c.sort_unstable();
        c[2] as f32 / self.total().max(1) as f32
    }

    pub fn share_in(&self, allowed: &[InkColour]) -> f32 {
        let n: usize =
            CLASSES.iter().zip(self.counts).filter(|(k, _)| allowed.contains(k)).map(|(_, n)| n).sum();
        n as f32 / self.total().max(1) as f32
    }

    /// The most common class's name.
    pub fn main(&self) -> &'static str {
        let i = (0..4).max_by_key(|&i| self.counts[i]).unwrap_or(0);
        ["ink looks black", "ink looks blue", "ink looks red", "ink looks green"][i]
    }
}

fn luma(c: [f32; 3]) -> f32 {
    0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]
}

/// 0 black, 1 blue (blue to violet), 2 red (magenta to orange), 3 green (yellow to cyan).
fn class(c: [f32; 3]) -> usize {
    let max = c[0].max(c[1]).max(c[2]);
    let min = c[0].min(c[1]).min(c[2]);
    let spread = max - min;
    if spread < MIN_SPREAD || spread / max.max(1.0) < MIN_SATURATION {
        return 0;
    }
    let [r, g, b] = c;
    let h = if max == r {
        60.0 * ((g - b) / spread).rem_euclid(6.0)
    } else if max == g {
        60.0 * ((b - r) / spread + 2.0)
    } else {
        60.0 * ((r - g) / spread + 4.0)
    };
    match h {
        h if (190.0..320.0).contains(&h) => 1,
        h if !(40.0..320.0).contains(&h) => 2,
        _ => 3,
    }
}

/// Mean colour of clean paper (darkness under 8), over whole rows spread evenly down the frame
/// (about 40,000 pixels; whole rows read memory in order, where a sparse grid misses the cache
/// at every sample).
pub fn paper_rgb(rgb: &image::RgbImage, dark: &[u8]) -> [f32; 3] {
    let w = rgb.width() as usize;
    let h = dark.len() / w.max(1);
    if h == 0 {
        return [255.0; 3];
    }
    let step = h / (40_000usize.div_ceil(w)).clamp(1, h);
    let mut sum = [0u64; 3];
    let mut n = 0u64;
    for y in (step / 2..h).step_by(step.max(1)) {
        let (d_row, p_row) = (&dark[y * w..(y + 1) * w], &rgb.as_raw()[3 * y * w..3 * (y + 1) * w]);
        for (&d, p) in d_row.iter().zip(p_row.chunks_exact(3)) {
            if d < 8 {
                sum.iter_mut().zip(p).for_each(|(acc, &v)| *acc += u64::from(v));
                n += 1;
            }
        }
    }
    if n == 0 {
        return [255.0; 3];
    }
    sum.map(|v| (v as f64 / n as f64) as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ballpoint_colours_fall_in_their_classes() {
        assert_eq!(class([30.0, 30.0, 38.0]), 0, "black");
        assert_eq!(class([40.0, 50.0, 130.0]), 1, "blue ballpoint");
        assert_eq!(class([90.0, 40.0, 140.0]), 1, "violet");
        assert_eq!(class([190.0, 40.0, 40.0]), 2, "red");
        assert_eq!(class([40.0, 140.0, 60.0]), 3, "green");
        assert_eq!(class([120.0, 120.0, 120.0]), 0, "pencil grey");
    }
}
