//! The audit trail: one JSON line per API request, with who asked, what was decided and why, and
//! a keyed hash of the IIN. Never a photo, a raw IIN or a template.

use crate::references::Iin;
use serde::Serialize;
use std::io::Write;
use std::sync::Mutex;
use std::time::SystemTime;

pub struct AuditLog {
    out: Mutex<Box<dyn Write + Send>>,
    key: Vec<u8>,
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
    pub failed: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
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
        Ok(Self { out: Mutex::new(out), key })
    }

    /// The keyed hash that stands for `iin` in the audit trail.
    pub fn iin_hash(&self, iin: &Iin) -> String {
        iin.keyed_hash(&self.key)
    }

    /// Appends one event as one line, in one write, so lines never interleave.
    pub fn record(&self, event: &AuditEvent) {
        let line = Line {
            time: humantime::format_rfc3339_millis(SystemTime::now()).to_string(),
            event: "request",
            body: event,
        };
        let Ok(mut text) = serde_json::to_string(&line) else { return };
        text.push('\n');
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
            tracing::error!(error = %e, "audit log write failed");
        }
    }
}
