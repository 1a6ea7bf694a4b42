//! `sapa batch --queue`: enqueue a job, show its progress, export its results; and `sapa worker`,
//! which does the work in leased chunks (see `crate::fleet::queue` for how leases and results
//! stay consistent when a worker dies).

use super::row::Row;
use super::{BatchArgs, Loaded, inputs};
use crate::cli::GlobalArgs;
use crate::cli::verify::parse_model;
use crate::fleet::{JobOptions, Lease, Queue};
use crate::references::Keyring;
use anyhow::Context;
use clap::Args;
use rayon::prelude::*;
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

fn connect(url: &str) -> anyhow::Result<Queue> {
    let keys = Keyring::from_env().context("the queue seals result lines (they hold templates)")?;
    Queue::connect(url, keys).with_context(|| format!("opening the queue {}", crate::pg::redact(url)))
}

/// `sapa batch --queue URL --job NAME` with `--input`, `--status` or `--export`.
pub fn run(args: BatchArgs) -> anyhow::Result<ExitCode> {
    let (Some(url), Some(job)) = (args.queue.as_deref(), args.job.as_deref()) else {
        anyhow::bail!("--queue and --job go together");
    };
    let queue = connect(url)?;
    if args.status {
        println!("{}", serde_json::to_string(&queue.status(job)?)?);
    } else if let Some(path) = &args.export {
        let file = std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
        let n = queue.export(job, &mut std::io::BufWriter::new(file))?;
        println!("{}", serde_json::json!({ "job": job, "exported": n, "out": path }));
    } else if let Some(input) = &args.input {
        let found = inputs::collect(input, &[])?;
        if found.items.iter().any(|i| i.signature.is_some()) {
            anyhow::bail!(
                "{}: a distributed job carries photos only; run a manifest with a `signature` column \
                 without --queue",
                input.display()
            );
        }
        let paths: Vec<String> = found
            .items
            .iter()
            .map(|i| std::path::absolute(&i.photo).map(|a| crate::cli::files::display(&a)))
            .collect::<Result<_, _>>()?;
        let options = JobOptions {
            profile: args.profile.clone(),
            lang: args.lang,
            model: args.model.map(|m| m.id().to_string()),
        };
        let e = queue.enqueue(job, &options, &paths, args.chunk_size as usize)?;
        if !e.created {
            eprintln!("job {job:?} is already in the queue: nothing added");
        }
        println!(
            "{}",
            serde_json::json!({ "job": job, "created": e.created, "photos": e.total, "chunks": e.chunks })
        );
    } else {
        anyhow::bail!("with --queue, give --input (enqueue), --status or --export");
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Args, Debug)]
pub struct WorkerArgs {
    /// The PostgreSQL database holding the job queue (`postgres://…`).
    #[arg(long, env = "SAPA_QUEUE_URL", hide_env_values = true)]
    queue: String,
    /// The job to work on (enqueued with `sapa batch --queue … --job NAME --input …`).
    #[arg(long)]
    job: String,
    /// Seconds a leased chunk stays this worker's without renewal; renewed every third of it. A
    /// killed worker's chunk is taken over this long after its last renewal.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    lease_s: u64,
    /// This worker's name in the queue and in progress lines (default: host name and pid).
    #[arg(long)]
    name: Option<String>,
}

fn default_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname").map(|h| h.trim().to_string()).unwrap_or_default();
    format!("{}-{}", if host.is_empty() { "worker" } else { &host }, std::process::id())
}

/// `sapa worker`: lease chunks until the job is done, then print what this worker did.
pub fn work(global: &GlobalArgs, args: WorkerArgs) -> anyhow::Result<ExitCode> {
    let queue = connect(&args.queue)?;
    let name = args.name.clone().unwrap_or_else(default_name);
    let options = queue.options(&args.job)?;
    let model = options.model.as_deref().map(parse_model).transpose().map_err(anyhow::Error::msg)?;
    let loaded = Loaded::load(global, &options.profile, model)?;
    let threads =
        global.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build()?;
    let lease_for = Duration::from_secs(args.lease_s);
    let (mut chunks, mut written) = (0usize, 0usize);
    let start = std::time::Instant::now();
    loop {
        let Some(lease) = queue.lease(&args.job, &name, lease_for)? else {
            let status = queue.status(&args.job)?;
            if status.chunks_done == status.chunks {
                break;
            }
            // Every open chunk is leased by a live worker: wait for one to finish or to lapse.
            std::thread::sleep(Duration::from_millis(500));
            continue;
        };
        let (wrote, kept) = pool.install(|| process(&queue, &loaded, options.lang, &lease, lease_for))?;
        written += wrote;
        let done = kept && queue.complete(&lease)?;
        chunks += usize::from(done);
        let status = queue.status(&args.job)?;
        eprintln!(
            "sapa worker {name}: chunk {} {} ({wrote} photos); job {}/{} done",
            lease.chunk,
            if done { "done" } else { "lost its lease" },
            status.done,
            status.total
        );
    }
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({
            "worker": name, "job": args.job, "chunks": chunks, "photos": written, "threads": threads,
            "seconds": (elapsed * 100.0).round() / 100.0,
            "photos_per_s": if elapsed > 0.0 { ((written as f64 / elapsed) * 100.0).round() / 100.0 } else { 0.0 },
        })
    );
    Ok(ExitCode::SUCCESS)
}

/// Judges the lease's photos in parallel while a heartbeat renews the lease. Returns the results
/// this worker wrote and whether it still held the lease at the end.
fn process(
    queue: &Queue,
    loaded: &Loaded,
    lang: sapa_engine::validate::Lang,
    lease: &Lease,
    lease_for: Duration,
) -> anyhow::Result<(usize, bool)> {
    let lost_flag = AtomicBool::new(false);
    let lost = &lost_flag;
    let written = AtomicUsize::new(0);
    let job = loaded.job(lang);
    let (stop, stopped) = mpsc::channel::<()>();
    std::thread::scope(|s| {
        // `move`: the receiver goes to the heartbeat thread (it is not `Sync`); the rest are references.
        s.spawn(move || {
            while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(lease_for / 3) {
                match queue.renew(lease, lease_for) {
                    Ok(true) => {}
                    Ok(false) => {
                        lost.store(true, Ordering::SeqCst);
                        return;
                    }
                    // PostgreSQL unreachable for a moment: try again at the next beat; the
                    // lease only lapses if it stays unreachable for the whole lease.
                    Err(e) => eprintln!("sapa worker: renewing the lease: {e}"),
                }
            }
        });
        let ran = lease.photos.par_iter().with_max_len(1).try_for_each(|(seq, path)| {
            if lost.load(Ordering::SeqCst) {
                return Ok(());
            }
            let line = job.line(path, Path::new(path), None)?;
            let outcome = Row::parse(&line)?.outcome().to_string();
            if queue.record(lease, *seq, &outcome, &line)? {
                written.fetch_add(1, Ordering::Relaxed);
            }
            anyhow::Ok(())
        });
        drop(stop);
        ran
    })?;
    Ok((written.into_inner(), !lost_flag.into_inner()))
}
