//! Everything the checks read, measured once per photo.

use super::profile::{FrameMode, Profile};
use super::report::CropProposal;
use crate::analyze::{Analysis, Face, FaceLandmarks};
use crate::detect::Point;
use crate::image::SourceInfo;
use crate::image::resize::Rect;
use crate::landmarks::regions::{CHIN, FACE_OVAL, FOREHEAD_TOP};
use crate::quality::blendshapes::Blendshapes;
use crate::quality::expression::Expression;
use crate::quality::eye_state::EyeState;
use crate::quality::face_parsing::FaceParts;
use crate::quality::face_region::FaceRegion;
use crate::quality::faceapi_expression::FaceApiExpression;
use crate::quality::hands::Hand;
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
    /// The second expression classifier (colour, 112 px).
    pub faceapi_expression: Option<FaceApiExpression>,
    pub eye_state: Option<EyeState>,
    /// How far each part of the face has moved from rest, read from the mesh's shape.
    pub blendshapes: Option<Blendshapes>,
    pub parts: Option<FaceParts>,
    /// Hands around the face (palm detector, then hand landmarks).
    pub hands: Option<Vec<Hand>>,
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

/// Where a moved crop puts the eye line: this share of the profile's eye-line band inside its
/// edge, so the crop's own rounding cannot leave the eyes on the line.
const EYE_BAND_INSET: f32 = 0.1;

/// The ICAO crop the photo allows: the head at `output.head_height` of the crop height, the crown
/// `output.top_margin` below the top edge (lower where the eye line needs it), the eyes centred.
/// It may reach past each image edge by `output.max_padding` of its own size (the strip is
/// rendered as extended background, so a head whose hair touches the top edge can still be
/// framed); `None` when it would reach further.
pub fn propose_crop(head: &Head, profile: &Profile, width: u32, height: u32) -> Option<CropProposal> {
    let out = &profile.output;
    let Rect { x, y, w: crop_w, h: crop_h } = crop_rect(head, profile);
    let (tx, ty) = (1.0 + out.max_padding * crop_w, 1.0 + out.max_padding * crop_h);
    let inside = x >= -tx && y >= -ty && x + crop_w <= width as f32 + tx && y + crop_h <= height as f32 + ty;
    (inside && crop_h > 0.0).then_some(CropProposal {
        rect: [x, y, crop_w, crop_h],
        width: out.width,
        height: out.height,
    })
}

/// The crop [`propose_crop`] wants around `head`, wherever it falls: live guidance reads from
/// its place in the frame which way the person should move.
pub fn crop_rect(head: &Head, profile: &Profile) -> Rect {
    let out = &profile.output;
    let crop_h = head.height() / out.head_height;
    let crop_w = crop_h * out.width as f32 / out.height as f32;
    // The crown sits `top_margin` below the top unless that puts the eye line outside the
    // profile's band or within a tenth of its edge (a long crown above the eyes, as voluminous
    // hair makes it): then the crop moves the eyes inside, never cutting the crown or the chin.
    let f = &profile.framing;
    let slack = EYE_BAND_INSET * (f.eye_y_max - f.eye_y_min);
    let natural = out.top_margin + (head.eyes.y - head.crown_y) / crop_h;
    let eye_y = natural.clamp(f.eye_y_min + slack, (f.eye_y_max - slack).max(f.eye_y_min + slack));
    let y = (head.eyes.y - eye_y * crop_h).min(head.crown_y).max(head.chin_y - crop_h);
    let x = head.eyes.x - crop_w / 2.0;
    Rect { x, y, w: crop_w, h: crop_h }
}

/// The frame the framing checks judge under the profile's frame mode.
pub fn frame(profile: &Profile, crop: Option<&CropProposal>, width: u32, height: u32) -> Rect {
    match (profile.frame, crop) {
        (FrameMode::Crop, Some(c)) => c.rect(),
        _ => Rect { x: 0.0, y: 0.0, w: width as f32, h: height as f32 },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A head 400 px from crown to chin, centred at x = 500, with the eyes `crown_to_eyes` below
    /// the crown.
    fn head(crown_to_eyes: f32) -> Head {
        let crown_y = 300.0;
        Head {
            crown_y,
            crown_measured: true,
            chin_y: crown_y + 400.0,
            left_x: 380.0,
            right_x: 620.0,
            eyes: Point::new(500.0, crown_y + crown_to_eyes),
            eye_to_chin: 400.0 - crown_to_eyes,
        }
    }

    fn eye_line(h: &Head, p: &Profile) -> (f32, CropProposal) {
        let c = propose_crop(h, p, 1000, 1400).expect("the head fits");
        let r = c.rect();
        ((h.eyes.y - r.y) / r.h, c)
    }

    #[test]
    fn the_crown_sits_at_the_top_margin_when_the_eyes_allow() {
        let p = Profile::built_in("kz-id").unwrap();
        let h = head(200.0);
        let (eye_y, c) = eye_line(&h, &p);
        let r = c.rect();
        assert!(((h.crown_y - r.y) / r.h - p.output.top_margin).abs() < 1e-4);
        assert!((p.framing.eye_y_min..=p.framing.eye_y_max).contains(&eye_y), "{eye_y}");
    }

    #[test]
    fn a_long_crown_moves_the_crop_to_keep_the_eye_line_in_band() {
        let p = Profile::built_in("kz-id").unwrap();
        // Eyes 62% of the head height below the crown: at the top margin they would sit at
        // 0.10 + 0.75 * 0.62 = 0.565 of the crop, below the band.
        let h = head(248.0);
        let (eye_y, c) = eye_line(&h, &p);
        let r = c.rect();
        assert!(eye_y <= p.framing.eye_y_max && eye_y >= p.framing.eye_y_min, "{eye_y}");
        // The head is still whole inside the crop, at the same scale.
        assert!(r.y <= h.crown_y && r.y + r.h >= h.chin_y);
        assert!(((h.chin_y - h.crown_y) / r.h - p.output.head_height).abs() < 1e-4);
    }
}
