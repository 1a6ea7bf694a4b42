//! Dense landmarks for the main face: the 468-point MediaPipe mesh with attention-refined irises.

pub mod mesh;
pub mod regions;

pub use mesh::{FaceMesh, MeshModel};
