//! Packing RGB pixels into model input tensors, with each model's own normalisation.

use image::RgbImage;
use ndarray::{Array4, ArrayD};

/// NHWC `[1, h, w, 3]` with `value = pixel * scale + offset`.
pub fn nhwc(img: &RgbImage, scale: f32, offset: f32) -> ArrayD<f32> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let data: Vec<f32> = img.as_raw().iter().map(|&p| p as f32 * scale + offset).collect();
    Array4::from_shape_vec((1, h, w, 3), data).expect("RGB buffer is h*w*3").into_dyn()
}

/// NCHW `[1, 3, h, w]` with `value = (pixel * scale - mean[c]) / std[c]`.
pub fn nchw(img: &RgbImage, scale: f32, mean: [f32; 3], std: [f32; 3]) -> ArrayD<f32> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let plane = w * h;
    let mut data = vec![0f32; 3 * plane];
    for (i, px) in img.as_raw().chunks_exact(3).enumerate() {
        for c in 0..3 {
            data[c * plane + i] = (px[c] as f32 * scale - mean[c]) / std[c];
        }
    }
    Array4::from_shape_vec((1, 3, h, w), data).expect("3 planes of h*w").into_dyn()
}

/// NCHW `[1, 1, h, w]` of luminance (BT.601), `value = luma * scale + offset`.
pub fn gray_nchw(img: &RgbImage, scale: f32, offset: f32) -> ArrayD<f32> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let data: Vec<f32> = img
        .as_raw()
        .chunks_exact(3)
        .map(|p| (0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32) * scale + offset)
        .collect();
    Array4::from_shape_vec((1, 1, h, w), data).expect("h*w").into_dyn()
}
