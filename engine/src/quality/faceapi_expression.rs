//! A second expression classifier: face-api's FaceExpressionNet (`q_expression112_faceapi`),
//! which reads a colour face crop at 112 px. The FER model reads a grey 64 px crop, and the
//! smile measures read the mesh's shape. This one sees the pixels at twice the FER model's
//! resolution, which is where a closed-mouth smile or a wrinkled nose shows.

use crate::detect::Detection;
use crate::error::Result;
use crate::quality::expression::face_and_mirror;
use crate::runtime::Model;
use crate::tensor::nchw;
use image::RgbImage;
use std::sync::Arc;

const SIZE: u32 = 112;
/// The input square's side over the detection box's longer side. face-api's own detectors frame
/// the face from the forehead to the chin, about as BlazeFace's box does, so the box itself
/// (1.15 and 1.3 read the same on the tune split).
const MARGIN: f32 = 1.0;

/// The model's classes, at their output index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaceApiEmotion {
    Neutral = 0,
    Happy = 1,
    Sad = 2,
    Angry = 3,
    Fearful = 4,
    Disgusted = 5,
    Surprised = 6,
}

/// The seven probabilities, the mean of the face and its mirror image.
#[derive(Debug, Clone, Copy)]
pub struct FaceApiExpression {
    pub probabilities: [f32; 7],
}

impl FaceApiExpression {
    pub fn p(&self, e: FaceApiEmotion) -> f32 {
        self.probabilities[e as usize]
    }

    /// The two expressions a resting face reads furthest from: a smile and a disgust grimace
    /// (ICAO-like tune photos at most 0.01). Surprise fires on raised brows, and sad and angry
    /// bring resting faces up to 0.27 (BENCHMARKS.md, "Session 20").
    pub fn mouth_expression(&self) -> f32 {
        self.p(FaceApiEmotion::Happy) + self.p(FaceApiEmotion::Disgusted)
    }
}

pub struct FaceApiExpressionModel {
    model: Arc<dyn Model>,
}

impl FaceApiExpressionModel {
    pub const MODEL_ID: &'static str = "q_expression112_faceapi";

    pub fn new(model: Arc<dyn Model>) -> Self {
        Self { model }
    }

    /// The expression of the face in `det`: the mean of the model's readings of the face and of
    /// its mirror image on a square of [`MARGIN`] times the detection box's longer side.
    pub fn run(&self, img: &RgbImage, det: &Detection) -> Result<FaceApiExpression> {
        let mut probabilities = [0f32; 7];
        for crop in face_and_mirror(img, det, MARGIN, SIZE) {
            // Raw 0..255: the graph subtracts the channel means and scales itself.
            let out = self.model.run(nchw(&crop, 1.0, [0.0; 3], [1.0; 3]).view())?;
            let v = out[0].as_slice().expect("contiguous");
            for (p, x) in probabilities.iter_mut().zip(v) {
                *p += x / 2.0;
            }
        }
        Ok(FaceApiExpression { probabilities })
    }
}
