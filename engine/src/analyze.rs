//! The analysis pipeline: decode, detect every face, then mesh, measure and pose the main one.

use crate::detect::cascade::{Cascade, Stage};
use crate::detect::{Detection, Detector, DetectorConfig, DetectorKind};
use crate::error::Result;
use crate::geometry::pose_net::PoseNet;
use crate::geometry::{FaceMeasures, HeadPose, measures, pose};
use crate::image::{DecodeLimits, DecodedImage, SourceInfo, decode};
use crate::landmarks::{FaceMesh, MeshModel};
use crate::models::load_model;
use crate::runtime::Backend;
use image::RgbImage;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// What the analyzer does and with which limits.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AnalyzerConfig {
    /// The first detector tried; the other kind is the fallback for tight crops.
    pub detector: DetectorConfig,
    pub limits: DecodeLimits,
}

/// Landmark-derived facts about the main face.
#[derive(Debug, Clone, Serialize)]
pub struct FaceLandmarks {
    pub mesh: FaceMesh,
    pub measures: FaceMeasures,
    /// Pose from the 3D mesh: the value the checks judge.
    pub pose: HeadPose,
    /// Pose from the appearance network, a cross-check.
    pub pose_net: HeadPose,
}

/// One face: its detection, and for the main (largest) face also the landmarks.
#[derive(Debug, Clone, Serialize)]
pub struct Face {
    pub detection: Detection,
    pub landmarks: Option<FaceLandmarks>,
}

/// Everything the engine learned about one image.
#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    pub source: SourceInfo,
    pub width: u32,
    pub height: u32,
    /// Largest first.
    pub faces: Vec<Face>,
}

impl Analysis {
    pub fn main_face(&self) -> Option<&Face> {
        self.faces.first()
    }
}

/// The loaded models, shared by every thread.
pub struct Analyzer {
    config: AnalyzerConfig,
    detector: Cascade,
    mesh: MeshModel,
    pose_net: PoseNet,
    backend: Backend,
}

impl Analyzer {
    /// Loads and verifies every model the analysis needs.
    pub fn load(models_dir: &Path, backend: Backend, config: AnalyzerConfig) -> Result<Self> {
        let primary = config.detector;
        let other = DetectorConfig::for_kind(match primary.kind {
            DetectorKind::FullRange => DetectorKind::ShortRange,
            DetectorKind::ShortRange => DetectorKind::FullRange,
        });
        let load = |c: DetectorConfig| -> Result<Detector> {
            Ok(Detector::new(load_model(models_dir, c.kind.model_id(), &backend)?, c))
        };
        let detector = Cascade::new(vec![
            Stage { detector: load(primary)?, fill: 1.0 },
            Stage { detector: load(other)?, fill: 1.0 },
            Stage { detector: load(primary)?, fill: 0.5 },
        ]);
        let mesh = MeshModel::new(load_model(models_dir, MeshModel::MODEL_ID, &backend)?);
        let pose_net = PoseNet::new(load_model(models_dir, PoseNet::MODEL_ID, &backend)?);
        Ok(Self { config, detector, mesh, pose_net, backend })
    }

    pub fn config(&self) -> &AnalyzerConfig {
        &self.config
    }

    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    /// Decodes with the configured limits.
    pub fn decode(&self, bytes: &[u8]) -> Result<DecodedImage> {
        decode(bytes, &self.config.limits)
    }

    /// Decodes and analyses one image.
    pub fn analyze_bytes(&self, bytes: &[u8]) -> Result<Analysis> {
        let decoded = self.decode(bytes)?;
        self.analyze(&decoded.rgb, decoded.source)
    }

    /// Every face in `img`, largest first.
    pub fn detect(&self, img: &RgbImage) -> Result<Vec<Detection>> {
        self.detector.detect(img)
    }

    /// Faces found with the primary detector when the frame fills only `fill` of its input and
    /// the score threshold is `min_score`: a second look for faces cut by the frame edge, which
    /// need the padding's context to be seen at all.
    pub fn detect_padded(&self, img: &RgbImage, fill: f32, min_score: f32) -> Result<Vec<Detection>> {
        match self.detector.primary() {
            Some(d) => d.detect_scored(img, fill, min_score),
            None => Ok(Vec::new()),
        }
    }

    /// Analyses decoded pixels.
    pub fn analyze(&self, img: &RgbImage, source: SourceInfo) -> Result<Analysis> {
        let detections = self.detect(img)?;
        let mut faces: Vec<Face> =
            detections.into_iter().map(|detection| Face { detection, landmarks: None }).collect();
        if let Some(main) = faces.first_mut() {
            main.landmarks = Some(self.landmarks(img, &main.detection)?);
        }
        Ok(Analysis { source, width: img.width(), height: img.height(), faces })
    }

    /// [`Analyzer::analyze`] with the short-range detector tried first: the fast path of live
    /// guidance, where the face is near the camera.
    pub fn analyze_near(&self, img: &RgbImage, source: SourceInfo) -> Result<Analysis> {
        let detections = self.detector.detect_preferring(img, DetectorKind::ShortRange)?;
        let mut faces: Vec<Face> =
            detections.into_iter().map(|detection| Face { detection, landmarks: None }).collect();
        if let Some(main) = faces.first_mut() {
            main.landmarks = Some(self.landmarks(img, &main.detection)?);
        }
        Ok(Analysis { source, width: img.width(), height: img.height(), faces })
    }

    /// Mesh, measures and both pose estimates for one detected face.
    pub fn landmarks(&self, img: &RgbImage, det: &Detection) -> Result<FaceLandmarks> {
        let mesh = self.mesh(img, det)?;
        let measures = measures::measure(&mesh);
        let pose = pose::from_mesh(&mesh);
        let pose_net = self.pose_net(img, det)?;
        Ok(FaceLandmarks { mesh, measures, pose, pose_net })
    }

    /// The dense mesh alone (a stage of [`Analyzer::landmarks`], public for benchmarks).
    pub fn mesh(&self, img: &RgbImage, det: &Detection) -> Result<FaceMesh> {
        self.mesh.run(img, det)
    }

    /// The appearance pose network alone (a stage of [`Analyzer::landmarks`]).
    pub fn pose_net(&self, img: &RgbImage, det: &Detection) -> Result<HeadPose> {
        self.pose_net.run(img, det)
    }

    /// Analyses many images in parallel on rayon. Each result stands alone: one bad file is an
    /// error in its own slot and never stops the others.
    pub fn analyze_many<B: AsRef<[u8]> + Sync>(&self, inputs: &[B]) -> Vec<Result<Analysis>> {
        inputs.par_iter().map(|b| self.analyze_bytes(b.as_ref())).collect()
    }
}
