//! The SQLite reference store: the default for one process on one machine.
//!
//! One connection behind a mutex: SQLite serialises writers anyway, our statements are short,
//! and it keeps the store `Send + Sync` with no pool to configure. WAL lets a second process
//! (an export or a backup) read while we write.

use super::iin::Iin;
use super::store::{ReferenceMeta, StoreError, TemplateRecord};
use rusqlite::{Connection, OptionalExtension, params};
use std::fmt;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// Schema version written to `PRAGMA user_version` by [`SqliteStore::open`].
pub const SCHEMA_VERSION: i64 = 1;

/// The SQLite store: one file, one process (plus readers). Thread-safe; share it with `Arc`.
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SqliteStore")
    }
}

impl SqliteStore {
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
        Ok(SqliteStore { conn: Mutex::new(conn) })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written (statements are
        // atomic), so a poisoned lock is safe to keep using.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Inserts or replaces the template of `iin` for `record.model_id` (checked by the caller).
    pub fn put(&self, iin: &Iin, record: &TemplateRecord) -> Result<(), StoreError> {
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

    /// Whether the database answers.
    pub fn ping(&self) -> Result<(), StoreError> {
        self.conn().query_row("SELECT 1", [], |_| Ok(()))?;
        Ok(())
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
