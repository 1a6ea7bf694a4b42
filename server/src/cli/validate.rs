//! `sapa validate`: the document-photo verdict for each file, with reasons in kk, ru or en.

use super::files::{self, CHUNK, ErrorBody, ErrorLine};
use super::{GlobalArgs, setup, verdict};
use crate::error_code::ErrorCode;
use clap::Args;
use rayon::prelude::*;
use sapa_engine::AnalyzerConfig;
use sapa_engine::validate::{Lang, Report, Validator};
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct ValidateArgs {
    /// Profile: kz-id (default), icao, kiosk, or a path to a profile TOML file.
    #[arg(long, default_value = "kz-id")]
    profile: String,
    /// Language of the messages: kk, ru or en.
    #[arg(long, default_value = "en", value_parser = parse_lang)]
    lang: Lang,
    /// Print one JSON object per line instead of a human summary.
    #[arg(long)]
    json: bool,
    /// Write the ICAO 35x45 crop (413x531 px at 300 dpi) when the photo allows one. With several
    /// files, a directory to write `<name>_crop.jpg` files into.
    #[arg(long, value_name = "OUT")]
    crop: Option<PathBuf>,
    /// Write what Sapa saw, drawn over the photo: the face box and landmarks, the proposed crop,
    /// the profile's head-height and eye-line bands, the pose axes and each failed check's region
    /// with its code. `.png` draws on the photo's pixels; `.svg` is a drawing with the photo
    /// embedded. With several files, a directory to write `<name>_overlay.png` files into.
    #[arg(long, value_name = "OUT")]
    overlay: Option<PathBuf>,
    /// Image files (JPEG, PNG, WebP, JPEG 2000).
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

pub fn parse_lang(s: &str) -> Result<Lang, String> {
    s.parse()
}

/// An engine error with the citizen-facing message in `lang` when the catalogue has one.
pub fn localized(e: &sapa_engine::EngineError, lang: Lang) -> ErrorBody {
    let text = sapa_engine::validate::messages::message(e.code(), false, lang);
    if text.is_empty() { ErrorBody::from(e) } else { ErrorBody::new(e.into(), text) }
}

#[derive(Serialize)]
struct ReportLine<'a> {
    file: &'a str,
    #[serde(flatten)]
    report: &'a Report,
    #[serde(skip_serializing_if = "Option::is_none")]
    crop_file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    overlay_file: Option<String>,
}

/// The overlay file for `file`: `out` itself for one file, `<stem>_overlay.png` in `out` for many.
fn overlay_path(out: &Path, file: &Path, many: bool) -> PathBuf {
    if many {
        let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        out.join(format!("{stem}_overlay.png"))
    } else {
        out.to_path_buf()
    }
}

/// Writes the overlay as SVG (with the photo embedded as JPEG) or as a PNG drawn on the photo.
pub fn save_overlay(
    img: &image::RgbImage,
    overlay: &sapa_engine::overlay::Overlay,
    target: &Path,
) -> Result<(), ErrorBody> {
    use base64::Engine;
    let svg = target.extension().is_some_and(|e| e.eq_ignore_ascii_case("svg"));
    let bytes = if svg {
        let mut jpeg = std::io::Cursor::new(Vec::new());
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
            .encode_image(img)
            .map_err(|e| ErrorBody::new(ErrorCode::UnwritableFile, e.to_string()))?;
        let url = format!(
            "data:image/jpeg;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(jpeg.into_inner())
        );
        sapa_engine::overlay::svg::svg(overlay, Some(&url)).into_bytes()
    } else {
        sapa_engine::overlay::raster::png(img, overlay)
    };
    std::fs::write(target, bytes)
        .map_err(|e| ErrorBody::new(ErrorCode::UnwritableFile, format!("{}: {e}", target.display())))
}

/// Writes the crop; a JPEG carries 300 dpi in its JFIF header, so a print shop or the registry
/// reads it as 35x45 mm.
fn save_crop(img: &image::RgbImage, target: &Path) -> image::ImageResult<()> {
    use image::codecs::jpeg::{JpegEncoder, PixelDensity};
    let jpeg =
        target.extension().is_some_and(|e| e.eq_ignore_ascii_case("jpg") || e.eq_ignore_ascii_case("jpeg"));
    if !jpeg {
        return img.save(target);
    }
    let file = std::io::BufWriter::new(std::fs::File::create(target)?);
    let mut enc = JpegEncoder::new_with_quality(file, 95);
    enc.set_pixel_density(PixelDensity::dpi(300));
    enc.encode_image(img)
}

fn crop_path(out: &Path, file: &Path, many: bool) -> PathBuf {
    if many {
        let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        out.join(format!("{stem}_crop.jpg"))
    } else {
        out.to_path_buf()
    }
}

fn human(file: &str, r: &Report) -> String {
    let failed =
        |code: &_| r.checks.iter().find(|c| c.code == *code && !c.passed).map(|c| c.message.as_str());
    verdict::human(file, r.decision, &r.profile, &r.failed, &r.warnings, failed)
}

pub fn run(global: &GlobalArgs, args: ValidateArgs) -> anyhow::Result<ExitCode> {
    let profile = setup::profile(&args.profile)?;
    let validator: Validator = setup::validator(global, AnalyzerConfig::default())?;
    let many = args.files.len() > 1;
    if let (Some(dir), true) = (&args.crop, many) {
        std::fs::create_dir_all(dir)?;
    }
    if let (Some(dir), true) = (&args.overlay, many) {
        std::fs::create_dir_all(dir)?;
    }
    let stdout = std::io::stdout();
    for chunk in args.files.chunks(CHUNK) {
        type Line = (Report, Option<String>, Option<String>);
        let results: Vec<Result<Line, ErrorBody>> = chunk
            .par_iter()
            .map(|path| {
                let bytes = files::read(path)?;
                let decoded = validator.analyzer().decode(&bytes).map_err(|e| localized(&e, args.lang))?;
                let analysis = validator
                    .analyzer()
                    .analyze(&decoded.rgb, decoded.source)
                    .map_err(|e| ErrorBody::from(&e))?;
                let (report, overlay_file) = match &args.overlay {
                    None => {
                        let r = validator.judge(&decoded.rgb, &analysis, &profile, args.lang);
                        (r.map_err(|e| ErrorBody::from(&e))?, None)
                    }
                    Some(out) => {
                        let (report, overlay) = validator
                            .judge_with_overlay(&decoded.rgb, &analysis, &profile, args.lang)
                            .map_err(|e| ErrorBody::from(&e))?;
                        let target = overlay_path(out, path, many);
                        save_overlay(&decoded.rgb, &overlay, &target)?;
                        (report, Some(target.display().to_string()))
                    }
                };
                let crop_file = match (&args.crop, &report.crop) {
                    (Some(out), Some(crop)) => {
                        let target = crop_path(out, path, many);
                        let img =
                            Validator::render_crop(&decoded.rgb, crop).map_err(|e| ErrorBody::from(&e))?;
                        save_crop(&img, &target).map_err(|e| {
                            ErrorBody::new(ErrorCode::UnwritableFile, format!("{}: {e}", target.display()))
                        })?;
                        Some(target.display().to_string())
                    }
                    _ => None,
                };
                Ok((report, crop_file, overlay_file))
            })
            .collect();
        let mut out = stdout.lock();
        for (path, result) in chunk.iter().zip(&results) {
            let file = files::display(path);
            let line = match (result, args.json) {
                (Ok((report, crop_file, overlay_file)), true) => serde_json::to_string(&ReportLine {
                    file: &file,
                    report,
                    crop_file: crop_file.clone(),
                    overlay_file: overlay_file.clone(),
                })?,
                (Ok((report, crop_file, overlay_file)), false) => {
                    let mut s = human(&file, report);
                    if let Some(c) = crop_file {
                        s += &format!("\n  crop written to {c}");
                    }
                    if let Some(o) = overlay_file {
                        s += &format!("\n  overlay written to {o}");
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
