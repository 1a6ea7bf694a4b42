//! The ONNX Runtime backend, its shared library loaded at run time from the path the caller found
//! (or `ORT_DYLIB_PATH`); nothing is downloaded at build time. An ort `Session` runs with `&mut self`, so each model keeps a small pool of
//! sessions, created on demand and reused, and **bounded**: at most one per core. A session holds
//! the whole optimised graph and its arena, so one per peak caller, kept forever, would let a
//! burst of callers grow memory for good; past the bound a caller waits for a session instead.

use super::{Model, check_input, row_major};
use crate::error::{EngineError, Result};
use crate::models::ModelSpec;
use ndarray::{ArrayD, ArrayViewD, IxDyn};
use ort::environment::Environment;
use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;
use ort::value::Tensor;
use std::sync::{Condvar, Mutex};

/// The loaded ONNX Runtime library and its environment, shared by every model.
pub struct OrtRuntime {
    env: Environment,
    library: std::path::PathBuf,
}

impl OrtRuntime {
    /// The process's one ONNX Runtime environment (the library allows no second), created on
    /// first use from `library` (or `ORT_DYLIB_PATH`) and shared by every backend after it.
    pub fn shared(library: Option<&std::path::Path>) -> Result<std::sync::Arc<Self>> {
        static RUNTIME: std::sync::OnceLock<std::result::Result<std::sync::Arc<OrtRuntime>, EngineError>> =
            std::sync::OnceLock::new();
        RUNTIME.get_or_init(|| Self::init(library).map(std::sync::Arc::new)).clone()
    }

    /// `onnxruntime 1.32.0`, the version from the library's file name when it carries one.
    pub fn describe(&self) -> String {
        let name = self.library.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        match name.split_once(".so.") {
            Some((_, version)) => format!("onnxruntime {version}"),
            None => "onnxruntime".to_string(),
        }
    }

    fn init(library: Option<&std::path::Path>) -> Result<Self> {
        let path = match library {
            Some(p) => p.as_os_str().to_owned(),
            None => std::env::var_os("ORT_DYLIB_PATH").ok_or_else(|| {
                EngineError::Config(
                    "the ort backend needs the ONNX Runtime library: run scripts/fetch-onnxruntime.sh".into(),
                )
            })?,
        };
        let builder = ort::init_from(&path)
            .map_err(|e| EngineError::Config(format!("cannot load ONNX Runtime from {path:?}: {e}")))?;
        let env = builder
            .with_name("sapa")
            .build()
            .map_err(|e| EngineError::Config(format!("ONNX Runtime environment: {e}")))?;
        Ok(Self { env, library: path.into() })
    }
}

pub struct OrtModel {
    spec: ModelSpec,
    bytes: Vec<u8>,
    intra_threads: usize,
    env: Environment,
    pool: Mutex<Sessions>,
    returned: Condvar,
    max_sessions: usize,
}

/// The sessions not in use, and how many exist.
struct Sessions {
    idle: Vec<Session>,
    total: usize,
}

impl OrtModel {
    pub fn load(rt: &OrtRuntime, spec: &ModelSpec, bytes: &[u8], intra_threads: usize) -> Result<Self> {
        let model = Self {
            spec: spec.clone(),
            bytes: bytes.to_vec(),
            intra_threads: intra_threads.max(1),
            env: rt.env.clone(),
            pool: Mutex::new(Sessions { idle: Vec::new(), total: 0 }),
            returned: Condvar::new(),
            // One per core, and one more for the server's idle lane: a background job holding a
            // session at idle priority must never make a worker wait for it.
            max_sessions: std::thread::available_parallelism().map_or(1, |n| n.get()) + 1,
        };
        // Build the first session now so a broken model fails at load, not at first use.
        let first = model.new_session()?;
        let mut pool = model.lock();
        pool.idle.push(first);
        pool.total = 1;
        drop(pool);
        Ok(model)
    }

    fn new_session(&self) -> Result<Session> {
        let e = |e: ort::Error| EngineError::Model(format!("ort could not load {}: {e}", self.spec.id));
        Session::builder(&self.env)
            .map_err(e)?
            .with_optimization_level(GraphOptimizationLevel::Level3)
            .map_err(|x| e(x.into()))?
            .with_intra_threads(self.intra_threads)
            .map_err(|x| e(x.into()))?
            .with_inter_threads(1)
            .map_err(|x| e(x.into()))?
            .commit_from_memory(&self.bytes)
            .map_err(e)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Sessions> {
        self.pool.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// An idle session; a new one while fewer than `max_sessions` exist; else the next one
    /// returned.
    fn checkout(&self) -> Result<Session> {
        let mut pool = self.lock();
        loop {
            if let Some(s) = pool.idle.pop() {
                return Ok(s);
            }
            if pool.total < self.max_sessions {
                pool.total += 1;
                drop(pool);
                let made = self.new_session();
                if made.is_err() {
                    self.lock().total -= 1;
                    self.returned.notify_one();
                }
                return made;
            }
            pool = self.returned.wait(pool).unwrap_or_else(|p| p.into_inner());
        }
    }

    fn checkin(&self, session: Session) {
        self.lock().idle.push(session);
        self.returned.notify_one();
    }
}

impl Model for OrtModel {
    fn sessions(&self) -> usize {
        self.lock().total
    }

    fn run(&self, input: ArrayViewD<'_, f32>) -> Result<Vec<ArrayD<f32>>> {
        check_input(&self.spec, &input)?;
        let fail = |e: ort::Error| EngineError::Inference(format!("{}: {e}", self.spec.id));
        let shape: Vec<i64> = input.shape().iter().map(|&d| d as i64).collect();
        let tensor = Tensor::from_array((shape, row_major(&input).into_owned())).map_err(fail)?;
        let mut session = self.checkout()?;
        let result = (|| {
            let outputs = session.run(ort::inputs![self.spec.input.name.as_str() => tensor]).map_err(fail)?;
            self.spec
                .outputs
                .iter()
                .map(|o| {
                    let value = outputs.get(o.name.as_str()).ok_or_else(|| {
                        EngineError::Inference(format!("{}: no output {}", self.spec.id, o.name))
                    })?;
                    let (shape, data) = value.try_extract_tensor::<f32>().map_err(fail)?;
                    let dims: Vec<usize> = shape.iter().map(|&d| d as usize).collect();
                    ArrayD::from_shape_vec(IxDyn(&dims), data.to_vec())
                        .map_err(|e| EngineError::Inference(format!("{}: {e}", self.spec.id)))
                })
                .collect::<Result<Vec<_>>>()
        })();
        self.checkin(session);
        result
    }
}
