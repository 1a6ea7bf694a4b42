//! A second opinion on head pose: the `q_headpose224` network (Hopenet-style 66 bins of 3°).
//! It reads appearance rather than landmarks, so where the two disagree the pose is uncertain.

use super::HeadPose;
use crate::detect::Detection;
use crate::error::Result;
use crate::image::warp::{Affine, warp_crop};
use crate::runtime::Model;
use crate::tensor::nchw;
use image::RgbImage;
use std::sync::Arc;

const SIZE: u32 = 224;

pub struct PoseNet {
    model: Arc<dyn Model>,
}

/// Expected angle of a 66-bin softmax: bins are 3° wide, starting at -99°.
fn expected_angle(logits: &[f32]) -> f32 {
    let max = logits.iter().copied().fold(f32::MIN, f32::max);
    let exps: Vec<f32> = logits.iter().map(|&v| (v - max).exp()).collect();
    let total: f32 = exps.iter().sum();
    exps.iter().enumerate().map(|(i, e)| e / total * i as f32).sum::<f32>() * 3.0 - 99.0
}

impl PoseNet {
    pub const MODEL_ID: &'static str = "q_headpose224_faceplugin";

    pub fn new(model: Arc<dyn Model>) -> Self {
        Self { model }
    }

    /// Pose in Sapa's conventions (see [`super::pose`]).
    pub fn run(&self, img: &RgbImage, det: &Detection) -> Result<HeadPose> {
        let b = det.bbox;
        let (x, y, w, h) = (b.x - 0.25 * b.w, b.y - 0.25 * b.h, 1.5 * b.w, 1.5 * b.h);
        let to_src = Affine { m: [w / SIZE as f32, 0.0, x, 0.0, h / SIZE as f32, y] };
        let crop = warp_crop(img, &to_src, SIZE, SIZE, [0, 0, 0]);
        let input = nchw(&crop, 1.0 / 255.0, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);
        let out = self.model.run(input.view())?;
        let angle = |i: usize| expected_angle(out[i].as_slice().expect("contiguous"));
        // The network's yaw and roll run opposite to Sapa's conventions (checked on mirrored and
        // rotated photos, where the flipped values then agree in sign with the mesh pose).
        Ok(HeadPose { yaw: -angle(0), pitch: angle(1), roll: -angle(2) })
    }
}
