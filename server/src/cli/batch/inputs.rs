//! What a batch runs over: every file under a directory, the lines of a list, or the `file` (or
//! `path`) column of a CSV manifest, whose optional `signature` column names each applicant's
//! signature sample. Relative names in a list or manifest are resolved against the list's own
//! directory, so a list can travel with its photos.

use anyhow::{Context, bail};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// One unit of work: a photo, and the signature sample filed with it (from a manifest's
/// `signature` column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub photo: PathBuf,
    pub signature: Option<PathBuf>,
}

/// What a batch will read.
pub struct Inputs {
    pub items: Vec<Item>,
    /// Files under an input directory that are not images (a `labels.csv`, a README), left out
    /// and counted. A list or manifest names its photos, so nothing it names is skipped.
    pub skipped: usize,
}

/// File name endings of the formats intake reads.
const IMAGE_EXTENSIONS: [&str; 10] =
    ["jpg", "jpeg", "png", "webp", "tif", "tiff", "bmp", "jp2", "j2k", "jpf"];

/// Whether a file under a directory is worth reading as a photo: an image ending, or image
/// magic bytes (a photo saved without an ending still counts).
fn looks_like_image(path: &Path) -> bool {
    if IMAGE_EXTENSIONS.iter().any(|e| has_extension(path, e)) {
        return true;
    }
    let mut head = [0u8; 12];
    let n = std::fs::File::open(path).and_then(|mut f| std::io::Read::read(&mut f, &mut head)).unwrap_or(0);
    let h = &head[..n];
    h.starts_with(&[0xFF, 0xD8, 0xFF])
        || h.starts_with(b"\x89PNG")
        || (h.starts_with(b"RIFF") && h.get(8..12) == Some(b"WEBP"))
        || h.starts_with(b"II*\0")
        || h.starts_with(b"MM\0*")
        || h.starts_with(b"BM")
        || h.starts_with(&[0, 0, 0, 0x0C, 0x6A, 0x50])
        || h.starts_with(&[0xFF, 0x4F, 0xFF, 0x51])
}

/// The photos named by `input`, in a stable order, without duplicates and without `exclude`
/// (the batch's own output files, should they sit among the photos).
pub fn collect(input: &Path, exclude: &[PathBuf]) -> anyhow::Result<Inputs> {
    let mut skipped = 0;
    let items: Vec<Item> = if input.is_dir() {
        let mut out = Vec::new();
        walk(input, &mut out)?;
        out.sort();
        let before = out.len();
        out.retain(|p| looks_like_image(p));
        skipped = before - out.len();
        out.into_iter().map(|photo| Item { photo, signature: None }).collect()
    } else {
        let text = std::fs::read_to_string(input).with_context(|| format!("reading {}", input.display()))?;
        let base = input.parent().unwrap_or(Path::new(""));
        let rows = if has_extension(input, "csv") {
            manifest(&text, input)?
        } else {
            list(&text).into_iter().map(|n| (n, None)).collect()
        };
        rows.into_iter()
            .map(|(photo, signature)| Item {
                photo: base.join(photo),
                signature: signature.map(|s| base.join(s)),
            })
            .collect()
    };
    let skip: HashSet<PathBuf> = exclude.iter().filter_map(|p| p.canonicalize().ok()).collect();
    let mut seen = HashSet::new();
    let items = items
        .into_iter()
        .filter(|i| !i.photo.canonicalize().is_ok_and(|c| skip.contains(&c)))
        .filter(|i| seen.insert(i.photo.clone()))
        .collect();
    Ok(Inputs { items, skipped })
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

/// The `file` or `path` column of a CSV with a header row, and the `signature` column when there
/// is one (quoted fields read whole, a byte-order mark and ragged rows tolerated; an empty
/// signature cell means none was filed).
fn manifest(text: &str, path: &Path) -> anyhow::Result<Vec<(String, Option<String>)>> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header = reader.headers().with_context(|| format!("reading {}", path.display()))?;
    let Some(col) =
        header.iter().position(|h| h.eq_ignore_ascii_case("file") || h.eq_ignore_ascii_case("path"))
    else {
        bail!("{}: the header has no `file` or `path` column", path.display());
    };
    let sig_col = header.iter().position(|h| h.eq_ignore_ascii_case("signature"));
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.with_context(|| format!("reading {}", path.display()))?;
        if let Some(file) = record.get(col).filter(|f| !f.is_empty()) {
            let signature = sig_col.and_then(|c| record.get(c)).filter(|s| !s.is_empty());
            out.push((file.to_string(), signature.map(str::to_string)));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_reads_the_named_column_with_quotes() {
        let text = "id,path,note\n1,a.jpg,x\n2,\"b, c.jpg\",y\n3,,empty\n";
        let names: Vec<String> =
            manifest(text, Path::new("m.csv")).unwrap().into_iter().map(|r| r.0).collect();
        assert_eq!(names, vec!["a.jpg", "b, c.jpg"]);
        assert!(manifest("id,name\n1,a\n", Path::new("m.csv")).is_err());
    }

    #[test]
    fn a_directory_yields_its_images_and_counts_what_is_not() {
        let dir = std::env::temp_dir().join(format!("sapa-inputs-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("a.jpg"), b"not really, but named so").unwrap();
        std::fs::write(dir.join("sub/no_ending"), [0x89, b'P', b'N', b'G', 13, 10, 26, 10]).unwrap();
        std::fs::write(dir.join("labels.csv"), b"file,label\n").unwrap();
        std::fs::write(dir.join("PROVENANCE.md"), b"# where from\n").unwrap();
        let got = collect(&dir, &[]).unwrap();
        let photos: Vec<PathBuf> = got.items.into_iter().map(|i| i.photo).collect();
        assert_eq!(photos, vec![dir.join("a.jpg"), dir.join("sub/no_ending")]);
        assert_eq!(got.skipped, 2);
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn manifest_pairs_each_photo_with_its_signature() {
        let text = "file,Signature\na.jpg,a_sig.png\nb.jpg,\nc.jpg\n";
        let rows = manifest(text, Path::new("m.csv")).unwrap();
        assert_eq!(
            rows,
            vec![
                ("a.jpg".to_string(), Some("a_sig.png".to_string())),
                ("b.jpg".to_string(), None),
                ("c.jpg".to_string(), None)
            ]
        );
    }

    #[test]
    fn list_skips_blanks_and_comments() {
        assert_eq!(list("a.jpg\n\n# note\n  b.png  \n"), vec!["a.jpg", "b.png"]);
    }
}
