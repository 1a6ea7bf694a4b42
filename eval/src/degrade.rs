//! Known defects applied to clean portraits, each with the code validation must raise for it and a
//! severity. Recall per kind and severity on these says what the checks catch on any face, where
//! labelled photos only say what they catch on the faces someone collected.
//!
//! Severities are fixed before any measurement, in units of the face (the inter-eye distance) or
//! of photography (stops, JPEG quality): `Mild` is at the edge of what an officer would refuse,
//! `Clear` is plainly defective, `Severe` is gross. The target is recall at `Clear`.

use image::{Rgb, RgbImage, imageops};
use sapa_engine::validate::Code;

/// Where the face is in the clean source, from its analysis.
#[derive(Debug, Clone, Copy)]
pub struct Anchor {
    /// Face box `[x, y, w, h]` in pixels.
    pub face: [f32; 4],
    /// Right and left eye centres (image coordinates).
    pub eyes: [(f32, f32); 2],
}

impl Anchor {
    pub fn inter_eye(&self) -> f32 {
        let [(ax, ay), (bx, by)] = self.eyes;
        ((bx - ax).powi(2) + (by - ay).powi(2)).sqrt().max(1.0)
    }

    fn eye_mid(&self) -> (f32, f32) {
        let [(ax, ay), (bx, by)] = self.eyes;
        ((ax + bx) / 2.0, (ay + by) / 2.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Mild,
    Clear,
    Severe,
}

impl Severity {
    pub const ALL: [Severity; 3] = [Severity::Mild, Severity::Clear, Severity::Severe];

    pub fn name(self) -> &'static str {
        match self {
            Severity::Mild => "mild",
            Severity::Clear => "clear",
            Severity::Severe => "severe",
        }
    }

    /// Picks this severity's value from (mild, clear, severe).
    fn pick(self, v: (f32, f32, f32)) -> f32 {
        match self {
            Severity::Mild => v.0,
            Severity::Clear => v.1,
            Severity::Severe => v.2,
        }
    }
}

/// A kind of defect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Blur,
    Underexposed,
    Overexposed,
    GammaDark,
    GammaBright,
    LowContrast,
    CastWarm,
    CastCool,
    Recompressed,
    Rotated,
    CroppedHead,
    Downscaled,
    SideShadow,
    SecondFace,
    BusyBackground,
}

impl Kind {
    pub const ALL: [Kind; 15] = [
        Kind::Blur,
        Kind::Underexposed,
        Kind::Overexposed,
        Kind::GammaDark,
        Kind::GammaBright,
        Kind::LowContrast,
        Kind::CastWarm,
        Kind::CastCool,
        Kind::Recompressed,
        Kind::Rotated,
        Kind::CroppedHead,
        Kind::Downscaled,
        Kind::SideShadow,
        Kind::SecondFace,
        Kind::BusyBackground,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Blur => "blur",
            Kind::Underexposed => "underexposed",
            Kind::Overexposed => "overexposed",
            Kind::GammaDark => "gamma_dark",
            Kind::GammaBright => "gamma_bright",
            Kind::LowContrast => "low_contrast",
            Kind::CastWarm => "cast_warm",
            Kind::CastCool => "cast_cool",
            Kind::Recompressed => "recompressed",
            Kind::Rotated => "rotated",
            Kind::CroppedHead => "cropped_head",
            Kind::Downscaled => "downscaled",
            Kind::SideShadow => "side_shadow",
            Kind::SecondFace => "second_face",
            Kind::BusyBackground => "busy_background",
        }
    }

    /// The code validation must fail for this defect.
    pub fn expected(self) -> Code {
        match self {
            Kind::Blur => Code::Blur,
            Kind::Underexposed | Kind::GammaDark => Code::Underexposed,
            Kind::Overexposed | Kind::GammaBright => Code::Overexposed,
            Kind::LowContrast => Code::LowDynamicRange,
            Kind::CastWarm | Kind::CastCool => Code::ColourCast,
            Kind::Recompressed => Code::CompressionArtifacts,
            Kind::Rotated => Code::Tilted,
            Kind::CroppedHead => Code::HeadCropped,
            Kind::Downscaled => Code::LowRes,
            Kind::SideShadow => Code::UnevenLighting,
            Kind::SecondFace => Code::MultipleFaces,
            Kind::BusyBackground => Code::BusyBackground,
        }
    }

    /// What the parameter is, for reports.
    pub fn parameter(self, s: Severity) -> String {
        match self {
            Kind::Blur => format!("gaussian sigma {:.3} x inter-eye", blur_sigma(s)),
            Kind::Underexposed => format!("light x{:.2}", exposure(self, s)),
            Kind::Overexposed => format!("light x{:.2} past the face's highlights", exposure(self, s)),
            Kind::GammaDark | Kind::GammaBright => format!("gamma {:.2}", gamma(self, s)),
            Kind::LowContrast => format!("contrast x{:.2}", s.pick((0.4, 0.2, 0.1))),
            Kind::CastWarm | Kind::CastCool => format!("cast {:.2}", cast(s)),
            Kind::Recompressed => format!("JPEG q{} then q95", jpeg_quality(s)),
            Kind::Rotated => format!("{:.0} deg", rotation_deg(s)),
            Kind::CroppedHead => format!("top cut {:.2} x face height below the face box top", cut(s)),
            Kind::Downscaled => format!("inter-eye {:.0} px", downscaled_ied(s)),
            Kind::SideShadow => format!("half face x{:.2}", shadow(s)),
            Kind::SecondFace => format!("copy at {:.2} x the face", second_scale(s)),
            Kind::BusyBackground => format!("pattern amplitude {:.0}", busy_amplitude(s)),
        }
    }
}

fn blur_sigma(s: Severity) -> f32 {
    s.pick((0.012, 0.025, 0.05))
}
fn exposure(k: Kind, s: Severity) -> f32 {
    // Stops: -1.5, -2.5, -3.3 under; +0.8, +1.25, +1.7 over.
    if k == Kind::Underexposed { s.pick((0.35, 0.18, 0.10)) } else { s.pick((1.7, 2.4, 3.2)) }
}
fn gamma(k: Kind, s: Severity) -> f32 {
    if k == Kind::GammaDark { s.pick((1.8, 2.6, 3.5)) } else { s.pick((0.5, 0.33, 0.22)) }
}
fn cast(s: Severity) -> f32 {
    s.pick((0.15, 0.3, 0.45))
}
fn jpeg_quality(s: Severity) -> u8 {
    s.pick((10.0, 5.0, 2.0)) as u8
}
fn rotation_deg(s: Severity) -> f32 {
    s.pick((12.0, 18.0, 30.0))
}
fn cut(s: Severity) -> f32 {
    s.pick((-0.05, 0.15, 0.35))
}
fn downscaled_ied(s: Severity) -> f32 {
    s.pick((70.0, 50.0, 30.0))
}
fn shadow(s: Severity) -> f32 {
    s.pick((0.65, 0.45, 0.3))
}
fn second_scale(s: Severity) -> f32 {
    s.pick((0.45, 0.6, 0.8))
}
fn busy_amplitude(s: Severity) -> f32 {
    s.pick((25.0, 50.0, 90.0))
}

/// A generated photo: the encoded file a client would send.
pub struct Generated {
    pub bytes: Vec<u8>,
    /// `png` or `jpg`.
    pub extension: &'static str,
}

pub fn png(img: &RgbImage) -> Generated {
    let mut bytes = Vec::new();
    image::DynamicImage::ImageRgb8(img.clone())
        .write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png)
        .expect("PNG encoding into memory cannot fail");
    Generated { bytes, extension: "png" }
}

fn jpeg(img: &RgbImage, quality: u8) -> Vec<u8> {
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, quality)
        .encode_image(img)
        .expect("JPEG encoding into memory cannot fail");
    bytes
}

fn map_pixels(img: &RgbImage, f: impl Fn([f32; 3]) -> [f32; 3]) -> RgbImage {
    let mut out = img.clone();
    for p in out.pixels_mut() {
        let v = f(p.0.map(|c| c as f32));
        p.0 = v.map(|c| c.round().clamp(0.0, 255.0) as u8);
    }
    out
}

/// Applies `kind` at `severity` to a clean portrait.
pub fn apply(img: &RgbImage, a: &Anchor, kind: Kind, s: Severity) -> Generated {
    let ied = a.inter_eye();
    match kind {
        Kind::Blur => png(&imageops::blur(img, blur_sigma(s) * ied)),
        Kind::Underexposed | Kind::Overexposed => {
            // Over-exposure counts from the face's own highlights: a fixed gain only brightens a
            // face shot with headroom (a dim studio, a dark-skinned face) into a well-exposed
            // one, with no face pixel clipped.
            let reference = if kind == Kind::Overexposed { face_highlight(img, a) } else { 1.0 };
            let k = exposure(kind, s) / reference;
            // Light scales linearly; the file stores sRGB.
            png(&map_pixels(img, |c| c.map(|v| to_srgb(to_linear(v) * k))))
        }
        Kind::GammaDark | Kind::GammaBright => {
            let g = gamma(kind, s);
            png(&map_pixels(img, |c| c.map(|v| 255.0 * (v / 255.0).powf(g))))
        }
        Kind::LowContrast => {
            let k = s.pick((0.4, 0.2, 0.1));
            png(&map_pixels(img, |c| c.map(|v| 128.0 + (v - 128.0) * k)))
        }
        Kind::CastWarm => {
            let t = cast(s);
            png(&map_pixels(img, |[r, g, b]| [r, g * (1.0 - t / 3.0), b * (1.0 - t)]))
        }
        Kind::CastCool => {
            let t = cast(s);
            png(&map_pixels(img, |[r, g, b]| [r * (1.0 - t), g * (1.0 - t / 3.0), b]))
        }
        Kind::Recompressed => {
            let low =
                image::load_from_memory(&jpeg(img, jpeg_quality(s))).expect("own JPEG decodes").to_rgb8();
            Generated { bytes: jpeg(&low, 95), extension: "jpg" }
        }
        Kind::Rotated => png(&rotate(img, a.eye_mid(), rotation_deg(s))),
        Kind::CroppedHead => {
            let [_, fy, _, fh] = a.face;
            let top = (fy + cut(s) * fh).clamp(0.0, img.height() as f32 - 2.0) as u32;
            png(&imageops::crop_imm(img, 0, top, img.width(), img.height() - top).to_image())
        }
        Kind::Downscaled => {
            let k = (downscaled_ied(s) / ied).min(1.0);
            let (w, h) = (
                ((img.width() as f32 * k).round() as u32).max(1),
                ((img.height() as f32 * k).round() as u32).max(1),
            );
            png(&imageops::resize(img, w, h, imageops::FilterType::Triangle))
        }
        Kind::SideShadow => png(&side_shadow(img, a, shadow(s))),
        Kind::SecondFace => png(&second_face(img, a, second_scale(s))),
        Kind::BusyBackground => png(&busy_background(img, a, busy_amplitude(s))),
    }
}

/// The linear luminance of the face's highlights: the 99th percentile over the middle of the face
/// box (its central 60% across, 15-90% down), which holds skin rather than hair or background.
/// Light raised by 1 / this value puts those highlights at full scale.
fn face_highlight(img: &RgbImage, a: &Anchor) -> f32 {
    let [fx, fy, fw, fh] = a.face;
    let (w, h) = (img.width() as f32, img.height() as f32);
    let (x0, x1) = ((fx + 0.2 * fw).clamp(0.0, w) as u32, (fx + 0.8 * fw).clamp(0.0, w) as u32);
    let (y0, y1) = ((fy + 0.15 * fh).clamp(0.0, h) as u32, (fy + 0.9 * fh).clamp(0.0, h) as u32);
    let mut luma: Vec<f32> = (y0..y1)
        .flat_map(|y| (x0..x1).map(move |x| (x, y)))
        .map(|(x, y)| {
            let [r, g, b] = img.get_pixel(x, y).0.map(|c| to_linear(c as f32));
            0.2126 * r + 0.7152 * g + 0.0722 * b
        })
        .collect();
    if luma.is_empty() {
        return 1.0;
    }
    let k = ((luma.len() - 1) as f32 * 0.99).round() as usize;
    luma.select_nth_unstable_by(k, |a, b| a.total_cmp(b)).1.max(1e-3)
}

fn to_linear(v: f32) -> f32 {
    let c = v / 255.0;
    if c <= 0.04045 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
}

fn to_srgb(l: f32) -> f32 {
    let l = l.clamp(0.0, 1.0);
    255.0 * if l <= 0.003_130_8 { l * 12.92 } else { 1.055 * l.powf(1.0 / 2.4) - 0.055 }
}

/// Bilinear sample with the edge pixels extended.
fn sample(img: &RgbImage, x: f32, y: f32) -> [f32; 3] {
    let (w, h) = (img.width() as i64, img.height() as i64);
    let (x0, y0) = (x.floor(), y.floor());
    let (fx, fy) = (x - x0, y - y0);
    let px = |xi: i64, yi: i64| {
        img.get_pixel(xi.clamp(0, w - 1) as u32, yi.clamp(0, h - 1) as u32).0.map(|c| c as f32)
    };
    let (x0, y0) = (x0 as i64, y0 as i64);
    let (a, b, c, d) = (px(x0, y0), px(x0 + 1, y0), px(x0, y0 + 1), px(x0 + 1, y0 + 1));
    std::array::from_fn(|i| {
        (a[i] * (1.0 - fx) + b[i] * fx) * (1.0 - fy) + (c[i] * (1.0 - fx) + d[i] * fx) * fy
    })
}

/// The picture turned by `deg` (counter-clockwise on screen) about `centre`, the frame kept, its
/// corners filled by extending the edges (as a phone's auto-fill does), so no wedge gives it away.
fn rotate(img: &RgbImage, centre: (f32, f32), deg: f32) -> RgbImage {
    let (s, c) = deg.to_radians().sin_cos();
    let (cx, cy) = centre;
    RgbImage::from_fn(img.width(), img.height(), |x, y| {
        let (dx, dy) = (x as f32 - cx, y as f32 - cy);
        // Inverse of a counter-clockwise turn on screen (y down).
        let (sx, sy) = (cx + c * dx - s * dy, cy + s * dx + c * dy);
        Rgb(sample(img, sx, sy).map(|v| v.round() as u8))
    })
}

/// One side of the face darkened by `factor`, with a soft edge along the nose line, inside an
/// ellipse around the head: light from one side.
fn side_shadow(img: &RgbImage, a: &Anchor, factor: f32) -> RgbImage {
    let [fx, fy, fw, fh] = a.face;
    let (cx, cy) = (fx + fw / 2.0, fy + fh / 2.0);
    let (rx, ry) = (fw * 0.9, fh * 1.0);
    let soft = 0.15 * a.inter_eye();
    let mut out = img.clone();
    for (x, y, p) in out.enumerate_pixels_mut() {
        let (dx, dy) = ((x as f32 - cx) / rx, (y as f32 - cy) / ry);
        let inside = (1.0 - (dx * dx + dy * dy).sqrt()).clamp(0.0, 0.2) / 0.2;
        let side = ((x as f32 - cx) / soft).clamp(0.0, 1.0);
        let k = 1.0 - (1.0 - factor) * inside * side;
        p.0 = p.0.map(|v| (v as f32 * k).round() as u8);
    }
    out
}

/// A copy of the face, scaled by `scale`, pasted beside the head on the side with more room, as a
/// second person in the background.
fn second_face(img: &RgbImage, a: &Anchor, scale: f32) -> RgbImage {
    let [fx, fy, fw, fh] = a.face;
    let grow = 0.25;
    let (sx, sy) = ((fx - grow * fw).max(0.0), (fy - grow * fh).max(0.0));
    let sw = (fw * (1.0 + 2.0 * grow)).min(img.width() as f32 - sx);
    let sh = (fh * (1.0 + 2.0 * grow)).min(img.height() as f32 - sy);
    let face = imageops::crop_imm(img, sx as u32, sy as u32, sw as u32, sh as u32).to_image();
    let (w, h) = (((sw * scale) as u32).max(8), ((sh * scale) as u32).max(8));
    let small = imageops::resize(&face, w, h, imageops::FilterType::Triangle);
    let room_left = sx;
    let room_right = img.width() as f32 - (sx + sw);
    let right = room_right > room_left;
    // The copy stands beside the head, never over it: where the frame has no room for it, the
    // frame is widened on that side by repeating its edge column, as a wider shot would show.
    let extra = (w as f32 - room_left.max(room_right)).max(0.0).ceil() as u32;
    let mut out = widen(img, extra, right);
    let x = if right { out.width() as i64 - w as i64 } else { 0 };
    let y = (fy as i64 - h as i64 / 4).max(0);
    imageops::overlay(&mut out, &small, x, y);
    out
}

/// `img` with `extra` columns added on the right (or left), each a copy of the edge column.
fn widen(img: &RgbImage, extra: u32, right: bool) -> RgbImage {
    let (w, h) = img.dimensions();
    RgbImage::from_fn(w + extra, h, |x, y| {
        let src = if right { x.min(w - 1) } else { x.saturating_sub(extra) };
        *img.get_pixel(src, y)
    })
}

/// The plain background replaced by a pattern of coloured blocks of `amplitude` around its own
/// colour: a room, a poster, a patterned wall. The background is what the border's colour floods
/// to without crossing the head.
fn busy_background(img: &RgbImage, a: &Anchor, amplitude: f32) -> RgbImage {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let raw = img.as_raw();
    let at = |i: usize| [raw[3 * i] as f32, raw[3 * i + 1] as f32, raw[3 * i + 2] as f32];
    let mut background = vec![false; w * h];
    let mut stack: Vec<usize> = (0..w).chain((0..w).map(|x| (h - 1) * w + x)).collect();
    stack.extend((0..h).flat_map(|y| [y * w, y * w + w - 1]));
    // Seeds: border pixels; a pixel joins when it is close to its already-joined neighbour.
    let close = |p: [f32; 3], q: [f32; 3]| p.iter().zip(&q).map(|(x, y)| (x - y).abs()).sum::<f32>() < 24.0;
    for &i in &stack {
        background[i] = true;
    }
    let [fx, fy, fw, fh] = a.face;
    let in_face = |i: usize| {
        let (x, y) = ((i % w) as f32, (i / w) as f32);
        x > fx && x < fx + fw && y > fy && y < fy + fh
    };
    sapa_engine::image::flood::flood(w, h, stack, |i, j| {
        let joins = !background[j] && !in_face(j) && close(at(i), at(j));
        background[j] |= joins;
        joins
    });
    let block = (0.3 * a.inter_eye()).max(4.0) as usize;
    let mut out = img.clone();
    let buf: &mut [u8] = &mut out;
    for (i, _) in background.iter().enumerate().filter(|(_, b)| **b) {
        let (bx, by) = ((i % w) / block, (i / w) / block);
        let mut seed =
            (bx as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (by as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
        for c in 0..3 {
            seed ^= seed >> 29;
            seed = seed.wrapping_mul(0xBF58_476D_1CE4_E5B9);
            let offset = ((seed >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * amplitude;
            buf[3 * i + c] = (buf[3 * i + c] as f32 + offset).round().clamp(0.0, 255.0) as u8;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn portrait() -> (RgbImage, Anchor) {
        // A light background with a darker oval "head".
        let img = RgbImage::from_fn(300, 400, |x, y| {
            let (dx, dy) = ((x as f32 - 150.0) / 70.0, (y as f32 - 190.0) / 95.0);
            if dx * dx + dy * dy < 1.0 { Rgb([180, 140, 120]) } else { Rgb([230, 230, 228]) }
        });
        // Eyes 90 px apart: every downscale severity shrinks it.
        (img, Anchor { face: [90.0, 110.0, 120.0, 150.0], eyes: [(105.0, 170.0), (195.0, 170.0)] })
    }

    #[test]
    fn every_kind_changes_the_photo_and_stronger_changes_it_more() {
        let (img, a) = portrait();
        let clean = png(&img).bytes;
        for kind in Kind::ALL {
            let mut diffs = Vec::new();
            for s in Severity::ALL {
                let g = apply(&img, &a, kind, s);
                assert!(g.bytes != clean, "{kind:?} {s:?} left the photo as it was");
                let out = image::load_from_memory(&g.bytes).unwrap().to_rgb8();
                if out.dimensions() == img.dimensions() {
                    let d: f64 = out
                        .as_raw()
                        .iter()
                        .zip(img.as_raw())
                        .map(|(a, b)| (*a as f64 - *b as f64).abs())
                        .sum();
                    diffs.push(d);
                }
            }
            if diffs.len() == 3 && !matches!(kind, Kind::Recompressed | Kind::Blur) {
                assert!(diffs[0] <= diffs[1] && diffs[1] <= diffs[2], "{kind:?}: {diffs:?}");
            }
        }
    }

    #[test]
    fn busy_background_leaves_the_head_alone() {
        let (img, a) = portrait();
        let out = busy_background(&img, &a, 80.0);
        assert_eq!(out.get_pixel(150, 190), img.get_pixel(150, 190));
        let changed = (0..300).filter(|&x| out.get_pixel(x, 5) != img.get_pixel(x, 5)).count();
        assert!(changed > 200, "{changed}");
    }

    #[test]
    fn over_exposure_counts_from_the_face_whatever_the_headroom() {
        // The same face shot two stops dimmer: a fixed gain would leave it unclipped, while
        // light counted from the face's highlights clips it just the same.
        let (img, a) = portrait();
        let dim = map_pixels(&img, |c| c.map(|v| to_srgb(to_linear(v) * 0.25)));
        for source in [&img, &dim] {
            let g = apply(source, &a, Kind::Overexposed, Severity::Clear);
            let out = image::load_from_memory(&g.bytes).unwrap().to_rgb8();
            assert_eq!(out.get_pixel(150, 190).0, [255, 255, 255], "the face's middle clips");
        }
        // The reference is the face, not the light background around it.
        let face = 0.2126 * to_linear(180.0) + 0.7152 * to_linear(140.0) + 0.0722 * to_linear(120.0);
        let h = face_highlight(&dim, &a);
        assert!((h / (0.25 * face) - 1.0).abs() < 0.05, "{h} against {}", 0.25 * face);
    }

    #[test]
    fn a_second_face_never_covers_the_first() {
        // A tight crop: no room beside the head for a copy at 0.8x.
        let (img, _) = portrait();
        let tight = imageops::crop_imm(&img, 70, 0, 160, 400).to_image();
        let a = Anchor { face: [20.0, 110.0, 120.0, 150.0], eyes: [(35.0, 170.0), (125.0, 170.0)] };
        let out = second_face(&tight, &a, 0.8);
        assert!(out.width() > tight.width());
        // The original frame, head included, is intact inside the widened one, at one end.
        let intact = |off: u32| {
            [(80, 190), (40, 250), (120, 150), (10, 120)]
                .iter()
                .all(|&(x, y)| out.get_pixel(x + off, y) == tight.get_pixel(x, y))
        };
        assert!(intact(0) || intact(out.width() - 160));
    }

    #[test]
    fn rotation_turns_a_point_counter_clockwise_on_screen() {
        let mut img = RgbImage::from_pixel(101, 101, Rgb([0, 0, 0]));
        img.put_pixel(80, 50, Rgb([255, 255, 255]));
        let out = rotate(&img, (50.0, 50.0), 90.0);
        // A point right of the centre goes above it.
        assert!(out.get_pixel(50, 20).0[0] > 200, "{:?}", out.get_pixel(50, 20));
    }
}
