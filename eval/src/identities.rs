//! Which photo pairs of the shared face set may serve as genuine and impostor comparisons, by the
//! "Identity rules" of its PROVENANCE.md. Identities come from the sources, never from looking at
//! faces, so an impostor pair is only formed where the sources assert two people differ; anything
//! the rules do not cover is left out: a same-person pair hiding among the impostors would
//! inflate the measured false match rate and push every threshold up.

use anyhow::Context;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// One labelled photo.
#[derive(Debug, Clone)]
pub struct Labelled {
    pub file: String,
    pub identity: String,
    pub source: String,
}

/// What the sources say about an identity label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Consented lab subjects (London Set, Canada set).
    Lab,
    /// webmorph selfie subjects: unnamed private people; never linked to each other or to lab subjects.
    Selfie,
    /// A named public figure.
    Named,
    /// An unnamed private sample subject from CompreFace.
    Private,
    /// deepface's unnamed celebrity clusters: only the source's explicit "No" rows separate them.
    Deepface,
    /// face-api.js TV characters: different folders are different characters, nothing more.
    TvCharacter,
    /// A web photo of an unnamed person (`unknown_*`). Two of them may be the same person, so
    /// they are only paired with lab subjects: consented volunteers photographed in a lab, who
    /// are not the subjects of web-scraped stock, news or product photos.
    Unknown,
    /// Anything else (multiple_people, insightface_RD, new labels): never paired.
    Unpaired,
}

const NAMED: [&str; 15] = [
    "kit_harington",
    "rose_leslie",
    "obama",
    "biden",
    "alex_lacamoire",
    "lennon",
    "clapton",
    "adams",
    "carell",
    "Tom_Cruise",
    "Rob_Lowe",
    "Teresa_Williams",
    "Nathalie_Baye",
    "einstein",
    "hepburn",
];

fn kind(identity: &str) -> Kind {
    if identity.starts_with("london_") || identity.starts_with("canada_") {
        Kind::Lab
    } else if identity == "webmorph_lisa" || identity == "webmorph_zoom_person" {
        Kind::Selfie
    } else if identity.starts_with("dlib_John_") || NAMED.contains(&identity) {
        Kind::Named
    } else if identity.starts_with("compreface_person_") {
        Kind::Private
    } else if identity.starts_with("deepface_cluster_") {
        Kind::Deepface
    } else if identity.starts_with("bbt_") {
        Kind::TvCharacter
    } else if identity.starts_with("unknown_") {
        Kind::Unknown
    } else {
        Kind::Unpaired
    }
}

/// Reads labels.csv (columns file, identity, source_repo).
pub fn read_labels(path: &Path) -> anyhow::Result<Vec<Labelled>> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .with_context(|| format!("reading {}", path.display()))?;
    let header = reader.headers().with_context(|| format!("reading {}", path.display()))?.clone();
    let col = |n: &str| {
        header.iter().position(|h| h == n).with_context(|| format!("{} has no {n} column", path.display()))
    };
    let (f, i, s) = (col("file")?, col("identity")?, col("source_repo")?);
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.with_context(|| format!("reading {}", path.display()))?;
        let get = |c: usize| record.get(c).unwrap_or("").to_string();
        if record.iter().all(|v| v.trim().is_empty()) {
            continue;
        }
        out.push(Labelled { file: get(f), identity: get(i), source: get(s) });
    }
    Ok(out)
}

/// The pairing rules, with the deepface cluster pairs the source separates explicitly (taken
/// from the curated pairs list, which drew them from deepface's own "No" rows).
pub struct Rules {
    deepface_different: BTreeSet<(String, String)>,
}

fn key(a: &str, b: &str) -> (String, String) {
    if a <= b { (a.to_string(), b.to_string()) } else { (b.to_string(), a.to_string()) }
}

impl Rules {
    /// `curated_impostors`: identity pairs of the curated list's impostor rows.
    pub fn new<'a>(curated_impostors: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let deepface_different = curated_impostors
            .into_iter()
            .filter(|(a, b)| kind(a) == Kind::Deepface && kind(b) == Kind::Deepface)
            .map(|(a, b)| key(a, b))
            .collect();
        Self { deepface_different }
    }

    /// Whether the sources assert that these two photos show the same person.
    pub fn genuine(&self, a: &Labelled, b: &Labelled) -> bool {
        a.identity == b.identity && !matches!(kind(&a.identity), Kind::Unpaired | Kind::Unknown)
    }

    /// Whether the sources assert that these two photos show different people.
    pub fn impostor(&self, a: &Labelled, b: &Labelled) -> bool {
        use Kind::*;
        if a.identity == b.identity {
            return false;
        }
        let (ka, kb) = (kind(&a.identity), kind(&b.identity));
        match (ka, kb) {
            (Unpaired, _) | (_, Unpaired) => false,
            (Unknown, Lab) | (Lab, Unknown) => true,
            (Unknown, _) | (_, Unknown) => false,
            (Lab, Selfie) | (Selfie, Lab) => false,
            (Lab, _) | (_, Lab) => true,
            (Deepface, Deepface) => self.deepface_different.contains(&key(&a.identity, &b.identity)),
            (TvCharacter, TvCharacter) | (Private, Private) => a.source == b.source,
            (Named, Named) | (Named, Private | Selfie) | (Private | Selfie, Named) => true,
            _ => false,
        }
    }
}

/// Two file names.
pub type FilePair = (String, String);

/// Every genuine and every impostor file pair the rules allow.
pub fn all_pairs(labels: &[Labelled], rules: &Rules) -> (Vec<FilePair>, Vec<FilePair>) {
    let (mut genuine, mut impostor) = (Vec::new(), Vec::new());
    for (i, a) in labels.iter().enumerate() {
        for b in &labels[i + 1..] {
            let pair = (a.file.clone(), b.file.clone());
            if rules.genuine(a, b) {
                genuine.push(pair);
            } else if rules.impostor(a, b) {
                impostor.push(pair);
            }
        }
    }
    (genuine, impostor)
}

/// Labels by file name.
pub fn by_file(labels: &[Labelled]) -> BTreeMap<&str, &Labelled> {
    labels.iter().map(|l| (l.file.as_str(), l)).collect()
}
