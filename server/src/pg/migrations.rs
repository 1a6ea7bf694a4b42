//! Versioned schema migrations for PostgreSQL. Each step runs once, in order, recorded in
//! `sapa_schema_migrations`; replicas that start together serialise on an advisory lock, so one
//! applies a step and the others find it done. A database from a newer build is refused rather
//! than guessed at.

use super::PgError;
use postgres::GenericClient;

/// (version, what it does, SQL). Append only: a released step is never edited.
pub const MIGRATIONS: &[(i32, &str, &str)] =
    &[(1, "reference templates, sealed", V1), (2, "distributed batch queue", V2)];

/// The newest schema version this build knows.
pub fn latest() -> i32 {
    MIGRATIONS.last().map_or(0, |m| m.0)
}

/// Any key will do as long as no other application on the database uses it.
const LOCK_KEY: i64 = 0x5a5a_0020;

pub fn migrate(conn: &mut impl GenericClient) -> Result<i32, PgError> {
    let mut tx = conn.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY])?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS sapa_schema_migrations (
             version    integer PRIMARY KEY,
             name       text NOT NULL,
             applied_at timestamptz NOT NULL DEFAULT now())",
    )?;
    let found: i32 =
        tx.query_one("SELECT coalesce(max(version), 0) FROM sapa_schema_migrations", &[])?.get(0);
    if found > latest() {
        return Err(PgError::SchemaTooNew { found, supported: latest() });
    }
    for (version, name, sql) in MIGRATIONS.iter().filter(|m| m.0 > found) {
        tx.batch_execute(sql)?;
        tx.execute("INSERT INTO sapa_schema_migrations (version, name) VALUES ($1, $2)", &[version, name])?;
    }
    tx.commit()?;
    Ok(latest())
}

/// The version recorded in the database.
pub fn version(conn: &mut impl GenericClient) -> Result<i32, PgError> {
    Ok(conn.query_one("SELECT coalesce(max(version), 0) FROM sapa_schema_migrations", &[])?.get(0))
}

const V1: &str = "
CREATE TABLE reference_template (
    iin          text     NOT NULL CHECK (length(iin) = 12),
    model_id     text     NOT NULL CHECK (model_id <> ''),
    key_id       text     NOT NULL,
    template     bytea    NOT NULL,
    template_len integer  NOT NULL,
    enrolled_at  bigint   NOT NULL,
    source       text     NOT NULL,
    quality      real     NOT NULL,
    note         text,
    PRIMARY KEY (iin, model_id)
);
CREATE INDEX reference_template_source ON reference_template (source);
CREATE INDEX reference_template_key ON reference_template (key_id);
";

const V2: &str = "
CREATE TABLE batch_job (
    name        text        PRIMARY KEY,
    options     jsonb       NOT NULL,
    total       integer     NOT NULL,
    chunk_size  integer     NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE batch_photo (
    job   text    NOT NULL REFERENCES batch_job (name) ON DELETE CASCADE,
    seq   integer NOT NULL,
    path  text    NOT NULL,
    PRIMARY KEY (job, seq)
);
CREATE TABLE batch_chunk (
    job          text        NOT NULL REFERENCES batch_job (name) ON DELETE CASCADE,
    chunk        integer     NOT NULL,
    first_seq    integer     NOT NULL,
    last_seq     integer     NOT NULL,
    leased_by    text,
    lease_until  timestamptz,
    attempts     integer     NOT NULL DEFAULT 0,
    done_at      timestamptz,
    PRIMARY KEY (job, chunk)
);
CREATE INDEX batch_chunk_open ON batch_chunk (job, chunk) WHERE done_at IS NULL;
CREATE TABLE batch_result (
    job       text        NOT NULL REFERENCES batch_job (name) ON DELETE CASCADE,
    seq       integer     NOT NULL,
    decision  text        NOT NULL,
    key_id    text        NOT NULL,
    line      bytea       NOT NULL,
    worker    text        NOT NULL,
    done_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (job, seq)
);
";
