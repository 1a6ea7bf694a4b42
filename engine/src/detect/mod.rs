//! Face detection with MediaPipe BlazeFace: SSD anchors, box and keypoint decoding, weighted NMS.

pub mod anchors;
mod blazeface;
pub mod cascade;
mod nms;

pub use blazeface::{Detector, DetectorConfig, DetectorKind};

use serde::{Deserialize, Serialize};

/// A point in source-image pixels.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Point {
    pub x: f32,
    pub y: f32,
}

impl Point {
    pub fn new(x: f32, y: f32) -> Self {
        Self { x, y }
    }
    pub fn distance(&self, other: &Point) -> f32 {
        ((self.x - other.x).powi(2) + (self.y - other.y).powi(2)).sqrt()
    }
    pub fn midpoint(&self, other: &Point) -> Point {
        Point::new((self.x + other.x) / 2.0, (self.y + other.y) / 2.0)
    }
}

/// An axis-aligned box in source pixels: top-left corner, width, height. Serialised as
/// `[x, y, w, h]`.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(into = "[f32; 4]", from = "[f32; 4]")]
pub struct BoundingBox {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

impl From<BoundingBox> for [f32; 4] {
    fn from(b: BoundingBox) -> Self {
        [b.x, b.y, b.w, b.h]
    }
}

impl From<[f32; 4]> for BoundingBox {
    fn from(a: [f32; 4]) -> Self {
        BoundingBox { x: a[0], y: a[1], w: a[2], h: a[3] }
    }
}

impl BoundingBox {
    pub fn area(&self) -> f32 {
        self.w.max(0.0) * self.h.max(0.0)
    }
    pub fn center(&self) -> Point {
        Point::new(self.x + self.w / 2.0, self.y + self.h / 2.0)
    }
    pub fn iou(&self, o: &BoundingBox) -> f32 {
        let ix = (self.x + self.w).min(o.x + o.w) - self.x.max(o.x);
        let iy = (self.y + self.h).min(o.y + o.h) - self.y.max(o.y);
        if ix <= 0.0 || iy <= 0.0 {
            return 0.0;
        }
        let inter = ix * iy;
        inter / (self.area() + o.area() - inter)
    }
}

/// BlazeFace's six keypoints. "Right" and "left" are the subject's own: the right eye appears on
/// the image's left in an unmirrored photo.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Keypoints {
    pub right_eye: Point,
    pub left_eye: Point,
    pub nose_tip: Point,
    pub mouth: Point,
    pub right_ear: Point,
    pub left_ear: Point,
}

/// One detected face.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    /// Detector confidence in [0, 1].
    pub score: f32,
    #[serde(rename = "box")]
    pub bbox: BoundingBox,
    pub keypoints: Keypoints,
}
