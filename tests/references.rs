//! The reference side against real things: a SQLite file on disk and a real HTTP server on
//! 127.0.0.1 standing in for ГБД ФЛ. Every test is bounded to well under a second or two.
//!
//! The template function here hashes the photo bytes. That is enough to test the adapter's
//! plumbing (fetch, derive, cache, drop the photo); the real template maths belongs to the
//! engine's recognition module and is tested there.

use sapa_server::references::{
    AuthHeader, BreakerState, FnTemplateSource, GbdClient, GbdConfig, Iin, LookupError, Origin,
    ReferenceError, ReferenceStore, TemplateRecord, TemplateSource, find_reference,
};
use sha2::{Digest, Sha256};
use std::io::Cursor;
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------
// IINs

/// Appends the check digit to 11 digits, longhand from the published rule; `None` when both
/// weighted sums give 10 (no IIN is issued with those digits).
fn complete(first11: &str) -> Option<String> {
    let d: Vec<u32> = first11.bytes().map(|b| u32::from(b - b'0')).collect();
    let w2 = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2];
    let s1: u32 = (0..11).map(|i| d[i] * (i as u32 + 1)).sum::<u32>() % 11;
    let s2: u32 = (0..11).map(|i| d[i] * w2[i]).sum::<u32>() % 11;
    let c = if s1 < 10 { s1 } else { s2 };
    (c < 10).then(|| format!("{first11}{c}"))
}

/// The `n`-th distinct valid IIN born 1 Jan 1990 (male).
fn person(n: u32) -> Iin {
    let s = (n * 10..n * 10 + 10)
        .find_map(|serial| complete(&format!("9001013{serial:04}")))
        .expect("one of ten serials is assignable");
    Iin::parse(&s).expect("valid IIN")
}

// ---------------------------------------------------------------------------------------------
// Store

fn record(model: &str, bytes: &[u8], source: &str) -> TemplateRecord {
    TemplateRecord {
        model_id: model.into(),
        template: bytes.to_vec(),
        enrolled_at: 1_750_000_000,
        source: source.into(),
        quality: 0.9,
        note: Some("test".into()),
    }
}

struct TempDb(PathBuf);
impl TempDb {
    fn new(tag: &str) -> Self {
        let p = std::env::temp_dir().join(format!(
            "sapa-ref-{tag}-{}-{:?}.sqlite",
            std::process::id(),
            Instant::now()
        ));
        TempDb(p)
    }
}
impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut s = self.0.clone().into_os_string();
            s.push(suffix);
            let _ = std::fs::remove_file(s);
        }
    }
}

#[test]
fn store_crud_per_model_and_persistence() {
    let db = TempDb::new("crud");
    let (a, b) = (person(1), person(2));
    {
        let store = ReferenceStore::open(&db.0).unwrap();
        store.put(&a, &record("m1", b"a-m1", "enrol")).unwrap();
        store.put(&a, &record("m2", b"a-m2", "gbd")).unwrap();
        store.put(&b, &record("m1", b"b-m1", "enrol")).unwrap();
        // Overwrite replaces only (a, m1).
        store.put(&a, &record("m1", b"a-m1-v2", "enrol")).unwrap();
        assert_eq!(store.count().unwrap(), 3);
        assert_eq!(store.get(&a, "m1").unwrap().unwrap().template, b"a-m1-v2");
        assert_eq!(store.get(&a, "m2").unwrap().unwrap().template, b"a-m2");
        assert_eq!(store.get(&b, "m2").unwrap(), None);

        let meta = store.metadata(&a).unwrap();
        assert_eq!(meta.len(), 2);
        assert_eq!((meta[0].model_id.as_str(), meta[0].template_len), ("m1", 7));
        assert_eq!((meta[1].model_id.as_str(), meta[1].source.as_str()), ("m2", "gbd"));
        assert_eq!(meta[1].note.as_deref(), Some("test"));
    }
    // Reopen: everything persisted, schema not re-run.
    let store = ReferenceStore::open(&db.0).unwrap();
    assert_eq!(store.count().unwrap(), 3);
    assert_eq!(store.get(&b, "m1").unwrap(), Some(record("m1", b"b-m1", "enrol")));
    assert_eq!(store.delete(&a).unwrap(), 2);
    assert_eq!(store.delete(&a).unwrap(), 0);
    assert_eq!(store.count().unwrap(), 1);
    assert!(store.metadata(&a).unwrap().is_empty());
}

#[test]
fn store_is_shared_across_threads() {
    let store = Arc::new(ReferenceStore::open_in_memory().unwrap());
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let store = store.clone();
            thread::spawn(move || {
                for i in 0..25 {
                    let p = person(t * 100 + i);
                    store.put(&p, &record("m1", &[t as u8, i as u8], "enrol")).unwrap();
                    assert!(store.get(&p, "m1").unwrap().is_some());
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(store.count().unwrap(), 100);
}

// ---------------------------------------------------------------------------------------------
// A stand-in for the register

#[derive(Clone)]
enum Mode {
    Photo(Vec<u8>),
    /// Photo sent chunked, without Content-Length.
    PhotoChunked(Vec<u8>),
    Status(u16),
    Sleep(Duration),
}

const KEY_HEADER: &str = "X-Gbd-Key";
const KEY: &str = "test-secret";

/// A real HTTP server on 127.0.0.1:0. It counts requests, insists on the auth header, and
/// answers `/photo/<iin>` per `mode`.
struct FakeGbd {
    port: u16,
    hits: Arc<AtomicUsize>,
    mode: Arc<Mutex<Mode>>,
    server: Arc<tiny_http::Server>,
}

impl FakeGbd {
    fn start(mode: Mode) -> Self {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
        let port = server.server_addr().to_ip().unwrap().port();
        let hits = Arc::new(AtomicUsize::new(0));
        let mode = Arc::new(Mutex::new(mode));
        let (s, h, m) = (server.clone(), hits.clone(), mode.clone());
        thread::spawn(move || {
            for req in s.incoming_requests() {
                h.fetch_add(1, Ordering::SeqCst);
                let mode = m.lock().unwrap().clone();
                // One thread per request, so a sleeping answer does not hold up the next.
                thread::spawn(move || answer(req, mode));
            }
        });
        FakeGbd { port, hits, mode, server }
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    fn config(&self) -> GbdConfig {
        let mut c = GbdConfig::with_url(format!("http://127.0.0.1:{}/photo/{{iin}}", self.port));
        c.allow_insecure_http = true;
        c.auth_header =
            Some(AuthHeader { name: KEY_HEADER.into(), value: Some(KEY.into()), value_env: None });
        c.timeout_ms = 1_000;
        c.retries = 2;
        c.backoff_ms = 10;
        c.backoff_max_ms = 40;
        c.breaker_failures = 3;
        c.breaker_cooldown_ms = 5_000;
        c.max_photo_bytes = 10_000;
        c
    }
}

impl Drop for FakeGbd {
    fn drop(&mut self) {
        self.server.unblock();
    }
}

fn answer(req: tiny_http::Request, mode: Mode) {
    let authorised = req.headers().iter().any(|h| h.field.equiv(KEY_HEADER) && h.value.as_str() == KEY);
    let iin_ok = req.url().strip_prefix("/photo/").is_some_and(|s| Iin::parse(s).is_ok());
    let status = |code: u16| tiny_http::Response::empty(code);
    let _ = match (authorised, iin_ok, mode) {
        (false, _, _) => req.respond(status(401)),
        (_, false, _) => req.respond(status(400)),
        (_, _, Mode::Photo(bytes)) => req.respond(tiny_http::Response::from_data(bytes)),
        (_, _, Mode::PhotoChunked(bytes)) => req.respond(tiny_http::Response::new(
            tiny_http::StatusCode(200),
            vec![],
            Cursor::new(bytes),
            None,
            None,
        )),
        (_, _, Mode::Status(code)) => req.respond(status(code)),
        (_, _, Mode::Sleep(d)) => {
            thread::sleep(d);
            req.respond(tiny_http::Response::from_data(b"late".to_vec()))
        }
    };
}

/// Stand-in for the engine: the "template" is the SHA-256 of the photo. Counts derivations.
fn hashing_source(calls: Arc<AtomicUsize>) -> Arc<dyn TemplateSource> {
    Arc::new(FnTemplateSource::new("fake-sha256-v1", move |photo: &[u8]| {
        calls.fetch_add(1, Ordering::SeqCst);
        if photo.starts_with(b"not-a-face") {
            return Err("no face found".to_string());
        }
        Ok((Sha256::digest(photo).to_vec(), 0.8))
    }))
}

fn client(cfg: GbdConfig) -> (GbdClient, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = GbdClient::new(cfg, hashing_source(calls.clone())).expect("config valid");
    (c, calls)
}

fn code(r: Result<TemplateRecord, ReferenceError>) -> &'static str {
    r.expect_err("expected an error").code()
}

// ---------------------------------------------------------------------------------------------
// Adapter

#[test]
fn found_is_derived_once_and_then_served_from_cache() {
    let photo = b"\xFF\xD8 pretend jpeg".to_vec();
    let gbd = FakeGbd::start(Mode::Photo(photo.clone()));
    let (c, derivations) = client(gbd.config());
    let p = person(1);

    let rec = c.reference(&p).unwrap();
    assert_eq!(rec.model_id, "fake-sha256-v1");
    assert_eq!(rec.template, Sha256::digest(&photo).to_vec());
    assert_eq!(rec.source, "gbd");
    assert!((rec.quality - 0.8).abs() < 1e-6);
    assert_eq!((gbd.hits(), derivations.load(Ordering::SeqCst)), (1, 1));

    let again = c.reference_for(p.as_str()).unwrap();
    assert_eq!(again, rec);
    assert_eq!(gbd.hits(), 1, "second lookup served from the cache");
    assert_eq!(derivations.load(Ordering::SeqCst), 1);
    assert_eq!(c.cached(), 1);

    // Another person is a separate entry; invalidation forces a refetch.
    c.reference(&person(2)).unwrap();
    assert_eq!(gbd.hits(), 2);
    c.invalidate(&p);
    c.reference(&p).unwrap();
    assert_eq!(gbd.hits(), 3);
    assert_eq!(c.breaker_state(), BreakerState::Closed);

    // The record goes straight into the store.
    let store = ReferenceStore::open_in_memory().unwrap();
    store.put(&p, &rec).unwrap();
    assert_eq!(store.get(&p, "fake-sha256-v1").unwrap(), Some(rec));
}

#[test]
fn lookup_asks_the_register_only_on_a_store_miss_and_caches_but_never_stores_its_template() {
    let photo = b"\xFF\xD8 pretend jpeg".to_vec();
    let gbd = FakeGbd::start(Mode::Photo(photo.clone()));
    let (c, _) = client(gbd.config());
    let store = ReferenceStore::open_in_memory().unwrap();
    let p = person(1);
    let (rec, origin) = find_reference(&store, &p, "fake-sha256-v1", || Ok(Some(&c))).unwrap();
    assert_eq!((origin, origin.as_str()), (Origin::Register, "gbd"));
    assert_eq!(rec.template, Sha256::digest(&photo).to_vec());
    assert_eq!(store.get(&p, "fake-sha256-v1").unwrap(), None, "a register template is not enrolled");
    assert_eq!(store.count().unwrap(), 0);
    // Within the TTL the adapter's cache answers; the register is not asked again.
    let (again, origin) = find_reference(&store, &p, "fake-sha256-v1", || Ok(Some(&c))).unwrap();
    assert_eq!((again, origin), (rec.clone(), Origin::Register));
    assert_eq!(gbd.hits(), 1);
    // Once the cache lets go (TTL, erasure), a renewed photo would be fetched again.
    c.invalidate(&p);
    find_reference(&store, &p, "fake-sha256-v1", || Ok(Some(&c))).unwrap();
    assert_eq!(gbd.hits(), 2);
    // An enrolled reference is answered from the store without asking the register.
    store.put(&p, &record("fake-sha256-v1", b"enrolled", "enrol")).unwrap();
    let never = || -> Result<Option<&GbdClient>, ReferenceError> { panic!("the register was asked") };
    let (enrolled, origin) = find_reference(&store, &p, "fake-sha256-v1", never).unwrap();
    assert_eq!((enrolled.source.as_str(), origin), ("enrol", Origin::Store));
    // The register's own answer comes through as its error.
    gbd.set(Mode::Status(404));
    let e = find_reference(&store, &person(2), "fake-sha256-v1", || Ok(Some(&c))).unwrap_err();
    assert!(matches!(e, LookupError::Register(ReferenceError::NotFound)), "{e}");
}

#[test]
fn not_found_is_not_retried() {
    let gbd = FakeGbd::start(Mode::Status(404));
    let (c, derivations) = client(gbd.config());
    assert_eq!(code(c.reference(&person(1))), "reference_not_found");
    assert_eq!(gbd.hits(), 1);
    assert_eq!(derivations.load(Ordering::SeqCst), 0);
    assert_eq!(c.breaker_state(), BreakerState::Closed, "404 means the register is up");
}

#[test]
fn invalid_iin_makes_no_request() {
    let gbd = FakeGbd::start(Mode::Status(404));
    let (c, _) = client(gbd.config());
    let e = c.reference_for("123456789012").unwrap_err();
    assert_eq!(e.code(), "invalid_iin");
    assert!(!e.to_string().contains("123456789012"), "{e}");
    assert_eq!(gbd.hits(), 0);
}

#[test]
fn slow_register_times_out_after_the_retries() {
    let gbd = FakeGbd::start(Mode::Sleep(Duration::from_millis(800)));
    let mut cfg = gbd.config();
    cfg.timeout_ms = 150;
    cfg.retries = 2;
    let (c, _) = client(cfg);
    let t = Instant::now();
    let e = c.reference(&person(1)).unwrap_err();
    let took = t.elapsed();
    assert_eq!(e.code(), "reference_unavailable");
    assert!(e.to_string().contains("timed out"), "{e}");
    assert!(e.to_string().contains("3 attempts"), "{e}");
    assert_eq!(gbd.hits(), 3, "1 + retries");
    assert!(took >= Duration::from_millis(450), "{took:?}");
    assert!(took < Duration::from_millis(2_000), "{took:?}");
}

#[test]
fn outage_opens_the_breaker_and_a_probe_closes_it() {
    let gbd = FakeGbd::start(Mode::Status(503));
    let mut cfg = gbd.config();
    cfg.retries = 1;
    cfg.breaker_failures = 2;
    cfg.breaker_cooldown_ms = 200;
    let (c, _) = client(cfg);
    let p = person(1);

    // Two failed lookups, two attempts each.
    for n in 1..=2 {
        let e = c.reference(&p).unwrap_err();
        assert_eq!(e.code(), "reference_unavailable");
        assert!(e.to_string().contains("HTTP 503"), "{e}");
        assert_eq!(gbd.hits(), 2 * n);
    }
    let since = match c.breaker_state() {
        BreakerState::Open { since } => since,
        s => panic!("expected open, got {s:?}"),
    };
    assert_eq!(c.open_since(), Some(since));

    // Open: fail fast, no request.
    let t = Instant::now();
    let e = c.reference(&p).unwrap_err();
    assert!(t.elapsed() < Duration::from_millis(50));
    assert_eq!(e.code(), "reference_unavailable");
    assert!(e.to_string().contains("circuit breaker open"), "{e}");
    assert_eq!(gbd.hits(), 4);

    // Still down after the cooldown: one probe (no retries), open again, same outage start.
    thread::sleep(Duration::from_millis(250));
    assert_eq!(c.breaker_state(), BreakerState::HalfOpen { since });
    assert_eq!(code(c.reference(&p)), "reference_unavailable");
    assert_eq!(gbd.hits(), 5);
    assert_eq!(c.breaker_state(), BreakerState::Open { since });

    // Healthy again: the next probe succeeds and closes the breaker.
    gbd.set(Mode::Photo(b"photo".to_vec()));
    thread::sleep(Duration::from_millis(250));
    c.reference(&p).unwrap();
    assert_eq!(gbd.hits(), 6);
    assert_eq!(c.breaker_state(), BreakerState::Closed);
    assert_eq!(c.open_since(), None);
}

#[test]
fn nothing_listening_is_unavailable_and_opens_the_breaker() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut cfg = GbdConfig::with_url(format!("http://127.0.0.1:{port}/photo/{{iin}}"));
    cfg.allow_insecure_http = true;
    cfg.timeout_ms = 300;
    cfg.retries = 1;
    cfg.backoff_ms = 5;
    cfg.breaker_failures = 1;
    cfg.breaker_cooldown_ms = 60_000;
    let (c, _) = client(cfg);
    let e = c.reference(&person(1)).unwrap_err();
    assert_eq!(e.code(), "reference_unavailable");
    assert!(!e.to_string().contains("127.0.0.1"), "no URL in messages: {e}");
    assert!(matches!(c.breaker_state(), BreakerState::Open { .. }));
    let t = Instant::now();
    assert_eq!(code(c.reference(&person(1))), "reference_unavailable");
    assert!(t.elapsed() < Duration::from_millis(50));
}

#[test]
fn wrong_credentials_are_unavailable_and_not_retried() {
    let gbd = FakeGbd::start(Mode::Photo(b"photo".to_vec()));
    let mut cfg = gbd.config();
    cfg.auth_header =
        Some(AuthHeader { name: KEY_HEADER.into(), value: Some("wrong".into()), value_env: None });
    let (c, _) = client(cfg);
    let e = c.reference(&person(1)).unwrap_err();
    assert_eq!(e.code(), "reference_unavailable");
    assert!(e.to_string().contains("credentials"), "{e}");
    assert!(!e.to_string().contains("wrong"), "{e}");
    assert_eq!(gbd.hits(), 1);

    // No header at all is refused the same way; the right one works.
    let mut cfg = gbd.config();
    cfg.auth_header = None;
    assert_eq!(code(client(cfg).0.reference(&person(1))), "reference_unavailable");
    assert_eq!(gbd.hits(), 2);
    client(gbd.config()).0.reference(&person(1)).unwrap();
    assert_eq!(gbd.hits(), 3);
}

#[test]
fn oversized_photo_is_refused() {
    let gbd = FakeGbd::start(Mode::Photo(vec![7u8; 20_000]));
    let (c, derivations) = client(gbd.config());
    let e = c.reference(&person(1)).unwrap_err();
    assert_eq!(e.code(), "reference_invalid");
    assert!(e.to_string().contains("max_photo_bytes"), "{e}");
    assert_eq!(gbd.hits(), 1, "not retried");

    // Without Content-Length the limit holds while reading.
    gbd.set(Mode::PhotoChunked(vec![7u8; 20_000]));
    assert_eq!(code(c.reference(&person(2))), "reference_invalid");
    assert_eq!(gbd.hits(), 2);

    // Exactly at the limit is fine.
    gbd.set(Mode::PhotoChunked(vec![7u8; 10_000]));
    c.reference(&person(3)).unwrap();
    assert_eq!(derivations.load(Ordering::SeqCst), 1);
    assert_eq!(c.breaker_state(), BreakerState::Closed);
}

#[test]
fn underivable_photo_is_reference_invalid_and_not_cached() {
    let gbd = FakeGbd::start(Mode::Photo(b"not-a-face".to_vec()));
    let (c, _) = client(gbd.config());
    let e = c.reference(&person(1)).unwrap_err();
    assert_eq!(e.code(), "reference_invalid");
    assert!(e.to_string().contains("no face found"), "{e}");
    assert_eq!(code(c.reference(&person(1))), "reference_invalid");
    assert_eq!(gbd.hits(), 2);
    assert_eq!(c.cached(), 0);
}

#[test]
fn config_from_toml() {
    let cfg: GbdConfig = toml::from_str(
        r#"
        url_template = "https://gbd.example/api/photo/{iin}"
        timeout_ms = 2500
        retries = 3
        auth_header = { name = "Authorization", value_env = "SAPA_GBD_TOKEN" }
        "#,
    )
    .unwrap();
    assert_eq!(cfg.timeout_ms, 2500);
    assert_eq!(cfg.retries, 3);
    assert_eq!(cfg.breaker_failures, 5, "default");
    assert_eq!(cfg.max_photo_bytes, 2 * 1024 * 1024, "default");
    assert!(cfg.validate().is_ok());
    let env = |k: &str| (k == "SAPA_GBD_TOKEN").then(|| "Bearer t".to_string());
    let (name, value) = cfg.auth_header.as_ref().unwrap().resolve_with(env).unwrap();
    assert_eq!((name.as_str(), value.as_str()), ("Authorization", "Bearer t"));
    assert!(!format!("{cfg:?}").contains("Bearer"));

    assert!(toml::from_str::<GbdConfig>("url_template = \"x\"\nretry = 1").is_err(), "typos are errors");
}
