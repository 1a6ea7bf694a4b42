//! Mouth closed and a neutral expression.

use crate::detect::Point;
use crate::image::ColourKind;
use crate::landmarks::regions::{CHIN, INNER_LIP_CONTOUR, OUTER_LIP_CONTOUR};
use crate::quality::face_region::{FaceRegion, polygon_mask, srgb_to_lab};
use crate::validate::code::Code;
use crate::validate::context::Ctx;
use crate::validate::profile::{Mouth, Profile};
use crate::validate::report::{CheckResult, Threshold};

/// Share of the mouth between the lips' mid-lines (halfway between the outer and inner lip
/// contours) that shows teeth or the mouth's interior. The mid-line polygon holds the inner half
/// of each lip and whatever lies between the lips, but no skin, so it sees teeth even when the
/// mesh draws the inner contour closed over them (a smile with teeth).
/// - teeth: clearly lighter than the lips and, in colour, clearly less red;
/// - interior: clearly darker than the lips.
fn teeth_or_interior_share(r: &FaceRegion, colour: bool, m: &Mouth) -> Option<f32> {
    let upper = r.points[0].midpoint(&r.points[13]);
    let lower = r.points[14].midpoint(&r.points[17]);
    let lips: Vec<usize> = r.disc(upper, 0.04).into_iter().chain(r.disc(lower, 0.04)).collect();
    let lip = r.mean_lab(&lips)?;
    let mid: Vec<Point> = OUTER_LIP_CONTOUR
        .iter()
        .zip(INNER_LIP_CONTOUR.iter())
        .map(|(&o, &i)| r.points[o].midpoint(&r.points[i]))
        .collect();
    let inside = polygon_mask(&mid, r.width(), r.height());
    let raw = r.img.as_raw();
    let (mut n, mut other) = (0u32, 0u32);
    for (i, _) in inside.iter().enumerate().filter(|(_, m)| **m) {
        n += 1;
        let lab = srgb_to_lab([raw[3 * i], raw[3 * i + 1], raw[3 * i + 2]]);
        let teeth = lab[0] > lip[0] + m.teeth_lightness && (!colour || lab[1] < lip[1] - m.teeth_redness);
        let interior = lab[0] < lip[0] - m.interior_darkness;
        if teeth || interior {
            other += 1;
        }
    }
    Some(if n == 0 { 0.0 } else { other as f32 / n as f32 })
}

/// The largest inner-lip gap over the eye-to-chin distance, as OFIQ normalises its mouth-closed
/// measure (independent of mouth width, which a smile changes).
fn gap_eye_chin(r: &FaceRegion) -> f32 {
    let gap = [(82usize, 87usize), (13, 14), (312, 317)]
        .iter()
        .map(|&(a, b)| r.points[a].distance(&r.points[b]))
        .fold(0f32, f32::max);
    (gap / (r.points[CHIN].y - r.eyes().y).max(1.0)).max(0.0)
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
    let mut out = Vec::new();
    let t_open = Threshold::Max { max: m.max_openness };
    let colour = !matches!(ctx.source.colour, ColourKind::Gray | ColourKind::GrayAlpha);
    // The lip gap counts as far as teeth or the mouth's interior show in it: full lips that the
    // mesh leaves slightly apart are not an open mouth, a smile baring teeth is.
    match ctx.region.as_ref().and_then(|r| Some((r, teeth_or_interior_share(r, colour, &p.mouth)?))) {
        Some((r, share)) => out.push(CheckResult::judge(
            Code::OpenMouth,
            "lip_gap_x_teeth",
            gap_eye_chin(r) * share.sqrt(),
            t_open,
        )),
        None => out.push(CheckResult::not_measured(
            Code::OpenMouth,
            "lip_gap_x_teeth",
            t_open,
            "face region unavailable",
        )),
    }
    let t_shape = Threshold::Max { max: m.max_smile_shape };
    out.push(match ctx.blendshapes {
        Some(b) => CheckResult::judge(Code::NonNeutralExpression, "smile_shape", b.smile(), t_shape),
        None => CheckResult::not_measured(
            Code::NonNeutralExpression,
            "smile_shape",
            t_shape,
            "blendshapes not read",
        ),
    });
    let t_smile = Threshold::Max { max: m.max_smile };
    out.push(match &ctx.region {
        Some(r) => CheckResult::judge(Code::NonNeutralExpression, "smile", smile(r), t_smile),
        None => {
            CheckResult::not_measured(Code::NonNeutralExpression, "smile", t_smile, "face region unavailable")
        }
    });
    let t = Threshold::Max { max: m.max_expression };
    out.push(match &ctx.expression {
        Some(e) => {
            CheckResult::judge(Code::NonNeutralExpression, "expressive_probability", e.expressive(), t)
        }
        None => CheckResult::not_measured(
            Code::NonNeutralExpression,
            "expressive_probability",
            t,
            "expression model not loaded",
        ),
    });
    out.push(mouth_expression(ctx, p));
    out
}

/// The second classifier's smile-or-grimace probability. It reads the mouth, so where the face
/// parser finds the mouth covered (by the occlusion check's own line) a mask would read as a
/// smile: the measure is not taken, and the occlusion check names the real defect.
fn mouth_expression(ctx: &Ctx, p: &Profile) -> CheckResult {
    const MEASURE: &str = "mouth_expression_probability";
    let t = Threshold::Max { max: p.mouth.max_mouth_expression };
    let covered = ctx
        .parts
        .as_ref()
        .and_then(|f| f.mouth_visible(&ctx.lm.mesh))
        .is_some_and(|v| v < p.occlusion.min_mouth_visible);
    match &ctx.faceapi_expression {
        None => {
            CheckResult::not_measured(Code::NonNeutralExpression, MEASURE, t, "expression model not loaded")
        }
        Some(_) if covered => CheckResult::not_measured(
            Code::NonNeutralExpression,
            MEASURE,
            t,
            "the mouth is covered: its expression cannot be read",
        ),
        Some(e) => CheckResult::judge(Code::NonNeutralExpression, MEASURE, e.mouth_expression(), t),
    }
}
