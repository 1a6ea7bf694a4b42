//! Glasses, face coverings and head coverings. No registry model parses faces into hair, skin,
//! hats and glasses, so these read the face crop directly:
//! - glasses: a frame's bridge and rims are horizontal edges where bare skin is smooth (the nasal
//!   bridge between the eyes and the band just below each eye);
//! - face covering: the lower face no longer has the colour of the cheeks;
//! - head covering: the head rises further above the hairline than hair does.

use crate::detect::Point;
use crate::landmarks::regions::{CHIN, FOREHEAD_TOP, INNER_LIPS};
use crate::quality::face_region::{FaceRegion, srgb_to_lab};
use crate::validate::context::Ctx;
use crate::validate::profile::Profile;
use crate::validate::report::{CheckResult, Threshold};

/// Mean absolute vertical luminance gradient (horizontal edges) over `pixels`.
fn horizontal_edges(r: &FaceRegion, pixels: &[usize]) -> f32 {
    let w = r.width() as usize;
    let n = r.luma.len();
    let (mut acc, mut cnt) = (0f32, 0f32);
    for &i in pixels {
        if i < w || i + w >= n {
            continue;
        }
        acc += (r.luma[i + w] - r.luma[i - w]).abs() / 2.0;
        cnt += 1.0;
    }
    acc / cnt.max(1.0)
}

/// Mean gradient magnitude over the face: the contrast the edge measures are judged against.
fn face_gradient(r: &FaceRegion) -> f32 {
    let w = r.width() as usize;
    let n = r.luma.len();
    let (mut acc, mut cnt) = (0f32, 0f32);
    for i in r.face_pixels() {
        if i < w + 1 || i + w + 1 >= n {
            continue;
        }
        let gx = (r.luma[i + 1] - r.luma[i - 1]) / 2.0;
        let gy = (r.luma[i + w] - r.luma[i - w]) / 2.0;
        acc += (gx * gx + gy * gy).sqrt();
        cnt += 1.0;
    }
    acc / cnt.max(1.0)
}

/// Edge strength on the nasal bridge and under the eyes, relative to the face's own contrast.
pub fn glasses_score(r: &FaceRegion, right_eye: Point, left_eye: Point) -> f32 {
    let mid = right_eye.midpoint(&left_eye);
    let up = r.ied * 0.05;
    let bridge = r.rect(Point::new(mid.x, mid.y - up), 0.22, 0.30);
    let below = |e: Point| r.rect(Point::new(e.x, e.y + 0.42 * r.ied), 0.45, 0.14);
    let rims: Vec<usize> = below(right_eye).into_iter().chain(below(left_eye)).collect();
    let base = face_gradient(r) + 1.0;
    (horizontal_edges(r, &bridge) + 0.5 * horizontal_edges(r, &rims)) / base
}

/// Share of the lower face (around the mouth and chin) whose colour is far from the cheeks'.
pub fn lower_face_occlusion(r: &FaceRegion) -> Option<f32> {
    let cheeks: Vec<usize> = [50usize, 280].iter().flat_map(|&k| r.disc(r.points[k], 0.18)).collect();
    let skin = r.mean_lab(&cheeks)?;
    let mouth = r.points[INNER_LIPS[0]].midpoint(&r.points[INNER_LIPS[1]]);
    let chin = r.points[CHIN];
    let lower: Vec<usize> =
        r.disc(mouth.midpoint(&chin), 0.35).into_iter().filter(|&i| r.face_mask[i]).collect();
    if lower.is_empty() {
        return None;
    }
    let raw = r.img.as_raw();
    let far = lower
        .iter()
        .filter(|&&i| {
            let lab = srgb_to_lab([raw[3 * i], raw[3 * i + 1], raw[3 * i + 2]]);
            ((lab[1] - skin[1]).powi(2) + (lab[2] - skin[2]).powi(2)).sqrt() > 15.0
        })
        .count();
    Some(far as f32 / lower.len() as f32)
}

pub fn check(ctx: &Ctx, p: &Profile) -> Vec<CheckResult> {
    let o = &p.occlusion;
    let mut out = Vec::new();
    let t_g = Threshold::Max { max: o.max_glasses };
    let t_o = Threshold::Max { max: o.max_lower_face_occlusion };
    match &ctx.region {
        Some(r) => {
            let (re, le) = (ctx.lm.measures.right_eye, ctx.lm.measures.left_eye);
            let (re, le) = (r.to_crop.apply(re.x, re.y), r.to_crop.apply(le.x, le.y));
            out.push(CheckResult::judge(
                "glasses",
                "glasses_score",
                glasses_score(r, Point::new(re.0, re.1), Point::new(le.0, le.1)),
                t_g,
            ));
            out.push(match lower_face_occlusion(r) {
                Some(v) => CheckResult::judge("occlusion", "lower_face_non_skin_share", v, t_o),
                None => CheckResult::not_measured(
                    "occlusion",
                    "lower_face_non_skin_share",
                    t_o,
                    "lower face not visible",
                ),
            });
        }
        None => {
            out.push(CheckResult::not_measured("glasses", "glasses_score", t_g, "face region unavailable"));
            out.push(CheckResult::not_measured(
                "occlusion",
                "lower_face_non_skin_share",
                t_o,
                "face region unavailable",
            ));
        }
    }
    // Head covering: how far the head rises above the hairline, over the hairline-to-chin length.
    let t_h = Threshold::Max { max: o.max_head_covering };
    let top = ctx.lm.mesh.point(FOREHEAD_TOP);
    let h = &ctx.head;
    out.push(if h.crown_measured {
        let rise = (top.y - h.crown_y) / (h.chin_y - top.y).max(1.0);
        CheckResult::judge("head_covering", "crown_rise_ratio", rise, t_h)
    } else {
        CheckResult::not_measured("head_covering", "crown_rise_ratio", t_h, "crown not found by segmentation")
    });
    out
}
