//! BlazeFace inference and decoding.

use super::{BoundingBox, Detection, Keypoints, Point, anchors, nms};
use crate::error::Result;
use crate::image::resize::letterbox;
use crate::runtime::Model;
use crate::tensor::nhwc;
use image::RgbImage;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Which BlazeFace variant to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DetectorKind {
    /// 192 px, one anchor grid of stride 4: finds small and distant faces too. The default.
    #[default]
    FullRange,
    /// 128 px: about three times faster, for a face that fills the frame (selfies, kiosks).
    ShortRange,
}

impl DetectorKind {
    pub fn model_id(self) -> &'static str {
        match self {
            Self::FullRange => "det_blazeface_full192",
            Self::ShortRange => "det_blazeface_short128",
        }
    }
    fn input_size(self) -> u32 {
        match self {
            Self::FullRange => 192,
            Self::ShortRange => 128,
        }
    }
    fn anchors(self) -> Vec<(f32, f32)> {
        match self {
            Self::FullRange => anchors::generate(192, &[4], 1),
            Self::ShortRange => anchors::generate(128, &[8, 16, 16, 16], 2),
        }
    }
}

/// Detection thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DetectorConfig {
    pub kind: DetectorKind,
    /// Minimum detector confidence for a face.
    pub min_score: f32,
    /// Overlap above which candidates are merged by weighted NMS.
    pub nms_iou: f32,
}

impl Default for DetectorConfig {
    fn default() -> Self {
        Self { kind: DetectorKind::FullRange, min_score: 0.6, nms_iou: 0.3 }
    }
}

impl DetectorConfig {
    /// The configuration for `kind` with MediaPipe's published score threshold for it.
    pub fn for_kind(kind: DetectorKind) -> Self {
        let min_score = match kind {
            DetectorKind::FullRange => 0.6,
            DetectorKind::ShortRange => 0.5,
        };
        Self { kind, min_score, ..Self::default() }
    }
}

/// A ready detector: model plus its anchors, computed once.
pub struct Detector {
    model: Arc<dyn Model>,
    config: DetectorConfig,
    anchors: Vec<(f32, f32)>,
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x.clamp(-100.0, 100.0)).exp())
}

impl Detector {
    pub fn new(model: Arc<dyn Model>, config: DetectorConfig) -> Self {
        Self { model, anchors: config.kind.anchors(), config }
    }

    pub fn config(&self) -> &DetectorConfig {
        &self.config
    }

    /// All faces in `img`, largest first.
    pub fn detect(&self, img: &RgbImage) -> Result<Vec<Detection>> {
        self.detect_padded(img, 1.0)
    }

    /// Faces in `img` letterboxed to cover only `fill` of the model's input square.
    pub fn detect_padded(&self, img: &RgbImage, fill: f32) -> Result<Vec<Detection>> {
        self.detect_scored(img, fill, self.config.min_score)
    }

    /// As [`Detector::detect_padded`], with another score threshold.
    pub fn detect_scored(&self, img: &RgbImage, fill: f32, min_score: f32) -> Result<Vec<Detection>> {
        let size = self.config.kind.input_size();
        let (square, lb) = letterbox(img, size, fill)?;
        let outputs = self.model.run(nhwc(&square, 1.0 / 127.5, -1.0).view())?;
        let (regressors, scores) = (&outputs[0], &outputs[1]);
        let reg = regressors.as_slice().expect("contiguous output");
        let cls = scores.as_slice().expect("contiguous output");
        let s = size as f32;
        let to_src = |nx: f32, ny: f32| {
            let (x, y) = lb.to_source(nx * s, ny * s);
            Point::new(x, y)
        };
        let mut candidates = Vec::new();
        for (i, &(ax, ay)) in self.anchors.iter().enumerate() {
            let score = sigmoid(cls[i]);
            if score < min_score {
                continue;
            }
            let r = &reg[i * 16..i * 16 + 16];
            let cx = r[0] / s + ax;
            let cy = r[1] / s + ay;
            let (w, h) = (r[2] / s, r[3] / s);
            let tl = to_src(cx - w / 2.0, cy - h / 2.0);
            let br = to_src(cx + w / 2.0, cy + h / 2.0);
            let kp = |k: usize| to_src(r[4 + 2 * k] / s + ax, r[5 + 2 * k] / s + ay);
            candidates.push(Detection {
                score,
                bbox: BoundingBox { x: tl.x, y: tl.y, w: br.x - tl.x, h: br.y - tl.y },
                keypoints: Keypoints {
                    right_eye: kp(0),
                    left_eye: kp(1),
                    nose_tip: kp(2),
                    mouth: kp(3),
                    right_ear: kp(4),
                    left_ear: kp(5),
                },
            });
        }
        let mut faces = nms::weighted_nms(candidates, self.config.nms_iou);
        faces.sort_by(|a, b| b.bbox.area().total_cmp(&a.bbox.area()));
        Ok(faces)
    }
}
