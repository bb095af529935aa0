//! The check report: `校验报告.xlsx` and, on request, `check-report.json`.
//!
//! A title row ([`title`]), the header row ([`COLUMNS`]), then one row per
//! input (file, agency, year, status, what happened, the last-year
//! comparison), followed by one row per finding (rule, severity, cell,
//! expected, found). Failed inputs first, then unreadable ones, then the
//! generated ones; in input order within each.
//!
//! Printed on landscape A4 as wide as one page, the header row on every
//! page, long texts wrapped in their cells.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};

use rust_xlsxwriter::{
    DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, XlsxError,
};
use serde::Deserialize;

use super::spool::Spool;
use super::summary::cell_text;
use super::{Counts, PreviousCheck, Status};
use crate::check::Severity;

/// File name of the Excel check report.
pub const XLSX_NAME: &str = "校验报告.xlsx";
/// File name of the JSON check report.
pub const JSON_NAME: &str = "check-report.json";
/// Sheet name of the Excel check report.
pub const SHEET: &str = "校验报告";

/// The last row an Excel sheet has (0-based); kept for [`TRUNCATED`].
const LAST_ROW: u32 = 1_048_575;
/// The last row's note when the findings do not fit in one sheet.
const TRUNCATED: &str =
    "行数超出 Excel 上限，以下从略；完整内容见 check-report.json（--format json）";

/// The sheet row of [`COLUMNS`] (0-based), below the title row.
pub const HEADER_ROW: u32 = 1;
/// The sheet row of the first input (0-based).
pub const FIRST_ROW: u32 = HEADER_ROW + 1;

/// The widths of [`COLUMNS`], in Excel character units: together about a
/// landscape A4 page at 75 %.
const WIDTHS: [f64; 14] = [
    5.0, 20.0, 28.0, 6.0, 8.0, 16.0, 5.0, 5.0, 26.0, 11.0, 20.0, 7.0, 7.0, 40.0,
];
/// The columns whose texts are wrapped: file, agency, comparison, cell,
/// key, message.
const WRAPPED: [usize; 6] = [1, 2, 5, 8, 10, 13];

/// The lines the longest wrapped text of a row takes (`(column, text)`). A
/// Chinese character counts 2.2 width units, any other 1.3 (Calibri or a
/// wider substitute).
fn lines_of(texts: &[(usize, &str)]) -> u32 {
    texts
        .iter()
        .map(|&(col, text)| {
            let units: f64 = cell_text(text)
                .chars()
                .map(|c| if c.is_ascii() { 1.3 } else { 2.2 })
                .sum();
            (units / (WIDTHS[col] - 1.0)).ceil().max(1.0) as u32
        })
        .fold(1, u32::max)
}

/// Points per line of wrapped text.
const LINE_POINTS: f64 = 15.0;

/// Excel's highest row, in points.
const MAX_ROW_POINTS: f64 = 409.0;

/// The wrapped texts of an input's own row.
fn input_texts<'a>(r: &'a Stored, previous: &'a str) -> [(usize, &'a str); 4] {
    [
        (1, &r.input),
        (2, r.agency.as_deref().unwrap_or("")),
        (5, previous),
        (13, &r.message),
    ]
}

/// The wrapped texts of a finding's row.
fn finding_texts<'a>(r: &'a Stored, f: &'a StoredFinding) -> [(usize, &'a str); 5] {
    [
        (1, &r.input),
        (2, r.agency.as_deref().unwrap_or("")),
        (8, &f.cell),
        (10, &f.key),
        (13, &f.message),
    ]
}

/// The lines most rows of the report take: the sheet's default height, so
/// that only the other rows need one of their own. Every row that does is
/// kept by rust_xlsxwriter until the end, a few hundred bytes each (6 MB
/// for 10,000 inputs): a first pass over the spool finds the height that
/// most rows share.
fn usual_lines(spool: &Spool) -> Result<u32, XlsxError> {
    let mut counts: BTreeMap<u32, u64> = BTreeMap::new();
    for line in spool.results() {
        let r: Stored = serde_json::from_str(&line.map_err(xlsx_error)?).map_err(xlsx_error)?;
        let previous = r.previous.describe();
        *counts
            .entry(lines_of(&input_texts(&r, &previous)))
            .or_default() += 1;
        for f in &r.findings {
            *counts.entry(lines_of(&finding_texts(&r, f))).or_default() += 1;
        }
    }
    // The most common; of equally common ones, the taller.
    Ok(counts
        .into_iter()
        .max_by_key(|&(lines, n)| (n, lines))
        .map_or(1, |(lines, _)| lines))
}

/// Gives `row` the height of its longest wrapped text where that is not the
/// sheet's default of `usual` lines, so that no text is cut on screen or on
/// paper (applications that do not size rows on opening show them whole
/// too). A row that needs fewer lines keeps the default.
fn fit_row(
    sheet: &mut rust_xlsxwriter::Worksheet,
    row: u32,
    usual: u32,
    texts: &[(usize, &str)],
) -> Result<(), XlsxError> {
    let lines = lines_of(texts);
    if lines > usual {
        sheet.set_row_height(row, (LINE_POINTS * f64::from(lines)).min(MAX_ROW_POINTS))?;
    }
    Ok(())
}

/// The title row of the check report: the region of the batch and the
/// latest year of its inputs, when one was read.
///
/// ```
/// use nianbao::batch::check_report::title;
/// assert_eq!(title("某县", Some(2024)), "某县 2024年度政府信息公开工作年度报告校验报告");
/// assert_eq!(title("某县", None), "某县 政府信息公开工作年度报告校验报告");
/// ```
pub fn title(name: &str, year: Option<u16>) -> String {
    let name = cell_text(name);
    match year {
        Some(year) => format!("{name} {year}年度政府信息公开工作年度报告校验报告"),
        None => format!("{name} 政府信息公开工作年度报告校验报告"),
    }
}

/// The columns of the Excel check report.
pub const COLUMNS: [&str; 14] = [
    "序号",
    "输入文件",
    "机关",
    "年度",
    "状态",
    "上年对比",
    "规则",
    "级别",
    "单元格",
    "Excel单元格",
    "键",
    "应为",
    "实为",
    "说明",
];

/// A result as read back from the spool.
#[derive(Deserialize)]
struct Stored {
    input: String,
    agency: Option<String>,
    year: Option<u16>,
    status: Status,
    message: String,
    previous: PreviousCheck,
    findings: Vec<StoredFinding>,
}

/// A finding as read back from the spool.
#[derive(Deserialize)]
struct StoredFinding {
    rule: String,
    severity: serde_json::Value,
    cell: String,
    excel_cell: String,
    key: String,
    expected: i64,
    found: i64,
    message: String,
}

/// 错误 or 警告, from a severity as serialized.
fn severity_chinese(value: &serde_json::Value) -> &'static str {
    [Severity::Error, Severity::Warning]
        .into_iter()
        .find(|s| serde_json::to_value(s).ok().as_ref() == Some(value))
        .map_or("", |s| s.chinese())
}

fn xlsx_error(e: impl std::fmt::Display) -> XlsxError {
    XlsxError::ParameterError(e.to_string())
}

/// `校验报告.xlsx`, written into `out`; `title` heads the sheet ([`title`]),
/// `year` dates the document properties.
pub fn write_xlsx<W: std::io::Write + std::io::Seek + Send>(
    spool: &Spool,
    title: &str,
    year: u16,
    out: W,
) -> Result<(), XlsxError> {
    let mut workbook = Workbook::new();
    // Deflate level 1, as the reports: level 6 cost more than a
    // 1,000-agency summary's share of the batch for a few per cent.
    workbook.set_zip_compression_level(1);
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_border(FormatBorder::Thin)
        .set_background_color("#DDEBF7");
    let heading = Format::new()
        .set_bold()
        .set_font_size(14)
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter);
    // Every cell has a thin border, long texts wrap; the columns carry the
    // formats, the status cells their own colour.
    let cell = Format::new()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Top);
    let wrapped = cell.clone().set_text_wrap();
    let failed = cell.clone().set_bold().set_font_color("#C00000");
    let unreadable = cell.clone().set_bold().set_font_color("#7F6000");
    let ok = cell.clone().set_font_color("#375623");
    let plain = cell.clone();
    let sheet = workbook.add_worksheet_with_constant_memory()?;
    sheet.set_name(SHEET)?;
    for (i, width) in WIDTHS.iter().enumerate() {
        sheet.set_column_width(i as u16, *width)?;
        let format = if WRAPPED.contains(&i) {
            &wrapped
        } else {
            &cell
        };
        sheet.set_column_format(i as u16, format)?;
    }
    let last_col = COLUMNS.len() as u16 - 1;
    sheet.merge_range(0, 0, 0, last_col, cell_text(title), &heading)?;
    sheet.set_row_height(0, 30)?;
    for (i, name) in COLUMNS.iter().enumerate() {
        sheet.write_with_format(HEADER_ROW, i as u16, *name, &header)?;
    }
    sheet.set_row_height(HEADER_ROW, 30)?;
    let usual = usual_lines(spool)?;
    sheet.set_default_row_height((LINE_POINTS * f64::from(usual)).min(MAX_ROW_POINTS));
    sheet.set_freeze_panes(FIRST_ROW, 0)?;
    sheet.set_landscape();
    sheet.set_paper_size(9);
    sheet.set_margins(0.4, 0.4, 0.6, 0.6, 0.3, 0.3);
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_repeat_rows(HEADER_ROW, HEADER_ROW)?;
    sheet.set_footer("&C第 &P 页，共 &N 页");
    let mut row = FIRST_ROW;
    'inputs: for (n, line) in spool.results().enumerate() {
        let r: Stored = serde_json::from_str(&line.map_err(xlsx_error)?).map_err(xlsx_error)?;
        let r = &r;
        let status_format = match r.status {
            Status::Failed => &failed,
            Status::Unreadable => &unreadable,
            Status::Ok => &ok,
        };
        let identity = |sheet: &mut rust_xlsxwriter::Worksheet,
                        row: u32,
                        format: &Format|
         -> Result<(), XlsxError> {
            sheet.write(row, 0, (n + 1) as u32)?;
            sheet.write(row, 1, cell_text(&r.input))?;
            sheet.write(row, 2, cell_text(r.agency.as_deref().unwrap_or("")))?;
            if let Some(year) = r.year {
                sheet.write(row, 3, year)?;
            }
            sheet.write_with_format(row, 4, r.status.chinese(), format)?;
            sheet.write(row, 5, r.previous.describe())?;
            Ok(())
        };
        if row >= LAST_ROW {
            sheet.write(LAST_ROW, 13, TRUNCATED)?;
            break 'inputs;
        }
        let previous = r.previous.describe();
        fit_row(sheet, row, usual, &input_texts(r, &previous))?;
        identity(sheet, row, status_format)?;
        for col in 6..13 {
            // Bordered like the rest of the row.
            sheet.write_blank(row, col, &plain)?;
        }
        sheet.write(row, 13, cell_text(&r.message))?;
        row += 1;
        for f in &r.findings {
            if row >= LAST_ROW {
                sheet.write(LAST_ROW, 13, TRUNCATED)?;
                break 'inputs;
            }
            fit_row(sheet, row, usual, &finding_texts(r, f))?;
            identity(sheet, row, &plain)?;
            sheet.write(row, 6, f.rule.as_str())?;
            sheet.write(row, 7, severity_chinese(&f.severity))?;
            sheet.write(row, 8, cell_text(&f.cell))?;
            sheet.write(row, 9, f.excel_cell.as_str())?;
            sheet.write(row, 10, f.key.as_str())?;
            sheet.write(row, 11, f.expected as f64)?;
            sheet.write(row, 12, f.found as f64)?;
            sheet.write(row, 13, cell_text(&f.message))?;
            row += 1;
        }
    }
    sheet.autofilter(HEADER_ROW, 0, row.max(FIRST_ROW + 1) - 1, last_col)?;
    let date = ExcelDateTime::from_ymd(year, 12, 31)?;
    workbook.set_properties(
        &DocProperties::new()
            .set_title("政府信息公开工作年度报告校验报告")
            .set_author("nianbao")
            .set_creation_datetime(&date),
    );
    workbook.save_to_writer(out)
}

/// Writes `check-report.json` into `file`: the counts, then every input in
/// check-report order.
pub fn write_json(spool: &Spool, counts: &Counts, file: &mut File) -> std::io::Result<()> {
    let mut out = BufWriter::new(file);
    writeln!(out, "{{")?;
    for (key, n) in [
        ("total", counts.total),
        ("ok", counts.ok),
        ("failed", counts.failed),
        ("unreadable", counts.unreadable),
    ] {
        writeln!(out, "  \"{key}\": {n},")?;
    }
    write!(out, "  \"inputs\": [")?;
    for (i, line) in spool.results().enumerate() {
        let sep = if i == 0 { "" } else { "," };
        write!(out, "{sep}\n    {}", line?)?;
    }
    writeln!(out, "\n  ]\n}}")?;
    out.into_inner().map_err(|e| e.into_error())?.sync_all()
}
