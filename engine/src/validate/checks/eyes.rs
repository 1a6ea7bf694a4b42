//! Eyes: open, looking at the camera, and free of flash red-eye.

use crate::detect::Point;
use crate::landmarks::regions::{LEFT_EYE, RIGHT_EYE};
use crate::validate::code::Code;
use crate::validate::context::Ctx;
use crate::validate::profile::{Eyes, Profile};
use crate::validate::report::{CheckResult, Threshold};

/// Horizontal iris offset from the eye's centre, over the eye's width, positive towards the
/// image's right.
fn iris_offset(ctx: &Ctx, eye: [usize; 4], iris: Point) -> f32 {
    let mesh = &ctx.lm.mesh;
    let (a, b) = (mesh.point(eye[0]), mesh.point(eye[1]));
    let (l, r) = if a.x < b.x { (a, b) } else { (b, a) };
    let width = l.distance(&r).max(1e-3);
    let axis = ((r.x - l.x) / width, (r.y - l.y) / width);
    let c = l.midpoint(&r);
    ((iris.x - c.x) * axis.0 + (iris.y - c.y) * axis.1) / width
}

/// Gaze direction, degrees: head yaw plus the eye's turn in its socket. An eyeball of ~12 mm
/// radius behind an eye opening of ~30 mm turns by asin(2.5 · offset).
fn gaze_deg(ctx: &Ctx) -> f32 {
    let m = &ctx.lm.mesh;
    let o = (iris_offset(ctx, RIGHT_EYE, m.right_iris[0]) + iris_offset(ctx, LEFT_EYE, m.left_iris[0])) / 2.0;
    ctx.lm.pose.yaw + (2.5 * o).clamp(-1.0, 1.0).asin().to_degrees()
}

/// Share of pupil pixels that are flash-red (strong red, weak green and blue).
fn red_share(ctx: &Ctx, e: &Eyes) -> Option<f32> {
    let m = &ctx.lm.mesh;
    let raw = ctx.img.as_raw();
    let (w, h) = (ctx.img.width() as i32, ctx.img.height() as i32);
    let (mut red, mut total) = (0u32, 0u32);
    for iris in [&m.right_iris, &m.left_iris] {
        let c = iris[0];
        let r = iris[1..].iter().map(|p| p.distance(&c)).sum::<f32>() / 4.0 * 0.6;
        if r < 1.0 {
            continue;
        }
        for y in ((c.y - r) as i32).max(0)..((c.y + r) as i32 + 1).min(h) {
            for x in ((c.x - r) as i32).max(0)..((c.x + r) as i32 + 1).min(w) {
                if (x as f32 - c.x).powi(2) + (y as f32 - c.y).powi(2) > r * r {
                    continue;
                }
                let i = 3 * (y * w + x) as usize;
                let (pr, pg, pb) = (raw[i] as f32, raw[i + 1] as f32, raw[i + 2] as f32);
                total += 1;
                if pr > e.red_eye_min_red && pr > e.red_eye_dominance * pg && pr > e.red_eye_dominance * pb {
                    red += 1;
                }
            }
        }
    }
    (total >= 4).then(|| red as f32 / total as f32)
}

/// Past this yaw the nose hides the far eye, which the parser then cannot see open (labelled closed
/// eyes in the shared sets turn at most 28 degrees).
const MAX_YAW_BOTH_EYES_DEG: f32 = 30.0;

/// The face parser's view of the eyes: no eye pixels on an iris means a closed lid (or something
/// over the eye). It refuses only where the eye-state classifier agrees the eye leans closed, so a
/// mask or a blur that confuses the parser is not called closed eyes.
fn parsed_eye(ctx: &Ctx, e: &Eyes) -> CheckResult {
    const MEASURE: &str = "eye_parsed_share_min";
    let t = Threshold::Min { min: e.min_parsed_eye_share };
    let Some(parts) = &ctx.parts else {
        return CheckResult::not_measured(Code::ClosedEyes, MEASURE, t, "face parts not parsed");
    };
    if ctx.lm.pose.yaw.abs() > MAX_YAW_BOTH_EYES_DEG {
        return CheckResult::not_measured(
            Code::ClosedEyes,
            MEASURE,
            t,
            "head turned too far for both eyes to show",
        );
    }
    let Some(v) = parts.eye_seen_share(&ctx.lm.mesh) else {
        return CheckResult::not_measured(
            Code::ClosedEyes,
            MEASURE,
            t,
            "both eyes behind lenses or outside the parsed crop",
        );
    };
    let out = CheckResult::judge(Code::ClosedEyes, MEASURE, v, t);
    let confirmed = ctx.eye_state.is_some_and(|s| s.min_open() < e.parsed_eye_confirm_below);
    if out.passed || confirmed {
        return out;
    }
    CheckResult { passed: true, ..out }
        .with_note("the eye-state classifier reads the eyes open; the parser alone does not refuse")
}

pub fn check(ctx: &Ctx, p: &Profile) -> Vec<CheckResult> {
    let e = &p.eyes;
    let open = ctx.lm.measures.eye_openness;
    let mut out = vec![
        CheckResult::judge(
            Code::ClosedEyes,
            "eye_openness_min",
            open.right.min(open.left),
            Threshold::Min { min: e.min_openness },
        ),
        CheckResult::judge(
            Code::GazeAway,
            "gaze_deg",
            gaze_deg(ctx).abs(),
            Threshold::Max { max: e.max_gaze_deg },
        ),
    ];
    let t_p = Threshold::Min { min: e.min_open_probability };
    out.push(match ctx.eye_state {
        Some(s) => CheckResult::judge(Code::ClosedEyes, "eye_open_probability_min", s.min_open(), t_p),
        None => {
            CheckResult::not_measured(Code::ClosedEyes, "eye_open_probability_min", t_p, "eye state not read")
        }
    });
    out.push(parsed_eye(ctx, e));
    let t = Threshold::Max { max: e.max_red_share };
    out.push(match red_share(ctx, e) {
        Some(v) => CheckResult::judge(Code::RedEye, "red_pupil_share", v, t),
        None => CheckResult::not_measured(Code::RedEye, "red_pupil_share", t, "pupils too small to judge"),
    });
    out
}
