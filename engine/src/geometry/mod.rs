//! Measurements taken from the landmarks: head pose, inter-eye distance, eye and mouth openness.

pub mod measures;
pub mod pose;
pub mod pose_net;

pub use measures::{EyeOpenness, FaceMeasures};
pub use pose::HeadPose;
