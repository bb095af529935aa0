//! The statistical workbook from a skeleton: rust_xlsxwriter writes a book
//! of a given shape once per process; each report then only writes its
//! values into the copy.
//!
//! A [`Book`] records every write of the builder ([`crate::render::sheet`]).
//! Books of the same shape ([`Book::same_shape`]: same cells, formats,
//! merges, formulas, heights; only values differ) give the same package but
//! for the text between `<v>` and `</v>` of each cell, the shared strings
//! and the document properties. So the first book of a shape is written by
//! rust_xlsxwriter, with marker document properties, and cut into a
//! [`Skeleton`]:
//!
//! - every part but the sheets, `sharedStrings.xml` and `docProps/*` is
//!   deflated once ([`Deflated`]);
//! - each sheet is kept as its XML with the value of each cell cut out, and
//!   which write of the book supplies it;
//! - the shared strings are numbered again per report, the way rust_xlsxwriter
//!   numbers them (in sheet order, row by row, first use first);
//! - the document properties are the marker ones, cut at the markers.
//!
//! A book with a write the skeleton cannot express (a data validation,
//! sheet protection, a string rust_xlsxwriter escapes or refuses) is not
//! taken: [`write`] returns `None` and the caller uses rust_xlsxwriter.
//! Tests (in `xlsx.rs`, which uses this module) compare both paths part for part.

use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, LazyLock, RwLock};

use crate::render::package::{Deflated, Part, pack};
use crate::render::sheet::{Book, Op, Properties, StringKind, string_kind};

/// At most this many shapes are kept (a batch has one or two).
const MAX_SKELETONS: usize = 16;

static SKELETONS: LazyLock<RwLock<Vec<Arc<Skeleton>>>> = LazyLock::new(|| RwLock::new(Vec::new()));

/// The package of `book`, written from the skeleton of its shape (built now
/// if it is the first of its shape), or `None` where the skeleton does not
/// apply.
pub(crate) fn write(book: &Book) -> Option<Vec<u8>> {
    if !properties_plain(&book.properties) {
        return None;
    }
    let found = SKELETONS
        .read()
        .ok()?
        .iter()
        .find(|s| s.book.same_shape(book))
        .cloned();
    let skeleton = match found {
        Some(s) => s,
        // A skeleton only from a book whose every write it can express.
        None if !book.is_transparent() => return None,
        None => {
            let built = Arc::new(Skeleton::build(book)?);
            if let Ok(mut all) = SKELETONS.write()
                && all.len() < MAX_SKELETONS
            {
                all.push(Arc::clone(&built));
            }
            built
        }
    };
    skeleton.write(book)
}

fn properties_plain(p: &Properties) -> bool {
    [&p.title, &p.subject, &p.author, &p.company, &p.comment]
        .iter()
        .all(|s| string_kind(s) != StringKind::Special && !s.contains(MARK_OPEN))
}

/// Marker text of document property `k`: private-use characters that no
/// escaping touches.
const MARK_OPEN: char = '\u{E000}';
const MARK_CLOSE: char = '\u{E001}';
/// The marker creation date, and how rust_xlsxwriter writes it.
const MARK_DATE: (u16, u8, u8) = (1901, 2, 3);
const MARK_DATE_TEXT: &str = "1901-02-03T00:00:00Z";

fn marker(k: usize) -> String {
    format!("{MARK_OPEN}{k}{MARK_CLOSE}")
}

/// What goes into a cut.
#[derive(Debug, Clone, Copy)]
enum Fill {
    /// The value of write `op` of sheet `sheet`.
    Cell { sheet: usize, op: usize },
    /// Document property `k` (title, subject, author, company, comment).
    Property(usize),
    /// The creation date.
    Created,
}

/// A part as text with cuts: `pieces[i]`, then fill `i`, …, then the last piece.
#[derive(Debug)]
struct Cut {
    pieces: Vec<Vec<u8>>,
    fills: Vec<Fill>,
}

#[derive(Debug)]
enum SkeletonPart {
    Static(Deflated),
    Cut(String, Cut),
    /// `sharedStrings.xml`: what comes before ` count="`.
    SharedStrings(String, Vec<u8>),
}

/// The package of one shape, with the values cut out.
#[derive(Debug)]
pub(crate) struct Skeleton {
    /// The first book of this shape.
    book: Book,
    parts: Vec<SkeletonPart>,
}

impl Skeleton {
    fn build(book: &Book) -> Option<Skeleton> {
        let markers = Properties {
            title: marker(0),
            subject: marker(1),
            author: marker(2),
            company: marker(3),
            comment: marker(4),
            created: MARK_DATE,
        };
        let bytes = book
            .to_workbook_with(&markers)
            .and_then(|mut wb| wb.save_to_buffer())
            .ok()?;
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).ok()?;
        let mut parts = Vec::with_capacity(archive.len());
        for i in 0..archive.len() {
            let mut entry = archive.by_index(i).ok()?;
            let name = entry.name().to_string();
            let mut xml = Vec::new();
            entry.read_to_end(&mut xml).ok()?;
            let part = if let Some(n) = sheet_number(&name) {
                SkeletonPart::Cut(name, cut_sheet(&xml, book, n.checked_sub(1)?)?)
            } else if name == "xl/sharedStrings.xml" {
                let at = memchr::memmem::find(&xml, b" count=\"")?;
                SkeletonPart::SharedStrings(name, xml[..at].to_vec())
            } else if name.starts_with("docProps/") {
                SkeletonPart::Cut(name, cut_properties(&xml)?)
            } else {
                SkeletonPart::Static(Deflated::new(&name, &xml).ok()?)
            };
            parts.push(part);
        }
        Some(Skeleton {
            book: book.clone(),
            parts,
        })
    }

    fn write(&self, book: &Book) -> Option<Vec<u8>> {
        let mut strings = SharedStrings::default();
        let mut written: Vec<(usize, Vec<u8>)> = Vec::with_capacity(self.parts.len());
        for (i, part) in self.parts.iter().enumerate() {
            match part {
                SkeletonPart::Cut(_, cut) => {
                    written.push((i, fill(cut, book, &mut strings)?));
                }
                SkeletonPart::Static(_) | SkeletonPart::SharedStrings(..) => {}
            }
        }
        for (i, part) in self.parts.iter().enumerate() {
            if let SkeletonPart::SharedStrings(_, head) = part {
                written.push((i, strings.xml(head)));
            }
        }
        let entries: Vec<Part> = self
            .parts
            .iter()
            .enumerate()
            .map(|(i, part)| match part {
                SkeletonPart::Static(d) => Part::Ready(d),
                SkeletonPart::Cut(name, _) | SkeletonPart::SharedStrings(name, _) => {
                    let bytes = written
                        .iter()
                        .find(|(j, _)| *j == i)
                        .map_or(&[][..], |(_, b)| &b[..]);
                    Part::Deflate(name, bytes)
                }
            })
            .collect();
        pack(&entries).ok()
    }
}

/// `xl/worksheets/sheet7.xml` → 7.
fn sheet_number(name: &str) -> Option<usize> {
    name.strip_prefix("xl/worksheets/sheet")?
        .strip_suffix(".xml")?
        .parse()
        .ok()
}

/// `"AB12"` → (row 11, col 27), from 0.
fn cell_ref(r: &[u8]) -> Option<(u32, u16)> {
    let letters = r.iter().take_while(|b| b.is_ascii_uppercase()).count();
    if letters == 0 || letters == r.len() {
        return None;
    }
    let mut col: u32 = 0;
    for &b in &r[..letters] {
        col = col.checked_mul(26)?.checked_add(u32::from(b - b'A') + 1)?;
    }
    let row: u32 = std::str::from_utf8(&r[letters..]).ok()?.parse().ok()?;
    Some((row.checked_sub(1)?, u16::try_from(col - 1).ok()?))
}

/// Which write gives each cell its value (the last write to it; a merge
/// blanks the rest of its range), for the cells that show one.
fn cell_writers(book: &Book, sheet: usize) -> HashMap<(u32, u16), usize> {
    let mut at = HashMap::new();
    for (i, op) in book.sheets[sheet].ops.iter().enumerate() {
        match op {
            Op::Merge {
                range: (r, c, r2, c2),
                ..
            } => {
                for row in *r..=*r2 {
                    for col in *c..=*c2 {
                        at.remove(&(row, col));
                    }
                }
                at.insert((*r, *c), i);
            }
            Op::String { at: cell, .. }
            | Op::Number { at: cell, .. }
            | Op::Formula { at: cell, .. } => {
                at.insert(*cell, i);
            }
            _ => {}
        }
    }
    at.retain(|_, i| match &book.sheets[sheet].ops[*i] {
        Op::Merge { text, .. } | Op::String { text, .. } => !text.is_empty(),
        _ => true,
    });
    at
}

/// Cuts a sheet's XML at the value of every cell that shows one.
fn cut_sheet(xml: &[u8], book: &Book, sheet: usize) -> Option<Cut> {
    if sheet >= book.sheets.len() {
        return None;
    }
    let mut writers = cell_writers(book, sheet);
    let mut pieces = Vec::new();
    let mut fills = Vec::new();
    let mut from = 0;
    let mut pos = 0;
    while let Some(found) = memchr::memmem::find(&xml[pos..], b"<c r=\"") {
        let start = pos + found;
        let ref_at = start + 6;
        let ref_end = ref_at + memchr::memchr(b'"', &xml[ref_at..])?;
        let cell = cell_ref(&xml[ref_at..ref_end])?;
        let tag_end = ref_end + memchr::memchr(b'>', &xml[ref_end..])?;
        if xml[tag_end - 1] == b'/' {
            pos = tag_end;
            continue;
        }
        let close = tag_end + memchr::memmem::find(&xml[tag_end..], b"</c>")?;
        let v_open = tag_end + memchr::memmem::find(&xml[tag_end..close], b"<v>")? + 3;
        let v_close = v_open + memchr::memmem::find(&xml[v_open..close], b"</v>")?;
        let op = writers.remove(&cell)?;
        pieces.push(xml[from..v_open].to_vec());
        fills.push(Fill::Cell { sheet, op });
        from = v_close;
        pos = close;
    }
    if !writers.is_empty() {
        return None;
    }
    pieces.push(xml[from..].to_vec());
    Some(Cut { pieces, fills })
}

/// Cuts a document-properties part at each marker.
fn cut_properties(xml: &[u8]) -> Option<Cut> {
    let text = std::str::from_utf8(xml).ok()?;
    let mut pieces = Vec::new();
    let mut fills = Vec::new();
    let mut rest = text;
    loop {
        let next_mark = rest.find(MARK_OPEN);
        let next_date = rest.find(MARK_DATE_TEXT);
        let (at, fill, len) = match (next_mark, next_date) {
            (None, None) => break,
            (Some(m), d) if d.is_none_or(|d| m < d) => {
                let close = rest[m..].find(MARK_CLOSE)? + m;
                let k: usize = rest[m + MARK_OPEN.len_utf8()..close].parse().ok()?;
                (m, Fill::Property(k), close + MARK_CLOSE.len_utf8() - m)
            }
            (_, Some(d)) => (d, Fill::Created, MARK_DATE_TEXT.len()),
            (Some(_), None) => return None,
        };
        pieces.push(rest.as_bytes()[..at].to_vec());
        fills.push(fill);
        rest = &rest[at + len..];
    }
    pieces.push(rest.as_bytes().to_vec());
    Some(Cut { pieces, fills })
}

/// The shared strings of one package, numbered as rust_xlsxwriter does.
#[derive(Default)]
struct SharedStrings {
    index: HashMap<String, usize>,
    unique: Vec<String>,
    count: usize,
}

impl SharedStrings {
    fn add(&mut self, s: &str) -> usize {
        self.count += 1;
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = self.unique.len();
        self.index.insert(s.to_string(), i);
        self.unique.push(s.to_string());
        i
    }

    fn xml(&self, head: &[u8]) -> Vec<u8> {
        let size: usize = self.unique.iter().map(|s| s.len() + 20).sum();
        let mut out = Vec::with_capacity(head.len() + size + 64);
        out.extend_from_slice(head);
        out.extend_from_slice(
            format!(
                " count=\"{}\" uniqueCount=\"{}\">",
                self.count,
                self.unique.len()
            )
            .as_bytes(),
        );
        for s in &self.unique {
            let ws = ['\t', '\n', ' '];
            if s.starts_with(ws) || s.ends_with(ws) {
                out.extend_from_slice(b"<si><t xml:space=\"preserve\">");
            } else {
                out.extend_from_slice(b"<si><t>");
            }
            escape(&mut out, s);
            out.extend_from_slice(b"</t></si>");
        }
        out.extend_from_slice(b"</sst>");
        out
    }
}

/// `&`, `<` and `>` escaped, as rust_xlsxwriter escapes text (the strings
/// that need more never reach here: [`StringKind::Special`]).
fn escape(out: &mut Vec<u8>, s: &str) {
    let mut from = 0;
    for (i, b) in s.bytes().enumerate() {
        let with: &[u8] = match b {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            _ => continue,
        };
        out.extend_from_slice(&s.as_bytes()[from..i]);
        out.extend_from_slice(with);
        from = i + 1;
    }
    out.extend_from_slice(&s.as_bytes()[from..]);
}

/// A cut part filled with `book`'s values.
fn fill(cut: &Cut, book: &Book, strings: &mut SharedStrings) -> Option<Vec<u8>> {
    let size: usize = cut.pieces.iter().map(Vec::len).sum::<usize>() + 8 * cut.fills.len();
    let mut out = Vec::with_capacity(size);
    for (piece, fill) in cut.pieces.iter().zip(&cut.fills) {
        out.extend_from_slice(piece);
        match *fill {
            Fill::Cell { sheet, op } => match book.sheets.get(sheet)?.ops.get(op)? {
                Op::Merge { text, .. } | Op::String { text, .. } => {
                    out.extend_from_slice(strings.add(text).to_string().as_bytes());
                }
                Op::Number { value, .. } => {
                    out.extend_from_slice(value.to_string().as_bytes());
                }
                Op::Formula { result, .. } => match result.as_str() {
                    "TRUE" => out.push(b'1'),
                    "FALSE" => out.push(b'0'),
                    r => escape(&mut out, r),
                },
                _ => return None,
            },
            Fill::Property(k) => {
                let p = &book.properties;
                let all = [&p.title, &p.subject, &p.author, &p.company, &p.comment];
                escape(&mut out, all.get(k)?);
            }
            Fill::Created => {
                let (y, m, d) = book.properties.created;
                out.extend_from_slice(format!("{y:04}-{m:02}-{d:02}T00:00:00Z").as_bytes());
            }
        }
    }
    out.extend_from_slice(cut.pieces.last()?);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_refs() {
        assert_eq!(cell_ref(b"A1"), Some((0, 0)));
        assert_eq!(cell_ref(b"AB12"), Some((11, 27)));
        assert_eq!(cell_ref(b"A"), None);
        assert_eq!(cell_ref(b"12"), None);
    }

    #[test]
    fn escapes_as_rust_xlsxwriter() {
        let mut out = Vec::new();
        escape(&mut out, "A&B <c> \"q\"");
        assert_eq!(out, b"A&amp;B &lt;c&gt; \"q\"");
    }
}
