//! `sapa`: validate ID-document portraits and match faces, from the command line or over HTTP.

mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("sapa: {e:#}");
            ExitCode::from(2)
        }
    }
}
