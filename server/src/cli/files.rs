//! Reading input files in bounded chunks, so a list of a million photos never sits in memory.

use crate::error_code::ErrorCode;
use serde::Serialize;
use std::path::Path;

/// How many files are read and processed together.
pub const CHUNK: usize = 64;

/// A per-file error line: `{"file": ..., "error": {"code": ..., "message": ...}}`.
#[derive(Serialize)]
pub struct ErrorLine<'a> {
    pub file: &'a str,
    pub error: &'a ErrorBody,
}

#[derive(Serialize)]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
}

impl ErrorBody {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }
}

impl From<&sapa_engine::EngineError> for ErrorBody {
    fn from(e: &sapa_engine::EngineError) -> Self {
        Self::new(e.into(), e.to_string())
    }
}

/// Reads a file, turning an I/O failure into the `unreadable_file` code.
pub fn read(path: &Path) -> Result<Vec<u8>, ErrorBody> {
    std::fs::read(path)
        .map_err(|e| ErrorBody::new(ErrorCode::UnreadableFile, format!("{}: {e}", path.display())))
}

pub fn display(path: &Path) -> String {
    path.display().to_string()
}
