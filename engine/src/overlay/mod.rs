//! What Sapa saw on a photo, as geometry: the face box and key landmarks, the proposed crop, the
//! profile's head-height and eye-line bands, the pose axes, and the region of each failed check
//! (labelled with its code). Built from the same context the checks read (`build`), so the picture
//! cannot disagree with the report; drawn as SVG text (`svg`) or onto the photo's pixels
//! (`raster`). All coordinates are source pixels, origin top left.

pub mod build;
mod font;
pub mod raster;
pub mod svg;

use crate::validate::Code;
use serde::{Deserialize, Serialize};

/// A box `[x, y, w, h]` in source pixels.
pub type Boxed = [f32; 4];

/// A named landmark.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Landmark {
    /// `right_eye`, `left_eye`, `nose_tip`, `mouth_right`, `mouth_left`, `chin` or `crown`
    /// (subject's right and left).
    pub name: String,
    pub x: f32,
    pub y: f32,
}

/// A horizontal band of the profile, across the frame it is judged in: where a line must lie.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Band {
    /// Top and bottom of the band (y, source pixels).
    pub y_min: f32,
    pub y_max: f32,
    /// Left edge and width of the frame the band spans.
    pub x: f32,
    pub w: f32,
    /// Whether the measured line (eyes, crown) lies inside.
    pub holds: bool,
}

/// The head's axes at the nose tip, projected on the photo: `x` to the subject's left, `y` down
/// the face, `z` out of the face (where the nose points). Each end is in source pixels.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PoseAxes {
    pub origin: [f32; 2],
    pub x_end: [f32; 2],
    pub y_end: [f32; 2],
    pub z_end: [f32; 2],
    /// The angles the pose checks judged (degrees; see `geometry::pose` for the signs).
    pub yaw_deg: f32,
    pub pitch_deg: f32,
    pub roll_deg: f32,
}

/// Where a failed check found its defect.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Region {
    pub code: Code,
    /// The measure that failed (e.g. `mouth_visible_share`).
    pub measure: String,
    #[serde(rename = "box")]
    pub rect: [f32; 4],
    /// Whether the failure rejects the photo (false: a warning).
    pub rejects: bool,
}

/// Everything an overlay draws.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Overlay {
    /// The photo's size: the drawing's coordinate space.
    pub width: u32,
    pub height: u32,
    /// The main face's detector box.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub face: Option<[f32; 4]>,
    pub landmarks: Vec<Landmark>,
    /// The proposed ICAO crop (35x45), which may reach past the photo's edge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crop: Option<[f32; 4]>,
    /// Where the eye line must lie in the judged frame.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eye_band: Option<Band>,
    /// Where the crown must lie for the head height to be within the profile's range, given the chin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head_band: Option<Band>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pose: Option<PoseAxes>,
    /// One per failed measure that has a place on the photo, most important first.
    pub regions: Vec<Region>,
    /// Failed codes with no place on the photo (the whole picture: background, colour).
    pub unplaced: Vec<Code>,
}

impl Overlay {
    /// An overlay with nothing found (no face): the photo alone.
    pub fn empty(width: u32, height: u32) -> Self {
        Overlay {
            width,
            height,
            face: None,
            landmarks: Vec::new(),
            crop: None,
            eye_band: None,
            head_band: None,
            pose: None,
            regions: Vec::new(),
            unplaced: Vec::new(),
        }
    }
}

/// The colour each element is drawn in (SVG and raster agree).
pub mod colour {
    pub const FACE: [u8; 3] = [0x29, 0xb6, 0xf6];
    pub const LANDMARK: [u8; 3] = [0xff, 0xeb, 0x3b];
    pub const CROP: [u8; 3] = [0x66, 0xbb, 0x6a];
    pub const BAND: [u8; 3] = [0x42, 0xa5, 0xf5];
    pub const AXIS_X: [u8; 3] = [0xef, 0x53, 0x50];
    pub const AXIS_Y: [u8; 3] = [0x66, 0xbb, 0x6a];
    pub const AXIS_Z: [u8; 3] = [0x42, 0x7a, 0xf5];
    pub const REJECT: [u8; 3] = [0xff, 0x17, 0x44];
    pub const WARN: [u8; 3] = [0xff, 0xa0, 0x00];

    pub fn hex(c: [u8; 3]) -> String {
        format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2])
    }
}
