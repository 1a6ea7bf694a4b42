//! `sapa`: validate ID-document portraits and match faces, from the command line or over HTTP.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    // `--version` also says which runtime would run the models here.
    if matches!(std::env::args().nth(1).as_deref(), Some("--version" | "-V")) && std::env::args().len() == 2 {
        println!("sapa {}", env!("CARGO_PKG_VERSION"));
        println!("backend: {}", sapa_server::cli::backend::describe_default());
        return ExitCode::SUCCESS;
    }
    let args = sapa_server::cli::Cli::parse();
    match sapa_server::cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("sapa: {e:#}");
            ExitCode::from(2)
        }
    }
}
