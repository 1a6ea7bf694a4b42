//! `sapa signature`: the verdict on signature samples (photos, scans, or a pad's stroke JSON),
//! in the line format of `sapa validate`, and the normalised sample as PNG with `--out`.

use super::files::{self, CHUNK, ErrorBody, ErrorLine};
use super::validate::parse_lang;
use super::{GlobalArgs, setup, verdict};
use clap::Args;
use rayon::prelude::*;
use sapa_engine::signature::{self, SignatureReport, SignatureVerdict, StrokeInput};
use sapa_engine::validate::{Lang, Profile};
use sapa_engine::{Analyzer, AnalyzerConfig, EngineError};
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct SignatureArgs {
    /// Profile whose `[signature]` section judges the samples: kz-id (default), icao, kiosk, or a
    /// path to a profile TOML file.
    #[arg(long, default_value = "kz-id")]
    profile: String,
    /// Language of the messages: kk, ru or en.
    #[arg(long, default_value = "en", value_parser = parse_lang)]
    lang: Lang,
    /// Print one JSON object per line instead of a human summary.
    #[arg(long)]
    json: bool,
    /// Directory to write each normalised sample into, as `<name>_signature.png`.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Signature images (JPEG, PNG, WebP, JPEG 2000), or `.json` stroke files from a signature pad.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

#[derive(Serialize)]
struct ReportLine<'a> {
    file: &'a str,
    #[serde(flatten)]
    report: &'a SignatureReport,
    #[serde(skip_serializing_if = "Option::is_none")]
    normalised_file: Option<String>,
}

/// A face the detector is this sure of makes the sample `not_a_signature`.
pub const MIN_FACE_SCORE: f32 = 0.75;

/// Judges one file: stroke JSON (by its `.json` name) or an image, whose faces are counted.
pub fn judge_file(
    bytes: &[u8],
    is_strokes: bool,
    analyzer: &Analyzer,
    profile: &Profile,
    lang: Lang,
) -> Result<SignatureVerdict, EngineError> {
    if is_strokes {
        return judge_strokes(bytes, profile, lang);
    }
    let decoded = analyzer.decode(bytes)?;
    let faces = analyzer.detect(&decoded.rgb)?.iter().filter(|d| d.score >= MIN_FACE_SCORE).count();
    Ok(signature::judge(&decoded.rgb, profile, lang, Some(faces)))
}

/// Stroke JSON to a verdict; JSON that does not parse is `invalid_strokes`.
pub fn judge_strokes(bytes: &[u8], profile: &Profile, lang: Lang) -> Result<SignatureVerdict, EngineError> {
    if bytes.is_empty() {
        return Err(EngineError::EmptyInput);
    }
    let input: StrokeInput = serde_json::from_slice(bytes)
        .map_err(|e| EngineError::InvalidStrokes(format!("not stroke JSON: {e}")))?;
    signature::judge_strokes(&input, profile, lang)
}

/// An engine error with the citizen's message from the signature catalogue (intake codes fall
/// back to the photo catalogue).
pub fn localized(e: &EngineError, lang: Lang) -> ErrorBody {
    let text = signature::messages::message(e.code(), false, lang);
    if text.is_empty() { ErrorBody::from(e) } else { ErrorBody::new(e.into(), text) }
}

fn is_json(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

fn human(file: &str, r: &SignatureReport) -> String {
    let failed =
        |code: &_| r.checks.iter().find(|c| c.code == *code && !c.passed).map(|c| c.message.as_str());
    verdict::human(file, r.decision, &r.profile, &r.failed, &r.warnings, failed)
}

pub fn run(global: &GlobalArgs, args: SignatureArgs) -> anyhow::Result<ExitCode> {
    let profile = setup::profile(&args.profile)?;
    let analyzer = setup::analyzer(global, AnalyzerConfig::default())?;
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir)?;
    }
    let stdout = std::io::stdout();
    for chunk in args.files.chunks(CHUNK) {
        let results: Vec<Result<(SignatureReport, Option<String>), ErrorBody>> = chunk
            .par_iter()
            .map(|path| {
                let bytes = files::read(path)?;
                let v = judge_file(&bytes, is_json(path), &analyzer, &profile, args.lang)
                    .map_err(|e| localized(&e, args.lang))?;
                let written = match (&args.out, &v.normalised) {
                    (Some(dir), Some(img)) => {
                        let stem =
                            path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
                        let target = dir.join(format!("{stem}_signature.png"));
                        img.save(&target).map_err(|e| {
                            ErrorBody::new(
                                crate::error_code::ErrorCode::UnwritableFile,
                                format!("{}: {e}", target.display()),
                            )
                        })?;
                        Some(target.display().to_string())
                    }
                    _ => None,
                };
                Ok((v.report, written))
            })
            .collect();
        let mut out = stdout.lock();
        for (path, result) in chunk.iter().zip(&results) {
            let file = files::display(path);
            let line = match (result, args.json) {
                (Ok((report, written)), true) => serde_json::to_string(&ReportLine {
                    file: &file,
                    report,
                    normalised_file: written.clone(),
                })?,
                (Ok((report, written)), false) => {
                    let mut s = human(&file, report);
                    if let Some(w) = written {
                        s += &format!("\n  normalised sample written to {w}");
                    }
                    s
                }
                (Err(error), true) => serde_json::to_string(&ErrorLine { file: &file, error })?,
                (Err(e), false) => format!("{file}: error {}: {}", e.code, e.message),
            };
            writeln!(out, "{line}")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
