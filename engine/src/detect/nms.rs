//! MediaPipe's weighted non-maximum suppression: overlapping candidates are averaged, weighted by
//! score, which steadies boxes and keypoints compared with keeping only the best candidate.

use super::{BoundingBox, Detection, Keypoints, Point};

pub fn weighted_nms(mut candidates: Vec<Detection>, iou_threshold: f32) -> Vec<Detection> {
    candidates.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut out = Vec::new();
    while !candidates.is_empty() {
        let top = candidates[0];
        let (cluster, rest): (Vec<Detection>, Vec<Detection>) =
            candidates.into_iter().partition(|c| c.bbox.iou(&top.bbox) > iou_threshold);
        candidates = rest;
        let total: f32 = cluster.iter().map(|c| c.score).sum();
        let avg = |f: &dyn Fn(&Detection) -> f32| cluster.iter().map(|c| f(c) * c.score).sum::<f32>() / total;
        let kp = |f: &dyn Fn(&Keypoints) -> Point| {
            Point::new(avg(&|d| f(&d.keypoints).x), avg(&|d| f(&d.keypoints).y))
        };
        out.push(Detection {
            score: top.score,
            bbox: BoundingBox {
                x: avg(&|d| d.bbox.x),
                y: avg(&|d| d.bbox.y),
                w: avg(&|d| d.bbox.w),
                h: avg(&|d| d.bbox.h),
            },
            keypoints: Keypoints {
                right_eye: kp(&|k| k.right_eye),
                left_eye: kp(&|k| k.left_eye),
                nose_tip: kp(&|k| k.nose_tip),
                mouth: kp(&|k| k.mouth),
                right_ear: kp(&|k| k.right_ear),
                left_ear: kp(&|k| k.left_ear),
            },
        });
    }
    out
}
