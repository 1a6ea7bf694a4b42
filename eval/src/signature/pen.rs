//! Handwriting-like pen paths: a run of loops and humps along a baseline (the shape of cursive
//! writing), with letters of varying height, a capital at the start, pen lifts, and a pen whose
//! trace is thicker where it moves slowly. Also a stroke font for typed text.

use super::rng::Rng;

/// A pen path: points (x, y, radius) per stroke, in a frame of unit height around (0, 0).
pub type Path = Vec<Vec<(f32, f32, f32)>>;

/// One signature, about `letters * 0.6` wide and 1 high, centred on the origin.
pub fn signature(rng: &mut Rng) -> Path {
    let letters = 4 + rng.below(6);
    let advance = rng.range(0.45, 0.75);
    let loop_r = rng.range(0.12, 0.3);
    let slant = rng.range(-0.3, 0.35);
    let steps = letters * 60;
    let heights: Vec<f32> =
        (0..=letters).map(|_| rng.range(0.25, 0.5) * if rng.chance(0.3) { 1.8 } else { 1.0 }).collect();
    let phase = rng.range(0.0, std::f32::consts::TAU);
    let mut pts = Vec::with_capacity(steps + 80);
    // A capital: one large loop first.
    if rng.chance(0.7) {
        let (cx, cy, r) = (-0.1, -0.1, rng.range(0.35, 0.5));
        for i in 0..60 {
            let a = std::f32::consts::PI * 0.5 + i as f32 / 60.0 * std::f32::consts::TAU * 1.05;
            pts.push((cx + r * 0.6 * a.cos(), cy - r * a.sin()));
        }
    }
    for i in 0..=steps {
        let t = i as f32 / 60.0;
        let k = (t as usize).min(letters);
        let frac = t - k as f32;
        let hk = heights[k] * (1.0 - frac) + heights[(k + 1).min(letters)] * frac;
        let a = std::f32::consts::TAU * t + phase;
        let y = -hk * (0.5 + 0.5 * a.sin());
        let x = advance * t - loop_r * a.cos() - slant * y;
        pts.push((x, y));
    }
    // A flourish under the name, sometimes.
    if rng.chance(0.4) {
        let (x_end, y0) = (advance * letters as f32, rng.range(0.1, 0.25));
        for i in 0..40 {
            let f = i as f32 / 39.0;
            pts.push((x_end * (1.0 - f) + 0.2 * f * 0.0, y0 + 0.05 * (f * 6.0).sin()));
        }
    }
    let (mut minx, mut maxx, mut miny, mut maxy) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
    for &(x, y) in &pts {
        minx = minx.min(x);
        maxx = maxx.max(x);
        miny = miny.min(y);
        maxy = maxy.max(y);
    }
    let (cx, cy, h) = ((minx + maxx) / 2.0, (miny + maxy) / 2.0, (maxy - miny).max(0.1));
    // Speed: the path's step length, smoothed; a slow pen leaves more ink.
    let speed: Vec<f32> =
        pts.windows(2).map(|w| ((w[1].0 - w[0].0).powi(2) + (w[1].1 - w[0].1).powi(2)).sqrt()).collect();
    let mean = speed.iter().sum::<f32>() / speed.len().max(1) as f32;
    let mut path: Path = vec![Vec::new()];
    let lifts = rng.below(3);
    let lift_at: Vec<usize> = (0..lifts).map(|_| rng.below(pts.len())).collect();
    for (i, &(x, y)) in pts.iter().enumerate() {
        if lift_at.contains(&i) {
            path.push(Vec::new());
        }
        let v = speed.get(i).copied().unwrap_or(mean) / mean.max(1e-6);
        let r = (1.25 - 0.35 * v).clamp(0.6, 1.3);
        path.last_mut().expect("one stroke").push(((x - cx) / h, (y - cy) / h, r));
    }
    path.retain(|s| s.len() > 1);
    path
}

/// Glyphs of a stroke font on a 4 x 6 grid (y down): straight strokes, as type is.
fn glyph(c: char) -> &'static [&'static [(f32, f32)]] {
    match c {
        'A' => &[&[(0.0, 6.0), (2.0, 0.0), (4.0, 6.0)], &[(1.0, 3.5), (3.0, 3.5)]],
        'B' => &[
            &[(0.0, 0.0), (0.0, 6.0), (3.0, 6.0), (4.0, 5.0), (4.0, 4.0), (3.0, 3.0), (0.0, 3.0)],
            &[(0.0, 0.0), (3.0, 0.0), (3.5, 1.5), (3.0, 3.0)],
        ],
        'E' => &[&[(4.0, 0.0), (0.0, 0.0), (0.0, 6.0), (4.0, 6.0)], &[(0.0, 3.0), (3.0, 3.0)]],
        'F' => &[&[(4.0, 0.0), (0.0, 0.0), (0.0, 6.0)], &[(0.0, 3.0), (3.0, 3.0)]],
        'H' => &[&[(0.0, 0.0), (0.0, 6.0)], &[(4.0, 0.0), (4.0, 6.0)], &[(0.0, 3.0), (4.0, 3.0)]],
        'I' => &[&[(2.0, 0.0), (2.0, 6.0)], &[(1.0, 0.0), (3.0, 0.0)], &[(1.0, 6.0), (3.0, 6.0)]],
        'K' => &[&[(0.0, 0.0), (0.0, 6.0)], &[(4.0, 0.0), (0.0, 3.0), (4.0, 6.0)]],
        'L' => &[&[(0.0, 0.0), (0.0, 6.0), (4.0, 6.0)]],
        'M' => &[&[(0.0, 6.0), (0.0, 0.0), (2.0, 3.0), (4.0, 0.0), (4.0, 6.0)]],
        'N' => &[&[(0.0, 6.0), (0.0, 0.0), (4.0, 6.0), (4.0, 0.0)]],
        'O' => &[&[(0.0, 0.0), (4.0, 0.0), (4.0, 6.0), (0.0, 6.0), (0.0, 0.0)]],
        'P' => &[&[(0.0, 6.0), (0.0, 0.0), (4.0, 0.0), (4.0, 3.0), (0.0, 3.0)]],
        'R' => &[&[(0.0, 6.0), (0.0, 0.0), (4.0, 0.0), (4.0, 3.0), (0.0, 3.0), (4.0, 6.0)]],
        'S' => &[&[(4.0, 0.0), (0.0, 0.0), (0.0, 3.0), (4.0, 3.0), (4.0, 6.0), (0.0, 6.0)]],
        'T' => &[&[(0.0, 0.0), (4.0, 0.0)], &[(2.0, 0.0), (2.0, 6.0)]],
        'U' => &[&[(0.0, 0.0), (0.0, 6.0), (4.0, 6.0), (4.0, 0.0)]],
        'V' => &[&[(0.0, 0.0), (2.0, 6.0), (4.0, 0.0)]],
        _ => &[&[(1.0, 5.0), (1.0, 6.0)]],
    }
}

/// A line of typed text, centred on the origin, unit cap height, radius `weight` (share of the
/// cap height).
pub fn typed(text: &str, weight: f32) -> Path {
    let mut path = Path::new();
    let n = text.chars().count() as f32;
    let width = n * 6.0 - 2.0;
    for (i, c) in text.chars().enumerate() {
        let x0 = i as f32 * 6.0 - width / 2.0;
        for stroke in glyph(c) {
            path.push(stroke.iter().map(|&(x, y)| ((x0 + x) / 6.0, (y - 3.0) / 6.0, weight)).collect());
        }
    }
    path
}

/// `path` scaled by `scale` (radius by `pen`), turned by `deg` (counter-clockwise on screen), moved to (cx, cy).
pub fn place(path: &Path, scale: f32, pen: f32, deg: f32, cx: f32, cy: f32) -> Vec<Vec<(f32, f32, f32)>> {
    let (s, c) = deg.to_radians().sin_cos();
    path.iter()
        .map(|stroke| {
            stroke
                .iter()
                .map(|&(x, y, r)| {
                    let (x, y) = (x * scale, y * scale);
                    (cx + x * c + y * s, cy - x * s + y * c, r * pen)
                })
                .collect()
        })
        .collect()
}

/// Width over height of a path.
pub fn aspect(path: &Path) -> f32 {
    let (mut minx, mut maxx, mut miny, mut maxy) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
    for &(x, y, _) in path.iter().flatten() {
        minx = minx.min(x);
        maxx = maxx.max(x);
        miny = miny.min(y);
        maxy = maxy.max(y);
    }
    (maxx - minx) / (maxy - miny).max(1e-3)
}
