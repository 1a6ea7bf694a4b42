//! The face, cut out upright at a fixed scale, with the mesh mapped into it. Every capture check
//! (exposure, sharpness, colour, lighting, glasses) reads this one crop, so their numbers do not
//! depend on how large the photo is, and the crop is made once.
//!
//! The crop never enlarges: a face whose eyes are closer than [`IED`] pixels is cut at its own
//! scale, so a small photo is not blurred by upsampling before its sharpness is judged.

use crate::detect::Point;
use crate::geometry::FaceMeasures;
use crate::image::warp::{Affine, warp_crop};
use crate::landmarks::FaceMesh;
use crate::landmarks::regions::FACE_OVAL;
use image::RgbImage;

/// Inter-eye distance in the crop, pixels, for a face at least this large in the source.
pub const IED: f32 = 72.0;
/// Crop size and eye-midpoint position, in units of the inter-eye distance.
const SIDE_IED: f32 = 256.0 / 72.0;
const EYE_X_IED: f32 = 128.0 / 72.0;
const EYE_Y_IED: f32 = 100.0 / 72.0;

pub struct FaceRegion {
    pub img: RgbImage,
    /// Pixels per inter-eye distance in this crop.
    pub ied: f32,
    /// Mesh points in crop pixels.
    pub points: Vec<Point>,
    /// BT.601 luminance, row-major.
    pub luma: Vec<f32>,
    /// Inside the face outline.
    pub face_mask: Vec<bool>,
    /// Source-to-crop map.
    pub to_crop: Affine,
}

impl FaceRegion {
    pub fn new(img: &RgbImage, mesh: &FaceMesh, m: &FaceMeasures) -> Option<Self> {
        let src_ied = m.inter_eye_px.max(1.0);
        let ied = src_ied.min(IED);
        let side = (SIDE_IED * ied).round().max(16.0) as u32;
        let (r, l) = (m.right_eye, m.left_eye);
        let dst_mid = (EYE_X_IED * ied, EYE_Y_IED * ied);
        let dst = [(dst_mid.0 - ied / 2.0, dst_mid.1), (dst_mid.0 + ied / 2.0, dst_mid.1)];
        let src = [(r.x, r.y), (l.x, l.y)];
        let to_crop = Affine::estimate_similarity(&src, &dst)?;
        let to_src = to_crop.inverse()?;
        let crop = warp_crop(img, &to_src, side, side, [0, 0, 0]);
        let points: Vec<Point> = mesh
            .points
            .iter()
            .map(|p| {
                let (x, y) = to_crop.apply(p[0], p[1]);
                Point::new(x, y)
            })
            .collect();
        let luma = crop
            .as_raw()
            .chunks_exact(3)
            .map(|p| 0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32)
            .collect();
        let oval: Vec<Point> = FACE_OVAL.iter().map(|&i| points[i]).collect();
        let face_mask = polygon_mask(&oval, side, side);
        Some(Self { img: crop, ied, points, luma, face_mask, to_crop })
    }

    /// The eye midpoint in crop pixels (where the crop puts it).
    pub fn eyes(&self) -> Point {
        Point::new(EYE_X_IED * self.ied, EYE_Y_IED * self.ied)
    }

    pub fn width(&self) -> u32 {
        self.img.width()
    }

    pub fn height(&self) -> u32 {
        self.img.height()
    }

    /// Indices of face pixels.
    pub fn face_pixels(&self) -> impl Iterator<Item = usize> + '_ {
        self.face_mask.iter().enumerate().filter(|(_, m)| **m).map(|(i, _)| i)
    }

    /// Pixel indices of a disc of radius `r_ied` (in inter-eye units) around `c`, clipped.
    pub fn disc(&self, c: Point, r_ied: f32) -> Vec<usize> {
        let r = r_ied * self.ied;
        let (w, h) = (self.width() as i32, self.height() as i32);
        let mut out = Vec::new();
        for y in ((c.y - r).floor() as i32).max(0)..((c.y + r).ceil() as i32).min(h) {
            for x in ((c.x - r).floor() as i32).max(0)..((c.x + r).ceil() as i32).min(w) {
                if (x as f32 - c.x).powi(2) + (y as f32 - c.y).powi(2) <= r * r {
                    out.push((y * w + x) as usize);
                }
            }
        }
        out
    }

    /// Pixel indices of an axis-aligned box centred on `c`, sides in inter-eye units.
    pub fn rect(&self, c: Point, w_ied: f32, h_ied: f32) -> Vec<usize> {
        let (hw, hh) = (w_ied * self.ied / 2.0, h_ied * self.ied / 2.0);
        let (w, h) = (self.width() as i32, self.height() as i32);
        let mut out = Vec::new();
        for y in ((c.y - hh).round() as i32).max(0)..((c.y + hh).round() as i32).min(h) {
            for x in ((c.x - hw).round() as i32).max(0)..((c.x + hw).round() as i32).min(w) {
                out.push((y * w + x) as usize);
            }
        }
        out
    }

    /// Mean CIELAB (L*, a*, b*) over the given pixels.
    pub fn mean_lab(&self, pixels: &[usize]) -> Option<[f32; 3]> {
        if pixels.is_empty() {
            return None;
        }
        let raw = self.img.as_raw();
        let mut acc = [0f32; 3];
        for &i in pixels {
            let lab = srgb_to_lab([raw[3 * i], raw[3 * i + 1], raw[3 * i + 2]]);
            for c in 0..3 {
                acc[c] += lab[c];
            }
        }
        let n = pixels.len() as f32;
        Some([acc[0] / n, acc[1] / n, acc[2] / n])
    }
}

/// Scanline fill of a closed polygon.
pub fn polygon_mask(poly: &[Point], w: u32, h: u32) -> Vec<bool> {
    let mut mask = vec![false; (w * h) as usize];
    let n = poly.len();
    for y in 0..h {
        let fy = y as f32 + 0.5;
        let mut xs: Vec<f32> = Vec::new();
        for i in 0..n {
            let (a, b) = (poly[i], poly[(i + 1) % n]);
            if (a.y <= fy && b.y > fy) || (b.y <= fy && a.y > fy) {
                xs.push(a.x + (fy - a.y) / (b.y - a.y) * (b.x - a.x));
            }
        }
        xs.sort_by(|a, b| a.total_cmp(b));
        for pair in xs.chunks_exact(2) {
            let x0 = (pair[0] - 0.5).ceil().max(0.0) as u32;
            let x1 = ((pair[1] - 0.5).floor() as i64).min(w as i64 - 1);
            for x in x0 as i64..=x1 {
                mask[(y * w) as usize + x as usize] = true;
            }
        }
    }
    mask
}

/// sRGB (D65) to CIELAB.
pub fn srgb_to_lab(rgb: [u8; 3]) -> [f32; 3] {
    let lin = srgb_linear_table();
    let (r, g, b) = (lin[rgb[0] as usize], lin[rgb[1] as usize], lin[rgb[2] as usize]);
    let x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
    let y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    let z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
    let f = |t: f32| {
        if t > 0.008856 { t.cbrt() } else { 7.787 * t + 16.0 / 116.0 }
    };
    let (fx, fy, fz) = (f(x), f(y), f(z));
    [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
}

/// The sRGB transfer curve, undone, for every 8-bit value: the capture checks convert up to 20 000
/// pixels a photo, and three `powf` per pixel were a visible share of the batch's CPU time.
fn srgb_linear_table() -> &'static [f32; 256] {
    static TABLE: std::sync::OnceLock<[f32; 256]> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| std::array::from_fn(|c| srgb_linear(c as u8)))
}

fn srgb_linear(c: u8) -> f32 {
    let v = c as f32 / 255.0;
    if v <= 0.04045 { v / 12.92 } else { ((v + 0.055) / 1.055).powf(2.4) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_the_curve() {
        for c in 0..=255u8 {
            assert_eq!(srgb_linear_table()[c as usize].to_bits(), srgb_linear(c).to_bits());
        }
    }

    #[test]
    fn lab_of_white_and_red() {
        let w = srgb_to_lab([255, 255, 255]);
        assert!((w[0] - 100.0).abs() < 0.5 && w[1].abs() < 0.5 && w[2].abs() < 0.5, "{w:?}");
        let r = srgb_to_lab([255, 0, 0]);
        assert!((r[0] - 53.2).abs() < 1.0 && (r[1] - 80.1).abs() < 1.5, "{r:?}");
    }

    #[test]
    fn polygon_mask_fills_a_square() {
        let sq = [Point::new(2.0, 2.0), Point::new(6.0, 2.0), Point::new(6.0, 6.0), Point::new(2.0, 6.0)];
        let m = polygon_mask(&sq, 8, 8);
        assert_eq!(m.iter().filter(|v| **v).count(), 16);
    }
}
