//! Facial expression from the mini-Xception FER model (angry, disgust, fear, happy, sad,
//! surprise, neutral). ICAO asks for a neutral expression; the score is how far from neutral.

use crate::detect::Detection;
use crate::error::Result;
use crate::image::warp::{Affine, CropSource};
use crate::runtime::Model;
use crate::tensor::gray_nchw;
use image::RgbImage;
use serde::Serialize;
use std::sync::Arc;

const SIZE: u32 = 64;
/// Sides of the model's input squares over the detection box's longer side. One framing alone
/// makes the model's reading swing with the crop (a neutral face read at 0.55 "happy" at one
/// margin and 0.05 at the next); the mean over three framings is steadier (BENCHMARKS.md).
const MARGINS: [f32; 3] = [1.1, 1.3, 1.5];
pub const LABELS: [&str; 7] = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"];

/// The model's classes, at their output index (the order of [`LABELS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Emotion {
    Angry = 0,
    Disgust = 1,
    Fear = 2,
    Happy = 3,
    Sad = 4,
    Surprise = 5,
    Neutral = 6,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Expression {
    pub probabilities: [f32; 7],
}

impl Expression {
    /// The probability of one class.
    pub fn p(&self, e: Emotion) -> f32 {
        self.probabilities[e as usize]
    }
    pub fn neutral(&self) -> f32 {
        self.p(Emotion::Neutral)
    }
    pub fn happy(&self) -> f32 {
        self.p(Emotion::Happy)
    }
    /// 0 for a clearly neutral face, 1 for a clearly expressive one.
    pub fn non_neutral(&self) -> f32 {
        1.0 - self.neutral()
    }
    /// Probability of an expression ICAO forbids and a resting face does not show: happy,
    /// surprise, fear, disgust. FER models read many neutral resting faces as "sad" or "angry",
    /// so those two are left out.
    pub fn expressive(&self) -> f32 {
        [Emotion::Happy, Emotion::Surprise, Emotion::Fear, Emotion::Disgust]
            .into_iter()
            .map(|e| self.p(e))
            .sum()
    }
}

/// The face in `det` and its mirror image, each `size` px square, on a square of `margin` times
/// the box's longer side about its centre. Expression models read both and average: a neutral
/// face is symmetric, a model's left-right noise is not.
pub(crate) fn face_and_mirror(img: &RgbImage, det: &Detection, margin: f32, size: u32) -> [RgbImage; 2] {
    let (b, c) = (det.bbox, det.bbox.center());
    let side = b.w.max(b.h) * margin;
    let s = side / size as f32;
    let straight = Affine { m: [s, 0.0, c.x - side / 2.0, 0.0, s, c.y - side / 2.0] };
    let mirrored = Affine { m: [-s, 0.0, c.x + side / 2.0, 0.0, s, c.y - side / 2.0] };
    // Both read the same square: it is shrunk once.
    let square = CropSource::new(img, &straight, size, size);
    [straight, mirrored].map(|to_src| square.warp(&to_src, size, size, [0, 0, 0]))
}

pub struct ExpressionModel {
    model: Arc<dyn Model>,
}

impl ExpressionModel {
    pub const MODEL_ID: &'static str = "q_emotion64_hm";

    pub fn new(model: Arc<dyn Model>) -> Self {
        Self { model }
    }

    /// The expression of the face in `det`: the mean of the model's readings of the face and of
    /// its mirror image (a neutral face is symmetric, the model's left-right noise is not) on
    /// squares of [`MARGINS`] times the detection box, which frame the whole face with some hair
    /// and background as FER-style training crops do, where the detector's box stops at the brows.
    pub fn run(&self, img: &RgbImage, det: &Detection) -> Result<Expression> {
        let mut probabilities = [0f32; 7];
        let n = (2 * MARGINS.len()) as f32;
        for margin in MARGINS {
            for crop in face_and_mirror(img, det, margin, SIZE) {
                for (p, x) in probabilities.iter_mut().zip(self.infer(&crop)?) {
                    *p += x / n;
                }
            }
        }
        Ok(Expression { probabilities })
    }

    /// The model's seven probabilities for one 64x64 crop.
    fn infer(&self, crop: &RgbImage) -> Result<[f32; 7]> {
        // The model takes NHWC [1, 64, 64, 1]; one channel makes NCHW and NHWC the same bytes.
        let input = gray_nchw(crop, 2.0 / 255.0, -1.0).into_shape_with_order(vec![1, 64, 64, 1]);
        let input = input.map_err(|e| crate::EngineError::Inference(format!("expression input: {e}")))?;
        let out = self.model.run(input.view())?;
        let v = out[0].as_slice().expect("contiguous");
        let mut probabilities = [0f32; 7];
        probabilities.copy_from_slice(&v[..7]);
        Ok(probabilities)
    }
}
