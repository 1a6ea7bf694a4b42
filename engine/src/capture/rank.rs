//! Which frame of a burst to keep. Pure: it reads only the frames' validation reports, so the
//! order can be tested without a model and explained to an officer from the report alone.

use crate::validate::{Code, Decision, Report, Severity, Status};
use serde::Serialize;
use std::cmp::Ordering;

/// What the ranking reads from one frame's report.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct FrameScore {
    /// The frame's place in the burst, from 0.
    pub index: usize,
    pub decision: Decision,
    /// Codes of the failed rejecting checks, most important first (the report's `failed`).
    pub failed: Vec<Code>,
    /// Whether a face was found at all.
    pub face: bool,
    /// The face's edge sharpness (`blur`'s measure; higher is sharper), `null` if not measured.
    pub sharpness: Option<f32>,
    /// |yaw| + |pitch| in degrees (0 is frontal), `null` without a face.
    pub off_frontal_deg: Option<f32>,
    /// The less open eye's open probability, `null` if not read.
    pub eyes_open: Option<f32>,
}

impl FrameScore {
    /// Reads the measures the ranking uses out of `report`.
    pub fn from_report(index: usize, report: &Report) -> Self {
        let value = |code: Code, measure: &str| {
            report
                .checks
                .iter()
                .find(|c| c.code == code && c.measure == measure && c.status == Status::Measured)
                .and_then(|c| c.value)
                .filter(|v| v.is_finite())
        };
        let yaw = value(Code::TurnedHead, "yaw_deg");
        let pitch = value(Code::Tilted, "pitch_deg");
        let rejecting = |code: &Code| {
            report.checks.iter().any(|c| c.code == *code && !c.passed && c.severity == Severity::Reject)
        };
        Self {
            index,
            decision: report.decision,
            failed: report.failed.iter().copied().filter(rejecting).collect(),
            face: !report.failed.contains(&Code::NoFace) && yaw.is_some(),
            sharpness: value(Code::Blur, "edge_sharpness"),
            off_frontal_deg: yaw.zip(pitch).map(|(y, p)| y.abs() + p.abs()),
            eyes_open: value(Code::ClosedEyes, "eye_open_probability_min"),
        }
    }
}

/// Orders two frames, better first:
///
/// 1. a compliant frame (`decision = accept`) before any other;
/// 2. a frame with a face before one without;
/// 3. fewer failed rejecting checks (the frame closest to compliant, so its hints are the fewest
///    the person still has to fix);
/// 4. sharper (edge sharpness, higher first);
/// 5. more frontal (|yaw| + |pitch|, lower first);
/// 6. eyes more open (the less open eye's probability, higher first);
/// 7. the later frame (the person has had longest to settle), so the order is total.
///
/// An unmeasured value ranks below any measured one.
pub fn better(a: &FrameScore, b: &FrameScore) -> Ordering {
    let high = |x: Option<f32>, y: Option<f32>| match (x, y) {
        (Some(x), Some(y)) => y.total_cmp(&x),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    let low = |x: Option<f32>, y: Option<f32>| high(x.map(|v| -v), y.map(|v| -v));
    let accepted = |s: &FrameScore| s.decision == Decision::Accept;
    accepted(b)
        .cmp(&accepted(a))
        .then(b.face.cmp(&a.face))
        .then(a.failed.len().cmp(&b.failed.len()))
        .then(high(a.sharpness, b.sharpness))
        .then(low(a.off_frontal_deg, b.off_frontal_deg))
        .then(high(a.eyes_open, b.eyes_open))
        .then(b.index.cmp(&a.index))
}

/// The frames' indices, best first (see [`better`]).
pub fn rank(scores: &[FrameScore]) -> Vec<usize> {
    let mut order: Vec<&FrameScore> = scores.iter().collect();
    order.sort_by(|a, b| better(a, b));
    order.into_iter().map(|s| s.index).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(index: usize, failed: &[Code], sharp: f32, off: f32, eyes: f32) -> FrameScore {
        FrameScore {
            index,
            decision: if failed.is_empty() { Decision::Accept } else { Decision::Reject },
            failed: failed.to_vec(),
            face: !failed.contains(&Code::NoFace),
            sharpness: Some(sharp),
            off_frontal_deg: Some(off),
            eyes_open: Some(eyes),
        }
    }

    #[test]
    fn a_compliant_frame_wins_over_a_sharper_non_compliant_one() {
        let frames = [score(0, &[Code::OpenMouth], 90.0, 1.0, 0.9), score(1, &[], 40.0, 4.0, 0.5)];
        assert_eq!(rank(&frames), vec![1, 0]);
    }

    #[test]
    fn a_face_wins_over_none_however_few_its_failures() {
        let mut none = score(0, &[Code::NoFace], 0.0, 0.0, 0.0);
        (none.sharpness, none.off_frontal_deg, none.eyes_open) = (None, None, None);
        let face = score(1, &[Code::OpenMouth, Code::Blur, Code::BusyBackground], 10.0, 20.0, 0.1);
        assert_eq!(rank(&[none, face]), vec![1, 0]);
    }

    #[test]
    fn among_equals_fewer_failures_then_sharper_then_frontal_then_open_eyes() {
        let frames = [
            score(0, &[Code::OpenMouth, Code::Blur], 99.0, 0.0, 1.0),
            score(1, &[Code::OpenMouth], 50.0, 3.0, 0.9),
            score(2, &[Code::OpenMouth], 60.0, 9.0, 0.9),
            score(3, &[Code::OpenMouth], 60.0, 2.0, 0.4),
            score(4, &[Code::OpenMouth], 60.0, 2.0, 0.8),
        ];
        assert_eq!(rank(&frames), vec![4, 3, 2, 1, 0]);
    }

    #[test]
    fn an_unmeasured_value_ranks_below_a_measured_one_and_ties_go_to_the_later_frame() {
        let mut blind = score(0, &[Code::OpenMouth], 0.0, 1.0, 0.9);
        blind.sharpness = None;
        let seen = score(1, &[Code::OpenMouth], 1.0, 1.0, 0.9);
        assert_eq!(rank(&[blind, seen.clone()]), vec![1, 0]);
        let twin = FrameScore { index: 2, ..seen.clone() };
        assert_eq!(rank(&[seen, twin]), vec![2, 1]);
    }
}
