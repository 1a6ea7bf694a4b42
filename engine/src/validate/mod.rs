//! Document-photo validation: ICAO 9303 / ISO 19794-5 geometry, ISO/IEC 29794-5 quality components
//! and the national profile, each check reporting its value, threshold and verdict.

pub mod checks;
pub mod code;
pub mod context;
pub mod judged;
pub mod messages;
pub mod policy;
pub mod profile;
pub mod report;

pub use code::Code;
pub use messages::Lang;
pub use profile::Profile;
pub use report::{CheckResult, CropProposal, Decision, Report, Severity, Status, Threshold, Unmeasurable};

use crate::analyze::{Analysis, Analyzer};
use crate::detect::Detection;
use crate::error::Result;
use crate::image::SourceInfo;
use crate::image::resize::crop_resize;
use crate::models::load_model;
use crate::overlay::Overlay;
use crate::quality::blendshapes::BlendshapeModel;
use crate::quality::expression::ExpressionModel;
use crate::quality::eye_state::EyeStateModel;
use crate::quality::face_parsing::FaceParser;
use crate::quality::face_region::FaceRegion;
use crate::quality::faceapi_expression::FaceApiExpressionModel;
use crate::quality::hands::HandModels;
use crate::quality::segmentation::Segmenter;
use context::Ctx;
use image::RgbImage;
use std::path::Path;

/// The analysis a verdict was reached on, and the verdict.
pub struct Validation {
    pub analysis: Analysis,
    pub report: Report,
}

/// The analyzer plus the models only validation needs.
pub struct Validator {
    analyzer: Analyzer,
    segmenter: Segmenter,
    expression: ExpressionModel,
    faceapi_expression: FaceApiExpressionModel,
    eye_state: EyeStateModel,
    blendshapes: BlendshapeModel,
    parser: FaceParser,
    hands: HandModels,
}

impl Validator {
    pub fn load(models_dir: &Path, analyzer: Analyzer) -> Result<Self> {
        let backend = analyzer.backend().clone();
        let segmenter = Segmenter::new(load_model(models_dir, Segmenter::MODEL_ID, &backend)?);
        let expression = ExpressionModel::new(load_model(models_dir, ExpressionModel::MODEL_ID, &backend)?);
        let faceapi_expression =
            FaceApiExpressionModel::new(load_model(models_dir, FaceApiExpressionModel::MODEL_ID, &backend)?);
        let eye_state = EyeStateModel::new(load_model(models_dir, EyeStateModel::MODEL_ID, &backend)?);
        let blendshapes = BlendshapeModel::new(load_model(models_dir, BlendshapeModel::MODEL_ID, &backend)?);
        let parser = FaceParser::new(load_model(models_dir, FaceParser::MODEL_ID, &backend)?);
        let hands = HandModels::new(
            load_model(models_dir, HandModels::PALM_ID, &backend)?,
            load_model(models_dir, HandModels::LANDMARK_ID, &backend)?,
        );
        Ok(Self {
            analyzer,
            segmenter,
            expression,
            faceapi_expression,
            eye_state,
            blendshapes,
            parser,
            hands,
        })
    }

    pub fn analyzer(&self) -> &Analyzer {
        &self.analyzer
    }

    /// The eye-state classifier (live guidance reads it on every frame).
    pub(crate) fn eye_state(&self) -> &EyeStateModel {
        &self.eye_state
    }

    /// The blendshapes model (live guidance reads it on every frame: about 3 ms, no pixels read).
    pub(crate) fn blendshapes(&self) -> &BlendshapeModel {
        &self.blendshapes
    }

    /// The face parser (live guidance runs it only on a frame otherwise ready).
    pub(crate) fn parser(&self) -> &FaceParser {
        &self.parser
    }

    /// Decodes and validates one photo. Intake problems are errors; everything about the photo
    /// itself (no face included) is a report.
    pub fn validate_bytes(&self, bytes: &[u8], profile: &Profile, lang: Lang) -> Result<Validation> {
        let decoded = self.analyzer.decode(bytes)?;
        self.validate(&decoded.rgb, decoded.source, profile, lang)
    }

    pub fn validate(
        &self,
        img: &RgbImage,
        source: SourceInfo,
        profile: &Profile,
        lang: Lang,
    ) -> Result<Validation> {
        let analysis = self.analyzer.analyze(img, source)?;
        let report = self.judge(img, &analysis, profile, lang)?;
        Ok(Validation { analysis, report })
    }

    /// Runs every check of `profile` on an analysed photo.
    pub fn judge(
        &self,
        img: &RgbImage,
        analysis: &Analysis,
        profile: &Profile,
        lang: Lang,
    ) -> Result<Report> {
        // One path for both, so a report never differs by whether its overlay was asked for; the
        // overlay's geometry costs next to nothing beside the models.
        Ok(self.judge_with_overlay(img, analysis, profile, lang)?.0)
    }

    /// As [`Validator::judge`], with the overlay of what the checks saw (`crate::overlay`).
    pub fn judge_with_overlay(
        &self,
        img: &RgbImage,
        analysis: &Analysis,
        profile: &Profile,
        lang: Lang,
    ) -> Result<(Report, Overlay)> {
        let Some(face) = analysis.main_face() else {
            let no_face = CheckResult::judge(Code::NoFace, "faces_found", 0.0, Threshold::Min { min: 1.0 });
            let report = Report::new(&profile.name, vec![no_face], None, lang);
            return Ok((report, Overlay::empty(img.width(), img.height())));
        };
        let ctx = self.context(img, analysis, face, profile)?;
        let (results, others) = self.checks_and_faces(&ctx, profile)?;
        let report = Report::new(&profile.name, results, ctx.crop, lang);
        let overlay = crate::overlay::build::build(&ctx, &others, &report, profile);
        Ok((report, overlay))
    }

    /// What the checks see of one face: the models' readings, the upright face region, the head
    /// and the frame it is judged in.
    pub fn context<'a>(
        &self,
        img: &'a RgbImage,
        analysis: &'a Analysis,
        face: &'a crate::analyze::Face,
        profile: &Profile,
    ) -> Result<Ctx<'a>> {
        let lm = face.landmarks.as_ref().expect("the main face is always meshed");
        let person = Some(self.segmenter.run(img)?);
        let expression = Some(self.expression.run(img, &face.detection)?);
        let faceapi_expression = Some(self.faceapi_expression.run(img, &face.detection)?);
        let eye_state = Some(self.eye_state.run(img, &lm.mesh)?);
        let blendshapes = Some(self.blendshapes.run(&lm.mesh)?);
        let parts = Some(self.parser.run(img, &lm.mesh)?);
        let hands = Some(self.hands.run(img, &face.detection.bbox)?);
        let region = FaceRegion::new(img, &lm.mesh, &lm.measures);
        let head = context::head(lm, person.as_ref());
        let crop = context::propose_crop(&head, profile, img.width(), img.height());
        let frame = context::frame(profile, crop.as_ref(), img.width(), img.height());
        Ok(Ctx {
            img,
            source: &analysis.source,
            analysis,
            face,
            lm,
            region,
            person,
            expression,
            faceapi_expression,
            eye_state,
            blendshapes,
            parts,
            hands,
            head,
            frame,
            crop,
        })
    }

    /// Runs every check of `profile` on a face's context, with the profile's severities and its
    /// policy for what could not be measured applied.
    pub fn checks(&self, ctx: &Ctx, profile: &Profile) -> Result<Vec<CheckResult>> {
        Ok(self.checks_and_faces(ctx, profile)?.0)
    }

    /// The checks, and the second faces `multiple_faces` counted (for the overlay).
    fn checks_and_faces(&self, ctx: &Ctx, profile: &Profile) -> Result<(Vec<CheckResult>, Vec<Detection>)> {
        let (img, analysis, face) = (ctx.img, ctx.analysis, ctx.face);
        let mut results = vec![CheckResult::judge(
            Code::NoFace,
            "faces_found",
            analysis.faces.len() as f32,
            Threshold::Min { min: 1.0 },
        )];
        // Faces of the edge pass count only where the person mask agrees that a person is there.
        let edge_faces = self
            .analyzer
            .detect_padded(img, profile.faces.edge_pass_fill, profile.faces.edge_pass_min_score)?
            .into_iter()
            .filter(|d| {
                ctx.person.as_ref().is_some_and(|m| {
                    m.coverage(d.bbox.x, d.bbox.y, d.bbox.w, d.bbox.h)
                        >= profile.faces.edge_face_min_person_coverage
                })
            });
        // Every other face, of either pass, counts only when the landmark model also sees a face
        // there (its face-presence score): a ball or a poster can look like half a face to the
        // detector, but not to the mesh.
        let main = face.detection.bbox;
        let mut others = Vec::new();
        for d in analysis.faces[1..].iter().map(|f| f.detection).chain(edge_faces) {
            let overlap = profile.faces.second_face_max_overlap;
            let new = d.bbox.iou(&main) < overlap
                && others.iter().all(|o: &Detection| o.bbox.iou(&d.bbox) < overlap);
            if new && self.analyzer.mesh(img, &d)?.presence >= profile.faces.min_face_presence {
                others.push(d);
            }
        }
        let other_person = ctx.person.as_ref().map(|m| m.other_person_ratio(main.x, main.y, main.w, main.h));
        results.extend(checks::faces::check(&face.detection, &others, other_person, profile));
        results.extend(checks::framing::check(ctx, profile));
        results.extend(checks::pose::check(ctx, profile));
        results.extend(checks::eyes::check(ctx, profile));
        results.extend(checks::mouth::check(ctx, profile));
        results.extend(checks::occlusion::check(ctx, profile));
        results.extend(checks::head_covering::check(ctx, profile));
        results.extend(checks::glasses::check(ctx, profile));
        results.extend(checks::capture::check(ctx, profile));
        results.extend(checks::background::check(ctx, profile));
        policy::apply(&mut results, profile);
        Ok((results, others))
    }

    /// Renders the proposed ICAO crop at the profile's output size. Where the crop reaches past
    /// the image (see `output.max_padding`), the background is extended from the image's own edge:
    /// the first padded row or column repeats the edge, and further out it blends into the edge's
    /// local mean, so no seam shows where the photo ends and no hair streaks run to the border.
    pub fn render_crop(img: &RgbImage, crop: &CropProposal) -> Result<RgbImage> {
        let r = crop.rect();
        let (w, h) = (img.width() as f32, img.height() as f32);
        let inside = r.x >= 0.0 && r.y >= 0.0 && r.x + r.w <= w && r.y + r.h <= h;
        if inside {
            return crop_resize(img, r, crop.width, crop.height);
        }
        let pad = |v: f32| v.max(0.0).ceil() as u32;
        let (left, top) = (pad(-r.x), pad(-r.y));
        let (right, bottom) = (pad(r.x + r.w - w), pad(r.y + r.h - h));
        let extended = extend_edges(img, left, top, right, bottom);
        let moved = crate::image::resize::Rect { x: r.x + left as f32, y: r.y + top as f32, ..r };
        crop_resize(&extended, moved, crop.width, crop.height)
    }
}

/// `img` with `left`, `top`, `right` and `bottom` pixels of background added: each added pixel
/// takes the nearest edge pixel, blended with the mean of the edge around it (radius
/// `EDGE_MEAN_RADIUS`) as it lies further out (fully at `EDGE_BLEND_PX`).
fn extend_edges(img: &RgbImage, left: u32, top: u32, right: u32, bottom: u32) -> RgbImage {
    const EDGE_MEAN_RADIUS: i64 = 24;
    const EDGE_BLEND_PX: f32 = 24.0;
    let (w, h) = (img.width() as i64, img.height() as i64);
    let px = |x: i64, y: i64| img.get_pixel(x.clamp(0, w - 1) as u32, y.clamp(0, h - 1) as u32).0;
    // The edge's local mean at a clamped point, along the edge it lies on.
    let edge_mean = |cx: i64, cy: i64, horizontal: bool| {
        let mut acc = [0f32; 3];
        let mut n = 0f32;
        for d in -EDGE_MEAN_RADIUS..=EDGE_MEAN_RADIUS {
            let p = if horizontal { px(cx + d, cy) } else { px(cx, cy + d) };
            for c in 0..3 {
                acc[c] += p[c] as f32;
            }
            n += 1.0;
        }
        acc.map(|v| v / n)
    };
    let (ow, oh) = (img.width() + left + right, img.height() + top + bottom);
    image::RgbImage::from_fn(ow, oh, |x, y| {
        let (sx, sy) = (x as i64 - left as i64, y as i64 - top as i64);
        let (cx, cy) = (sx.clamp(0, w - 1), sy.clamp(0, h - 1));
        let (dx, dy) = ((sx - cx).abs(), (sy - cy).abs());
        if dx == 0 && dy == 0 {
            return image::Rgb(px(sx, sy));
        }
        let edge = px(cx, cy);
        // Beyond the top or bottom the edge runs horizontally; beyond the sides, vertically.
        let mean = edge_mean(cx, cy, dy >= dx);
        let t = (dx.max(dy) as f32 / EDGE_BLEND_PX).min(1.0);
        image::Rgb(std::array::from_fn(|c| (edge[c] as f32 * (1.0 - t) + mean[c] * t).round() as u8))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_padded_crop_has_no_seam_at_the_photo_edge() {
        // A background that darkens from left to right, so the top row's mean differs from the
        // colour at any one place along it.
        let img = RgbImage::from_fn(400, 500, |x, _| image::Rgb([(240 - x / 3) as u8, 200, 180]));
        let crop = CropProposal { rect: [50.0, -40.0, 300.0, 386.0], width: 300, height: 386 };
        let out = Validator::render_crop(&img, &crop).unwrap();
        // Output row 40 is the photo's top row; row 39 is padding. At every column the step across
        // the edge must be no larger than the step between two rows of the photo itself (0 here).
        for x in (0..300).step_by(10) {
            let (a, b) = (out.get_pixel(x, 39).0, out.get_pixel(x, 41).0);
            let step = (a[0] as i32 - b[0] as i32).abs();
            assert!(step <= 2, "column {x}: padding {a:?} against photo {b:?}");
        }
    }
}
