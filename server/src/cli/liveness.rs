//! `sapa liveness`: passive presentation-attack detection on each file, in the line format of
//! `sapa validate`: `{"file", "decision", "score"}` per face photo, an error line (stable code)
//! for a file that cannot be read or holds no face, and the other files still processed.

use super::files::{self, CHUNK, ErrorBody, ErrorLine};
use super::{GlobalArgs, setup};
use crate::error_code::ErrorCode;
use clap::Args;
use rayon::prelude::*;
use sapa_engine::models::locate_models_dir;
use sapa_engine::pad::{Liveness, PadDecision, PadDetector, PadModel, PadProfile};
use sapa_engine::{Analyzer, AnalyzerConfig};
use serde::Serialize;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct LivenessArgs {
    /// Profile whose `[pad]` section holds the operating point: kiosk (default) or a path to a
    /// profile TOML file with a `[pad]` section.
    #[arg(long, default_value = "kiosk")]
    profile: String,
    /// Print one JSON object per line instead of a human summary.
    #[arg(long)]
    json: bool,
    /// Image files (JPEG, PNG, WebP, JPEG 2000): one face each; the largest face is judged.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

#[derive(Serialize)]
struct LivenessLine<'a> {
    file: &'a str,
    decision: PadDecision,
    /// Attack probability in [0, 1].
    score: f32,
}

/// The liveness of the largest face in `bytes`; `no_face` when the detector finds none.
pub fn liveness_of(bytes: &[u8], analyzer: &Analyzer, pad: &PadDetector) -> Result<Liveness, ErrorBody> {
    let decoded = analyzer.decode(bytes).map_err(|e| ErrorBody::from(&e))?;
    let faces = analyzer.detect(&decoded.rgb).map_err(|e| ErrorBody::from(&e))?;
    let face = faces.first().ok_or_else(|| ErrorBody::new(ErrorCode::NoFace, "no face found"))?;
    pad.assess(&decoded.rgb, &face.bbox).map_err(|e| ErrorBody::from(&e))
}

pub fn run(global: &GlobalArgs, args: LivenessArgs) -> anyhow::Result<ExitCode> {
    let profile = setup::profile(&args.profile)?;
    let operating: PadProfile =
        profile.pad.ok_or_else(|| anyhow::anyhow!("profile {:?} has no [pad] section", args.profile))?;
    let analyzer = setup::analyzer(global, AnalyzerConfig::default())?;
    let dir = locate_models_dir(global.models.as_deref())?;
    let pad = PadDetector::load(&dir, analyzer.backend(), &PadModel::KIOSK)?;
    write_lines(&args.files, args.json, &analyzer, &pad, &operating, &mut std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}

/// One line per file to `out`, in order, files read and judged a chunk at a time in parallel: a
/// verdict line, or an error line with its code; an error never stops the files after it.
pub fn write_lines(
    files: &[PathBuf],
    json: bool,
    analyzer: &Analyzer,
    pad: &PadDetector,
    operating: &PadProfile,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    for chunk in files.chunks(CHUNK) {
        let results: Vec<Result<Liveness, ErrorBody>> =
            chunk.par_iter().map(|path| liveness_of(&files::read(path)?, analyzer, pad)).collect();
        for (path, result) in chunk.iter().zip(&results) {
            let file = files::display(path);
            let line = match (result, json) {
                (Ok(l), true) => serde_json::to_string(&LivenessLine {
                    file: &file,
                    decision: l.decide(operating),
                    score: l.score,
                })?,
                (Ok(l), false) => {
                    let word = match l.decide(operating) {
                        PadDecision::Live => "LIVE",
                        PadDecision::Attack => "ATTACK",
                    };
                    format!(
                        "{file}: {word} (attack probability {:.3}, threshold {})",
                        l.score, operating.threshold
                    )
                }
                (Err(error), true) => serde_json::to_string(&ErrorLine { file: &file, error })?,
                (Err(e), false) => format!("{file}: error {}: {}", e.code, e.message),
            };
            writeln!(out, "{line}")?;
        }
    }
    Ok(())
}
