//! Sapa engine: from image bytes to faces, landmarks, pose and crops, on a choice of inference backends.
//!
//! The engine is pure computation: it reads model files once at start-up and otherwise touches no
//! file, socket or clock. Everything here is `Send + Sync` and meant to be shared across threads.

pub mod error;
pub mod image;
pub mod models;
pub mod overlay;
pub mod pad;
pub mod recognition;
pub mod runtime;

pub use error::{EngineError, Result};
pub mod align;
pub mod analyze;
pub mod capture;
pub mod detect;
pub mod geometry;
pub mod guidance;
pub mod landmarks;
pub mod tensor;

pub use analyze::{Analysis, Analyzer, AnalyzerConfig, Face, FaceLandmarks};
pub use recognition::{Recognizer, Template};
pub mod quality;
pub mod signature;
pub mod validate;
