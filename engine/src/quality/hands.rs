//! Hands at the face. The face parser has no hand class and reads a hand as skin, so a hand over
//! the mouth, a cheek or the chin passed as a clean face. MediaPipe's two hand models find it:
//! the palm detector (`det_palm192`) on a square around the face, then, for each palm, the
//! hand-landmark model (`lmk_hand224`) on the palm's hand region, whose presence score confirms
//! a hand (the palm detector alone also fires on faces) and whose 21 landmarks say where it is.
//! The decoding follows MediaPipe's PalmDetectionCpu and HandLandmarkCpu graphs (mediapipe 0.10.14).

use crate::detect::{BoundingBox, Point, anchors};
use crate::error::Result;
use crate::image::warp::{Affine, warp_crop};
use crate::runtime::Model;
use crate::tensor::nhwc;
use image::RgbImage;
use std::sync::Arc;

const PALM_INPUT: u32 = 192;
const LANDMARK_INPUT: u32 = 224;
/// The square searched, in face-box sides: a hand at the cheek or under the chin is in it, and
/// near a portrait's face a hand is large enough for the detector at 192 px.
const SEARCH_SIDE: f32 = 2.5;
/// MediaPipe's own decoding: minimum palm score, weighted-NMS overlap, and the hand region built
/// from a palm (2.6 palm sizes, shifted half a palm towards the fingers).
const MIN_PALM_SCORE: f32 = 0.5;
const NMS_IOU: f32 = 0.3;
const HAND_SCALE: f32 = 2.6;
const HAND_SHIFT: f32 = -0.5;
/// At most this many palms get a landmark pass (each costs a model run).
const MAX_PALMS: usize = 4;

/// A palm in image pixels: its box and its 7 keypoints (0 the wrist, 2 the middle finger's base).
#[derive(Debug, Clone)]
struct Palm {
    score: f32,
    x0: f32,
    y0: f32,
    x1: f32,
    y1: f32,
    keypoints: [Point; 7],
}

/// A hand the landmark model confirmed or not.
#[derive(Debug, Clone)]
pub struct Hand {
    /// The landmark model's probability that a hand is there.
    pub presence: f32,
    /// 21 landmarks in image pixels.
    pub landmarks: Vec<Point>,
}

impl Hand {
    /// Share of the landmarks inside `b`.
    pub fn share_inside(&self, b: &BoundingBox) -> f32 {
        let n = self
            .landmarks
            .iter()
            .filter(|p| p.x >= b.x && p.x <= b.x + b.w && p.y >= b.y && p.y <= b.y + b.h)
            .count();
        n as f32 / self.landmarks.len().max(1) as f32
    }
}

pub struct HandModels {
    palm: Arc<dyn Model>,
    landmarks: Arc<dyn Model>,
    anchors: Vec<(f32, f32)>,
}

impl HandModels {
    pub const PALM_ID: &'static str = "det_palm192";
    pub const LANDMARK_ID: &'static str = "lmk_hand224";

    pub fn new(palm: Arc<dyn Model>, landmarks: Arc<dyn Model>) -> Self {
        Self { palm, landmarks, anchors: anchors::generate(PALM_INPUT, &[8, 16, 16, 16], 2) }
    }

    /// The hands around `face`, best palm first, each with its presence and landmarks.
    pub fn run(&self, img: &RgbImage, face: &BoundingBox) -> Result<Vec<Hand>> {
        let side = SEARCH_SIDE * face.w.max(face.h);
        let c = face.center();
        let s = side / PALM_INPUT as f32;
        let to_src = Affine { m: [s, 0.0, c.x - side / 2.0, 0.0, s, c.y - side / 2.0] };
        let crop = warp_crop(img, &to_src, PALM_INPUT, PALM_INPUT, [0, 0, 0]);
        let out = self.palm.run(nhwc(&crop, 1.0 / 255.0, 0.0).view())?;
        let (reg, logits) = (out[0].as_slice().expect("contiguous"), out[1].as_slice().expect("contiguous"));
        let palms = self.decode(reg, logits, &to_src);
        palms.iter().take(MAX_PALMS).map(|p| self.hand(img, p)).collect()
    }

    /// Palms above the score floor, merged by weighted NMS, mapped to image pixels.
    fn decode(&self, reg: &[f32], logits: &[f32], to_src: &Affine) -> Vec<Palm> {
        let scale = PALM_INPUT as f32;
        let mut found: Vec<Palm> = Vec::new();
        for (i, &(ax, ay)) in self.anchors.iter().enumerate() {
            let score = 1.0 / (1.0 + (-logits[i].clamp(-100.0, 100.0)).exp());
            if score < MIN_PALM_SCORE {
                continue;
            }
            let r = &reg[i * 18..i * 18 + 18];
            // Input pixels relative to the anchor, then the crop's pixels, then the image's.
            let at = |u: f32, v: f32| {
                let (x, y) = to_src.apply((u / scale + ax) * scale, (v / scale + ay) * scale);
                Point::new(x, y)
            };
            let (cx, cy, w, h) = (r[0], r[1], r[2], r[3]);
            let a = at(cx - w / 2.0, cy - h / 2.0);
            let b = at(cx + w / 2.0, cy + h / 2.0);
            let keypoints = std::array::from_fn(|k| at(r[4 + 2 * k], r[5 + 2 * k]));
            found.push(Palm { score, x0: a.x, y0: a.y, x1: b.x, y1: b.y, keypoints });
        }
        weighted_nms(found)
    }

    /// The landmark model on the palm's hand region: upright from wrist to fingers, square.
    fn hand(&self, img: &RgbImage, p: &Palm) -> Result<Hand> {
        let (wrist, finger) = (p.keypoints[0], p.keypoints[2]);
        // Rotation that turns the wrist-to-finger direction to point up.
        let angle = std::f32::consts::FRAC_PI_2 - (-(finger.y - wrist.y)).atan2(finger.x - wrist.x);
        let (w, h) = (p.x1 - p.x0, p.y1 - p.y0);
        let (sin, cos) = angle.sin_cos();
        let cx = (p.x0 + p.x1) / 2.0 - h * HAND_SHIFT * sin;
        let cy = (p.y0 + p.y1) / 2.0 + h * HAND_SHIFT * cos;
        let size = w.max(h) * HAND_SCALE;
        let s = size / LANDMARK_INPUT as f32;
        let half = size / 2.0;
        let origin = (cx - half * cos + half * sin, cy - half * sin - half * cos);
        let to_src = Affine::similarity(s, angle, origin.0, origin.1);
        let crop = warp_crop(img, &to_src, LANDMARK_INPUT, LANDMARK_INPUT, [0, 0, 0]);
        let out = self.landmarks.run(nhwc(&crop, 1.0 / 255.0, 0.0).view())?;
        let lm = out[0].as_slice().expect("contiguous");
        let presence = out[1].as_slice().expect("contiguous")[0];
        let landmarks = lm
            .chunks_exact(3)
            .map(|v| {
                let (x, y) = to_src.apply(v[0], v[1]);
                Point::new(x, y)
            })
            .collect();
        Ok(Hand { presence, landmarks })
    }
}

fn iou(a: &Palm, b: &Palm) -> f32 {
    let ix = a.x1.min(b.x1) - a.x0.max(b.x0);
    let iy = a.y1.min(b.y1) - a.y0.max(b.y0);
    if ix <= 0.0 || iy <= 0.0 {
        return 0.0;
    }
    let area = |p: &Palm| (p.x1 - p.x0).max(0.0) * (p.y1 - p.y0).max(0.0);
    let inter = ix * iy;
    inter / (area(a) + area(b) - inter).max(1e-6)
}

/// MediaPipe's weighted NMS: each cluster around the best remaining palm becomes its
/// score-weighted mean, with the best score.
fn weighted_nms(mut palms: Vec<Palm>) -> Vec<Palm> {
    palms.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut out = Vec::new();
    while !palms.is_empty() {
        let best = palms[0].clone();
        let (mut cluster, mut rest) = (Vec::new(), Vec::new());
        for (i, p) in palms.into_iter().enumerate() {
            if i == 0 || iou(&best, &p) > NMS_IOU { cluster.push(p) } else { rest.push(p) }
        }
        let total: f32 = cluster.iter().map(|p| p.score).sum();
        let mean = |f: &dyn Fn(&Palm) -> f32| cluster.iter().map(|p| f(p) * p.score).sum::<f32>() / total;
        let keypoints = std::array::from_fn(|k| {
            Point::new(mean(&|p: &Palm| p.keypoints[k].x), mean(&|p: &Palm| p.keypoints[k].y))
        });
        out.push(Palm {
            score: best.score,
            x0: mean(&|p| p.x0),
            y0: mean(&|p| p.y0),
            x1: mean(&|p| p.x1),
            y1: mean(&|p| p.y1),
            keypoints,
        });
        palms = rest;
    }
    out
}
