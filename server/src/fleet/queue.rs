//! The job queue in PostgreSQL. Coordination is the database's, not ours: a chunk is taken with
//! `FOR UPDATE SKIP LOCKED` (two workers never take the same free chunk, and neither waits for
//! the other), held by a lease that the worker renews while it works, and free again once the
//! lease has expired. A result is one row per (job, photo), inserted with `ON CONFLICT DO
//! NOTHING`: a chunk done twice (a worker that was slow, not dead) still leaves one result per
//! photo. Result lines hold templates, so they are sealed like the reference store's.

use crate::pg::{self, Conn, PgError, Pool, PoolOptions};
use crate::references::{Keyring, SealError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error(transparent)]
    Pg(#[from] PgError),
    #[error(transparent)]
    Sealing(#[from] SealError),
    #[error("no job named {0:?} in the queue")]
    NoSuchJob(String),
    #[error("job {0:?} has no photos")]
    Empty(String),
    #[error("writing the export: {0}")]
    Io(#[from] std::io::Error),
}

impl From<postgres::Error> for QueueError {
    fn from(e: postgres::Error) -> Self {
        QueueError::Pg(PgError::Query(e))
    }
}

impl From<r2d2::Error> for QueueError {
    fn from(e: r2d2::Error) -> Self {
        QueueError::Pg(PgError::Unreachable(e))
    }
}

/// How every photo of a job is judged; fixed when the job is enqueued, so every worker agrees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobOptions {
    pub profile: String,
    pub lang: sapa_engine::validate::Lang,
    /// Recognition model id; `None`: the workers' default.
    pub model: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Enqueued {
    /// False when a job of that name was already there: nothing was added.
    pub created: bool,
    pub total: usize,
    pub chunks: usize,
}

/// A chunk held by one worker until `renew` fails or it is completed.
#[derive(Debug, Clone)]
pub struct Lease {
    pub job: String,
    pub chunk: i32,
    pub worker: String,
    /// The chunk's photos that have no result yet, as (seq, path).
    pub photos: Vec<(i32, String)>,
}

/// What `sapa batch --status` prints.
#[derive(Debug, Clone, Serialize)]
pub struct JobStatus {
    pub job: String,
    pub total: usize,
    pub done: usize,
    pub remaining: usize,
    /// Results by `accept`, `reject`, `error`.
    pub by_decision: BTreeMap<String, usize>,
    pub chunks: usize,
    pub chunks_done: usize,
    /// Chunks under an unexpired lease now.
    pub chunks_leased: usize,
    /// Workers holding a lease now.
    pub workers: Vec<String>,
    /// Chunks taken more than once (a worker died or was too slow).
    pub chunks_retaken: usize,
}

pub struct Queue {
    pool: Pool,
    keys: Keyring,
}

fn aad(job: &str, seq: i32) -> Vec<u8> {
    format!("sapa-batch-v1\0{job}\0{seq}").into_bytes()
}

impl Queue {
    /// Connects and migrates the schema (the same one as the reference store's).
    pub fn connect(url: &str, keys: Keyring) -> Result<Self, QueueError> {
        let options = PoolOptions { max_size: 4, ..PoolOptions::default() };
        Ok(Queue { pool: pg::connect(url, &options)?, keys })
    }

    fn conn(&self) -> Result<Conn, QueueError> {
        Ok(self.pool.get()?)
    }

    /// Adds job `name` with `paths` in chunks of `chunk_size`, once: a second call with the same
    /// name changes nothing and says so (`created: false`).
    pub fn enqueue(
        &self,
        name: &str,
        options: &JobOptions,
        paths: &[String],
        chunk_size: usize,
    ) -> Result<Enqueued, QueueError> {
        if paths.is_empty() {
            return Err(QueueError::Empty(name.to_string()));
        }
        let chunk_size = chunk_size.max(1) as i32;
        let total = paths.len() as i32;
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        let opts = serde_json::to_value(options).expect("options serialise");
        let inserted = tx.execute(
            "INSERT INTO batch_job (name, options, total, chunk_size) VALUES ($1, $2, $3, $4)
             ON CONFLICT (name) DO NOTHING",
            &[&name, &postgres::types::Json(&opts), &total, &chunk_size],
        )?;
        if inserted == 0 {
            let row = tx.query_one("SELECT total, chunk_size FROM batch_job WHERE name = $1", &[&name])?;
            let (total, size): (i32, i32) = (row.get(0), row.get(1));
            return Ok(Enqueued {
                created: false,
                total: total as usize,
                chunks: (total as usize).div_ceil(size as usize),
            });
        }
        for (n, part) in paths.chunks(10_000).enumerate() {
            let first = (n * 10_000) as i32;
            let seqs: Vec<i32> = (first..first + part.len() as i32).collect();
            tx.execute(
                "INSERT INTO batch_photo (job, seq, path) SELECT $1, s, p FROM unnest($2::int[], $3::text[]) AS u(s, p)",
                &[&name, &seqs, &part],
            )?;
        }
        let chunks = paths.len().div_ceil(chunk_size as usize);
        tx.execute(
            "INSERT INTO batch_chunk (job, chunk, first_seq, last_seq)
             SELECT $1, c, c * $2, least((c + 1) * $2, $3) - 1 FROM generate_series(0, $4 - 1) AS c",
            &[&name, &chunk_size, &total, &(chunks as i32)],
        )?;
        tx.commit()?;
        Ok(Enqueued { created: true, total: paths.len(), chunks })
    }

    /// The options the job was enqueued with.
    pub fn options(&self, job: &str) -> Result<JobOptions, QueueError> {
        let row = self.conn()?.query_opt("SELECT options FROM batch_job WHERE name = $1", &[&job])?;
        let row = row.ok_or_else(|| QueueError::NoSuchJob(job.to_string()))?;
        let postgres::types::Json(v): postgres::types::Json<serde_json::Value> = row.get(0);
        serde_json::from_value(v).map_err(|_| QueueError::NoSuchJob(job.to_string()))
    }

    /// Takes the first chunk that is neither done nor under an unexpired lease, for `lease`.
    /// `None` when there is none free now (all done, or all held by live workers).
    pub fn lease(&self, job: &str, worker: &str, lease: Duration) -> Result<Option<Lease>, QueueError> {
        let secs = lease.as_secs_f64();
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        let row = tx.query_opt(
            "SELECT chunk, first_seq, last_seq FROM batch_chunk
             WHERE job = $1 AND done_at IS NULL AND (lease_until IS NULL OR lease_until < now())
             ORDER BY chunk LIMIT 1 FOR UPDATE SKIP LOCKED",
            &[&job],
        )?;
        let Some(row) = row else { return Ok(None) };
        let (chunk, first, last): (i32, i32, i32) = (row.get(0), row.get(1), row.get(2));
        tx.execute(
            "UPDATE batch_chunk SET leased_by = $3, attempts = attempts + 1,
                 lease_until = now() + make_interval(secs => $4)
             WHERE job = $1 AND chunk = $2",
            &[&job, &chunk, &worker, &secs],
        )?;
        let photos: Vec<(i32, String)> = tx
            .query(
                "SELECT p.seq, p.path FROM batch_photo p
                 WHERE p.job = $1 AND p.seq BETWEEN $2 AND $3
                   AND NOT EXISTS (SELECT 1 FROM batch_result r WHERE r.job = p.job AND r.seq = p.seq)
                 ORDER BY p.seq",
                &[&job, &first, &last],
            )?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        tx.commit()?;
        Ok(Some(Lease { job: job.to_string(), chunk, worker: worker.to_string(), photos }))
    }

    /// Extends the lease; false when it is no longer this worker's (it expired and was taken).
    pub fn renew(&self, lease: &Lease, by: Duration) -> Result<bool, QueueError> {
        let n = self.conn()?.execute(
            "UPDATE batch_chunk SET lease_until = now() + make_interval(secs => $4)
             WHERE job = $1 AND chunk = $2 AND leased_by = $3 AND done_at IS NULL",
            &[&lease.job, &lease.chunk, &lease.worker, &by.as_secs_f64()],
        )?;
        Ok(n == 1)
    }

    /// Stores one photo's JSON line, sealed; a photo that already has a result keeps it.
    /// Returns whether this call wrote it.
    pub fn record(&self, lease: &Lease, seq: i32, decision: &str, line: &str) -> Result<bool, QueueError> {
        let sealed = self.keys.seal(line.as_bytes(), &aad(&lease.job, seq))?;
        let n = self.conn()?.execute(
            "INSERT INTO batch_result (job, seq, decision, key_id, line, worker) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (job, seq) DO NOTHING",
            &[&lease.job, &seq, &decision, &self.keys.current_id(), &sealed, &lease.worker],
        )?;
        Ok(n == 1)
    }

    /// Marks the chunk done when every photo in it has a result; returns whether it is done.
    pub fn complete(&self, lease: &Lease) -> Result<bool, QueueError> {
        let n = self.conn()?.execute(
            "UPDATE batch_chunk c SET done_at = now(), lease_until = NULL
             WHERE c.job = $1 AND c.chunk = $2 AND c.done_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM batch_photo p WHERE p.job = c.job
                   AND p.seq BETWEEN c.first_seq AND c.last_seq
                   AND NOT EXISTS (SELECT 1 FROM batch_result r WHERE r.job = p.job AND r.seq = p.seq))",
            &[&lease.job, &lease.chunk],
        )?;
        Ok(n == 1)
    }

    pub fn status(&self, job: &str) -> Result<JobStatus, QueueError> {
        let mut conn = self.conn()?;
        let total: i32 = conn
            .query_opt("SELECT total FROM batch_job WHERE name = $1", &[&job])?
            .ok_or_else(|| QueueError::NoSuchJob(job.to_string()))?
            .get(0);
        let by_decision: BTreeMap<String, usize> = conn
            .query("SELECT decision, count(*) FROM batch_result WHERE job = $1 GROUP BY decision", &[&job])?
            .iter()
            .map(|r| (r.get(0), r.get::<_, i64>(1) as usize))
            .collect();
        let chunks = conn.query_one(
            "SELECT count(*), count(done_at), count(*) FILTER (WHERE done_at IS NULL AND lease_until > now()),
                    count(*) FILTER (WHERE attempts > 1)
             FROM batch_chunk WHERE job = $1",
            &[&job],
        )?;
        let workers: Vec<String> = conn
            .query(
                "SELECT DISTINCT leased_by FROM batch_chunk
                 WHERE job = $1 AND done_at IS NULL AND lease_until > now() ORDER BY 1",
                &[&job],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let done: usize = by_decision.values().sum();
        let count = |i: usize| chunks.get::<_, i64>(i) as usize;
        Ok(JobStatus {
            job: job.to_string(),
            total: total as usize,
            done,
            remaining: (total as usize).saturating_sub(done),
            by_decision,
            chunks: count(0),
            chunks_done: count(1),
            chunks_leased: count(2),
            workers,
            chunks_retaken: count(3),
        })
    }

    /// Writes every result line in manifest order, opened, one per line (today's JSONL format);
    /// returns how many.
    pub fn export(&self, job: &str, out: &mut impl Write) -> Result<usize, QueueError> {
        self.status(job)?;
        let mut conn = self.conn()?;
        let mut written = 0;
        let mut after = -1i32;
        loop {
            let rows = conn.query(
                "SELECT seq, key_id, line FROM batch_result WHERE job = $1 AND seq > $2 ORDER BY seq LIMIT 5000",
                &[&job, &after],
            )?;
            let Some(last) = rows.last() else { break };
            after = last.get(0);
            for r in &rows {
                let line = self.keys.open(r.get(1), r.get(2), &aad(job, r.get(0)))?;
                out.write_all(&line)?;
                out.write_all(b"\n")?;
                written += 1;
            }
        }
        out.flush()?;
        Ok(written)
    }
}
