//! The tract backend: pure Rust, optimised once at load, run concurrently without locks.

use super::{Model, check_input, row_major};
use crate::error::{EngineError, Result};
use crate::models::ModelSpec;
use ndarray::{ArrayD, ArrayViewD, IxDyn};
use std::sync::Arc;
use tract_onnx::prelude::*;

pub struct TractModel {
    spec: ModelSpec,
    plan: Arc<TypedRunnableModel>,
    /// For each manifest output, its position among the graph's outputs.
    order: Vec<usize>,
}

fn err(spec: &ModelSpec, e: impl std::fmt::Display) -> EngineError {
    EngineError::Model(format!("tract could not load {}: {e}", spec.id))
}

impl TractModel {
    pub fn load(spec: &ModelSpec, bytes: &[u8]) -> Result<Self> {
        let mut reader = std::io::Cursor::new(bytes);
        let model = tract_onnx::onnx().model_for_read(&mut reader).map_err(|e| err(spec, e))?;
        let names: Vec<String> = model
            .output_outlets()
            .map_err(|e| err(spec, e))?
            .iter()
            .map(|o| model.outlet_label(*o).unwrap_or(&model.node(o.node).name).to_string())
            .collect();
        let order =
            spec.outputs
                .iter()
                .map(|o| {
                    names.iter().position(|n| *n == o.name).ok_or_else(|| {
                        err(spec, format!("graph has no output {} (it has {names:?})", o.name))
                    })
                })
                .collect::<Result<Vec<_>>>()?;
        let plan = model
            .with_input_fact(0, f32::fact(&spec.input.shape).into())
            .and_then(|m| m.into_optimized())
            .and_then(|m| m.into_runnable())
            .map_err(|e| err(spec, e))?;
        Ok(Self { spec: spec.clone(), plan, order })
    }
}

impl Model for TractModel {
    fn run(&self, input: ArrayViewD<'_, f32>) -> Result<Vec<ArrayD<f32>>> {
        check_input(&self.spec, &input)?;
        let tensor = Tensor::from_shape(input.shape(), &row_major(&input)[..])
            .map_err(|e| EngineError::Inference(format!("{}: {e}", self.spec.id)))?;
        let outputs = self
            .plan
            .run(tvec!(tensor.into()))
            .map_err(|e| EngineError::Inference(format!("{}: {e}", self.spec.id)))?;
        self.order
            .iter()
            .map(|&i| {
                let view = outputs[i]
                    .to_plain_array_view::<f32>()
                    .map_err(|e| EngineError::Inference(format!("{}: {e}", self.spec.id)))?;
                let shape: Vec<usize> = view.shape().to_vec();
                ArrayD::from_shape_vec(IxDyn(&shape), row_major(&view).into_owned())
                    .map_err(|e| EngineError::Inference(format!("{}: {e}", self.spec.id)))
            })
            .collect()
    }
}
