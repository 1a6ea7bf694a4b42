//! Face parts from a face-parsing network (BiSeNet, the 19 CelebAMask-HQ classes: skin, brows,
//! eyes, eyeglasses, ears, nose, mouth, lips, neck, cloth, hair, hat, ...). What a covered head, a
//! mask or glasses look like changes with every hat, fabric and frame; a learned parser has seen
//! thousands of them, where colour and edge proxies tuned on a hundred photos had not.
//!
//! The face is cropped upright (eyes level) at a fixed scale, so the regions the checks read are
//! defined once, in units of the eye distance, in the crop's coordinates.

use crate::detect::Point;
use crate::error::{EngineError, Result};
use crate::image::warp::{Affine, CropSource};
use crate::landmarks::FaceMesh;
use crate::landmarks::regions::{FACE_OVAL, FOREHEAD_TOP, MOUTH_CORNERS, NOSE_TIP, OUTER_LIP_CONTOUR};
use crate::runtime::Model;
use crate::tensor::nchw;
use image::RgbImage;
use std::sync::Arc;

/// The network's input side. The parser was trained on 512 px crops with scale augmentation down
/// to 0.75: at 384 (0.75) it parses as well as at 512 on the labelled sets, at 320 it begins to lose
/// the lips and at 256 it no longer finds them (BENCHMARKS.md); cost grows with the square.
pub const SIZE: u32 = 384;
/// The crop's side over the eye distance, and how far below the eyes its centre sits: the face
/// framed as in the aligned training crops (chin to crown about half the side).
const SIDE_OVER_IED: f32 = 4.4;
const CENTRE_BELOW_EYES: f32 = 0.45;

/// The parser's classes, in its output order (CelebAMask-HQ's; left and right as it names them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Part {
    Background = 0,
    Skin,
    LeftBrow,
    RightBrow,
    LeftEye,
    RightEye,
    Glasses,
    LeftEar,
    RightEar,
    Earring,
    Nose,
    Mouth,
    UpperLip,
    LowerLip,
    Neck,
    Necklace,
    Cloth,
    Hair,
    Hat,
}

impl Part {
    const ALL: [Part; 19] = [
        Part::Background,
        Part::Skin,
        Part::LeftBrow,
        Part::RightBrow,
        Part::LeftEye,
        Part::RightEye,
        Part::Glasses,
        Part::LeftEar,
        Part::RightEar,
        Part::Earring,
        Part::Nose,
        Part::Mouth,
        Part::UpperLip,
        Part::LowerLip,
        Part::Neck,
        Part::Necklace,
        Part::Cloth,
        Part::Hair,
        Part::Hat,
    ];
}

/// The parsed crop: one class per pixel, and where the crop sits in the photo.
#[derive(Debug, Clone)]
pub struct FaceParts {
    labels: Vec<Part>,
    /// Source pixels to crop pixels.
    to_crop: Affine,
    /// The eye distance in crop pixels.
    pub ied: f32,
}

impl FaceParts {
    /// A source point in crop coordinates.
    pub fn to_crop(&self, p: Point) -> Point {
        let (x, y) = self.to_crop.apply(p.x, p.y);
        Point::new(x, y)
    }

    fn at(&self, x: i32, y: i32) -> Option<Part> {
        (x >= 0 && y >= 0 && x < SIZE as i32 && y < SIZE as i32)
            .then(|| self.labels[y as usize * SIZE as usize + x as usize])
    }

    /// Share of the pixels of an axis-aligned crop rectangle `[x0, y0, x1, y1]` whose class is in
    /// `parts`; `None` when the rectangle holds no crop pixel.
    pub fn share_in_rect(&self, r: [f32; 4], parts: &[Part]) -> Option<f32> {
        let (mut hit, mut n) = (0u32, 0u32);
        for y in r[1].floor() as i32..r[3].ceil() as i32 {
            for x in r[0].floor() as i32..r[2].ceil() as i32 {
                if let Some(p) = self.at(x, y) {
                    n += 1;
                    hit += parts.contains(&p) as u32;
                }
            }
        }
        (n > 0).then(|| hit as f32 / n as f32)
    }

    /// Share of the pixels inside a polygon (crop coordinates) whose class is in `parts`.
    pub fn share_in_polygon(&self, poly: &[Point], parts: &[Part]) -> Option<f32> {
        let (x0, x1) = poly.iter().fold((f32::MAX, f32::MIN), |a, p| (a.0.min(p.x), a.1.max(p.x)));
        let (y0, y1) = poly.iter().fold((f32::MAX, f32::MIN), |a, p| (a.0.min(p.y), a.1.max(p.y)));
        let (mut hit, mut n) = (0u32, 0u32);
        for y in y0.floor() as i32..=y1.ceil() as i32 {
            for x in x0.floor() as i32..=x1.ceil() as i32 {
                if !inside(poly, x as f32 + 0.5, y as f32 + 0.5) {
                    continue;
                }
                if let Some(p) = self.at(x, y) {
                    n += 1;
                    hit += parts.contains(&p) as u32;
                }
            }
        }
        (n > 0).then(|| hit as f32 / n as f32)
    }
}

/// The regions the checks read, in one place: each is defined on the upright crop in units of the
/// eye distance, from the mesh's landmarks, and read as a share of pixels of some classes.
impl FaceParts {
    fn eyes(&self, mesh: &FaceMesh) -> (Point, Point) {
        let (r, l) = (self.to_crop(mesh.right_iris[0]), self.to_crop(mesh.left_iris[0]));
        if r.x <= l.x { (r, l) } else { (l, r) }
    }

    /// Eyeglasses in the band across both eyes: frames reach about half an eye distance beyond
    /// each iris, lenses a third above and below.
    pub fn glasses_share(&self, mesh: &FaceMesh) -> Option<f32> {
        let (a, b) = self.eyes(mesh);
        let (ied, y) = (self.ied, (a.y + b.y) / 2.0);
        self.share_in_rect([a.x - 0.6 * ied, y - 0.3 * ied, b.x + 0.6 * ied, y + 0.3 * ied], &[Part::Glasses])
    }

    /// Hair over the eyes themselves.
    pub fn eye_hair_share(&self, mesh: &FaceMesh) -> Option<f32> {
        let (a, b) = self.eyes(mesh);
        let (ied, y) = (self.ied, (a.y + b.y) / 2.0);
        self.share_in_rect([a.x - 0.35 * ied, y - 0.25 * ied, b.x + 0.35 * ied, y + 0.2 * ied], &[Part::Hair])
    }

    /// The less visible of the eyes the parser can judge: the share of eye pixels in a small box
    /// on each iris (a quarter of the eye distance wide, an eighth high). An open eye is parsed as
    /// eye there; a closed lid is parsed as skin. An eye behind a lens that the parser labels
    /// glasses cannot be judged so, and is left out; `None` when neither eye can be.
    pub fn eye_seen_share(&self, mesh: &FaceMesh) -> Option<f32> {
        let (a, b) = self.eyes(mesh);
        let ied = self.ied;
        let box_at = |e: Point| [e.x - 0.12 * ied, e.y - 0.06 * ied, e.x + 0.12 * ied, e.y + 0.06 * ied];
        [a, b]
            .into_iter()
            .filter(|&e| {
                self.share_in_rect(box_at(e), &[Part::Glasses]).is_some_and(|g| g < GLASSES_OVER_EYE)
            })
            .filter_map(|e| self.share_in_rect(box_at(e), &[Part::LeftEye, Part::RightEye]))
            .reduce(f32::min)
    }

    /// Mouth and lips inside the mesh's outer-lip outline: a mask, a hand or an object hides them.
    pub fn mouth_visible(&self, mesh: &FaceMesh) -> Option<f32> {
        let lips: Vec<_> = OUTER_LIP_CONTOUR.iter().map(|&i| self.to_crop(mesh.point(i))).collect();
        self.share_in_polygon(&lips, &[Part::Mouth, Part::UpperLip, Part::LowerLip])
    }

    /// Nose in a box around the mesh's nose tip.
    pub fn nose_visible(&self, mesh: &FaceMesh) -> Option<f32> {
        let (n, ied) = (self.to_crop(mesh.point(NOSE_TIP)), self.ied);
        self.share_in_rect(
            [n.x - 0.2 * ied, n.y - 0.25 * ied, n.x + 0.2 * ied, n.y + 0.1 * ied],
            &[Part::Nose],
        )
    }

    /// Hat or cloth in the band above the mesh's forehead top (the hairline), two eye distances wide.
    pub fn crown_covered(&self, mesh: &FaceMesh) -> Option<f32> {
        let (a, b) = self.eyes(mesh);
        let (top, mid, ied) = (self.to_crop(mesh.point(FOREHEAD_TOP)), (a.x + b.x) / 2.0, self.ied);
        self.share_in_rect([mid - ied, top.y - 0.9 * ied, mid + ied, top.y + 0.1 * ied], &COVERING)
    }

    /// Hat or cloth beside both cheeks (eye line to mouth line), the lesser side: a scarf wraps the
    /// face, a cap or a hat does not.
    pub fn side_covered(&self, mesh: &FaceMesh) -> Option<f32> {
        let oval: Vec<_> = FACE_OVAL.iter().map(|&i| self.to_crop(mesh.point(i))).collect();
        let (x0, x1) = oval.iter().fold((f32::MAX, f32::MIN), |a, p| (a.0.min(p.x), a.1.max(p.x)));
        let (a, b) = self.eyes(mesh);
        let eyes_y = (a.y + b.y) / 2.0;
        let mouth_y = (self.to_crop(mesh.point(MOUTH_CORNERS[0])).y
            + self.to_crop(mesh.point(MOUTH_CORNERS[1])).y)
            / 2.0;
        let w = 0.4 * self.ied;
        let left = self.share_in_rect([x0 - w, eyes_y, x0, mouth_y], &COVERING)?;
        let right = self.share_in_rect([x1, eyes_y, x1 + w, mouth_y], &COVERING)?;
        Some(left.min(right))
    }

    /// The face's own parts inside the mesh's face outline.
    pub fn face_visible(&self, mesh: &FaceMesh) -> Option<f32> {
        let oval: Vec<_> = FACE_OVAL.iter().map(|&i| self.to_crop(mesh.point(i))).collect();
        self.share_in_polygon(&oval, &FACE)
    }
}

/// An eye whose iris box is at least this share glasses is behind a lens, for `eye_seen_share`.
const GLASSES_OVER_EYE: f32 = 0.5;
/// What covers a head.
const COVERING: [Part; 2] = [Part::Hat, Part::Cloth];
/// What counts as the face being visible: its own parts (glasses are judged by their own check).
const FACE: [Part; 12] = [
    Part::Skin,
    Part::LeftBrow,
    Part::RightBrow,
    Part::LeftEye,
    Part::RightEye,
    Part::Glasses,
    Part::Nose,
    Part::Mouth,
    Part::UpperLip,
    Part::LowerLip,
    Part::LeftEar,
    Part::RightEar,
];

/// Even-odd rule.
fn inside(poly: &[Point], x: f32, y: f32) -> bool {
    let mut c = false;
    let mut j = poly.len() - 1;
    for i in 0..poly.len() {
        let (a, b) = (poly[i], poly[j]);
        if (a.y > y) != (b.y > y) && x < (b.x - a.x) * (y - a.y) / (b.y - a.y) + a.x {
            c = !c;
        }
        j = i;
    }
    c
}

pub struct FaceParser {
    model: Arc<dyn Model>,
}

impl FaceParser {
    pub const MODEL_ID: &'static str = "seg_faceparse384";

    pub fn new(model: Arc<dyn Model>) -> Self {
        Self { model }
    }

    /// The map from crop pixels to source pixels for the face whose irises the mesh found.
    pub fn framing(mesh: &FaceMesh) -> Affine {
        let (r, l) = (mesh.right_iris[0], mesh.left_iris[0]);
        let (dx, dy) = (l.x - r.x, l.y - r.y);
        let ied = (dx * dx + dy * dy).sqrt().max(1.0);
        let theta = dy.atan2(dx);
        let (sin, cos) = theta.sin_cos();
        let eyes = r.midpoint(&l);
        // Down the face's own vertical axis.
        let centre = (eyes.x - sin * CENTRE_BELOW_EYES * ied, eyes.y + cos * CENTRE_BELOW_EYES * ied);
        let s = SIDE_OVER_IED * ied / SIZE as f32;
        let half = SIZE as f32 / 2.0;
        let tx = centre.0 - s * (cos * half - sin * half);
        let ty = centre.1 - s * (sin * half + cos * half);
        Affine::similarity(s, theta, tx, ty)
    }

    pub fn run(&self, img: &RgbImage, mesh: &FaceMesh) -> Result<FaceParts> {
        let to_src = Self::framing(mesh);
        let to_crop =
            to_src.inverse().ok_or_else(|| EngineError::Inference("degenerate face framing".into()))?;
        let crop = CropSource::new(img, &to_src, SIZE, SIZE).warp(&to_src, SIZE, SIZE, [0, 0, 0]);
        let input = nchw(&crop, 1.0 / 255.0, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);
        let out = self.model.run(input.view())?;
        let logits =
            out[0].as_slice().ok_or_else(|| EngineError::Inference("parser output layout".into()))?;
        let plane = (SIZE * SIZE) as usize;
        if logits.len() != Part::ALL.len() * plane {
            return Err(EngineError::Inference(format!("parser output has {} values", logits.len())));
        }
        let labels = (0..plane)
            .map(|i| {
                let best = (0..Part::ALL.len())
                    .max_by(|&a, &b| logits[a * plane + i].total_cmp(&logits[b * plane + i]))
                    .unwrap_or(0);
                Part::ALL[best]
            })
            .collect();
        // The eye distance in crop pixels is fixed by the framing.
        Ok(FaceParts { labels, to_crop, ied: SIZE as f32 / SIDE_OVER_IED })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A parsed crop of skin with the given class painted in a box around each of two points.
    fn parts_with(eyes: [(Point, Part); 2]) -> FaceParts {
        let mut labels = vec![Part::Skin; (SIZE * SIZE) as usize];
        for (c, part) in eyes {
            for y in (c.y as i32 - 8)..=(c.y as i32 + 8) {
                for x in (c.x as i32 - 14)..=(c.x as i32 + 14) {
                    labels[y as usize * SIZE as usize + x as usize] = part;
                }
            }
        }
        FaceParts {
            labels,
            to_crop: Affine::similarity(1.0, 0.0, 0.0, 0.0),
            ied: SIZE as f32 / SIDE_OVER_IED,
        }
    }

    fn mesh_with_irises(r: Point, l: Point) -> FaceMesh {
        FaceMesh { presence: 1.0, points: vec![[0.0; 3]; 478], right_iris: [r; 5], left_iris: [l; 5] }
    }

    #[test]
    fn a_closed_eye_is_parsed_as_skin_and_a_lens_is_left_to_the_classifier() {
        let (r, l) = (Point::new(150.0, 150.0), Point::new(237.0, 150.0));
        let mesh = mesh_with_irises(r, l);
        let open = parts_with([(r, Part::RightEye), (l, Part::LeftEye)]);
        assert!(open.eye_seen_share(&mesh).unwrap() > 0.9);
        let wink = parts_with([(r, Part::RightEye), (l, Part::Skin)]);
        assert_eq!(wink.eye_seen_share(&mesh), Some(0.0));
        // One eye behind a lens: only the other is judged.
        let one_lens = parts_with([(r, Part::Glasses), (l, Part::LeftEye)]);
        assert!(one_lens.eye_seen_share(&mesh).unwrap() > 0.9);
        let lenses = parts_with([(r, Part::Glasses), (l, Part::Glasses)]);
        assert_eq!(lenses.eye_seen_share(&mesh), None);
    }

    #[test]
    fn polygon_membership_follows_the_even_odd_rule() {
        let square =
            [Point::new(0.0, 0.0), Point::new(10.0, 0.0), Point::new(10.0, 10.0), Point::new(0.0, 10.0)];
        assert!(inside(&square, 5.0, 5.0));
        assert!(!inside(&square, 15.0, 5.0));
    }
}
