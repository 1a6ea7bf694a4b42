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

/// A test that needs `../shared` skips with a notice on a developer's machine without it, but
/// fails under CI (`CI=true`), where a missing `../shared` would otherwise pass every such test.
fn missing(what: &str, dir: &std::path::Path) {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true and {what} not found at {}", dir.display());
    }
    eprintln!("NOTICE: {what} not found at {}; skipping", dir.display());
}

/// The real-photo fixtures: `SAPA_FIXTURES` or `../shared/fixtures/faces`. `None` (with a printed
/// notice) when absent, so tests that need them skip instead of failing on a machine without them;
/// under `CI=true` a missing set fails the test.
pub fn faces_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("SAPA_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| shared_dir().join("fixtures").join("faces"));
    if dir.join("labels.csv").is_file() {
        Some(dir)
    } else {
        missing("real-photo fixtures", &dir);
        None
    }
}

/// The labelled calibration set: `../shared/fixtures/calibration`, or `None` with a notice (a
/// failure under `CI=true`).
pub fn calibration_dir() -> Option<PathBuf> {
    let dir = shared_dir().join("fixtures").join("calibration");
    if dir.join("labels.csv").is_file() {
        Some(dir)
    } else {
        missing("calibration fixtures", &dir);
        None
    }
}

/// The reference model cases: `../shared/models/cases`, or `None` with a notice.
pub fn cases_dir() -> Option<PathBuf> {
    let dir = shared_dir().join("models").join("cases");
    if dir.is_dir() {
        Some(dir)
    } else {
        missing("model reference cases", &dir);
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

/// An analyzer on `kind` with the default configuration and the workspace models.
pub fn analyzer(kind: sapa_engine::runtime::BackendKind) -> sapa_engine::Analyzer {
    use sapa_engine::runtime::{Backend, BackendOptions};
    let backend = Backend::new(BackendOptions::of(kind)).expect("backend");
    sapa_engine::Analyzer::load(&models_dir(), backend, Default::default()).expect("models load")
}

/// One row of `labels.csv`, with the columns the tests use.
#[derive(Debug, Clone)]
pub struct Label {
    pub file: String,
    pub identity: String,
    pub single_face: bool,
    pub frontal: bool,
    pub icao_like: bool,
    pub defects: Vec<String>,
    pub notes: String,
}

/// Reads `labels.csv` from the fixtures directory (the csv crate: quoted notes hold commas).
pub fn labels(dir: &std::path::Path) -> Vec<Label> {
    let mut reader = csv::Reader::from_path(dir.join("labels.csv")).expect("labels.csv");
    let header = reader.headers().expect("a header row").clone();
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    let (f, id, sf, fr, ic, de, no) = (
        col("file"),
        col("identity"),
        col("single_face"),
        col("frontal"),
        col("icao_like"),
        col("defects"),
        col("notes"),
    );
    reader
        .records()
        .map(|r| r.expect("a labels.csv row"))
        .map(|r| Label {
            file: r[f].to_string(),
            identity: r[id].to_string(),
            single_face: &r[sf] == "yes",
            frontal: &r[fr] == "yes",
            icao_like: &r[ic] == "yes",
            defects: r[de].split(';').filter(|s| !s.is_empty()).map(str::to_string).collect(),
            notes: r[no].to_string(),
        })
        .collect()
}
