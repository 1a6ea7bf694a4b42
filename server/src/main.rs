//! `sapa`: validate ID-document portraits and match faces, from the command line or over HTTP.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = sapa_server::cli::Cli::parse();
    match sapa_server::cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("sapa: {e:#}");
            ExitCode::from(2)
        }
    }
}
