//! A Word document (.docx) into the neutral shape: `word/document.xml`
//! read with quick-xml from the zip; paragraphs (`w:p`) and tables
//! (`w:tbl`, merged cells by `w:gridSpan` and `w:vMerge`). A table that
//! holds tables is a layout frame: its cells are read as the document.
//! The zip is held to limits before anything is inflated.

use std::io::Read;

use quick_xml::Reader;
use quick_xml::events::Event;

use super::error::ImportError;
use super::shape::{Block, Doc, MAX_TABLES, SourceCell, layout, tidy};

/// The most entries a .docx may hold.
const MAX_ENTRIES: usize = 2_000;
/// The largest `word/document.xml`, inflated.
pub const MAX_DOCUMENT_XML: u64 = 64 * 1024 * 1024;
/// The deepest nesting of tables followed.
const MAX_DEPTH: usize = 8;

/// Reads the document's paragraphs and tables.
pub fn read(bytes: &[u8], file: &str) -> Result<Doc, ImportError> {
    let bad = |reason: String| ImportError::BadDocx {
        file: file.to_string(),
        reason,
    };
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|_| {
        bad("不是 zip 压缩包（文件损坏，或不是 .docx；旧的 .doc 请先另存为 .docx）".into())
    })?;
    if zip.len() > MAX_ENTRIES {
        return Err(bad(format!("压缩包内文件过多（{} 个）", zip.len())));
    }
    let entry = zip
        .by_name("word/document.xml")
        .map_err(|_| bad("缺少正文部分 word/document.xml".into()))?;
    if entry.size() > MAX_DOCUMENT_XML {
        return Err(bad(format!("正文解压后过大（{} 字节）", entry.size())));
    }
    let mut xml = Vec::new();
    entry
        .take(MAX_DOCUMENT_XML + 1)
        .read_to_end(&mut xml)
        .map_err(|_| bad("正文部分无法解压（文件损坏）".into()))?;
    if xml.len() as u64 > MAX_DOCUMENT_XML {
        return Err(bad("正文解压后过大".into()));
    }
    parse(&xml).map_err(bad)
}

/// One table being read: its rows of source cells, the cell being read.
#[derive(Default)]
struct TableState {
    rows: Vec<Vec<SourceCell>>,
    row: Vec<SourceCell>,
    cell: Option<SourceCell>,
    /// Paragraphs of the current cell.
    cell_text: Vec<String>,
    /// Whether a table was found inside this one.
    holds_tables: bool,
    /// The blocks of the cells, for a layout frame.
    frame: Vec<Block>,
}

fn parse(xml: &[u8]) -> Result<Doc, String> {
    let mut reader = Reader::from_reader(xml);
    reader.config_mut().trim_text(false);
    let mut doc = Doc::default();
    let mut stack: Vec<TableState> = Vec::new();
    let mut para: Option<String> = None;
    let mut in_text = false;
    let mut tables = 0usize;
    let mut buf = Vec::new();
    loop {
        let event = reader.read_event_into(&mut buf).map_err(|e| {
            format!(
                "正文 XML 有误（位置 {}）：{}",
                reader.buffer_position(),
                short(&e.to_string())
            )
        })?;
        match event {
            Event::Start(e) => match e.local_name().as_ref() {
                b"p" => para = Some(String::new()),
                b"t" => in_text = true,
                b"tbl" => {
                    if stack.len() >= MAX_DEPTH {
                        return Err("表格嵌套过深".into());
                    }
                    if let Some(outer) = stack.last_mut() {
                        outer.holds_tables = true;
                    }
                    stack.push(TableState::default());
                }
                b"tc" => {
                    if let Some(t) = stack.last_mut() {
                        t.cell = Some(SourceCell::new(String::new()));
                        t.cell_text.clear();
                    }
                }
                b"gridSpan" | b"vMerge" => cell_property(&e, &mut stack),
                _ => {}
            },
            Event::Empty(e) => match e.local_name().as_ref() {
                b"gridSpan" | b"vMerge" => cell_property(&e, &mut stack),
                b"tab" => {
                    if let Some(p) = para.as_mut() {
                        p.push(' ');
                    }
                }
                b"p" => end_paragraph(String::new(), &mut stack, &mut doc),
                _ => {}
            },
            Event::Text(t) => {
                if in_text && let Some(p) = para.as_mut() {
                    let text = t
                        .decode()
                        .map_err(|_| "正文含有无法解码的文字".to_string())?;
                    let text = quick_xml::escape::unescape(&text)
                        .map_err(|_| "正文含有无效的字符引用".to_string())?;
                    if p.len() < 1_000_000 {
                        p.push_str(&text);
                    }
                }
            }
            Event::GeneralRef(r) => {
                if in_text && let Some(p) = para.as_mut() {
                    let name = r
                        .decode()
                        .map_err(|_| "正文含有无法解码的文字".to_string())?;
                    let entity = format!("&{name};");
                    if let Ok(text) = quick_xml::escape::unescape(&entity) {
                        p.push_str(&text);
                    }
                }
            }
            Event::End(e) => match e.local_name().as_ref() {
                b"t" => in_text = false,
                b"p" => {
                    if let Some(p) = para.take() {
                        end_paragraph(p, &mut stack, &mut doc);
                    }
                }
                b"tc" => {
                    if let Some(t) = stack.last_mut()
                        && let Some(mut cell) = t.cell.take()
                    {
                        cell.text = t.cell_text.join("");
                        t.row.push(cell);
                    }
                }
                b"tr" => {
                    if let Some(t) = stack.last_mut() {
                        let row = std::mem::take(&mut t.row);
                        t.rows.push(row);
                    }
                }
                b"tbl" => {
                    if let Some(t) = stack.pop() {
                        let blocks = if t.holds_tables {
                            t.frame
                        } else {
                            tables += 1;
                            if tables > MAX_TABLES {
                                Vec::new()
                            } else {
                                vec![Block::Table(layout(&t.rows))]
                            }
                        };
                        match stack.last_mut() {
                            Some(outer) => outer.frame.extend(blocks),
                            None => doc.blocks.extend(blocks),
                        }
                    }
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(doc)
}

/// A paragraph ends: into the current cell (and the frame), or the body.
fn end_paragraph(p: String, stack: &mut [TableState], doc: &mut Doc) {
    let p = tidy(&p);
    match stack.last_mut() {
        Some(t) => {
            if !p.is_empty() {
                t.frame.push(Block::Para(p.clone()));
            }
            t.cell_text.push(p);
        }
        None => {
            if !p.is_empty() {
                doc.blocks.push(Block::Para(p));
            }
        }
    }
}

fn cell_property(e: &quick_xml::events::BytesStart, stack: &mut [TableState]) {
    let Some(cell) = stack.last_mut().and_then(|t| t.cell.as_mut()) else {
        return;
    };
    let val = e
        .attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == b"val")
        .map(|a| String::from_utf8_lossy(&a.value).into_owned());
    match e.local_name().as_ref() {
        b"gridSpan" => {
            cell.col_span = val.and_then(|v| v.parse().ok()).unwrap_or(1);
        }
        _ => {
            // <w:vMerge/> or val="continue" continues; val="restart" starts.
            cell.continues = val.as_deref() != Some("restart");
        }
    }
}

fn short(s: &str) -> String {
    s.chars().take(80).collect()
}
