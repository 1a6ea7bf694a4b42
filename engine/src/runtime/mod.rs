//! Inference backends behind one small trait. tract (pure Rust) is always built; ONNX Runtime is
//! behind the `ort` feature and loaded from a shared library at run time.

#[cfg(feature = "ort")]
mod onnxruntime;
mod tract;

use crate::error::{EngineError, Result};
use crate::models::ModelSpec;
use ndarray::{ArrayD, ArrayViewD};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// A loaded model, ready to run from many threads at once.
pub trait Model: Send + Sync {
    /// Runs the model on one input tensor; outputs come back in manifest order.
    fn run(&self, input: ArrayViewD<'_, f32>) -> Result<Vec<ArrayD<f32>>>;

    /// How many runtime sessions the model holds now (its memory grows with them).
    fn sessions(&self) -> usize {
        1
    }
}

/// Which inference backend to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// tract-onnx: pure Rust, no system libraries. The default.
    #[default]
    Tract,
    /// ONNX Runtime through the `ort` crate, its library loaded at run time.
    Ort,
}

impl FromStr for BackendKind {
    type Err = EngineError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "tract" => Ok(Self::Tract),
            "ort" => Ok(Self::Ort),
            other => Err(EngineError::Config(format!("unknown backend {other:?}: use tract or ort"))),
        }
    }
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Tract => "tract",
            Self::Ort => "ort",
        })
    }
}

/// Backend settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BackendOptions {
    pub kind: BackendKind,
    /// Threads ONNX Runtime may use inside one inference. 1 suits batch work, where rayon
    /// already keeps every core busy with whole images.
    pub intra_threads: usize,
    /// The ONNX Runtime shared library to load; `None` reads `ORT_DYLIB_PATH`.
    #[serde(default)]
    pub ort_library: Option<std::path::PathBuf>,
}

impl Default for BackendOptions {
    fn default() -> Self {
        Self { kind: BackendKind::Tract, intra_threads: 1, ort_library: None }
    }
}

impl BackendOptions {
    /// `kind` with one intra-op thread and the library from the environment.
    pub fn of(kind: BackendKind) -> Self {
        Self { kind, ..Self::default() }
    }
}

/// A constructed backend: turns model bytes into runnable [`Model`]s.
#[derive(Clone)]
pub struct Backend {
    options: BackendOptions,
    #[cfg(feature = "ort")]
    ort: Option<Arc<onnxruntime::OrtRuntime>>,
}

impl Backend {
    /// Prepares the chosen backend. For ort this loads the ONNX Runtime library once.
    pub fn new(options: BackendOptions) -> Result<Self> {
        match options.kind {
            BackendKind::Tract => Ok(Self {
                options,
                #[cfg(feature = "ort")]
                ort: None,
            }),
            #[cfg(feature = "ort")]
            BackendKind::Ort => {
                let rt = onnxruntime::OrtRuntime::shared(options.ort_library.as_deref())?;
                Ok(Self { options, ort: Some(rt) })
            }
            #[cfg(not(feature = "ort"))]
            BackendKind::Ort => Err(EngineError::Config(
                "this build has no ONNX Runtime backend: rebuild with `--features ort`".into(),
            )),
        }
    }

    pub fn kind(&self) -> BackendKind {
        self.options.kind
    }

    /// What runs the models, for `--version`, readiness and metrics: `tract`, or
    /// `onnxruntime <version>` (the version read from the library's file name, when it has one).
    pub fn runtime(&self) -> String {
        match self.options.kind {
            BackendKind::Tract => "tract".to_string(),
            #[cfg(feature = "ort")]
            BackendKind::Ort => self.ort.as_ref().map_or_else(|| "onnxruntime".into(), |rt| rt.describe()),
            #[cfg(not(feature = "ort"))]
            BackendKind::Ort => "onnxruntime".to_string(),
        }
    }

    /// Prepares a model from its verified bytes.
    pub fn load(&self, spec: &ModelSpec, bytes: &[u8]) -> Result<Arc<dyn Model>> {
        match self.options.kind {
            BackendKind::Tract => Ok(Arc::new(tract::TractModel::load(spec, bytes)?)),
            #[cfg(feature = "ort")]
            BackendKind::Ort => {
                let rt = self.ort.as_ref().expect("ort runtime is set for the ort backend");
                Ok(Arc::new(onnxruntime::OrtModel::load(rt, spec, bytes, self.options.intra_threads)?))
            }
            #[cfg(not(feature = "ort"))]
            BackendKind::Ort => unreachable!("Backend::new refuses ort without the feature"),
        }
    }
}

/// The elements of an array in row-major order: borrowed when the array already lies that way in
/// memory (every tensor `crate::tensor` builds), copied otherwise. An element-wise walk of a
/// dynamic-rank view costs about 1 ms per 200 000 elements, a slice copy a few microseconds.
pub(crate) fn row_major<'a>(a: &'a ArrayViewD<'_, f32>) -> std::borrow::Cow<'a, [f32]> {
    match a.as_slice() {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => std::borrow::Cow::Owned(a.iter().copied().collect()),
    }
}

/// Checks an input against the manifest's declared shape, so a bug upstream is an error, not UB
/// in a native library.
pub(crate) fn check_input(spec: &ModelSpec, input: &ArrayViewD<'_, f32>) -> Result<()> {
    if input.shape() == spec.input.shape.as_slice() {
        Ok(())
    } else {
        Err(EngineError::Inference(format!(
            "model {} expects input {:?}, got {:?}",
            spec.id,
            spec.input.shape,
            input.shape()
        )))
    }
}
