//! What a batch runs over: every file under a directory, the lines of a list, or the `file` (or
//! `path`) column of a CSV manifest. Relative names in a list or manifest are resolved against the
//! list's own directory, so a list can travel with its photos.

use crate::cli::csv;
use anyhow::{Context, bail};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// The photos named by `input`, in a stable order, without duplicates and without `exclude`
/// (the batch's own output files, should they sit among the photos).
pub fn collect(input: &Path, exclude: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let paths = if input.is_dir() {
        let mut out = Vec::new();
        walk(input, &mut out)?;
        out.sort();
        out
    } else {
        let text = std::fs::read_to_string(input).with_context(|| format!("reading {}", input.display()))?;
        let base = input.parent().unwrap_or(Path::new(""));
        let names = if has_extension(input, "csv") { manifest(&text, input)? } else { list(&text) };
        names.into_iter().map(|n| base.join(n)).collect()
    };
    let skip: HashSet<PathBuf> = exclude.iter().filter_map(|p| p.canonicalize().ok()).collect();
    let mut seen = HashSet::new();
    Ok(paths
        .into_iter()
        .filter(|p| !p.canonicalize().is_ok_and(|c| skip.contains(&c)))
        .filter(|p| seen.insert(p.clone()))
        .collect())
}

fn has_extension(path: &Path, ext: &str) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case(ext))
}

/// Every regular file under `dir`, recursively (symlinked directories are not followed, so a
/// link loop cannot hang the run).
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            walk(&entry.path(), out)?;
        } else if kind.is_file() || (kind.is_symlink() && entry.path().is_file()) {
            out.push(entry.path());
        }
    }
    Ok(())
}

/// One name per line; blank lines and `#` comments are skipped.
fn list(text: &str) -> Vec<String> {
    text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_string).collect()
}

/// The `file` or `path` column of a CSV with a header row.
fn manifest(text: &str, path: &Path) -> anyhow::Result<Vec<String>> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = csv::split_line(lines.next().unwrap_or_default().trim_start_matches('\u{feff}'));
    let Some(col) = header.iter().position(|h| {
        let h = h.trim();
        h.eq_ignore_ascii_case("file") || h.eq_ignore_ascii_case("path")
    }) else {
        bail!("{}: the header has no `file` or `path` column", path.display());
    };
    Ok(lines
        .map(|l| csv::field(&csv::split_line(l), col).trim().to_string())
        .filter(|f| !f.is_empty())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_reads_the_named_column_with_quotes() {
        let text = "id,path,note\n1,a.jpg,x\n2,\"b, c.jpg\",y\n3,,empty\n";
        assert_eq!(manifest(text, Path::new("m.csv")).unwrap(), vec!["a.jpg", "b, c.jpg"]);
        assert!(manifest("id,name\n1,a\n", Path::new("m.csv")).is_err());
    }

    #[test]
    fn list_skips_blanks_and_comments() {
        assert_eq!(list("a.jpg\n\n# note\n  b.png  \n"), vec!["a.jpg", "b.png"]);
    }
}
