//! The overlay from what the checks read (`Ctx`) and what they concluded (`Report`): a pure
//! function, so the CLI, the service and the batch report draw the same thing.

use super::{Band, Boxed, Landmark, Overlay, PoseAxes, Region};
use crate::detect::{Detection, Point};
use crate::landmarks::regions::{
    CHIN, FACE_OVAL, LEFT_EYE, MOUTH_CORNERS, NASION, NOSE_TIP, OUTER_LIP_CONTOUR, RIGHT_EYE,
};
use crate::validate::context::Ctx;
use crate::validate::{Code, Profile, Report, Severity, Status};

/// Builds the overlay of one validated face. `others` are the confirmed second faces the
/// `multiple_faces` check counted.
pub fn build(ctx: &Ctx, others: &[Detection], report: &Report, profile: &Profile) -> Overlay {
    let (w, h) = (ctx.img.width(), ctx.img.height());
    let mesh = &ctx.lm.mesh;
    let m = &ctx.lm.measures;
    let head = &ctx.head;
    let b = ctx.face.detection.bbox;
    let face = [b.x, b.y, b.w, b.h];
    let point = |name: &str, p: Point| Landmark { name: name.to_string(), x: p.x, y: p.y };
    let landmarks = vec![
        point("right_eye", m.right_eye),
        point("left_eye", m.left_eye),
        point("nose_tip", mesh.point(NOSE_TIP)),
        point("mouth_right", mesh.point(MOUTH_CORNERS[0])),
        point("mouth_left", mesh.point(MOUTH_CORNERS[1])),
        point("chin", mesh.point(CHIN)),
        point("crown", Point::new(head.eyes.x, head.crown_y)),
    ];

    let fr = ctx.frame;
    let f = &profile.framing;
    let eye_band = Band {
        y_min: fr.y + f.eye_y_min * fr.h,
        y_max: fr.y + f.eye_y_max * fr.h,
        x: fr.x,
        w: fr.w,
        holds: false,
    };
    let eye_band = Band { holds: (eye_band.y_min..=eye_band.y_max).contains(&head.eyes.y), ..eye_band };
    // The crown's place for a head height within [min, max] of the frame, the chin where it is.
    let head_band = Band {
        y_min: head.chin_y - f.head_height_max * fr.h,
        y_max: head.chin_y - f.head_height_min * fr.h,
        x: fr.x,
        w: fr.w,
        holds: false,
    };
    let head_band = Band { holds: (head_band.y_min..=head_band.y_max).contains(&head.crown_y), ..head_band };

    let (pose, net) = (ctx.lm.pose, ctx.lm.pose_net);
    // The same angles the pose checks judge.
    let axes = pose_axes(
        mesh.point(NOSE_TIP),
        0.6 * head.eye_to_chin,
        (pose.yaw + net.yaw) / 2.0,
        (pose.pitch + net.pitch) / 2.0,
        pose.roll,
    );

    let places = Places::new(ctx);
    let mut regions: Vec<Region> = Vec::new();
    let mut unplaced: Vec<Code> = Vec::new();
    for c in report.checks.iter().filter(|c| !c.passed && c.status != Status::NotMeasured) {
        let rejects = c.severity == Severity::Reject;
        let boxes: Vec<Boxed> = match (c.code, c.measure) {
            (Code::MultipleFaces, "second_face_area_ratio") => {
                others.iter().map(|d| [d.bbox.x, d.bbox.y, d.bbox.w, d.bbox.h]).collect()
            }
            (Code::Tilted, "frame_rotation_deg") => vec![[0.0, 0.0, w as f32, h as f32]],
            (Code::HeadCropped | Code::FaceTooSmall | Code::FaceTooLarge | Code::OffCenter, _) => {
                vec![places.head]
            }
            (Code::LowRes, "inter_eye_px") => vec![places.eyes],
            (Code::TurnedHead | Code::Tilted | Code::NonNeutralExpression, _) => vec![face],
            (Code::Occlusion, "hand_on_face_share") => {
                vec![[b.x - 0.1 * b.w, b.y - 0.1 * b.h, 1.2 * b.w, 1.2 * b.h]]
            }
            (Code::Occlusion, "mouth_visible_share") | (Code::OpenMouth, _) => vec![places.mouth],
            (Code::Occlusion, "nose_visible_share") => vec![places.nose],
            (Code::Occlusion, _) | (Code::Glasses | Code::ClosedEyes | Code::GazeAway | Code::RedEye, _) => {
                vec![places.eyes]
            }
            (Code::HeadCovering, _) => vec![places.head],
            (Code::UnevenLighting, _) => vec![places.darker_half(ctx.img)],
            (Code::Blur | Code::LowDynamicRange | Code::ColourCast, _) => vec![places.oval],
            (Code::Underexposed | Code::Overexposed, m) if m != "white_point_luminance" => vec![places.oval],
            (Code::CompressionArtifacts, "blockiness") => {
                vec![[b.x - 0.25 * b.w, b.y - 0.25 * b.h, 1.5 * b.w, 1.5 * b.h]]
            }
            _ => Vec::new(),
        };
        if boxes.is_empty() {
            if !unplaced.contains(&c.code) {
                unplaced.push(c.code);
            }
            continue;
        }
        for rect in boxes {
            if !regions.iter().any(|r| r.code == c.code && r.rect == rect) {
                regions.push(Region { code: c.code, measure: c.measure.to_string(), rect, rejects });
            }
        }
    }
    regions.sort_by_key(|r| (!r.rejects, r.code));
    unplaced.retain(|c| !regions.iter().any(|r| r.code == *c));
    unplaced.sort();

    Overlay {
        width: w,
        height: h,
        face: Some(face),
        landmarks,
        crop: report.crop.map(|c| c.rect),
        eye_band: Some(eye_band),
        head_band: Some(head_band),
        pose: Some(axes),
        regions,
        unplaced,
    }
}

/// The head's axes, rotated by pitch, then yaw, then roll from a frontal head, projected
/// orthographically (x right, y down, z away from the camera).
pub fn pose_axes(origin: Point, len: f32, yaw: f32, pitch: f32, roll: f32) -> PoseAxes {
    let (sy, cy) = yaw.to_radians().sin_cos();
    let (sp, cp) = pitch.to_radians().sin_cos();
    let (sr, cr) = roll.to_radians().sin_cos();
    let rotate = |v: [f32; 3]| {
        let v = [v[0], v[1] * cp + v[2] * sp, -v[1] * sp + v[2] * cp];
        let v = [v[0] * cy - v[2] * sy, v[1], v[0] * sy + v[2] * cy];
        [v[0] * cr + v[1] * sr, -v[0] * sr + v[1] * cr]
    };
    let end = |v: [f32; 3]| {
        let p = rotate(v);
        [origin.x + len * p[0], origin.y + len * p[1]]
    };
    PoseAxes {
        origin: [origin.x, origin.y],
        x_end: end([1.0, 0.0, 0.0]),
        y_end: end([0.0, 1.0, 0.0]),
        z_end: end([0.0, 0.0, -1.0]),
        yaw_deg: yaw,
        pitch_deg: pitch,
        roll_deg: roll,
    }
}

/// The face's parts as boxes, from the mesh.
struct Places {
    head: Boxed,
    eyes: Boxed,
    mouth: Boxed,
    nose: Boxed,
    oval: Boxed,
}

fn bounds(points: impl Iterator<Item = Point>, pad: f32) -> Boxed {
    let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
    for p in points {
        (x0, y0, x1, y1) = (x0.min(p.x), y0.min(p.y), x1.max(p.x), y1.max(p.y));
    }
    [x0 - pad, y0 - pad, x1 - x0 + 2.0 * pad, y1 - y0 + 2.0 * pad]
}

impl Places {
    fn new(ctx: &Ctx) -> Self {
        let mesh = &ctx.lm.mesh;
        let head = &ctx.head;
        let ied = ctx.lm.measures.inter_eye_px.max(1.0);
        let eyes = bounds(RIGHT_EYE.iter().chain(&LEFT_EYE).map(|&i| mesh.point(i)), 0.25 * ied);
        let mouth = bounds(OUTER_LIP_CONTOUR.iter().map(|&i| mesh.point(i)), 0.1 * ied);
        let tip = mesh.point(NOSE_TIP);
        let nasion = mesh.point(NASION);
        let nose = [tip.x - 0.3 * ied, nasion.y, 0.6 * ied, (tip.y - nasion.y).max(1.0) + 0.15 * ied];
        let oval = bounds(FACE_OVAL.iter().map(|&i| mesh.point(i)), 0.0);
        Places {
            head: [head.left_x, head.crown_y, head.right_x - head.left_x, head.height()],
            eyes,
            mouth,
            nose,
            oval,
        }
    }

    /// The darker half (left or right on the photo) of the face oval's box: where the shadow is.
    fn darker_half(&self, img: &image::RgbImage) -> Boxed {
        let [x, y, w, h] = self.oval;
        let mean = |x0: f32, x1: f32| {
            let (mut s, mut n) = (0f64, 0u32);
            let ys = (y.max(0.0) as u32)..((y + h).min(img.height() as f32).max(0.0) as u32);
            for py in ys.step_by(2) {
                for px in ((x0.max(0.0) as u32)..(x1.min(img.width() as f32).max(0.0) as u32)).step_by(2) {
                    let p = img.get_pixel(px, py).0;
                    s += 0.299 * p[0] as f64 + 0.587 * p[1] as f64 + 0.114 * p[2] as f64;
                    n += 1;
                }
            }
            s / n.max(1) as f64
        };
        let half = w / 2.0;
        if mean(x, x + half) <= mean(x + half, x + w) { [x, y, half, h] } else { [x + half, y, half, h] }
    }
}
