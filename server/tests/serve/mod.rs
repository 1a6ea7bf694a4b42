//! A real `sapa serve` for the page tests: the built binary on a free loopback port, its own
//! configuration, store and audit log in a temporary directory, killed when dropped.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The workspace root (the `sapa` binary runs there, as the README's commands do).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A running `sapa serve`.
pub struct Serve {
    /// The process, for tests that signal it.
    pub child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    pub dir: PathBuf,
    stderr: Arc<Mutex<String>>,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Serve {
    /// Starts the service with `config` (TOML) and extra environment.
    pub fn start(name: &str, config: &str, env: &[(&str, &str)]) -> Serve {
        let dir = std::env::temp_dir().join(format!("sapa-serve-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let cfg = dir.join("serve.toml");
        std::fs::write(&cfg, config).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_sapa"));
        cmd.args(["serve", "--addr", "127.0.0.1:0", "--config", cfg.to_str().unwrap()])
            .current_dir(root())
            .env("SAPA_STORE", dir.join("refs.sqlite"))
            .env("SAPA_AUDIT_LOG", dir.join("audit.jsonl"))
            .env("SAPA_AUDIT_KEY", "test-audit-key-0123456789")
            .env_remove("SAPA_API_KEYS")
            .env_remove("SAPA_CONFIG")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start sapa serve");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let log = Arc::new(Mutex::new(String::new()));
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("sapa: listening on ") {
                    let _ = tx.send(addr.to_string());
                }
                sink.lock().unwrap().push_str(&(line + "\n"));
            }
        });
        let base = match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(b) => b,
            Err(_) => panic!("sapa serve did not start: {}", log.lock().unwrap()),
        };
        Serve { child, base, dir, stderr: log }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// What the service wrote to stderr so far (its log).
    pub fn log(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// The audit lines written so far.
    pub fn audit(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(self.dir.join("audit.jsonl"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// The audit lines, once at least `n` are written (or 20 s have passed): the service's writer
    /// thread writes them just after each answer.
    pub fn audit_at_least(&self, n: usize) -> Vec<serde_json::Value> {
        let start = std::time::Instant::now();
        loop {
            let lines = self.audit();
            if lines.len() >= n || start.elapsed() > Duration::from_secs(20) {
                return lines;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The multipart boundary of [`multipart`]'s bodies (tests that write a body by hand use it too).
pub const BOUNDARY: &str = "sapa-serve-test-boundary-51c2";

/// A multipart/form-data body and its content type: `(name, Some(file bytes) | None, text)`.
pub fn multipart(parts: &[(&str, Option<&[u8]>, &str)]) -> (String, Vec<u8>) {
    let mut body = Vec::new();
    for (name, file, text) in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match file {
            Some(bytes) => {
                body.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{name}.png\"\r\nContent-Type: image/png\r\n\r\n")
                        .as_bytes(),
                );
                body.extend_from_slice(bytes);
            }
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n{text}").as_bytes(),
            ),
        }
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={BOUNDARY}"), body)
}
