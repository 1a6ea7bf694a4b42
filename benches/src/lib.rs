//! Criterion benches live in this crate; see `benches/*.rs`.
