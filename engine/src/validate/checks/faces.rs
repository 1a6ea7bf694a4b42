//! Exactly one person: a second face counts when it is a sizeable share of the main one
//! (OFIQ's single-face measure), so a distant passer-by does not reject a good photo by itself.

use crate::analyze::Analysis;
use crate::validate::profile::Profile;
use crate::validate::report::{CheckResult, Threshold};

pub fn check(analysis: &Analysis, p: &Profile) -> Vec<CheckResult> {
    let ratio = match analysis.faces.as_slice() {
        [first, second, ..] => second.detection.bbox.area() / first.detection.bbox.area().max(1.0),
        _ => 0.0,
    };
    vec![CheckResult::judge(
        "multiple_faces",
        "second_face_area_ratio",
        ratio,
        Threshold::Max { max: p.faces.max_second_face_ratio },
    )]
}
