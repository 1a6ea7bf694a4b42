//! Mouth closed and a neutral expression.

use crate::detect::Point;
use crate::landmarks::regions::INNER_LIP_CONTOUR;
use crate::quality::face_region::{FaceRegion, polygon_mask, srgb_to_lab};
use crate::validate::context::Ctx;
use crate::validate::profile::Profile;
use crate::validate::report::{CheckResult, Threshold};

/// Share of the pixels inside the inner lip contour that are not lip: teeth (much lighter) or the
/// mouth's interior (much darker). Full lips that the mesh leaves slightly apart score near 0.
fn interior_share(r: &FaceRegion) -> Option<f32> {
    let upper = r.points[0].midpoint(&r.points[13]);
    let lower = r.points[14].midpoint(&r.points[17]);
    let lips: Vec<usize> = r.disc(upper, 0.04).into_iter().chain(r.disc(lower, 0.04)).collect();
    let lip_l = r.mean_lab(&lips)?[0];
    let contour: Vec<Point> = INNER_LIP_CONTOUR.iter().map(|&i| r.points[i]).collect();
    let inside = polygon_mask(&contour, r.width(), r.height());
    let raw = r.img.as_raw();
    let (mut n, mut other) = (0u32, 0u32);
    for (i, _) in inside.iter().enumerate().filter(|(_, m)| **m) {
        n += 1;
        let l = srgb_to_lab([raw[3 * i], raw[3 * i + 1], raw[3 * i + 2]])[0];
        if (l - lip_l).abs() > 18.0 {
            other += 1;
        }
    }
    Some(if n == 0 { 0.0 } else { other as f32 / n as f32 })
}

/// Mouth corners raised above the lips' centre line, over mouth width, in the upright face crop:
/// about 0 or below for a resting mouth, clearly positive in a smile.
fn smile(r: &FaceRegion) -> f32 {
    let (c1, c2) = (r.points[61], r.points[291]);
    let centre = r.points[13].midpoint(&r.points[14]);
    let corners_y = (c1.y + c2.y) / 2.0;
    (centre.y - corners_y) / c1.distance(&c2).max(1.0)
}

pub fn check(ctx: &Ctx, p: &Profile) -> Vec<CheckResult> {
    let m = &p.mouth;
    // The opening is the lip contour's gap weighted by how much of it shows teeth or mouth.
    let gap = ctx.lm.measures.mouth_openness;
    let opening = match ctx.region.as_ref().and_then(interior_share) {
        Some(share) => gap * share.sqrt(),
        None => gap,
    };
    let mut out = vec![CheckResult::judge(
        "open_mouth",
        "mouth_opening",
        opening,
        Threshold::Max { max: m.max_openness },
    )];
    if let Some(r) = &ctx.region {
        out.push(CheckResult::judge(
            "non_neutral_expression",
            "smile",
            smile(r),
            Threshold::Max { max: m.max_smile },
        ));
    }
    let t = Threshold::Max { max: m.max_expression };
    out.push(match &ctx.expression {
        Some(e) => CheckResult::judge("non_neutral_expression", "expressive_probability", e.expressive(), t),
        None => CheckResult::not_measured(
            "non_neutral_expression",
            "expressive_probability",
            t,
            "expression model not loaded",
        ),
    });
    out
}
