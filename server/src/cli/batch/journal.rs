//! The results file: one JSON line per photo, each written whole (one write of the line and its
//! newline, then a flush), so a killed run leaves at most one torn line at the end. Resuming cuts
//! that torn tail off and reads back which files are already done.

use super::row::Row;
use anyhow::{Context, bail};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Mutex;

/// The open results file, shared by the workers.
pub struct Journal {
    file: Mutex<File>,
}

/// What an earlier run left behind.
#[derive(Default)]
pub struct Resumed {
    /// The completed lines, in file order.
    pub rows: Vec<Row>,
    /// Bytes of a torn last line that were cut off.
    pub torn_bytes: u64,
}

impl Journal {
    /// Starts a fresh results file (an existing one is replaced).
    pub fn create(path: &Path) -> anyhow::Result<Self> {
        let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
        Ok(Self { file: Mutex::new(file) })
    }

    /// Opens `path` to append after the lines a previous run completed, cutting off a torn last
    /// line. A missing file is an empty start.
    pub fn resume(path: &Path) -> anyhow::Result<(Self, Resumed)> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .with_context(|| format!("opening {}", path.display()))?;
        let mut resumed = Resumed::default();
        let mut complete_end = 0u64;
        let mut reader = BufReader::new(&file);
        let mut line = Vec::new();
        let mut number = 0;
        loop {
            line.clear();
            let n = reader.read_until(b'\n', &mut line)?;
            if n == 0 {
                break;
            }
            number += 1;
            if line.last() != Some(&b'\n') {
                resumed.torn_bytes = n as u64;
                break;
            }
            let text = std::str::from_utf8(&line[..n - 1]).ok();
            match text.and_then(|t| Row::parse(t).ok()) {
                Some(row) => resumed.rows.push(row),
                None => bail!(
                    "{} line {number} is not a batch result; refusing to resume into it",
                    path.display()
                ),
            }
            complete_end += n as u64;
        }
        drop(reader);
        file.set_len(complete_end)?;
        file.seek(SeekFrom::End(0))?;
        Ok((Self { file: Mutex::new(file) }, resumed))
    }

    /// Appends one line in a single write, then flushes it to the operating system.
    pub fn append(&self, line: &str) -> std::io::Result<()> {
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        let mut file = self.file.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        file.write_all(&bytes)?;
        file.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resume_cuts_a_torn_line_and_keeps_the_complete_ones() {
        let dir = std::env::temp_dir().join(format!("sapa-journal-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("r.jsonl");
        std::fs::write(
            &path,
            "{\"file\":\"a\",\"decision\":\"accept\",\"failed\":[]}\n{\"file\":\"b\",\"deci",
        )
        .unwrap();
        let (journal, resumed) = Journal::resume(&path).unwrap();
        assert_eq!(resumed.rows.len(), 1);
        assert_eq!(resumed.rows[0].file, "a");
        assert_eq!(resumed.torn_bytes, 17);
        journal.append("{\"file\":\"b\",\"error\":{\"code\":\"x\",\"message\":\"m\"}}").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 2);
        assert!(text.ends_with("}}\n"));
        std::fs::write(&path, "not json\n").unwrap();
        assert!(Journal::resume(&path).is_err());
    }
}
