//! The context crop the MiniFASNet models were trained on: the face box scaled about its centre,
//! kept inside the image. The models judge the face *and its surroundings* (a paper edge, a
//! bezel, moiré on the background), so the amount of context is part of each model.

use crate::detect::BoundingBox;
use crate::image::resize::Rect;

/// The rectangle `scale` times `face` about its centre, as Minivision crops it: the scale is
/// lowered until the rectangle fits the image, then the rectangle is shifted (never padded) to
/// lie inside it; corners are whole pixels, the last row and column included.
pub fn context_rect(width: u32, height: u32, face: &BoundingBox, scale: f32) -> Rect {
    let (w, h) = (width as f32, height as f32);
    let (bw, bh) = (face.w.max(1.0), face.h.max(1.0));
    let s = scale.min((h - 1.0) / bh).min((w - 1.0) / bw).max(0.0);
    let (nw, nh) = (bw * s, bh * s);
    let (cx, cy) = (face.x + bw / 2.0, face.y + bh / 2.0);
    let (mut x0, mut y0, mut x1, mut y1) = (cx - nw / 2.0, cy - nh / 2.0, cx + nw / 2.0, cy + nh / 2.0);
    if x0 < 0.0 {
        x1 -= x0;
        x0 = 0.0;
    }
    if y0 < 0.0 {
        y1 -= y0;
        y0 = 0.0;
    }
    if x1 > w - 1.0 {
        x0 -= x1 - w + 1.0;
        x1 = w - 1.0;
    }
    if y1 > h - 1.0 {
        y0 -= y1 - h + 1.0;
        y1 = h - 1.0;
    }
    let (x0, y0, x1, y1) = (x0.max(0.0).trunc(), y0.max(0.0).trunc(), x1.trunc(), y1.trunc());
    Rect { x: x0, y: y0, w: (x1 - x0 + 1.0).max(1.0), h: (y1 - y0 + 1.0).max(1.0) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_central_face_gets_the_full_scale_and_an_edge_face_is_shifted_inside() {
        let face = BoundingBox { x: 450.0, y: 350.0, w: 100.0, h: 100.0 };
        let r = context_rect(1000, 800, &face, 2.7);
        assert_eq!((r.x, r.y, r.w, r.h), (365.0, 265.0, 271.0, 271.0));
        let corner = BoundingBox { x: 0.0, y: 0.0, w: 100.0, h: 100.0 };
        let r = context_rect(1000, 800, &corner, 4.0);
        assert_eq!((r.x, r.y, r.w, r.h), (0.0, 0.0, 401.0, 401.0));
        // A face too large for 4x: the scale drops to what fits (799 / 400).
        let big = BoundingBox { x: 300.0, y: 200.0, w: 400.0, h: 400.0 };
        let r = context_rect(1000, 800, &big, 4.0);
        assert!(r.h <= 800.0 && r.y >= 0.0, "{r:?}");
    }
}
