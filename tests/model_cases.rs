//! Each backend must reproduce the ONNX Runtime reference outputs for every model in our
//! manifest: `models/cases/<id>` for the models this repository added (made by
//! `models/convert/make_case.py`), `../shared/models/cases/<id>` for the shared ones.

use sapa_engine::models::{load_model, manifest};
use sapa_engine::runtime::{Backend, BackendOptions};
use sapa_tests::{backends, cases_dir, models_dir};
use serde_json::Value;
use std::path::Path;

fn read_f32(path: &Path) -> Vec<f32> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
}

#[test]
fn every_backend_reproduces_the_reference_cases() {
    let shared = cases_dir();
    for kind in backends() {
        let backend = Backend::new(BackendOptions::of(kind)).expect("backend");
        for spec in &manifest().models {
            let own = models_dir().join("cases").join(&spec.id);
            let dir = if own.is_dir() {
                own
            } else {
                match &shared {
                    Some(s) => s.join(&spec.id),
                    None => continue,
                }
            };
            let case: Value =
                serde_json::from_str(&std::fs::read_to_string(dir.join("case.json")).unwrap()).unwrap();
            let model = load_model(&models_dir(), &spec.id, &backend).expect("load");
            let input = &case["inputs"][0];
            let shape: Vec<usize> =
                input["shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect();
            let data = read_f32(&dir.join(input["file"].as_str().unwrap()));
            let tensor = ndarray::ArrayD::from_shape_vec(shape, data).unwrap();
            let outputs = model.run(tensor.view()).expect("run");
            for (out, declared) in outputs.iter().zip(&spec.outputs) {
                let reference = case["outputs"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|o| o["name"] == declared.name.as_str())
                    .unwrap_or_else(|| panic!("{}: case has no output {}", spec.id, declared.name));
                let expected = read_f32(&dir.join(reference["file"].as_str().unwrap()));
                assert_eq!(out.len(), expected.len(), "{} {}", spec.id, declared.name);
                let worst = out
                    .iter()
                    .zip(&expected)
                    .map(|(a, b)| (a - b).abs() / b.abs().max(1.0))
                    .fold(0.0f32, f32::max);
                println!("{kind} {} {}: worst scaled error {worst:.2e}", spec.id, declared.name);
                assert!(worst < 2e-3, "{kind} {} {}: error {worst}", spec.id, declared.name);
            }
        }
    }
}

#[test]
fn a_tampered_model_file_is_refused_by_name() {
    let spec = manifest().get("det_blazeface_short128").unwrap();
    let dir = std::env::temp_dir().join(format!("sapa-tamper-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut bytes = std::fs::read(models_dir().join(&spec.file)).unwrap();
    bytes[1000] ^= 0xff;
    std::fs::write(dir.join(&spec.file), &bytes).unwrap();
    let backend = Backend::new(BackendOptions::default()).unwrap();
    let err = load_model(&dir, &spec.id, &backend).err().expect("tampered file must be refused");
    assert_eq!(err.code(), "model_error");
    assert!(err.to_string().contains("det_blazeface_short128"), "{err}");
    let missing = load_model(&dir, "lmk_facemesh_attention478", &backend).err().expect("missing");
    assert!(missing.to_string().contains("lmk_facemesh_attention478.onnx"), "{missing}");
    std::fs::remove_dir_all(&dir).ok();
}

/// A burst of callers past the core count never grows a model's sessions past it, plus the one
/// the server's idle lane may hold (ONNX Runtime keeps a session per concurrent caller; tract has
/// one plan).
#[test]
fn a_burst_of_callers_does_not_grow_the_sessions_past_the_cores() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    for kind in backends() {
        let backend = Backend::new(BackendOptions::of(kind)).expect("backend");
        let model = load_model(&models_dir(), "q_eye_state24_faceplugin", &backend).expect("load");
        let spec = manifest().models.iter().find(|m| m.id == "q_eye_state24_faceplugin").unwrap();
        let input = ndarray::ArrayD::<f32>::zeros(spec.input.shape.clone());
        std::thread::scope(|s| {
            for _ in 0..4 * cores + 4 {
                s.spawn(|| {
                    for _ in 0..20 {
                        model.run(input.view()).expect("run");
                    }
                });
            }
        });
        let most = cores + 1;
        assert!(model.sessions() <= most, "{kind:?}: {} sessions for {cores} cores", model.sessions());
    }
}
