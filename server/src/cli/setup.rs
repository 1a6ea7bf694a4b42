//! Building the engine from the command line's global options.

use super::GlobalArgs;
use sapa_engine::models::locate_models_dir;
use sapa_engine::runtime::Backend;
use sapa_engine::{Analyzer, AnalyzerConfig};

pub fn analyzer(global: &GlobalArgs, config: AnalyzerConfig) -> anyhow::Result<Analyzer> {
    let dir = locate_models_dir(global.models.as_deref())?;
    let backend = Backend::new(super::backend::options(global.backend)?)?;
    Ok(Analyzer::load(&dir, backend, config)?)
}

/// The analyzer plus validation models.
pub fn validator(
    global: &GlobalArgs,
    config: AnalyzerConfig,
) -> anyhow::Result<sapa_engine::validate::Validator> {
    let dir = locate_models_dir(global.models.as_deref())?;
    let analyzer = analyzer(global, config)?;
    Ok(sapa_engine::validate::Validator::load(&dir, analyzer)?)
}

/// A profile by built-in name (`kz-id`, `icao`, `kiosk`) or from a TOML file path.
pub fn profile(name_or_path: &str) -> anyhow::Result<sapa_engine::validate::Profile> {
    use sapa_engine::validate::Profile;
    if Profile::built_in_names().contains(&name_or_path) {
        return Ok(Profile::built_in(name_or_path)?);
    }
    let text = std::fs::read_to_string(name_or_path).map_err(|e| {
        anyhow::anyhow!(
            "profile {name_or_path:?} is neither built in (kz-id, icao, kiosk) nor a readable file: {e}"
        )
    })?;
    Ok(Profile::from_toml(&text)?)
}
