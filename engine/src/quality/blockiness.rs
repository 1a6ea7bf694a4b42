//! JPEG block artefacts measured in the pixels: how much stronger the luminance steps are on one
//! column (row) phase of the 8-pixel grid than on the other seven. A photo compressed hard and
//! saved again at a high quality keeps its 8×8 blocks, whatever its quantisation table now says;
//! an uncompressed or lightly compressed photo has no preferred phase (reads about 1).
//!
//! The phase is found, not assumed, so a crop that shifted the grid is still measured; a rescale
//! that destroyed the grid also destroyed the blocks' edges, and reads low.

use image::RgbImage;

/// Steps per grid phase along one axis: `sum[k]` over pixel pairs (p, p+1) with p % 8 == k.
fn phase_profile(img: &RgbImage, x0: u32, y0: u32, x1: u32, y1: u32, horizontal: bool) -> [f64; 8] {
    let raw = img.as_raw();
    let w = img.width() as usize;
    let luma = |x: u32, y: u32| {
        let i = 3 * (y as usize * w + x as usize);
        (77 * raw[i] as i32 + 150 * raw[i + 1] as i32 + 29 * raw[i + 2] as i32) >> 8
    };
    let mut sum = [0f64; 8];
    let mut cnt = [0f64; 8];
    if horizontal {
        for y in y0..y1 {
            let mut prev = luma(x0, y);
            for x in x0 + 1..x1 {
                let cur = luma(x, y);
                let k = ((x - 1) % 8) as usize;
                sum[k] += (cur - prev).abs() as f64;
                cnt[k] += 1.0;
                prev = cur;
            }
        }
    } else {
        for x in x0..x1 {
            let mut prev = luma(x, y0);
            for y in y0 + 1..y1 {
                let cur = luma(x, y);
                let k = ((y - 1) % 8) as usize;
                sum[k] += (cur - prev).abs() as f64;
                cnt[k] += 1.0;
                prev = cur;
            }
        }
    }
    std::array::from_fn(|k| sum[k] / cnt[k].max(1.0))
}

/// Strongest phase over the mean of the other seven, per axis, averaged over both axes; `None`
/// when the region is smaller than a few blocks. `region` is `[x, y, w, h]` in pixels (the face
/// and its surroundings: a flat background has no steps to compare).
pub fn blockiness(img: &RgbImage, region: [f32; 4]) -> Option<f32> {
    let (w, h) = (img.width() as f32, img.height() as f32);
    let x0 = region[0].clamp(0.0, w) as u32;
    let y0 = region[1].clamp(0.0, h) as u32;
    let x1 = (region[0] + region[2]).clamp(0.0, w) as u32;
    let y1 = (region[1] + region[3]).clamp(0.0, h) as u32;
    if x1 < x0 + 32 || y1 < y0 + 32 {
        return None;
    }
    let ratio = |p: [f64; 8]| {
        let (k, max) = p.iter().enumerate().fold((0, 0.0), |a, (k, &v)| if v > a.1 { (k, v) } else { a });
        let rest = (p.iter().sum::<f64>() - p[k]) / 7.0;
        max / (rest + 0.5)
    };
    let hr = ratio(phase_profile(img, x0, y0, x1, y1, true));
    let vr = ratio(phase_profile(img, x0, y0, x1, y1, false));
    Some(((hr + vr) / 2.0) as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn textured() -> RgbImage {
        // Smooth gradients plus fine deterministic texture: no 8-pixel period.
        RgbImage::from_fn(256, 256, |x, y| {
            let n = ((x * 7919 + y * 104_729) % 61) as f32;
            let v = (80.0 + 0.4 * x as f32 + 0.2 * y as f32 + n).min(255.0) as u8;
            image::Rgb([v, v.saturating_sub(20), v.saturating_sub(40)])
        })
    }

    fn jpeg_round_trip(img: &RgbImage, q: u8) -> RgbImage {
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, q).encode_image(img).unwrap();
        image::load_from_memory(&out).unwrap().to_rgb8()
    }

    #[test]
    fn hard_compression_saved_again_at_high_quality_reads_blocky() {
        let img = textured();
        let region = [0.0, 0.0, 256.0, 256.0];
        let clean = blockiness(&img, region).unwrap();
        let q90 = blockiness(&jpeg_round_trip(&img, 90), region).unwrap();
        let q5 = blockiness(&jpeg_round_trip(&jpeg_round_trip(&img, 5), 95), region).unwrap();
        // Shifted by 3 pixels: the grid moves, the measure follows it.
        let shifted =
            image::imageops::crop_imm(&jpeg_round_trip(&jpeg_round_trip(&img, 5), 95), 3, 3, 250, 250)
                .to_image();
        let q5_shifted = blockiness(&shifted, [0.0, 0.0, 250.0, 250.0]).unwrap();
        println!("clean {clean:.2} q90 {q90:.2} q5->95 {q5:.2} shifted {q5_shifted:.2}");
        assert!(clean < 1.2 && q90 < 1.3, "{clean} {q90}");
        assert!(q5 > 2.0 && q5_shifted > 2.0, "{q5} {q5_shifted}");
    }

    #[test]
    fn a_tiny_region_is_not_measured() {
        assert!(blockiness(&textured(), [0.0, 0.0, 20.0, 20.0]).is_none());
    }
}
