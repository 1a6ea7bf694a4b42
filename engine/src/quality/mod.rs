//! Models and measures that judge the photo rather than locate the face: person segmentation,
//! expression, and the normalised face region the capture checks read.

pub mod expression;
pub mod face_region;
pub mod segmentation;
