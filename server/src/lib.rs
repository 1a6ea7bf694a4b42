//! The shell around the engine: command line, reference store, ГБД ФЛ adapter and the HTTP
//! service. Everything that touches files, sockets and clocks lives here, not in the engine.

pub mod cli;
pub mod error_code;
pub mod fleet;
pub mod http;
pub mod pg;
pub mod references;
pub mod verdict;
