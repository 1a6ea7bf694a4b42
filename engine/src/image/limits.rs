//! Limits checked from the header, before any pixel is decoded, so a decompression bomb costs nothing.

use crate::error::{EngineError, Result};
use serde::{Deserialize, Serialize};

/// Upper and lower bounds on what intake accepts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DecodeLimits {
    /// Largest accepted input, in bytes.
    pub max_bytes: usize,
    /// Largest accepted width or height, in pixels.
    pub max_side: u32,
    /// Largest accepted width x height, in pixels.
    pub max_pixels: u64,
    /// Smallest accepted width or height, in pixels.
    pub min_side: u32,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        Self { max_bytes: 20 * 1024 * 1024, max_side: 12_000, max_pixels: 40_000_000, min_side: 32 }
    }
}

/// Headroom for a decoder's own working memory (row buffers, Huffman tables, zlib window) on top
/// of the decoded pixels.
const DECODER_SLACK_BYTES: u64 = 16 * 1024 * 1024;

/// Widest pixel any accepted format decodes to before conversion: 16-bit RGBA.
const MAX_DECODED_BYTES_PER_PIXEL: u64 = 8;

impl DecodeLimits {
    /// Refuses an input whose byte length alone is over the limit.
    pub fn check_bytes(&self, len: usize) -> Result<()> {
        if len > self.max_bytes {
            return Err(EngineError::ImageTooLarge(format!(
                "{len} bytes exceeds the limit of {} bytes",
                self.max_bytes
            )));
        }
        Ok(())
    }

    /// Checks header dimensions: too large first (a 60000x1 strip is a bomb, not a thumbnail),
    /// then too small.
    pub fn check_dimensions(&self, width: u32, height: u32) -> Result<()> {
        let pixels = u64::from(width) * u64::from(height);
        if width > self.max_side || height > self.max_side || pixels > self.max_pixels {
            return Err(EngineError::ImageTooLarge(format!(
                "{width}x{height} exceeds the limits of {} px a side and {} px in all",
                self.max_side, self.max_pixels
            )));
        }
        if width.min(height) < self.min_side {
            return Err(EngineError::ImageTooSmall(format!(
                "{width}x{height} is below the minimum of {} px a side",
                self.min_side
            )));
        }
        Ok(())
    }

    /// The `image` crate limits for decoding a `width` x `height` image already accepted by
    /// [`check_dimensions`](Self::check_dimensions): a second line of defence, so the decoder
    /// itself refuses to allocate more than the widest decoded pixel buffer plus fixed slack.
    pub fn decoder_limits(&self, width: u32, height: u32) -> image::Limits {
        let pixels = (u64::from(width) * u64::from(height)).min(self.max_pixels);
        let mut limits = image::Limits::default();
        limits.max_image_width = Some(self.max_side);
        limits.max_image_height = Some(self.max_side);
        limits.max_alloc = Some(pixels * MAX_DECODED_BYTES_PER_PIXEL + DECODER_SLACK_BYTES);
        limits
    }
}
