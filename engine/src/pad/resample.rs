//! The resize the MiniFASNet models were trained with: OpenCV's `INTER_LINEAR`, which samples
//! the two nearest source pixels per axis and does not low-pass first. Elsewhere Sapa never
//! shrinks without a filter; here the aliasing of a print's halftone or a screen's pixel grid is
//! part of what the models learned, and a filtered crop moved bona fide scores (the committed
//! portrait's live probability, MiniFASNetV2: 0.38 filtered, 0.69 as trained; BENCHMARKS.md, PAD).

use crate::image::resize::Rect;
use image::RgbImage;

/// Source sample positions for `n` outputs over `len` inputs: (index, next index, weight of next).
fn taps(n: u32, len: u32) -> Vec<(u32, u32, f32)> {
    let scale = len as f32 / n as f32;
    (0..n)
        .map(|i| {
            let f = ((i as f32 + 0.5) * scale - 0.5).max(0.0);
            let i0 = (f.floor() as u32).min(len - 1);
            let t = if i0 >= len - 1 { 0.0 } else { f - i0 as f32 };
            (i0, (i0 + 1).min(len - 1), t)
        })
        .collect()
}

/// The whole-pixel `rect` of `img` (inside the image) resized to `n` x `n`, bilinear, unfiltered.
pub fn crop_linear(img: &RgbImage, rect: Rect, n: u32) -> RgbImage {
    let (x0, y0) = (rect.x.max(0.0) as u32, rect.y.max(0.0) as u32);
    let w = (rect.w as u32).clamp(1, img.width() - x0.min(img.width() - 1));
    let h = (rect.h as u32).clamp(1, img.height() - y0.min(img.height() - 1));
    let (xs, ys) = (taps(n, w), taps(n, h));
    RgbImage::from_fn(n, n, |x, y| {
        let (xa, xb, tx) = xs[x as usize];
        let (ya, yb, ty) = ys[y as usize];
        let p = |sx: u32, sy: u32| img.get_pixel(x0 + sx, y0 + sy).0;
        let (a, b, c, d) = (p(xa, ya), p(xb, ya), p(xa, yb), p(xb, yb));
        image::Rgb(std::array::from_fn(|k| {
            let top = a[k] as f32 * (1.0 - tx) + b[k] as f32 * tx;
            let bottom = c[k] as f32 * (1.0 - tx) + d[k] as f32 * tx;
            (top * (1.0 - ty) + bottom * ty).round().clamp(0.0, 255.0) as u8
        }))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stripes_shrunk_three_times_keep_their_contrast_as_opencv_does() {
        // Samples land on pixel centres 3i+1: the 1-px stripes alias into full-contrast stripes
        // where a filtered resize would give a flat grey.
        let img = RgbImage::from_fn(240, 30, |x, _| image::Rgb([if x % 2 == 0 { 255 } else { 0 }; 3]));
        let r = crop_linear(&img, Rect { x: 0.0, y: 0.0, w: 240.0, h: 30.0 }, 80);
        let row: Vec<u8> = (0..6).map(|x| r.get_pixel(x, 5).0[0]).collect();
        assert_eq!(row, [0, 255, 0, 255, 0, 255]);
    }
}
