//! `--csv`: one row per photo for spreadsheets: file, decision, failed codes joined by `;`, and
//! the error code.

use super::row::Row;
use crate::cli::csv::join_line;
use anyhow::Context;
use std::io::Write;
use std::path::Path;

pub fn write(path: &Path, rows: &[&Row]) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
    );
    writeln!(out, "file,decision,failed,error")?;
    for row in rows {
        let failed = row.failed.join(";");
        let error = row.error.as_ref().map(|e| e.code.as_str()).unwrap_or("");
        writeln!(out, "{}", join_line(&[&row.file, row.outcome(), &failed, error]))?;
    }
    out.flush()?;
    Ok(())
}
