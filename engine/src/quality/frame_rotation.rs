//! Rotation of the whole picture inside its frame: a crooked scan, or an edit that turned the
//! photo and padded the uncovered corners with one flat colour (usually black).
//!
//! The head's roll is measured against the frame, so a picture turned to level the eyes shows no
//! roll, yet it is an edited photo with wedges of fill in its corners. Those wedges are what this
//! measures: from each border, the depth of the run of fill colour inward. Where the picture is
//! turned by θ, that depth changes along the border by tan θ per pixel, in a straight line, and the
//! four borders agree on θ (traversed clockwise, a rigid turn gives each the same slope). A plain
//! background touching the border runs past the depth cap, letterbox bars give slope 0, and the
//! outline of a person against a flat background is neither straight over a long span nor
//! consistent in sign across borders (the two shoulders mirror each other), so none of them reads
//! as a turn. Only border strips are read: 200 runs per border of at most a quarter of the side,
//! probed sparsely on large photos (at most about 0.25 ms on 1 MP, see BENCHMARKS.md).

use image::RgbImage;

/// Largest per-channel difference from the fill colour that still counts as fill (JPEG noise
/// and the ringing beside a sharp edge stay under it).
const FILL_TOLERANCE: i32 = 24;
/// A run must end on a step, not a drift: just past its end the colour differs from the fill by
/// at least this much (a background gradient crosses the tolerance gently).
const EDGE_CONTRAST: i32 = 2 * FILL_TOLERANCE;
/// Runs are followed at most this share of the perpendicular side inward; deeper runs are
/// background or bars, not the edge of a turned picture.
const DEPTH_CAP: f32 = 0.25;
/// Positions sampled along each border, at most.
const SAMPLES: usize = 200;
/// A border's line must be supported over this share of the border ...
const MIN_SPAN: f32 = 0.2;
/// ... by this share of the samples within its span.
const MIN_DENSITY: f32 = 0.6;
/// Borders whose angles differ by at most this much agree.
const AGREE_DEG: f32 = 1.0;

/// The picture's rotation in the frame, in degrees as seen on screen (positive =
/// counter-clockwise), from at least two borders whose padded wedges agree; 0 when no two do.
pub fn frame_rotation_deg(img: &RgbImage) -> f32 {
    let (w, h) = (img.width() as usize, img.height() as usize);
    if w < 16 || h < 16 {
        return 0.0;
    }
    let Some(fill) = fill_colour(img) else {
        return 0.0;
    };
    let fits: Vec<BorderFit> = Border::ALL.iter().filter_map(|&b| fit_border(img, b, fill)).collect();
    agreed_angle(&fits)
}

/// One border's straight wedge edge: its angle and the share of the border that supports it.
#[derive(Debug, Clone, Copy)]
struct BorderFit {
    angle_deg: f32,
    span: f32,
}

#[derive(Debug, Clone, Copy)]
enum Border {
    Top,
    Right,
    Bottom,
    Left,
}

impl Border {
    const ALL: [Border; 4] = [Border::Top, Border::Right, Border::Bottom, Border::Left];

    /// (length along the border, depth available inward).
    fn extent(self, w: usize, h: usize) -> (usize, usize) {
        match self {
            Border::Top | Border::Bottom => (w, h),
            Border::Right | Border::Left => (h, w),
        }
    }

    /// Pixel at position `i` along the border, traversed clockwise, and depth `d` inward.
    fn pixel(self, i: usize, d: usize, w: usize, h: usize) -> (usize, usize) {
        match self {
            Border::Top => (i, d),
            Border::Right => (w - 1 - d, i),
            Border::Bottom => (w - 1 - i, h - 1 - d),
            Border::Left => (d, h - 1 - i),
        }
    }
}

/// The largest per-channel difference between the pixel at `(x, y)` and the fill colour.
#[inline]
fn differs(img: &RgbImage, (x, y): (usize, usize), fill: [u8; 3]) -> i32 {
    let i = (y * img.width() as usize + x) * 3;
    let p = &img.as_raw()[i..i + 3];
    let d = |c: usize| (p[c] as i32 - fill[c] as i32).abs();
    d(0).max(d(1)).max(d(2))
}

/// The depth of the fill run at position `i` of a border: the first depth below `cap` that is not
/// fill. Probed every `stride` pixels, then the last interval pixel by pixel, which finds the same
/// depth wherever the run is one piece (a wedge is), at a fraction of the reads on large photos.
fn run_depth(
    img: &RgbImage,
    border: Border,
    i: usize,
    cap: usize,
    stride: usize,
    fill: [u8; 3],
) -> Option<usize> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let not_fill = |d: usize| differs(img, border.pixel(i, d, w, h), fill) > FILL_TOLERANCE;
    let coarse = (0..cap).step_by(stride).find(|&d| not_fill(d))?;
    Some((coarse.saturating_sub(stride - 1)..coarse).find(|&d| not_fill(d)).unwrap_or(coarse))
}

/// The padding colour: the colour at least two image corners share. A turned picture leaves its
/// fill in the corners; a photo whose corners all differ has no padding.
fn fill_colour(img: &RgbImage) -> Option<[u8; 3]> {
    let (w, h) = (img.width(), img.height());
    let corners: Vec<[u8; 3]> = [(0, 0), (w - 2, 0), (w - 2, h - 2), (0, h - 2)]
        .iter()
        .map(|&(x, y)| {
            // The mean of a 2x2 patch, so one noisy pixel does not decide.
            let mut acc = [0u32; 3];
            for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                let p = img.get_pixel(x + dx, y + dy).0;
                for c in 0..3 {
                    acc[c] += p[c] as u32;
                }
            }
            acc.map(|v| (v / 4) as u8)
        })
        .collect();
    let close =
        |a: &[u8; 3], b: &[u8; 3]| (0..3).all(|c| (a[c] as i32 - b[c] as i32).abs() <= FILL_TOLERANCE);
    corners
        .iter()
        .map(|c| (corners.iter().filter(|o| close(c, o)).count(), *c))
        .filter(|&(n, _)| n >= 2)
        .max_by_key(|&(n, _)| n)
        .map(|(_, c)| c)
}

/// The fill depth at each sampled position of a border, for the positions where the run ends on
/// a sharp step before the depth cap: `(position in pixels, depth in pixels)`.
fn wedge_depths(img: &RgbImage, border: Border, fill: [u8; 3]) -> (Vec<(f32, f32)>, usize, usize) {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let (len, across) = border.extent(w, h);
    let cap = ((across as f32 * DEPTH_CAP) as usize).max(2);
    let n = len.min(SAMPLES);
    // About 128 probes per run at most; pixel-exact below 512 px across.
    let stride = (cap / 128).max(1);
    let mut points = Vec::with_capacity(n);
    for k in 0..n {
        let i = k * (len - 1) / (n - 1).max(1);
        let depth = run_depth(img, border, i, cap, stride, fill);
        // No run (the picture touches the border here) or one past the cap is not a wedge edge.
        let Some(d) = depth.filter(|&d| d > 0) else { continue };
        let past = border.pixel(i, (d + 1).min(across - 1), w, h);
        if differs(img, past, fill) >= EDGE_CONTRAST {
            points.push((i as f32, d as f32));
        }
    }
    (points, len, n)
}

/// A straight line through a border's wedge depths, found by trying lines through pairs of
/// sampled points and keeping the one most points lie on, then refitted to those points by least
/// squares. `None` unless it is supported densely over a long span and is gentler than 45 degrees
/// (a steeper run profile is the picture's perpendicular edge, seen end-on).
fn fit_border(img: &RgbImage, border: Border, fill: [u8; 3]) -> Option<BorderFit> {
    let (points, len, n) = wedge_depths(img, border, fill);
    let step = (len - 1) as f32 / (n - 1).max(1) as f32;
    let min_span = MIN_SPAN * len as f32;
    if (points.len() as f32) < MIN_DENSITY * min_span / step {
        return None;
    }
    // Residual allowed: a pixel of quantisation plus a little for resampling blur on large images.
    let tol = 1.5 + 0.002 * len as f32;
    let stride = points.len().div_ceil(24).max(1);
    let candidates: Vec<(f32, f32)> = points.iter().step_by(stride).copied().collect();
    let mut best: Option<(usize, f32, f32)> = None;
    for (a, &(x0, y0)) in candidates.iter().enumerate() {
        for &(x1, y1) in &candidates[a + 1..] {
            if x1 - x0 < min_span / 2.0 {
                continue;
            }
            let slope = (y1 - y0) / (x1 - x0);
            if slope.abs() >= 1.0 {
                continue;
            }
            let count = points.iter().filter(|&&(x, y)| (y - (y0 + slope * (x - x0))).abs() <= tol).count();
            if best.is_none_or(|(c, _, _)| count > c) {
                best = Some((count, slope, y0 - slope * x0));
            }
        }
    }
    let (_, slope, icpt) = best?;
    let inliers: Vec<(f32, f32)> =
        points.iter().copied().filter(|&(x, y)| (y - (icpt + slope * x)).abs() <= tol).collect();
    let (first, last) = (inliers.first()?.0, inliers.last()?.0);
    let span = last - first;
    if span < min_span || (inliers.len() as f32) < MIN_DENSITY * (span / step + 1.0) {
        return None;
    }
    let slope = least_squares_slope(&inliers)?;
    if slope.abs() >= 1.0 {
        return None;
    }
    // Clockwise along every border, a counter-clockwise turn makes the wedge thin out.
    Some(BorderFit { angle_deg: -slope.atan().to_degrees(), span: span / len as f32 })
}

fn least_squares_slope(points: &[(f32, f32)]) -> Option<f32> {
    let n = points.len() as f64;
    let (mx, my) = points.iter().fold((0.0, 0.0), |(a, b), &(x, y)| (a + x as f64, b + y as f64));
    let (mx, my) = (mx / n, my / n);
    let (sxy, sxx) = points.iter().fold((0.0, 0.0), |(a, b), &(x, y)| {
        let dx = x as f64 - mx;
        (a + dx * (y as f64 - my), b + dx * dx)
    });
    (sxx > 0.0).then(|| (sxy / sxx) as f32)
}

/// The span-weighted mean angle of the largest group of borders that agree, if it has two or more.
fn agreed_angle(fits: &[BorderFit]) -> f32 {
    let group = |f: &BorderFit| -> Vec<BorderFit> {
        fits.iter().copied().filter(|g| (g.angle_deg - f.angle_deg).abs() <= AGREE_DEG).collect()
    };
    let best = fits.iter().map(group).max_by(|a, b| {
        let weight = |g: &Vec<BorderFit>| g.iter().map(|f| f.span).sum::<f32>();
        a.len().cmp(&b.len()).then(weight(a).total_cmp(&weight(b)))
    });
    match best {
        Some(g) if g.len() >= 2 => {
            let total: f32 = g.iter().map(|f| f.span).sum();
            g.iter().map(|f| f.angle_deg * f.span).sum::<f32>() / total
        }
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::warp::{Affine, warp_affine};
    use std::path::PathBuf;

    /// A busy picture with no flat areas: crossed waves in three colours plus noise.
    fn textured(w: u32, h: u32) -> RgbImage {
        let mut seed = 12345u32;
        RgbImage::from_fn(w, h, |x, y| {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let noise = (seed >> 24) as f32 / 255.0 * 30.0 - 15.0;
            let (fx, fy) = (x as f32, y as f32);
            let v = |a: f32, b: f32, o: f32| {
                (140.0 + 45.0 * (fx / a + o).sin() + 35.0 * (fy / b - o).cos() + noise).clamp(60.0, 250.0)
                    as u8
            };
            image::Rgb([v(9.0, 13.0, 0.0), v(17.0, 7.0, 1.0), v(11.0, 23.0, 2.0)])
        })
    }

    fn astronaut() -> RgbImage {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/astronaut.png");
        image::open(path).expect("fixtures/astronaut.png").to_rgb8()
    }

    /// `img` turned by `degrees` (counter-clockwise on screen) and scaled by `scale` about its
    /// centre, in a frame of the same size padded with `fill`, as an editor would do it.
    fn rotated(img: &RgbImage, degrees: f32, scale: f32, fill: [u8; 3]) -> RgbImage {
        let (cx, cy) = (img.width() as f32 / 2.0, img.height() as f32 / 2.0);
        // Output to source: undo the turn, then the scale, both about the centre.
        let turn = Affine::rotation_about(-degrees, cx, cy);
        let unscale = Affine { m: [1.0 / scale, 0.0, cx - cx / scale, 0.0, 1.0 / scale, cy - cy / scale] };
        warp_affine(img, &turn.then(&unscale), img.width(), img.height(), fill)
    }

    #[test]
    fn turned_texture_reads_its_angle_and_direction() {
        let img = textured(400, 300);
        for deg in [7.0, -4.0, 12.0] {
            let m = frame_rotation_deg(&rotated(&img, deg, 1.0, [0, 0, 0]));
            assert!((m - deg).abs() < 0.5, "turned {deg}: measured {m}");
        }
    }

    #[test]
    fn turned_and_shrunk_photo_reads_its_angle() {
        // As dev_0039: turned and shrunk, so every border has a wedge along its whole length,
        // and the dark helmet in the corner merges with the black fill on two borders.
        let img = astronaut();
        let m = frame_rotation_deg(&rotated(&img, 6.0, 0.92, [0, 0, 0]));
        assert!((m - 6.0).abs() < 0.5, "measured {m}");
        // A crooked scan: white scanner lid in the corners, turned the other way.
        let m = frame_rotation_deg(&rotated(&img, -8.0, 1.0, [255, 255, 255]));
        assert!((m + 8.0).abs() < 0.5, "measured {m}");
    }

    #[test]
    fn upright_pictures_read_zero() {
        assert_eq!(frame_rotation_deg(&astronaut()), 0.0);
        assert_eq!(frame_rotation_deg(&textured(400, 300)), 0.0);
        // A picture turned by less than the measure resolves reads (about) zero, not noise.
        let m = frame_rotation_deg(&rotated(&textured(400, 300), 0.0, 0.95, [0, 0, 0]));
        assert!(m.abs() < 0.3, "measured {m}");
    }

    #[test]
    fn letterbox_and_pillarbox_bars_read_zero() {
        let img = astronaut();
        for (w, h) in [(720, 512), (512, 680), (560, 512)] {
            let mut framed = RgbImage::from_pixel(w, h, image::Rgb([0, 0, 0]));
            image::imageops::overlay(&mut framed, &img, ((w - 512) / 2) as i64, ((h - 512) / 2) as i64);
            let m = frame_rotation_deg(&framed);
            assert!(m.abs() < 0.3, "{w}x{h}: measured {m}");
        }
    }

    /// A studio portrait: flat background, an oval head, and a body whose straight sides slope
    /// out by half a pixel a row down to the bottom edge, the outline a turned picture's wedge
    /// could be mistaken for (seen from each side border it is a straight line at 26.6 deg).
    fn studio_portrait(background: [u8; 3]) -> RgbImage {
        let (w, h) = (300u32, 400u32);
        let mut seed = 7u32;
        RgbImage::from_fn(w, h, |x, y| {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let (fx, fy) = (x as f32, y as f32);
            let head = ((fx - 150.0) / 60.0).powi(2) + ((fy - 160.0) / 80.0).powi(2) <= 1.0;
            let body = fy >= 250.0 && (fx - 150.0).abs() <= 60.0 + (fy - 250.0) * 0.5;
            if head || body {
                let t = ((seed >> 26) as u8).wrapping_add(if head { 170 } else { 90 });
                image::Rgb([t, t.saturating_sub(30), t.saturating_sub(50)])
            } else {
                image::Rgb(background)
            }
        })
    }

    #[test]
    fn flat_backgrounds_around_a_person_read_zero() {
        for bg in [[245, 245, 245], [200, 200, 200], [0, 0, 0]] {
            let img = studio_portrait(bg);
            // Each side border does see a straight edge: the body's sides ...
            let fill = fill_colour(&img).expect("flat corners");
            let sides: Vec<f32> = [Border::Left, Border::Right]
                .iter()
                .map(|&b| fit_border(&img, b, fill).expect("a straight side").angle_deg)
                .collect();
            assert!(sides.iter().all(|a| (a.abs() - 26.57).abs() < 1.0), "{sides:?}");
            // ... but mirrored, which no turn of the picture gives.
            assert_eq!(frame_rotation_deg(&img), 0.0, "background {bg:?}");
        }
    }

    fn faces_dir() -> Option<PathBuf> {
        let dir = std::env::var_os("SAPA_FIXTURES").map(PathBuf::from).unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/fixtures/faces"))
        });
        if dir.join("labels.csv").is_file() {
            Some(dir)
        } else {
            eprintln!("NOTICE: real-photo fixtures not found at {}; skipping", dir.display());
            None
        }
    }

    #[test]
    fn shared_photos_rotated_one_reads_its_turn_and_the_rest_zero() {
        let Some(dir) = faces_dir() else { return };
        let mut labels = csv::Reader::from_path(dir.join("labels.csv")).unwrap();
        let mut turned = Vec::new();
        for record in labels.records() {
            let record = record.unwrap();
            let file = &record[0];
            let img = image::open(dir.join(file)).unwrap().to_rgb8();
            let m = frame_rotation_deg(&img);
            if m != 0.0 {
                eprintln!("{file}: {m:.2} deg");
            }
            if m.abs() >= 1.0 {
                turned.push(file.to_string());
            }
        }
        // dev_0039 is the one picture turned inside its frame (black corners); the letterboxed
        // dev_0028, the black-background dev_0075 and every plain studio background read zero.
        assert_eq!(turned, ["dev_0039.jpg"]);
    }
}
