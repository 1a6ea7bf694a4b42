//! Distances and openness ratios that the validation checks judge.

use crate::detect::Point;
use crate::landmarks::FaceMesh;
use crate::landmarks::regions::{INNER_LIP_CONTOUR, LEFT_EYE, MOUTH_CORNERS, RIGHT_EYE};
use serde::{Deserialize, Serialize};

/// Lid gap over eye width for each eye (about 0.25–0.35 open, under 0.1 closed).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct EyeOpenness {
    pub right: f32,
    pub left: f32,
}

/// Landmark measurements of one face.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct FaceMeasures {
    /// Distance between the iris centres, in source pixels.
    pub inter_eye_px: f32,
    pub eye_openness: EyeOpenness,
    /// Area inside the inner lip contour over the squared mouth width, times 4: about the mean
    /// lip gap over mouth width (0 closed; above ~0.1 visibly open).
    pub mouth_openness: f32,
    /// Centre of the right and left eye (iris centres), in source pixels.
    pub right_eye: Point,
    pub left_eye: Point,
}

fn openness(mesh: &FaceMesh, eye: [usize; 4]) -> f32 {
    let width = mesh.point(eye[0]).distance(&mesh.point(eye[1]));
    mesh.point(eye[2]).distance(&mesh.point(eye[3])) / width.max(1e-6)
}

pub fn measure(mesh: &FaceMesh) -> FaceMeasures {
    let right_eye = mesh.right_iris[0];
    let left_eye = mesh.left_iris[0];
    let mouth_w = mesh.point(MOUTH_CORNERS[0]).distance(&mesh.point(MOUTH_CORNERS[1]));
    let contour: Vec<Point> = INNER_LIP_CONTOUR.iter().map(|&i| mesh.point(i)).collect();
    let area = polygon_area(&contour);
    FaceMeasures {
        inter_eye_px: right_eye.distance(&left_eye),
        eye_openness: EyeOpenness { right: openness(mesh, RIGHT_EYE), left: openness(mesh, LEFT_EYE) },
        mouth_openness: 4.0 * area / mouth_w.max(1e-6).powi(2),
        right_eye,
        left_eye,
    }
}

/// Shoelace area of a simple polygon.
fn polygon_area(p: &[Point]) -> f32 {
    let n = p.len();
    (0..n).map(|i| p[i].x * p[(i + 1) % n].y - p[(i + 1) % n].x * p[i].y).sum::<f32>().abs() / 2.0
}
