//! `sapa batch`: offline re-checks of a photo collection. Every photo is validated and gets its
//! face template from the same analysis, in parallel (with the signature sample a manifest files
//! beside it); each result is one JSON line, written whole as soon as it is ready, so an
//! interrupted run can `--resume` without redoing finished photos.

mod distributed;
mod inputs;
mod journal;
mod photo;
mod report;
mod row;
mod summary;
mod table;

use super::validate::parse_lang;
use super::verify::parse_model;
use super::{GlobalArgs, enrol, setup};
use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use journal::Journal;
use rayon::prelude::*;
use row::Row;
use sapa_engine::models::locate_models_dir;
use sapa_engine::recognition::RecognitionModel;
use sapa_engine::validate::Lang;
use sapa_engine::{AnalyzerConfig, Recognizer};
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Args, Debug)]
pub struct BatchArgs {
    /// A directory (read recursively), a list of paths (one a line), or a CSV manifest with a
    /// `file` or `path` column and, optionally, a `signature` column naming each photo's
    /// signature sample (judged with the profile's `[signature]` section). Relative paths in a
    /// list or manifest are relative to it.
    #[arg(long, required_unless_present_any = ["status", "export"])]
    input: Option<PathBuf>,
    /// The results: one JSON line per photo.
    #[arg(long, value_name = "RESULTS.jsonl", required_unless_present = "queue")]
    out: Option<PathBuf>,
    /// Distributed run: the PostgreSQL database holding the job queue (`postgres://…`). With
    /// `--input`, enqueue the job once; `sapa worker` processes do the work.
    #[arg(long, env = "SAPA_QUEUE_URL", hide_env_values = true, requires = "job")]
    queue: Option<String>,
    /// The distributed job's name.
    #[arg(long, requires = "queue")]
    job: Option<String>,
    /// Print the distributed job's progress as JSON.
    #[arg(long, requires = "job", conflicts_with_all = ["input", "export"])]
    status: bool,
    /// Write the distributed job's results, one JSON line per photo in manifest order.
    #[arg(long, value_name = "RESULTS.jsonl", requires = "job", conflicts_with = "input")]
    export: Option<PathBuf>,
    /// Photos per leased chunk of a distributed job.
    #[arg(long, default_value_t = 25, value_parser = clap::value_parser!(u32).range(1..))]
    chunk_size: u32,
    /// Also write one CSV row per photo: file, decision, failed codes (`;`-joined), error code;
    /// with signatures, the same four for the signature sample.
    #[arg(long, value_name = "R.csv")]
    csv: Option<PathBuf>,
    /// Also write an HTML report with a chart of the reasons and thumbnails of the rejected
    /// photos. The thumbnails are the photos: keep the report as you keep them.
    #[arg(long, value_name = "R.html")]
    report: Option<PathBuf>,
    /// Profile: kz-id (default), icao, kiosk, or a path to a profile TOML file.
    #[arg(long, default_value = "kz-id")]
    profile: String,
    /// Language of the messages.
    #[arg(long, default_value = "en", value_parser = parse_lang)]
    lang: Lang,
    /// Recognition model of the templates (default: `default_model` of models/recognition.toml).
    #[arg(long, value_parser = parse_model)]
    model: Option<RecognitionModel>,
    /// Continue an interrupted run: keep the results already in `--out`, skip their files.
    #[arg(long)]
    resume: bool,
}

/// What every photo of a run is judged with, loaded once.
pub(crate) struct Loaded {
    pub validator: sapa_engine::validate::Validator,
    pub recognizer: Recognizer,
    pub profile: sapa_engine::validate::Profile,
}

impl Loaded {
    pub fn load(global: &GlobalArgs, profile: &str, model: Option<RecognitionModel>) -> anyhow::Result<Self> {
        let profile = setup::profile(profile)?;
        let validator = setup::validator(global, AnalyzerConfig::default())?;
        let model = match model {
            Some(m) => m,
            None => enrol::config(global)?.default_model,
        };
        let dir = locate_models_dir(global.models.as_deref())?;
        let recognizer = Recognizer::load(&dir, model, validator.analyzer().backend())?;
        Ok(Loaded { validator, recognizer, profile })
    }

    pub fn job(&self, lang: Lang) -> photo::Job<'_> {
        photo::Job { validator: &self.validator, recognizer: &self.recognizer, profile: &self.profile, lang }
    }
}

pub use distributed::{WorkerArgs, work};

pub fn run(global: &GlobalArgs, args: BatchArgs) -> anyhow::Result<ExitCode> {
    if args.queue.is_some() {
        return distributed::run(args);
    }
    let (Some(input), Some(out)) = (args.input.clone(), args.out.clone()) else {
        anyhow::bail!("--input and --out are required (or --queue with --job)");
    };
    let outputs: Vec<PathBuf> =
        [Some(&out), args.csv.as_ref(), args.report.as_ref()].into_iter().flatten().cloned().collect();
    let inputs::Inputs { items, skipped } = inputs::collect(&input, &outputs)?;
    let load_start = Instant::now();
    let Loaded { validator, recognizer, profile } = Loaded::load(global, &args.profile, args.model)?;
    let load = load_start.elapsed();

    let (journal, earlier) = if args.resume {
        let (j, r) = Journal::resume(&out)?;
        if r.torn_bytes > 0 {
            eprintln!("resume: cut a torn last line ({} bytes) from {}", r.torn_bytes, out.display());
        }
        (j, r.rows)
    } else {
        (Journal::create(&out)?, Vec::new())
    };
    let done: HashSet<&str> = earlier.iter().map(|r| r.file.as_str()).collect();
    let keyed: Vec<(String, &inputs::Item)> =
        items.iter().map(|i| (super::files::display(&i.photo), i)).collect();
    let mut todo: Vec<(&str, &inputs::Item)> =
        keyed.iter().filter(|(k, _)| !done.contains(k.as_str())).map(|(k, i)| (k.as_str(), *i)).collect();
    // Largest files first, one photo per task: no worker is left alone with a big photo at the end.
    todo.sort_by_cached_key(|(_, i)| std::cmp::Reverse(std::fs::metadata(&i.photo).map_or(0, |m| m.len())));

    let threads =
        global.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build()?;
    let bar = progress(todo.len() as u64);
    let job =
        photo::Job { validator: &validator, recognizer: &recognizer, profile: &profile, lang: args.lang };
    let start = Instant::now();
    let fresh: Vec<Row> = pool.install(|| {
        todo.par_iter()
            .with_max_len(1)
            .map(|(key, item)| {
                let line = job.line(key, &item.photo, item.signature.as_deref())?;
                journal.append(&line).with_context(|| format!("writing {}", out.display()))?;
                bar.inc(1);
                Ok(Row::parse(&line)?)
            })
            .collect::<anyhow::Result<Vec<Row>>>()
    })?;
    let elapsed = start.elapsed();
    bar.finish_and_clear();

    // Rows in input order; results of an earlier run for files no longer listed go last.
    let order: HashMap<&str, usize> = keyed.iter().enumerate().map(|(i, (k, _))| (k.as_str(), i)).collect();
    let mut rows: Vec<&Row> = earlier.iter().chain(fresh.iter()).collect();
    rows.sort_by_key(|r| order.get(r.file.as_str()).copied().unwrap_or(usize::MAX));
    let tally = summary::Tally::of(&rows);
    if let Some(path) = &args.csv {
        table::write(path, &rows, items.iter().any(|i| i.signature.is_some()))?;
    }
    if let Some(path) = &args.report {
        pool.install(|| report::write(path, &rows, &tally, &validator.analyzer().config().limits))?;
    }
    let stats =
        summary::RunStats { skipped, resumed: earlier.len(), processed: fresh.len(), threads, load, elapsed };
    print!("{}", summary::render(&tally, &stats));
    Ok(ExitCode::SUCCESS)
}

/// A bar with rate and ETA on stderr; indicatif draws nothing when stderr is not a terminal.
fn progress(len: u64) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{elapsed_precise} [{wide_bar}] {pos}/{len} {per_sec} ETA {eta}")
    {
        bar.set_style(style);
    }
    bar
}
