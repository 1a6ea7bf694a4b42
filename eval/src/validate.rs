//! `sapa-eval validate`: how validation fares on labelled sets. Every result is printed twice,
//! once for the tune split (where thresholds may be set) and once for the held-out split (where
//! they are reported), with the false rejects of ICAO-like photos and the recall of every labelled
//! defect. A defect counts as found only when its own code fails.

use crate::labels::{self, Labelled, Split};
use anyhow::Context;
use clap::Args;
use rayon::prelude::*;
use sapa_engine::AnalyzerConfig;
use sapa_engine::validate::{Code, Decision, Lang, Report, Threshold};
use sapa_server::cli::{GlobalArgs, setup};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct EvalValidateArgs {
    /// labels.csv files (columns file, identity, icao_like, defects); repeat for several sets.
    #[arg(long, required = true)]
    labels: Vec<PathBuf>,
    #[arg(long, default_value = "kz-id")]
    profile: String,
    /// Only this split (default: both, each reported apart).
    #[arg(long, value_parser = parse_split)]
    split: Option<Split>,
    /// Also print, per measure on the tune split, the values of clean and labelled photos around
    /// the profile's threshold (the gap a threshold is set in).
    #[arg(long)]
    gaps: bool,
    /// Also write every measured value to this CSV (set, split, file, code, measure, value, passed).
    #[arg(long)]
    dump: Option<PathBuf>,
}

/// `[45, 94]%`: the 95% Wilson interval of `k` of `n`, in whole percent.
fn interval(k: usize, n: usize) -> String {
    let r = crate::rates::Rate::new(k, n);
    if n == 0 { "-".into() } else { format!("[{:.0}, {:.0}]%", 100.0 * r.low, 100.0 * r.high) }
}

fn parse_split(s: &str) -> Result<Split, String> {
    match s {
        "tune" => Ok(Split::Tune),
        "held-out" => Ok(Split::HeldOut),
        _ => Err("expected tune or held-out".into()),
    }
}

/// The codes whose failure finds a labelled defect. Labels that are codes map to themselves; the
/// rest follow the labels' vocabulary (hat is a head covering, a mask an occlusion, shadow and
/// poor lighting the lighting codes).
pub fn codes_for_label(label: &str) -> Vec<Code> {
    match label {
        "hat" => vec![Code::HeadCovering],
        "mask" => vec![Code::Occlusion],
        "shadow" | "poor_lighting" => {
            vec![Code::UnevenLighting, Code::Underexposed, Code::Overexposed, Code::LowDynamicRange]
        }
        other => other.parse::<Code>().into_iter().collect(),
    }
}

/// Whether the report fails one of the label's own codes.
pub fn found(label: &str, rep: &Report) -> bool {
    codes_for_label(label).iter().any(|c| rep.failed.contains(c))
}

/// Results on one split.
#[derive(Default)]
struct Tally {
    icao: usize,
    false_rejects: Vec<String>,
    /// label -> (found, cases, missed files)
    recall: BTreeMap<String, (usize, usize, Vec<String>)>,
    /// label -> photos rejected for any code: a defect missed by its own code may still be
    /// refused (with the wrong message), or accepted (let through).
    rejected: BTreeMap<String, usize>,
    /// Failures of codes the photo's labels do not name.
    extra: BTreeMap<Code, usize>,
    /// turned_head labels whose pose failed only as pitch (under `tilted`): reported, not counted.
    turned_as_pitch: Vec<String>,
    /// hat labels passed by the profile's religious-headscarf rule: reported, not counted.
    excused_scarves: Vec<String>,
    errors: Vec<String>,
}

impl Tally {
    fn add(&mut self, row: &Labelled, rep: &Report) {
        let name = format!("{}/{}", row.set, row.file);
        if row.icao_like {
            self.icao += 1;
            if rep.decision == Decision::Reject {
                let failed: Vec<&str> = rep.failed.iter().map(|c| c.as_str()).collect();
                self.false_rejects.push(format!("{name} ({})", failed.join(", ")));
            }
        }
        let mut expected = Vec::new();
        for label in &row.defects {
            expected.extend(codes_for_label(label));
            if rep.decision == Decision::Reject {
                *self.rejected.entry(label.clone()).or_default() += 1;
            }
            let e = self.recall.entry(label.clone()).or_default();
            e.1 += 1;
            if found(label, rep) {
                e.0 += 1;
            } else {
                e.2.push(name.clone());
                if label == "turned_head" && rep.failed.contains(&Code::Tilted) {
                    self.turned_as_pitch.push(name.clone());
                }
                let excused = |c: &&sapa_engine::validate::CheckResult| {
                    c.code == Code::HeadCovering && c.note.is_some_and(|n| n.starts_with("headscarf allowed"))
                };
                if label == "hat" && rep.checks.iter().any(|c| excused(&c)) {
                    self.excused_scarves.push(name.clone());
                }
            }
        }
        for code in &rep.failed {
            if !expected.contains(code) {
                *self.extra.entry(*code).or_default() += 1;
            }
        }
    }

    fn print(&self, split: Split, photos: usize) {
        println!("== {} split: {photos} photos", split.name());
        let pct = |a: usize, b: usize| if b == 0 { 0.0 } else { 100.0 * a as f32 / b as f32 };
        println!(
            "false rejects of ICAO-like photos: {} of {} ({:.1}%; 95% Wilson interval {})",
            self.false_rejects.len(),
            self.icao,
            pct(self.false_rejects.len(), self.icao),
            interval(self.false_rejects.len(), self.icao),
        );
        for f in &self.false_rejects {
            println!("  {f}");
        }
        // The interval says what the cases can show: 9 of 9 found is "at least 70%", not 100%.
        // "rejected": refused for any code, the right one or not; the rest were let through.
        println!(
            "{:<24} {:>6} {:>6} {:>8} {:>14} {:>9}  missed",
            "defect", "found", "of", "recall", "95% interval", "rejected"
        );
        for (label, (hit, n, missed)) in &self.recall {
            let few = if *n >= 5 { "" } else { " (fewer than 5 cases)" };
            let rejected = self.rejected.get(label).copied().unwrap_or(0);
            println!(
                "{label:<24} {hit:>6} {n:>6} {:>7.0}% {:>14} {:>9}  {}{few}",
                pct(*hit, *n),
                interval(*hit, *n),
                rejected,
                missed.join(" ")
            );
        }
        if !self.turned_as_pitch.is_empty() {
            println!(
                "turned_head labels missed by turned_head but failed as tilted (pitch): {}",
                self.turned_as_pitch.join(" ")
            );
        }
        if !self.excused_scarves.is_empty() {
            println!(
                "hat labels passed as a headscarf the profile allows (counted as missed above): {}",
                self.excused_scarves.join(" ")
            );
        }
        println!("failures not matching a label (labels list only the main defects):");
        for (code, n) in &self.extra {
            println!("  {code}: {n}");
        }
        for e in &self.errors {
            println!("  error: {e}");
        }
    }
}

/// A measure's values on the tune split, by class, for `--gaps`.
#[derive(Default)]
struct Gap {
    threshold: Option<Threshold>,
    clean: Vec<f32>,
    labelled: Vec<f32>,
}

fn quantile(v: &mut [f32], q: f32) -> f32 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() - 1) as f32 * q).round() as usize]
}

fn print_gaps(gaps: &BTreeMap<(&'static str, &'static str), Gap>) {
    println!("== measures on the tune split: clean (ICAO-like) photos against photos labelled with the code");
    println!(
        "{:<24} {:<28} {:>18}  {:>28}  {:>28}",
        "code", "measure", "threshold", "clean min/p50/max", "labelled min/p50/max"
    );
    for ((code, measure), g) in gaps {
        let t = match g.threshold {
            Some(Threshold::Min { min }) => format!(">= {min}"),
            Some(Threshold::Max { max }) => format!("<= {max}"),
            Some(Threshold::Range { min, max }) => format!("{min}..{max}"),
            None => String::new(),
        };
        let fmt = |v: &[f32]| {
            if v.is_empty() {
                return "-".to_string();
            }
            let mut v = v.to_vec();
            format!(
                "{:.3}/{:.3}/{:.3} (n={})",
                quantile(&mut v, 0.0),
                quantile(&mut v, 0.5),
                quantile(&mut v, 1.0),
                v.len()
            )
        };
        println!("{code:<24} {measure:<28} {t:>18}  {:>28}  {:>28}", fmt(&g.clean), fmt(&g.labelled));
    }
}

pub fn run(global: &GlobalArgs, args: EvalValidateArgs) -> anyhow::Result<ExitCode> {
    let profile = setup::profile(&args.profile)?;
    let validator = setup::validator(global, AnalyzerConfig::default())?;
    let mut rows = Vec::new();
    for path in &args.labels {
        rows.extend(labels::read(path, None)?);
    }
    rows.retain(|r| args.split.is_none_or(|s| r.split == s));
    let reports: Vec<Result<Report, String>> = rows
        .par_iter()
        .map(|r| {
            let bytes = std::fs::read(&r.path).map_err(|e| e.to_string())?;
            validator
                .validate_bytes(&bytes, &profile, Lang::En)
                .map(|v| v.report)
                .map_err(|e| e.code().to_string())
        })
        .collect();

    let mut dump = args.dump.as_ref().map(std::fs::File::create).transpose().context("creating the dump")?;
    if let Some(d) = dump.as_mut() {
        writeln!(d, "set,split,file,code,measure,value,passed")?;
    }
    let mut tallies: BTreeMap<Split, (usize, Tally)> = BTreeMap::new();
    let mut gaps: BTreeMap<(&'static str, &'static str), Gap> = BTreeMap::new();
    for (row, rep) in rows.iter().zip(&reports) {
        let (photos, tally) = tallies.entry(row.split).or_default();
        *photos += 1;
        let rep = match rep {
            Ok(r) => r,
            Err(code) => {
                tally.errors.push(format!("{}/{}: {code}", row.set, row.file));
                continue;
            }
        };
        tally.add(row, rep);
        for c in &rep.checks {
            if let Some(d) = dump.as_mut() {
                let v = c.value.map(|v| v.to_string()).unwrap_or_default();
                writeln!(
                    d,
                    "{},{},{},{},{},{},{}",
                    row.set,
                    row.split.name(),
                    row.file,
                    c.code,
                    c.measure,
                    v,
                    c.passed
                )?;
            }
            let Some(v) = c.value.filter(|_| row.split == Split::Tune) else { continue };
            let g = gaps.entry((c.code.as_str(), c.measure)).or_default();
            g.threshold = Some(c.threshold);
            if row.icao_like {
                g.clean.push(v);
            } else if row.defects.iter().any(|l| codes_for_label(l).contains(&c.code)) {
                g.labelled.push(v);
            }
        }
    }
    println!("profile {}: {} photos from {} labels file(s)", profile.name, rows.len(), args.labels.len());
    for (split, (photos, tally)) in &tallies {
        tally.print(*split, *photos);
    }
    if args.gaps {
        print_gaps(&gaps);
    }
    Ok(ExitCode::SUCCESS)
}
