//! `sapa-eval signature`: generates the set for a seed, runs the product's intake and checks on
//! every sample (through JPEG bytes, as a client uploads them), and counts false rejects and
//! recall per defect. `--gaps` prints the measured values of each code's measures on usable
//! samples and on the defect that code must catch, to set thresholds between them.

use super::synth::{Kind, generate};
use clap::Args;
use rayon::prelude::*;
use sapa_engine::image::{DecodeLimits, decode};
use sapa_engine::signature::{self, SignatureCode, SignatureReport};
use sapa_engine::validate::{Lang, Profile};
use std::collections::BTreeMap;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct SignatureEvalArgs {
    /// Seed of the generated set (1 is where the thresholds were set; report on another).
    #[arg(long, default_value_t = 2)]
    pub seed: u64,
    /// Usable samples generated.
    #[arg(long, default_value_t = 300)]
    pub usable: u64,
    /// Samples of each defect.
    #[arg(long, default_value_t = 50)]
    pub per_defect: u64,
    /// Profile whose `[signature]` thresholds are judged.
    #[arg(long, default_value = "kz-id")]
    pub profile: String,
    /// Print every measure's values on usable samples and on its own defect.
    #[arg(long)]
    pub gaps: bool,
    /// Write every sample and its failed codes here (JPEG files and index.csv), for a look.
    #[arg(long)]
    pub out: Option<std::path::PathBuf>,
}

/// What one sample got.
pub struct Outcome {
    pub kind: Kind,
    pub index: u64,
    pub report: SignatureReport,
}

/// The counts the targets are about.
#[derive(Debug, Default)]
pub struct Summary {
    pub usable: usize,
    pub false_rejects: usize,
    /// Per defect kind: (samples, caught by its own code).
    pub recall: BTreeMap<Kind, (usize, usize)>,
}

impl Summary {
    pub fn false_reject_rate(&self) -> f64 {
        self.false_rejects as f64 / self.usable.max(1) as f64
    }
}

/// Generates and judges the set.
pub fn run_set(seed: u64, usable: u64, per_defect: u64, profile: &Profile) -> Vec<Outcome> {
    let jobs: Vec<(Kind, u64)> = Kind::ALL
        .iter()
        .flat_map(|&k| (0..if k == Kind::Usable { usable } else { per_defect }).map(move |i| (k, i)))
        .collect();
    jobs.par_iter()
        .map(|&(kind, index)| {
            let g = generate(kind, seed, index);
            let decoded = decode(&g.jpeg, &DecodeLimits::default()).expect("generated samples decode");
            let v = signature::judge(&decoded.rgb, profile, Lang::En, None);
            Outcome { kind, index, report: v.report }
        })
        .collect()
}

pub fn summarise(outcomes: &[Outcome]) -> Summary {
    let mut s = Summary::default();
    for o in outcomes {
        match o.kind.expected() {
            None => {
                s.usable += 1;
                s.false_rejects += usize::from(!o.report.failed.is_empty());
            }
            Some(code) => {
                let e = s.recall.entry(o.kind).or_default();
                e.0 += 1;
                e.1 += usize::from(o.report.failed.contains(&code));
            }
        }
    }
    s
}

pub fn run(args: SignatureEvalArgs) -> anyhow::Result<ExitCode> {
    let profile = sapa_server::cli::setup::profile(&args.profile)?;
    let outcomes = run_set(args.seed, args.usable, args.per_defect, &profile);
    let s = summarise(&outcomes);
    println!("generated signature set, seed {} (profile {})", args.seed, profile.name);
    println!("usable: {} of {} rejected ({:.1}%)", s.false_rejects, s.usable, 100.0 * s.false_reject_rate());
    let mut why: BTreeMap<SignatureCode, usize> = BTreeMap::new();
    for o in outcomes.iter().filter(|o| o.kind == Kind::Usable) {
        for c in &o.report.failed {
            *why.entry(*c).or_default() += 1;
        }
    }
    for (c, n) in &why {
        println!("  rejected by {c}: {n}");
    }
    println!("{:<18} {:<22} {:>8}", "defect", "code", "recall");
    for (kind, (n, hit)) in &s.recall {
        let code = kind.expected().map(|c| c.as_str()).unwrap_or("");
        println!(
            "{:<18} {:<22} {:>3}/{:<3} {:>5.1}%",
            kind.name(),
            code,
            hit,
            n,
            100.0 * *hit as f64 / *n as f64
        );
    }
    if args.gaps {
        gaps(&outcomes);
    }
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir)?;
        let mut index = String::from("file,kind,failed\n");
        for o in &outcomes {
            let name = format!("{}_{:03}.jpg", o.kind.name(), o.index);
            let g = generate(o.kind, args.seed, o.index);
            std::fs::write(dir.join(&name), &g.jpeg)?;
            let failed: Vec<&str> = o.report.failed.iter().map(|c| c.as_str()).collect();
            index += &format!("{name},{},{}\n", o.kind.name(), failed.join(";"));
        }
        std::fs::write(dir.join("index.csv"), index)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// For each measure: its values on usable samples (min, 2nd percentile, median, 98th, max) and on
/// the defects its code must catch, so a threshold can be put in the gap.
fn gaps(outcomes: &[Outcome]) {
    let mut values: BTreeMap<(SignatureCode, &'static str, bool), Vec<f32>> = BTreeMap::new();
    for o in outcomes {
        for c in &o.report.checks {
            let Some(v) = c.value else { continue };
            let own = o.kind.expected() == Some(c.code);
            if o.kind == Kind::Usable || own {
                values.entry((c.code, c.measure, own)).or_default().push(v);
            }
        }
    }
    println!(
        "\n{:<22} {:<22} {:<8} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "code", "measure", "set", "min", "p2", "p50", "p98", "max"
    );
    for ((code, measure, own), mut v) in values {
        v.sort_by(f32::total_cmp);
        let q = |p: f32| v[((v.len() - 1) as f32 * p).round() as usize];
        let set = if own { "defect" } else { "usable" };
        println!(
            "{:<22} {:<22} {:<8} {:>9.4} {:>9.4} {:>9.4} {:>9.4} {:>9.4}",
            code.as_str(),
            measure,
            set,
            q(0.0),
            q(0.02),
            q(0.5),
            q(0.98),
            q(1.0)
        );
    }
}

#[derive(Args, Debug)]
pub struct SignatureDemoArgs {
    /// Directory to write `before.jpg` (a generated sample: blue or black ink on lined paper,
    /// through JPEG) and `after.png` (its normalised sample) into.
    pub out: std::path::PathBuf,
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
}

/// The README's before/after pictures, from the generator (no one's real signature).
pub fn demo(args: SignatureDemoArgs) -> anyhow::Result<ExitCode> {
    let profile = Profile::built_in("kz-id")?;
    let g = generate(Kind::Lined, args.seed, 0);
    let decoded = decode(&g.jpeg, &DecodeLimits::default())?;
    let v = signature::judge(&decoded.rgb, &profile, Lang::En, None);
    let after = v.normalised.ok_or_else(|| anyhow::anyhow!("no ink in the demo sample"))?;
    std::fs::create_dir_all(&args.out)?;
    std::fs::write(args.out.join("before.jpg"), &g.jpeg)?;
    std::fs::write(args.out.join("after.png"), signature::encode_png(&after)?)?;
    let failed: Vec<&str> = v.report.failed.iter().map(|c| c.as_str()).collect();
    println!("before.jpg: {}x{}, failed: {}", decoded.rgb.width(), decoded.rgb.height(), failed.join(", "));
    Ok(ExitCode::SUCCESS)
}
