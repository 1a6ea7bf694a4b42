//! The reference store's behaviour, the same suite on both backends: SQLite (a temp file) and a
//! real PostgreSQL server (`pg/`). Then what only the shared store does: sealed templates, key
//! rotation, versioned migrations, and PostgreSQL going away and coming back.

mod pg;

use pg::PgServer;
use sapa_server::pg::PoolOptions;
use sapa_server::references::{Iin, Keyring, ReferenceStore, StoreError, TemplateRecord};
use std::time::Duration;

const K1: &str = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const K2: &str = "k2:HxwdHhsaGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA=";

fn iin(n: u8) -> Iin {
    Iin::parse(if n == 0 { "061211600012" } else { "900101300017" }).unwrap()
}

fn rec(model: &str, bytes: &[u8], source: &str) -> TemplateRecord {
    TemplateRecord {
        model_id: model.into(),
        template: bytes.to_vec(),
        enrolled_at: 1_700_000_000,
        source: source.into(),
        quality: 0.75,
        note: None,
    }
}

fn pool() -> PoolOptions {
    PoolOptions { max_size: 4, connect_timeout: Duration::from_secs(2) }
}

/// What every backend must do.
fn suite(s: &ReferenceStore) {
    let (a, b) = (iin(0), iin(1));
    assert_eq!(s.count().unwrap(), 0);
    assert_eq!(s.get(&a, "m1").unwrap(), None);
    s.put(&a, &rec("m1", b"abc", "enrol")).unwrap();
    assert_eq!(s.get(&a, "m1").unwrap(), Some(rec("m1", b"abc", "enrol")));
    assert_eq!(s.get(&b, "m1").unwrap(), None, "one person's template is not another's");
    let mut newer = rec("m1", b"xyz!", "enrol");
    newer.note = Some("re-enrolled".into());
    s.put(&a, &newer).unwrap();
    assert_eq!(s.get(&a, "m1").unwrap(), Some(newer));
    s.put(&a, &rec("m0", b"0000000", "gbd")).unwrap();
    s.put(&b, &rec("m1", b"bbb", "enrol")).unwrap();
    let meta = s.metadata(&a).unwrap();
    let models: Vec<_> =
        meta.iter().map(|m| (m.model_id.as_str(), m.template_len, m.source.as_str())).collect();
    assert_eq!(models, [("m0", 7, "gbd"), ("m1", 4, "enrol")]);
    assert_eq!(s.count().unwrap(), 3);
    assert_eq!(s.purge_source("gbd").unwrap(), 1);
    assert_eq!(s.get(&a, "m0").unwrap(), None);
    assert!(matches!(s.put(&a, &rec("", b"a", "enrol")), Err(StoreError::InvalidRecord(_))));
    assert!(matches!(s.put(&a, &rec("m", b"", "enrol")), Err(StoreError::InvalidRecord(_))));
    let mut nan = rec("m", b"a", "enrol");
    nan.quality = f32::NAN;
    assert!(matches!(s.put(&a, &nan), Err(StoreError::InvalidRecord(_))));
    assert_eq!(s.delete(&a).unwrap(), 1);
    assert_eq!(s.get(&a, "m1").unwrap(), None);
    assert_eq!(s.count().unwrap(), 1);
    s.ping().unwrap();
}

#[test]
fn sqlite_store_passes_the_suite() {
    let dir = std::env::temp_dir().join(format!("sapa-store-suite-{}", std::process::id()));
    let s = ReferenceStore::open(dir.join("references.sqlite")).unwrap();
    assert_eq!(s.backend(), "sqlite");
    suite(&s);
    assert!(matches!(s.rekey(), Err(StoreError::Unsupported(_))));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn postgres_store_passes_the_suite_and_keeps_templates_sealed() {
    let Some(server) = PgServer::start() else { return };
    let url = server.database("suite");
    let s = ReferenceStore::connect(&url, Keyring::parse(K1).unwrap(), &pool()).unwrap();
    assert_eq!(s.backend(), "postgres");
    assert_eq!(s.schema_version().unwrap(), i64::from(sapa_server::pg::migrations::latest()));
    suite(&s);

    // At rest: ciphertext under key k1, never the template bytes.
    let plain = b"TEMPLATE-BYTES-0123456789";
    s.put(&iin(0), &rec("m9", plain, "enrol")).unwrap();
    let mut c = PgServer::client(&url);
    let row = c
        .query_one(
            "SELECT key_id, template FROM reference_template WHERE iin = $1 AND model_id = 'm9'",
            &[&iin(0).as_str()],
        )
        .unwrap();
    let (key_id, stored): (String, Vec<u8>) = (row.get(0), row.get(1));
    assert_eq!(key_id, "k1");
    assert!(!stored.windows(8).any(|w| plain.windows(8).any(|p| p == w)), "plaintext at rest");

    // A sealed template moved into another person's row does not open: damaged, not a match.
    c.execute(
        "INSERT INTO reference_template (iin, model_id, key_id, template, template_len, enrolled_at, source, quality)
         SELECT $1, model_id, key_id, template, template_len, enrolled_at, source, quality
         FROM reference_template WHERE iin = $2 AND model_id = 'm9'",
        &[&iin(1).as_str(), &iin(0).as_str()],
    )
    .unwrap();
    let e = s.get(&iin(1), "m9").unwrap_err();
    assert!(e.is_damaged_row(), "{e}");
}

#[test]
fn keys_rotate_without_downtime() {
    let Some(server) = PgServer::start() else { return };
    let url = server.database("rotate");
    let old = ReferenceStore::connect(&url, Keyring::parse(K1).unwrap(), &pool()).unwrap();
    for (n, m) in [(0, "m1"), (1, "m1"), (0, "m2")] {
        old.put(&iin(n), &rec(m, format!("t-{n}-{m}").as_bytes(), "enrol")).unwrap();
    }
    // Step 1: the new key first, the old one still listed: old rows open, new rows use k2.
    let both =
        ReferenceStore::connect(&url, Keyring::parse(&format!("{K2},{K1}")).unwrap(), &pool()).unwrap();
    assert_eq!(both.get(&iin(1), "m1").unwrap().unwrap().template, b"t-1-m1");
    // Step 2: re-seal.
    assert_eq!(both.rekey().unwrap(), 3);
    assert_eq!(both.key_usage().unwrap(), [("k2".to_string(), 3)]);
    assert_eq!(both.rekey().unwrap(), 0, "nothing left under an old key");
    // Step 3: drop the old key.
    let new = ReferenceStore::connect(&url, Keyring::parse(K2).unwrap(), &pool()).unwrap();
    assert_eq!(new.get(&iin(0), "m2").unwrap().unwrap().template, b"t-0-m2");
    // A replica still on the old key alone cannot open them: a typed error, not a panic.
    let e = old.get(&iin(0), "m2").unwrap_err();
    assert!(e.to_string().contains("k2"), "{e}");
}

#[test]
fn migrations_are_versioned_and_concurrent_replicas_agree() {
    let Some(server) = PgServer::start() else { return };
    let url = server.database("migrate");
    let handles: Vec<_> = (0..3)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || {
                ReferenceStore::connect(&url, Keyring::parse(K1).unwrap(), &pool())
                    .map(|s| s.schema_version().unwrap())
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap().unwrap(), i64::from(sapa_server::pg::migrations::latest()));
    }
    let mut c = PgServer::client(&url);
    let n: i64 = c.query_one("SELECT count(*) FROM sapa_schema_migrations", &[]).unwrap().get(0);
    assert_eq!(n as usize, sapa_server::pg::migrations::MIGRATIONS.len(), "each step applied once");
    c.execute("INSERT INTO sapa_schema_migrations (version, name) VALUES (99, 'from the future')", &[])
        .unwrap();
    let e = ReferenceStore::connect(&url, Keyring::parse(K1).unwrap(), &pool()).unwrap_err();
    assert!(e.to_string().contains("newer than this build"), "{e}");
}

#[test]
fn postgres_down_is_an_error_and_the_pool_recovers_after_a_restart() {
    let Some(mut server) = PgServer::start() else { return };
    let url = server.database("down");
    let s = ReferenceStore::connect(&url, Keyring::parse(K1).unwrap(), &pool()).unwrap();
    s.put(&iin(0), &rec("m1", b"abc", "enrol")).unwrap();
    server.stop();
    let e = s.get(&iin(0), "m1").unwrap_err();
    assert_eq!(e.code(), "reference_store_error");
    assert!(!e.is_damaged_row());
    assert!(s.ping().is_err());
    server.restart();
    assert_eq!(s.get(&iin(0), "m1").unwrap().unwrap().template, b"abc");
    s.ping().unwrap();
}
