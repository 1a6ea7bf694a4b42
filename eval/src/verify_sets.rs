//! `sapa-eval verify-sets`: recognition at the scale the labelled sets allow. Every genuine and
//! impostor pair the identity rules admit, across sets; thresholds chosen on the tune split and
//! checked on the held-out split; FNMR at FMR 1e-2..1e-4 with 95% intervals and the impostor
//! counts behind them; z-normalised score fusion of model pairs; results per set and per group;
//! DET curves as SVG.

use crate::det;
use crate::identities::{self, Rules};
use crate::labels::{self, Labelled, Split};
use crate::rates::{Rate, Scores, pc};
use anyhow::Context;
use clap::Args;
use sapa_engine::recognition::RecognitionModel;
use sapa_engine::recognition::calibration::{self, Basis, Calibrated};
use sapa_engine::recognition::{Usability, Verdict};
use sapa_server::cli::enrol::{Enroller, PhotoTemplates};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The operating points reported and calibrated.
pub const FMRS: [f64; 3] = [1e-2, 1e-3, 1e-4];

#[derive(Args, Debug)]
pub struct VerifySetsArgs {
    /// A labels.csv (file, identity, source_repo, ...); photos sit beside it. Repeat for each set.
    #[arg(long = "set", required = true)]
    sets: Vec<PathBuf>,
    /// identity,sex,ethnicity rows, for results per group.
    #[arg(long)]
    groups: Option<PathBuf>,
    /// Write DET curves (det-tune.svg, det-held-out.svg) into this directory.
    #[arg(long)]
    det: Option<PathBuf>,
    /// Write thresholds chosen on the tune split, with their held-out check, as recognition.toml
    /// `[[model]]` tables to this file.
    #[arg(long)]
    calibration_out: Option<PathBuf>,
}

/// One photo of the evaluation.
struct Photo {
    label: Labelled,
    group: Option<Group>,
}

#[derive(Clone)]
struct Group {
    sex: String,
    ethnicity: String,
}

/// A comparison: two photo indices, and the side of the protocol both photos are on.
#[derive(Clone, Copy)]
struct Pair {
    a: usize,
    b: usize,
    genuine: bool,
    split: Split,
}

/// Something that scores a pair: one model, or the fusion of two.
struct Scorer {
    name: String,
    /// Per pair (same order as the pair list); `None` when a photo had no template.
    scores: Vec<Option<f32>>,
}

fn read_groups(path: &Path) -> anyhow::Result<HashMap<String, Group>> {
    let mut reader = csv::Reader::from_path(path).with_context(|| format!("reading {}", path.display()))?;
    let mut out = HashMap::new();
    for row in reader.records() {
        let row = row?;
        let get = |i: usize| row.get(i).unwrap_or_default().trim().to_string();
        out.insert(get(0), Group { sex: get(1), ethnicity: get(2) });
    }
    Ok(out)
}

/// The deepface clusters the curated pair list beside a labels file separates explicitly.
fn curated_impostor_identities(labels_path: &Path, rows: &[Labelled]) -> Vec<(String, String)> {
    let Some(dir) = labels_path.parent() else { return Vec::new() };
    let Ok(mut reader) = csv::Reader::from_path(dir.join("pairs.csv")) else { return Vec::new() };
    let identity: HashMap<&str, &str> = rows.iter().map(|r| (r.file.as_str(), r.identity.as_str())).collect();
    reader
        .records()
        .filter_map(Result::ok)
        .filter(|r| r.get(2).map(str::trim) == Some("0"))
        .filter_map(|r| {
            let a = identity.get(r.get(0)?.trim())?;
            let b = identity.get(r.get(1)?.trim())?;
            Some((a.to_string(), b.to_string()))
        })
        .collect()
}

fn pairs_of(photos: &[Photo], rules: &Rules) -> Vec<Pair> {
    let ids: Vec<identities::Labelled> = photos
        .iter()
        .map(|p| identities::Labelled {
            file: format!("{}/{}", p.label.set, p.label.file),
            identity: p.label.identity.clone(),
            source: p.label.source.clone(),
        })
        .collect();
    let mut out = Vec::new();
    for a in 0..photos.len() {
        for b in a + 1..photos.len() {
            let genuine = rules.genuine(&ids[a], &ids[b]);
            if !genuine && !rules.impostor(&ids[a], &ids[b]) {
                continue;
            }
            let (sa, sb) = (photos[a].label.split, photos[b].label.split);
            if sa == sb {
                out.push(Pair { a, b, genuine, split: sa });
            }
        }
    }
    out
}

fn model_scores(
    pairs: &[Pair],
    photos: &[Photo],
    templates: &HashMap<PathBuf, PhotoTemplates>,
    index: usize,
) -> Vec<Option<f32>> {
    let t = |i: usize| templates.get(&photos[i].label.path).and_then(|v| v[index].0.as_ref().ok());
    pairs.iter().map(|p| t(p.a)?.similarity(t(p.b)?).ok()).collect()
}

/// Mean and standard deviation of a scorer's tune impostor scores: the z-normalisation that
/// puts two models' scores on one scale before they are averaged.
fn impostor_moments(pairs: &[Pair], scores: &[Option<f32>]) -> (f64, f64) {
    let v: Vec<f64> = pairs
        .iter()
        .zip(scores)
        .filter(|(p, _)| !p.genuine && p.split == Split::Tune)
        .filter_map(|(_, s)| s.map(f64::from))
        .collect();
    let n = v.len().max(1) as f64;
    let mean = v.iter().sum::<f64>() / n;
    let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt().max(1e-9);
    (mean, sd)
}

/// Fused scores are mean z-scores divided by this, so that they stay inside the [-1, 1] range
/// the threshold calibration assumes of a similarity (genuine pairs reach z of about 10-20).
const FUSED_SCALE: f64 = 100.0;

fn fuse(pairs: &[Pair], a: &Scorer, b: &Scorer) -> Scorer {
    let (ma, sa) = impostor_moments(pairs, &a.scores);
    let (mb, sb) = impostor_moments(pairs, &b.scores);
    let scores = a
        .scores
        .iter()
        .zip(&b.scores)
        .map(|(x, y)| {
            let z = ((f64::from((*x)?) - ma) / sa + (f64::from((*y)?) - mb) / sb) / 2.0;
            Some((z / FUSED_SCALE) as f32)
        })
        .collect();
    Scorer { name: format!("{} + {}", short(&a.name), short(&b.name)), scores }
}

fn short(model: &str) -> &str {
    model.trim_start_matches("rec_")
}

/// The scores of `scorer` over the pairs `keep` admits.
fn collect(pairs: &[Pair], scorer: &Scorer, keep: impl Fn(&Pair) -> bool) -> (Scores, usize) {
    let mut s = Scores::default();
    let mut unscored = 0;
    for (p, v) in pairs.iter().zip(&scorer.scores) {
        if !keep(p) {
            continue;
        }
        match (v, p.genuine) {
            (Some(v), true) => s.genuine.push(*v),
            (Some(v), false) => s.impostor.push(*v),
            (None, _) => unscored += 1,
        }
    }
    (s, unscored)
}

/// Thresholds chosen on the tune split, one per FMR in [`FMRS`].
fn tune_thresholds(pairs: &[Pair], scorer: &Scorer) -> Vec<Calibrated> {
    let (tune, _) = collect(pairs, scorer, |p| p.split == Split::Tune);
    FMRS.iter().filter_map(|&f| calibration::calibrate(&tune.impostor, f)).collect()
}

pub fn run(global: &sapa_server::cli::GlobalArgs, args: VerifySetsArgs) -> anyhow::Result<ExitCode> {
    let groups = args.groups.as_deref().map(read_groups).transpose()?.unwrap_or_default();
    let mut photos = Vec::new();
    let mut curated = Vec::new();
    for path in &args.sets {
        let rows = labels::read(path, None)?;
        curated.extend(curated_impostor_identities(path, &rows));
        photos.extend(
            rows.into_iter().map(|label| Photo { group: groups.get(&label.identity).cloned(), label }),
        );
    }
    let rules = Rules::new(curated.iter().map(|(a, b)| (a.as_str(), b.as_str())));
    let pairs = pairs_of(&photos, &rules);
    let used: Vec<bool> = {
        let mut u = vec![false; photos.len()];
        for p in &pairs {
            u[p.a] = true;
            u[p.b] = true;
        }
        u
    };
    let paths: Vec<PathBuf> =
        photos.iter().zip(&used).filter(|(_, u)| **u).map(|(p, _)| p.label.path.clone()).collect();
    eprintln!("{} photos in {} pairs; computing templates", paths.len(), pairs.len());
    let models = RecognitionModel::ALL.to_vec();
    let enroller = Enroller::load(global, &models, None)?;
    let assessed = enroller.photos_assessed(&paths);
    let usability: Vec<Option<Usability>> =
        photos.iter().map(|p| assessed.get(&p.label.path).and_then(|(_, u)| u.clone())).collect();
    let templates: HashMap<PathBuf, PhotoTemplates> =
        assessed.into_iter().map(|(p, (t, _))| (p, t)).collect();

    let mut scorers: Vec<Scorer> = models
        .iter()
        .enumerate()
        .map(|(i, m)| Scorer {
            name: m.id().to_string(),
            scores: model_scores(&pairs, &photos, &templates, i),
        })
        .collect();
    let singles = scorers.len();
    for i in 0..singles {
        for j in i + 1..singles {
            let fused = fuse(&pairs, &scorers[i], &scorers[j]);
            scorers.push(fused);
        }
    }

    let mut out = String::new();
    let _ = writeln!(out, "{}", counts(&photos, &pairs, &paths, &templates, &models));
    for split in [Split::Tune, Split::HeldOut] {
        let _ = writeln!(out, "{}", oracle_table(&pairs, &scorers, split));
    }
    let thresholds: Vec<Vec<Calibrated>> = scorers.iter().map(|s| tune_thresholds(&pairs, s)).collect();
    let _ = writeln!(out, "{}", operating_table(&pairs, &scorers, &thresholds));
    let _ = writeln!(out, "{}", per_set_table(&pairs, &photos, &scorers[..singles], &thresholds));
    if !groups.is_empty() {
        let _ = writeln!(out, "{}", per_group_table(&pairs, &photos, &scorers[..singles], &thresholds));
    }
    let _ = writeln!(out, "{}", usability_table(&photos, &usability, &used));
    let _ = writeln!(out, "{}", decisions_table(&pairs, &usability, &scorers[..singles], &thresholds));
    print!("{out}");

    if let Some(dir) = &args.det {
        std::fs::create_dir_all(dir)?;
        for split in [Split::Tune, Split::HeldOut] {
            let curves: Vec<(String, Vec<(f64, f64)>)> = scorers
                .iter()
                .map(|s| (short(&s.name).to_string(), collect(&pairs, s, |p| p.split == split).0.det()))
                .collect();
            let (s0, _) = collect(&pairs, &scorers[0], |p| p.split == split);
            let title = format!(
                "DET, {} split: {} genuine, {} impostor pairs",
                split.name(),
                s0.genuine.len(),
                s0.impostor.len()
            );
            let file = dir.join(format!("det-{}.svg", split.name()));
            std::fs::write(&file, det::svg(&title, &curves))?;
            eprintln!("wrote {}", file.display());
        }
    }
    if let Some(path) = &args.calibration_out {
        let mut toml = String::new();
        for (i, m) in models.iter().enumerate() {
            toml +=
                &calibration_toml(*m, enroller.recognizers[i].version(), &pairs, &scorers[i], &thresholds[i]);
        }
        std::fs::write(path, toml).with_context(|| format!("writing {}", path.display()))?;
        eprintln!("calibration written to {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn counts(
    photos: &[Photo],
    pairs: &[Pair],
    paths: &[PathBuf],
    templates: &HashMap<PathBuf, PhotoTemplates>,
    models: &[RecognitionModel],
) -> String {
    let mut s = String::from("## Sets\n\n| set | photos | identities |\n|---|---|---|\n");
    let mut by_set: BTreeMap<&str, (usize, std::collections::BTreeSet<&str>)> = BTreeMap::new();
    for p in photos {
        let e = by_set.entry(&p.label.set).or_default();
        e.0 += 1;
        e.1.insert(&p.label.identity);
    }
    for (set, (n, ids)) in &by_set {
        let _ = writeln!(s, "| {set} | {n} | {} |", ids.len());
    }
    for split in [Split::Tune, Split::HeldOut] {
        let g = pairs.iter().filter(|p| p.split == split && p.genuine).count();
        let i = pairs.iter().filter(|p| p.split == split && !p.genuine).count();
        let _ = writeln!(s, "\n{} split: {g} genuine and {i} impostor pairs.", split.name());
    }
    let _ = writeln!(s, "{} photos are in at least one pair.", paths.len());
    for (i, m) in models.iter().enumerate() {
        let failed: Vec<String> = paths
            .iter()
            .filter_map(|p| match &templates[p][i].0 {
                Ok(_) => None,
                Err(e) => {
                    Some(format!("{} ({})", p.file_name().unwrap_or_default().to_string_lossy(), e.code))
                }
            })
            .collect();
        if !failed.is_empty() {
            let _ = writeln!(s, "{m}: no template for {} photos: {}", failed.len(), failed.join(", "));
        }
    }
    s
}

fn oracle_table(pairs: &[Pair], scorers: &[Scorer], split: Split) -> String {
    let mut s = format!(
        "## {} split: EER and FNMR at FMR (oracle thresholds, fitted on these scores)\n\n| scorer | genuine / impostor | not scored | EER | FNMR @ FMR 1e-2 | FNMR @ FMR 1e-3 | FNMR @ FMR 1e-4 |\n|---|---|---|---|---|---|---|\n",
        split.name()
    );
    for sc in scorers {
        let (v, unscored) = collect(pairs, sc, |p| p.split == split);
        let cells: Vec<String> = FMRS
            .iter()
            .map(|&f| match v.fnmr_at_fmr(f) {
                Some((r, true)) => r.show(),
                Some((r, false)) => {
                    format!("{} (FMR not resolved: < {} impostors)", r.show(), (1.0 / f) as u64)
                }
                None => "-".into(),
            })
            .collect();
        let _ = writeln!(
            s,
            "| {} | {} / {} | {unscored} | {} | {} |",
            short(&sc.name),
            v.genuine.len(),
            v.impostor.len(),
            v.eer().map_or("-".into(), pc),
            cells.join(" | ")
        );
    }
    s
}

fn basis(c: &Calibrated) -> &'static str {
    match c.basis {
        Basis::Measured => "measured",
        Basis::Provisional => "provisional",
    }
}

fn operating_table(pairs: &[Pair], scorers: &[Scorer], thresholds: &[Vec<Calibrated>]) -> String {
    let mut s = String::from(
        "## Thresholds chosen on the tune split, checked on the held-out split\n\n| scorer | target FMR | threshold (tune) | basis | held-out FMR [95%] | held-out FNMR [95%] |\n|---|---|---|---|---|---|\n",
    );
    for (sc, cal) in scorers.iter().zip(thresholds) {
        let (held, _) = collect(pairs, sc, |p| p.split == Split::HeldOut);
        for c in cal {
            let (fmr, fnmr) = held.at(c.threshold);
            let _ = writeln!(
                s,
                "| {} | {:e} | {:.4} | {} | {} | {} |",
                short(&sc.name),
                c.fmr,
                c.threshold,
                basis(c),
                fmr.show(),
                fnmr.show()
            );
        }
    }
    s
}

/// The tune threshold at FMR 1e-3.
fn at_1e3(cal: &[Calibrated]) -> Option<f32> {
    cal.iter().find(|c| (c.fmr - 1e-3).abs() < 1e-12).map(|c| c.threshold)
}

fn per_set_table(
    pairs: &[Pair],
    photos: &[Photo],
    scorers: &[Scorer],
    thresholds: &[Vec<Calibrated>],
) -> String {
    let mut s = String::from(
        "## Held-out split per set, at each model's tune threshold for FMR 1e-3 (pairs within one set)\n\n| scorer | set | EER | FMR [95%] | FNMR [95%] |\n|---|---|---|---|---|\n",
    );
    let mut sets: Vec<&str> = photos.iter().map(|p| p.label.set.as_str()).collect();
    sets.sort();
    sets.dedup();
    for (sc, cal) in scorers.iter().zip(thresholds) {
        let Some(t) = at_1e3(cal) else { continue };
        for set in &sets {
            let (v, _) = collect(pairs, sc, |p| {
                p.split == Split::HeldOut && photos[p.a].label.set == *set && photos[p.b].label.set == *set
            });
            if v.genuine.is_empty() && v.impostor.is_empty() {
                continue;
            }
            let (fmr, fnmr) = v.at(t);
            let _ = writeln!(
                s,
                "| {} | {set} | {} | {} | {} |",
                short(&sc.name),
                v.eer().map_or("-".into(), pc),
                fmr.show(),
                fnmr.show()
            );
        }
    }
    s
}

fn per_group_table(
    pairs: &[Pair],
    photos: &[Photo],
    scorers: &[Scorer],
    thresholds: &[Vec<Calibrated>],
) -> String {
    let mut s = String::from(
        "## Held-out split per group, at each model's tune threshold for FMR 1e-3 (impostor pairs within the group)\n\n| scorer | group | FMR [95%] | FNMR [95%] |\n|---|---|---|---|\n",
    );
    type Key = fn(&Group) -> &str;
    let keys: [(&str, Key); 2] = [("sex", |g| g.sex.as_str()), ("ethnicity", |g| g.ethnicity.as_str())];
    for (sc, cal) in scorers.iter().zip(thresholds) {
        let Some(t) = at_1e3(cal) else { continue };
        for (kind, key) in keys {
            let mut values: Vec<&str> =
                photos.iter().filter_map(|p| p.group.as_ref().map(key)).filter(|v| !v.is_empty()).collect();
            values.sort();
            values.dedup();
            for value in values {
                let in_group = |i: usize| photos[i].group.as_ref().map(key) == Some(value);
                let (v, _) =
                    collect(pairs, sc, |p| p.split == Split::HeldOut && in_group(p.a) && in_group(p.b));
                if v.genuine.is_empty() && v.impostor.is_empty() {
                    continue;
                }
                let (fmr, fnmr): (Rate, Rate) = v.at(t);
                let _ = writeln!(
                    s,
                    "| {} | {kind}: {value} | {} | {} |",
                    short(&sc.name),
                    fmr.show(),
                    fnmr.show()
                );
            }
        }
    }
    s
}

fn calibration_toml(
    model: RecognitionModel,
    version: &str,
    pairs: &[Pair],
    scorer: &Scorer,
    cal: &[Calibrated],
) -> String {
    let (tune, _) = collect(pairs, scorer, |p| p.split == Split::Tune);
    let (held, _) = collect(pairs, scorer, |p| p.split == Split::HeldOut);
    let mut t = format!(
        "[[model]]\nid = \"{model}\"\ntemplate_version = \"{version}\"\ncalibrated_on = \"YYYY-MM-DD\"\ncalibration_set = \"tune split of the sets given to sapa-eval verify-sets\"\ngenuine_comparisons = {}\nimpostor_comparisons = {}\nheld_out_genuine = {}\nheld_out_impostor = {}\n",
        tune.genuine.len(),
        tune.impostor.len(),
        held.genuine.len(),
        held.impostor.len()
    );
    for c in cal {
        let (fmr, fnmr) = held.at(c.threshold);
        let _ = write!(
            t,
            "[[model.threshold]]\nfmr = {:e}\nscore = {:.4}\nbasis = \"{}\"\nmethod = \"{}\"\nheld_out = \"FMR {}; FNMR {}\"\n",
            c.fmr,
            c.threshold,
            basis(c),
            c.method,
            fmr.show(),
            fnmr.show()
        );
    }
    t + "\n"
}

/// How often each usability measure fails, on the ICAO-like photos (where a retake would be a
/// false alarm) and on the rest, per split, with the lowest values the ICAO-like photos reach.
fn usability_table(photos: &[Photo], usability: &[Option<Usability>], used: &[bool]) -> String {
    let mut s = String::from(
        "## Usability of the photos in pairs (limits in models/recognition.toml [usability])\n\n| split | photos | measure | limit | fails on ICAO-like | fails on the others | ICAO-like values: min / 1st pct / median |\n|---|---|---|---|---|---|---|\n",
    );
    for split in [Split::Tune, Split::HeldOut] {
        let rows: Vec<(&Photo, &Usability)> = photos
            .iter()
            .zip(usability)
            .zip(used)
            .filter(|((p, u), used)| **used && p.label.split == split && u.is_some())
            .map(|((p, u), _)| (p, u.as_ref().expect("filtered")))
            .collect();
        let Some((_, first)) = rows.first() else { continue };
        for (m, measure) in first.measures.iter().enumerate() {
            let (mut icao_fail, mut icao_n, mut other_fail, mut other_n) = (0, 0, 0, 0);
            let mut icao_values: Vec<f32> = Vec::new();
            for (p, u) in &rows {
                let x = &u.measures[m];
                if p.label.icao_like {
                    icao_n += 1;
                    icao_fail += usize::from(!x.passed);
                    if let Some(v) = x.value {
                        icao_values.push(if measure.name.ends_with("_deg") { -v.abs() } else { v });
                    }
                } else {
                    other_n += 1;
                    other_fail += usize::from(!x.passed);
                }
            }
            icao_values.sort_by(f32::total_cmp);
            let q = |f: f64| {
                icao_values
                    .get(((icao_values.len() as f64 - 1.0) * f).round() as usize)
                    .map_or("-".into(), |v| format!("{:.3}", v.abs()))
            };
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} / {} / {} |",
                split.name(),
                rows.len(),
                measure.name,
                measure.threshold,
                Rate::new(icao_fail, icao_n).show(),
                Rate::new(other_fail, other_n).show(),
                q(0.0),
                q(0.01),
                q(0.5)
            );
        }
    }
    s + "\n(For the angles the table shows the largest magnitudes, not the smallest.)\n"
}

/// The engine's own answers on the held-out split at each model's tune threshold for FMR 1e-3,
/// the first photo of a pair taken as the probe.
fn decisions_table(
    pairs: &[Pair],
    usability: &[Option<Usability>],
    scorers: &[Scorer],
    thresholds: &[Vec<Calibrated>],
) -> String {
    let mut s = String::from(
        "## The engine's decisions on the held-out split (tune threshold for FMR 1e-3; first photo = probe)\n\n| model | genuine: match / retake / reference_unusable / no_match | FNMR (no_match) [95%] | impostor: match [95%] | impostor: retake / reference_unusable |\n|---|---|---|---|---|\n",
    );
    let empty = Usability::default();
    for (sc, cal) in scorers.iter().zip(thresholds) {
        let Some(t) = at_1e3(cal) else { continue };
        let mut g: BTreeMap<&str, usize> = BTreeMap::new();
        let mut i: BTreeMap<&str, usize> = BTreeMap::new();
        let (mut gn, mut im) = (0, 0);
        for (p, v) in pairs.iter().zip(&sc.scores) {
            let Some(v) = v else { continue };
            if p.split != Split::HeldOut {
                continue;
            }
            let probe = usability[p.a].as_ref().unwrap_or(&empty);
            let reference = usability[p.b].as_ref().unwrap_or(&empty);
            let d = Verdict::decide(*v, t, probe, reference).as_str();
            if p.genuine {
                gn += 1;
                *g.entry(d).or_default() += 1;
            } else {
                im += 1;
                *i.entry(d).or_default() += 1;
            }
        }
        let n = |m: &BTreeMap<&str, usize>, k: &str| m.get(k).copied().unwrap_or(0);
        let _ = writeln!(
            s,
            "| {} | {} / {} / {} / {} | {} | {} | {} / {} |",
            short(&sc.name),
            n(&g, "match"),
            n(&g, "retake"),
            n(&g, "reference_unusable"),
            n(&g, "no_match"),
            Rate::new(n(&g, "no_match"), gn).show(),
            Rate::new(n(&i, "match"), im).show(),
            n(&i, "retake"),
            n(&i, "reference_unusable"),
        );
    }
    s
}
