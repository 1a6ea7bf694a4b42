//! Sapa as a fleet, with real processes on a real PostgreSQL (`pg/`): two `sapa serve` replicas
//! sharing one reference store; the service riding out a PostgreSQL restart with 503s only; and
//! three `sapa worker`s splitting one batch job, one of them killed with SIGKILL midway.

mod pg;
mod serve;
#[path = "../../tests/support.rs"]
#[allow(dead_code)]
mod support;

use pg::PgServer;
use serve::{multipart, root};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const KEYS: &str = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const IIN: &str = "900101300017";
/// Trust authentication ignores it; it is here to prove it is never printed.
const PASSWORD: &str = "pw-never-logged-7731";

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sapa-fleet-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn with_password(url: &str) -> String {
    url.replacen("postgres://sapa@", &format!("postgres://sapa:{PASSWORD}@"), 1)
}

/// A running `sapa serve` on a PostgreSQL store, killed when dropped.
struct Replica {
    child: Child,
    base: String,
    log: Arc<Mutex<String>>,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Replica {
    fn start(name: &str, store_url: &str) -> Replica {
        let dir = temp(name);
        let cfg = dir.join("serve.toml");
        std::fs::write(&cfg, "[limits]\nworkers = 1\nqueue = 8\n[store]\nconnect_timeout_ms = 1000\n")
            .unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_sapa"))
            .args(["serve", "--addr", "127.0.0.1:0", "--config", cfg.to_str().unwrap()])
            .current_dir(root())
            .env("SAPA_STORE_URL", store_url)
            .env("SAPA_STORE_KEYS", KEYS)
            .env("SAPA_AUDIT_LOG", "-")
            .env("SAPA_AUDIT_KEY", "test-audit-key-0123456789")
            .env("SAPA_LOG", "debug")
            .env_remove("SAPA_API_KEYS")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start sapa serve");
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        for stream in [
            Box::new(child.stderr.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stdout.take().unwrap()),
        ] {
            let (sink, tx) = (log.clone(), tx.clone());
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if let Some(addr) = line.strip_prefix("sapa: listening on ") {
                        let _ = tx.send(addr.to_string());
                    }
                    sink.lock().unwrap().push_str(&(line + "\n"));
                }
            });
        }
        let base = match rx.recv_timeout(Duration::from_secs(180)) {
            Ok(b) => b,
            Err(_) => panic!("sapa serve did not start: {}", log.lock().unwrap()),
        };
        Replica { child, base, log }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }
}

struct Reply {
    status: u16,
    json: serde_json::Value,
    text: String,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(300)))
        .build()
        .into()
}

fn reply(r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Reply {
    let mut r = r.expect("an HTTP answer");
    let status = r.status().as_u16();
    let text = r.body_mut().with_config().limit(50_000_000).read_to_string().unwrap();
    let json = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
    Reply { status, json, text }
}

fn post(url: &str, content_type: &str, body: &[u8]) -> Reply {
    reply(agent().post(url).header("content-type", content_type).send(body))
}

fn get(url: &str) -> Reply {
    reply(agent().get(url).call())
}

fn astronaut() -> Vec<u8> {
    std::fs::read(root().join("fixtures/astronaut.png")).unwrap()
}

fn enrol(r: &Replica) -> Reply {
    let (ct, body) = multipart(&[("iin", None, IIN), ("photo", Some(&astronaut()), "")]);
    post(&r.url("/v1/references"), &ct, &body)
}

fn verify(r: &Replica) -> Reply {
    let (ct, body) = multipart(&[("probe", Some(&astronaut()), ""), ("iin", None, IIN)]);
    post(&r.url("/v1/verify"), &ct, &body)
}

#[test]
fn a_reference_enrolled_through_one_replica_is_verified_through_the_other() {
    let Some(server) = PgServer::start() else { return };
    let url = with_password(&server.database("replicas"));
    let (a, b) = (Replica::start("replica-a", &url), Replica::start("replica-b", &url));
    for r in [&a, &b] {
        let ready = get(&r.url("/health/ready"));
        assert_eq!(
            (ready.status, ready.json["store_backend"].as_str()),
            (200, Some("postgres")),
            "{}",
            ready.text
        );
    }
    let r = enrol(&a);
    assert_eq!(r.status, 201, "{}", r.text);
    let r = verify(&b);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (r.json["decision"].as_str(), r.json["reference_source"].as_str()),
        (Some("match"), Some("store")),
        "{}",
        r.text
    );
    // Erased through B, gone for A: no replica keeps its own copy of the store.
    let iin_json = format!("{{\"iin\": \"{IIN}\"}}");
    let r = post(&b.url("/v1/references/erase"), "application/json", iin_json.as_bytes());
    assert_eq!(r.json["deleted"], 1, "{}", r.text);
    let r = verify(&a);
    assert_eq!(
        (r.status, r.json["error"]["code"].as_str()),
        (404, Some("reference_not_found")),
        "{}",
        r.text
    );
    // Neither log (debug level, audit included) holds the IIN or the database password.
    for r in [&a, &b] {
        let log = r.log();
        assert!(!log.contains(IIN), "an IIN in the log:\n{log}");
        assert!(!log.contains(PASSWORD), "the DSN password in the log:\n{log}");
    }
}

#[test]
fn a_postgres_restart_costs_503s_and_nothing_worse() {
    let Some(mut server) = PgServer::start() else { return };
    let url = server.database("restart");
    let replica = Replica::start("restart", &url);
    assert_eq!(enrol(&replica).status, 201);
    assert_eq!(verify(&replica).json["decision"], "match");

    // A client keeps asking throughout; every answer must be 200 or 503.
    let stop = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Mutex::new(Vec::<(u16, String)>::new()));
    let hammer = {
        let (stop, seen, base) = (stop.clone(), seen.clone(), replica.base.clone());
        std::thread::spawn(move || {
            let iin_json = format!("{{\"iin\": \"{IIN}\"}}");
            while !stop.load(Ordering::SeqCst) {
                let r = post(&format!("{base}/v1/references/show"), "application/json", iin_json.as_bytes());
                let code = r.json["error"]["code"].as_str().unwrap_or("").to_string();
                seen.lock().unwrap().push((r.status, code));
            }
        })
    };
    server.stop();
    let r = verify(&replica);
    assert_eq!(
        (r.status, r.json["error"]["code"].as_str()),
        (503, Some("reference_unavailable")),
        "{}",
        r.text
    );
    let ready = get(&replica.url("/health/ready"));
    assert_eq!(
        (ready.status, ready.json["status"].as_str(), ready.json["store"].as_str()),
        (503, Some("not_ready"), Some("unreachable")),
        "{}",
        ready.text
    );
    server.restart();
    let r = verify(&replica);
    assert_eq!((r.status, r.json["decision"].as_str()), (200, Some("match")), "{}", r.text);
    assert_eq!(get(&replica.url("/health/ready")).status, 200);
    stop.store(true, Ordering::SeqCst);
    hammer.join().unwrap();
    let seen = seen.lock().unwrap();
    assert!(!seen.is_empty());
    for (status, code) in seen.iter() {
        assert!(
            *status == 200 || (*status == 503 && code == "reference_unavailable"),
            "{status} {code} during the restart"
        );
    }
}

fn sapa(args: &[&str], url: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sapa"))
        .args(args)
        .current_dir(root())
        .env("SAPA_QUEUE_URL", url)
        .env("SAPA_STORE_KEYS", KEYS)
        .output()
        .expect("run sapa")
}

fn json_out(out: &std::process::Output) -> serde_json::Value {
    assert!(out.status.success(), "sapa failed: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.lines().last().unwrap_or("")).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn worker(name: &str, url: &str, log: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_sapa"))
        .args(["--threads", "1", "worker", "--job", "recheck", "--lease-s", "3", "--name", name])
        .current_dir(root())
        .env("SAPA_QUEUE_URL", url)
        .env("SAPA_STORE_KEYS", KEYS)
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .expect("start sapa worker")
}

#[test]
fn three_workers_split_a_job_and_a_killed_workers_chunk_is_taken_over() {
    let Some(faces) = support::faces_dir() else { return };
    let Some(server) = PgServer::start() else { return };
    let url = server.database("batch");
    let dir = temp("workers");
    let mut names: Vec<String> = std::fs::read_dir(&faces)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".jpg") || n.ends_with(".png"))
        .collect();
    names.sort();
    names.truncate(20);
    let mut manifest = String::from("file\n");
    for n in &names {
        manifest += &format!("{}\n", faces.join(n).display());
    }
    std::fs::write(dir.join("broken.jpg"), b"not a photo").unwrap();
    manifest += "broken.jpg\n";
    let total = names.len() + 1;
    std::fs::write(dir.join("manifest.csv"), manifest).unwrap();
    let input = dir.join("manifest.csv");
    let enqueue = ["batch", "--job", "recheck", "--input", input.to_str().unwrap(), "--chunk-size", "2"];
    let e = json_out(&sapa(&enqueue, &url));
    assert_eq!((e["created"].as_bool(), e["photos"].as_u64()), (Some(true), Some(total as u64)), "{e}");
    let again = json_out(&sapa(&enqueue, &url));
    assert_eq!(again["created"], false, "enqueued once: {again}");

    let logs: Vec<PathBuf> = (1..=3).map(|n| dir.join(format!("w{n}.log"))).collect();
    let mut victim = worker("w1", &url, &logs[0]);
    let survivors: Vec<Child> =
        [("w2", &logs[1]), ("w3", &logs[2])].iter().map(|(n, l)| worker(n, &url, l)).collect();

    // Kill w1 with SIGKILL while it holds an unfinished chunk, after the job has started.
    let mut db = PgServer::client(&url);
    let held = |db: &mut postgres::Client| -> Vec<i32> {
        db.query(
            "SELECT chunk FROM batch_chunk WHERE job = 'recheck' AND leased_by = 'w1' AND done_at IS NULL",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
    };
    let until = Instant::now() + Duration::from_secs(600);
    loop {
        let done: i64 =
            db.query_one("SELECT count(*) FROM batch_result WHERE job = 'recheck'", &[]).unwrap().get(0);
        if done > 0 && !held(&mut db).is_empty() {
            break;
        }
        assert!(
            victim.try_wait().unwrap().is_none(),
            "w1 ended early: {}",
            std::fs::read_to_string(&logs[0]).unwrap()
        );
        assert!(Instant::now() < until, "the job never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    victim.kill().unwrap();
    victim.wait().unwrap();
    let orphaned = held(&mut db);
    assert!(!orphaned.is_empty(), "w1 held no chunk when it was killed");

    let mut reports = Vec::new();
    for mut w in survivors {
        let mut out = String::new();
        std::io::Read::read_to_string(w.stdout.as_mut().unwrap(), &mut out).unwrap();
        assert!(w.wait().unwrap().success(), "a worker failed");
        reports.push(serde_json::from_str::<serde_json::Value>(out.lines().last().unwrap()).unwrap());
    }

    // Every photo exactly one result; the orphaned chunk finished by another worker.
    let status = json_out(&sapa(&["batch", "--job", "recheck", "--status"], &url));
    assert_eq!(
        (status["done"].as_u64(), status["remaining"].as_u64()),
        (Some(total as u64), Some(0)),
        "{status}"
    );
    assert_eq!(status["chunks_done"], status["chunks"], "{status}");
    for chunk in &orphaned {
        let row = db
            .query_one("SELECT leased_by, attempts, done_at IS NOT NULL FROM batch_chunk WHERE job = 'recheck' AND chunk = $1", &[chunk])
            .unwrap();
        let (by, attempts, done): (String, i32, bool) = (row.get(0), row.get(1), row.get(2));
        assert!(done && by != "w1" && attempts >= 2, "chunk {chunk}: {by} {attempts} {done}");
    }
    let per_seq: i64 = db
        .query_one("SELECT count(*) FROM (SELECT seq FROM batch_result WHERE job = 'recheck' GROUP BY seq HAVING count(*) > 1) d", &[])
        .unwrap()
        .get(0);
    assert_eq!(per_seq, 0);
    let both_worked = reports.iter().filter(|r| r["photos"].as_u64().unwrap() > 0).count();
    assert_eq!(both_worked, 2, "the work was split: {reports:?}");

    // The export is today's JSONL: one line per photo, in manifest order, templates included.
    let out = dir.join("results.jsonl");
    let ex = json_out(&sapa(&["batch", "--job", "recheck", "--export", out.to_str().unwrap()], &url));
    assert_eq!(ex["exported"].as_u64(), Some(total as u64));
    let lines: Vec<serde_json::Value> =
        std::fs::read_to_string(&out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), total);
    for (line, name) in lines.iter().zip(&names) {
        // Every shared photo has a face, so a decision and a template.
        assert!(line["file"].as_str().unwrap().ends_with(name.as_str()), "{} vs {name}", line["file"]);
        assert!(line["decision"].is_string() && line["template"].is_string(), "{line}");
    }
    assert!(lines[total - 1]["error"]["code"].is_string(), "{}", lines[total - 1]);
    // Results are sealed at rest: no template text in the table.
    let raw: Vec<u8> =
        db.query_one("SELECT line FROM batch_result WHERE job = 'recheck' LIMIT 1", &[]).unwrap().get(0);
    assert!(!String::from_utf8_lossy(&raw).contains("\"template\""));
}

#[test]
fn the_cli_enrols_into_the_shared_store_and_rotates_its_key() {
    let Some(server) = PgServer::start() else { return };
    let url = server.database("cli");
    const K2: &str = "k2:HxwdHhsaGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA=";
    let run = |keys: &str, args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_sapa"))
            .args(args)
            .current_dir(root())
            .env("SAPA_STORE_URL", &url)
            .env("SAPA_STORE_KEYS", keys)
            .output()
            .expect("run sapa");
        json_out(&out)
    };
    let e = run(KEYS, &["enroll", IIN, "fixtures/astronaut.png"]);
    assert_eq!(e["enrolled"], true, "{e}");
    let r = run(&format!("{K2},{KEYS}"), &["references", "rekey"]);
    assert_eq!((r["resealed"].as_u64(), r["templates_by_key"]["k2"].as_u64()), (Some(1), Some(1)), "{r}");
    // Only the new key now: the rotated template still opens, and matches.
    let v = run(K2, &["verify", "--json", "--iin", IIN, "fixtures/astronaut.png"]);
    assert_eq!(v["decision"], "match", "{v}");
    assert!(!v.to_string().contains(IIN));
}
