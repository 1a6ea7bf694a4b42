//! The attention face mesh: crop the face upright from the detection, run the model, map the
//! landmarks back to source pixels.

use crate::detect::{Detection, Point};
use crate::error::Result;
use crate::image::warp::{Affine, warp_crop};
use crate::runtime::Model;
use crate::tensor::nhwc;
use image::RgbImage;
use serde::Serialize;
use std::sync::Arc;

const SIZE: u32 = 192;
/// MediaPipe's ROI: a square 1.5x the detection box, turned so the eyes are level.
const ROI_SCALE: f32 = 1.5;

/// 468 mesh points in source pixels, with `z` (depth, smaller is nearer the camera) in the same
/// pixel scale, plus the two iris rings (centre first, then four points on the limbus).
#[derive(Debug, Clone, Serialize)]
pub struct FaceMesh {
    /// Model's confidence that the crop holds a face, in [0, 1].
    pub presence: f32,
    #[serde(skip)]
    pub points: Vec<[f32; 3]>,
    pub right_iris: [Point; 5],
    pub left_iris: [Point; 5],
}

impl FaceMesh {
    pub fn point(&self, i: usize) -> Point {
        Point::new(self.points[i][0], self.points[i][1])
    }
    pub fn point3(&self, i: usize) -> [f32; 3] {
        self.points[i]
    }
}

/// The upright crop the mesh model sees, as a map from crop pixels to source pixels.
pub fn roi_transform(det: &Detection) -> Affine {
    let (r, l) = (det.keypoints.right_eye, det.keypoints.left_eye);
    let theta = (l.y - r.y).atan2(l.x - r.x);
    let c = det.bbox.center();
    let side = det.bbox.w.max(det.bbox.h) * ROI_SCALE;
    let s = side / SIZE as f32;
    let (sin, cos) = theta.sin_cos();
    let half = SIZE as f32 / 2.0;
    let tx = c.x - s * (cos * half - sin * half);
    let ty = c.y - s * (sin * half + cos * half);
    Affine::similarity(s, theta, tx, ty)
}

pub struct MeshModel {
    model: Arc<dyn Model>,
}

impl MeshModel {
    pub const MODEL_ID: &'static str = "lmk_facemesh_attention478";

    pub fn new(model: Arc<dyn Model>) -> Self {
        Self { model }
    }

    /// Runs the mesh on the face found by `det`.
    pub fn run(&self, img: &RgbImage, det: &Detection) -> Result<FaceMesh> {
        let to_src = roi_transform(det);
        let crop = warp_crop(img, &to_src, SIZE, SIZE, [0, 0, 0]);
        let out = self.model.run(nhwc(&crop, 1.0 / 255.0, 0.0).view())?;
        let scale = (to_src.m[0].powi(2) + to_src.m[3].powi(2)).sqrt();
        let mesh = out[1].as_slice().expect("contiguous");
        let points = mesh
            .chunks_exact(3)
            .map(|p| {
                let (x, y) = to_src.apply(p[0], p[1]);
                [x, y, p[2] * scale]
            })
            .collect::<Vec<_>>();
        let iris = |t: &ndarray::ArrayD<f32>| -> [Point; 5] {
            let v = t.as_slice().expect("contiguous");
            std::array::from_fn(|k| {
                let (x, y) = to_src.apply(v[2 * k], v[2 * k + 1]);
                Point::new(x, y)
            })
        };
        // Outputs 3 and 5 are the two iris rings; which is which is settled by the mesh itself.
        let (a, b) = (iris(&out[3]), iris(&out[5]));
        let right_eye_centre =
            Point::new(points[33][0], points[33][1]).midpoint(&Point::new(points[133][0], points[133][1]));
        let (right_iris, left_iris) = if a[0].distance(&right_eye_centre) <= b[0].distance(&right_eye_centre)
        {
            (a, b)
        } else {
            (b, a)
        };
        let presence = out[0].iter().next().copied().unwrap_or(0.0);
        Ok(FaceMesh { presence, points, right_iris, left_iris })
    }
}
