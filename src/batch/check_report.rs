//! The check report: `校验报告.xlsx` and, on request, `check-report.json`.
//!
//! One row per input (file, agency, year, status, what happened, the
//! last-year comparison), followed by one row per finding (rule, severity,
//! cell, expected, found). Failed inputs first, then unreadable ones, then
//! the generated ones; in input order within each.

use std::fs::File;
use std::io::{BufWriter, Write};

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatBorder, Workbook, XlsxError};
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

/// `校验报告.xlsx`, built in memory (the zip writer never writes to a disk
/// that can fill); `year` dates the document properties.
pub fn write_xlsx<W: std::io::Write + std::io::Seek + Send>(
    spool: &Spool,
    year: u16,
    out: W,
) -> Result<(), XlsxError> {
    let mut workbook = Workbook::new();
    // Deflate level 1, as the reports: level 6 cost more than a
    // 1,000-agency summary's share of the batch for a few per cent.
    workbook.set_zip_compression_level(1);
    let header = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_background_color("#DDEBF7");
    let failed = Format::new().set_bold().set_font_color("#C00000");
    let unreadable = Format::new().set_bold().set_font_color("#7F6000");
    let ok = Format::new().set_font_color("#375623");
    let plain = Format::new();
    let sheet = workbook.add_worksheet_with_constant_memory()?;
    sheet.set_name(SHEET)?;
    for (i, name) in COLUMNS.iter().enumerate() {
        sheet.write_with_format(0, i as u16, *name, &header)?;
    }
    for (i, width) in [6, 36, 34, 6, 10, 30, 6, 6, 44, 16, 36, 8, 8, 60]
        .iter()
        .enumerate()
    {
        sheet.set_column_width(i as u16, *width)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    let mut row = 1u32;
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
        identity(sheet, row, status_format)?;
        sheet.write(row, 13, cell_text(&r.message))?;
        row += 1;
        for f in &r.findings {
            if row >= LAST_ROW {
                sheet.write(LAST_ROW, 13, TRUNCATED)?;
                break 'inputs;
            }
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
    sheet.autofilter(0, 0, row.max(2) - 1, COLUMNS.len() as u16 - 1)?;
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
