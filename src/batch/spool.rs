//! Per-input results parked on disk while the batch runs, so that memory does
//! not grow with the number of agencies.
//!
//! Each result is one JSON line, in one of three files by status (failed,
//! unreadable, succeeded: the order of the check report), and each file
//! written is one JSON line of the manifest. The files are hidden in the
//! output folder and removed when the spool is dropped.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use super::{InputResult, Status};

/// The check report's order of statuses.
pub const ORDER: [Status; 3] = [Status::Failed, Status::Unreadable, Status::Ok];

/// Results and manifest lines on disk.
pub struct Spool {
    paths: Vec<PathBuf>,
    writers: Vec<BufWriter<File>>,
}

fn slot(status: Status) -> usize {
    ORDER.iter().position(|s| *s == status).unwrap_or(0)
}

/// Index of the manifest lines among the spool files.
const MANIFEST: usize = 3;

impl Spool {
    /// Creates the spool files in `dir`.
    pub fn create(dir: &Path) -> std::io::Result<Spool> {
        let mut spool = Spool {
            paths: Vec::new(),
            writers: Vec::new(),
        };
        for kind in ["failed", "unreadable", "ok", "manifest"] {
            let path = dir.join(format!(".nianbao-batch-{kind}.{}.tmp", std::process::id()));
            // Pushed before creating, so that Drop removes whatever was created.
            spool.paths.push(path.clone());
            spool.writers.push(BufWriter::new(File::create(&path)?));
        }
        Ok(spool)
    }

    /// Parks one result and its files' manifest lines.
    pub fn push(&mut self, result: &InputResult) -> std::io::Result<()> {
        let out = &mut self.writers[slot(result.status)];
        serde_json::to_writer(&mut *out, result)?;
        out.write_all(b"\n")?;
        let out = &mut self.writers[MANIFEST];
        for entry in &result.files {
            serde_json::to_writer(&mut *out, entry)?;
            out.write_all(b"\n")?;
        }
        Ok(())
    }

    /// Flushes everything written so far, so that it can be read back.
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.writers.iter_mut().try_for_each(|w| w.flush())
    }

    /// The parked results as JSON lines, in check-report order.
    pub fn results(&self) -> impl Iterator<Item = std::io::Result<String>> + '_ {
        self.paths[..MANIFEST].iter().flat_map(lines)
    }

    /// The parked manifest entries as JSON lines, in input order.
    pub fn manifest_lines(&self) -> impl Iterator<Item = std::io::Result<String>> + '_ {
        lines(&self.paths[MANIFEST])
    }
}

/// The lines of `path` (an error as the only item when it cannot be opened).
fn lines(path: &PathBuf) -> Box<dyn Iterator<Item = std::io::Result<String>>> {
    match File::open(path) {
        Ok(f) => Box::new(BufReader::new(f).lines()),
        Err(e) => Box::new(std::iter::once(Err(e))),
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        self.writers.clear();
        for path in &self.paths {
            let _ = std::fs::remove_file(path);
        }
    }
}
