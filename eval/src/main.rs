//! `sapa-eval`: how well Sapa does on labelled photos. Not part of the product binary.

use clap::{Parser, Subcommand};
use sapa_server::cli::GlobalArgs;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "sapa-eval",
    version,
    about = "Sapa's evaluation tools (labelled sets, generated defects, recognition)"
)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Score validation on labelled sets: false rejects and recall per defect, tune and held-out splits.
    Validate(sapa_eval::validate::EvalValidateArgs),
    /// Apply known defects to clean portraits and report recall per kind and severity.
    Degrade(sapa_eval::degrade_cmd::DegradeArgs),
    /// Score the recognition models on a labelled pair list: EER, FNMR at fixed FMRs, thresholds.
    Verify(sapa_eval::verify::EvalVerifyArgs),
    /// Score every pair the identity rules allow across labelled sets: thresholds on the tune
    /// split, checked on the held-out split, with intervals, fusion, groups and DET curves.
    VerifySets(sapa_eval::verify_sets::VerifySetsArgs),
    /// Presentation-attack detection per ISO/IEC 30107-3: BPCER on bona fide photos, APCER per
    /// attack type on public samples and on generated prints and replays, thresholds from the
    /// tune split reported on the held-out split, and the latency per face.
    Pad(sapa_eval::pad::PadArgs),
    /// Generate a labelled signature set for a seed and report false rejects and recall per defect.
    Signature(sapa_eval::signature::eval::SignatureEvalArgs),
    /// Write the README's before/after signature pictures (a generated sample and its normalised form).
    SignatureDemo(sapa_eval::signature::eval::SignatureDemoArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(n) = cli.global.threads
        && let Err(e) = rayon::ThreadPoolBuilder::new().num_threads(n).build_global()
    {
        eprintln!("sapa-eval: {e}");
        return ExitCode::from(2);
    }
    let result = match cli.command {
        Command::Validate(args) => sapa_eval::validate::run(&cli.global, args),
        Command::Degrade(args) => sapa_eval::degrade_cmd::run(&cli.global, args),
        Command::Verify(args) => sapa_eval::verify::run(&cli.global, args),
        Command::VerifySets(args) => sapa_eval::verify_sets::run(&cli.global, args),
        Command::Pad(args) => sapa_eval::pad::run(&cli.global, args),
        Command::Signature(args) => sapa_eval::signature::eval::run(args),
        Command::SignatureDemo(args) => sapa_eval::signature::eval::demo(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("sapa-eval: {e:#}");
            ExitCode::from(2)
        }
    }
}
