//! The fill-in Excel form: writing it ([`form_bytes`]) and reading a filled
//! one back into a [`Report`] ([`read_form`]).
//!
//! The form has the sheets of the statistical workbook ([`crate::xlsx`]) plus
//! `文字` (one tall cell per text block and per run-in heading). Only the input
//! cells are unlocked and shaded; every sheet is protected without a password;
//! every input cell has a data validation with a Chinese input message; totals
//! and the `校验` sheet are live formulas.
//!
//! Reading accepts a form filled by Excel, WPS, LibreOffice or any program that
//! writes values into the input cells. Empty input cells count as 0. A bad
//! cell is named (`依申请公开!D7：应为非负整数，实为 "三"`); a workbook that is
//! not our form (missing sheet, moved label, deleted total formula) is refused
//! with the sheet or cell that is wrong.
//!
//! ```
//! use nianbao::{form, model::Report};
//! let mut report = Report::from_toml_str(
//!     "[report]\nagency = \"某县统计局\"\nyear = 2024\n[applications]\nnew = [2, 0, 0, 0, 0, 1]\n",
//!     "x.toml",
//! ).unwrap();
//! report.text.overview = Some("总体情况。".into());
//! let bytes = form::form_bytes(&report, Some("x.toml")).unwrap();
//! let back = form::read_form_bytes(&bytes, "某县统计局.xlsx").unwrap();
//! assert_eq!(back, report);
//! ```

use std::io::Cursor;
use std::path::Path;

use calamine::{Data, Range, Reader, Xlsx};
use rust_xlsxwriter::{DataValidation, Workbook, XlsxError};

use crate::error::LoadError;
use crate::model::{Date, Headings, Report, TEXT_BLOCKS, Year};
use crate::tables::{self, BasicInfo, Content, Field, TITLE_ROWS, Table};
use crate::xlsx::{self, Mode, Styles, WorkbookError};

/// The sheet of text blocks.
pub const TEXT_SHEET: &str = "文字";

/// The sheets a filled form must have (the `校验` sheet is not read).
///
/// ```
/// assert_eq!(
///     nianbao::form::required_sheets(),
///     ["基本信息", "主动公开", "依申请公开", "复议诉讼", "文字"]
/// );
/// ```
pub fn required_sheets() -> Vec<&'static str> {
    let mut sheets = vec![BasicInfo::SHEET];
    sheets.extend(tables::all().iter().map(|t| t.sheet));
    sheets.push(TEXT_SHEET);
    sheets
}

// ---------------------------------------------------------------------------
// The 文字 sheet layout

/// What a row of the `文字` sheet holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    /// A text block of `[text]`.
    Block,
    /// A run-in heading of `[headings]`.
    Heading,
}

/// One row of the `文字` sheet: label in A, key in B, the text in C.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextRow {
    /// Block or heading.
    pub kind: TextKind,
    /// The name in [`TEXT_BLOCKS`], e.g. `overview`.
    pub name: &'static str,
    /// Key path in the input file, e.g. `text.overview` (column B).
    pub key: String,
    /// What the row is, in words (column A).
    pub label: String,
    /// 0-based sheet row.
    pub sheet_row: usize,
}

impl TextRow {
    /// `文字!C<row>`: the cell holding the text.
    pub fn excel_ref(&self) -> String {
        format!("{TEXT_SHEET}!C{}", self.sheet_row + 1)
    }
}

/// First 0-based row of the text rows (below the title and the column header).
const TEXT_FIRST_ROW: usize = TITLE_ROWS + 1;
/// Column headers of the `文字` sheet.
const TEXT_COLUMNS: [&str; 3] = [
    "项目",
    "键",
    "内容（可多段，段与段之间空一行；留空则用默认文字）",
];

/// The rows of the `文字` sheet: the 9 text blocks, then the 7 run-in headings.
///
/// ```
/// let rows = nianbao::form::text_rows();
/// assert_eq!(rows[0].key, "text.overview");
/// assert_eq!(rows[0].excel_ref(), "文字!C3");
/// assert_eq!(rows[9].key, "headings.proactive");
/// ```
pub fn text_rows() -> Vec<TextRow> {
    let defaults = Headings::default();
    let blocks = TEXT_BLOCKS.iter().map(|(name, place)| {
        (
            TextKind::Block,
            *name,
            format!("text.{name}"),
            place.to_string(),
        )
    });
    let headings = TEXT_BLOCKS
        .iter()
        .filter(|(name, _)| !defaults.get(name).is_empty())
        .map(|(name, place)| {
            (
                TextKind::Heading,
                *name,
                format!("headings.{name}"),
                format!("{place} 的小标题（留空即用「{}」）", defaults.get(name)),
            )
        });
    blocks
        .chain(headings)
        .enumerate()
        .map(|(i, (kind, name, key, label))| TextRow {
            kind,
            name,
            key,
            label,
            sheet_row: TEXT_FIRST_ROW + i,
        })
        .collect()
}

/// The heading the input gives for `name` (not the default).
fn heading(h: &Headings, name: &str) -> Option<String> {
    match name {
        "proactive" => h.proactive.clone(),
        "on_request" => h.on_request.clone(),
        "management" => h.management.clone(),
        "platforms" => h.platforms.clone(),
        "oversight" => h.oversight.clone(),
        "problems" => h.problems.clone(),
        "improvements" => h.improvements.clone(),
        _ => None,
    }
}

fn set_heading(h: &mut Headings, name: &str, value: Option<String>) {
    let slot = match name {
        "proactive" => &mut h.proactive,
        "on_request" => &mut h.on_request,
        "management" => &mut h.management,
        "platforms" => &mut h.platforms,
        "oversight" => &mut h.oversight,
        "problems" => &mut h.problems,
        "improvements" => &mut h.improvements,
        _ => return,
    };
    *slot = value;
}

fn text_value(report: &Report, row: &TextRow) -> Option<String> {
    match row.kind {
        TextKind::Block => report.text.get(row.name).map(str::to_string),
        TextKind::Heading => heading(&report.headings, row.name),
    }
}

/// Writes the `文字` sheet of the form.
pub(crate) fn text_sheet(wb: &mut Workbook, report: &Report, st: &Styles) -> Result<(), XlsxError> {
    const WIDTHS: [f64; 3] = [24.0, 22.0, 90.0];
    let ws = wb.add_worksheet();
    ws.set_name(TEXT_SHEET)?;
    for (col, w) in WIDTHS.iter().enumerate() {
        ws.set_column_width(col as u16, *w)?;
    }
    ws.merge_range(0, 0, 0, 2, "文字（报告正文各部分）", &st.title)?;
    ws.set_row_height(0, 30)?;
    let header = TITLE_ROWS as u32;
    for (col, name) in TEXT_COLUMNS.iter().enumerate() {
        ws.write_string_with_format(header, col as u16, *name, &st.label_bold)?;
    }
    for row in text_rows() {
        let r = row.sheet_row as u32;
        let text = text_value(report, &row).unwrap_or_default();
        ws.write_string_with_format(r, 0, &row.label, &st.label_left)?;
        ws.write_string_with_format(r, 1, &row.key, &st.label_left)?;
        ws.write_string_with_format(r, 2, &text, &st.input_long_text)?;
        let (min_lines, help) = match row.kind {
            TextKind::Block => (
                8,
                "填这一部分的正文；可多段，段与段之间空一行。可用 {{变量}} 引用表中数字。留空则用默认文字。",
            ),
            TextKind::Heading => (1, "填小标题的另一种说法；留空即用默认小标题。"),
        };
        let lines = xlsx::lines_needed(&text, WIDTHS[2])
            .max(xlsx::lines_needed(&row.label, WIDTHS[0]))
            .max(min_lines);
        ws.set_row_height(r, xlsx::row_height(lines))?;
        let dv = DataValidation::new()
            .allow_any_value()
            .set_input_title(xlsx::clip(&row.label).chars().take(30).collect::<String>())?
            .set_input_message(help)?;
        ws.add_data_validation(r, 2, r, 2, &dv)?;
    }
    ws.set_paper_size(9);
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(0, header)?;
    xlsx::protect(ws);
    Ok(())
}

// ---------------------------------------------------------------------------
// Writing the form

/// The fill-in form for `report` as XLSX bytes; the file name of `source`
/// (the `--from` file; its folders are dropped) is recorded on the `基本信息`
/// sheet. Given totals are not written: the
/// totals of the form are formulas.
///
/// ```
/// let report = nianbao::form::new_report("某县统计局", 2024, None);
/// let bytes = nianbao::form::form_bytes(&report, None).unwrap();
/// assert_eq!(&bytes[..2], b"PK");
/// ```
pub fn form_bytes(report: &Report, source: Option<&str>) -> Result<Vec<u8>, WorkbookError> {
    let mut wb = xlsx::build(report, source, Mode::Form)?;
    wb.save_to_buffer().map_err(|source| WorkbookError {
        sheet: "工作簿".into(),
        source,
    })
}

/// The report a new form starts from: `from` (if any) with the agency and
/// year replaced, and given totals dropped.
///
/// When `from` is the previous year's report (its year is `year - 1`), the
/// form starts a new year instead: it keeps who reports and the texts (as a
/// draft), pre-fills 二、上年结转 with last year's 四、结转下年度继续办理 and
/// 现行有效件数 with last year's, and leaves every other number 0.
///
/// ```
/// use nianbao::form::new_report;
/// let mut last = new_report("某局", 2024, None);
/// last.applications.carry_forward.values = [1, 0, 0, 0, 0, 2];
/// last.applications.new.values = [5, 0, 0, 0, 0, 2];
/// let this = new_report("某局", 2025, Some(last));
/// assert_eq!(this.applications.carried_over.values, [1, 0, 0, 0, 0, 2]);
/// assert_eq!(this.applications.new.values, [0; 6]);
/// ```
pub fn new_report(agency: &str, year: u16, from: Option<Report>) -> Report {
    let mut report = match from {
        Some(last) if last.report.year.0.checked_add(1) == Some(year) => {
            let mut r = Report {
                report: last.report.clone(),
                text: last.text.clone(),
                headings: last.headings.clone(),
                ..Report::default()
            };
            r.report.issued_on = None;
            r.applications.carried_over.values = last.applications.carry_forward.values;
            r.active.rules.in_force = last.active.rules.in_force;
            r.active.normative_documents.in_force = last.active.normative_documents.in_force;
            r
        }
        Some(r) => r,
        None => Report::default(),
    };
    report.report.agency = agency.to_string();
    report.report.year = Year(year);
    clear_given_totals(&mut report);
    report
}

/// Drops every total the input typed (the form computes them).
///
/// ```
/// let mut report = nianbao::model::Report::from_toml_str(
///     "[report]\nagency = \"某局\"\nyear = 2024\n[applications]\nnew = [1, 0, 0, 0, 0, 0, 1]\n",
///     "x.toml",
/// ).unwrap();
/// assert_eq!(report.applications.new.given_total, Some(1));
/// nianbao::form::clear_given_totals(&mut report);
/// assert_eq!(report.applications.new.given_total, None);
/// ```
pub fn clear_given_totals(report: &mut Report) {
    report.applications.total = None;
    for t in tables::all() {
        for (_, total) in t.totals() {
            match total.given {
                tables::Given::ApplicantRowTotal((_, get_mut)) => {
                    get_mut(report).given_total = None
                }
                tables::Given::OutcomeRowTotal((_, get_mut)) => get_mut(report).given_total = None,
                tables::Given::ResultsTotal(_) => {}
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Reading a filled form

/// Reads a filled form (`.xlsx`) back into a report.
///
/// ```no_run
/// let report = nianbao::form::read_form(std::path::Path::new("填报表.xlsx")).unwrap();
/// println!("{}", report.title());
/// ```
pub fn read_form(path: &Path) -> Result<Report, LoadError> {
    let bytes = std::fs::read(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    read_form_bytes(&bytes, &path.display().to_string())
}

/// Reads a filled form from its bytes; `file` names it in errors.
///
/// ```
/// let err = nianbao::form::read_form_bytes(b"PK?", "x.xlsx").unwrap_err();
/// assert!(err.to_string().starts_with("x.xlsx: 工作簿：不是可读的 Excel 工作簿"));
/// ```
pub fn read_form_bytes(bytes: &[u8], file: &str) -> Result<Report, LoadError> {
    let err = |cell: &str, message: String| LoadError::Form {
        file: file.to_string(),
        cell: cell.to_string(),
        message,
    };
    let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e| err("工作簿", format!("不是可读的 Excel 工作簿（.xlsx）：{e}")))?;
    let names = wb.sheet_names();
    for sheet in required_sheets() {
        if !names.iter().any(|n| n == sheet) {
            return Err(err(
                sheet,
                format!(
                    "缺少工作表「{sheet}」（现有：{}）；这不是 nianbao 填报表，请用 nianbao form 生成",
                    names.join("、")
                ),
            ));
        }
    }
    let mut sheet = |name: &str| -> Result<Sheet, LoadError> {
        let values = wb
            .worksheet_range(name)
            .map_err(|e| err(name, format!("无法读取工作表：{e}")))?;
        let formulas = wb
            .worksheet_formula(name)
            .map_err(|e| err(name, format!("无法读取工作表的公式：{e}")))?;
        Ok(Sheet {
            name: name.to_string(),
            values,
            formulas,
        })
    };
    let mut report = Report::default();
    let info = sheet(BasicInfo::SHEET)?;
    read_basic_info(&info, &mut report).map_err(|(c, m)| err(&c, m))?;
    for table in tables::all() {
        let s = sheet(table.sheet)?;
        read_table(&s, table, &mut report).map_err(|(c, m)| err(&c, m))?;
    }
    let text = sheet(TEXT_SHEET)?;
    read_text(&text, &mut report).map_err(|(c, m)| err(&c, m))?;
    crate::load::check_text(&report, file).map_err(|e| match e {
        LoadError::Invalid {
            key_path, message, ..
        } => err(&cell_of_key(&key_path), message),
        other => other,
    })?;
    Ok(report)
}

/// The form cell of a key path of the input (for errors found after reading).
fn cell_of_key(key_path: &str) -> String {
    BasicInfo::ALL
        .iter()
        .find(|b| b.key() == key_path)
        .map(|b| b.excel_ref())
        .or_else(|| {
            text_rows()
                .into_iter()
                .find(|r| r.key == key_path)
                .map(|r| r.excel_ref())
        })
        .unwrap_or_else(|| key_path.to_string())
}

/// A cell error: `sheet!A1` and the message.
type CellError = (String, String);

struct Sheet {
    name: String,
    values: Range<Data>,
    formulas: Range<String>,
}

impl Sheet {
    fn get(&self, row: usize, col: usize) -> &Data {
        self.values
            .get_value((row as u32, col as u32))
            .unwrap_or(&Data::Empty)
    }

    fn formula(&self, row: usize, col: usize) -> &str {
        self.formulas
            .get_value((row as u32, col as u32))
            .map(String::as_str)
            .unwrap_or("")
    }

    fn a1(&self, row: usize, col: usize) -> String {
        format!("{}!{}{}", self.name, tables::column_letter(col), row + 1)
    }

    /// The cell must hold exactly `label`.
    fn expect_label(&self, row: usize, col: usize, label: &str) -> Result<(), CellError> {
        let found = self.get(row, col);
        match found {
            Data::String(s) if s.trim() == label => Ok(()),
            _ => Err((
                self.a1(row, col),
                format!(
                    "应为标签「{label}」，实为 {}；这不是 nianbao 填报表，或表格的行列被移动、标签被改动",
                    shown(found)
                ),
            )),
        }
    }
}

/// A cell value as the clerk would recognise it in a message.
fn shown(value: &Data) -> String {
    match value {
        Data::Empty => "空白".to_string(),
        Data::String(s) => format!("\"{s}\""),
        Data::Float(f) => format!("{f}"),
        Data::Int(i) => format!("{i}"),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::Error(e) => format!("错误值 {e}"),
        Data::DateTime(d) => {
            let (y, m, day, ..) = d.to_ymd_hms_milli();
            format!("日期 {y}-{m:02}-{day:02}")
        }
        Data::DateTimeIso(s) | Data::DurationIso(s) => format!("\"{s}\""),
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
        .map_err(|e| format!("{e}（单元格中为 {}）", shown(value)))
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

fn read_date(value: &Data) -> Result<Option<Date>, String> {
    let bad = || format!("成文日期应写作 2025-01-20，实为 {}", shown(value));
    match value {
        Data::Empty => Ok(None),
        Data::String(s) if s.trim().is_empty() => Ok(None),
        Data::String(s) | Data::DateTimeIso(s) => {
            let s = s.trim();
            let s = s.split('T').next().unwrap_or(s);
            s.replace(['/', '.'], "-")
                .parse()
                .map(Some)
                .map_err(|_| bad())
        }
        Data::DateTime(d) => serial_to_date(d.as_f64()).map(Some).ok_or_else(bad),
        Data::Float(f) => serial_to_date(*f).map(Some).ok_or_else(bad),
        _ => Err(bad()),
    }
}

fn read_basic_info(sheet: &Sheet, report: &mut Report) -> Result<(), CellError> {
    for item in BasicInfo::ALL {
        let row = item.sheet_row();
        sheet.expect_label(row, 0, item.label())?;
        let value = sheet.get(row, 1);
        let at = || sheet.a1(row, 1);
        let info = &mut report.report;
        let fees = &mut report.processing_fees;
        match item {
            BasicInfo::Agency => {
                info.agency =
                    read_text_value(value).ok_or_else(|| (at(), "机关全称不能为空".to_string()))?;
            }
            BasicInfo::ShortName => info.short_name = read_text_value(value),
            BasicInfo::Region => info.region = read_text_value(value),
            BasicInfo::IssuedOn => info.issued_on = read_date(value).map_err(|m| (at(), m))?,
            BasicInfo::Year => {
                let years = crate::model::YEARS;
                let bad = || {
                    (
                        at(),
                        format!(
                            "报告年度应为 {}–{} 之间的整数，实为 {}",
                            years.start(),
                            years.end(),
                            shown(value)
                        ),
                    )
                };
                if matches!(value, Data::Empty) {
                    return Err(bad());
                }
                let y = read_count(value).map_err(|_| bad())?;
                let y = u16::try_from(y)
                    .ok()
                    .filter(|y| years.contains(y))
                    .ok_or_else(bad)?;
                info.year = Year(y);
            }
            BasicInfo::ProcessingFeeNotices => {
                fees.notices = read_count(value).map_err(|m| (at(), m))?
            }
            BasicInfo::ProcessingFeeNoticesAmount => {
                fees.notices_amount = read_amount(value).map_err(|m| (at(), m))?
            }
            BasicInfo::ProcessingFeeCollected => {
                fees.collected = read_amount(value).map_err(|m| (at(), m))?
            }
            BasicInfo::SourceFile => {}
        }
    }
    Ok(())
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

fn read_table(sheet: &Sheet, table: &Table, report: &mut Report) -> Result<(), CellError> {
    for cell in &table.cells {
        let (row, col) = (cell.row + TITLE_ROWS, cell.col);
        match &cell.content {
            Content::Label(label) => sheet.expect_label(row, col, label)?,
            Content::Input(input) => {
                let value = sheet.get(row, col);
                let at = || sheet.a1(row, col);
                if !sheet.formula(row, col).is_empty() {
                    return Err((
                        at(),
                        format!("这里应填数字，不能填公式（={}）", sheet.formula(row, col)),
                    ));
                }
                match input.field {
                    Field::Fees => {
                        report.active.fees = read_amount(value).map_err(|m| (at(), m))?;
                    }
                    field => {
                        let n = read_count(value).map_err(|m| (at(), m))?;
                        if let Some(slot) = field.count_mut(report) {
                            *slot = n;
                        }
                    }
                }
            }
            Content::Total(total) => {
                let expected = xlsx::sum_formula(table, &total.terms, "");
                let found = sheet.formula(row, col);
                if normalise(found) != normalise(&expected) {
                    let what = if found.is_empty() {
                        format!("公式被删除（现为 {}）", shown(sheet.get(row, col)))
                    } else {
                        format!("公式被改为 ={found}")
                    };
                    return Err((
                        sheet.a1(row, col),
                        format!(
                            "{}是自动合计，{what}；应为 ={expected}，请恢复公式",
                            total.words
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

fn read_text(sheet: &Sheet, report: &mut Report) -> Result<(), CellError> {
    for row in text_rows() {
        sheet.expect_label(row.sheet_row, 1, &row.key)?;
        let value = read_text_value(sheet.get(row.sheet_row, 2));
        match row.kind {
            TextKind::Block => report.text.set(row.name, value),
            TextKind::Heading => set_heading(&mut report.headings, row.name, value),
        }
    }
    Ok(())
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
