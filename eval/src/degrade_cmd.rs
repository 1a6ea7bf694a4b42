//! `sapa-eval degrade`: every kind of generated defect at every severity on the clean (ICAO-like)
//! photos of labelled sets, judged by validation; recall per kind and severity, counted only when
//! the defect's own code fails.

use crate::degrade::{self, Anchor, Kind, Severity};
use crate::labels::{self, Split};
use clap::Args;
use rayon::prelude::*;
use sapa_engine::AnalyzerConfig;
use sapa_engine::validate::{Decision, Lang, Profile, Validator};
use sapa_server::cli::{GlobalArgs, setup};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct DegradeArgs {
    /// labels.csv files; their ICAO-like photos are the clean sources.
    #[arg(long, required = true)]
    labels: Vec<PathBuf>,
    #[arg(long, default_value = "kz-id")]
    profile: String,
    /// The split the sources come from.
    #[arg(long, default_value = "held-out", value_parser = ["tune", "held-out", "all"])]
    split: String,
    /// Write every generated photo here (for a look; never commit them: they are the sources').
    #[arg(long)]
    out: Option<PathBuf>,
    /// Only these kinds (by name, e.g. `gamma_dark`; repeat for several); every kind by default.
    #[arg(long = "kind", value_parser = clap::builder::PossibleValuesParser::new(Kind::ALL.map(Kind::name)))]
    kinds: Vec<String>,
}

/// One clean source: its name and pixels.
pub struct Source {
    pub name: String,
    pub img: image::RgbImage,
}

/// Recall of every kind at every severity, and how the clean sources fared.
#[derive(Default)]
pub struct Results {
    /// Sources rejected as they are, with their failed codes: these carry no defect.
    pub clean_rejects: Vec<String>,
    /// Sources judged (accepted or not) whose face could be anchored.
    pub sources: usize,
    /// (kind, severity) -> (found, of, missed source names with what failed instead)
    pub table: BTreeMap<(Kind, Severity), (usize, usize, Vec<String>)>,
}

impl Results {
    pub fn recall(&self, kind: Kind, s: Severity) -> f32 {
        let (hit, n, _) = &self.table[&(kind, s)];
        *hit as f32 / (*n).max(1) as f32
    }

    /// The kinds that were generated, in `Kind::ALL`'s order.
    fn kinds(&self) -> impl Iterator<Item = Kind> + '_ {
        Kind::ALL.into_iter().filter(|k| self.table.contains_key(&(*k, Severity::Clear)))
    }

    pub fn print(&self) {
        println!("clean sources: {}, rejected as they are: {}", self.sources, self.clean_rejects.len());
        for r in &self.clean_rejects {
            println!("  {r}");
        }
        println!(
            "{:<16} {:<22} {:>8} {:>8} {:>8}  parameter at clear",
            "kind", "expected code", "mild", "clear", "severe"
        );
        for kind in self.kinds() {
            let cell = |s| {
                let (hit, n, _) = &self.table[&(kind, s)];
                format!("{hit}/{n}")
            };
            println!(
                "{:<16} {:<22} {:>8} {:>8} {:>8}  {}",
                kind.name(),
                kind.expected(),
                cell(Severity::Mild),
                cell(Severity::Clear),
                cell(Severity::Severe),
                kind.parameter(Severity::Clear)
            );
        }
        println!("missed at clear severity (what failed instead):");
        for kind in self.kinds() {
            let (_, _, missed) = &self.table[&(kind, Severity::Clear)];
            if !missed.is_empty() {
                println!("  {}: {}", kind.name(), missed.join("; "));
            }
        }
    }
}

fn anchor(v: &Validator, img: &image::RgbImage) -> Option<Anchor> {
    let analysis = v.analyzer().analyze(img, sapa_engine::image::SourceInfo::for_pixels(img)).ok()?;
    let face = analysis.main_face()?;
    let m = face.landmarks.as_ref()?.measures;
    let b = face.detection.bbox;
    Some(Anchor {
        face: [b.x, b.y, b.w, b.h],
        eyes: [(m.right_eye.x, m.right_eye.y), (m.left_eye.x, m.left_eye.y)],
    })
}

/// One generated photo's outcome: its kind and severity, whether its own code failed, and the
/// source's name with what failed.
type Cell = (Kind, Severity, bool, String);
/// A source's clean rejection (if any) and its cells.
type SourceOutcome = (Option<String>, Vec<Cell>);

/// Runs every kind and severity on every source. Sources that are rejected as they are still
/// count: their defect is judged by its own code, whatever else fails.
pub fn measure(v: &Validator, profile: &Profile, sources: &[Source], out: Option<&PathBuf>) -> Results {
    measure_kinds(v, profile, sources, out, &Kind::ALL)
}

/// [`measure`] for the given kinds only.
pub fn measure_kinds(
    v: &Validator,
    profile: &Profile,
    sources: &[Source],
    out: Option<&PathBuf>,
    kinds: &[Kind],
) -> Results {
    let per_source: Vec<Option<SourceOutcome>> = sources
        .par_iter()
        .map(|src| {
            let a = anchor(v, &src.img)?;
            let judge =
                |g: &degrade::Generated| v.validate_bytes(&g.bytes, profile, Lang::En).map(|x| x.report).ok();
            let clean = judge(&degrade::png(&src.img))?;
            let clean_reject = (clean.decision == Decision::Reject).then(|| {
                format!("{} ({})", src.name, sapa_engine::validate::code::joined(&clean.failed, ", "))
            });
            let mut cells = Vec::new();
            for &kind in kinds {
                for s in Severity::ALL {
                    let g = degrade::apply(&src.img, &a, kind, s);
                    if let Some(dir) = out {
                        let stem = src.name.replace('/', "_");
                        let _ = std::fs::write(
                            dir.join(format!("{stem}.{}.{}.{}", kind.name(), s.name(), g.extension)),
                            &g.bytes,
                        );
                    }
                    let (hit, got) = match judge(&g) {
                        Some(r) => (
                            r.failed.contains(&kind.expected()),
                            sapa_engine::validate::code::joined(&r.failed, ","),
                        ),
                        None => (false, "error".to_string()),
                    };
                    cells.push((kind, s, hit, format!("{} [{got}]", src.name)));
                }
            }
            Some((clean_reject, cells))
        })
        .collect();
    let mut res = Results::default();
    for &k in kinds {
        for s in Severity::ALL {
            res.table.insert((k, s), (0, 0, Vec::new()));
        }
    }
    for (clean_reject, cells) in per_source.into_iter().flatten() {
        res.sources += 1;
        res.clean_rejects.extend(clean_reject);
        for (k, s, hit, name) in cells {
            let e = res.table.get_mut(&(k, s)).expect("every cell exists");
            e.1 += 1;
            if hit {
                e.0 += 1;
            } else {
                e.2.push(name);
            }
        }
    }
    res
}

pub fn run(global: &GlobalArgs, args: DegradeArgs) -> anyhow::Result<ExitCode> {
    let profile = setup::profile(&args.profile)?;
    let validator = setup::validator(global, AnalyzerConfig::default())?;
    let mut sources = Vec::new();
    for path in &args.labels {
        for row in labels::read(path, None)? {
            let wanted = match args.split.as_str() {
                "tune" => row.split == Split::Tune,
                "held-out" => row.split == Split::HeldOut,
                _ => true,
            };
            if !row.icao_like || !wanted {
                continue;
            }
            // The engine's own decoder, so EXIF orientation is applied as it is for a client's file.
            let decoded = std::fs::read(&row.path)
                .map_err(anyhow::Error::from)
                .and_then(|b| Ok(validator.analyzer().decode(&b)?));
            match decoded {
                Ok(d) => sources.push(Source { name: format!("{}/{}", row.set, row.file), img: d.rgb }),
                Err(e) => eprintln!("{}: {e}", row.path.display()),
            }
        }
    }
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir)?;
    }
    println!("profile {}, {} split, {} clean sources", profile.name, args.split, sources.len());
    let kinds: Vec<Kind> = if args.kinds.is_empty() {
        Kind::ALL.to_vec()
    } else {
        Kind::ALL.into_iter().filter(|k| args.kinds.iter().any(|n| n == k.name())).collect()
    };
    measure_kinds(&validator, &profile, &sources, args.out.as_ref(), &kinds).print();
    Ok(ExitCode::SUCCESS)
}
