//! Reading a filled fill-in form back into a [`Report`]
//! ([`read_form_bytes`]); the form is written by `render::form`.
//!
//! Reading accepts a form filled by Excel, WPS, LibreOffice or any program that
//! writes values into the input cells. Empty input cells count as 0. Every bad
//! cell is named (`依申请公开!D7：应为非负整数，实为 "三"`); a workbook that is
//! not our form (missing sheet, moved label, deleted total formula) is refused
//! with the sheet or cell that is wrong. The `填表说明` sheet is never read,
//! so forms written before it (and before the Chinese names of the `文字`
//! rows, when column B held `text.overview`) read the same.
//!
//! ```
//! use nianbao::model::Report;
//! let mut report = Report::from_toml_str(
//!     "[report]\nagency = \"某县统计局\"\nyear = 2024\n[applications]\nnew = [2, 0, 0, 0, 0, 1]\n",
//!     "x.toml",
//! ).unwrap();
//! report.text.overview = Some("总体情况。".into());
//! let bytes = nianbao::form_bytes(&report, Some("x.toml")).unwrap();
//! let back = nianbao::read_form_bytes(&bytes, "某县统计局.xlsx").unwrap();
//! assert_eq!(back, report);
//! ```

use std::collections::{HashMap, HashSet};
use std::io::{Cursor, Read, Seek, Write};

use calamine::{
    Data, DataRef, Reader, Xlsx, XlsxCellFormulaMetadataRecord, XlsxError as CalamineError,
    XlsxFormulaMetadata,
};
use quick_xml::events::{BytesStart, Event as XmlEvent};
use quick_xml::reader::Reader as XmlReader;

use crate::model::{Date, Report, Year};
use crate::read::error::{FormCell, LoadError};
use crate::spec::sheets::{
    DATE_EXAMPLE, TEXT_SHEET, TextKind, required_sheets, sum_formula, text_rows,
};
use crate::spec::tables::{self, BasicInfo, Content, Field, TITLE_ROWS, Table};

// ---------------------------------------------------------------------------
// Reading a filled form
//
// A filled form may come from a stranger, so nothing in it is trusted: the
// zip is vetted first (entry count, every entry's real uncompressed size, the
// sum of them) and calamine only ever sees a vetted, uncompressed copy with a
// minimal styles part; then only the five expected sheets are streamed cell by
// cell and only the cells the form defines are kept, so a forged cell address
// or `<dimension>` costs nothing. A panic inside calamine or zip is caught and
// becomes an error for that one file.

/// The largest form file read. A real form is about 25 KB; one with every text
/// block at Excel's 32,767 characters is about 1 MB.
pub const MAX_FORM_FILE: u64 = 16 << 20;
/// The largest uncompressed zip entry read (a sheet, the shared strings).
pub const MAX_FORM_ENTRY: u64 = 4 << 20;
/// The largest sum of the uncompressed entries read.
pub const MAX_FORM_TOTAL: u64 = 16 << 20;
/// The most entries the zip of a form may have (a real form has about 15).
pub const MAX_FORM_ENTRIES: usize = 512;
/// The most cell formats (`<xf>` of `<cellXfs>`) and number formats kept from
/// the styles part, and the longest format code kept (Excel's own limit is 255
/// characters).
const MAX_CELL_FORMATS: usize = 10_000;
const MAX_NUMBER_FORMATS: usize = 1_000;
const MAX_FORMAT_CODE_BYTES: usize = 1_024;
/// The longest shared formula expanded (a total's SUM has a few dozen characters).
const MAX_FORMULA: usize = 1_000;
/// How a whole-workbook problem is named in errors.
const WORKBOOK: &str = "工作簿";
/// Why a workbook that made a reader panic is refused.
const BROKEN: &str = "无法读取表单：文件已损坏或不是本工具生成的填报表";

/// Reads a filled form from its bytes; `file` names it in errors.
///
/// Every wrong cell is reported, not only the first: one wrong cell is a
/// [`LoadError::Form`], several are a [`LoadError::FormCells`] (one line
/// each); [`LoadError::form_cells`] lists them either way.
///
/// ```
/// let err = nianbao::read_form_bytes(b"PK?", "x.xlsx").unwrap_err();
/// assert!(err.to_string().starts_with("x.xlsx: 工作簿：不是可读的 Excel 工作簿"));
/// assert!(err.to_string().contains("不是有效的 xlsx（zip）文件"), "{err}");
/// ```
pub fn read_form_bytes(bytes: &[u8], file: &str) -> Result<Report, LoadError> {
    let sheets = read_sheets(bytes).map_err(|cells| form_error(file, cells))?;
    let sheet = |name: &str| sheets.iter().find(|s| s.name == name);
    let mut errors = Vec::new();
    let mut report = Report::default();
    if let Some(s) = sheet(BasicInfo::SHEET) {
        let mut found = Found::default();
        read_basic_info(s, &mut report, &mut found);
        found.settle(s, &mut errors);
    }
    for table in tables::all() {
        if let Some(s) = sheet(table.sheet) {
            let mut found = Found::default();
            read_table(s, table, &mut report, &mut found);
            found.settle(s, &mut errors);
        }
    }
    if let Some(s) = sheet(TEXT_SHEET) {
        let mut found = Found::default();
        read_text(s, &mut report, &mut found);
        found.settle(s, &mut errors);
    }
    // Texts too long or with forbidden characters, counts and amounts too
    // large: each at its cell, all of them.
    for (key_path, message) in crate::read::text_and_number_problems(&report) {
        let cell = cell_of_key(&key_path);
        // Not twice: the empty agency is already named at its cell, or
        // its whole sheet is.
        let covered = errors.iter().any(|(c, _)| {
            *c == cell
                || cell
                    .strip_prefix(c.as_str())
                    .is_some_and(|rest| rest.starts_with('!'))
        });
        if !covered {
            errors.push((cell, message));
        }
    }
    if errors.is_empty() {
        Ok(report)
    } else {
        if errors.len() > MAX_CELL_ERRORS {
            let more = errors.len() - MAX_CELL_ERRORS;
            errors.truncate(MAX_CELL_ERRORS);
            errors.push((
                WORKBOOK.to_string(),
                format!("另有 {more} 处错误未列出；请先改正以上各处"),
            ));
        }
        Err(form_error(file, errors))
    }
}

/// The most cell errors listed; the rest are counted.
const MAX_CELL_ERRORS: usize = 50;
/// More wrong labels than this on a sheet: the sheet is not the form's (or its
/// rows and columns moved), and its cells are reported as one error.
const MAX_LABEL_ERRORS: usize = 3;

/// The errors found on one sheet, in cell order; labels are marked.
#[derive(Default)]
struct Found {
    errors: Vec<(CellError, bool)>,
}

impl Found {
    fn value(&mut self, cell: String, message: String) {
        self.errors.push(((cell, message), false));
    }

    /// Adds the sheet's errors to `all`: each one, or one for the sheet when
    /// too many labels are wrong (its values then mean nothing).
    fn settle(self, sheet: &Sheet, all: &mut Vec<CellError>) {
        let labels: Vec<&CellError> = self
            .errors
            .iter()
            .filter(|(_, label)| *label)
            .map(|(e, _)| e)
            .collect();
        if labels.len() > MAX_LABEL_ERRORS {
            let (cell, message) = labels[0];
            let first = message.split('；').next().unwrap_or(message);
            all.push((
                sheet.name.to_string(),
                format!(
                    "{} 个标签与填报表不符（如 {cell} {first}）；这不是 nianbao 填报表，或表格的行列被移动、标签被改动",
                    labels.len()
                ),
            ));
        } else {
            all.extend(self.errors.into_iter().map(|(e, _)| e));
        }
    }
}

/// One cell error as a [`LoadError::Form`], several as a [`LoadError::FormCells`].
fn form_error(file: &str, mut cells: Vec<CellError>) -> LoadError {
    if cells.len() == 1 {
        let (cell, message) = cells.remove(0);
        return LoadError::Form {
            file: file.to_string(),
            cell,
            message,
        };
    }
    LoadError::FormCells {
        file: file.to_string(),
        cells: cells
            .into_iter()
            .map(|(cell, message)| FormCell { cell, message })
            .collect(),
    }
}

/// The form cell of a key path of the input (for errors found after reading).
fn cell_of_key(key_path: &str) -> String {
    BasicInfo::ALL
        .iter()
        .find(|b| b.key() == key_path)
        .map(|b| b.excel_ref())
        .or_else(|| {
            tables::all().iter().find_map(|t| {
                t.inputs()
                    .find(|(_, i)| i.key == key_path)
                    .map(|(c, _)| t.excel_ref(c.row, c.col))
            })
        })
        .or_else(|| {
            text_rows()
                .into_iter()
                .find(|r| r.key == key_path)
                .map(|r| r.excel_ref())
        })
        .unwrap_or_else(|| key_path.to_string())
}

/// A cell error: `sheet!A1` (or a sheet, or 工作簿) and the message.
type CellError = (String, String);

/// A (row, column) position, 0-based.
type Pos = (u32, u32);

fn pos(row: usize, col: usize) -> Pos {
    (
        u32::try_from(row).unwrap_or(u32::MAX),
        u32::try_from(col).unwrap_or(u32::MAX),
    )
}

/// The cells of a sheet the form defines: the only ones read.
fn geometry() -> Vec<(&'static str, HashSet<Pos>)> {
    let mut sheets = vec![(
        BasicInfo::SHEET,
        BasicInfo::ALL
            .iter()
            .flat_map(|b| [pos(b.sheet_row(), 0), pos(b.sheet_row(), 1)])
            .collect(),
    )];
    for table in tables::all() {
        let cells = table
            .cells
            .iter()
            .map(|c| pos(c.row + TITLE_ROWS, c.col))
            .collect();
        sheets.push((table.sheet, cells));
    }
    sheets.push((
        TEXT_SHEET,
        text_rows()
            .iter()
            .flat_map(|r| [pos(r.sheet_row, 1), pos(r.sheet_row, 2)])
            .collect(),
    ));
    sheets
}

/// The expected cells of a form sheet: values and formulas.
struct Sheet {
    name: &'static str,
    values: HashMap<Pos, Data>,
    formulas: HashMap<Pos, String>,
}

impl Sheet {
    fn get(&self, row: usize, col: usize) -> &Data {
        self.values.get(&pos(row, col)).unwrap_or(&Data::Empty)
    }

    fn formula(&self, row: usize, col: usize) -> &str {
        self.formulas
            .get(&pos(row, col))
            .map(String::as_str)
            .unwrap_or("")
    }

    fn a1(&self, row: usize, col: usize) -> String {
        tables::sheet_cell(self.name, row, col)
    }

    /// The cell must hold exactly `label`; otherwise the cell is added to `errors`.
    fn expect_label(&self, row: usize, col: usize, label: &str, errors: &mut Found) {
        let found = self.get(row, col);
        if !matches!(found, Data::String(s) if s.trim() == label) {
            let message = format!(
                "应为标签「{label}」，实为 {}；这不是 nianbao 填报表，或表格的行列被移动、标签被改动",
                shown(found)
            );
            errors.errors.push(((self.a1(row, col), message), true));
        }
    }
}

// ---------------------------------------------------------------------------
// The guarded read: vetted zip, streamed sheets, caught panics

thread_local! {
    /// Set while this thread runs a third-party reader under [`quietly`].
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` and catches a panic. While `f` runs, the panic hook prints nothing
/// for this thread (the panic becomes an error naming the file); panics
/// elsewhere are printed as before.
fn quietly<T>(f: impl FnOnce() -> T) -> std::thread::Result<T> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(|q| q.get()) {
                previous(info);
            }
        }));
    });
    let was = QUIET.with(|q| q.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    QUIET.with(|q| q.set(was));
    result
}

/// The expected cells of the five sheets, read within the limits; the error
/// names the workbook, a missing sheet or the sheet that could not be read.
fn read_sheets(bytes: &[u8]) -> Result<Vec<Sheet>, Vec<CellError>> {
    let stage = std::cell::Cell::new(WORKBOOK);
    let whole = |message: String| vec![(WORKBOOK.to_string(), message)];
    let read = || -> Result<Vec<Sheet>, Vec<CellError>> {
        let vetted = vetted_copy(bytes).map_err(whole)?;
        let mut wb: Xlsx<_> =
            calamine::open_workbook_from_rs(Cursor::new(vetted)).map_err(|e| {
                whole(format!(
                    "不是可读的 Excel 工作簿（.xlsx）：{}",
                    calamine_error(&e)
                ))
            })?;
        let names = wb.sheet_names();
        let missing: Vec<CellError> = required_sheets()
            .into_iter()
            .filter(|sheet| !names.iter().any(|n| n == sheet))
            .map(|sheet| {
                (
                    sheet.to_string(),
                    format!(
                        "缺少工作表「{sheet}」（现有：{}）；这不是 nianbao 填报表，请用 nianbao form 生成",
                        clip(&names.join("、"), 200)
                    ),
                )
            })
            .collect();
        if !missing.is_empty() {
            return Err(missing);
        }
        geometry()
            .into_iter()
            .map(|(name, wanted)| {
                stage.set(name);
                stream_sheet(&mut wb, name, &wanted).map_err(|m| vec![(name.to_string(), m)])
            })
            .collect()
    };
    quietly(read).unwrap_or_else(|_| Err(vec![(stage.get().to_string(), BROKEN.to_string())]))
}

/// Streams one sheet and keeps the values and formulas of the `wanted` cells
/// only; a shared formula is expanded for a wanted cell from its anchor.
fn stream_sheet<RS: Read + Seek>(
    wb: &mut Xlsx<RS>,
    name: &'static str,
    wanted: &HashSet<Pos>,
) -> Result<Sheet, String> {
    let fail = |e: CalamineError| format!("无法读取工作表：{}", calamine_error(&e));
    let mut reader = wb.worksheet_cells_reader(name).map_err(fail)?;
    // Borrowed until the end: a cell written again and again with one long
    // shared string is not copied each time.
    let mut values: HashMap<Pos, DataRef> = HashMap::new();
    let mut formulas = HashMap::new();
    // Anchors of shared formulas: index → (template, anchor cell).
    let mut anchors: HashMap<usize, (String, Pos)> = HashMap::new();
    // Wanted cells holding a shared formula: cell → index.
    let mut derived: HashMap<Pos, usize> = HashMap::new();
    while let Some(cell) = reader.next_cell_with_formula_metadata().map_err(fail)? {
        let XlsxCellFormulaMetadataRecord {
            pos: at,
            value,
            formula,
        } = cell;
        let keep = wanted.contains(&at);
        if keep {
            // A cell written twice: the last one counts.
            values.insert(at, value);
            formulas.remove(&at);
            derived.remove(&at);
        }
        match formula {
            Some(XlsxFormulaMetadata::Normal { formula }) if keep && !formula.is_empty() => {
                formulas.insert(at, formula);
            }
            Some(XlsxFormulaMetadata::Shared {
                shared_index,
                formula,
                ..
            }) => {
                if keep && !formula.is_empty() {
                    formulas.insert(at, formula.clone());
                }
                anchors.insert(shared_index, (formula, at));
            }
            Some(XlsxFormulaMetadata::SharedDerived { shared_index }) if keep => {
                derived.insert(at, shared_index);
            }
            _ => {}
        }
    }
    drop(reader);
    for (at, index) in derived {
        let Some((template, anchor)) = anchors.get(&index) else {
            continue;
        };
        let formula = if template.len() > MAX_FORMULA {
            // Too long to be a total; kept short, so that it shows as wrong.
            format!("{}…", clip(template, 40))
        } else {
            calamine::expand_shared_formula(template, *anchor, at).map_err(fail)?
        };
        if !formula.is_empty() {
            formulas.insert(at, formula);
        }
    }
    let values = values
        .into_iter()
        .map(|(at, value)| (at, Data::from(value)))
        .collect();
    Ok(Sheet {
        name,
        values,
        formulas,
    })
}

/// What went wrong inside calamine, in words (its own messages are English).
fn calamine_error(e: &CalamineError) -> &'static str {
    match e {
        CalamineError::Xml(_) | CalamineError::XmlAttr(_) | CalamineError::XmlEof(_) => {
            "XML 内容已损坏"
        }
        CalamineError::Io(_) | CalamineError::Zip(_) => "zip 条目已损坏",
        CalamineError::FileNotFound(_) | CalamineError::RelationshipNotFound => {
            "缺少工作簿的组成部分（如 xl/workbook.xml 或其关系文件）"
        }
        CalamineError::WorksheetNotFound(_) => "找不到工作表的内容",
        CalamineError::NotAWorksheet(_) => "不是普通工作表（可能是图表页）",
        CalamineError::Password => "工作簿设了密码，请先取消密码",
        _ => "工作簿的结构已损坏",
    }
}

/// `name` with at most `max` characters (and `…` when cut).
fn clip(name: &str, max: usize) -> String {
    if name.chars().count() <= max {
        name.to_string()
    } else {
        let mut s: String = name.chars().take(max).collect();
        s.push('…');
        s
    }
}

/// A size in words: `2.3 GB`, `4 MB`, `512 字节`.
fn size(bytes: u64) -> String {
    const MB: u64 = 1 << 20;
    if bytes >= 1 << 30 {
        format!("{:.1} GB", bytes as f64 / (1u64 << 30) as f64)
    } else if bytes >= MB {
        let mb = bytes as f64 / MB as f64;
        if bytes.is_multiple_of(MB) {
            format!("{mb} MB")
        } else {
            format!("{mb:.1} MB")
        }
    } else {
        format!("{bytes} 字节")
    }
}

/// Which entries calamine is given, and how.
#[derive(PartialEq)]
enum Part {
    /// Not needed to read values (images, themes, printer settings…): left out.
    Skip,
    /// Copied as is.
    Copy,
    /// `styles.xml`: reduced to the number formats of the cell formats.
    Styles,
    /// `sharedStrings.xml`: copied without its declared count.
    SharedStrings,
}

fn part(name: &str) -> Part {
    let name = name.replace('\\', "/").to_ascii_lowercase();
    let file = name.rsplit('/').next().unwrap_or("");
    if name.ends_with('/') || name.contains("theme/") {
        Part::Skip
    } else if file == "styles.xml" {
        Part::Styles
    } else if file == "sharedstrings.xml" {
        Part::SharedStrings
    } else if file.ends_with(".xml") || file.ends_with(".rels") {
        Part::Copy
    } else {
        Part::Skip
    }
}

/// A copy of the zip that calamine can open without risk: the entries it
/// needs, each inflated through a reader limited to [`MAX_FORM_ENTRY`] (a
/// header that lies about the size cannot exceed it), stored uncompressed.
fn vetted_copy(bytes: &[u8]) -> Result<Vec<u8>, String> {
    const NOT_OURS: &str = "；这不是 nianbao 填报表";
    if bytes.len() as u64 > MAX_FORM_FILE {
        return Err(format!(
            "文件超过填报表的上限 {}{NOT_OURS}",
            size(MAX_FORM_FILE)
        ));
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err("不是可读的 Excel 工作簿（.xlsx）：这是旧版 .xls 文件或设了密码的工作簿；请在 Excel 中取消密码并另存为 .xlsx".into());
    }
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| {
        "不是可读的 Excel 工作簿（.xlsx）：不是有效的 xlsx（zip）文件，可能已损坏或只是改了扩展名"
            .to_string()
    })?;
    if zip.len() > MAX_FORM_ENTRIES {
        return Err(format!(
            "zip 中有 {} 个条目，超过上限 {MAX_FORM_ENTRIES}{NOT_OURS}",
            zip.len()
        ));
    }
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let mut total = 0u64;
    for i in 0..zip.len() {
        let Some(name) = zip.name_for_index(i).map(str::to_string) else {
            continue;
        };
        let kind = part(&name);
        if kind == Part::Skip {
            continue;
        }
        let shown = format!("{:?}", clip(&name, 80));
        let broken = || format!("zip 条目 {shown} 已损坏或加密，无法解压{NOT_OURS}");
        let mut entry = zip.by_index(i).map_err(|_| broken())?;
        let declared = entry.size();
        if declared > MAX_FORM_ENTRY {
            return Err(format!(
                "zip 条目 {shown} 解压后有 {}，超过每个条目的上限 {}{NOT_OURS}",
                size(declared),
                size(MAX_FORM_ENTRY)
            ));
        }
        let mut data = Vec::with_capacity(declared as usize);
        (&mut entry)
            .take(MAX_FORM_ENTRY + 1)
            .read_to_end(&mut data)
            .map_err(|_| broken())?;
        if data.len() as u64 > MAX_FORM_ENTRY {
            return Err(format!(
                "zip 条目 {shown} 解压后超过每个条目的上限 {}（文件头却声明 {}）{NOT_OURS}",
                size(MAX_FORM_ENTRY),
                size(declared)
            ));
        }
        total += data.len() as u64;
        if total > MAX_FORM_TOTAL {
            return Err(format!(
                "zip 条目解压后合计超过上限 {}{NOT_OURS}",
                size(MAX_FORM_TOTAL)
            ));
        }
        let data = match kind {
            Part::Styles => minimal_styles(&data).map_err(|m| format!("{shown}：{m}{NOT_OURS}"))?,
            Part::SharedStrings => {
                without_unique_count(data).map_err(|m| format!("{shown}：{m}{NOT_OURS}"))?
            }
            _ => data,
        };
        out.start_file(name.as_str(), stored)
            .and_then(|()| out.write_all(&data).map_err(zip::result::ZipError::from))
            .map_err(|_| format!("zip 条目 {shown} 重名或名称无效{NOT_OURS}"))?;
    }
    out.finish()
        .map(Cursor::into_inner)
        .map_err(|_| format!("zip 无法整理{NOT_OURS}"))
}

/// The raw value of attribute `key` (local name), made safe between double quotes.
fn raw_attr(e: &BytesStart, key: &[u8]) -> Result<Option<String>, String> {
    for attr in e.attributes() {
        let attr = attr.map_err(|_| "XML 属性已损坏".to_string())?;
        if attr.key.local_name().as_ref() == key {
            let value = std::str::from_utf8(&attr.value).map_err(|_| "不是 UTF-8".to_string())?;
            return Ok(Some(value.replace('"', "&quot;").replace('<', "&lt;")));
        }
    }
    Ok(None)
}

/// The styles part reduced to what reading values needs: the number formats
/// and, per cell format, its number format (a date format makes a number a
/// date). Fonts, fills and borders, which calamine copies into every cell
/// format, are dropped, and the counts are bounded.
fn minimal_styles(xml: &[u8]) -> Result<Vec<u8>, String> {
    let mut reader = XmlReader::from_reader(xml);
    reader.config_mut().check_end_names = false;
    let (mut in_num_fmts, mut in_cell_xfs) = (false, false);
    let mut num_fmts: Vec<(String, String)> = Vec::new();
    let mut xfs: Vec<Option<String>> = Vec::new();
    loop {
        let event = reader
            .read_event()
            .map_err(|_| "样式表的 XML 已损坏".to_string())?;
        let (e, start) = match &event {
            XmlEvent::Start(e) => (e, true),
            XmlEvent::Empty(e) => (e, false),
            XmlEvent::End(e) => {
                match e.local_name().as_ref() {
                    b"numFmts" => in_num_fmts = false,
                    b"cellXfs" => in_cell_xfs = false,
                    _ => {}
                }
                continue;
            }
            XmlEvent::Eof => break,
            _ => continue,
        };
        match e.local_name().as_ref() {
            b"numFmts" => in_num_fmts = start,
            b"cellXfs" => in_cell_xfs = start,
            b"numFmt" if in_num_fmts => {
                if num_fmts.len() == MAX_NUMBER_FORMATS {
                    return Err(format!("数字格式超过 {MAX_NUMBER_FORMATS} 个"));
                }
                if let (Some(id), Some(code)) =
                    (raw_attr(e, b"numFmtId")?, raw_attr(e, b"formatCode")?)
                {
                    if code.len() > MAX_FORMAT_CODE_BYTES {
                        return Err("数字格式过长".to_string());
                    }
                    num_fmts.push((id, code));
                }
            }
            b"xf" if in_cell_xfs => {
                if xfs.len() == MAX_CELL_FORMATS {
                    return Err(format!("单元格格式超过 {MAX_CELL_FORMATS} 个"));
                }
                xfs.push(raw_attr(e, b"numFmtId")?);
            }
            _ => {}
        }
    }
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<styleSheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><numFmts>",
    );
    for (id, code) in &num_fmts {
        out.push_str(&format!(
            "<numFmt numFmtId=\"{id}\" formatCode=\"{code}\"/>"
        ));
    }
    out.push_str("</numFmts><cellXfs>");
    for id in &xfs {
        match id {
            Some(id) => out.push_str(&format!("<xf numFmtId=\"{id}\"/>")),
            None => out.push_str("<xf/>"),
        }
    }
    out.push_str("</cellXfs></styleSheet>");
    Ok(out.into_bytes())
}

/// The shared strings without the `uniqueCount` of their root, which calamine
/// reserves memory for before reading a single string.
fn without_unique_count(xml: Vec<u8>) -> Result<Vec<u8>, String> {
    let mut reader = XmlReader::from_reader(xml.as_slice());
    reader.config_mut().check_end_names = false;
    loop {
        let before = reader.buffer_position() as usize;
        let event = reader
            .read_event()
            .map_err(|_| "共享字符串表的 XML 已损坏".to_string())?;
        let (e, empty) = match &event {
            XmlEvent::Start(e) => (e, false),
            XmlEvent::Empty(e) => (e, true),
            XmlEvent::Eof => return Ok(xml),
            _ => continue,
        };
        // calamine reads the first `sst` element, wherever it is.
        if e.local_name().as_ref() != b"sst" {
            continue;
        }
        if raw_attr(e, b"uniqueCount")?.is_none() {
            return Ok(xml);
        }
        let after = reader.buffer_position() as usize;
        let mut tag = format!("<{}", String::from_utf8_lossy(e.name().as_ref()));
        for attr in e.attributes() {
            let attr = attr.map_err(|_| "XML 属性已损坏".to_string())?;
            if attr.key.local_name().as_ref() != b"uniqueCount" {
                let key = String::from_utf8_lossy(attr.key.as_ref());
                let value = String::from_utf8_lossy(&attr.value).replace('"', "&quot;");
                tag.push_str(&format!(" {key}=\"{value}\""));
            }
        }
        tag.push_str(if empty { "/>" } else { ">" });
        let (Some(head), Some(tail)) = (xml.get(..before), xml.get(after..)) else {
            return Err("共享字符串表的 XML 已损坏".to_string());
        };
        return Ok([head, tag.as_bytes(), tail].concat());
    }
}

// ---------------------------------------------------------------------------
// Cell values

/// A cell value as the clerk would recognise it in a message (long text cut).
fn shown(value: &Data) -> String {
    match value {
        Data::Empty => "空白".to_string(),
        Data::String(s) => format!("\"{}\"", clip(s, 80)),
        Data::Float(f) => format!("{f}"),
        Data::Int(i) => format!("{i}"),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::Error(e) => format!("错误值 {e}"),
        Data::DateTime(d) => {
            let (y, m, day, ..) = d.to_ymd_hms_milli();
            format!("日期 {y}-{m:02}-{day:02}")
        }
        Data::DateTimeIso(s) | Data::DurationIso(s) => format!("\"{}\"", clip(s, 80)),
    }
}

/// A count: empty is 0; numbers must be whole and ≥ 0; numeric text is accepted.
fn read_count(value: &Data) -> Result<u32, String> {
    let bad = || format!("应为非负整数，实为 {}", shown(value));
    let f = match value {
        Data::Empty => return Ok(0),
        Data::Int(i) => *i as f64,
        Data::Float(f) => *f,
        Data::String(s) if s.trim().is_empty() => return Ok(0),
        Data::String(s) => s.trim().parse::<f64>().map_err(|_| bad())?,
        _ => return Err(bad()),
    };
    if f.is_finite() && f >= 0.0 && f.fract() == 0.0 && f <= f64::from(u32::MAX) {
        Ok(f as u32)
    } else {
        Err(bad())
    }
}

/// An amount with at most `P` places: empty is 0.
///
/// A number is read as the cell shows it: when its exact value has more than
/// `P` places only through binary-float noise (0.30000000000000004 for 0.3),
/// it is rounded to the 15 significant digits Excel shows, which must then
/// have at most `P` places.
fn read_amount<const P: u32>(value: &Data) -> Result<crate::model::Amount<P>, String> {
    let text = match value {
        Data::Empty => return Ok(Default::default()),
        Data::Int(i) => i.to_string(),
        // `{}` prints the shortest text that reads back as the same f64.
        Data::Float(f) if f.is_finite() => f.to_string(),
        Data::String(s) if s.trim().is_empty() => return Ok(Default::default()),
        Data::String(s) => s.trim().to_string(),
        _ => return Err(format!("应为非负金额，实为 {}", shown(value))),
    };
    text.parse::<crate::model::Amount<P>>()
        .or_else(|e| match value {
            Data::Float(f) => as_excel_shows(*f).ok_or(e),
            _ => Err(e),
        })
        .map_err(|e| format!("{e}（单元格中为 {}）", shown(value)))
}

/// `f` with the 15 significant digits Excel shows, as an amount of `P` places.
fn as_excel_shows<const P: u32>(f: f64) -> Option<crate::model::Amount<P>> {
    let shown = rust_decimal::Decimal::from_scientific(&format!("{f:.14e}")).ok()?;
    shown.normalize().to_string().parse().ok()
}

/// Optional text: blank is none.
fn read_text_value(value: &Data) -> Option<String> {
    let s = match value {
        Data::String(s) => s.clone(),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        _ => return None,
    };
    (!s.trim().is_empty()).then_some(s)
}

/// Days since 1899-12-30 (Excel's serial date, 1900 system) to a date.
fn serial_to_date(serial: f64) -> Option<Date> {
    if !(1.0..3_000_000.0).contains(&serial) {
        return None;
    }
    // Civil-from-days (H. Hinnant), days relative to 1970-01-01.
    let z = serial.floor() as i64 - 25569 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as u16;
    format!("{year:04}-{month:02}-{day:02}").parse().ok()
}

/// The 成文日期 as a clerk types it: an Excel date (a date cell or its
/// serial number), or text such as 2025年1月20日, 2025-1-20, 2025-01-20,
/// 2025/1/20 or 2025.1.20 (spaces around and full-width digits allowed).
/// Blank is none; an impossible date (2025-02-30) or other text is refused.
fn read_date(value: &Data) -> Result<Option<Date>, String> {
    let said = |found: String, why: &str| {
        format!(
            "{}应为日期，如 {DATE_EXAMPLE}，实为 {found}{why}",
            BasicInfo::IssuedOn.label()
        )
    };
    let bad = |why: &str| said(shown(value), why);
    // A number out of the dates' range is shown as the number typed.
    let serial = |f: f64| {
        serial_to_date(f)
            .map(Some)
            .ok_or_else(|| said(format!("{f}"), ""))
    };
    match value {
        Data::Empty => Ok(None),
        Data::String(s) if s.trim().is_empty() => Ok(None),
        Data::String(s) | Data::DateTimeIso(s) => match date_parts(s) {
            Some((y, m, d)) => format!("{y:04}-{m:02}-{d:02}")
                .parse()
                .map(Some)
                .map_err(|_| bad("（没有这一天）")),
            None => Err(bad("")),
        },
        Data::DateTime(d) => serial(d.as_f64()),
        Data::Float(f) => serial(*f),
        Data::Int(i) => serial(*i as f64),
        _ => Err(bad("")),
    }
}

/// Year, month and day of a date typed as text: `2025年1月20日`,
/// `2025-1-20`, `2025/01/20`, `2025.1.20`, an ISO date-time's date part.
fn date_parts(text: &str) -> Option<(u32, u32, u32)> {
    // Full-width digits and separators, as a Chinese input method types them.
    let text: String = text
        .trim()
        .chars()
        .map(|c| match c {
            '０'..='９' => {
                char::from_u32(u32::from(c) - u32::from('０') + u32::from('0')).unwrap_or(c)
            }
            '－' => '-',
            '／' => '/',
            '．' => '.',
            _ => c,
        })
        .collect();
    let text = text.split('T').next().unwrap_or(&text);
    let (y, m, d) = if let Some(rest) = text.strip_suffix('日') {
        let (y, rest) = rest.split_once('年')?;
        let (m, d) = rest.split_once('月')?;
        (y, m, d)
    } else {
        // One kind of separator, twice: `2025-1/20` is not a date.
        let sep = text.chars().find(|c| matches!(c, '-' | '/' | '.'))?;
        let mut parts = text.split(sep);
        let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        (y, m, d)
    };
    let number = |s: &str, min: usize, max: usize| -> Option<u32> {
        let s = s.trim();
        ((min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    Some((number(y, 4, 4)?, number(m, 1, 2)?, number(d, 1, 2)?))
}

fn read_year(value: &Data) -> Result<Year, String> {
    let years = crate::model::YEARS;
    let bad = || {
        format!(
            "报告年度应为 {}–{} 之间的整数，实为 {}",
            years.start(),
            years.end(),
            shown(value)
        )
    };
    if matches!(value, Data::Empty) {
        return Err(bad());
    }
    let y = read_count(value).map_err(|_| bad())?;
    u16::try_from(y)
        .ok()
        .filter(|y| years.contains(y))
        .map(Year)
        .ok_or_else(bad)
}

fn read_basic_info(sheet: &Sheet, report: &mut Report, errors: &mut Found) {
    for item in BasicInfo::ALL {
        let row = item.sheet_row();
        sheet.expect_label(row, 0, item.label(), errors);
        let value = sheet.get(row, 1);
        let info = &mut report.report;
        // The fee rows give `[processing_fees]` unless all three are blank
        // (as the form writes a report without it); within a given table a
        // blank counts as 0, as everywhere in the form.
        let fees = &mut report.processing_fees;
        let blank = matches!(value, Data::Empty);
        let result = match item {
            BasicInfo::Agency => read_text_value(value)
                .map(|a| info.agency = a)
                .ok_or_else(|| "机关全称不能为空".to_string()),
            BasicInfo::ShortName => {
                info.short_name = read_text_value(value);
                Ok(())
            }
            BasicInfo::Region => {
                info.region = read_text_value(value);
                Ok(())
            }
            BasicInfo::IssuedOn => read_date(value).map(|d| info.issued_on = d),
            BasicInfo::Year => read_year(value).map(|y| info.year = y),
            BasicInfo::ProcessingFeeNotices
            | BasicInfo::ProcessingFeeNoticesAmount
            | BasicInfo::ProcessingFeeCollected
                if blank =>
            {
                Ok(())
            }
            BasicInfo::ProcessingFeeNotices => {
                read_count(value).map(|n| fees.get_or_insert_default().notices = n)
            }
            BasicInfo::ProcessingFeeNoticesAmount => {
                read_amount(value).map(|a| fees.get_or_insert_default().notices_amount = a)
            }
            BasicInfo::ProcessingFeeCollected => {
                read_amount(value).map(|a| fees.get_or_insert_default().collected = a)
            }
            BasicInfo::SourceFile => Ok(()),
        };
        if let Err(message) = result {
            errors.value(sheet.a1(row, 1), message);
        }
    }
}

/// Normalised formula text for comparison: no `=`, `$`, spaces or sheet quotes; upper case.
fn normalise(formula: &str) -> String {
    formula
        .trim_start_matches('=')
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '$')
        .collect::<String>()
        .to_uppercase()
}

fn read_table(sheet: &Sheet, table: &Table, report: &mut Report, errors: &mut Found) {
    for cell in &table.cells {
        let (row, col) = (cell.row + TITLE_ROWS, cell.col);
        match &cell.content {
            Content::Label(label) => sheet.expect_label(row, col, label, errors),
            Content::Input(input) => {
                let value = sheet.get(row, col);
                let formula = sheet.formula(row, col);
                let result = if !formula.is_empty() {
                    Err(format!(
                        "这里应填数字，不能填公式（={}）",
                        clip(formula, 80)
                    ))
                } else {
                    match input.field {
                        Field::Fees => read_amount(value).map(|a| report.active.fees = a),
                        field => read_count(value).map(|n| {
                            if let Some(slot) = field.count_mut(report) {
                                *slot = n;
                            }
                        }),
                    }
                };
                if let Err(message) = result {
                    errors.value(sheet.a1(row, col), message);
                }
            }
            Content::Total(total) => {
                let expected = sum_formula(table, &total.terms, "");
                let found = sheet.formula(row, col);
                if normalise(found) != normalise(&expected) {
                    let what = if found.is_empty() {
                        format!("公式被删除（现为 {}）", shown(sheet.get(row, col)))
                    } else {
                        format!("公式被改为 ={}", clip(found, 80))
                    };
                    errors.value(
                        sheet.a1(row, col),
                        format!(
                            "{}是自动合计，{what}；应为 ={expected}，请恢复公式",
                            total.words
                        ),
                    );
                }
            }
        }
    }
}

/// The `文字` sheet: column B names each row by its Chinese name (or, in
/// forms written before, by its key path), column C holds the text.
fn read_text(sheet: &Sheet, report: &mut Report, errors: &mut Found) {
    for row in text_rows() {
        let found = sheet.get(row.sheet_row, 1);
        if !matches!(found, Data::String(s) if row.names(s)) {
            sheet.expect_label(row.sheet_row, 1, &row.label, errors);
        }
        let value = read_text_value(sheet.get(row.sheet_row, 2));
        match row.kind {
            TextKind::Block | TextKind::Heading => row.set(report, value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_dates() {
        assert_eq!(
            serial_to_date(45677.0).map(|d| d.to_string()),
            Some("2025-01-20".into())
        );
        assert_eq!(
            serial_to_date(45351.0).map(|d| d.to_string()),
            Some("2024-02-29".into())
        );
    }

    #[test]
    fn counts() {
        assert_eq!(read_count(&Data::Empty), Ok(0));
        assert_eq!(read_count(&Data::Float(3.0)), Ok(3));
        assert_eq!(read_count(&Data::String(" 4 ".into())), Ok(4));
        assert_eq!(
            read_count(&Data::String("三".into())),
            Err("应为非负整数，实为 \"三\"".to_string())
        );
        assert_eq!(
            read_count(&Data::Float(-1.0)),
            Err("应为非负整数，实为 -1".to_string())
        );
        assert_eq!(
            read_count(&Data::Float(2.5)),
            Err("应为非负整数，实为 2.5".to_string())
        );
    }
}
