//! The PostgreSQL reference store, shared by every replica of the service.
//!
//! Templates are sealed (`sealing.rs`) before they leave the process: the database, its backups
//! and its replicas hold ciphertext, the key id that opens it, and the metadata the API shows
//! (model, time, source, quality, length). The IIN stays in the clear because erasure and
//! `references show` look it up; the audit log carries only its keyed hash.

use super::iin::Iin;
use super::sealing::Keyring;
use super::store::{ReferenceMeta, StoreError, TemplateRecord};
use crate::pg::{self, Conn, Pool, PoolOptions};
use std::fmt;

/// How many rows one re-keying transaction re-seals.
const REKEY_BATCH: i64 = 500;

pub struct PgStore {
    pool: Pool,
    keys: Keyring,
}

impl fmt::Debug for PgStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgStore").field("keys", &self.keys).finish()
    }
}

/// The associated data of a row's sealed template: the row's identity, so a template copied into
/// another row (another person or model) does not open.
fn aad(iin: &Iin, model_id: &str) -> Vec<u8> {
    format!("sapa-reference-v1\0{}\0{model_id}", iin.as_str()).into_bytes()
}

impl PgStore {
    pub fn connect(url: &str, keys: Keyring, options: &PoolOptions) -> Result<Self, StoreError> {
        Ok(PgStore { pool: pg::connect(url, options)?, keys })
    }

    fn conn(&self) -> Result<Conn, StoreError> {
        Ok(self.pool.get()?)
    }

    pub fn put(&self, iin: &Iin, record: &TemplateRecord) -> Result<(), StoreError> {
        let sealed = self.keys.seal(&record.template, &aad(iin, &record.model_id))?;
        let len = record.template.len() as i32;
        self.conn()?.execute(
            "INSERT INTO reference_template
                 (iin, model_id, key_id, template, template_len, enrolled_at, source, quality, note)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (iin, model_id) DO UPDATE SET
                 key_id = excluded.key_id, template = excluded.template,
                 template_len = excluded.template_len, enrolled_at = excluded.enrolled_at,
                 source = excluded.source, quality = excluded.quality, note = excluded.note",
            &[
                &iin.as_str(),
                &record.model_id,
                &self.keys.current_id(),
                &sealed,
                &len,
                &record.enrolled_at,
                &record.source,
                &record.quality,
                &record.note,
            ],
        )?;
        Ok(())
    }

    pub fn get(&self, iin: &Iin, model_id: &str) -> Result<Option<TemplateRecord>, StoreError> {
        let row = self.conn()?.query_opt(
            "SELECT key_id, template, enrolled_at, source, quality, note FROM reference_template
             WHERE iin = $1 AND model_id = $2",
            &[&iin.as_str(), &model_id],
        )?;
        let Some(row) = row else { return Ok(None) };
        let key_id: String = row.try_get(0)?;
        let sealed: Vec<u8> = row.try_get(1)?;
        Ok(Some(TemplateRecord {
            model_id: model_id.to_string(),
            template: self.keys.open(&key_id, &sealed, &aad(iin, model_id))?,
            enrolled_at: row.try_get(2)?,
            source: row.try_get(3)?,
            quality: row.try_get(4)?,
            note: row.try_get(5)?,
        }))
    }

    pub fn metadata(&self, iin: &Iin) -> Result<Vec<ReferenceMeta>, StoreError> {
        let rows = self.conn()?.query(
            "SELECT model_id, enrolled_at, source, quality, note, template_len
             FROM reference_template WHERE iin = $1 ORDER BY model_id",
            &[&iin.as_str()],
        )?;
        rows.iter()
            .map(|r| -> Result<ReferenceMeta, StoreError> {
                Ok(ReferenceMeta {
                    model_id: r.try_get(0)?,
                    enrolled_at: r.try_get(1)?,
                    source: r.try_get(2)?,
                    quality: r.try_get(3)?,
                    note: r.try_get(4)?,
                    template_len: r.try_get::<_, i32>(5)? as usize,
                })
            })
            .collect()
    }

    pub fn delete(&self, iin: &Iin) -> Result<usize, StoreError> {
        let n = self.conn()?.execute("DELETE FROM reference_template WHERE iin = $1", &[&iin.as_str()])?;
        Ok(n as usize)
    }

    pub fn purge_source(&self, source: &str) -> Result<usize, StoreError> {
        let n = self.conn()?.execute("DELETE FROM reference_template WHERE source = $1", &[&source])?;
        Ok(n as usize)
    }

    pub fn count(&self) -> Result<usize, StoreError> {
        let n: i64 = self.conn()?.query_one("SELECT count(*) FROM reference_template", &[])?.get(0);
        Ok(n as usize)
    }

    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(i64::from(pg::migrations::version(&mut *self.conn()?)?))
    }

    pub fn ping(&self) -> Result<(), StoreError> {
        self.conn()?.simple_query("SELECT 1")?;
        Ok(())
    }

    /// Re-seals, in batches of [`REKEY_BATCH`] rows per transaction, every template whose key id
    /// is not the current one. Rows are locked with `SKIP LOCKED`, so two operators running it
    /// at once, or replicas writing meanwhile, do not block each other.
    pub fn rekey(&self) -> Result<usize, StoreError> {
        let current = self.keys.current_id().to_string();
        let mut total = 0;
        loop {
            let mut conn = self.conn()?;
            let mut tx = conn.transaction()?;
            let rows = tx.query(
                "SELECT iin, model_id, key_id, template FROM reference_template
                 WHERE key_id <> $1 LIMIT $2 FOR UPDATE SKIP LOCKED",
                &[&current, &REKEY_BATCH],
            )?;
            if rows.is_empty() {
                return Ok(total);
            }
            for row in &rows {
                let (iin, model_id, key_id): (String, String, String) = (row.get(0), row.get(1), row.get(2));
                let iin =
                    Iin::parse(&iin).map_err(|_| StoreError::InvalidRecord("a stored IIN is invalid"))?;
                let plain = self.keys.open(&key_id, &row.get::<_, Vec<u8>>(3), &aad(&iin, &model_id))?;
                let sealed = self.keys.seal(&plain, &aad(&iin, &model_id))?;
                tx.execute(
                    "UPDATE reference_template SET key_id = $1, template = $2 WHERE iin = $3 AND model_id = $4",
                    &[&current, &sealed, &iin.as_str(), &model_id],
                )?;
            }
            tx.commit()?;
            total += rows.len();
        }
    }

    pub fn key_usage(&self) -> Result<Vec<(String, usize)>, StoreError> {
        let rows = self
            .conn()?
            .query("SELECT key_id, count(*) FROM reference_template GROUP BY key_id ORDER BY key_id", &[])?;
        Ok(rows.iter().map(|r| (r.get(0), r.get::<_, i64>(1) as usize)).collect())
    }
}
