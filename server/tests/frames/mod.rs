//! Kiosk camera frames made at test time from the committed portrait (fixtures/astronaut.png,
//! public domain).

#![allow(dead_code)]

/// The committed portrait.
pub fn astronaut() -> image::RgbImage {
    image::open(super::serve::root().join("fixtures/astronaut.png")).unwrap().to_rgb8()
}

/// A capture frame: the portrait's head and shoulders smaller and lower in a 640x480 frame, with
/// room above and around, so the kiosk profile (which never pads a crop) proposes one.
pub fn capture_frame() -> image::RgbImage {
    let a = astronaut();
    let part = image::imageops::crop_imm(&a, 56, 0, 400, 400).to_image();
    let mut out = image::RgbImage::from_pixel(640, 480, *a.get_pixel(256, 2));
    image::imageops::replace(&mut out, &part, 120, 80);
    out
}

/// A guidance frame with nothing left to fix, so guidance runs the face parser: the portrait with
/// her smile painted over (the mouth filled with cheek colour, soft-edged, closed lips drawn in),
/// 250 px about her face scaled to 480, `dx` px right of centre and 40 px from the frame's top.
/// The same frame as benches/load's `kiosk-load --frame ready` (at `dx` 0).
pub fn ready_frame(dx: i64) -> image::RgbImage {
    let a = astronaut();
    let mut src = a.clone();
    let skin = *a.get_pixel(200, 150);
    let lip = *a.get_pixel(224, 152);
    let (cx, cy, rx, ry) = (225.0f32, 147.0f32, 31.0f32, 15.0f32);
    for y in 125..170u32 {
        for x in 188..262u32 {
            let d = (((x as f32 - cx) / rx).powi(2) + ((y as f32 - cy) / ry).powi(2)).sqrt();
            let w = ((1.3 - d) / 0.3).clamp(0.0, 1.0);
            let p = src.get_pixel_mut(x, y);
            for k in 0..3 {
                p[k] = (f32::from(p[k]) * (1.0 - w) + f32::from(skin[k]) * w).round() as u8;
            }
        }
    }
    let (lx, ly, lrx, lry) = (224.0f32, 146.5f32, 18.0f32, 4.5f32);
    for y in 142..=151u32 {
        for x in 206..=242u32 {
            if ((x as f32 - lx) / lrx).powi(2) + ((y as f32 - ly) / lry).powi(2) <= 1.0 {
                src.put_pixel(x, y, lip);
            }
        }
    }
    for y in 145..=146u32 {
        for x in 207..=241u32 {
            src.put_pixel(x, y, image::Rgb([150, 85, 85]));
        }
    }
    let part = image::imageops::crop_imm(&src, 232 - 125, 30, 250, 250).to_image();
    let scaled = image::imageops::resize(&part, 480, 480, image::imageops::FilterType::Triangle);
    let mut out = image::RgbImage::from_pixel(640, 480, *a.get_pixel(256, 2));
    image::imageops::replace(&mut out, &scaled, 80 + dx, 40);
    out
}
