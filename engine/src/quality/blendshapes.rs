//! Face blendshapes (`q_blendshapes146`, MediaPipe's): 52 scores of how far each part of the face
//! has moved from rest (a lid closed, mouth corners pulled up, the jaw dropped), read from the
//! attention mesh's points. The model sees the face's shape, not its pixels, so lighting, skin
//! tone and camera do not move it the way they move a pixel classifier; and it costs about 3 ms
//! on one core, because the mesh is already there.

use crate::error::Result;
use crate::landmarks::FaceMesh;
use crate::runtime::Model;
use ndarray::Array3;
use std::sync::Arc;

/// MediaPipe's subset of the 478 mesh-and-iris points that the model reads, in its input order
/// (468-472 are the right iris ring, 473-477 the left, centre first).
const POINTS: [usize; 146] = [
    0, 1, 4, 5, 6, 7, 8, 10, 13, 14, 17, 21, 33, 37, 39, 40, 46, 52, 53, 54, 55, 58, 61, 63, 65, 66, 67, 70,
    78, 80, 81, 82, 84, 87, 88, 91, 93, 95, 103, 105, 107, 109, 127, 132, 133, 136, 144, 145, 146, 148, 149,
    150, 152, 153, 154, 155, 157, 158, 159, 160, 161, 162, 163, 168, 172, 173, 176, 178, 181, 185, 191, 195,
    197, 234, 246, 249, 251, 263, 267, 269, 270, 276, 282, 283, 284, 285, 288, 291, 293, 295, 296, 297, 300,
    308, 310, 311, 312, 314, 317, 318, 321, 323, 324, 332, 334, 336, 338, 356, 361, 362, 365, 373, 374, 375,
    377, 378, 379, 380, 381, 382, 384, 385, 386, 387, 388, 389, 390, 397, 398, 400, 402, 405, 409, 415, 454,
    466, 468, 469, 470, 471, 472, 473, 474, 475, 476, 477,
];

/// The scores the checks read, at their output index ("left" and "right" are the person's own).
/// The blink and jaw-open scores (9, 10, 25) were tried as closed-eye and open-mouth measures and
/// do not separate the labelled photos (BENCHMARKS.md, "Session 16"): the attention mesh draws
/// closed lids open, and the labelled open mouths are mostly smiles that bare teeth with the jaw
/// at rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    MouthSmileLeft = 44,
    MouthSmileRight = 45,
}

/// All 52 scores, 0 (at rest) to 1, in the model's order.
#[derive(Debug, Clone, Copy)]
pub struct Blendshapes {
    pub scores: [f32; 52],
}

impl Blendshapes {
    pub fn get(&self, s: Shape) -> f32 {
        self.scores[s as usize]
    }

    /// The mean of the two mouth corners' smile: a smile lifts both, a lopsided mouth at rest
    /// lifts one.
    pub fn smile(&self) -> f32 {
        (self.get(Shape::MouthSmileLeft) + self.get(Shape::MouthSmileRight)) / 2.0
    }
}

pub struct BlendshapeModel {
    model: Arc<dyn Model>,
}

impl BlendshapeModel {
    pub const MODEL_ID: &'static str = "q_blendshapes146";

    pub fn new(model: Arc<dyn Model>) -> Self {
        Self { model }
    }

    /// The scores for one meshed face. The model centres and scales the points itself, so source
    /// pixels serve as they come (as MediaPipe passes them).
    pub fn run(&self, mesh: &FaceMesh) -> Result<Blendshapes> {
        let point = |i: usize| match i {
            0..468 => mesh.point(i),
            468..473 => mesh.right_iris[i - 468],
            _ => mesh.left_iris[i - 473],
        };
        let input = Array3::from_shape_fn((1, POINTS.len(), 2), |(_, k, c)| {
            let p = point(POINTS[k]);
            if c == 0 { p.x } else { p.y }
        });
        let out = self.model.run(input.into_dyn().view())?;
        let v = out[0].as_slice().expect("contiguous");
        let mut scores = [0f32; 52];
        for (s, x) in scores.iter_mut().zip(v) {
            *s = *x;
        }
        Ok(Blendshapes { scores })
    }
}
