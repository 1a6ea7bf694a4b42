//! Criterion benches live in this crate; see `benches/*.rs`. This library holds what they share:
//! the inputs (the committed portrait, and a shared photo when `../shared` is beside the checkout)
//! and the loaded engine on each backend built in.

use image::{DynamicImage, RgbImage, imageops::FilterType};
use sapa_engine::runtime::{Backend, BackendKind, BackendOptions};
use sapa_engine::validate::Validator;
use sapa_engine::{Analyzer, AnalyzerConfig, Recognizer};
use std::path::PathBuf;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn models_dir() -> PathBuf {
    root().join("models")
}

pub fn portrait() -> RgbImage {
    image::open(root().join("fixtures/astronaut.png")).expect("fixtures/astronaut.png").to_rgb8()
}

/// The portrait scaled to `side` x `side` (1024 gives the 1 MP image the stage benches use).
pub fn portrait_of_side(side: u32) -> RgbImage {
    DynamicImage::ImageRgb8(portrait()).resize_exact(side, side, FilterType::Triangle).to_rgb8()
}

/// JPEG bytes at quality 90.
pub fn jpeg(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).encode_image(img).expect("encode");
    out
}

/// A real ~1 MP JPEG from the shared photos (dev_0012.jpg, 910x1137, frontal), read from
/// `SAPA_FIXTURES` or `../shared/fixtures/faces`; `None` with a notice when absent.
pub fn shared_photo() -> Option<(String, Vec<u8>)> {
    let dir = std::env::var_os("SAPA_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/fixtures/faces"));
    match std::fs::read(dir.join("dev_0012.jpg")) {
        Ok(bytes) => Some(("dev_0012".to_string(), bytes)),
        Err(_) => {
            eprintln!("NOTICE: shared photos not found at {}; benching the portrait only", dir.display());
            None
        }
    }
}

/// The photos the end-to-end benches run on: the portrait as a 1 MP JPEG, and the shared photo.
pub fn photos() -> Vec<(String, Vec<u8>)> {
    let mut v = vec![("astronaut_1mp".to_string(), jpeg(&portrait_of_side(1024)))];
    v.extend(shared_photo());
    v
}

pub fn backends() -> Vec<BackendKind> {
    let mut v = vec![BackendKind::Tract];
    if cfg!(feature = "ort") {
        v.push(BackendKind::Ort);
    }
    v
}

/// One intra-op thread: the benches measure one core.
pub fn backend(kind: BackendKind) -> Backend {
    Backend::new(BackendOptions::of(kind)).expect("backend")
}

pub fn analyzer(kind: BackendKind) -> Analyzer {
    Analyzer::load(&models_dir(), backend(kind), AnalyzerConfig::default()).expect("models")
}

pub fn validator(kind: BackendKind) -> Validator {
    Validator::load(&models_dir(), analyzer(kind)).expect("validation models")
}

/// The default recognizer (`default_model` of models/recognition.toml).
pub fn recognizer(kind: BackendKind) -> Recognizer {
    let config = sapa_engine::recognition::RecognitionConfig::load(&models_dir()).expect("recognition.toml");
    Recognizer::load(&models_dir(), config.default_model, &backend(kind)).expect("recognizer")
}
