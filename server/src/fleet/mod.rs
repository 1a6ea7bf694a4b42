//! Batch re-checks split across machines: a job's photos sit in PostgreSQL in chunks, and any
//! number of `sapa worker` processes lease chunks, write one result per photo and let the lease
//! lapse if they die, so another worker takes the chunk over (`queue.rs`).

pub mod queue;

pub use queue::{Enqueued, JobOptions, JobStatus, Lease, Queue};
