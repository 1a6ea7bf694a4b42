//! Command-line interface: argument parsing and one module per subcommand.

mod analyze;
pub mod backend;
mod batch;
pub mod enrol;
mod files;
pub mod liveness;
pub mod pairs;
mod references;
mod serve;
pub mod setup;
pub mod signature;
mod validate;
mod verdict;
pub mod verify;

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(name = "sapa", version, about = "Sapa: ID-photo validation and face matching")]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every subcommand shares.
#[derive(Args, Debug, Clone)]
pub struct GlobalArgs {
    /// Directory holding the ONNX models and manifest.toml (default: found automatically).
    #[arg(long, global = true, env = "SAPA_MODELS")]
    pub models: Option<PathBuf>,
    /// Inference backend: auto (ONNX Runtime when its library is found, else tract), tract (pure
    /// Rust) or ort (ONNX Runtime, an error when it cannot be found).
    #[arg(long, global = true, value_enum, default_value_t = backend::BackendChoice::Auto, env = "SAPA_BACKEND")]
    pub backend: backend::BackendChoice,
    /// Worker threads for batches (default: one per core).
    #[arg(long, global = true)]
    pub threads: Option<usize>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Detect faces and measure landmarks, pose, eye and mouth openness.
    Analyze(analyze::AnalyzeArgs),
    /// Check document photos against a profile (ICAO 9303, ISO 29794-5, kz-id).
    Validate(validate::ValidateArgs),
    /// Check signature samples (photos, scans or pad strokes) and write the normalised sample.
    Signature(signature::SignatureArgs),
    /// Passive presentation-attack detection: is the face live, or a print or a screen?
    Liveness(liveness::LivenessArgs),
    /// Compare a probe photo with a reference photo (1:1), or every pair of a list.
    Verify(verify::VerifyArgs),
    /// Store the face template (not the photo) of a person's reference photo under their IIN.
    Enroll(references::EnrollArgs),
    /// Show or delete the references stored for an IIN.
    References(references::ReferencesArgs),
    /// Run the HTTP service (validate, verify, references, health, metrics, OpenAPI).
    Serve(serve::ServeArgs),
    /// Validate and template a whole photo collection offline, resumably: JSONL, CSV, HTML report;
    /// or, with --queue, enqueue it for `sapa worker`s, show its progress, export its results.
    Batch(batch::BatchArgs),
    /// Work on a distributed batch job: lease chunks of photos from the PostgreSQL queue until
    /// the job is done.
    Worker(batch::WorkerArgs),
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if let Some(n) = cli.global.threads {
        rayon::ThreadPoolBuilder::new().num_threads(n).build_global()?;
    }
    match cli.command {
        Command::Analyze(args) => analyze::run(&cli.global, args),
        Command::Validate(args) => validate::run(&cli.global, args),
        Command::Signature(args) => signature::run(&cli.global, args),
        Command::Liveness(args) => liveness::run(&cli.global, args),
        Command::Verify(args) => verify::run(&cli.global, args),
        Command::Enroll(args) => references::enroll(&cli.global, args),
        Command::References(args) => references::references(args),
        Command::Serve(args) => serve::run(&cli.global, args),
        Command::Batch(args) => batch::run(&cli.global, args),
        Command::Worker(args) => batch::work(&cli.global, args),
    }
}
