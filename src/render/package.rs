//! The zip writer of our packages (DOCX, XLSX, the ZIP of both).
//!
//! Deterministic (entries in the given order, all dated 1980-01-01 00:00,
//! mode 0644, no extra fields) and cheap where the same bytes come again and
//! again: a part that is the same in every report is deflated once
//! ([`Deflated`]) and its compressed bytes are copied into each package; the
//! other parts go through one deflate state per thread, reset between parts
//! instead of allocated and zeroed anew (about 300 KB each time).
//!

use std::cell::RefCell;

use flate2::{Compress, Compression, FlushCompress, Status};

/// Why a package could not be written (always our failure: sizes past what
/// a zip without its 64-bit extension holds, or the compressor failing).
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    /// A part or the package is 4 GiB or more.
    #[error("打包失败：{0} 超过 4 GiB")]
    TooLarge(String),
    /// The compressor failed.
    #[error("打包失败：压缩 {part} 出错：{message}")]
    Deflate {
        /// The part.
        part: String,
        /// What the compressor said.
        message: String,
    },
}

/// A part deflated once, ready to be copied into any number of packages.
#[derive(Debug, Clone)]
pub struct Deflated {
    name: String,
    crc: u32,
    size: u32,
    data: Vec<u8>,
}

impl Deflated {
    /// Deflates `bytes` (level 1) as the part `name`.
    pub fn new(name: &str, bytes: &[u8]) -> Result<Deflated, PackageError> {
        Ok(Deflated {
            name: name.to_string(),
            crc: crc32fast::hash(bytes),
            size: size(name, bytes.len())?,
            data: deflate(name, bytes)?,
        })
    }
}

/// One entry of a package.
#[derive(Debug, Clone, Copy)]
pub enum Part<'a> {
    /// Deflated now: `(name, bytes)`.
    Deflate(&'a str, &'a [u8]),
    /// Stored as it is (for parts that are zip packages themselves).
    Store(&'a str, &'a [u8]),
    /// Deflated before.
    Ready(&'a Deflated),
}

/// Level 1: our parts are small and repetitive; higher levels cost several
/// times the time for a few hundred bytes.
const LEVEL: u32 = 1;

thread_local! {
    static COMPRESSOR: RefCell<Compress> = RefCell::new(Compress::new(Compression::new(LEVEL), false));
}

fn size(name: &str, len: usize) -> Result<u32, PackageError> {
    u32::try_from(len).map_err(|_| PackageError::TooLarge(name.to_string()))
}

/// Raw deflate of `bytes`, through this thread's compressor.
fn deflate(name: &str, bytes: &[u8]) -> Result<Vec<u8>, PackageError> {
    COMPRESSOR.with(|c| {
        let mut c = c.borrow_mut();
        c.reset();
        let mut out = Vec::with_capacity(bytes.len() / 4 + 64);
        loop {
            let consumed = usize::try_from(c.total_in()).unwrap_or(usize::MAX);
            let rest = bytes.get(consumed..).unwrap_or(&[]);
            let status = c
                .compress_vec(rest, &mut out, FlushCompress::Finish)
                .map_err(|e| PackageError::Deflate {
                    part: name.to_string(),
                    message: e.to_string(),
                })?;
            match status {
                Status::StreamEnd => return Ok(out),
                Status::Ok | Status::BufError => out.reserve(out.capacity().max(1024)),
            }
        }
    })
}

/// 1980-01-01 00:00 in MS-DOS date and time.
const DOS_DATE: u16 = (1 << 5) | 1;
const DOS_TIME: u16 = 0;
/// Regular file, rw-r--r--, in the upper half of the external attributes.
const UNIX_MODE: u32 = 0o100_644 << 16;
/// Made by: Unix (3), zip 2.0.
const MADE_BY: u16 = (3 << 8) | 20;
const NEEDED: u16 = 20;
/// Bit 11: the name is UTF-8.
const UTF8_NAME: u16 = 1 << 11;

struct Written {
    name_at: (usize, usize),
    flags: u16,
    method: u16,
    crc: u32,
    compressed: u32,
    size: u32,
    offset: u32,
}

fn u16le(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn u32le(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Writes the parts, in order, into one zip archive.
pub fn pack(parts: &[Part]) -> Result<Vec<u8>, PackageError> {
    let capacity: usize = parts
        .iter()
        .map(|p| match p {
            Part::Deflate(n, b) => n.len() * 2 + b.len() / 4 + 128,
            Part::Store(n, b) => n.len() * 2 + b.len() + 128,
            Part::Ready(d) => d.name.len() * 2 + d.data.len() + 128,
        })
        .sum::<usize>()
        + 64;
    let mut out = Vec::with_capacity(capacity);
    let mut names = String::new();
    let mut written = Vec::with_capacity(parts.len());
    for part in parts {
        let fresh;
        let (name, method, crc, len, data): (&str, u16, u32, u32, &[u8]) = match *part {
            Part::Deflate(name, bytes) => {
                fresh = deflate(name, bytes)?;
                let s = size(name, bytes.len())?;
                (name, 8, crc32fast::hash(bytes), s, &fresh)
            }
            Part::Store(name, bytes) => {
                let s = size(name, bytes.len())?;
                (name, 0, crc32fast::hash(bytes), s, bytes)
            }
            Part::Ready(d) => (&d.name, 8, d.crc, d.size, &d.data),
        };
        let flags = if name.is_ascii() { 0 } else { UTF8_NAME };
        let name_len =
            u16::try_from(name.len()).map_err(|_| PackageError::TooLarge(name.to_string()))?;
        let entry = Written {
            name_at: (names.len(), names.len() + name.len()),
            flags,
            method,
            crc,
            compressed: size(name, data.len())?,
            size: len,
            offset: size("zip", out.len())?,
        };
        names.push_str(name);
        u32le(&mut out, 0x0403_4b50);
        u16le(&mut out, NEEDED);
        u16le(&mut out, flags);
        u16le(&mut out, method);
        u16le(&mut out, DOS_TIME);
        u16le(&mut out, DOS_DATE);
        u32le(&mut out, entry.crc);
        u32le(&mut out, entry.compressed);
        u32le(&mut out, entry.size);
        u16le(&mut out, name_len);
        u16le(&mut out, 0);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        written.push(entry);
    }
    let directory_at = size("zip", out.len())?;
    for e in &written {
        let name = &names[e.name_at.0..e.name_at.1];
        u32le(&mut out, 0x0201_4b50);
        u16le(&mut out, MADE_BY);
        u16le(&mut out, NEEDED);
        u16le(&mut out, e.flags);
        u16le(&mut out, e.method);
        u16le(&mut out, DOS_TIME);
        u16le(&mut out, DOS_DATE);
        u32le(&mut out, e.crc);
        u32le(&mut out, e.compressed);
        u32le(&mut out, e.size);
        u16le(&mut out, name.len() as u16);
        u16le(&mut out, 0); // extra
        u16le(&mut out, 0); // comment
        u16le(&mut out, 0); // disk
        u16le(&mut out, 0); // internal attributes
        u32le(&mut out, UNIX_MODE);
        u32le(&mut out, e.offset);
        out.extend_from_slice(name.as_bytes());
    }
    let directory_size = size("zip", out.len())? - directory_at;
    let count = u16::try_from(written.len()).map_err(|_| PackageError::TooLarge("zip".into()))?;
    u32le(&mut out, 0x0605_4b50);
    u16le(&mut out, 0);
    u16le(&mut out, 0);
    u16le(&mut out, count);
    u16le(&mut out, count);
    u32le(&mut out, directory_size);
    u32le(&mut out, directory_at);
    u16le(&mut out, 0);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn entries(zip: &[u8]) -> Vec<(String, Vec<u8>, zip::CompressionMethod)> {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
        (0..archive.len())
            .map(|i| {
                let mut e = archive.by_index(i).unwrap();
                let mut data = Vec::new();
                e.read_to_end(&mut data).unwrap();
                (e.name().to_string(), data, e.compression())
            })
            .collect()
    }

    /// Every kind of part reads back (through the zip crate, with its CRC
    /// check), in order, with the right method; the same input gives the
    /// same bytes; a reused compressor deflates as a fresh one.
    #[test]
    fn parts_read_back_in_order() {
        let big: Vec<u8> = (0..200_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        let ready = Deflated::new("xl/styles.xml", b"<styleSheet/>").unwrap();
        let parts = [
            Part::Deflate("word/document.xml", &big),
            Part::Ready(&ready),
            Part::Store("潢川县.docx", b"PK stored"),
            Part::Deflate("empty.xml", b""),
        ];
        let zip = pack(&parts).unwrap();
        assert_eq!(pack(&parts).unwrap(), zip);
        let got = entries(&zip);
        assert_eq!(got.len(), 4);
        assert_eq!(
            (got[0].0.as_str(), got[0].1 == big),
            ("word/document.xml", true)
        );
        assert_eq!(
            (got[1].0.as_str(), &got[1].1[..]),
            ("xl/styles.xml", &b"<styleSheet/>"[..])
        );
        assert_eq!(
            (got[2].0.as_str(), &got[2].1[..]),
            ("潢川县.docx", &b"PK stored"[..])
        );
        assert_eq!(got[2].2, zip::CompressionMethod::Stored);
        assert_eq!(got[3].1, b"");
        let again = Deflated::new("xl/styles.xml", b"<styleSheet/>").unwrap();
        assert_eq!(again.data, ready.data);
    }

    /// Entries are dated 1980-01-01 00:00 and have mode 0644.
    #[test]
    fn fixed_dates_and_modes() {
        let zip = pack(&[Part::Deflate("a.xml", b"<a/>")]).unwrap();
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
        let e = archive.by_index(0).unwrap();
        let t = e.last_modified().unwrap();
        assert_eq!(
            (t.year(), t.month(), t.day(), t.hour(), t.minute()),
            (1980, 1, 1, 0, 0)
        );
        assert_eq!(e.unix_mode(), Some(0o100_644));
    }
}
