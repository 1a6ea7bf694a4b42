//! `sapa eval-validate`: how validation fares on a labelled set (the shared `labels.csv`): false
//! rejects of ICAO-like photos and recall for each labelled defect.

use super::csv::{field, split_line};
use super::{GlobalArgs, setup};
use anyhow::Context;
use clap::Args;
use rayon::prelude::*;
use sapa_engine::AnalyzerConfig;
use sapa_engine::validate::{Decision, Lang, Report};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct EvalValidateArgs {
    /// labels.csv with columns file, icao_like, defects (';'-separated).
    #[arg(long)]
    labels: PathBuf,
    /// Directory of the photos (default: the directory of the labels file).
    #[arg(long)]
    root: Option<PathBuf>,
    #[arg(long, default_value = "kz-id")]
    profile: String,
    /// Also write every measured value to this CSV (file, code, measure, value, passed).
    #[arg(long)]
    dump: Option<PathBuf>,
}

/// What detects a labelled defect: a failed code, or only one failed measure of a code.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Detector {
    pub code: &'static str,
    pub measure: Option<&'static str>,
}

impl Detector {
    const fn code(code: &'static str) -> Self {
        Self { code, measure: None }
    }

    /// Whether this report's failures include what this detector stands for.
    pub fn fired(&self, rep: &Report) -> bool {
        rep.failed.contains(&self.code)
            && rep
                .checks
                .iter()
                .any(|c| c.code == self.code && !c.passed && self.measure.is_none_or(|m| c.measure == m))
    }
}

/// What a labelled defect is detected by. The mapping (hat, mask, shadow, poor lighting),
/// and one for pose: the labels file names a pitched head both `turned_head` ("head pitched up,
/// looking upward") and `tilted` ("chin down"), while Sapa reports pitch under `tilted` (its
/// message says "sideways, up or down"), so a pitch failure also counts for a `turned_head` label.
pub fn detectors_for_label(label: &str) -> Vec<Detector> {
    match label {
        "hat" => vec![Detector::code("head_covering")],
        "mask" => vec![Detector::code("occlusion")],
        "shadow" | "poor_lighting" => ["uneven_lighting", "underexposed", "overexposed", "low_dynamic_range"]
            .into_iter()
            .map(Detector::code)
            .collect(),
        "turned_head" => {
            vec![Detector::code("turned_head"), Detector { code: "tilted", measure: Some("pitch_deg") }]
        }
        other => sapa_engine::validate::report::PRIORITY
            .iter()
            .copied()
            .filter(|c| *c == other)
            .map(Detector::code)
            .collect(),
    }
}

struct Row {
    file: String,
    icao_like: bool,
    defects: Vec<String>,
}

fn read_labels(path: &PathBuf) -> anyhow::Result<Vec<Row>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut lines = text.lines();
    let header = split_line(lines.next().unwrap_or_default());
    let col =
        |n: &str| header.iter().position(|h| h == n).with_context(|| format!("labels have no {n} column"));
    let (f, i, d) = (col("file")?, col("icao_like")?, col("defects")?);
    Ok(lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let r = split_line(l);
            Row {
                file: field(&r, f).to_string(),
                icao_like: field(&r, i) == "yes",
                defects: field(&r, d).split(';').filter(|s| !s.is_empty()).map(str::to_string).collect(),
            }
        })
        .collect())
}

pub fn run(global: &GlobalArgs, args: EvalValidateArgs) -> anyhow::Result<ExitCode> {
    let profile = setup::profile(&args.profile)?;
    let validator = setup::validator(global, AnalyzerConfig::default())?;
    let root =
        args.root.clone().unwrap_or_else(|| args.labels.parent().map(PathBuf::from).unwrap_or_default());
    let rows = read_labels(&args.labels)?;
    let reports: Vec<Result<Report, String>> = rows
        .par_iter()
        .map(|r| {
            let bytes = std::fs::read(root.join(&r.file)).map_err(|e| e.to_string())?;
            validator
                .validate_bytes(&bytes, &profile, Lang::En)
                .map(|v| v.report)
                .map_err(|e| e.code().to_string())
        })
        .collect();

    let mut dump = args.dump.as_ref().map(std::fs::File::create).transpose()?;
    if let Some(d) = dump.as_mut() {
        writeln!(d, "file,code,measure,value,passed")?;
    }
    let (mut icao, mut false_rejects) = (0, Vec::new());
    let mut recall: BTreeMap<String, (usize, usize, Vec<String>)> = BTreeMap::new();
    let mut extra: BTreeMap<&'static str, usize> = BTreeMap::new();
    for (row, rep) in rows.iter().zip(&reports) {
        let rep = match rep {
            Ok(r) => r,
            Err(code) => {
                println!("{}: error {code}", row.file);
                continue;
            }
        };
        if let Some(d) = dump.as_mut() {
            for c in &rep.checks {
                let v = c.value.map(|v| v.to_string()).unwrap_or_default();
                writeln!(d, "{},{},{},{},{}", row.file, c.code, c.measure, v, c.passed)?;
            }
        }
        if row.icao_like {
            icao += 1;
            if rep.decision == Decision::Reject {
                false_rejects.push(format!("{} ({})", row.file, rep.failed.join(", ")));
            }
        }
        let mut expected: Vec<&'static str> = Vec::new();
        for label in &row.defects {
            let detectors = detectors_for_label(label);
            expected.extend(detectors.iter().map(|d| d.code));
            let hit = detectors.iter().any(|d| d.fired(rep));
            let e = recall.entry(label.clone()).or_default();
            e.1 += 1;
            if hit {
                e.0 += 1;
            } else {
                e.2.push(row.file.clone());
            }
        }
        for code in &rep.failed {
            if !expected.contains(code) {
                *extra.entry(code).or_default() += 1;
            }
        }
    }
    println!("profile {}: {} photos", profile.name, rows.len());
    println!("false rejects of ICAO-like photos: {} of {icao}", false_rejects.len());
    for f in &false_rejects {
        println!("  {f}");
    }
    println!("{:<24} {:>6} {:>6} {:>8}  missed", "defect", "found", "of", "recall");
    for (label, (hit, n, missed)) in &recall {
        let target = if *n >= 5 { "" } else { " (fewer than 5 cases)" };
        println!(
            "{label:<24} {hit:>6} {n:>6} {:>7.0}%  {}{target}",
            100.0 * *hit as f32 / *n as f32,
            missed.join(" ")
        );
    }
    println!(
        "(a turned_head label also counts as found by a failed tilted/pitch_deg: the labels use both words for pitch)"
    );
    println!("failures not matching a label (photo labels list only the main defects):");
    for (code, n) in &extra {
        println!("  {code}: {n}");
    }
    Ok(ExitCode::SUCCESS)
}
