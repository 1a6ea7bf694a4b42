//! Face recognition for 1:1 verification: embeddings from aligned crops, versioned templates,
//! similarity scores, and the calibration maths behind the thresholds.
//!
//! A [`Recognizer`] wraps one model; it turns the main face of an [`crate::Analysis`] into a
//! [`Template`]. Two templates compare only when they come from the same model and version.

pub mod calibration;
mod codec;
pub mod config;
mod error;
mod model;
mod recognizer;
mod template;
pub mod usability;

pub use codec::{FORMAT_VERSION, MAGIC};
pub use config::{ModelCalibration, OperatingPoint, RecognitionConfig};
pub use error::{RecognitionError, TemplateDefect};
pub use model::{ColourOrder, PREPROCESSING_REVISION, RecognitionModel};
pub use recognizer::{Recognizer, face_quality};
pub use template::Template;
pub use usability::{UnusableReason, Usability, UsabilityLimits, UsabilityMeasure, Verdict};
