//! High-quality downscaling with `fast_image_resize` (SIMD convolution). Every model input starts
//! here, so a face is never sampled through aliasing nearest-neighbour shortcuts.

use crate::error::{EngineError, Result};
use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::RgbImage;

/// An axis-aligned rectangle in source pixels (may extend past the image; see [`crop_resize`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

fn resize_err(e: impl std::fmt::Display) -> EngineError {
    EngineError::Inference(format!("resize failed: {e}"))
}

/// Resizes the part of `src` inside `rect` (clipped to the image) to `w` x `h`.
pub fn crop_resize(src: &RgbImage, rect: Rect, w: u32, h: u32) -> Result<RgbImage> {
    let (sw, sh) = (src.width() as f32, src.height() as f32);
    let x0 = rect.x.clamp(0.0, sw - 1.0);
    let y0 = rect.y.clamp(0.0, sh - 1.0);
    let x1 = (rect.x + rect.w).clamp(x0 + 1.0, sw);
    let y1 = (rect.y + rect.h).clamp(y0 + 1.0, sh);
    let src_view =
        ImageRef::new(src.width(), src.height(), src.as_raw(), PixelType::U8x3).map_err(resize_err)?;
    let mut dst = Image::new(w.max(1), h.max(1), PixelType::U8x3);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Bilinear)).crop(
        x0 as f64,
        y0 as f64,
        (x1 - x0) as f64,
        (y1 - y0) as f64,
    );
    Resizer::new().resize(&src_view, &mut dst, &options).map_err(resize_err)?;
    RgbImage::from_raw(dst.width(), dst.height(), dst.into_vec())
        .ok_or_else(|| resize_err("buffer size mismatch"))
}

/// Resizes the whole image to `w` x `h`.
pub fn resize(src: &RgbImage, w: u32, h: u32) -> Result<RgbImage> {
    let full = Rect { x: 0.0, y: 0.0, w: src.width() as f32, h: src.height() as f32 };
    crop_resize(src, full, w, h)
}

/// How a letterboxed square maps back to the source image.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Letterbox {
    /// Source pixels per letterbox pixel.
    pub scale: f32,
    /// Padding added on the left and top, in letterbox pixels.
    pub pad_x: f32,
    pub pad_y: f32,
}

impl Letterbox {
    /// Maps a point from letterbox pixels to source pixels.
    pub fn to_source(&self, x: f32, y: f32) -> (f32, f32) {
        ((x - self.pad_x) * self.scale, (y - self.pad_y) * self.scale)
    }
}

/// Fits `src` into a `size` x `size` square, centred, padded with black (as MediaPipe does).
/// `fill` is the share of the square the longer side covers: below 1 the image is shrunk further
/// and surrounded by more padding, which gives a tightly cropped face the context a detector needs.
pub fn letterbox(src: &RgbImage, size: u32, fill: f32) -> Result<(RgbImage, Letterbox)> {
    let (w, h) = (src.width() as f32, src.height() as f32);
    let scale = w.max(h) / (size as f32 * fill.clamp(0.1, 1.0));
    let nw = ((w / scale).round() as u32).clamp(1, size);
    let nh = ((h / scale).round() as u32).clamp(1, size);
    let resized = resize(src, nw, nh)?;
    let pad_x = (size - nw) / 2;
    let pad_y = (size - nh) / 2;
    let mut out = RgbImage::new(size, size);
    image::imageops::replace(&mut out, &resized, pad_x as i64, pad_y as i64);
    Ok((out, Letterbox { scale, pad_x: pad_x as f32, pad_y: pad_y as f32 }))
}
