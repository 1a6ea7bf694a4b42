//! Presentation attacks simulated from a bona fide photo, labelled as generated wherever they are
//! reported: a paper print photographed again and a screen replay. They imitate what a single
//! camera frame of a real attack shows (print halftone and paper, a screen's gamma, moiré, glare
//! and bezel, the medium's edge inside the frame); they are not a substitute for real attacks.

use crate::signature::rng::Rng;
use image::{Rgb, RgbImage};
use sapa_engine::image::resize::resize;
use std::f32::consts::PI;

/// The attack instruments Sapa's evaluation knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AttackType {
    /// A paper print of the face, held up to the camera.
    Print,
    /// The face shown on a phone or tablet screen.
    Replay,
}

impl AttackType {
    pub const ALL: [AttackType; 2] = [AttackType::Print, AttackType::Replay];

    pub fn name(self) -> &'static str {
        match self {
            AttackType::Print => "print",
            AttackType::Replay => "replay",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == s)
    }

    /// The simulated presentation of `img`, seeded.
    pub fn simulate(self, img: &RgbImage, seed: u64) -> RgbImage {
        let mut rng = Rng::new(seed);
        match self {
            AttackType::Print => print_recapture(img, &mut rng),
            AttackType::Replay => screen_replay(img, &mut rng),
        }
    }
}

/// Long side of the medium's picture: enough for the face, and bounded work per photo.
const MEDIUM_SIDE: u32 = 800;

fn shrink(img: &RgbImage) -> RgbImage {
    let long = img.width().max(img.height());
    if long <= MEDIUM_SIDE {
        return img.clone();
    }
    let s = MEDIUM_SIDE as f32 / long as f32;
    let (w, h) =
        (((img.width() as f32 * s).round() as u32).max(1), ((img.height() as f32 * s).round() as u32).max(1));
    resize(img, w, h).unwrap_or_else(|_| img.clone())
}

/// A print: paper white and ink black instead of the full range (lower contrast, warm paper, less
/// saturation), a rotated halftone dot screen and paper grain; photographed on a desk-coloured
/// background at a slant, so the paper's edge is inside the frame, under uneven light.
fn print_recapture(src: &RgbImage, rng: &mut Rng) -> RgbImage {
    let mut p = shrink(src);
    let white = [rng.range(228.0, 242.0), rng.range(222.0, 236.0), rng.range(205.0, 222.0)];
    let black = [rng.range(35.0, 55.0), rng.range(33.0, 50.0), rng.range(35.0, 52.0)];
    let period = rng.range(3.2, 4.8);
    let angle = rng.range(20.0, 70.0).to_radians();
    let (ca, sa) = (angle.cos(), angle.sin());
    for (x, y, px) in p.enumerate_pixels_mut() {
        let c = px.0.map(|v| v as f32 / 255.0);
        let luma = 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];
        let (u, v) = (x as f32 * ca + y as f32 * sa, -(x as f32) * sa + y as f32 * ca);
        let dots = 0.25 * ((2.0 * PI * u / period).cos() + (2.0 * PI * v / period).cos());
        let grain = rng.normal() * 0.015;
        for k in 0..3 {
            let desat = 0.72 * c[k] + 0.28 * luma;
            let ink = desat.powf(1.1) * (1.0 - 0.22 * dots) + grain;
            px.0[k] = (black[k] + (white[k] - black[k]) * ink.clamp(0.0, 1.0)).clamp(0.0, 255.0) as u8;
        }
    }
    let background = [rng.range(60.0, 150.0), rng.range(55.0, 130.0), rng.range(45.0, 120.0)];
    let fill = rng.range(0.72, 0.84);
    let mut frame = place(&p, rng, background, fill);
    light(&mut frame, rng, 0.35);
    camera(&frame, rng)
}

/// A replay: the photo through a screen's tone curve (brighter midtones, raised black, a blue
/// cast), a colour moiré from the pixel grid beating against the camera's, a specular glare, a
/// black bezel, and the device held in a dim room.
fn screen_replay(src: &RgbImage, rng: &mut Rng) -> RgbImage {
    let mut p = shrink(src);
    let gamma = rng.range(0.72, 0.9);
    let tint = [rng.range(0.92, 0.98), 1.0, rng.range(1.03, 1.1)];
    let period = [rng.range(7.0, 14.0), rng.range(9.0, 20.0)];
    let angle = rng.range(5.0, 40.0).to_radians();
    let amp = rng.range(0.07, 0.12);
    let (gx, gy) = (rng.range(0.2, 0.8) * p.width() as f32, rng.range(0.1, 0.5) * p.height() as f32);
    let sigma = rng.range(0.1, 0.2) * p.width() as f32;
    let glare = rng.range(70.0, 130.0);
    let (ca, sa) = (angle.cos(), angle.sin());
    for (x, y, px) in p.enumerate_pixels_mut() {
        let (xf, yf) = (x as f32, y as f32);
        let (u, v) = (xf * ca + yf * sa, -xf * sa + yf * ca);
        let d2 = (xf - gx).powi(2) + (yf - gy).powi(2);
        let shine = glare * (-d2 / (2.0 * sigma * sigma)).exp();
        for (k, (channel, t)) in px.0.iter_mut().zip(tint).enumerate() {
            let phase = k as f32 * 2.1;
            let moire = amp * (2.0 * PI * u / period[0] + phase).sin() * (2.0 * PI * v / period[1]).sin();
            // The subpixel stripes: each column favours its own channel.
            let stripe = if x as usize % 3 == k { 1.04 } else { 0.98 };
            let c = (*channel as f32 / 255.0).powf(gamma);
            let lit = 18.0 + 232.0 * c * t * stripe * (1.0 + moire) + shine;
            *channel = lit.clamp(0.0, 255.0) as u8;
        }
    }
    let bezel = ((p.width().min(p.height()) as f32) * rng.range(0.04, 0.07)) as u32 + 2;
    let mut device = RgbImage::from_pixel(p.width() + 2 * bezel, p.height() + 2 * bezel, Rgb([14, 14, 16]));
    image::imageops::replace(&mut device, &p, bezel as i64, bezel as i64);
    let background = [rng.range(25.0, 70.0), rng.range(25.0, 65.0), rng.range(25.0, 65.0)];
    let fill = rng.range(0.78, 0.9);
    let mut frame = place(&device, rng, background, fill);
    light(&mut frame, rng, 0.2);
    camera(&frame, rng)
}

/// `medium` turned by a few degrees and scaled to `fill` of a frame of its own size, on a
/// textured `background`: the medium's edge is then inside the picture, as it is when someone
/// holds it up to a kiosk.
fn place(medium: &RgbImage, rng: &mut Rng, background: [f32; 3], fill: f32) -> RgbImage {
    let (w, h) = (medium.width(), medium.height());
    let theta = rng.range(-6.0, 6.0).to_radians();
    let (ct, st) = (theta.cos(), theta.sin());
    let (cx, cy) = (w as f32 / 2.0 + rng.range(-0.04, 0.04) * w as f32, h as f32 / 2.0);
    let mut out = RgbImage::new(w, h);
    for (x, y, px) in out.enumerate_pixels_mut() {
        let (dx, dy) = ((x as f32 - cx) / fill, (y as f32 - cy) / fill);
        let (sx, sy) = (dx * ct + dy * st + w as f32 / 2.0, -dx * st + dy * ct + h as f32 / 2.0);
        px.0 = if sx >= 0.0 && sy >= 0.0 && sx <= (w - 1) as f32 && sy <= (h - 1) as f32 {
            bilinear(medium, sx, sy)
        } else {
            let t = rng.normal() * 4.0 + 10.0 * (y as f32 / h as f32 - 0.5);
            background.map(|b| (b + t).clamp(0.0, 255.0) as u8)
        };
    }
    out
}

fn bilinear(img: &RgbImage, x: f32, y: f32) -> [u8; 3] {
    let (x0, y0) = (x.floor() as u32, y.floor() as u32);
    let (x1, y1) = ((x0 + 1).min(img.width() - 1), (y0 + 1).min(img.height() - 1));
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let (a, b, c, d) =
        (img.get_pixel(x0, y0).0, img.get_pixel(x1, y0).0, img.get_pixel(x0, y1).0, img.get_pixel(x1, y1).0);
    std::array::from_fn(|k| {
        let top = a[k] as f32 * (1.0 - fx) + b[k] as f32 * fx;
        let bottom = c[k] as f32 * (1.0 - fx) + d[k] as f32 * fx;
        (top * (1.0 - fy) + bottom * fy).round() as u8
    })
}

/// Uneven light across the scene: a linear falloff of up to `strength` in a random direction.
fn light(img: &mut RgbImage, rng: &mut Rng, strength: f32) {
    let a = rng.range(0.0, 2.0 * PI);
    let (dx, dy) = (a.cos(), a.sin());
    let (w, h) = (img.width() as f32, img.height() as f32);
    for (x, y, px) in img.enumerate_pixels_mut() {
        let t = ((x as f32 / w - 0.5) * dx + (y as f32 / h - 0.5) * dy) * strength;
        px.0 = px.0.map(|v| (v as f32 * (1.0 - t)).clamp(0.0, 255.0) as u8);
    }
}

/// The kiosk camera: a little optical blur and sensor noise.
fn camera(img: &RgbImage, rng: &mut Rng) -> RgbImage {
    let mut out = image::imageops::blur(img, rng.range(0.5, 1.0));
    for px in out.pixels_mut() {
        let n = rng.normal() * 2.5;
        px.0 = px.0.map(|v| (v as f32 + n).clamp(0.0, 255.0) as u8);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_simulation_is_the_same_for_a_seed_and_changes_the_picture() {
        let img = RgbImage::from_fn(120, 160, |x, y| Rgb([(x * 2) as u8, (y + 40) as u8, 128]));
        for a in AttackType::ALL {
            let one = a.simulate(&img, 7);
            assert_eq!(one, a.simulate(&img, 7), "{a:?}");
            // The frame is the medium's size: the photo's, or the photo's plus the bezel.
            assert!(one.width() >= img.width() && one.height() >= img.height(), "{a:?}");
            // The medium's edge: the frame's corner is background, not the photo.
            assert_ne!(one.get_pixel(0, 0), img.get_pixel(0, 0), "{a:?}");
        }
    }
}
