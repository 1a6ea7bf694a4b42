//! `--csv`: one row per photo for spreadsheets: file, decision, failed codes joined by `;`, and
//! the error code; when the run had signature samples, the same four for each one.

use super::row::Row;
use anyhow::Context;
use std::path::Path;

pub fn write(path: &Path, rows: &[&Row], with_signatures: bool) -> anyhow::Result<()> {
    let mut out = csv::Writer::from_path(path).with_context(|| format!("creating {}", path.display()))?;
    let mut header = vec!["file", "decision", "failed", "error"];
    if with_signatures {
        header.extend(["signature", "signature_decision", "signature_failed", "signature_error"]);
    }
    out.write_record(&header)?;
    for row in rows {
        let mut record = cells(row);
        if with_signatures {
            match &row.signature {
                Some(sig) => record.extend(cells(sig)),
                None => record.extend(std::iter::repeat_n(String::new(), 4)),
            }
        }
        out.write_record(&record)?;
    }
    out.flush()?;
    Ok(())
}

/// File, outcome, failed codes and error code of one result.
fn cells(row: &Row) -> Vec<String> {
    let error = row.error.as_ref().map(|e| e.code.clone()).unwrap_or_default();
    vec![row.file.clone(), row.outcome().to_string(), row.failed.join(";"), error]
}
