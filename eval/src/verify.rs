//! `sapa eval-verify`: how each recognition model separates the shared face pairs. Prints EER,
//! FNMR at fixed FMRs and the error rates at the configured thresholds; with `--labels` it also
//! scores every pair the identity rules allow and calibrates thresholds from those impostors.

use crate::identities::{self, FilePair, Rules};
use anyhow::Context;
use clap::Args;
use sapa_engine::recognition::calibration::{self, Calibrated};
use sapa_engine::recognition::{ColourOrder, RecognitionConfig, RecognitionModel};
use sapa_server::cli::enrol::{Enroller, PhotoTemplates};
use sapa_server::cli::pairs;
use sapa_server::cli::verify::parse_model;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// The FMRs thresholds are calibrated for.
const CALIBRATION_FMRS: [f64; 3] = [1e-2, 1e-3, 1e-4];

#[derive(Args, Debug)]
pub struct EvalVerifyArgs {
    /// The curated pair list (`file_a,file_b,same`).
    #[arg(long)]
    pairs: PathBuf,
    /// labels.csv: adds every genuine and impostor pair the identity rules allow.
    #[arg(long)]
    labels: Option<PathBuf>,
    /// Directory of the photos (default: the pair list's directory).
    #[arg(long)]
    root: Option<PathBuf>,
    /// Evaluate this model (default: the configured default model).
    #[arg(long, value_parser = parse_model, conflicts_with = "all")]
    model: Option<RecognitionModel>,
    /// Evaluate every recognition model.
    #[arg(long)]
    all: bool,
    /// Feed the networks BGR instead of their usual order (to measure which one they expect).
    #[arg(long)]
    swap_colour: bool,
    /// Print the results as one JSON object per model.
    #[arg(long)]
    json: bool,
    /// Write thresholds calibrated on the full impostor set (needs --labels) as recognition.toml
    /// `[[model]]` tables to this file.
    #[arg(long, requires = "labels")]
    calibration_out: Option<PathBuf>,
}

/// Scores of one comparison set, and the pairs that could not be scored.
#[derive(Default)]
struct Scores {
    genuine: Vec<f32>,
    impostor: Vec<f32>,
    genuine_failed: usize,
    impostor_failed: usize,
}

#[derive(Serialize)]
struct SetReport {
    genuine: usize,
    impostor: usize,
    genuine_not_scored: usize,
    impostor_not_scored: usize,
    eer: Option<f64>,
    fnmr_at_fmr_1pct: Option<f64>,
    fnmr_at_fmr_0_5pct: Option<f64>,
    /// At the configured default threshold, over the scored pairs.
    default_fmr: Option<f64>,
    default_fnmr: Option<f64>,
    /// FNMR counting unscored genuine pairs as non-matches.
    default_fnmr_with_failures: Option<f64>,
    max_impostor: Option<f32>,
    min_genuine: Option<f32>,
}

#[derive(Serialize)]
struct ModelReport {
    model: &'static str,
    version: String,
    photos: usize,
    failed_photos: Vec<String>,
    ms_per_template: f64,
    default_threshold: Option<f32>,
    default_fmr: f64,
    pairs: SetReport,
    #[serde(skip_serializing_if = "Option::is_none")]
    all_pairs: Option<SetReport>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    calibration: Vec<Calibrated>,
    /// FNMR over all genuine pairs at each calibrated threshold.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    calibration_fnmr: Vec<f64>,
}

fn score_set(
    templates: &HashMap<PathBuf, PhotoTemplates>,
    index: usize,
    root: &Path,
    genuine: &[FilePair],
    impostor: &[FilePair],
) -> Scores {
    let mut s = Scores::default();
    let score = |(a, b): &FilePair| {
        let t = |f: &String| templates.get(&root.join(f)).and_then(|v| v[index].0.as_ref().ok());
        t(a)?.similarity(t(b)?).ok()
    };
    for p in genuine {
        match score(p) {
            Some(v) => s.genuine.push(v),
            None => s.genuine_failed += 1,
        }
    }
    for p in impostor {
        match score(p) {
            Some(v) => s.impostor.push(v),
            None => s.impostor_failed += 1,
        }
    }
    s
}

fn report(s: &Scores, default_threshold: Option<f32>) -> SetReport {
    let fnmr = |fmr| calibration::fnmr_at_fmr(&s.genuine, &s.impostor, fmr).map(|r| r.0);
    let at_default = default_threshold.map(|t| calibration::rates_at(&s.genuine, &s.impostor, t));
    let total_genuine = s.genuine.len() + s.genuine_failed;
    SetReport {
        genuine: s.genuine.len(),
        impostor: s.impostor.len(),
        genuine_not_scored: s.genuine_failed,
        impostor_not_scored: s.impostor_failed,
        eer: calibration::eer(&s.genuine, &s.impostor).map(|e| e.eer),
        fnmr_at_fmr_1pct: fnmr(1e-2),
        fnmr_at_fmr_0_5pct: fnmr(5e-3),
        default_fmr: at_default.map(|r| r.fmr),
        default_fnmr: at_default.map(|r| r.fnmr),
        default_fnmr_with_failures: at_default
            .filter(|_| total_genuine > 0)
            .map(|r| (r.fnmr * s.genuine.len() as f64 + s.genuine_failed as f64) / total_genuine as f64),
        max_impostor: s.impostor.iter().copied().reduce(f32::max),
        min_genuine: s.genuine.iter().copied().reduce(f32::min),
    }
}

pub fn run(global: &sapa_server::cli::GlobalArgs, args: EvalVerifyArgs) -> anyhow::Result<ExitCode> {
    let root = pairs::root_for(&args.pairs, args.root.as_deref());
    let curated = pairs::read(&args.pairs, &root)?;
    let config = sapa_server::cli::enrol::config(global)?;
    let models: Vec<RecognitionModel> = if args.all {
        RecognitionModel::ALL.to_vec()
    } else {
        vec![args.model.unwrap_or(config.default_model)]
    };
    let order = args.swap_colour.then_some(ColourOrder::Bgr);
    let enroller = Enroller::load(global, &models, order)?;

    let split = |want: bool| -> Vec<(String, String)> {
        curated.iter().filter(|p| p.same == Some(want)).map(|p| (p.a.clone(), p.b.clone())).collect()
    };
    let (cur_gen, cur_imp) = (split(true), split(false));
    let mut photos: BTreeSet<String> = curated.iter().flat_map(|p| [p.a.clone(), p.b.clone()]).collect();
    let extended = match &args.labels {
        None => None,
        Some(path) => {
            let labels = identities::read_labels(path)?;
            let by_file = identities::by_file(&labels);
            let ident = |f: &String| -> anyhow::Result<&str> {
                Ok(by_file
                    .get(f.as_str())
                    .with_context(|| format!("{f} is not in the labels"))?
                    .identity
                    .as_str())
            };
            let mut curated_ids = Vec::new();
            for (a, b) in &cur_imp {
                curated_ids.push((ident(a)?, ident(b)?));
            }
            let rules = Rules::new(curated_ids);
            for (a, b) in &cur_imp {
                if !rules.impostor(by_file[a.as_str()], by_file[b.as_str()]) {
                    eprintln!("note: curated impostor pair {a},{b} is outside the identity rules");
                }
            }
            let (g, i) = identities::all_pairs(&labels, &rules);
            photos.extend(g.iter().chain(&i).flat_map(|(a, b)| [a.clone(), b.clone()]));
            Some((g, i))
        }
    };
    let paths: Vec<PathBuf> = photos.iter().map(|f| root.join(f)).collect();
    let templates = enroller.photos(&paths);

    let mut reports = Vec::new();
    let mut toml = String::new();
    for (index, recognizer) in enroller.recognizers.iter().enumerate() {
        let model = recognizer.model();
        let default_threshold = config.operating_point(model, config.default_fmr).ok().map(|p| p.score);
        let mut failed_photos = Vec::new();
        let (mut spent, mut made) = (Duration::ZERO, 0u32);
        for f in &photos {
            match &templates[&root.join(f)][index] {
                (Ok(_), d) => {
                    spent += *d;
                    made += 1;
                }
                (Err(e), _) => failed_photos.push(format!("{f} ({})", e.code)),
            }
        }
        let curated_scores = score_set(&templates, index, &root, &cur_gen, &cur_imp);
        let mut r = ModelReport {
            model: model.id(),
            version: recognizer.version().to_string(),
            photos: photos.len(),
            failed_photos,
            ms_per_template: spent.as_secs_f64() * 1e3 / made.max(1) as f64,
            default_threshold,
            default_fmr: config.default_fmr,
            pairs: report(&curated_scores, default_threshold),
            all_pairs: None,
            calibration: Vec::new(),
            calibration_fnmr: Vec::new(),
        };
        if let Some((g, i)) = &extended {
            let s = score_set(&templates, index, &root, g, i);
            r.calibration =
                CALIBRATION_FMRS.iter().filter_map(|&f| calibration::calibrate(&s.impostor, f)).collect();
            r.calibration_fnmr = r
                .calibration
                .iter()
                .map(|c| calibration::rates_at(&s.genuine, &s.impostor, c.threshold).fnmr)
                .collect();
            toml += &calibration_toml(model, recognizer.version(), &s, &r.calibration);
            r.all_pairs = Some(report(&s, default_threshold));
        }
        reports.push(r);
    }
    if args.json {
        for r in &reports {
            println!("{}", serde_json::to_string(r)?);
        }
    } else {
        print!("{}", table(&reports, &config));
    }
    if let Some(out) = &args.calibration_out {
        std::fs::write(out, toml).with_context(|| format!("writing {}", out.display()))?;
        eprintln!("calibration written to {}", out.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn pct(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{:.2}%", v * 100.0))
}

fn table(reports: &[ModelReport], config: &RecognitionConfig) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "| model | photos without template | curated genuine/impostor | EER | FNMR@FMR 1% | FNMR@FMR 0.5% | threshold @FMR {:e} | FMR / FNMR there | FNMR incl. failures |",
        config.default_fmr
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|");
    for r in reports {
        let p = &r.pairs;
        let _ = writeln!(
            s,
            "| {} | {} | {}/{} | {} | {} | {} | {} | {} / {} | {} |",
            r.model,
            r.failed_photos.len(),
            p.genuine,
            p.impostor,
            pct(p.eer),
            pct(p.fnmr_at_fmr_1pct),
            pct(p.fnmr_at_fmr_0_5pct),
            r.default_threshold.map_or("-".into(), |t| format!("{t:.4}")),
            pct(p.default_fmr),
            pct(p.default_fnmr),
            pct(p.default_fnmr_with_failures),
        );
    }
    if reports.iter().any(|r| r.all_pairs.is_some()) {
        let _ = writeln!(
            s,
            "\nAll pairs the identity rules allow:\n\n| model | genuine/impostor | EER | FNMR@FMR 1% | FNMR@FMR 0.5% | FMR / FNMR at the default threshold | max impostor | min genuine | thresholds (FMR: score, basis, FNMR there) |"
        );
        let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|");
        for r in reports {
            let Some(p) = &r.all_pairs else { continue };
            let cal: Vec<String> = r
                .calibration
                .iter()
                .zip(&r.calibration_fnmr)
                .map(|(c, f)| {
                    let basis = format!("{:?}", c.basis).to_lowercase();
                    format!("{:e}: {:.4} {basis}, FNMR {}", c.fmr, c.threshold, pct(Some(*f)))
                })
                .collect();
            let _ = writeln!(
                s,
                "| {} | {}/{} | {} | {} | {} | {} / {} | {} | {} | {} |",
                r.model,
                p.genuine,
                p.impostor,
                pct(p.eer),
                pct(p.fnmr_at_fmr_1pct),
                pct(p.fnmr_at_fmr_0_5pct),
                pct(p.default_fmr),
                pct(p.default_fnmr),
                p.max_impostor.map_or("-".into(), |v| format!("{v:.4}")),
                p.min_genuine.map_or("-".into(), |v| format!("{v:.4}")),
                cal.join("; ")
            );
        }
    }
    for r in reports {
        if !r.failed_photos.is_empty() {
            let _ = writeln!(s, "\n{}: no template for {}", r.model, r.failed_photos.join(", "));
        }
        let _ = writeln!(s, "{}: {:.1} ms per template (align + embed)", r.model, r.ms_per_template);
    }
    s
}

fn calibration_toml(model: RecognitionModel, version: &str, s: &Scores, cal: &[Calibrated]) -> String {
    let mut t = format!(
        "[[model]]\nid = \"{model}\"\ntemplate_version = \"{version}\"\ncalibrated_on = \"YYYY-MM-DD\"\ncalibration_set = \"shared fixtures/faces: all pairs the PROVENANCE.md identity rules allow\"\ngenuine_comparisons = {}\nimpostor_comparisons = {}\n",
        s.genuine.len(),
        s.impostor.len()
    );
    for c in cal {
        let basis = format!("{:?}", c.basis).to_lowercase();
        let _ = write!(
            t,
            "[[model.threshold]]\nfmr = {:e}\nscore = {:.4}\nbasis = \"{basis}\"\nmethod = \"{}\"\n",
            c.fmr, c.threshold, c.method
        );
    }
    t + "\n"
}
