//! Exactly one person: a second face counts when it is a sizeable share of the main one
//! (OFIQ's single-face measure), so a distant passer-by does not reject a good photo by itself.

use crate::analyze::Analysis;
use crate::detect::Detection;
use crate::validate::profile::Profile;
use crate::validate::report::{CheckResult, Threshold};

/// `edge_faces` are the faces of a second, padded detection pass; those that are not the main
/// face count as further people.
pub fn check(analysis: &Analysis, edge_faces: &[Detection], p: &Profile) -> Vec<CheckResult> {
    let Some(main) = analysis.faces.first() else { return Vec::new() };
    let main_area = main.detection.bbox.area().max(1.0);
    let others = analysis.faces[1..]
        .iter()
        .map(|f| f.detection)
        .chain(edge_faces.iter().copied().filter(|d| d.bbox.iou(&main.detection.bbox) < 0.3));
    let ratio = others.map(|d| d.bbox.area() / main_area).fold(0.0f32, f32::max);
    vec![CheckResult::judge(
        "multiple_faces",
        "second_face_area_ratio",
        ratio,
        Threshold::Max { max: p.faces.max_second_face_ratio },
    )]
}
