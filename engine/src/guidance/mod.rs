//! Live guidance at a kiosk camera: one frame in, what the person should do out. A fast path of
//! validation: the frame shrunk to the profile's `[guidance] max_long_side`, the short-range
//! detector first, the mesh, both pose estimates, the eye-state classifier and the blendshapes
//! read from the mesh (about 3 ms; they see a closed-mouth smile); no segmentation,
//! expression model or hand models. The face parser (glasses, head covering) runs only on a frame
//! that passes everything else; on a stream, the caller may hand back the parser's last verdict
//! (`Parsed`) to be reused while the face stays where it was, and have a frame that needs a fresh
//! verdict answered `hold_still` at once instead of parsed (`guide_reusing`, `ParserUse`). The
//! checks and thresholds are validation's own
//! (`crate::validate::checks`), so a frame guidance calls ready fails the capture only on what
//! guidance does not judge (background, expression model, hands; resolution only when the
//! camera's frame cannot hold a crop of `[framing] min_height` at any distance).

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

/// The face parser's verdict on one frame of a stream: the face box it was taken on (in the
/// frame's own pixels) and the hints it gave (glasses, head covering; empty when none).
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub face: BoundingBox,
    pub hints: Vec<Hint>,
}

/// The face box overlap (IoU) with the parsed frame's above which a later frame is taken to show
/// the same face in the same place, so the parser's verdict may stand for it. A still person's
/// box moves by a few pixels between frames (IoU above 0.9); stepping aside or coming closer by a
/// tenth of the face's width takes it below 0.8.
pub const REUSE_MIN_IOU: f32 = 0.8;

impl Parsed {
    /// Whether this verdict may stand for a frame whose main face is `face`.
    pub fn fits(&self, face: &BoundingBox) -> bool {
        self.face.iou(face) >= REUSE_MIN_IOU
    }
}

/// Guidance on one frame of a stream, and what became of the face parser on it.
#[derive(Debug, Clone)]
pub struct Streamed {
    pub guidance: Guidance,
    /// The parser ran on this frame: its verdict, to hand back for later frames.
    pub parsed: Option<Parsed>,
    /// The earlier verdict handed in stood for this frame (the parser did not run).
    pub reused: bool,
    /// The frame needed a fresh verdict and, as `ParserUse::ReuseOrDefer` asked, the parser was
    /// not run: the frame is answered `hold_still`, and the caller parses a frame apart.
    pub deferred: bool,
}

/// What guidance may do with the face parser on a frame that needs it (nothing else left to fix).
#[derive(Debug, Clone, Copy)]
pub enum ParserUse<'a> {
    /// Run it: a single frame, or a stream that keeps no verdict.
    Run,
    /// Reuse this earlier verdict of the same stream while its face box still `fits`; otherwise
    /// do not parse now but answer `hold_still`, so a stream's frames never wait for the parser.
    ReuseOrDefer(Option<&'a Parsed>),
}

/// Guides on one decoded frame with `profile`'s thresholds.
pub fn guide(
    v: &Validator,
    frame: &RgbImage,
    source: SourceInfo,
    profile: &Profile,
    lang: Lang,
) -> Result<Guidance> {
    Ok(guide_reusing(v, frame, source, profile, lang, ParserUse::Run)?.guidance)
}

/// Guides on one frame of a stream. When the frame needs the face parser (nothing else is left to
/// fix) and `parser` hands in the verdict on an earlier frame of the same stream, taken on a face
/// box that still `fits` this frame's, that verdict is reused instead of parsing again: an
/// approximation (glasses put on or taken off while the face stays put are seen only when the
/// caller stops handing the verdict back), which the capture's full validation does not share.
/// The caller decides how long a verdict may be handed back.
pub fn guide_reusing(
    v: &Validator,
    frame: &RgbImage,
    source: SourceInfo,
    profile: &Profile,
    lang: Lang,
    parser: ParserUse<'_>,
) -> Result<Streamed> {
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
        return Ok(Streamed {
            guidance: Guidance::new(vec![Hint::NoFace], None, lang),
            parsed: None,
            reused: false,
            deferred: false,
        });
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
        // The capture judges the crop's pixels in the camera frame, before this shrink.
        min_crop_height_px: hint::min_crop_height_px(profile, frame.width(), frame.height())
            .map_or(0.0, |px| px * scale),
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
        faceapi_expression: None,
        eye_state: Some(v.eye_state().run(img, &lm.mesh)?),
        blendshapes: Some(v.blendshapes().run(&lm.mesh)?),
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
    let (mut parsed, mut reused, mut deferred) = (None, false, false);
    if hints.is_empty() && g.parse_when_ready {
        match parser {
            ParserUse::ReuseOrDefer(Some(p)) if p.fits(&pose.bbox) => {
                hints = p.hints.clone();
                reused = true;
            }
            ParserUse::ReuseOrDefer(_) => {
                hints = vec![Hint::HoldStill];
                deferred = true;
            }
            ParserUse::Run => {
                ctx.parts = Some(v.parser().run(img, &lm.mesh)?);
                let mut results =
                    [checks::glasses::check(&ctx, profile), checks::head_covering::check(&ctx, profile)]
                        .concat();
                hints = hint::collect(first, &judged(&mut results, profile));
                parsed = Some(Parsed { face: pose.bbox, hints: hints.clone() });
            }
        }
    }
    Ok(Streamed { guidance: Guidance::new(hints, Some(pose), lang), parsed, reused, deferred })
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
