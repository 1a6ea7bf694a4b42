//! Models and measures that judge the photo rather than locate the face: person segmentation,
//! expression, the normalised face region the capture checks read, focus, and the picture's
//! rotation in its frame.

pub mod blendshapes;
pub mod blockiness;
pub mod expression;
pub mod eye_references;
pub mod eye_state;
pub mod face_parsing;
pub mod face_region;
pub mod faceapi_expression;
pub mod frame_rotation;
pub mod hands;
pub mod percentile;
pub mod segmentation;
pub mod sharpness;
