//! Image intake and pixel plumbing: decode many formats behind one call, then resize and warp.

pub mod decode;
pub mod flood;
pub mod jpeg;
pub mod jpeg_quality;
pub mod limits;
pub mod resize;
pub mod warp;

pub use decode::{ColourKind, DecodedImage, ImageFormat, SourceInfo, decode, probe};
pub use limits::DecodeLimits;
