//! The reference side of face matching: who the applicant claims to be (the [`Iin`]), the
//! templates we hold for them ([`ReferenceStore`], SQLite or a shared PostgreSQL) and the state register's photo of them
//! ([`GbdClient`], the ГБД ФЛ adapter).
//!
//! Privacy by design, enforced by the types here rather than by reviewers:
//! - an [`Iin`] never prints its digits through `Debug`/`Display`; logs and audit events use
//!   [`Iin::keyed_hash`];
//! - the store and the cache hold face *templates* with their `model_id`, never photos; a
//!   photo fetched from ГБД ФЛ lives only for the time it takes to derive a template;
//! - a [`TemplateRecord`]'s `Debug` shows the template's length, not its bytes;
//! - error messages name what went wrong, never the IIN or the request URL.

mod breaker;
mod cache;
mod config;
mod error;
mod gbd;
mod iin;
mod lookup;
mod sealing;
mod store;
mod store_pg;
mod store_sqlite;

pub use breaker::{BreakerState, CircuitBreaker};
pub use cache::TemplateCache;
pub use config::{AuthHeader, ConfigError, GbdConfig};
pub use error::ReferenceError;
pub use gbd::{DeriveError, FnTemplateSource, GbdClient, TemplateSource};
pub use iin::{Iin, IinError, IinReason, Sex};
pub use lookup::{LookupError, Origin, find_current_reference, find_reference};
pub use sealing::{KEYS_ENV, Keyring, SealError};
pub use store::{
    ReferenceMeta, ReferenceStore, SCHEMA_VERSION, StoreError, StoreLocation, TemplateRecord,
    default_store_path,
};
