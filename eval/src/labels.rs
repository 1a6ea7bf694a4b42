//! Labelled photo sets (`labels.csv`: file, identity, icao_like, defects, ...) and the split that
//! keeps the photos thresholds are tuned on apart from the photos they are reported on.
//!
//! The split is by identity, not by photo, so that one person's two photos never sit on both
//! sides; photos without a known identity are split by their own file name.

use anyhow::Context;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Which side of the protocol a photo is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Split {
    /// Thresholds may be set on these photos.
    Tune,
    /// Results are reported on these; no threshold is set on them.
    HeldOut,
}

impl Split {
    pub fn name(self) -> &'static str {
        match self {
            Split::Tune => "tune",
            Split::HeldOut => "held-out",
        }
    }
}

/// One labelled photo.
#[derive(Debug, Clone)]
pub struct Labelled {
    /// The set's name: the labels file's directory name (`faces`, `calibration`, ...).
    pub set: String,
    /// The file as the labels name it.
    pub file: String,
    /// Where it is on disk.
    pub path: PathBuf,
    pub identity: String,
    /// Where the photo came from (`source_repo`), which some identity rules need.
    pub source: String,
    pub icao_like: bool,
    pub defects: Vec<String>,
    pub split: Split,
}

#[derive(Deserialize)]
struct Row {
    file: String,
    #[serde(default)]
    identity: String,
    #[serde(default)]
    source_repo: String,
    icao_like: String,
    #[serde(default)]
    defects: String,
}

/// FNV-1a: a stable hash, so the split is the same on every machine and in every version.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
}

/// The split of a photo: by identity where the labels know one, else by set and file.
pub fn split_of(set: &str, identity: &str, file: &str) -> Split {
    let known = !identity.is_empty() && !identity.starts_with("unknown") && identity != "multiple_people";
    let key = if known { identity.to_string() } else { format!("{set}/{file}") };
    if fnv1a(&key).is_multiple_of(2) { Split::Tune } else { Split::HeldOut }
}

/// Reads one labels file; photos are looked up in `root` (default: the file's directory).
pub fn read(labels: &Path, root: Option<&Path>) -> anyhow::Result<Vec<Labelled>> {
    let dir = labels.parent().map(Path::to_path_buf).unwrap_or_default();
    let set = dir
        .canonicalize()
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "labels".into());
    let root = root.map(Path::to_path_buf).unwrap_or(dir);
    let mut reader =
        csv::Reader::from_path(labels).with_context(|| format!("reading {}", labels.display()))?;
    let mut out = Vec::new();
    for row in reader.deserialize() {
        let row: Row = row.with_context(|| format!("a row of {}", labels.display()))?;
        out.push(Labelled {
            split: split_of(&set, &row.identity, &row.file),
            path: root.join(&row.file),
            set: set.clone(),
            icao_like: row.icao_like == "yes",
            defects: row
                .defects
                .split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
            identity: row.identity,
            source: row.source_repo,
            file: row.file,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_identity_falls_on_one_side_and_the_halves_are_even() {
        assert_eq!(split_of("faces", "london_012", "a.jpg"), split_of("calibration", "london_012", "b.jpg"));
        let tune = (0..1000).filter(|i| split_of("s", "", &format!("{i}.jpg")) == Split::Tune).count();
        assert!((450..550).contains(&tune), "{tune}");
    }

    #[test]
    fn quoted_fields_and_missing_columns_are_read() {
        let dir = std::env::temp_dir().join(format!("sapa-labels-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("labels.csv");
        std::fs::write(
            &path,
            "file,identity,icao_like,defects,notes\na.jpg,x,yes,,\"a, b\"\nb.jpg,unknown_b,no,hat;glasses,\n",
        )
        .unwrap();
        let rows = read(&path, None).unwrap();
        assert_eq!(rows.len(), 2);
        assert!(rows[0].icao_like && rows[0].defects.is_empty());
        assert_eq!(rows[1].defects, vec!["hat", "glasses"]);
        assert_eq!(rows[1].path, dir.join("b.jpg"));
        std::fs::remove_dir_all(&dir).ok();
    }
}
