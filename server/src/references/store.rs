//! The reference store: face templates per person and model, in SQLite.
//!
//! Why templates and not photos: a template is what matching needs, it is much smaller, and a
//! leaked template is less useful than a leaked portrait. Why one row per (IIN, model_id):
//! templates of different models are not comparable, and when the model is upgraded both
//! generations must coexist until everyone is re-enrolled.
//!
//! One connection behind a mutex: SQLite serialises writers anyway, our statements are short,
//! and it keeps the store `Send + Sync` with no pool to configure. WAL lets a second process
//! (an export or a backup) read while we write.

use super::iin::Iin;
use rusqlite::{Connection, OptionalExtension, params};
use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// Schema version written to `PRAGMA user_version` by [`ReferenceStore::open`].
pub const SCHEMA_VERSION: i64 = 1;

/// One stored template and how it got there.
#[derive(Clone, PartialEq)]
pub struct TemplateRecord {
    /// Which engine model produced `template`; templates of different models never compare.
    pub model_id: String,
    /// Opaque bytes from the engine.
    pub template: Vec<u8>,
    /// Unix seconds.
    pub enrolled_at: i64,
    /// Where the reference came from, e.g. `"enrol"` (captured by us) or `"gbd"` (ГБД ФЛ).
    pub source: String,
    /// The engine's quality score of the image the template was made from.
    pub quality: f32,
    pub note: Option<String>,
}

impl TemplateRecord {
    /// The record of a template enrolled now from a photo we were given (`source = "enrol"`).
    pub fn enrolled(template: &sapa_engine::Template) -> Self {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
        TemplateRecord {
            model_id: template.model_id().to_string(),
            template: template.to_bytes(),
            enrolled_at: now.map_or(0, |d| d.as_secs() as i64),
            source: "enrol".into(),
            quality: template.quality(),
            note: None,
        }
    }
}

impl TemplateRecord {
    /// Whether the template was made with the pre-processing `version` tags. A template that
    /// does not decode counts as current, so it is answered as `reference_invalid` rather than
    /// mistaken for an older version.
    pub fn made_with(&self, version: &str) -> bool {
        sapa_engine::Template::from_bytes(&self.template).map_or(true, |t| t.model_version() == version)
    }
}

/// A template is biometric data: `Debug` shows its size, not its bytes.
impl fmt::Debug for TemplateRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TemplateRecord")
            .field("model_id", &self.model_id)
            .field("template", &format_args!("<{} bytes>", self.template.len()))
            .field("enrolled_at", &self.enrolled_at)
            .field("source", &self.source)
            .field("quality", &self.quality)
            .field("note", &self.note)
            .finish()
    }
}

/// What is known about one stored template, without the template.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferenceMeta {
    pub model_id: String,
    pub enrolled_at: i64,
    pub source: String,
    pub quality: f32,
    pub note: Option<String>,
    pub template_len: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("reference store: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("reference store schema version {found} is newer than this build supports ({supported})")]
    SchemaTooNew { found: i64, supported: i64 },
    #[error("reference store: invalid record: {0}")]
    InvalidRecord(&'static str),
    #[error("reference store: cannot create {path}: {source}")]
    Directory { path: String, source: std::io::Error },
}

impl StoreError {
    /// Whether a stored row could not be read back as a record (a wrong type, a NULL where a
    /// value belongs): the row is damaged, the store itself works.
    pub fn is_damaged_row(&self) -> bool {
        matches!(
            self,
            StoreError::Sqlite(
                rusqlite::Error::InvalidColumnType(..)
                    | rusqlite::Error::FromSqlConversionFailure(..)
                    | rusqlite::Error::IntegralValueOutOfRange(..)
            )
        )
    }

    /// Stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::InvalidRecord(_) => "reference_record_invalid",
            _ => "reference_store_error",
        }
    }
}

/// Where the store lives when nobody says: the user's data directory
/// (`$XDG_DATA_HOME/sapa/references.sqlite`, else `~/.local/share/sapa/references.sqlite`), not the
/// working directory, where a biometric database would be left behind in whatever checkout ran it.
/// Without either variable, `./sapa-references.sqlite`.
pub fn default_store_path() -> PathBuf {
    store_path_from(std::env::var_os("XDG_DATA_HOME"), std::env::var_os("HOME"))
}

fn store_path_from(xdg_data_home: Option<OsString>, home: Option<OsString>) -> PathBuf {
    let absolute = |v: OsString| Some(PathBuf::from(v)).filter(|p| p.is_absolute());
    match (xdg_data_home.and_then(absolute), home.and_then(absolute)) {
        (Some(data), _) => data.join("sapa").join("references.sqlite"),
        (None, Some(home)) => home.join(".local/share/sapa/references.sqlite"),
        (None, None) => PathBuf::from("sapa-references.sqlite"),
    }
}

/// Thread-safe handle on the store; share it with `Arc`.
pub struct ReferenceStore {
    conn: Mutex<Connection>,
}

impl fmt::Debug for ReferenceStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReferenceStore")
    }
}

impl ReferenceStore {
    /// Opens (creating it and its directory if needed) the store at `path` and migrates it to
    /// [`SCHEMA_VERSION`].
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|source| StoreError::Directory { path: dir.display().to_string(), source })?;
        }
        Self::init(Connection::open(path)?)
    }

    /// A private store that disappears with the handle; for tests and dry runs.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(conn: Connection) -> Result<Self, StoreError> {
        conn.busy_timeout(Duration::from_secs(5))?;
        // In-memory databases answer "memory"; that is fine.
        let _mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        migrate(&conn)?;
        Ok(ReferenceStore { conn: Mutex::new(conn) })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written (statements are
        // atomic), so a poisoned lock is safe to keep using.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Inserts or replaces the template of `iin` for `record.model_id`.
    pub fn put(&self, iin: &Iin, record: &TemplateRecord) -> Result<(), StoreError> {
        if record.model_id.is_empty() {
            return Err(StoreError::InvalidRecord("empty model_id"));
        }
        if record.template.is_empty() {
            return Err(StoreError::InvalidRecord("empty template"));
        }
        if !record.quality.is_finite() {
            return Err(StoreError::InvalidRecord("quality is not a finite number"));
        }
        self.conn().execute(
            "INSERT INTO reference_template
                 (iin, model_id, template, enrolled_at, source, quality, note)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (iin, model_id) DO UPDATE SET
                 template = excluded.template, enrolled_at = excluded.enrolled_at,
                 source = excluded.source, quality = excluded.quality, note = excluded.note",
            params![
                iin.as_str(),
                record.model_id,
                record.template,
                record.enrolled_at,
                record.source,
                f64::from(record.quality),
                record.note,
            ],
        )?;
        Ok(())
    }

    /// The template of `iin` for `model_id`, if enrolled.
    pub fn get(&self, iin: &Iin, model_id: &str) -> Result<Option<TemplateRecord>, StoreError> {
        let rec = self
            .conn()
            .query_row(
                "SELECT template, enrolled_at, source, quality, note FROM reference_template
                 WHERE iin = ?1 AND model_id = ?2",
                params![iin.as_str(), model_id],
                |r| {
                    Ok(TemplateRecord {
                        model_id: model_id.to_string(),
                        template: r.get(0)?,
                        enrolled_at: r.get(1)?,
                        source: r.get(2)?,
                        quality: r.get::<_, f64>(3)? as f32,
                        note: r.get(4)?,
                    })
                },
            )
            .optional()?;
        Ok(rec)
    }

    /// Everything stored for `iin` except the template bytes, ordered by model.
    pub fn metadata(&self, iin: &Iin) -> Result<Vec<ReferenceMeta>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT model_id, enrolled_at, source, quality, note, length(template)
             FROM reference_template WHERE iin = ?1 ORDER BY model_id",
        )?;
        let rows = stmt.query_map([iin.as_str()], |r| {
            Ok(ReferenceMeta {
                model_id: r.get(0)?,
                enrolled_at: r.get(1)?,
                source: r.get(2)?,
                quality: r.get::<_, f64>(3)? as f32,
                note: r.get(4)?,
                template_len: r.get::<_, i64>(5)? as usize,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Removes every template of `iin` (erasure on request, or before re-enrolment); returns
    /// how many rows went.
    pub fn delete(&self, iin: &Iin) -> Result<usize, StoreError> {
        Ok(self.conn().execute("DELETE FROM reference_template WHERE iin = ?1", [iin.as_str()])?)
    }

    /// Removes every template that came from `source` (e.g. `gbd`: register-derived templates,
    /// which older versions stored and which now live only in the adapter's TTL cache); returns
    /// how many rows went.
    pub fn purge_source(&self, source: &str) -> Result<usize, StoreError> {
        Ok(self.conn().execute("DELETE FROM reference_template WHERE source = ?1", [source])?)
    }

    /// Number of stored templates (rows, not persons).
    pub fn count(&self) -> Result<usize, StoreError> {
        let n: i64 = self.conn().query_row("SELECT count(*) FROM reference_template", [], |r| r.get(0))?;
        Ok(n as usize)
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(user_version(&self.conn())?)
    }
}

fn user_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

/// Brings the schema from whatever `user_version` says up to [`SCHEMA_VERSION`], one step per
/// version, each step in its own transaction. Refuses a database from a newer build rather than
/// guessing at its layout.
fn migrate(conn: &Connection) -> Result<(), StoreError> {
    let found = user_version(conn)?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew { found, supported: SCHEMA_VERSION });
    }
    for version in found + 1..=SCHEMA_VERSION {
        let step = match version {
            1 => V1,
            _ => unreachable!("no migration to schema version {version}"),
        };
        conn.execute_batch(&format!("BEGIN IMMEDIATE; {step} PRAGMA user_version = {version}; COMMIT;"))
            .inspect_err(|_| {
                let _ = conn.execute_batch("ROLLBACK");
            })?;
    }
    Ok(())
}

const V1: &str = "
CREATE TABLE reference_template (
    iin         TEXT    NOT NULL CHECK (length(iin) = 12),
    model_id    TEXT    NOT NULL CHECK (model_id <> ''),
    template    BLOB    NOT NULL,
    enrolled_at INTEGER NOT NULL,
    source      TEXT    NOT NULL,
    quality     REAL    NOT NULL,
    note        TEXT,
    PRIMARY KEY (iin, model_id)
) WITHOUT ROWID;
";

#[cfg(test)]
mod tests {
    use super::*;

    fn iin() -> Iin {
        Iin::parse("061211600012").unwrap()
    }

    fn rec(model: &str, bytes: &[u8]) -> TemplateRecord {
        TemplateRecord {
            model_id: model.into(),
            template: bytes.to_vec(),
            enrolled_at: 1_700_000_000,
            source: "enrol".into(),
            quality: 0.75,
            note: None,
        }
    }

    #[test]
    fn the_default_store_is_in_the_data_directory_not_the_working_directory() {
        let p = store_path_from(Some("/data".into()), Some("/home/a".into()));
        assert_eq!(p, PathBuf::from("/data/sapa/references.sqlite"));
        let p = store_path_from(Some("relative".into()), Some("/home/a".into()));
        assert_eq!(
            p,
            PathBuf::from("/home/a/.local/share/sapa/references.sqlite"),
            "XDG paths must be absolute"
        );
        assert_eq!(store_path_from(None, None), PathBuf::from("sapa-references.sqlite"));
    }

    #[test]
    fn purging_a_source_keeps_the_enrolled_references() {
        let s = ReferenceStore::open_in_memory().unwrap();
        let mut gbd = rec("m1", b"t1");
        gbd.source = "gbd".into();
        s.put(&iin(), &gbd).unwrap();
        s.put(&iin(), &rec("m2", b"t2")).unwrap();
        assert_eq!(s.purge_source("gbd").unwrap(), 1);
        assert_eq!(s.get(&iin(), "m1").unwrap(), None);
        assert!(s.get(&iin(), "m2").unwrap().is_some());
    }

    #[test]
    fn open_creates_the_directory() {
        let dir = std::env::temp_dir().join(format!("sapa-store-dir-{}", std::process::id()));
        let store = ReferenceStore::open(dir.join("a/b/references.sqlite")).unwrap();
        assert_eq!(store.count().unwrap(), 0);
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn round_trip_overwrite_delete() {
        let s = ReferenceStore::open_in_memory().unwrap();
        assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
        assert_eq!(s.get(&iin(), "m1").unwrap(), None);
        s.put(&iin(), &rec("m1", b"abc")).unwrap();
        assert_eq!(s.get(&iin(), "m1").unwrap(), Some(rec("m1", b"abc")));
        let mut newer = rec("m1", b"xyz");
        newer.note = Some("re-enrolled".into());
        s.put(&iin(), &newer).unwrap();
        assert_eq!(s.get(&iin(), "m1").unwrap(), Some(newer));
        assert_eq!(s.count().unwrap(), 1);
        assert_eq!(s.delete(&iin()).unwrap(), 1);
        assert_eq!(s.count().unwrap(), 0);
    }

    #[test]
    fn rejects_empty_records() {
        let s = ReferenceStore::open_in_memory().unwrap();
        assert!(matches!(s.put(&iin(), &rec("", b"a")), Err(StoreError::InvalidRecord(_))));
        assert!(matches!(s.put(&iin(), &rec("m", b"")), Err(StoreError::InvalidRecord(_))));
    }

    #[test]
    fn debug_hides_template_bytes() {
        let s = format!("{:?}", rec("m1", &[0xAB; 4]));
        assert!(s.contains("<4 bytes>"), "{s}");
        assert!(!s.contains("171"), "{s}");
    }
}
