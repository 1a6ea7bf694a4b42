//! Which backend runs the models: ONNX Runtime when its library can be found (about twice as
//! fast), tract (pure Rust, nothing to install) otherwise. Finding the library is I/O, so it lives
//! here at the edge; the engine is handed the path.

use sapa_engine::runtime::{BackendKind, BackendOptions};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The `--backend` choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum BackendChoice {
    /// ONNX Runtime if its library is found, else tract (with one line on stderr saying so).
    #[default]
    Auto,
    /// tract: pure Rust.
    Tract,
    /// ONNX Runtime; an error when its library cannot be found.
    Ort,
}

/// The backend options for `choice`.
pub fn options(choice: BackendChoice) -> anyhow::Result<BackendOptions> {
    let ort = |library| BackendOptions { ort_library: Some(library), ..BackendOptions::of(BackendKind::Ort) };
    match (choice, onnxruntime_library()) {
        (BackendChoice::Tract, _) => Ok(BackendOptions::of(BackendKind::Tract)),
        (BackendChoice::Ort | BackendChoice::Auto, Some(lib)) if cfg!(feature = "ort") => {
            Ok(ort(lib.clone()))
        }
        (BackendChoice::Ort, _) if !cfg!(feature = "ort") => {
            anyhow::bail!("this build has no ONNX Runtime backend: rebuild with the default features")
        }
        (BackendChoice::Ort, _) => anyhow::bail!("ONNX Runtime not found; {HOW}"),
        (BackendChoice::Auto, _) => {
            static SAID: OnceLock<()> = OnceLock::new();
            SAID.get_or_init(|| {
                eprintln!("sapa: ONNX Runtime not found, using tract (about 2x slower); {HOW}")
            });
            Ok(BackendOptions::of(BackendKind::Tract))
        }
    }
}

/// What `--backend auto` would run on this machine: `onnxruntime 1.32.0 (PATH)` or `tract`, with
/// how to get the faster path.
pub fn describe_default() -> String {
    let lib = onnxruntime_library().filter(|_| cfg!(feature = "ort"));
    let loaded = lib.and_then(|l| {
        let opts = BackendOptions { ort_library: Some(l.clone()), ..BackendOptions::of(BackendKind::Ort) };
        sapa_engine::runtime::Backend::new(opts).ok().map(|b| format!("{} ({})", b.runtime(), l.display()))
    });
    loaded.unwrap_or_else(|| format!("tract (ONNX Runtime not found; {HOW})"))
}

const HOW: &str = "for the fast path run scripts/fetch-onnxruntime.sh or set ORT_DYLIB_PATH";

/// The ONNX Runtime library, looked for once per process, in this order: `ORT_DYLIB_PATH`; the
/// project's cache that `scripts/fetch-onnxruntime.sh` fills; an `onnxruntime` Python package
/// already installed; the system library directories.
pub fn onnxruntime_library() -> Option<&'static PathBuf> {
    static FOUND: OnceLock<Option<PathBuf>> = OnceLock::new();
    FOUND.get_or_init(find).as_ref()
}

fn find() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("ORT_DYLIB_PATH").map(PathBuf::from).filter(|p| p.is_file()) {
        return Some(p);
    }
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let caches = [workspace.join(".cache"), PathBuf::from(".cache")];
    caches
        .iter()
        .find_map(|c| newest(c, "onnxruntime-", "onnxruntime/capi"))
        .or_else(python_package)
        .or_else(system)
}

/// The newest `libonnxruntime.so.X` under `dir/<prefix>*/<sub>/`.
fn newest(dir: &Path, prefix: &str, sub: &str) -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(prefix))
        .filter_map(|e| library_in(&e.path().join(sub)))
        .collect();
    found.sort();
    found.pop()
}

/// A `libonnxruntime.so*` file in `dir`, the most specific name first.
fn library_in(dir: &Path) -> Option<PathBuf> {
    let mut libs: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("libonnxruntime.so")))
        .collect();
    libs.sort_by_key(|p| std::cmp::Reverse(p.as_os_str().len()));
    libs.into_iter().next()
}

/// The library inside an installed `onnxruntime` Python package.
fn python_package() -> Option<PathBuf> {
    let out = std::process::Command::new("python3")
        .args(["-c", "import onnxruntime, os; print(os.path.dirname(onnxruntime.__file__))"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let dir = String::from_utf8(out.stdout).ok()?;
    out.status.success().then(|| library_in(&Path::new(dir.trim()).join("capi")))?
}

/// The system library directories and `LD_LIBRARY_PATH`.
fn system() -> Option<PathBuf> {
    let from_env = std::env::var("LD_LIBRARY_PATH").unwrap_or_default();
    let dirs = from_env.split(':').filter(|d| !d.is_empty()).map(PathBuf::from).chain(
        [
            "/usr/local/lib",
            "/usr/lib",
            "/usr/lib/x86_64-linux-gnu",
            "/usr/lib/aarch64-linux-gnu",
            "/usr/lib64",
        ]
        .into_iter()
        .map(PathBuf::from),
    );
    dirs.into_iter().find_map(|d| library_in(&d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_layout_of_the_fetch_script_is_found() {
        let dir = std::env::temp_dir().join(format!("sapa-ortcache-{}", std::process::id()));
        let capi = dir.join("onnxruntime-1.32.0/onnxruntime/capi");
        std::fs::create_dir_all(&capi).unwrap();
        assert_eq!(newest(&dir, "onnxruntime-", "onnxruntime/capi"), None, "no library yet");
        std::fs::write(capi.join("libonnxruntime.so.1.32.0"), b"").unwrap();
        std::fs::write(capi.join("libonnxruntime_providers_shared.so"), b"").unwrap();
        let found = newest(&dir, "onnxruntime-", "onnxruntime/capi").unwrap();
        assert!(found.ends_with("libonnxruntime.so.1.32.0"), "{found:?}");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn tract_is_chosen_when_asked_whatever_is_installed() {
        assert_eq!(options(BackendChoice::Tract).unwrap().kind, BackendKind::Tract);
    }
}
