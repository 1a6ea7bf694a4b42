//! Exactly one person: a second face counts when it is a sizeable share of the main one
//! (OFIQ's single-face measure), so a distant passer-by does not reject a good photo by itself;
//! a second person the detector cannot see as a face (turned away, cut by the frame edge) counts
//! when the person segmentation finds a separate body of some size.

use crate::detect::Detection;
use crate::validate::code::Code;
use crate::validate::profile::Profile;
use crate::validate::report::{CheckResult, Threshold};

/// `others` are the confirmed faces other than `main`, from the main and the edge detection pass;
/// `other_person` the largest person region apart from the main one, over the main face box.
pub fn check(
    main: &Detection,
    others: &[Detection],
    other_person: Option<f32>,
    p: &Profile,
) -> Vec<CheckResult> {
    let main_area = main.bbox.area().max(1.0);
    let ratio = others.iter().map(|d| d.bbox.area() / main_area).fold(0.0f32, f32::max);
    let t_person = Threshold::Max { max: p.faces.max_other_person_ratio };
    vec![
        CheckResult::judge(
            Code::MultipleFaces,
            "second_face_area_ratio",
            ratio,
            Threshold::Max { max: p.faces.max_second_face_ratio },
        ),
        match other_person {
            Some(v) => CheckResult::judge(Code::MultipleFaces, "other_person_area_ratio", v, t_person),
            None => CheckResult::not_measured(
                Code::MultipleFaces,
                "other_person_area_ratio",
                t_person,
                "segmentation not run",
            ),
        },
    ]
}
