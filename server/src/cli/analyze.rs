//! `sapa analyze`: faces, landmarks and pose for each file, one JSON line per file.

use super::files::{self, CHUNK, ErrorBody, ErrorLine};
use super::{GlobalArgs, setup};
use clap::Args;
use rayon::prelude::*;
use sapa_engine::detect::{BoundingBox, DetectorConfig, DetectorKind, Keypoints};
use sapa_engine::geometry::{EyeOpenness, HeadPose};
use sapa_engine::{Analysis, AnalyzerConfig};
use serde::Serialize;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct AnalyzeArgs {
    /// Print one JSON object per line instead of a human summary.
    #[arg(long)]
    json: bool,
    /// Use the short-range detector: faster, for photos where the face fills the frame.
    #[arg(long)]
    fast: bool,
    /// Minimum detector confidence for a face (default: MediaPipe's, 0.6 full range, 0.5 short).
    #[arg(long)]
    min_score: Option<f32>,
    /// Image files (JPEG, PNG, WebP, JPEG 2000).
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

/// The JSON line for an analysed file.
#[derive(Serialize)]
struct AnalysisLine<'a> {
    file: &'a str,
    width: u32,
    height: u32,
    faces: Vec<FaceJson>,
}

#[derive(Serialize)]
struct FaceJson {
    score: f32,
    #[serde(rename = "box")]
    bbox: BoundingBox,
    keypoints: Keypoints,
    #[serde(skip_serializing_if = "Option::is_none")]
    pose: Option<HeadPose>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pose_net: Option<HeadPose>,
    #[serde(skip_serializing_if = "Option::is_none")]
    inter_eye_px: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    eyes_open: Option<EyeOpenness>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mouth_open: Option<f32>,
}

fn faces_json(a: &Analysis) -> Vec<FaceJson> {
    a.faces
        .iter()
        .map(|f| {
            let lm = f.landmarks.as_ref();
            FaceJson {
                score: f.detection.score,
                bbox: f.detection.bbox,
                keypoints: f.detection.keypoints,
                pose: lm.map(|l| l.pose),
                pose_net: lm.map(|l| l.pose_net),
                inter_eye_px: lm.map(|l| l.measures.inter_eye_px),
                eyes_open: lm.map(|l| l.measures.eye_openness),
                mouth_open: lm.map(|l| l.measures.mouth_openness),
            }
        })
        .collect()
}

fn human(file: &str, result: &Result<Analysis, ErrorBody>) -> String {
    match result {
        Err(e) => format!("{file}: error {}: {}", e.code, e.message),
        Ok(a) => {
            let mut s = format!("{file}: {}x{}, {} face(s)", a.width, a.height, a.faces.len());
            if let Some(lm) = a.main_face().and_then(|f| f.landmarks.as_ref()) {
                s += &format!(
                    "; main face yaw {:.1}° pitch {:.1}° roll {:.1}°, eyes {:.0} px apart, eye openness {:.2}/{:.2}, mouth {:.2}",
                    lm.pose.yaw,
                    lm.pose.pitch,
                    lm.pose.roll,
                    lm.measures.inter_eye_px,
                    lm.measures.eye_openness.right,
                    lm.measures.eye_openness.left,
                    lm.measures.mouth_openness
                );
            }
            s
        }
    }
}

pub fn run(global: &GlobalArgs, args: AnalyzeArgs) -> anyhow::Result<ExitCode> {
    let mut config = AnalyzerConfig::default();
    if args.fast {
        config.detector = DetectorConfig::for_kind(DetectorKind::ShortRange);
    }
    if let Some(s) = args.min_score {
        config.detector.min_score = s;
    }
    let analyzer = setup::analyzer(global, config)?;
    let stdout = std::io::stdout();
    for chunk in args.files.chunks(CHUNK) {
        let results: Vec<Result<Analysis, ErrorBody>> = chunk
            .par_iter()
            .map(|path| {
                let bytes = files::read(path)?;
                analyzer.analyze_bytes(&bytes).map_err(|e| ErrorBody::from(&e))
            })
            .collect();
        let mut out = stdout.lock();
        for (path, result) in chunk.iter().zip(&results) {
            let file = files::display(path);
            let line = if args.json {
                match result {
                    Ok(a) => serde_json::to_string(&AnalysisLine {
                        file: &file,
                        width: a.width,
                        height: a.height,
                        faces: faces_json(a),
                    })?,
                    Err(error) => serde_json::to_string(&ErrorLine { file: &file, error })?,
                }
            } else {
                human(&file, result)
            };
            writeln!(out, "{line}")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
