//! Alignment crops for the recognition models: the ArcFace 112x112 five-point crop and dlib's
//! 150x150 chip. Both are similarity transforms of five landmarks onto a fixed template.

use crate::detect::Point;
use crate::geometry::FaceMeasures;
use crate::image::warp::{Affine, warp_crop};
use crate::landmarks::FaceMesh;
use crate::landmarks::regions::{MOUTH_CORNERS, NOSE_TIP};
use image::RgbImage;

/// Five points in image order: right eye, left eye, nose tip, right and left mouth corner
/// (subject's right first, which is the image's left).
pub type FivePoints = [Point; 5];

/// The InsightFace/ArcFace template for a 112x112 crop.
pub const ARCFACE_112: [(f32, f32); 5] = [
    (38.2946, 51.6963),
    (73.5318, 51.5014),
    (56.0252, 71.7366),
    (41.5493, 92.3655),
    (70.7299, 92.2041),
];

/// Where dlib's `get_face_chip_details(shape, 150, 0.25)` puts the same five points, measured
/// with Sapa's own mesh on the reference chip in `../shared/models/cases/rec_dlib_resnet_v1_150`.
pub const DLIB_150: [(f32, f32); 5] = [
    (51.5, 61.0),
    (98.5, 61.0),
    (75.0, 90.0),
    (55.0, 111.0),
    (95.0, 111.0),
];

/// The five alignment points of a meshed face.
pub fn five_points(mesh: &FaceMesh, measures: &FaceMeasures) -> FivePoints {
    [
        measures.right_eye,
        measures.left_eye,
        mesh.point(NOSE_TIP),
        mesh.point(MOUTH_CORNERS[0]),
        mesh.point(MOUTH_CORNERS[1]),
    ]
}

/// Warps `img` so that `points` land on `template` in a `size` x `size` crop.
pub fn align(
    img: &RgbImage,
    points: &FivePoints,
    template: &[(f32, f32); 5],
    size: u32,
) -> Option<RgbImage> {
    let src: Vec<(f32, f32)> = points.iter().map(|p| (p.x, p.y)).collect();
    let to_crop = Affine::estimate_similarity(&src, template)?;
    let to_src = to_crop.inverse()?;
    Some(warp_crop(img, &to_src, size, size, [0, 0, 0]))
}

/// The ArcFace-style 112x112 crop (rec_faceplugin_512, rec_mobilefacenet_192).
pub fn arcface_112(img: &RgbImage, points: &FivePoints) -> Option<RgbImage> {
    align(img, points, &ARCFACE_112, 112)
}

/// dlib's 150x150 chip with 25% padding (rec_dlib_resnet_v1_150).
pub fn dlib_150(img: &RgbImage, points: &FivePoints) -> Option<RgbImage> {
    align(img, points, &DLIB_150, 150)
}
