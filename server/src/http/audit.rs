//! The audit trail: one JSON line per API request, with who asked, what was decided and why, and
//! a keyed hash of the IIN. Never a photo, a raw IIN or a template.
//!
//! Lines are written by a writer thread of their own, so a slow disk never stalls the async
//! runtime. Requests refused before any work (`503 overloaded`) are not written one by one (a
//! flood would write a line per refusal): they are counted and written as one `refused` line per
//! interval, and counted in the metrics.

use crate::references::Iin;
use serde::Serialize;
use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::time::{Duration, SystemTime};

/// Lines waiting for the writer before new ones are dropped (and counted as dropped).
const QUEUE: usize = 8192;
/// How often refusals are summed up in one line.
const REFUSALS_EVERY: Duration = Duration::from_secs(10);

enum Msg {
    Line(String),
    /// Write everything queued before it, and the refusals counted so far, then answer.
    Flush(SyncSender<()>),
}

pub struct AuditLog {
    tx: SyncSender<Msg>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
    counts: std::sync::Arc<Counts>,
    key: Vec<u8>,
}

#[derive(Default)]
struct Counts {
    refused: AtomicU64,
    dropped: AtomicU64,
}

/// One audit event. Fields that do not apply are left out.
#[derive(Serialize, Default)]
pub struct AuditEvent {
    pub request_id: String,
    pub client: String,
    pub route: &'static str,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failed: Vec<sapa_engine::validate::Code>,
    /// An identification's reason codes (`no_face`, `attack_suspected`, ...), never a message.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<crate::error_code::ErrorCode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iin_hash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f32>,
    pub duration_ms: f64,
}

#[derive(Serialize)]
struct Line<'a> {
    time: String,
    event: &'static str,
    #[serde(flatten)]
    body: &'a AuditEvent,
}

/// The sum of the requests refused since the last such line.
#[derive(Serialize)]
struct Refused {
    time: String,
    event: &'static str,
    reason: &'static str,
    count: u64,
    /// Lines the writer could not keep up with since the last such line (normally 0).
    dropped: u64,
}

fn now() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}

impl AuditLog {
    /// `path` `-` writes to standard output; anything else is a file opened for appending.
    pub fn open(path: &str, key: Vec<u8>) -> anyhow::Result<Self> {
        let out: Box<dyn Write + Send> = if path == "-" {
            Box::new(std::io::stdout())
        } else {
            let f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| anyhow::anyhow!("opening audit log {path}: {e}"))?;
            Box::new(f)
        };
        let (tx, rx) = std::sync::mpsc::sync_channel(QUEUE);
        let counts = std::sync::Arc::new(Counts::default());
        let c = counts.clone();
        let writer =
            std::thread::Builder::new().name("sapa-audit".into()).spawn(move || write_lines(rx, out, &c))?;
        Ok(Self { tx, writer: Mutex::new(Some(writer)), counts, key })
    }

    /// The keyed hash that stands for `iin` in the audit trail.
    pub fn iin_hash(&self, iin: &Iin) -> String {
        iin.keyed_hash(&self.key)
    }

    /// Queues one event as one line; never blocks. When the writer is that far behind, the line
    /// is dropped and counted (in the next `refused` line and in the metrics).
    pub fn record(&self, event: &AuditEvent) {
        let line = Line { time: now(), event: "request", body: event };
        let Ok(mut text) = serde_json::to_string(&line) else { return };
        text.push('\n');
        if let Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) = self.tx.try_send(Msg::Line(text))
        {
            self.counts.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts a request refused before any work was done, instead of writing a line for it.
    pub fn refused(&self) {
        self.counts.refused.fetch_add(1, Ordering::Relaxed);
    }

    /// Lines dropped because the writer fell behind, since start.
    pub fn dropped(&self) -> u64 {
        self.counts.dropped.load(Ordering::Relaxed)
    }

    /// Waits until everything recorded so far, and the refusals counted so far, is written.
    pub fn flush(&self) {
        let (ack, done) = std::sync::mpsc::sync_channel(1);
        if self.tx.send(Msg::Flush(ack)).is_ok() {
            let _ = done.recv();
        }
    }
}

impl Drop for AuditLog {
    /// Writes what is queued before the process goes: the writer ends when its channel closes.
    fn drop(&mut self) {
        self.flush();
        let (tx, _) = std::sync::mpsc::sync_channel(0);
        drop(std::mem::replace(&mut self.tx, tx));
        if let Some(w) = self.writer.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = w.join();
        }
    }
}

/// The writer thread: lines as they come, and the refusals summed every [`REFUSALS_EVERY`].
fn write_lines(rx: Receiver<Msg>, out: Box<dyn Write + Send>, counts: &Counts) {
    let mut w = Writer { out, counts, dropped_reported: 0 };
    let mut last = std::time::Instant::now();
    loop {
        match rx.recv_timeout(REFUSALS_EVERY.saturating_sub(last.elapsed())) {
            Ok(Msg::Line(text)) => w.write(&text),
            Ok(Msg::Flush(ack)) => {
                w.sum_up();
                let _ = ack.send(());
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return w.sum_up(),
        }
        if last.elapsed() >= REFUSALS_EVERY {
            w.sum_up();
            last = std::time::Instant::now();
        }
    }
}

struct Writer<'a> {
    out: Box<dyn Write + Send>,
    counts: &'a Counts,
    /// Dropped lines already reported in a `refused` line.
    dropped_reported: u64,
}

impl Writer<'_> {
    fn write(&mut self, text: &str) {
        if let Err(e) = self.out.write_all(text.as_bytes()).and_then(|_| self.out.flush()) {
            tracing::error!(error = %e, "audit log write failed");
        }
    }

    /// One `refused` line for the refusals (and dropped lines) since the last one, if any.
    fn sum_up(&mut self) {
        let count = self.counts.refused.swap(0, Ordering::Relaxed);
        let dropped_total = self.counts.dropped.load(Ordering::Relaxed);
        let dropped = dropped_total - self.dropped_reported;
        if count == 0 && dropped == 0 {
            return;
        }
        self.dropped_reported = dropped_total;
        let line = Refused { time: now(), event: "refused", reason: "overloaded", count, dropped };
        if let Ok(mut text) = serde_json::to_string(&line) {
            text.push('\n');
            self.write(&text);
        }
    }
}
