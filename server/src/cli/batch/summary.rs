//! The closing summary: photos (and signature samples) by decision and by failure code, and the
//! run's throughput.

use super::row::Row;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Duration;

#[derive(Debug, Default)]
pub struct Tally {
    pub by_outcome: BTreeMap<String, usize>,
    pub by_failure: BTreeMap<String, usize>,
    pub by_error: BTreeMap<String, usize>,
    /// The signature samples filed with the photos, counted the same way (`None` without any).
    pub signatures: Option<Box<Tally>>,
}

impl Tally {
    pub fn of(rows: &[&Row]) -> Self {
        let mut t = Self::default();
        let signed: Vec<&Row> = rows.iter().filter_map(|r| r.signature.as_deref()).collect();
        if !signed.is_empty() {
            t.signatures = Some(Box::new(Tally::of(&signed)));
        }
        for row in rows {
            *t.by_outcome.entry(row.outcome().to_string()).or_default() += 1;
            for code in &row.failed {
                *t.by_failure.entry(code.clone()).or_default() += 1;
            }
            if let Some(e) = &row.error {
                *t.by_error.entry(e.code.clone()).or_default() += 1;
            }
        }
        t
    }

    pub fn count(&self, outcome: &str) -> usize {
        self.by_outcome.get(outcome).copied().unwrap_or(0)
    }
}

/// What this run did, for the throughput line.
pub struct RunStats {
    /// Files in the input directory that are not images, left out.
    pub skipped: usize,
    pub resumed: usize,
    pub processed: usize,
    pub threads: usize,
    pub load: Duration,
    pub elapsed: Duration,
}

/// The human summary printed at the end of a batch.
pub fn render(tally: &Tally, stats: &RunStats) -> String {
    let total: usize = tally.by_outcome.values().sum();
    let mut s = format!(
        "batch: {total} photos: {} accept, {} reject, {} error\n",
        tally.count("accept"),
        tally.count("reject"),
        tally.count("error")
    );
    let by_count = |m: &BTreeMap<String, usize>| {
        let mut v: Vec<(&String, &usize)> = m.iter().collect();
        v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        v.iter().map(|(c, n)| format!("{c} {n}")).collect::<Vec<_>>().join(", ")
    };
    if !tally.by_failure.is_empty() {
        let _ = writeln!(s, "failed checks: {}", by_count(&tally.by_failure));
    }
    if !tally.by_error.is_empty() {
        let _ = writeln!(s, "errors: {}", by_count(&tally.by_error));
    }
    if let Some(sig) = &tally.signatures {
        let _ = writeln!(
            s,
            "signatures: {} samples: {} accept, {} reject, {} error",
            sig.by_outcome.values().sum::<usize>(),
            sig.count("accept"),
            sig.count("reject"),
            sig.count("error")
        );
        if !sig.by_failure.is_empty() {
            let _ = writeln!(s, "signature failed checks: {}", by_count(&sig.by_failure));
        }
        if !sig.by_error.is_empty() {
            let _ = writeln!(s, "signature errors: {}", by_count(&sig.by_error));
        }
    }
    if stats.skipped > 0 {
        let _ = writeln!(s, "skipped: {} files that are not images", stats.skipped);
    }
    if stats.resumed > 0 {
        let _ = writeln!(s, "resumed: {} photos were already done", stats.resumed);
    }
    let secs = stats.elapsed.as_secs_f64();
    let rate = if secs > 0.0 { stats.processed as f64 / secs } else { 0.0 };
    let _ = writeln!(
        s,
        "throughput: {} photos in {secs:.2} s = {rate:.1} photos/s on {} threads ({:.1} per thread); models loaded in {:.2} s",
        stats.processed,
        stats.threads,
        rate / stats.threads.max(1) as f64,
        stats.load.as_secs_f64()
    );
    s
}
