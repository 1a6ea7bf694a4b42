//! The overlay drawn onto the photo's pixels (for `sapa validate --overlay OUT.png`, the batch
//! report and `?overlay=png`): the same elements and colours as the SVG, with the codes written in
//! a built-in bitmap font.

use super::{Band, Boxed, Overlay, colour, font};
use image::{Rgb, RgbImage};

/// `img` (the photo the overlay was built on) with the overlay drawn over it.
pub fn draw(img: &RgbImage, o: &Overlay) -> RgbImage {
    let mut out = img.clone();
    let sw = ((o.width.max(o.height) as f32) / 400.0).max(1.0);
    let band = |out: &mut RgbImage, b: &Band| {
        let r = [b.x, b.y_min, b.w, b.y_max - b.y_min];
        fill(out, r, colour::BAND, 0.18);
        outline(out, r, colour::BAND, sw);
    };
    if let Some(b) = &o.head_band {
        band(&mut out, b);
    }
    if let Some(b) = &o.eye_band {
        band(&mut out, b);
    }
    if let Some(c) = o.crop {
        outline(&mut out, c, colour::CROP, 2.0 * sw);
    }
    if let Some(f) = o.face {
        outline(&mut out, f, colour::FACE, sw);
    }
    for l in &o.landmarks {
        let r = 2.0 * sw;
        fill(&mut out, [l.x - r, l.y - r, 2.0 * r, 2.0 * r], colour::LANDMARK, 1.0);
    }
    if let Some(p) = &o.pose {
        for (end, c) in [(p.x_end, colour::AXIS_X), (p.y_end, colour::AXIS_Y), (p.z_end, colour::AXIS_Z)] {
            line(&mut out, p.origin, end, c, 1.5 * sw);
        }
    }
    let scale = ((o.width.max(o.height) as f32 / 400.0).round() as u32).max(1) * 2;
    for r in &o.regions {
        let c = if r.rejects { colour::REJECT } else { colour::WARN };
        fill(&mut out, r.rect, c, 0.12);
        outline(&mut out, r.rect, c, 2.0 * sw);
        let h = 8.0 * scale as f32;
        let y = if r.rect[1] - h >= 0.0 { r.rect[1] - h } else { r.rect[1] + sw * 2.0 };
        text(&mut out, r.rect[0].max(0.0) + sw * 2.0, y, r.code.as_str(), c, scale);
    }
    out
}

/// The drawn overlay as PNG bytes.
pub fn png(img: &RgbImage, o: &Overlay) -> Vec<u8> {
    let mut bytes = std::io::Cursor::new(Vec::new());
    draw(img, o).write_to(&mut bytes, image::ImageFormat::Png).expect("PNG encoding into memory");
    bytes.into_inner()
}

fn blend(img: &mut RgbImage, x: i64, y: i64, c: [u8; 3], a: f32) {
    if x < 0 || y < 0 || x >= img.width() as i64 || y >= img.height() as i64 {
        return;
    }
    let p = img.get_pixel_mut(x as u32, y as u32);
    *p = Rgb(std::array::from_fn(|i| (p.0[i] as f32 * (1.0 - a) + c[i] as f32 * a).round() as u8));
}

/// Fills a box (clipped to the image) with `c` at opacity `a`.
fn fill(img: &mut RgbImage, [x, y, w, h]: Boxed, c: [u8; 3], a: f32) {
    let (x0, y0) = (x.round().max(0.0) as i64, y.round().max(0.0) as i64);
    let x1 = ((x + w).round() as i64).min(img.width() as i64);
    let y1 = ((y + h).round() as i64).min(img.height() as i64);
    for py in y0..y1 {
        for px in x0..x1 {
            blend(img, px, py, c, a);
        }
    }
}

/// A box's outline, `t` pixels wide, inside its edge.
fn outline(img: &mut RgbImage, [x, y, w, h]: Boxed, c: [u8; 3], t: f32) {
    fill(img, [x, y, w, t], c, 1.0);
    fill(img, [x, y + h - t, w, t], c, 1.0);
    fill(img, [x, y, t, h], c, 1.0);
    fill(img, [x + w - t, y, t, h], c, 1.0);
}

/// A straight line `t` pixels wide, drawn as squares along it.
fn line(img: &mut RgbImage, a: [f32; 2], b: [f32; 2], c: [u8; 3], t: f32) {
    let steps = ((b[0] - a[0]).abs().max((b[1] - a[1]).abs()).ceil() as usize).max(1);
    for i in 0..=steps {
        let k = i as f32 / steps as f32;
        let (x, y) = (a[0] + k * (b[0] - a[0]), a[1] + k * (b[1] - a[1]));
        fill(img, [x - t / 2.0, y - t / 2.0, t, t], c, 1.0);
    }
}

/// `s` in the bitmap font, `scale` pixels per font dot, top left at (x, y), on a dark backing so it
/// reads on any photo.
fn text(img: &mut RgbImage, x: f32, y: f32, s: &str, c: [u8; 3], scale: u32) {
    let d = scale as f32;
    let width = 6.0 * d * s.chars().count() as f32;
    fill(img, [x - d, y - d, width + d, 9.0 * d], [0, 0, 0], 0.6);
    for (i, ch) in s.chars().enumerate() {
        let g = font::glyph(ch);
        for (row, bits) in g.iter().enumerate() {
            for col in 0..5 {
                if bits & (0b10000 >> col) != 0 {
                    let (px, py) = (x + (6 * i + col) as f32 * d, y + row as f32 * d);
                    fill(img, [px, py, d, d], c, 1.0);
                }
            }
        }
    }
}
