//! The reference store: face templates per person and model.
//!
//! Why templates and not photos: a template is what matching needs, it is much smaller, and a
//! leaked template is less useful than a leaked portrait. Why one row per (IIN, model_id):
//! templates of different models are not comparable, and when the model is upgraded both
//! generations must coexist until everyone is re-enrolled.
//!
//! Two backends behind one handle: SQLite (`store_sqlite.rs`, the default, one process) and
//! PostgreSQL (`store_pg.rs`, shared by replicas, templates sealed at rest). Callers see
//! [`ReferenceStore`] only, so the service, the CLI and the tests do not care which it is.

use super::iin::Iin;
use super::sealing::{Keyring, SealError};
use super::store_pg::PgStore;
pub use super::store_sqlite::SCHEMA_VERSION;
use super::store_sqlite::SqliteStore;
use crate::pg::{PgError, PoolOptions};
use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

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
    #[error("reference store: {0}")]
    Postgres(#[from] PgError),
    #[error("reference store: {0}")]
    Sealing(#[from] SealError),
    #[error("reference store: {0} is not supported by this backend")]
    Unsupported(&'static str),
}

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> Self {
        StoreError::Postgres(PgError::Query(e))
    }
}

impl From<r2d2::Error> for StoreError {
    fn from(e: r2d2::Error) -> Self {
        StoreError::Postgres(PgError::Unreachable(e))
    }
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
            ) | StoreError::Sealing(SealError::Tampered)
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

/// Where the references live: a SQLite file, or a PostgreSQL database shared by replicas.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreLocation {
    Sqlite(PathBuf),
    Postgres(String),
}

impl StoreLocation {
    /// A `postgres://` URL when one is given, else the SQLite file.
    pub fn choose(url: Option<&str>, path: &Path) -> Self {
        match url.map(str::trim).filter(|u| !u.is_empty()) {
            Some(url) => StoreLocation::Postgres(url.to_string()),
            None => StoreLocation::Sqlite(path.to_path_buf()),
        }
    }
}

/// Prints the file, or the URL without its password.
impl fmt::Display for StoreLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreLocation::Sqlite(p) => write!(f, "{}", p.display()),
            StoreLocation::Postgres(url) => f.write_str(&crate::pg::redact(url)),
        }
    }
}

impl fmt::Debug for StoreLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StoreLocation({self})")
    }
}

enum Backend {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

/// Thread-safe handle on the store, whichever backend; share it with `Arc`.
pub struct ReferenceStore(Backend);

impl fmt::Debug for ReferenceStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.0 {
            Backend::Sqlite(_) => "ReferenceStore(sqlite)",
            Backend::Postgres(_) => "ReferenceStore(postgres)",
        })
    }
}

macro_rules! each {
    ($self:ident, $s:ident => $e:expr) => {
        match &$self.0 {
            Backend::Sqlite($s) => $e,
            Backend::Postgres($s) => $e,
        }
    };
}

impl ReferenceStore {
    /// Opens (creating it and its directory if needed) the SQLite store at `path`, migrated to
    /// [`SCHEMA_VERSION`].
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Ok(ReferenceStore(Backend::Sqlite(SqliteStore::open(path)?)))
    }

    /// A private SQLite store that disappears with the handle; for tests and dry runs.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        Ok(ReferenceStore(Backend::Sqlite(SqliteStore::open_in_memory()?)))
    }

    /// Connects to the shared PostgreSQL store and migrates its schema; templates are sealed with
    /// `keys`. Fails when PostgreSQL cannot be reached.
    pub fn connect(url: &str, keys: Keyring, pool: &PoolOptions) -> Result<Self, StoreError> {
        Ok(ReferenceStore(Backend::Postgres(PgStore::connect(url, keys, pool)?)))
    }

    /// The store at `location`; a PostgreSQL store takes its keys from `SAPA_STORE_KEYS`.
    pub fn locate(location: &StoreLocation) -> Result<Self, StoreError> {
        match location {
            StoreLocation::Sqlite(path) => Self::open(path),
            StoreLocation::Postgres(url) => Self::connect(url, Keyring::from_env()?, &PoolOptions::default()),
        }
    }

    /// `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        match self.0 {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// Inserts or replaces the template of `iin` for `record.model_id`.
    pub fn put(&self, iin: &Iin, record: &TemplateRecord) -> Result<(), StoreError> {
        record.check()?;
        each!(self, s => s.put(iin, record))
    }

    /// The template of `iin` for `model_id`, if enrolled.
    pub fn get(&self, iin: &Iin, model_id: &str) -> Result<Option<TemplateRecord>, StoreError> {
        each!(self, s => s.get(iin, model_id))
    }

    /// Everything stored for `iin` except the template bytes, ordered by model.
    pub fn metadata(&self, iin: &Iin) -> Result<Vec<ReferenceMeta>, StoreError> {
        each!(self, s => s.metadata(iin))
    }

    /// Removes every template of `iin` (erasure on request, or before re-enrolment); returns
    /// how many rows went.
    pub fn delete(&self, iin: &Iin) -> Result<usize, StoreError> {
        each!(self, s => s.delete(iin))
    }

    /// Removes every template that came from `source` (e.g. `gbd`: register-derived templates,
    /// which older versions stored and which now live only in the adapter's TTL cache); returns
    /// how many rows went.
    pub fn purge_source(&self, source: &str) -> Result<usize, StoreError> {
        each!(self, s => s.purge_source(source))
    }

    /// Number of stored templates (rows, not persons).
    pub fn count(&self) -> Result<usize, StoreError> {
        each!(self, s => s.count())
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        each!(self, s => s.schema_version())
    }

    /// Whether the store answers now: a cheap query, for readiness.
    pub fn ping(&self) -> Result<(), StoreError> {
        each!(self, s => s.ping())
    }

    /// Re-seals every template not sealed with the current key; returns how many. Only the
    /// PostgreSQL store seals templates.
    pub fn rekey(&self) -> Result<usize, StoreError> {
        match &self.0 {
            Backend::Sqlite(_) => {
                Err(StoreError::Unsupported("key rotation (SQLite keeps templates in the clear)"))
            }
            Backend::Postgres(s) => s.rekey(),
        }
    }

    /// Templates per key id, for rotation: when the old id is gone from this list, drop its key.
    pub fn key_usage(&self) -> Result<Vec<(String, usize)>, StoreError> {
        match &self.0 {
            Backend::Sqlite(_) => {
                Err(StoreError::Unsupported("key usage (SQLite keeps templates in the clear)"))
            }
            Backend::Postgres(s) => s.key_usage(),
        }
    }
}

impl TemplateRecord {
    /// What every backend refuses to store.
    fn check(&self) -> Result<(), StoreError> {
        if self.model_id.is_empty() {
            return Err(StoreError::InvalidRecord("empty model_id"));
        }
        if self.template.is_empty() {
            return Err(StoreError::InvalidRecord("empty template"));
        }
        if !self.quality.is_finite() {
            return Err(StoreError::InvalidRecord("quality is not a finite number"));
        }
        Ok(())
    }
}

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
