//! The fill-in Excel form: writing it ([`form_bytes`]) and reading a filled
//! one back into a [`Report`] ([`read_form`]).
//!
//! The form has the sheets of the statistical workbook ([`crate::render::xlsx`]) plus
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

use std::io::Cursor;

use calamine::{Data, Range, Reader, Xlsx};

use crate::model::{Date, Report, Year};
use crate::read::LoadError;
use crate::spec::sheets::{TEXT_SHEET, TextKind, required_sheets, sum_formula, text_rows};
use crate::spec::tables::{self, BasicInfo, Content, Field, TITLE_ROWS, Table};

// ---------------------------------------------------------------------------
// Reading a filled form

/// Reads a filled form from its bytes; `file` names it in errors.
///
/// ```
/// let err = nianbao::read_form_bytes(b"PK?", "x.xlsx").unwrap_err();
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
    crate::read::check_text(&report, file).map_err(|e| match e {
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
                let expected = sum_formula(table, &total.terms, "");
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
            TextKind::Block | TextKind::Heading => row.set(report, value),
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
