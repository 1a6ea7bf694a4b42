//! Stroke data from a kiosk's signature pad: strokes of points with time and, optionally,
//! pressure, drawn onto white paper at a fixed resolution, so the same checks judge them as a
//! photographed sample. The pad's own size is part of the input: a tiny scribble in a corner of
//! the pad stays tiny.

use crate::error::{EngineError, Result};
use image::{Rgb, RgbImage};
use serde::Deserialize;

/// The longer side of the pad is drawn at this many pixels.
pub const RENDER_LONG_SIDE: f32 = 1200.0;
/// The pen's radius at pressure 0.5 (or when the pad sends none), in rendered pixels.
const PEN_RADIUS: f32 = 2.2;
/// More points than this is not one signature (a pad samples at most a few hundred a second).
pub const MAX_POINTS: usize = 100_000;
pub const MAX_STROKES: usize = 1_000;
/// Ink of a pad's rendering: near black.
pub const INK: [u8; 3] = [25, 25, 35];

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Point {
    pub x: f32,
    pub y: f32,
    /// Milliseconds since the first point; never decreasing within a stroke.
    pub t: f64,
    /// 0 to 1, when the pad measures it.
    #[serde(default)]
    pub pressure: Option<f32>,
}

/// The pad's drawing surface (`width` x `height` in the points' units) and the strokes on it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StrokeInput {
    pub width: f32,
    pub height: f32,
    pub strokes: Vec<Vec<Point>>,
}

impl StrokeInput {
    /// Refuses what cannot be drawn: a surface that is not a positive finite size, too many
    /// points, a coordinate, time or pressure that is not a finite number in range, time going
    /// backwards within a stroke.
    pub fn check(&self) -> Result<()> {
        let bad = |m: String| Err(EngineError::InvalidStrokes(m));
        let sane = |v: f32| v.is_finite() && v > 0.0 && v <= 1e6;
        if !sane(self.width) || !sane(self.height) {
            return bad(format!(
                "the pad size must be positive and finite, got {}x{}",
                self.width, self.height
            ));
        }
        if self.strokes.len() > MAX_STROKES {
            return bad(format!("{} strokes; at most {MAX_STROKES}", self.strokes.len()));
        }
        let total: usize = self.strokes.iter().map(Vec::len).sum();
        if total > MAX_POINTS {
            return bad(format!("{total} points; at most {MAX_POINTS}"));
        }
        for (i, stroke) in self.strokes.iter().enumerate() {
            for (j, p) in stroke.iter().enumerate() {
                let inside = p.x.is_finite() && p.y.is_finite() && p.t.is_finite();
                let inside = inside
                    && (-1.0..=self.width + 1.0).contains(&p.x)
                    && (-1.0..=self.height + 1.0).contains(&p.y);
                if !inside {
                    return bad(format!("stroke {i} point {j} is not a finite point on the pad"));
                }
                if p.pressure.is_some_and(|q| !(0.0..=1.0).contains(&q)) {
                    return bad(format!("stroke {i} point {j}: pressure must be within 0..1"));
                }
                if j > 0 && p.t < stroke[j - 1].t {
                    return bad(format!("stroke {i} point {j}: time goes backwards"));
                }
            }
        }
        Ok(())
    }

    /// Draws the strokes on white, the pad's longer side at [`RENDER_LONG_SIDE`] pixels.
    pub fn render(&self) -> Result<RgbImage> {
        self.check()?;
        let scale = RENDER_LONG_SIDE / self.width.max(self.height);
        let (w, h) = ((self.width * scale).round().max(32.0), (self.height * scale).round().max(32.0));
        let mut img = RgbImage::from_pixel(w as u32, h as u32, Rgb([255, 255, 255]));
        for stroke in &self.strokes {
            let pts: Vec<(f32, f32, f32)> = stroke
                .iter()
                .map(|p| (p.x * scale, p.y * scale, PEN_RADIUS * (0.5 + p.pressure.unwrap_or(0.5))))
                .collect();
            draw_polyline(&mut img, &pts, INK);
        }
        Ok(img)
    }
}

/// Draws a pen stroke through `(x, y, radius)` points: round-capped, anti-aliased segments whose
/// radius follows the points, darkening what is below (ink on paper is never lighter).
pub fn draw_polyline(img: &mut RgbImage, pts: &[(f32, f32, f32)], ink: [u8; 3]) {
    let segs: Vec<_> =
        if pts.len() == 1 { vec![(pts[0], pts[0])] } else { pts.windows(2).map(|w| (w[0], w[1])).collect() };
    let (iw, ih) = (img.width() as f32, img.height() as f32);
    for ((x0, y0, r0), (x1, y1, r1)) in segs {
        let r = r0.max(r1);
        let (lx, hx) = ((x0.min(x1) - r - 1.0).max(0.0), (x0.max(x1) + r + 1.0).min(iw - 1.0));
        let (ly, hy) = ((y0.min(y1) - r - 1.0).max(0.0), (y0.max(y1) + r + 1.0).min(ih - 1.0));
        if lx > hx || ly > hy {
            continue;
        }
        let (dx, dy) = (x1 - x0, y1 - y0);
        let len2 = dx * dx + dy * dy;
        for py in ly as u32..=hy as u32 {
            for px in lx as u32..=hx as u32 {
                let (cx, cy) = (px as f32 + 0.5, py as f32 + 0.5);
                let t =
                    if len2 > 0.0 { (((cx - x0) * dx + (cy - y0) * dy) / len2).clamp(0.0, 1.0) } else { 0.0 };
                let (qx, qy) = (x0 + t * dx - cx, y0 + t * dy - cy);
                let dist = (qx * qx + qy * qy).sqrt();
                let rad = r0 + (r1 - r0) * t;
                let cov = (rad + 0.5 - dist).clamp(0.0, 1.0);
                if cov > 0.0 {
                    let p = img.get_pixel_mut(px, py);
                    for (c, &k) in p.0.iter_mut().zip(&ink) {
                        let v = f32::from(*c) * (1.0 - cov) + f32::from(k) * cov;
                        *c = (*c).min(v.round() as u8);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(json: &str) -> StrokeInput {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn strokes_are_drawn_and_bad_ones_refused() {
        let ok = input(
            r#"{"width":400,"height":200,"strokes":[[{"x":10,"y":100,"t":0},{"x":390,"y":100,"t":50,"pressure":0.8}]]}"#,
        );
        let img = ok.render().unwrap();
        assert_eq!((img.width(), img.height()), (1200, 600));
        assert!(img.get_pixel(600, 300)[0] < 80, "the line is drawn");
        assert_eq!(img.get_pixel(600, 100)[0], 255, "paper stays white");
        let back = input(
            r#"{"width":400,"height":200,"strokes":[[{"x":10,"y":100,"t":5},{"x":20,"y":100,"t":1}]]}"#,
        );
        assert_eq!(back.render().unwrap_err().code(), "invalid_strokes");
        let off = input(r#"{"width":400,"height":200,"strokes":[[{"x":1e9,"y":100,"t":0}]]}"#);
        assert_eq!(off.render().unwrap_err().code(), "invalid_strokes");
        let zero = input(r#"{"width":0,"height":200,"strokes":[]}"#);
        assert_eq!(zero.render().unwrap_err().code(), "invalid_strokes");
    }
}
