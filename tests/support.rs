//! Shared test support: where the shared fixtures and reference cases live.

use std::path::PathBuf;

/// The workspace root (the directory holding `models/` and `engine/`).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `../shared` beside the checkout, where CI places the shared models and photos.
pub fn shared_dir() -> PathBuf {
    workspace_root().join("..").join("shared")
}

/// The real-photo fixtures: `SAPA_FIXTURES` or `../shared/fixtures/faces`. `None` (with a printed
/// notice) when absent, so tests that need them skip instead of failing on a machine without them.
pub fn faces_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("SAPA_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| shared_dir().join("fixtures").join("faces"));
    if dir.join("labels.csv").is_file() {
        Some(dir)
    } else {
        eprintln!(
            "NOTICE: real-photo fixtures not found at {}; skipping",
            dir.display()
        );
        None
    }
}

/// The reference model cases: `../shared/models/cases`, or `None` with a notice.
pub fn cases_dir() -> Option<PathBuf> {
    let dir = shared_dir().join("models").join("cases");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "NOTICE: model reference cases not found at {}; skipping",
            dir.display()
        );
        None
    }
}

/// The backends this test build can exercise: tract always, ONNX Runtime with `--features ort`.
pub fn backends() -> Vec<sapa_engine::runtime::BackendKind> {
    let mut v = vec![sapa_engine::runtime::BackendKind::Tract];
    if cfg!(feature = "ort") {
        v.push(sapa_engine::runtime::BackendKind::Ort);
    }
    v
}

/// The workspace `models/` directory.
pub fn models_dir() -> PathBuf {
    workspace_root().join("models")
}
