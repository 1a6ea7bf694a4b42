//! Live guidance at a kiosk camera: one frame in, what the person should do out. A fast path of
//! validation: the frame shrunk to the profile's `[guidance] max_long_side`, the short-range
//! detector first, the mesh, both pose estimates and the eye-state classifier; no segmentation,
//! expression model or hand models. The face parser (glasses, head covering) runs only on a frame
//! that passes everything else. The checks and thresholds are validation's own
//! (`crate::validate::checks`), so a frame guidance calls ready fails the capture only on what
//! guidance does not judge (resolution, background, expression model, hands).

pub mod hint;

pub use hint::Hint;

use crate::detect::BoundingBox;
use crate::error::Result;
use crate::image::SourceInfo;
use crate::image::resize::{Rect, crop_resize};
use crate::quality::face_region::FaceRegion;
use crate::validate::context::{self, Ctx};
use crate::validate::report::Severity;
use crate::validate::{CheckResult, Lang, Profile, Validator, checks};
use image::RgbImage;
use serde::Serialize;

/// One hint with its message in the requested language.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct HintMessage {
    pub code: Hint,
    pub message: &'static str,
}

/// The main face: its box in the frame's own pixels and its pose in degrees (yaw > 0: turned to
/// the person's left; pitch > 0: looking up; roll > 0: tilted counter-clockwise on screen).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Serialize)]
pub struct FacePose {
    /// `[x, y, w, h]`.
    #[serde(rename = "box")]
    #[cfg_attr(feature = "openapi", schema(value_type = [f32; 4]))]
    pub bbox: BoundingBox,
    pub yaw: f32,
    pub pitch: f32,
    pub roll: f32,
}

/// What one frame tells the person.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct Guidance {
    /// True when nothing is left to fix: the frame is worth capturing.
    pub ready: bool,
    /// Most urgent first.
    pub hints: Vec<HintMessage>,
    /// `null` when no face was found.
    pub face: Option<FacePose>,
}

impl Guidance {
    fn new(hints: Vec<Hint>, face: Option<FacePose>, lang: Lang) -> Self {
        Self {
            ready: hints.is_empty() && face.is_some(),
            hints: hints.into_iter().map(|code| HintMessage { code, message: code.message(lang) }).collect(),
            face,
        }
    }

    /// The hint codes alone.
    pub fn codes(&self) -> Vec<Hint> {
        self.hints.iter().map(|h| h.code).collect()
    }
}

/// Guides on one decoded frame with `profile`'s thresholds.
pub fn guide(
    v: &Validator,
    frame: &RgbImage,
    source: SourceInfo,
    profile: &Profile,
    lang: Lang,
) -> Result<Guidance> {
    let g = &profile.guidance;
    let long = frame.width().max(frame.height());
    let scale = (g.max_long_side as f32 / long as f32).min(1.0);
    let small;
    let img = if scale < 1.0 {
        let (w, h) = (
            ((frame.width() as f32 * scale).round() as u32).max(1),
            ((frame.height() as f32 * scale).round() as u32).max(1),
        );
        let whole = Rect { x: 0.0, y: 0.0, w: frame.width() as f32, h: frame.height() as f32 };
        small = crop_resize(frame, whole, w, h)?;
        &small
    } else {
        frame
    };
    let analysis = v.analyzer().analyze_near(img, source)?;
    let Some(face) = analysis.main_face() else {
        return Ok(Guidance::new(vec![Hint::NoFace], None, lang));
    };
    let lm = face.landmarks.as_ref().expect("the main face is always meshed");
    let d = face.detection.bbox;
    let pose = FacePose {
        bbox: BoundingBox { x: d.x / scale, y: d.y / scale, w: d.w / scale, h: d.h / scale },
        yaw: (lm.pose.yaw + lm.pose_net.yaw) / 2.0,
        pitch: (lm.pose.pitch + lm.pose_net.pitch) / 2.0,
        roll: lm.pose.roll,
    };
    let mut first = Vec::new();
    let second = analysis.faces.get(1).map(|f| f.detection.bbox);
    if second.is_some_and(|s| {
        s.area() / d.area().max(1.0) > profile.faces.max_second_face_ratio
            && s.iou(&d) < profile.faces.second_face_max_overlap
    }) {
        first.push(Hint::OnePersonOnly);
    }
    let head = context::head(lm, None);
    let crop = context::crop_rect(&head, profile);
    first.extend(hint::placement(&hint::Placement {
        width: img.width() as f32,
        height: img.height() as f32,
        crop,
        min_crop_height_share: g.min_crop_height_share,
    }));
    let mut ctx = Ctx {
        img,
        source: &analysis.source,
        analysis: &analysis,
        face,
        lm,
        region: FaceRegion::new(img, &lm.mesh, &lm.measures),
        person: None,
        expression: None,
        eye_state: Some(v.eye_state().run(img, &lm.mesh)?),
        parts: None,
        hands: None,
        head,
        frame: crop,
        crop: None,
    };
    let mut results: Vec<CheckResult> = [
        checks::pose::check(&ctx, profile),
        checks::eyes::check(&ctx, profile),
        checks::mouth::check(&ctx, profile),
        checks::capture::check(&ctx, profile),
    ]
    .concat();
    let mut hints = hint::collect(first.clone(), &judged(&mut results, profile));
    if hints.is_empty() && g.parse_when_ready {
        ctx.parts = Some(v.parser().run(img, &lm.mesh)?);
        let mut parsed =
            [checks::glasses::check(&ctx, profile), checks::head_covering::check(&ctx, profile)].concat();
        hints = hint::collect(first, &judged(&mut parsed, profile));
    }
    Ok(Guidance::new(hints, Some(pose), lang))
}

/// The results whose failure the profile rejects (a code it warns on or turns off asks nothing
/// of the person).
fn judged(results: &mut [CheckResult], profile: &Profile) -> Vec<CheckResult> {
    results
        .iter_mut()
        .map(|r| {
            r.severity = profile.severity(r.code);
            r.clone()
        })
        .filter(|r| r.severity == Severity::Reject)
        .collect()
}
