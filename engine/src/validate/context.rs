//! Everything the checks read, measured once per photo.

use super::profile::{FrameMode, Profile};
use super::report::CropProposal;
use crate::analyze::{Analysis, Face, FaceLandmarks};
use crate::detect::Point;
use crate::image::SourceInfo;
use crate::image::resize::Rect;
use crate::landmarks::regions::{CHIN, FACE_OVAL, FOREHEAD_TOP};
use crate::quality::expression::Expression;
use crate::quality::face_region::FaceRegion;
use crate::quality::segmentation::PersonMask;
use image::RgbImage;

/// The head's extent in source pixels.
#[derive(Debug, Clone, Copy)]
pub struct Head {
    pub crown_y: f32,
    /// True when the crown came from the person mask, false when estimated from the mesh.
    pub crown_measured: bool,
    pub chin_y: f32,
    pub left_x: f32,
    pub right_x: f32,
    /// Eye midpoint.
    pub eyes: Point,
    /// Eye-to-chin distance, the unit of crop margins (as OFIQ uses it).
    pub eye_to_chin: f32,
}

impl Head {
    pub fn height(&self) -> f32 {
        self.chin_y - self.crown_y
    }
}

pub struct Ctx<'a> {
    pub img: &'a RgbImage,
    pub source: &'a SourceInfo,
    pub analysis: &'a Analysis,
    pub face: &'a Face,
    pub lm: &'a FaceLandmarks,
    pub region: Option<FaceRegion>,
    pub person: Option<PersonMask>,
    pub expression: Option<Expression>,
    pub head: Head,
    /// The frame the framing checks judge: the whole image or the proposed crop.
    pub frame: Rect,
    pub crop: Option<CropProposal>,
}

/// The head box from the mesh, with the crown from the person mask when it has one.
pub fn head(lm: &FaceLandmarks, person: Option<&PersonMask>) -> Head {
    let mesh = &lm.mesh;
    let (r, l) = (lm.measures.right_eye, lm.measures.left_eye);
    let eyes = r.midpoint(&l);
    let chin = mesh.point(CHIN);
    let top = mesh.point(FOREHEAD_TOP);
    let xs: Vec<f32> = FACE_OVAL.iter().map(|&i| mesh.point(i).x).collect();
    let (left_x, right_x) =
        (xs.iter().copied().fold(f32::MAX, f32::min), xs.iter().copied().fold(f32::MIN, f32::max));
    // The mesh stops at the hairline; the hair above it to the crown is, on average, about a
    // quarter of the forehead-to-chin length.
    let estimated = top.y - 0.25 * (chin.y - top.y);
    let measured = person.and_then(|p| p.crown_y(r.x.min(l.x), r.x.max(l.x)));
    let (crown_y, crown_measured) = match measured {
        // A mask crown below the hairline is a segmentation miss; keep the estimate then.
        Some(y) if y < top.y => (y, true),
        _ => (estimated, false),
    };
    Head {
        crown_y,
        crown_measured,
        chin_y: chin.y,
        left_x,
        right_x,
        eyes,
        eye_to_chin: (chin.y - eyes.y).max(1.0),
    }
}

/// The ICAO crop the photo allows: the head at `output.head_height` of the crop height, the crown
/// `output.top_margin` below the top edge, the eyes centred. It may reach past each image edge by
/// `output.max_padding` of its own size (the strip is rendered as extended background, so a head
/// whose hair touches the top edge can still be framed); `None` when it would reach further.
pub fn propose_crop(head: &Head, profile: &Profile, width: u32, height: u32) -> Option<CropProposal> {
    let out = &profile.output;
    let crop_h = head.height() / out.head_height;
    let crop_w = crop_h * out.width as f32 / out.height as f32;
    let y = head.crown_y - out.top_margin * crop_h;
    let x = head.eyes.x - crop_w / 2.0;
    let (tx, ty) = (1.0 + out.max_padding * crop_w, 1.0 + out.max_padding * crop_h);
    let inside = x >= -tx && y >= -ty && x + crop_w <= width as f32 + tx && y + crop_h <= height as f32 + ty;
    (inside && crop_h > 0.0).then_some(CropProposal {
        rect: [x, y, crop_w, crop_h],
        width: out.width,
        height: out.height,
    })
}

/// The frame the framing checks judge under the profile's frame mode.
pub fn frame(profile: &Profile, crop: Option<&CropProposal>, width: u32, height: u32) -> Rect {
    match (profile.frame, crop) {
        (FrameMode::Crop, Some(c)) => c.rect(),
        _ => Rect { x: 0.0, y: 0.0, w: width as f32, h: height as f32 },
    }
}
