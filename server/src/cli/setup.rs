//! Building the engine from the command line's global options.

use super::GlobalArgs;
use sapa_engine::models::locate_models_dir;
use sapa_engine::runtime::{Backend, BackendOptions};
use sapa_engine::{Analyzer, AnalyzerConfig};

pub fn analyzer(global: &GlobalArgs, config: AnalyzerConfig) -> anyhow::Result<Analyzer> {
    let dir = locate_models_dir(global.models.as_deref())?;
    let backend = Backend::new(BackendOptions {
        kind: global.backend,
        intra_threads: 1,
    })?;
    Ok(Analyzer::load(&dir, backend, config)?)
}
