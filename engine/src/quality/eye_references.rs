//! The whites of the eyes and the pupils as the photo's own exposure and colour references.
//!
//! Skin differs between people far more, in luminance and in colour, than the exposure or
//! white-balance errors the checks must catch: a dark face in good light and a pale face in poor
//! light have the same mean, and warm skin reads like a warm cast. The sclera is near white and
//! the pupil near black on every face, so they tell those apart: a lifted pupil means washed-out
//! blacks, a crushed one a darkening tone curve, a clipped sclera blown-out whites, and a yellow
//! or blue sclera a white balance that is off.

use crate::detect::Point;
use crate::landmarks::FaceMesh;
use crate::quality::face_region::{FaceRegion, polygon_mask, srgb_to_lab};
use crate::quality::percentile::percentile;

/// The eye openings (lid margins), each a closed ring from the outer corner along the upper lid.
const RIGHT_EYE_RING: [usize; 16] =
    [33, 246, 161, 160, 159, 158, 157, 173, 133, 155, 154, 153, 145, 144, 163, 7];
const LEFT_EYE_RING: [usize; 16] =
    [263, 466, 388, 387, 386, 385, 384, 398, 362, 382, 381, 380, 374, 373, 390, 249];
/// The sclera starts this far out from the iris centre, in iris radii (the limbus is soft).
const SCLERA_FROM_IRIS: f32 = 1.15;
/// The pupil: this share of the iris radius around its centre.
const PUPIL_OF_IRIS: f32 = 0.45;
/// A sclera luminance at or above this counts as clipped.
const CLIPPED: f32 = 250.0;
/// Fewer sclera pixels than this (both eyes, in the face crop) cannot be read: eyes closed,
/// squinting, or a face too small.
const MIN_SCLERA_PIXELS: usize = 24;
const MIN_PUPIL_PIXELS: usize = 4;
/// The share of the pupil's disc the lids must leave visible for it to be read.
const MIN_PUPIL_VISIBLE: f32 = 0.6;

/// The references read in the face crop; `None` fields could not be measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EyeReferences {
    /// Share of sclera pixels at or above 250: whites blown out.
    pub sclera_clipped_share: Option<f32>,
    /// Mean CIELAB b* of the brighter half of the sclera: yellow (+) or blue (-) white balance.
    pub sclera_b: Option<f32>,
    /// The 10th percentile of luminance in each visible pupil (below its catchlights), averaged
    /// over the eyes: the photo's black.
    pub pupil_luminance: Option<f32>,
}

impl EyeReferences {
    /// Reads both eyes in `region`, the face crop the mesh was mapped into.
    pub fn read(region: &FaceRegion, mesh: &FaceMesh) -> Self {
        let (w, h) = (region.width(), region.height());
        let to_crop = |p: Point| {
            let (x, y) = region.to_crop.apply(p.x, p.y);
            Point::new(x, y)
        };
        let mut sclera: Vec<usize> = Vec::new();
        let mut pupils: Vec<f32> = Vec::new();
        for (ring, iris) in [(&RIGHT_EYE_RING, &mesh.right_iris), (&LEFT_EYE_RING, &mesh.left_iris)] {
            let poly: Vec<Point> = ring.iter().map(|&i| region.points[i]).collect();
            let inside = polygon_mask(&poly, w, h);
            let centre = to_crop(iris[0]);
            let radius = iris[1..].iter().map(|&p| to_crop(p).distance(&centre)).sum::<f32>() / 4.0;
            let mut pupil: Vec<f32> = Vec::new();
            for (i, _) in inside.iter().enumerate().filter(|(_, m)| **m) {
                let (x, y) = ((i as u32 % w) as f32 + 0.5, (i as u32 / w) as f32 + 0.5);
                let d = ((x - centre.x).powi(2) + (y - centre.y).powi(2)).sqrt();
                if d >= SCLERA_FROM_IRIS * radius {
                    sclera.push(i);
                } else if d <= PUPIL_OF_IRIS * radius {
                    pupil.push(region.luma[i]);
                }
            }
            // A pupil the lids half cover is not read: a closed or squinting eye would give the
            // lid's skin for the pupil's black.
            let disc = std::f32::consts::PI * (PUPIL_OF_IRIS * radius).powi(2);
            if pupil.len() >= MIN_PUPIL_PIXELS && pupil.len() as f32 >= MIN_PUPIL_VISIBLE * disc {
                pupils.push(percentile(&mut pupil, 0.10));
            }
        }
        let mut out = EyeReferences { sclera_clipped_share: None, sclera_b: None, pupil_luminance: None };
        if !pupils.is_empty() {
            // Both eyes' blacks, averaged: a side light that leaves one eye in shadow moves the
            // reading half as far as a tone curve that darkens both.
            out.pupil_luminance = Some(pupils.iter().sum::<f32>() / pupils.len() as f32);
        }
        if sclera.len() >= MIN_SCLERA_PIXELS {
            let mut luma: Vec<f32> = sclera.iter().map(|&i| region.luma[i]).collect();
            let n = luma.len() as f32;
            out.sclera_clipped_share = Some(luma.iter().filter(|&&v| v >= CLIPPED).count() as f32 / n);
            let median = percentile(&mut luma, 0.5);
            let raw = region.img.as_raw();
            let bright: Vec<f32> = sclera
                .iter()
                .filter(|&&i| region.luma[i] >= median)
                .map(|&i| srgb_to_lab([raw[3 * i], raw[3 * i + 1], raw[3 * i + 2]])[2])
                .collect();
            out.sclera_b = Some(bright.iter().sum::<f32>() / bright.len().max(1) as f32);
        }
        out
    }
}
