//! `sapa verify`: 1:1 verification of a probe photo against a reference photo, or of every row
//! of a pair list. One JSON line per comparison; per-row errors are lines, not failures.

use super::enrol::{self, Enroller, PhotoTemplates};
use super::files::ErrorBody;
use super::pairs::{self, Pair};
use super::{GlobalArgs, files};
use crate::error_code::ErrorCode;
use crate::verdict::{PoorPhoto, poor_photos};
use anyhow::bail;
use clap::Args;
use sapa_engine::Template;
use sapa_engine::recognition::{RecognitionModel, Usability, Verdict};
use sapa_engine::validate::Lang;
use serde::Serialize;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// Print one JSON object per comparison instead of a sentence.
    #[arg(long)]
    json: bool,
    /// Recognition model (default: `default_model` of models/recognition.toml).
    #[arg(long, value_parser = parse_model)]
    model: Option<RecognitionModel>,
    /// Decide with this similarity threshold instead of a calibrated one.
    #[arg(long, conflicts_with = "fmr")]
    threshold: Option<f32>,
    /// Decide at this calibrated false match rate, e.g. 1e-3 (default: `default_fmr`).
    #[arg(long)]
    fmr: Option<f64>,
    /// A CSV of `file_a,file_b[,same]` rows to compare, instead of PROBE REFERENCE.
    #[arg(long, conflicts_with = "photos")]
    pairs: Option<PathBuf>,
    /// Directory the pair list's file names are relative to (default: the list's directory).
    #[arg(long, requires = "pairs")]
    root: Option<PathBuf>,
    /// Verify PROBE against the reference of this IIN: the reference store first, then ГБД ФЛ
    /// when `--gbd-config` is given.
    #[arg(long, conflicts_with = "pairs")]
    iin: Option<String>,
    #[command(flatten)]
    store: super::references::StoreArgs,
    /// Language of the messages of a `retake` or `reference_unusable` answer: kk, ru or en.
    #[arg(long, default_value = "en", value_parser = super::validate::parse_lang)]
    lang: Lang,
    /// PROBE REFERENCE (the applicant's photo and the reference photo), or PROBE with --iin.
    #[arg(num_args = 1..=2, value_names = ["PROBE", "REFERENCE"])]
    photos: Vec<PathBuf>,
}

pub fn parse_model(s: &str) -> Result<RecognitionModel, String> {
    s.parse().map_err(|e: sapa_engine::EngineError| e.to_string())
}

/// The rule a decision is made with.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub threshold: f32,
    /// The calibrated FMR the threshold stands for; `None` for a threshold given by hand.
    pub fmr: Option<f64>,
}

#[derive(Serialize)]
struct Line<'a> {
    file_a: &'a str,
    file_b: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    same: Option<bool>,
    model: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<f32>,
    /// `match`, `no_match`, `retake` (the probe is too poor to decide on) or
    /// `reference_unusable`.
    #[serde(skip_serializing_if = "Option::is_none")]
    decision: Option<&'static str>,
    threshold: f32,
    fmr: Option<f64>,
    /// Why a `retake` or `reference_unusable`: the measures that failed, with the message.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    reasons: Vec<PoorPhoto>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorBody>,
}

/// One side of a comparison: its template (or why there is none) and how usable its face is.
pub struct Side {
    pub template: Result<Template, ErrorBody>,
    pub usability: Usability,
}

/// Compares two sides under `rule`: the score, the verdict and, for `retake` or
/// `reference_unusable`, the measures behind it; or the error.
pub fn decide(
    a: &Side,
    b: &Side,
    rule: Rule,
    lang: Lang,
) -> Result<(f32, Verdict, Vec<PoorPhoto>), ErrorBody> {
    let (ta, tb) = match (&a.template, &b.template) {
        (Err(e), _) | (_, Err(e)) => return Err(ErrorBody::new(e.code, e.message.clone())),
        (Ok(x), Ok(y)) => (x, y),
    };
    let score = ta.similarity(tb).map_err(|e| ErrorBody::new(ErrorCode::from(&e), e.to_string()))?;
    let verdict = Verdict::decide(score, rule.threshold, &a.usability, &b.usability);
    Ok((score, verdict, poor_photos(verdict, &a.usability, &b.usability, lang)))
}

pub fn run(global: &GlobalArgs, args: VerifyArgs) -> anyhow::Result<ExitCode> {
    if args.iin.is_some() {
        return run_iin(global, args);
    }
    let list = match (&args.pairs, args.photos.as_slice()) {
        (Some(list), _) => pairs::read(list, &pairs::root_for(list, args.root.as_deref()))?,
        (None, [probe, reference]) => vec![Pair {
            a: files::display(probe),
            b: files::display(reference),
            path_a: probe.clone(),
            path_b: reference.clone(),
            same: None,
        }],
        _ => bail!("give PROBE REFERENCE, PROBE --iin IIN, or --pairs LIST"),
    };
    let model = match args.model {
        Some(m) => m,
        None => enrol::config(global)?.default_model,
    };
    let enroller = Enroller::load(global, &[model], None)?;
    let rule = match args.threshold {
        Some(threshold) => Rule { threshold, fmr: None },
        None => {
            let fmr = args.fmr.unwrap_or(enroller.config.default_fmr);
            let point = enroller.config.operating_point(model, fmr)?;
            Rule { threshold: point.score, fmr: Some(fmr) }
        }
    };
    let paths: Vec<PathBuf> = list.iter().flat_map(|p| [p.path_a.clone(), p.path_b.clone()]).collect();
    let templates = enroller.photos_assessed(&paths);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for pair in &list {
        let line = compare(&templates, pair, model, rule, args.lang);
        if args.json {
            writeln!(out, "{}", serde_json::to_string(&line)?)?;
        } else {
            writeln!(out, "{}", human(&line))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `sapa verify --iin IIN PROBE`: the IIN never appears in the output, only `iin:****`.
fn run_iin(global: &GlobalArgs, args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let [probe] = args.photos.as_slice() else { bail!("with --iin give exactly one PROBE photo") };
    let model = match args.model {
        Some(m) => m,
        None => enrol::config(global)?.default_model,
    };
    let enroller = std::sync::Arc::new(Enroller::load(global, &[model], None)?);
    let rule = match args.threshold {
        Some(threshold) => Rule { threshold, fmr: None },
        None => {
            let fmr = args.fmr.unwrap_or(enroller.config.default_fmr);
            Rule { threshold: enroller.config.operating_point(model, fmr)?.score, fmr: Some(fmr) }
        }
    };
    let (templates, usability) = enroller.assessed(probe);
    let Some((template, _)) = templates.into_iter().next() else { bail!("no recognizer loaded") };
    let probe_side = Side { template, usability: usability.unwrap_or_default() };
    let iin = args.iin.as_deref().unwrap_or_default();
    let reference = super::references::reference_template(&args.store, enroller.clone(), iin, model);
    // A stored reference carries only its face quality; that is what judges it.
    let reference_usability = match &reference {
        Ok(t) => Usability::of_stored(t.quality(), &enroller.config.usability),
        Err(_) => Usability::default(),
    };
    let reference_side = Side { template: reference, usability: reference_usability };
    let a = files::display(probe);
    let result = line(&a, "iin:****", None, &probe_side, &reference_side, model, rule, args.lang);
    if args.json {
        println!("{}", serde_json::to_string(&result)?);
    } else {
        println!("{}", human(&result));
    }
    Ok(ExitCode::SUCCESS)
}

type Assessed = HashMap<PathBuf, (PhotoTemplates, Option<Usability>)>;

fn first(templates: &Assessed, path: &Path) -> Side {
    let template = match templates.get(path).and_then(|(t, _)| t.first()) {
        Some((Ok(t), _)) => Ok(t.clone()),
        Some((Err(e), _)) => Err(ErrorBody::new(e.code, e.message.clone())),
        None => Err(ErrorBody::new(ErrorCode::InternalError, "template missing")),
    };
    let usability = templates.get(path).and_then(|(_, u)| u.clone()).unwrap_or_default();
    Side { template, usability }
}

fn compare<'a>(
    templates: &Assessed,
    pair: &'a Pair,
    model: RecognitionModel,
    rule: Rule,
    lang: Lang,
) -> Line<'a> {
    let (a, b) = (first(templates, &pair.path_a), first(templates, &pair.path_b));
    line(&pair.a, &pair.b, pair.same, &a, &b, model, rule, lang)
}

/// The output line for one comparison: the score and decision, or the error.
#[allow(clippy::too_many_arguments)]
fn line<'a>(
    file_a: &'a str,
    file_b: &'a str,
    same: Option<bool>,
    a: &Side,
    b: &Side,
    model: RecognitionModel,
    rule: Rule,
    lang: Lang,
) -> Line<'a> {
    let (score, decision, reasons, error) = match decide(a, b, rule, lang) {
        Ok((s, d, r)) => (Some(s), Some(d.as_str()), r, None),
        Err(e) => (None, None, Vec::new(), Some(e)),
    };
    Line {
        file_a,
        file_b,
        same,
        model: model.id(),
        score,
        decision,
        threshold: rule.threshold,
        fmr: rule.fmr,
        reasons,
        error,
    }
}

fn human(l: &Line) -> String {
    let op = match l.fmr {
        Some(f) => format!("threshold {:.4} at FMR {f:e}", l.threshold),
        None => format!("threshold {:.4}", l.threshold),
    };
    match (&l.error, l.score, l.decision) {
        (Some(e), _, _) => format!("{} vs {}: error {}: {}", l.file_a, l.file_b, e.code, e.message),
        (None, Some(s), Some(d)) => {
            let mut text = format!(
                "{} vs {}: {} (score {s:.4}, {op}, {})",
                l.file_a,
                l.file_b,
                d.replace('_', " "),
                l.model
            );
            for r in &l.reasons {
                let value = r.value.map_or("not measured".into(), |v| format!("{v:.3}"));
                text += &format!(
                    "\n  {} {}: {} {value} (limit {}): {}",
                    r.photo, r.reason, r.measure, r.threshold, r.message
                );
            }
            text
        }
        _ => unreachable!("a line has a score or an error"),
    }
}
