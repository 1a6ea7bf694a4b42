//! Affine warps: rotated face crops for the mesh, aligned chips for recognition, and the rotated
//! test images that check the pose conventions.

use image::RgbImage;

/// A 2x3 affine map `p' = [a b; d e] p + [c; f]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Affine {
    pub m: [f32; 6],
}

impl Affine {
    pub const IDENTITY: Affine = Affine { m: [1.0, 0.0, 0.0, 0.0, 1.0, 0.0] };

    pub fn apply(&self, x: f32, y: f32) -> (f32, f32) {
        let m = &self.m;
        (m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5])
    }

    /// Scale `s`, rotation `theta` (radians, in y-down pixel coordinates) and translation.
    pub fn similarity(s: f32, theta: f32, tx: f32, ty: f32) -> Self {
        let (sin, cos) = theta.sin_cos();
        Affine { m: [s * cos, -s * sin, tx, s * sin, s * cos, ty] }
    }

    /// Rotation by `degrees` as a viewer sees it on screen (positive = counter-clockwise),
    /// about the point `(cx, cy)` in y-down pixel coordinates.
    pub fn rotation_about(degrees: f32, cx: f32, cy: f32) -> Self {
        // On screen (y down) a counter-clockwise turn is a negative angle in the math frame.
        let t = -degrees.to_radians();
        let (sin, cos) = t.sin_cos();
        let tx = cx - cos * cx + sin * cy;
        let ty = cy - sin * cx - cos * cy;
        Affine { m: [cos, -sin, tx, sin, cos, ty] }
    }

    pub fn then(&self, next: &Affine) -> Affine {
        let a = &self.m;
        let b = &next.m;
        Affine {
            m: [
                b[0] * a[0] + b[1] * a[3],
                b[0] * a[1] + b[1] * a[4],
                b[0] * a[2] + b[1] * a[5] + b[2],
                b[3] * a[0] + b[4] * a[3],
                b[3] * a[1] + b[4] * a[4],
                b[3] * a[2] + b[4] * a[5] + b[5],
            ],
        }
    }

    /// The inverse map, or `None` when the map is degenerate.
    pub fn inverse(&self) -> Option<Affine> {
        let m = &self.m;
        let det = m[0] * m[4] - m[1] * m[3];
        if det.abs() < 1e-12 {
            return None;
        }
        let (a, b, d, e) = (m[4] / det, -m[1] / det, -m[3] / det, m[0] / det);
        Some(Affine { m: [a, b, -(a * m[2] + b * m[5]), d, e, -(d * m[2] + e * m[5])] })
    }

    /// Least-squares similarity transform taking `src` points onto `dst` points (Umeyama, no
    /// reflection). Used to align faces onto reference landmark templates.
    pub fn estimate_similarity(src: &[(f32, f32)], dst: &[(f32, f32)]) -> Option<Affine> {
        let n = src.len().min(dst.len());
        if n < 2 {
            return None;
        }
        let nf = n as f64;
        let (mut sx, mut sy, mut dx, mut dy) = (0.0f64, 0.0, 0.0, 0.0);
        for i in 0..n {
            sx += src[i].0 as f64;
            sy += src[i].1 as f64;
            dx += dst[i].0 as f64;
            dy += dst[i].1 as f64;
        }
        let (sx, sy, dx, dy) = (sx / nf, sy / nf, dx / nf, dy / nf);
        // With complex numbers: dst ≈ z * src, z = Σ conj(s)·d / Σ |s|².
        let (mut num_re, mut num_im, mut den) = (0.0f64, 0.0, 0.0);
        for i in 0..n {
            let (px, py) = (src[i].0 as f64 - sx, src[i].1 as f64 - sy);
            let (qx, qy) = (dst[i].0 as f64 - dx, dst[i].1 as f64 - dy);
            num_re += px * qx + py * qy;
            num_im += px * qy - py * qx;
            den += px * px + py * py;
        }
        if den < 1e-12 {
            return None;
        }
        let (a, b) = (num_re / den, num_im / den);
        let tx = dx - (a * sx - b * sy);
        let ty = dy - (b * sx + a * sy);
        Some(Affine { m: [a as f32, -b as f32, tx as f32, b as f32, a as f32, ty as f32] })
    }
}

/// Renders an `w` x `h` image whose pixel `p` is `src` sampled bilinearly at `to_src(p)`.
/// Outside the source the `border` colour is used.
///
/// Every face crop goes through here (mesh, pose, expression, face region, recognition), so the
/// inner loop takes one bounds check per pixel and floors without a libm call; the arithmetic is
/// unchanged, so the output is bit for bit what a plain per-channel loop gives (tested).
pub fn warp_affine(src: &RgbImage, to_src: &Affine, w: u32, h: u32, border: [u8; 3]) -> RgbImage {
    let (sw, sh) = (src.width() as i64, src.height() as i64);
    let raw = src.as_raw();
    let stride = sw as usize * 3;
    let mut out = vec![0u8; w as usize * h as usize * 3];
    let m = to_src.m;
    let fetch = |x: i64, y: i64, c: usize| -> f32 {
        if x < 0 || y < 0 || x >= sw || y >= sh {
            border[c] as f32
        } else {
            raw[y as usize * stride + x as usize * 3 + c] as f32
        }
    };
    for (oy, row) in out.chunks_exact_mut((w as usize * 3).max(1)).enumerate() {
        // Sample at pixel centres: output centre (ox+0.5, oy+0.5) maps to a source centre.
        let fy = oy as f32 + 0.5;
        for (ox, px) in row.chunks_exact_mut(3).enumerate() {
            let fx = ox as f32 + 0.5;
            let x = m[0] * fx + m[1] * fy + m[2] - 0.5;
            let y = m[3] * fx + m[4] * fy + m[5] - 0.5;
            let (x0, y0) = (floor(x), floor(y));
            let (ax, ay) = (x - x0, y - y0);
            let (x0, y0) = (x0 as i64, y0 as i64);
            if x0 >= 0 && y0 >= 0 && x0 + 1 < sw && y0 + 1 < sh {
                let i = y0 as usize * stride + x0 as usize * 3;
                let (top, bottom) = (&raw[i..i + 6], &raw[i + stride..i + stride + 6]);
                for (c, out) in px.iter_mut().enumerate() {
                    *out = bilinear(
                        [top[c] as f32, top[c + 3] as f32, bottom[c] as f32, bottom[c + 3] as f32],
                        ax,
                        ay,
                    );
                }
            } else {
                for (c, out) in px.iter_mut().enumerate() {
                    let p = [
                        fetch(x0, y0, c),
                        fetch(x0 + 1, y0, c),
                        fetch(x0, y0 + 1, c),
                        fetch(x0 + 1, y0 + 1, c),
                    ];
                    *out = bilinear(p, ax, ay);
                }
            }
        }
    }
    RgbImage::from_raw(w, h, out).expect("buffer sized for w x h x 3")
}

/// `v.floor()`, by truncation where that is the same (v >= 0), so the common case needs no call.
#[inline(always)]
fn floor(v: f32) -> f32 {
    if (0.0..8_388_608.0).contains(&v) { (v as i64) as f32 } else { v.floor() }
}

/// Bilinear blend of `[p00, p01, p10, p11]`, rounded to 8 bits.
#[inline(always)]
fn bilinear(p: [f32; 4], ax: f32, ay: f32) -> u8 {
    let v = (p[0] * (1.0 - ax) + p[1] * ax) * (1.0 - ay) + (p[2] * (1.0 - ax) + p[3] * ax) * ay;
    (v + 0.5).clamp(0.0, 255.0) as u8
}

/// Like [`warp_affine`], but first shrinks the source region with a proper low-pass resize when
/// the map downsamples by more than 1.5x, so large faces are not aliased into the crop.
pub fn warp_crop(src: &RgbImage, to_src: &Affine, w: u32, h: u32, border: [u8; 3]) -> RgbImage {
    CropSource::new(src, to_src, w, h).warp(to_src, w, h, border)
}

/// What [`warp_crop`] samples for one map: the source region under the output rectangle, shrunk
/// once. Several warps over the same square (a crop and its mirror image) share the shrink, which
/// is most of a crop's cost when the face is large.
pub struct CropSource<'a> {
    src: &'a RgbImage,
    /// The shrunk region and the map from source pixels into it, when the map downsamples.
    shrunk: Option<(RgbImage, Affine)>,
}

impl<'a> CropSource<'a> {
    pub fn new(src: &'a RgbImage, to_src: &Affine, w: u32, h: u32) -> Self {
        let m = &to_src.m;
        let scale = (m[0] * m[4] - m[1] * m[3]).abs().sqrt();
        if scale <= 1.5 {
            return Self { src, shrunk: None };
        }
        // Source bounding box of the output rectangle.
        let corners = [(0.0, 0.0), (w as f32, 0.0), (0.0, h as f32), (w as f32, h as f32)];
        let pts: Vec<(f32, f32)> = corners.iter().map(|&(x, y)| to_src.apply(x, y)).collect();
        let x0 = pts.iter().map(|p| p.0).fold(f32::MAX, f32::min).floor().max(0.0);
        let y0 = pts.iter().map(|p| p.1).fold(f32::MAX, f32::min).floor().max(0.0);
        let x1 = pts.iter().map(|p| p.0).fold(f32::MIN, f32::max).ceil().min(src.width() as f32);
        let y1 = pts.iter().map(|p| p.1).fold(f32::MIN, f32::max).ceil().min(src.height() as f32);
        if x1 - x0 < 2.0 || y1 - y0 < 2.0 {
            return Self { src, shrunk: None };
        }
        let rw = (((x1 - x0) / scale).round() as u32).max(1);
        let rh = (((y1 - y0) / scale).round() as u32).max(1);
        let rect = super::resize::Rect { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
        let Ok(small) = super::resize::crop_resize(src, rect, rw, rh) else {
            return Self { src, shrunk: None };
        };
        // small pixel (u, v) covers source (x0 + u * sx, y0 + v * sy).
        let (sx, sy) = ((x1 - x0) / rw as f32, (y1 - y0) / rh as f32);
        let to_small = Affine { m: [1.0 / sx, 0.0, -x0 / sx, 0.0, 1.0 / sy, -y0 / sy] };
        Self { src, shrunk: Some((small, to_small)) }
    }

    /// The `w` x `h` crop of `to_src`, a map over the same square as the one this was made for.
    pub fn warp(&self, to_src: &Affine, w: u32, h: u32, border: [u8; 3]) -> RgbImage {
        match &self.shrunk {
            Some((small, to_small)) => warp_affine(small, &to_src.then(to_small), w, h, border),
            None => warp_affine(self.src, to_src, w, h, border),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain per-channel bilinear loop `warp_affine` must match bit for bit.
    fn reference(src: &RgbImage, m: [f32; 6], w: u32, h: u32, border: [u8; 3]) -> Vec<u8> {
        let (sw, sh) = (src.width() as i64, src.height() as i64);
        let at = |x: i64, y: i64, c: usize| -> f32 {
            if x < 0 || y < 0 || x >= sw || y >= sh {
                border[c] as f32
            } else {
                src.get_pixel(x as u32, y as u32).0[c] as f32
            }
        };
        let mut out = Vec::new();
        for oy in 0..h {
            for ox in 0..w {
                let (fx, fy) = (ox as f32 + 0.5, oy as f32 + 0.5);
                let x = m[0] * fx + m[1] * fy + m[2] - 0.5;
                let y = m[3] * fx + m[4] * fy + m[5] - 0.5;
                let (x0, y0) = (x.floor(), y.floor());
                let (ax, ay) = (x - x0, y - y0);
                let (x0, y0) = (x0 as i64, y0 as i64);
                for c in 0..3 {
                    let v = (at(x0, y0, c) * (1.0 - ax) + at(x0 + 1, y0, c) * ax) * (1.0 - ay)
                        + (at(x0, y0 + 1, c) * (1.0 - ax) + at(x0 + 1, y0 + 1, c) * ax) * ay;
                    out.push((v + 0.5).clamp(0.0, 255.0) as u8);
                }
            }
        }
        out
    }

    #[test]
    fn warp_matches_the_plain_bilinear_loop_inside_and_across_the_border() {
        let src =
            RgbImage::from_fn(97, 83, |x, y| image::Rgb([(x * 7 + y) as u8, (y * 13) as u8, (x ^ y) as u8]));
        for map in [
            Affine::similarity(1.3, 0.2, 10.0, 5.0),
            Affine::similarity(0.7, -0.9, -20.0, 60.0),
            Affine { m: [1.0, 0.0, -3.25, 0.0, 1.0, -7.5] },
        ] {
            let fast = warp_affine(&src, &map, 64, 48, [9, 8, 7]);
            assert_eq!(fast.as_raw(), &reference(&src, map.m, 64, 48, [9, 8, 7]), "{map:?}");
        }
    }

    #[test]
    fn similarity_estimate_recovers_a_known_map() {
        let truth = Affine::similarity(1.7, 0.3, 12.0, -4.0);
        let src = [(0.0, 0.0), (10.0, 2.0), (4.0, 9.0), (-3.0, 5.0)];
        let dst: Vec<_> = src.iter().map(|&(x, y)| truth.apply(x, y)).collect();
        let est = Affine::estimate_similarity(&src, &dst).unwrap();
        for (a, b) in est.m.iter().zip(truth.m.iter()) {
            assert!((a - b).abs() < 1e-4, "{est:?} vs {truth:?}");
        }
    }

    #[test]
    fn inverse_undoes_the_map() {
        let a = Affine::similarity(0.5, -1.1, 3.0, 7.0);
        let (x, y) = a.apply(5.0, -2.0);
        let (bx, by) = a.inverse().unwrap().apply(x, y);
        assert!((bx - 5.0).abs() < 1e-4 && (by + 2.0).abs() < 1e-4);
    }

    #[test]
    fn screen_rotation_turns_right_into_up() {
        // Counter-clockwise by 90° on screen: a point to the right of the centre goes above it.
        let r = Affine::rotation_about(90.0, 0.0, 0.0);
        let (x, y) = r.apply(1.0, 0.0);
        assert!(x.abs() < 1e-5 && (y + 1.0).abs() < 1e-5, "({x}, {y})");
    }
}
