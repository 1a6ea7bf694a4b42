//! Reading pair lists: `file_a,file_b[,same]` rows, with or without a header line.

use anyhow::{Context, bail};
use std::path::{Path, PathBuf};

/// One comparison to make.
#[derive(Debug, Clone)]
pub struct Pair {
    /// As written in the file (what the output lines echo).
    pub a: String,
    pub b: String,
    /// Resolved against the root directory.
    pub path_a: PathBuf,
    pub path_b: PathBuf,
    /// Ground truth when the file gives it.
    pub same: Option<bool>,
}

/// Reads `path`; relative file names are resolved against `root`.
pub fn read(path: &Path, root: &Path) -> anyhow::Result<Vec<Pair>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let cols: Vec<&str> = line.split(',').map(str::trim).collect();
        if n == 0 && cols[0].eq_ignore_ascii_case("file_a") {
            continue;
        }
        if cols.len() < 2 || cols[0].is_empty() || cols[1].is_empty() {
            bail!("{}:{}: expected file_a,file_b[,same]", path.display(), n + 1);
        }
        let same = match cols.get(2).copied() {
            None | Some("") => None,
            Some("1" | "true" | "yes") => Some(true),
            Some("0" | "false" | "no") => Some(false),
            Some(other) => bail!("{}:{}: same = {other:?}, use 1 or 0", path.display(), n + 1),
        };
        out.push(Pair {
            a: cols[0].to_string(),
            b: cols[1].to_string(),
            path_a: root.join(cols[0]),
            path_b: root.join(cols[1]),
            same,
        });
    }
    Ok(out)
}

/// The directory a list's relative names are resolved against: `--root`, else the list's own.
pub fn root_for(list: &Path, root: Option<&Path>) -> PathBuf {
    root.map(Path::to_path_buf)
        .unwrap_or_else(|| list.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from(".")))
}
