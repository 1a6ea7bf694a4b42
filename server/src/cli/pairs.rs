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

/// Reads `path`; relative file names are resolved against `root`. Quoted fields (a file name with
/// a comma) are read whole; `#` lines are comments; an optional header starts with `file_a`.
pub fn read(path: &Path, root: &Path) -> anyhow::Result<Vec<Pair>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_path(path)
        .with_context(|| format!("reading {}", path.display()))?;
    let mut out = Vec::new();
    for (n, record) in reader.records().enumerate() {
        let record = record.with_context(|| format!("reading {}", path.display()))?;
        let line = record.position().map_or(n as u64 + 1, |p| p.line());
        let col = |i: usize| record.get(i).unwrap_or("");
        if record.iter().all(str::is_empty) || (n == 0 && col(0).eq_ignore_ascii_case("file_a")) {
            continue;
        }
        if col(0).is_empty() || col(1).is_empty() {
            bail!("{}:{line}: expected file_a,file_b[,same]", path.display());
        }
        let same = match col(2) {
            "" => None,
            "1" | "true" | "yes" => Some(true),
            "0" | "false" | "no" => Some(false),
            other => bail!("{}:{line}: same = {other:?}, use 1 or 0", path.display()),
        };
        out.push(Pair {
            a: col(0).to_string(),
            b: col(1).to_string(),
            path_a: root.join(col(0)),
            path_b: root.join(col(1)),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn read_text(text: &str) -> anyhow::Result<Vec<Pair>> {
        let dir = std::env::temp_dir().join(format!("sapa-pairs-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let path = dir.join(format!("{}.csv", N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)));
        std::fs::write(&path, text)?;
        let out = read(&path, Path::new("/root"));
        let _ = std::fs::remove_file(&path);
        out
    }

    #[test]
    fn quoted_names_header_comments_and_truth() {
        let pairs =
            read_text("file_a,file_b,same\n# a comment\n\"a, b.jpg\",c.jpg,1\n d.jpg , e.jpg \n").unwrap();
        assert_eq!(pairs.len(), 2);
        assert_eq!(pairs[0].a, "a, b.jpg");
        assert_eq!(pairs[0].path_a, Path::new("/root/a, b.jpg"));
        assert_eq!(pairs[0].same, Some(true));
        assert_eq!((pairs[1].a.as_str(), pairs[1].b.as_str(), pairs[1].same), ("d.jpg", "e.jpg", None));
    }

    #[test]
    fn a_short_row_or_a_bad_truth_names_its_line() {
        let err = read_text("a.jpg,b.jpg\nc.jpg\n").unwrap_err().to_string();
        assert!(err.ends_with(":2: expected file_a,file_b[,same]"), "{err}");
        let err = read_text("a.jpg,b.jpg,maybe\n").unwrap_err().to_string();
        assert!(err.contains(":1: same = \"maybe\""), "{err}");
    }
}
