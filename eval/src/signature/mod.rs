//! Signature samples: a generated labelled set ([`synth`]) and its evaluation ([`eval`]): false
//! rejects of usable samples and recall of each defect by its own code, thresholds set on one
//! seed and reported on another.

pub mod eval;
pub mod pen;
pub mod rng;
pub mod synth;
