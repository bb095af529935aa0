//! Per-input results parked on disk while the batch runs, so that memory does
//! not grow with the number of agencies.
//!
//! Each result is one JSON line, in one of three files by status (failed,
//! unreadable, succeeded: the order of the check report), and each file
//! written is one JSON line of the manifest. The files are in the output
//! folder (the same disk as the outputs, not a `/tmp` that may be memory) but
//! have no name (`tempfile::tempfile_in`: `O_TMPFILE`, or unlinked at once):
//! nothing is left behind, even when the process is killed.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Seek, SeekFrom, Write};
use std::path::Path;

use super::{InputResult, Status};

/// The check report's order of statuses.
pub const ORDER: [Status; 3] = [Status::Failed, Status::Unreadable, Status::Ok];

/// Results and manifest lines on disk.
pub struct Spool {
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
        let writers = (0..=MANIFEST)
            .map(|_| tempfile::tempfile_in(dir).map(BufWriter::new))
            .collect::<std::io::Result<_>>()?;
        Ok(Spool { writers })
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

    /// Flushes everything written so far, so that it can be read back. The
    /// spool is read only after the last [`Spool::push`].
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.writers.iter_mut().try_for_each(|w| w.flush())
    }

    /// The parked results as JSON lines, in check-report order.
    pub fn results(&self) -> impl Iterator<Item = std::io::Result<String>> + '_ {
        self.writers[..MANIFEST].iter().flat_map(lines)
    }

    /// The parked manifest entries as JSON lines, in input order.
    pub fn manifest_lines(&self) -> impl Iterator<Item = std::io::Result<String>> + '_ {
        lines(&self.writers[MANIFEST])
    }
}

/// The lines of a spool file from its start (an error as the only item when
/// it cannot be read).
fn lines(writer: &BufWriter<File>) -> Box<dyn Iterator<Item = std::io::Result<String>>> {
    // A second handle shares the position: rewound here, read to the end.
    let reader = writer.get_ref().try_clone().and_then(|mut f| {
        f.seek(SeekFrom::Start(0))?;
        Ok(f)
    });
    match reader {
        Ok(f) => Box::new(BufReader::new(f).lines()),
        Err(e) => Box::new(std::iter::once(Err(e))),
    }
}
