//! Whether each eye is open, from a small eye-state classifier (`q_eye_state24_faceplugin`): a
//! 24×24 grey square around the eye, framed by the mesh's eye corners. The lid gap of the mesh
//! alone misses eyes the mesh draws open out of habit (a closed lid over a deep socket reads as a
//! gap); the classifier sees the lid itself.

use crate::error::Result;
use crate::image::warp::{Affine, CropSource};
use crate::landmarks::FaceMesh;
use crate::landmarks::regions::{LEFT_EYE, RIGHT_EYE};
use crate::runtime::Model;
use crate::tensor::gray_nchw;
use image::RgbImage;
use serde::Serialize;
use std::sync::Arc;

const SIZE: u32 = 24;
/// The square's side over the eye's corner-to-corner width (validated on labelled open and
/// closed eyes, BENCHMARKS.md).
const MARGIN: f32 = 1.3;

/// Probability that each eye is open, 0..1.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct EyeState {
    pub right_open: f32,
    pub left_open: f32,
}

impl EyeState {
    /// The less open eye: a wink is a closed eye.
    pub fn min_open(&self) -> f32 {
        self.right_open.min(self.left_open)
    }
}

pub struct EyeStateModel {
    model: Arc<dyn Model>,
}

impl EyeStateModel {
    pub const MODEL_ID: &'static str = "q_eye_state24_faceplugin";

    pub fn new(model: Arc<dyn Model>) -> Self {
        Self { model }
    }

    pub fn run(&self, img: &RgbImage, mesh: &FaceMesh) -> Result<EyeState> {
        Ok(EyeState {
            right_open: self.eye(img, mesh, RIGHT_EYE)?,
            left_open: self.eye(img, mesh, LEFT_EYE)?,
        })
    }

    /// An axis-aligned square of `MARGIN` times the corner distance, centred on the mean of the
    /// corners and lids (the model's own framing; levelling the square gained nothing).
    fn eye(&self, img: &RgbImage, mesh: &FaceMesh, eye: [usize; 4]) -> Result<f32> {
        let (a, b) = (mesh.point(eye[0]), mesh.point(eye[1]));
        let (u, d) = (mesh.point(eye[2]), mesh.point(eye[3]));
        let c = crate::detect::Point::new((a.x + b.x + u.x + d.x) / 4.0, (a.y + b.y + u.y + d.y) / 4.0);
        let side = (a.distance(&b) * MARGIN).max(2.0);
        let s = side / SIZE as f32;
        let to_src = Affine { m: [s, 0.0, c.x - side / 2.0, 0.0, s, c.y - side / 2.0] };
        // Shrunk with a proper filter first: a point-sampled 24 px eye aliases its lashes.
        let crop = CropSource::new(img, &to_src, SIZE, SIZE).warp(&to_src, SIZE, SIZE, [0, 0, 0]);
        let out = self.model.run(gray_nchw(&crop, 1.0 / 255.0, 0.0).view())?;
        let v = out[0].as_slice().expect("contiguous");
        // Two logits, index 1 = open.
        let (closed, open) = (v[0], v[1]);
        Ok(1.0 / (1.0 + (closed - open).exp()))
    }
}
