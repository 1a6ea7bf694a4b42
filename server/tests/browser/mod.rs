//! Headless Chromium for the page tests, driven over the DevTools protocol (CDP) by a small client
//! of our own: a blocking WebSocket (RFC 6455, client side, text frames only) and JSON messages.
//! No crate for it, so the tests add no compile time. Chromium is Debian's `chromium` package
//! (installed by `.ci/run`); `SAPA_CHROMIUM` names another binary. Without it a test skips with a
//! notice, except under `CI=true`, where that is a failure.
//!
//! Use: `let Some(b) = Browser::launch("name") else { return };`, then `b.page()`, `goto`,
//! `eval`, `wait_for`, `set_files`, `screenshot`, and finally `problems()` (console errors and
//! uncaught exceptions seen since the page was opened).

#![allow(dead_code)]

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A headless Chromium in its own profile directory, killed (and the directory removed) on drop.
pub struct Browser {
    child: Child,
    profile: PathBuf,
    port: u16,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// The Chromium binary: `SAPA_CHROMIUM`, else the first of the usual names on `PATH`.
pub fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SAPA_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"] {
        for dir in std::env::split_paths(&path) {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false)
}

impl Browser {
    /// Starts Chromium headless with a free DevTools port, or `None` (with a notice) when it is
    /// not installed; under `CI=true` a missing Chromium panics.
    pub fn launch(name: &str) -> Option<Browser> {
        Self::launch_with(name, &[])
    }

    /// As [`Browser::launch`], with extra command-line switches (a fake camera, say).
    pub fn launch_with(name: &str, extra: &[String]) -> Option<Browser> {
        let Some(bin) = chromium() else {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!(
                    "CI=true and Chromium not found (install the `chromium` package or set SAPA_CHROMIUM)"
                );
            }
            eprintln!("NOTICE: Chromium not found (chromium on PATH or SAPA_CHROMIUM); skipping");
            return None;
        };
        let profile = std::env::temp_dir().join(format!("sapa-chromium-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&profile);
        std::fs::create_dir_all(&profile).unwrap();
        let mut cmd = Command::new(&bin);
        cmd.args([
            "--headless=new",
            "--remote-debugging-port=0",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-gpu",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--window-size=1280,1600",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra);
        // The sandbox needs user namespaces, which a root container does not give.
        if is_root() {
            cmd.arg("--no-sandbox");
        }
        cmd.arg("about:blank").stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
        let child = cmd.spawn().unwrap_or_else(|e| panic!("start {}: {e}", bin.display()));
        let mut browser = Browser { child, profile, port: 0 };
        // Chromium writes the port it bound (and the browser target's path) once it listens.
        let file = browser.profile.join("DevToolsActivePort");
        let start = Instant::now();
        loop {
            if let Ok(text) = std::fs::read_to_string(&file)
                && let Some(port) = text.lines().next().and_then(|l| l.trim().parse::<u16>().ok())
                && text.lines().count() >= 2
            {
                browser.port = port;
                return Some(browser);
            }
            if let Ok(Some(status)) = browser.child.try_wait() {
                panic!("Chromium exited before it listened: {status}");
            }
            assert!(start.elapsed() < Duration::from_secs(60), "Chromium did not write DevToolsActivePort");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A new tab, with the Page, Runtime and Log domains on so their events are collected.
    pub fn page(&self) -> Page {
        let list = http_get(self.port, "/json/list");
        let targets: Value = serde_json::from_str(&list).expect("/json/list");
        let target = targets
            .as_array()
            .and_then(|a| a.iter().find(|t| t["type"] == "page"))
            .unwrap_or_else(|| panic!("no page target: {list}"));
        let ws = target["webSocketDebuggerUrl"].as_str().expect("webSocketDebuggerUrl");
        let path = ws.split_once("://").and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..])).unwrap();
        let mut page = Page { ws: WebSocket::connect(self.port, path), next_id: 0, events: Vec::new() };
        for domain in ["Page.enable", "Runtime.enable", "Log.enable", "DOM.enable"] {
            page.call(domain, json!({}));
        }
        page
    }
}

/// A plain HTTP GET on the DevTools port (its JSON listing). Chromium keeps the connection
/// open, so the body is read to its `Content-Length`.
fn http_get(port: u16, path: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("DevTools port");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n").unwrap();
    let mut reader = BufReader::new(s);
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).expect("DevTools HTTP answer");
        if line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).expect("DevTools HTTP body");
    String::from_utf8(body).unwrap()
}

/// One tab: commands answered by id, every event kept for `problems` and `wait_event`.
pub struct Page {
    ws: WebSocket,
    next_id: u64,
    events: Vec<Value>,
}

/// How long a single command may take before the test fails.
const CALL_TIMEOUT: Duration = Duration::from_secs(120);

impl Page {
    /// Sends a command and returns its `result`; a CDP error fails the test.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.ws.send(&json!({ "id": id, "method": method, "params": params }).to_string());
        let start = Instant::now();
        loop {
            let left = CALL_TIMEOUT.saturating_sub(start.elapsed());
            assert!(!left.is_zero(), "{method}: no answer in {CALL_TIMEOUT:?}");
            let Some(msg) = self.ws.recv(left) else { continue };
            let v: Value = serde_json::from_str(&msg).expect("CDP sends JSON");
            if v["id"].as_u64() == Some(id) {
                if let Some(e) = v.get("error") {
                    panic!("{method}: {e}");
                }
                return v["result"].clone();
            }
            if v.get("method").is_some() {
                self.events.push(v);
            }
        }
    }

    /// Reads events for up to `wait` (returns early on none pending after that).
    fn pump(&mut self, wait: Duration) {
        while let Some(msg) = self.ws.recv(wait) {
            if let Ok(v) = serde_json::from_str::<Value>(&msg)
                && v.get("method").is_some()
            {
                self.events.push(v);
            }
        }
    }

    /// Opens `url` and waits for its load event.
    pub fn goto(&mut self, url: &str) {
        self.events.retain(|e| e["method"] != "Page.loadEventFired");
        let r = self.call("Page.navigate", json!({ "url": url }));
        assert!(r.get("errorText").is_none(), "navigate {url}: {r}");
        self.wait_event("Page.loadEventFired", Duration::from_secs(60));
    }

    /// Waits for an event named `method` (already seen or still to come) and returns it.
    pub fn wait_event(&mut self, method: &str, limit: Duration) -> Value {
        let start = Instant::now();
        loop {
            if let Some(e) = self.events.iter().find(|e| e["method"] == method) {
                return e.clone();
            }
            assert!(start.elapsed() < limit, "no {method} within {limit:?}");
            self.pump(Duration::from_millis(100));
        }
    }

    /// Evaluates a JavaScript expression (awaiting a promise) and returns its value as JSON;
    /// a thrown exception fails the test.
    pub fn eval(&mut self, expr: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({ "expression": expr, "returnByValue": true, "awaitPromise": true }),
        );
        if let Some(e) = r.get("exceptionDetails") {
            panic!("{expr}: {e}");
        }
        r["result"]["value"].clone()
    }

    /// Polls `expr` until it is truthy and returns its value; fails after `limit`.
    pub fn wait_for(&mut self, expr: &str, limit: Duration) -> Value {
        let start = Instant::now();
        loop {
            let v = self.eval(expr);
            let truthy = match &v {
                Value::Null => false,
                Value::Bool(b) => *b,
                Value::String(s) => !s.is_empty(),
                Value::Number(n) => n.as_f64() != Some(0.0),
                _ => true,
            };
            if truthy {
                return v;
            }
            assert!(
                start.elapsed() < limit,
                "`{expr}` still false after {limit:?}; problems: {:?}",
                self.problems()
            );
            self.pump(Duration::from_millis(100));
        }
    }

    /// Puts `files` into the `<input type=file>` matched by `selector`, as a user's choice
    /// would (the input and change events fire).
    pub fn set_files(&mut self, selector: &str, files: &[&Path]) {
        let doc = self.call("DOM.getDocument", json!({ "depth": 0 }));
        let root = doc["root"]["nodeId"].clone();
        let node = self.call("DOM.querySelector", json!({ "nodeId": root, "selector": selector }));
        let id = node["nodeId"].as_u64().unwrap_or(0);
        assert!(id != 0, "no element matches {selector}");
        let files: Vec<String> =
            files.iter().map(|f| std::fs::canonicalize(f).unwrap().to_string_lossy().into_owned()).collect();
        self.call("DOM.setFileInputFiles", json!({ "nodeId": id, "files": files }));
    }

    /// A PNG of the whole page (beyond the viewport), written to `out`.
    pub fn screenshot(&mut self, out: &Path) {
        use base64::Engine;
        let r =
            self.call("Page.captureScreenshot", json!({ "format": "png", "captureBeyondViewport": true }));
        let png = base64::engine::general_purpose::STANDARD.decode(r["data"].as_str().unwrap()).unwrap();
        if let Some(dir) = out.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(out, png).unwrap();
    }

    /// Console errors, failed assertions, error log entries (failed loads, CSP refusals) and
    /// uncaught exceptions seen so far, one line each.
    pub fn problems(&mut self) -> Vec<String> {
        self.pump(Duration::from_millis(50));
        let mut out = Vec::new();
        for e in &self.events {
            let p = &e["params"];
            match e["method"].as_str() {
                Some("Runtime.consoleAPICalled")
                    if matches!(p["type"].as_str(), Some("error" | "assert")) =>
                {
                    let args: Vec<String> = p["args"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|a| {
                            a["value"]
                                .as_str()
                                .map(str::to_string)
                                .unwrap_or_else(|| a["description"].to_string())
                        })
                        .collect();
                    out.push(format!("console.{}: {}", p["type"].as_str().unwrap(), args.join(" ")));
                }
                Some("Runtime.exceptionThrown") => {
                    let d = &p["exceptionDetails"];
                    out.push(format!("exception: {} {}", d["text"], d["exception"]["description"]));
                }
                Some("Log.entryAdded") if p["entry"]["level"] == "error" => {
                    out.push(format!("log: {} {}", p["entry"]["text"], p["entry"]["url"]));
                }
                _ => {}
            }
        }
        out
    }

    /// Every event seen so far (for a test's own checks: requests, console lines).
    pub fn events(&mut self) -> &[Value] {
        self.pump(Duration::from_millis(50));
        &self.events
    }
}

/// A client WebSocket over loopback TCP, enough for CDP: masked text frames out; text, binary,
/// continuation, ping and close frames in.
struct WebSocket {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    mask_seed: u64,
}

impl WebSocket {
    fn connect(port: u16, path: &str) -> WebSocket {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("DevTools WebSocket");
        stream.set_nodelay(true).ok();
        let mut writer = stream.try_clone().unwrap();
        let seed =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
        // The key only proves the server speaks WebSocket; loopback needs no secret here.
        use base64::Engine;
        let key = base64::engine::general_purpose::STANDARD.encode(seed.to_le_bytes().repeat(2));
        write!(
            writer,
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        .unwrap();
        let mut reader = BufReader::new(stream);
        let mut status = String::new();
        reader.read_line(&mut status).unwrap();
        assert!(status.split_whitespace().nth(1) == Some("101"), "WebSocket upgrade refused: {status}");
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line == "\r\n" || line.is_empty() {
                break;
            }
        }
        WebSocket { reader, writer, mask_seed: seed | 1 }
    }

    fn frame(&mut self, opcode: u8, payload: &[u8]) {
        let mut out = Vec::with_capacity(payload.len() + 14);
        out.push(0x80 | opcode);
        match payload.len() {
            n if n < 126 => out.push(0x80 | n as u8),
            n if n <= 0xffff => {
                out.push(0x80 | 126);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                out.push(0x80 | 127);
                out.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        // xorshift: a client must mask, and the mask need not be secret on loopback.
        self.mask_seed ^= self.mask_seed << 13;
        self.mask_seed ^= self.mask_seed >> 7;
        self.mask_seed ^= self.mask_seed << 17;
        let mask = (self.mask_seed as u32).to_be_bytes();
        out.extend_from_slice(&mask);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.writer.write_all(&out).expect("WebSocket write");
    }

    fn send(&mut self, text: &str) {
        self.frame(0x1, text.as_bytes());
    }

    /// The next whole message, or `None` when none starts within `wait`.
    fn recv(&mut self, wait: Duration) -> Option<String> {
        let mut message = Vec::new();
        loop {
            // A long wait only for the first byte of a message; its rest is already on its way.
            let first = if message.is_empty() { wait.max(Duration::from_millis(1)) } else { CALL_TIMEOUT };
            self.reader.get_ref().set_read_timeout(Some(first)).unwrap();
            let mut head = [0u8; 2];
            match self.reader.read_exact(&mut head[..1]) {
                Ok(()) => {}
                Err(e)
                    if message.is_empty()
                        && matches!(
                            e.kind(),
                            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                        ) =>
                {
                    return None;
                }
                Err(e) => panic!("WebSocket read: {e}"),
            }
            self.reader.get_ref().set_read_timeout(Some(CALL_TIMEOUT)).unwrap();
            self.reader.read_exact(&mut head[1..]).expect("WebSocket read");
            let (fin, opcode) = (head[0] & 0x80 != 0, head[0] & 0x0f);
            let masked = head[1] & 0x80 != 0;
            let len = match head[1] & 0x7f {
                126 => {
                    let mut b = [0u8; 2];
                    self.reader.read_exact(&mut b).unwrap();
                    u16::from_be_bytes(b) as usize
                }
                127 => {
                    let mut b = [0u8; 8];
                    self.reader.read_exact(&mut b).unwrap();
                    u64::from_be_bytes(b) as usize
                }
                n => n as usize,
            };
            let mut mask = [0u8; 4];
            if masked {
                self.reader.read_exact(&mut mask).unwrap();
            }
            let mut payload = vec![0u8; len];
            self.reader.read_exact(&mut payload).expect("WebSocket payload");
            if masked {
                payload.iter_mut().enumerate().for_each(|(i, b)| *b ^= mask[i % 4]);
            }
            match opcode {
                0x0..=0x2 => {
                    message.extend_from_slice(&payload);
                    if fin {
                        return Some(String::from_utf8(message).expect("CDP sends UTF-8"));
                    }
                }
                0x8 => panic!("DevTools closed the WebSocket"),
                0x9 => self.frame(0xA, &payload),
                _ => {}
            }
        }
    }
}
