//! Head pose from the 3D mesh, in degrees.
//!
//! The face's own axes are built from anatomy rather than fitted to a template: the left-right
//! axis is the mean direction between mirrored landmark pairs (eye corners, mouth corners, cheeks),
//! and the vertical axis is the nasion-to-chin line made orthogonal to it. In MediaPipe's canonical
//! face (the mesh model's own definition of a frontal face) that line leans back by
//! [`PROFILE_LEAN_DEG`]; pitch is corrected by it, so zero pitch is the model's frontal pose.
//!
//! Conventions (all as the camera sees the subject):
//! - yaw > 0: the subject turns to their own left, the nose points to the image's right;
//! - pitch > 0: the subject looks up;
//! - roll > 0: the head tilts counter-clockwise on screen (towards the subject's right shoulder).

use crate::landmarks::FaceMesh;
use crate::landmarks::regions::{CHIN, NASION, SYMMETRIC_PAIRS};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct HeadPose {
    pub yaw: f32,
    pub pitch: f32,
    pub roll: f32,
}

/// How far the nasion-to-chin line leans back (chin further from the camera) in MediaPipe's
/// canonical face model: atan(0.972 / 12.674), from its vertices 168 and 152.
pub const PROFILE_LEAN_DEG: f32 = 4.39;

type V3 = [f32; 3];

fn sub(a: V3, b: V3) -> V3 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}
fn dot(a: V3, b: V3) -> f32 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}
fn cross(a: V3, b: V3) -> V3 {
    [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
}
fn normalize(a: V3) -> V3 {
    let n = dot(a, a).sqrt().max(1e-9);
    [a[0] / n, a[1] / n, a[2] / n]
}

/// Pose from the mesh (x right, y down, z away from the camera, all in pixels).
pub fn from_mesh(mesh: &FaceMesh) -> HeadPose {
    let mut x = [0.0f32; 3];
    for &(r, l) in &SYMMETRIC_PAIRS {
        let d = normalize(sub(mesh.point3(l), mesh.point3(r)));
        x = [x[0] + d[0], x[1] + d[1], x[2] + d[2]];
    }
    let x = normalize(x);
    let down = sub(mesh.point3(CHIN), mesh.point3(NASION));
    let k = dot(down, x);
    let y = normalize([down[0] - k * x[0], down[1] - k * x[1], down[2] - k * x[2]]);
    // x (subject's left) × y (down) = z, pointing into the head; the face looks along -z.
    let z = cross(x, y);
    let normal = [-z[0], -z[1], -z[2]];
    let yaw = normal[0].atan2(-normal[2]).to_degrees();
    let pitch =
        (-normal[1]).atan2((normal[0].powi(2) + normal[2].powi(2)).sqrt()).to_degrees() + PROFILE_LEAN_DEG;
    let roll = (-x[1]).atan2(x[0]).to_degrees();
    HeadPose { yaw, pitch, roll }
}
