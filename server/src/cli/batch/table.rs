//! `--csv`: one row per photo for spreadsheets: file, decision, failed codes joined by `;`, and
//! the error code.

use super::row::Row;
use anyhow::Context;
use std::path::Path;

pub fn write(path: &Path, rows: &[&Row]) -> anyhow::Result<()> {
    let mut out = csv::Writer::from_path(path).with_context(|| format!("creating {}", path.display()))?;
    out.write_record(["file", "decision", "failed", "error"])?;
    for row in rows {
        let failed = row.failed.join(";");
        let error = row.error.as_ref().map(|e| e.code.as_str()).unwrap_or("");
        out.write_record([row.file.as_str(), row.outcome(), &failed, error])?;
    }
    out.flush()?;
    Ok(())
}
