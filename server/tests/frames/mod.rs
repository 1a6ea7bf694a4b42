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
