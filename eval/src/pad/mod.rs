//! `sapa-eval pad`: presentation-attack detection measured as ISO/IEC 30107-3 asks. BPCER (bona
//! fide presentations called attacks) on the labelled sets' single-face photos, APCER (attacks
//! called bona fide) per attack type, each data source reported on its own: public attack
//! samples, and attacks generated from the bona fide photos ([`attacks`], labelled "generated").
//! Each scorer's threshold is set on the tune split's bona fide photos at a stated BPCER and
//! reported on the held-out split; presentations in which no face was found are counted apart.
//! Labelled photos that are themselves reproductions (grey archive scans and TV stills) or face
//! crops without surroundings are left out of the bona fide side ([`Exclusion`]), and counted.

pub mod attacks;

use crate::labels::{Split, split_of};
use crate::rates::Rate;
use anyhow::Context;
use attacks::AttackType;
use clap::Args;
use image::RgbImage;
use rayon::prelude::*;
use sapa_engine::Analyzer;
use sapa_engine::models::locate_models_dir;
use sapa_engine::pad::{Liveness, PadDetector, PadModel};
use sapa_server::cli::GlobalArgs;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

#[derive(Args, Debug)]
pub struct PadArgs {
    /// A `labels.csv` of bona fide photos (repeatable); its `single_face = yes` photos are used.
    #[arg(long = "labels", required = true)]
    labels: Vec<PathBuf>,
    /// Public attack samples: a CSV `file,kind,attack,source` (kind `bona_fide` or `attack`,
    /// attack `print` or `replay`), files relative to it. Reported per file and per type.
    #[arg(long)]
    public: Option<PathBuf>,
    /// Seed of the generated attacks.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The BPCER on the tune split's bona fide photos that sets each scorer's threshold.
    #[arg(long, default_value_t = 0.05)]
    bpcer: f64,
    /// How many bona fide faces to time the kiosk ensemble on, one at a time.
    #[arg(long, default_value_t = 30)]
    latency_faces: usize,
}

/// Where a presentation comes from: each source is reported on its own.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Source {
    /// A labelled set's photos (bona fide).
    Set(String),
    /// Simulated from a labelled set's photo.
    Generated,
    /// A public attack sample set.
    Public,
}

impl Source {
    fn name(&self) -> String {
        match self {
            Source::Set(s) => s.clone(),
            Source::Generated => "generated".into(),
            Source::Public => "public".into(),
        }
    }
}

/// One presentation and what the models made of it (`None`: no face found).
struct Presentation {
    file: String,
    source: Source,
    split: Split,
    attack: Option<AttackType>,
    liveness: Option<Liveness>,
}

/// A way of turning the models' outputs into an attack probability.
#[derive(Debug, Clone, Copy)]
enum Scorer {
    /// The kiosk's: the mean live probability of [`PadModel::KIOSK`].
    Kiosk,
    /// The mean of every model.
    AllFour,
    One(PadModel),
}

impl Scorer {
    fn all() -> Vec<Scorer> {
        let mut v = vec![Scorer::Kiosk, Scorer::AllFour];
        v.extend(PadModel::ALL.into_iter().map(Scorer::One));
        v
    }

    fn name(self) -> String {
        match self {
            Scorer::Kiosk => "kiosk (mean of minifas_v2, minifas_v1se)".into(),
            Scorer::AllFour => "mean of all four".into(),
            Scorer::One(m) => m.name().into(),
        }
    }

    fn score(self, l: &Liveness) -> f32 {
        let mean =
            |ms: &[PadModel]| 1.0 - ms.iter().filter_map(|m| l.live_of(*m)).sum::<f32>() / ms.len() as f32;
        match self {
            Scorer::Kiosk => mean(&PadModel::KIOSK),
            Scorer::AllFour => mean(&PadModel::ALL),
            Scorer::One(m) => mean(&[m]),
        }
    }
}

#[derive(Deserialize)]
struct BonaFideRow {
    file: String,
    #[serde(default)]
    identity: String,
    single_face: String,
}

#[derive(Deserialize)]
struct PublicRow {
    file: String,
    kind: String,
    #[serde(default)]
    attack: String,
    source: String,
}

struct Item {
    path: PathBuf,
    file: String,
    set: String,
    split: Split,
}

fn bona_fide_items(labels: &Path) -> anyhow::Result<Vec<Item>> {
    let dir = labels.parent().map(Path::to_path_buf).unwrap_or_default();
    let set = dir
        .canonicalize()
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "labels".into());
    let mut reader =
        csv::Reader::from_path(labels).with_context(|| format!("reading {}", labels.display()))?;
    let mut items = Vec::new();
    for row in reader.deserialize::<BonaFideRow>() {
        let row = row?;
        if row.single_face.trim() != "yes" {
            continue;
        }
        items.push(Item {
            path: dir.join(&row.file),
            split: split_of(&set, &row.identity, &row.file),
            file: row.file,
            set: set.clone(),
        });
    }
    Ok(items)
}

/// Why a labelled photo is not a bona fide *presentation* to a kiosk camera: a grey picture is a
/// reproduction (archive scans, TV stills; a kiosk camera is colour), and a tight face crop has
/// none of the surroundings the models judge (a kiosk frame is at least 480 px).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exclusion {
    Monochrome,
    TightCrop,
}

/// Below this short side a photo is a face crop, not a camera frame.
const MIN_FRAME_SIDE: u32 = 240;
/// A picture whose pixels differ between channels by less than this on average is grey.
const MAX_GREY_CHROMA: f32 = 4.0;

impl Exclusion {
    fn name(self) -> &'static str {
        match self {
            Exclusion::Monochrome => "monochrome (a reproduction)",
            Exclusion::TightCrop => "tight crop (short side under 240 px)",
        }
    }

    fn of(img: &RgbImage) -> Option<Self> {
        if img.width().min(img.height()) < MIN_FRAME_SIDE {
            return Some(Exclusion::TightCrop);
        }
        let chroma: f32 = img
            .pixels()
            .map(|p| {
                let [r, g, b] = p.0.map(|v| v as f32);
                (r - g).abs().max((g - b).abs()).max((r - b).abs())
            })
            .sum::<f32>()
            / (img.width() * img.height()) as f32;
        (chroma < MAX_GREY_CHROMA).then_some(Exclusion::Monochrome)
    }
}

/// FNV-1a of the file name: each photo's generated attacks have their own seed.
fn seed_of(seed: u64, file: &str, attack: AttackType) -> u64 {
    let h = file.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3));
    h ^ seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (attack as u64 + 1)
}

fn assess(analyzer: &Analyzer, pad: &PadDetector, img: &RgbImage) -> anyhow::Result<Option<Liveness>> {
    let faces = analyzer.detect(img)?;
    match faces.first() {
        Some(f) => Ok(Some(pad.assess(img, &f.bbox)?)),
        None => Ok(None),
    }
}

fn decode(analyzer: &Analyzer, path: &Path) -> anyhow::Result<RgbImage> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(analyzer.decode(&bytes).with_context(|| path.display().to_string())?.rgb)
}

pub fn run(global: &GlobalArgs, args: PadArgs) -> anyhow::Result<ExitCode> {
    let analyzer = sapa_server::cli::setup::analyzer(global, Default::default())?;
    let dir = locate_models_dir(global.models.as_deref())?;
    let pad = PadDetector::load(&dir, analyzer.backend(), &PadModel::ALL)?;
    let mut items = Vec::new();
    for l in &args.labels {
        items.extend(bona_fide_items(l)?);
    }
    let judged: Vec<(Vec<Presentation>, Option<Exclusion>)> = items
        .par_iter()
        .map(|it| -> anyhow::Result<(Vec<Presentation>, Option<Exclusion>)> {
            let img = decode(&analyzer, &it.path)?;
            if let Some(why) = Exclusion::of(&img) {
                return Ok((Vec::new(), Some(why)));
            }
            let mut out = vec![Presentation {
                file: it.file.clone(),
                source: Source::Set(it.set.clone()),
                split: it.split,
                attack: None,
                liveness: assess(&analyzer, &pad, &img)?,
            }];
            for a in AttackType::ALL {
                let fake = a.simulate(&img, seed_of(args.seed, &it.file, a));
                out.push(Presentation {
                    file: format!("{}/{} ({})", it.set, it.file, a.name()),
                    source: Source::Generated,
                    split: it.split,
                    attack: Some(a),
                    liveness: assess(&analyzer, &pad, &fake)?,
                });
            }
            Ok((out, None))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    for why in [Exclusion::Monochrome, Exclusion::TightCrop] {
        let n = judged.iter().filter(|(_, w)| *w == Some(why)).count();
        println!("bona fide photos left out as {}: {n}", why.name());
    }
    let mut presentations: Vec<Presentation> = judged.into_iter().flat_map(|(p, _)| p).collect();
    if let Some(public) = &args.public {
        presentations.extend(public_presentations(public, &analyzer, &pad)?);
    }
    report(&presentations, args.bpcer);
    latency(global, &analyzer, &dir, &items, args.latency_faces)?;
    Ok(ExitCode::SUCCESS)
}

fn public_presentations(
    csv_path: &Path,
    analyzer: &Analyzer,
    pad: &PadDetector,
) -> anyhow::Result<Vec<Presentation>> {
    let dir = csv_path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut reader =
        csv::Reader::from_path(csv_path).with_context(|| format!("reading {}", csv_path.display()))?;
    let mut out = Vec::new();
    for row in reader.deserialize::<PublicRow>() {
        let row = row?;
        let attack = match row.kind.as_str() {
            "bona_fide" => None,
            "attack" => Some(
                AttackType::parse(&row.attack)
                    .ok_or_else(|| anyhow::anyhow!("{}: unknown attack {:?}", row.file, row.attack))?,
            ),
            other => anyhow::bail!("{}: kind {other:?} is neither bona_fide nor attack", row.file),
        };
        let img = decode(analyzer, &dir.join(&row.file))?;
        out.push(Presentation {
            file: format!("{} ({})", row.file, row.source),
            source: Source::Public,
            split: Split::HeldOut,
            attack,
            liveness: assess(analyzer, pad, &img)?,
        });
    }
    Ok(out)
}

/// The smallest threshold whose BPCER on `bona` is at most `target` (attack at or above it).
fn threshold_at(bona: &[f32], target: f64) -> f32 {
    let mut s = bona.to_vec();
    s.sort_by(|a, b| b.total_cmp(a));
    let k = (target * s.len() as f64).floor() as usize;
    match s.get(k) {
        Some(v) => v + 1e-6,
        None => 0.0,
    }
}

fn rate(scores: &[f32], threshold: f32, attack: bool) -> Rate {
    // BPCER counts bona fide at or above the threshold; APCER counts attacks below it.
    let k = scores.iter().filter(|&&s| if attack { s < threshold } else { s >= threshold }).count();
    Rate::new(k, scores.len())
}

fn report(ps: &[Presentation], target: f64) {
    let missed = |src: &Source, attack: Option<AttackType>| {
        ps.iter().filter(|p| p.source == *src && p.attack == attack && p.liveness.is_none()).count()
    };
    let mut sources: Vec<Source> = ps.iter().map(|p| p.source.clone()).collect();
    sources.sort();
    sources.dedup();
    println!(
        "## PAD (ISO/IEC 30107-3): thresholds at BPCER <= {:.0}% on the tune split's bona fide photos",
        target * 100.0
    );
    println!("presentations without a detected face (not scored): ");
    for src in &sources {
        for a in [None, Some(AttackType::Print), Some(AttackType::Replay)] {
            let n = ps.iter().filter(|p| p.source == *src && p.attack == a).count();
            if n > 0 {
                println!(
                    "  {} {}: {} of {n}",
                    src.name(),
                    a.map_or("bona fide", |a| a.name()),
                    missed(src, a)
                );
            }
        }
    }
    for scorer in Scorer::all() {
        let scores =
            |split: Option<Split>, src: &dyn Fn(&Source) -> bool, attack: Option<AttackType>| -> Vec<f32> {
                ps.iter()
                    .filter(|p| split.is_none_or(|s| p.split == s) && src(&p.source) && p.attack == attack)
                    .filter_map(|p| p.liveness.as_ref().map(|l| scorer.score(l)))
                    .collect()
            };
        let is_set = |s: &Source| matches!(s, Source::Set(_));
        let t = threshold_at(&scores(Some(Split::Tune), &is_set, None), target);
        println!("\n### {}: threshold {t:.4}", scorer.name());
        for split in [Split::Tune, Split::HeldOut] {
            for src in sources.iter().filter(|s| is_set(s)) {
                let bona = scores(Some(split), &|s| s == src, None);
                println!("  {} {} BPCER {}", split.name(), src.name(), rate(&bona, t, false).show());
            }
            for a in AttackType::ALL {
                let att = scores(Some(split), &|s| *s == Source::Generated, Some(a));
                println!("  {} generated {} APCER {}", split.name(), a.name(), rate(&att, t, true).show());
            }
        }
        if sources.contains(&Source::Public) {
            for p in ps.iter().filter(|p| p.source == Source::Public) {
                let kind = p.attack.map_or("bona fide", |a| a.name());
                match &p.liveness {
                    Some(l) => {
                        let s = scorer.score(l);
                        let called = if s >= t { "attack" } else { "bona fide" };
                        println!("  public {} [{kind}]: score {s:.3} -> {called}", p.file);
                    }
                    None => println!("  public {} [{kind}]: no face", p.file),
                }
            }
        }
        let sep = |split: Split| {
            let b = scores(Some(split), &is_set, None);
            let a: Vec<f32> = AttackType::ALL
                .iter()
                .flat_map(|&a| scores(Some(split), &|s| *s == Source::Generated, Some(a)))
                .collect();
            let above = a
                .iter()
                .map(|x| {
                    b.iter().filter(|y| x > y).count() as f64
                        + 0.5 * b.iter().filter(|y| x == *y).count() as f64
                })
                .sum::<f64>();
            above / (a.len() * b.len()).max(1) as f64
        };
        println!(
            "  AUC bona fide vs generated attacks: tune {:.3}, held-out {:.3}",
            sep(Split::Tune),
            sep(Split::HeldOut)
        );
    }
}

/// The kiosk ensemble's time per face (crops and both models, not decoding or detection), one
/// face at a time on one intra-op thread.
fn latency(
    global: &GlobalArgs,
    analyzer: &Analyzer,
    dir: &Path,
    items: &[Item],
    n: usize,
) -> anyhow::Result<()> {
    let kiosk = PadDetector::load(dir, analyzer.backend(), &PadModel::KIOSK)?;
    let mut ms = Vec::new();
    for it in items.iter().take(n) {
        let img = decode(analyzer, &it.path)?;
        let Some(face) = analyzer.detect(&img)?.first().copied() else { continue };
        kiosk.assess(&img, &face.bbox)?;
        let start = Instant::now();
        kiosk.assess(&img, &face.bbox)?;
        ms.push(start.elapsed().as_secs_f64() * 1e3);
    }
    ms.sort_by(f64::total_cmp);
    if let Some(&median) = ms.get(ms.len() / 2) {
        let p95 = ms[((ms.len() as f64 * 0.95).ceil() as usize).min(ms.len()) - 1];
        println!(
            "\nlatency per face, kiosk ensemble on {:?} (1 intra-op thread): median {median:.2} ms, p95 {p95:.2} ms over {} faces",
            global.backend,
            ms.len()
        );
    }
    Ok(())
}
