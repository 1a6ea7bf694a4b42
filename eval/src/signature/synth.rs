//! The generated signature set: usable samples (signatures of varying size, pen, speed and ink
//! on paper with grain, a tint, mild light fall-off, a slight turn, a soft lens, through JPEG)
//! and known defects, each with the code that must catch it.

use super::pen;
use super::rng::Rng;
use image::{Rgb, RgbImage};
use sapa_engine::signature::SignatureCode;
use sapa_engine::signature::strokes::draw_polyline;

/// What a generated sample is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Usable,
    Blank,
    Faint,
    Lined,
    Grid,
    Texture,
    Stamp,
    Cropped,
    Two,
    Typed,
    Photo,
    Tiny,
    Blurred,
    Shadow,
    Rotated,
    WrongInk,
}

impl Kind {
    pub const ALL: [Kind; 16] = [
        Kind::Usable,
        Kind::Blank,
        Kind::Faint,
        Kind::Lined,
        Kind::Grid,
        Kind::Texture,
        Kind::Stamp,
        Kind::Cropped,
        Kind::Two,
        Kind::Typed,
        Kind::Photo,
        Kind::Tiny,
        Kind::Blurred,
        Kind::Shadow,
        Kind::Rotated,
        Kind::WrongInk,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Usable => "usable",
            Kind::Blank => "blank",
            Kind::Faint => "faint",
            Kind::Lined => "lined_paper",
            Kind::Grid => "grid_paper",
            Kind::Texture => "textured_paper",
            Kind::Stamp => "stamp",
            Kind::Cropped => "cropped",
            Kind::Two => "two_signatures",
            Kind::Typed => "typed_text",
            Kind::Photo => "photo",
            Kind::Tiny => "tiny",
            Kind::Blurred => "blurred",
            Kind::Shadow => "shadow",
            Kind::Rotated => "rotated",
            Kind::WrongInk => "red_or_green_ink",
        }
    }

    /// The code that must fail on this defect (none for a usable sample).
    pub fn expected(self) -> Option<SignatureCode> {
        use SignatureCode::*;
        Some(match self {
            Kind::Usable => return None,
            Kind::Blank => SignatureMissing,
            Kind::Faint => LowContrast,
            Kind::Lined | Kind::Grid | Kind::Texture | Kind::Stamp => BackgroundNotPlain,
            Kind::Cropped => SignatureCropped,
            Kind::Two => MultipleSignatures,
            Kind::Typed => NotHandwritten,
            Kind::Photo => NotASignature,
            Kind::Tiny => SignatureTooSmall,
            Kind::Blurred => Blur,
            Kind::Shadow => UnevenLighting,
            Kind::Rotated => Rotated,
            Kind::WrongInk => InkColour,
        })
    }
}

/// One generated sample: the JPEG bytes (what a client uploads) and what it is.
pub struct Generated {
    pub kind: Kind,
    pub jpeg: Vec<u8>,
}

const BLACK_INKS: [[u8; 3]; 2] = [[28, 28, 34], [40, 38, 50]];
const BLUE_INKS: [[u8; 3]; 3] = [[35, 45, 130], [45, 60, 160], [70, 45, 140]];

/// Generates sample `index` of `kind` from `seed` (the same inputs give the same bytes).
pub fn generate(kind: Kind, seed: u64, index: u64) -> Generated {
    let mut rng =
        Rng::new(seed.wrapping_mul(1_000_003).wrapping_add(index).wrapping_add((kind as u64) << 40));
    let (w, h) = (rng.range(800.0, 1300.0) as u32, rng.range(380.0, 640.0) as u32);
    let tint = [rng.range(238.0, 252.0), rng.range(234.0, 250.0), rng.range(222.0, 246.0)];
    let mut img = RgbImage::from_pixel(w, h, Rgb(tint.map(|v| v as u8)));
    let blue = rng.chance(0.5);
    let ink = if blue { BLUE_INKS[rng.below(3)] } else { BLACK_INKS[rng.below(2)] };
    let pen_px = rng.range(1.1, 3.2);
    let path = pen::signature(&mut rng);
    let aspect = pen::aspect(&path);
    // Height of the signature so it spans 45-80% of the width and at most 70% of the height.
    let mut height = (w as f32 * rng.range(0.45, 0.8) / aspect).min(h as f32 * 0.7);
    let mut turn = rng.range(-6.0, 6.0);
    let (mut cx, cy) = (
        w as f32 / 2.0 + rng.range(-0.05, 0.05) * w as f32,
        h as f32 / 2.0 + rng.range(-0.05, 0.05) * h as f32,
    );
    match kind {
        Kind::Lined => lines(&mut img, &mut rng, false),
        Kind::Grid => lines(&mut img, &mut rng, true),
        Kind::Texture => texture(&mut img, &mut rng),
        _ => {}
    }
    let mut ink_colour = ink;
    match kind {
        Kind::Faint => {
            let gap = rng.range(28.0, 50.0);
            ink_colour = tint.map(|v| (v - gap) as u8);
        }
        Kind::WrongInk => {
            ink_colour = if rng.chance(0.5) { [185, 40, 50] } else { [40, 125, 60] };
        }
        Kind::Tiny => height = rng.range(14.0, 30.0),
        Kind::Rotated => turn = rng.range(25.0, 90.0) * if rng.chance(0.5) { 1.0 } else { -1.0 },
        Kind::Cropped => {
            let width = height * aspect;
            let cut = rng.range(0.12, 0.3) * width;
            cx = if rng.chance(0.5) { width / 2.0 - cut } else { w as f32 - width / 2.0 + cut };
        }
        _ => {}
    }
    let pen_r = pen_px;
    match kind {
        Kind::Blank | Kind::Photo => {}
        Kind::Typed => {
            const WORDS: [&str; 6] = ["IVANOV", "SMIRNOVA", "AKHMETOV", "SERIK", "PETROVA", "NURLAN"];
            let text = WORDS[rng.below(WORDS.len())];
            let cap = (w as f32 * rng.range(0.5, 0.8) / (text.len() as f32)).min(h as f32 * 0.4);
            let weight = rng.range(0.06, 0.12);
            let placed = pen::place(&pen::typed(text, weight), cap, cap, rng.range(-4.0, 4.0), cx, cy);
            draw(&mut img, &placed, ink);
        }
        Kind::Two => {
            let small = height * 0.55;
            let other = pen::signature(&mut rng);
            let side = rng.chance(0.5);
            let (dx, dy) = if side { (w as f32 * 0.25, 0.0) } else { (0.0, h as f32 * 0.25) };
            let scale2 = if side {
                small.min(w as f32 * 0.36 / pen::aspect(&path))
            } else {
                small.min(h as f32 * 0.3)
            };
            // Both stay whole inside the frame (a margin of 3% of the short side): a second
            // signature cut by the edge would be two defects, and this kind is one.
            let margin = 0.03 * w.min(h) as f32;
            let inside = |p: &[Vec<(f32, f32, f32)>]| {
                p.iter().flatten().all(|&(x, y, r)| {
                    x - r >= margin
                        && y - r >= margin
                        && x + r <= w as f32 - margin
                        && y + r <= h as f32 - margin
                })
            };
            let mut scale2 = scale2;
            let (a, b) = loop {
                let a = pen::place(&path, scale2, pen_r, turn, cx - dx, cy - dy);
                let b = pen::place(&other, scale2, pen_r, turn, cx + dx, cy + dy);
                if (inside(&a) && inside(&b)) || scale2 < 20.0 {
                    break (a, b);
                }
                scale2 *= 0.9;
            };
            draw(&mut img, &a, ink);
            draw(&mut img, &b, ink);
        }
        _ => {
            let placed = pen::place(&path, height, pen_r, turn, cx, cy);
            draw(&mut img, &placed, ink_colour);
        }
    }
    match kind {
        Kind::Stamp => stamp(&mut img, &mut rng, blue),
        Kind::Photo => photo(&mut img, &mut rng),
        _ => {}
    }
    grain(&mut img, &mut rng, rng_range_grain(kind));
    let shadow = if kind == Kind::Shadow { rng.range(0.4, 0.6) } else { rng.range(0.0, 0.12) };
    light(&mut img, &mut rng, shadow, kind == Kind::Shadow);
    let sigma = if kind == Kind::Blurred { rng.range(2.2, 4.0) } else { rng.range(0.0, 0.8) };
    if sigma > 0.3 {
        img = blur(&img, sigma);
    }
    let quality = rng.range(60.0, 95.0) as u8;
    Generated { kind, jpeg: jpeg(&img, quality) }
}

fn rng_range_grain(kind: Kind) -> f32 {
    if kind == Kind::Texture { 0.0 } else { 3.0 }
}

fn draw(img: &mut RgbImage, path: &[Vec<(f32, f32, f32)>], ink: [u8; 3]) {
    for stroke in path {
        draw_polyline(img, stroke, ink);
    }
}

/// Ruled (or squared) paper: light blue-grey lines 28-70 px apart, slightly tilted.
fn lines(img: &mut RgbImage, rng: &mut Rng, grid: bool) {
    let (w, h) = (img.width() as f32, img.height() as f32);
    let gap = if grid { rng.range(28.0, 45.0) } else { rng.range(45.0, 75.0) };
    let tilt = rng.range(-2.0, 2.0).to_radians().tan();
    let colour =
        [rng.range(150.0, 190.0) as u8, rng.range(170.0, 200.0) as u8, rng.range(210.0, 235.0) as u8];
    let r = rng.range(0.6, 1.1);
    let mut y = rng.range(5.0, gap);
    while y < h + w * 0.05 {
        draw_polyline(img, &[(0.0, y, r), (w, y + w * tilt, r)], colour);
        y += gap;
    }
    if grid {
        let mut x = rng.range(5.0, gap);
        while x < w + h * 0.05 {
            draw_polyline(img, &[(x, 0.0, r), (x - h * tilt, h, r)], colour);
            x += gap;
        }
    }
}

/// A strong paper texture: fibres and mottling (blurred noise of 20-40 levels).
fn texture(img: &mut RgbImage, rng: &mut Rng) {
    let (w, h) = (img.width(), img.height());
    let amp = rng.range(25.0, 45.0);
    let cell = rng.range(3.0, 8.0) as u32;
    let (cw, ch) = (w / cell + 2, h / cell + 2);
    let noise: Vec<f32> = (0..cw * ch).map(|_| rng.normal()).collect();
    for y in 0..h {
        for x in 0..w {
            let n = noise[((y / cell) * cw + x / cell) as usize];
            let p = img.get_pixel_mut(x, y);
            for c in p.0.iter_mut() {
                *c = (f32::from(*c) + n * amp * 0.5 - amp * 0.3).clamp(0.0, 255.0) as u8;
            }
        }
    }
}

/// A round stamp over the signature, in a colour other than the ink's.
fn stamp(img: &mut RgbImage, rng: &mut Rng, ink_is_blue: bool) {
    let (w, h) = (img.width() as f32, img.height() as f32);
    let colour = if ink_is_blue { [200, 60, 70] } else { [80, 70, 175] };
    let r = h * rng.range(0.3, 0.42);
    let (cx, cy) = (w * rng.range(0.35, 0.65), h * rng.range(0.4, 0.6));
    for (rad, pen) in [(r, 2.2), (r * 0.78, 1.4)] {
        let ring: Vec<_> = (0..=180)
            .map(|i| {
                let a = i as f32 / 180.0 * std::f32::consts::TAU;
                (cx + rad * a.cos(), cy + rad * a.sin(), pen)
            })
            .collect();
        draw_polyline(img, &ring, colour);
    }
    // Lettering between the rings and a line of text across the middle.
    for i in 0..28 {
        let a = i as f32 / 28.0 * std::f32::consts::TAU;
        let (r0, r1) = (r * 0.82, r * 0.95);
        draw_polyline(
            img,
            &[
                (cx + r0 * a.cos(), cy + r0 * a.sin(), 1.3),
                (cx + r1 * (a + 0.05).cos(), cy + r1 * (a + 0.05).sin(), 1.3),
            ],
            colour,
        );
    }
    let placed = pen::place(&pen::typed("KAZAKHSTAN", 0.08), r * 0.14, r * 0.14, 0.0, cx, cy);
    draw(img, &placed, colour);
}

/// A photo instead of a signature: a face-like portrait of filled shapes and gradients.
fn photo(img: &mut RgbImage, rng: &mut Rng) {
    let (w, h) = (img.width() as f32, img.height() as f32);
    let bg = [rng.range(60.0, 200.0), rng.range(60.0, 200.0), rng.range(60.0, 200.0)];
    let skin = [rng.range(170.0, 230.0), rng.range(120.0, 180.0), rng.range(100.0, 150.0)];
    let hair = rng.range(20.0, 70.0);
    let (fx, fy, fr) = (w * rng.range(0.35, 0.65), h * 0.5, h * rng.range(0.25, 0.4));
    for y in 0..img.height() {
        for x in 0..img.width() {
            let (xf, yf) = (x as f32, y as f32);
            let shade = 0.7 + 0.3 * (xf / w);
            let mut c = bg.map(|v| v * shade);
            let (dx, dy) = ((xf - fx) / (fr * 0.8), (yf - fy) / fr);
            let d = dx * dx + dy * dy;
            if d < 1.0 {
                c = skin.map(|v| v * (1.0 - 0.3 * d));
                if dy < -0.55 {
                    c = [hair; 3];
                }
                let eye = |ex: f32| {
                    ((xf - (fx + ex * fr * 0.35)).powi(2) + (yf - (fy - fr * 0.15)).powi(2)).sqrt()
                        < fr * 0.07
                };
                if eye(-1.0) || eye(1.0) {
                    c = [30.0, 25.0, 25.0];
                }
            } else if yf > fy + fr * 0.8 {
                c = [hair + 40.0, hair + 40.0, hair + 80.0];
            }
            img.put_pixel(x, y, Rgb(c.map(|v| v.clamp(0.0, 255.0) as u8)));
        }
    }
}

/// Paper grain: per-pixel noise of `sigma` levels (plus the sensor's own).
fn grain(img: &mut RgbImage, rng: &mut Rng, sigma: f32) {
    let s = sigma + rng.range(0.5, 2.0);
    for p in img.pixels_mut() {
        let n = rng.normal() * s;
        for c in p.0.iter_mut() {
            *c = (f32::from(*c) + n).clamp(0.0, 255.0) as u8;
        }
    }
}

/// Light falling off across the sheet by `depth` (0 none); `hard`: a shadow with a soft edge
/// across part of the sheet rather than a gradient.
fn light(img: &mut RgbImage, rng: &mut Rng, depth: f32, hard: bool) {
    if depth <= 0.0 {
        return;
    }
    let (w, h) = (img.width() as f32, img.height() as f32);
    let a = rng.range(0.0, std::f32::consts::TAU);
    let (dx, dy) = (a.cos(), a.sin());
    let edge = rng.range(-0.2, 0.2);
    let soft = rng.range(0.05, 0.15);
    for y in 0..img.height() {
        for x in 0..img.width() {
            let t = ((x as f32 / w - 0.5) * dx + (y as f32 / h - 0.5) * dy) / 0.71;
            let f = if hard { ((t - edge) / soft).clamp(0.0, 1.0) } else { (t + 1.0) / 2.0 };
            let gain = 1.0 - depth * f;
            let p = img.get_pixel_mut(x, y);
            for c in p.0.iter_mut() {
                *c = (f32::from(*c) * gain) as u8;
            }
        }
    }
}

/// A Gaussian-like blur of `sigma` pixels (three box passes each way).
pub fn blur(img: &RgbImage, sigma: f32) -> RgbImage {
    let r = ((sigma * sigma * 4.0 / 3.0 + 0.25).sqrt() - 0.5).round().max(1.0) as i64;
    let (w, h) = (img.width() as i64, img.height() as i64);
    let mut buf: Vec<[f32; 3]> =
        img.pixels().map(|p| [f32::from(p[0]), f32::from(p[1]), f32::from(p[2])]).collect();
    let mut tmp = buf.clone();
    for _ in 0..3 {
        for (horizontal, len, lines) in [(true, w, h), (false, h, w)] {
            for line in 0..lines {
                let at = |i: i64| -> usize {
                    let i = i.clamp(0, len - 1);
                    if horizontal { (line * w + i) as usize } else { (i * w + line) as usize }
                };
                let mut acc = [0f32; 3];
                for i in -r..=r {
                    let v = buf[at(i)];
                    (0..3).for_each(|k| acc[k] += v[k]);
                }
                for i in 0..len {
                    let n = (2 * r + 1) as f32;
                    tmp[at(i)] = acc.map(|v| v / n);
                    let (add, sub) = (buf[at(i + r + 1)], buf[at(i - r)]);
                    (0..3).for_each(|k| acc[k] += add[k] - sub[k]);
                }
            }
            std::mem::swap(&mut buf, &mut tmp);
        }
    }
    RgbImage::from_fn(img.width(), img.height(), |x, y| {
        let v = buf[(y as i64 * w + x as i64) as usize];
        Rgb(v.map(|c| c.round().clamp(0.0, 255.0) as u8))
    })
}

pub fn jpeg(img: &RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(img)
        .expect("encoding to memory");
    out
}
