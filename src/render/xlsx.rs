//! The Excel statistical workbook (XLSX), and the sheet writer the fill-in
//! form ([`crate::form`]) shares.
//!
//! Sheets: `基本信息`, one sheet per mandated table (`主动公开`, `依申请公开`,
//! `复议诉讼`, laid out cell for cell as [`crate::spec::tables`] describes them, a
//! title row above each), and `校验`, where each rule of FORMAT.md §7 that can
//! fail in the workbook (R1 per column, R10; [`crate::spec::rules`]) is a
//! live formula showing 通过/不通过, with what the rule means; the rules the
//! workbook cannot fail are not listed. Every total is an Excel formula with its
//! value cached, so viewers that do not recalculate still show the right number.
//!
//! Same report, same bytes: the document-properties time comes from the report
//! (成文日期, else 1 January of the following year), never from the clock.

use std::collections::HashMap;
use std::sync::LazyLock;

use rust_xlsxwriter::{
    Color, DataValidation, DataValidationErrorStyle, DataValidationRule, ExcelDateTime, Format,
    FormatAlign, FormatBorder, ProtectionOptions, Workbook, XlsxError,
};

use crate::render::sheet::{Book, Properties, Sheet as Worksheet};

use crate::model::Report;
use crate::spec::grid::Grid;
use crate::spec::rules::RULES;
use crate::spec::sheets::{
    CHECK_COLUMNS, CHECK_FIRST_ROW, CHECK_SHEET, DATE_EXAMPLE, DATE_FORMAT, DATE_RANGE, FAIL, PASS,
    TEXT_COLUMNS, TEXT_SHEET, TextKind, UNIT_FEES, UNIT_YUAN, check_lines, text_rows,
};
use crate::spec::tables::{self, Align, BasicInfo, Cell, Content, Field, TITLE_ROWS, Table, Value};

/// The font of every cell (FORMAT.md §9: tables in 仿宋_GB2312 五号).
pub const FONT: &str = "仿宋_GB2312";
/// 五号 in points.
pub const FONT_SIZE: f64 = 10.5;
/// The number format of 行政事业性收费 (万元): at least 2 and up to 6 decimals.
pub const FEES_FORMAT: &str = "0.00####";
/// The number format of the 元 amounts of 信息处理费.
pub const YUAN_FORMAT: &str = "0.00";

/// Why a workbook could not be written: the sheet, and what the writer said.
#[derive(Debug, thiserror::Error)]
#[error("无法写出 Excel 工作簿（工作表 {sheet}）：{source}")]
pub struct WorkbookError {
    /// The sheet being written, or `工作簿` for the workbook as a whole.
    pub sheet: String,
    /// The writer's error.
    #[source]
    pub source: XlsxError,
}

/// Statistical workbook or fill-in form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// `generate`: values and formulas, nothing locked.
    Statistics,
    /// `form`: inputs unlocked, shaded and validated; every sheet protected.
    Form,
}

/// Renders the statistical workbook as XLSX bytes; `source` is the input
/// path, whose file name only (no folders) is recorded on the `基本信息` sheet.
pub fn workbook_bytes(report: &Report, source: &str) -> Result<Vec<u8>, WorkbookError> {
    let book = build(report, Some(source), Mode::Statistics)?;
    if let Some(bytes) = crate::render::workbook_cache::write(&book) {
        return Ok(bytes);
    }
    save(&book)
}

/// Writes `book` through rust_xlsxwriter: the form, and any book the
/// skeleton cache does not take ([`crate::render::workbook_cache`]).
pub(crate) fn save(book: &Book) -> Result<Vec<u8>, WorkbookError> {
    book.to_workbook()
        .and_then(|mut wb| wb.save_to_buffer())
        .map_err(at("工作簿"))
}

/// Adds the sheets 主动公开, 依申请公开 and 复议诉讼 (tables 二, 三, 四 in the
/// mandated layout, totals as formulas with cached values) for `report` to
/// `workbook`.
pub fn add_table_sheets(workbook: &mut Workbook, report: &Report) -> Result<(), XlsxError> {
    let styles = Styles::new(Mode::Statistics);
    let mut book = Book::default();
    for table in tables::all() {
        table_sheet(&mut book, table, report, &styles)?;
    }
    book.add_sheets_to(workbook)
}

/// Builds the whole workbook in `mode` (the form adds its `文字` sheet).
pub(crate) fn build(
    report: &Report,
    source: Option<&str>,
    mode: Mode,
) -> Result<Book, WorkbookError> {
    build_with(report, source, mode, |_, _| Ok(()))
}

/// [`build`], with `first` writing the sheets that come before `基本信息`
/// (the form's `填表说明`, [`crate::render::form`]).
pub(crate) fn build_with(
    report: &Report,
    source: Option<&str>,
    mode: Mode,
    first: impl FnOnce(&mut Book, &Styles) -> Result<(), WorkbookError>,
) -> Result<Book, WorkbookError> {
    let styles = Styles::new(mode);
    let mut wb = Book::new(properties(report, mode));
    first(&mut wb, &styles)?;
    basic_info_sheet(&mut wb, report, source, &styles).map_err(at(BasicInfo::SHEET))?;
    for table in tables::all() {
        table_sheet(&mut wb, table, report, &styles).map_err(at(table.sheet))?;
    }
    if mode == Mode::Form {
        text_sheet(&mut wb, report, &styles).map_err(at(TEXT_SHEET))?;
    }
    check_sheet(&mut wb, report, &styles).map_err(at(CHECK_SHEET))?;
    Ok(wb)
}

pub(crate) fn at(sheet: &str) -> impl Fn(XlsxError) -> WorkbookError + '_ {
    move |source| WorkbookError {
        sheet: sheet.to_string(),
        source,
    }
}

/// Title, author and a creation time taken from the report.
fn properties(report: &Report, mode: Mode) -> Properties {
    let (y, m, d) = match report.report.issued_on {
        Some(date) => (date.year, date.month, date.day),
        None => (report.report.year.0.saturating_add(1), 1, 1),
    };
    let kind = match mode {
        Mode::Statistics => "统计表",
        Mode::Form => "填报表",
    };
    Properties {
        title: format!("{}{kind}", report.title()),
        subject: "政府信息公开工作年度报告".into(),
        author: report.report.agency.to_string(),
        company: report.report.agency.to_string(),
        comment: "由 nianbao 生成".into(),
        created: (y, m, d),
    }
}

// ---------------------------------------------------------------------------
// Formats

/// The cell formats of one workbook.
pub(crate) struct Styles {
    pub(crate) mode: Mode,
    pub(crate) title: Format,
    pub(crate) label: Format,
    pub(crate) label_left: Format,
    pub(crate) label_bold: Format,
    pub(crate) label_bold_left: Format,
    pub(crate) count: Format,
    pub(crate) total: Format,
    pub(crate) text: Format,
    /// Input cells (unlocked and shaded in the form).
    pub(crate) input_count: Format,
    pub(crate) input_fees: Format,
    pub(crate) input_yuan: Format,
    pub(crate) input_text: Format,
    pub(crate) input_long_text: Format,
    /// The form's 成文日期 cell (an Excel date shown as 2025年1月20日).
    pub(crate) input_date: Format,
}

/// Light yellow: the cells a clerk fills in.
const INPUT_FILL: u32 = 0xFFF2CC;
/// Light grey: computed cells of the form.
const TOTAL_FILL: u32 = 0xEDEDED;

impl Styles {
    pub(crate) fn new(mode: Mode) -> Styles {
        let base = Format::new()
            .set_font_name(FONT)
            .set_font_size(FONT_SIZE)
            .set_font_charset(134)
            .set_border(FormatBorder::Thin)
            .set_border_color(Color::Black)
            .set_align(FormatAlign::Center)
            .set_align(FormatAlign::VerticalCenter)
            .set_text_wrap();
        let count = base.clone().set_num_format("0");
        let fees = base.clone().set_num_format(FEES_FORMAT);
        let yuan = base.clone().set_num_format(YUAN_FORMAT);
        let text = base.clone().set_align(FormatAlign::Left);
        let input = |f: &Format| match mode {
            Mode::Statistics => f.clone(),
            Mode::Form => f
                .clone()
                .set_unlocked()
                .set_background_color(Color::RGB(INPUT_FILL)),
        };
        let total = match mode {
            Mode::Statistics => count.clone(),
            Mode::Form => count.clone().set_background_color(Color::RGB(TOTAL_FILL)),
        };
        Styles {
            mode,
            title: Format::new()
                .set_font_name(FONT)
                .set_font_size(14)
                .set_font_charset(134)
                .set_bold()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter)
                .set_text_wrap(),
            label: base.clone(),
            label_left: base.clone().set_align(FormatAlign::Left),
            label_bold: base.clone().set_bold(),
            label_bold_left: base.clone().set_bold().set_align(FormatAlign::Left),
            input_count: input(&count),
            input_fees: input(&fees),
            input_yuan: input(&yuan),
            input_text: input(&text).set_num_format("@"),
            input_long_text: input(&text).set_align(FormatAlign::Top).set_num_format("@"),
            input_date: input(&text).set_num_format(DATE_FORMAT),
            count,
            total,
            text,
        }
    }

    fn form(&self) -> bool {
        self.mode == Mode::Form
    }
}

/// Protects a form sheet (no password) but lets the clerk resize rows and columns.
pub(crate) fn protect(ws: &mut Worksheet) {
    ws.protect_with_options(&ProtectionOptions {
        format_columns: true,
        format_rows: true,
        ..ProtectionOptions::default()
    });
}

/// Page setup shared by all sheets: A4 portrait, one page wide, centred,
/// the first `repeat` rows repeated on every page.
pub(crate) fn print_setup(ws: &mut Worksheet, repeat: usize) -> Result<(), XlsxError> {
    ws.set_paper_size(9);
    ws.set_print_fit_to_pages(1, 0);
    ws.set_print_center_horizontally(true);
    ws.set_margins(0.5, 0.5, 0.75, 0.75, 0.3, 0.3);
    if repeat > 0 {
        ws.set_repeat_rows(0, row_num(repeat - 1))?;
    }
    Ok(())
}

fn row_num(row: usize) -> u32 {
    u32::try_from(row).unwrap_or(u32::MAX)
}

fn col_num(col: usize) -> u16 {
    u16::try_from(col).unwrap_or(u16::MAX)
}

// ---------------------------------------------------------------------------
// Row heights (Excel does not grow rows for wrapped text it did not lay out)

/// Points per line of 10.5 pt text, and the padding of a row.
const LINE_PT: f64 = 14.5;
const ROW_PAD_PT: f64 = 5.0;
const MIN_ROW_PT: f64 = 20.0;
/// Excel's largest row height.
pub(crate) const MAX_ROW_PT: f64 = 409.0;

/// Lines `text` needs in a cell `width` Excel character units wide: CJK
/// characters count about 14 px at 10.5 pt, others 7 px (a character unit is 7 px).
pub(crate) fn lines_needed(text: &str, width: f64) -> usize {
    let usable = (width * 7.0 - 4.0).max(14.0);
    text.split('\n')
        .map(|para| {
            let mut lines = 1;
            let mut px = 0.0;
            for c in para.chars() {
                let w = if c.is_ascii() { 7.0 } else { 14.0 };
                if px + w > usable {
                    lines += 1;
                    px = 0.0;
                }
                px += w;
            }
            lines
        })
        .sum()
}

/// The width of `text` in pixels in the model of [`lines_needed`].
fn text_px(text: &str) -> f64 {
    text.chars()
        .map(|c| if c.is_ascii() { 7.0 } else { 14.0 })
        .sum()
}

/// The narrowest column, in Excel character units, that holds each of
/// `labels` on one line in the model of [`lines_needed`], with one unit to
/// spare: the label column of `基本信息` is as wide as its longest label,
/// so no label wraps and none leaves a character alone.
pub(crate) fn width_for<'a>(labels: impl IntoIterator<Item = &'a str>) -> f64 {
    let px = labels.into_iter().map(text_px).fold(0.0, f64::max);
    ((px + 4.0) / 7.0).ceil() + 1.0
}

/// `text` cut into the lines of a cell `width` units wide, every break
/// explicit and never a character alone on a line: the line breaking of
/// table 三 of the Word report ([`crate::render::docx::label_lines`]), in
/// the character model of [`lines_needed`] (a CJK character 14 px of a
/// 7-px unit, as 210 twips of [`crate::render::docx::TABLE_CHAR_TWIPS`]).
/// Lines cut for Excel's width never wrap again in LibreOffice's or WPS's
/// wider measure.
pub(crate) fn cell_lines(text: &str, width: f64) -> Vec<String> {
    let twips_per_px = f64::from(crate::render::docx::TABLE_CHAR_TWIPS) / 14.0;
    let room = ((width * 7.0 - 4.0).max(14.0) * twips_per_px) as u32;
    text.split('\n')
        .flat_map(|para| crate::render::docx::explicit_lines(para, room))
        .collect()
}

/// The height in points of a row holding `lines` lines.
pub(crate) fn row_height(lines: usize) -> f64 {
    (lines as f64 * LINE_PT + ROW_PAD_PT).clamp(MIN_ROW_PT, MAX_ROW_PT)
}

/// Row heights for `table` so that every label fits, merged labels included.
fn table_row_heights(table: &Table) -> Vec<f64> {
    let width = |c: &Cell| -> f64 { table.widths_excel[c.col..c.col + c.col_span].iter().sum() };
    let mut heights = vec![MIN_ROW_PT; table.rows];
    for c in table.cells.iter().filter(|c| c.row_span == 1) {
        if let Content::Label(text) = c.content {
            heights[c.row] = heights[c.row].max(row_height(lines_needed(text, width(c))));
        }
    }
    for c in table.cells.iter().filter(|c| c.row_span > 1) {
        if let Content::Label(text) = c.content {
            let need = row_height(lines_needed(text, width(c)));
            let rows = c.row..c.row + c.row_span;
            let have: f64 = heights[rows.clone()].iter().sum();
            if have < need {
                let extra = (need - have) / c.row_span as f64;
                for h in &mut heights[rows] {
                    *h += extra;
                }
            }
        }
    }
    heights
}

// ---------------------------------------------------------------------------
// Table sheets

/// Writes one table sheet: title row, every cell of the description, print setup.
fn table_sheet(
    wb: &mut Book,
    table: &Table,
    report: &Report,
    st: &Styles,
) -> Result<(), XlsxError> {
    let ws = wb.add_worksheet();
    ws.set_name(table.sheet)?;
    for (col, w) in table.widths_excel.iter().enumerate() {
        ws.set_column_width(col_num(col), *w)?;
    }
    ws.merge_range(0, 0, 0, col_num(table.cols - 1), table.heading, &st.title)?;
    ws.set_row_height(0, 30)?;
    for (row, h) in table_row_heights(table).into_iter().enumerate() {
        ws.set_row_height(row_num(row + TITLE_ROWS), h)?;
    }
    let grid = Grid::new(table, report);
    for cell in &table.cells {
        write_cell(ws, table, cell, report, &grid, st)?;
    }
    print_setup(ws, TITLE_ROWS + table.header_rows)?;
    if table.header_rows > 0 {
        // Keep the column headers in view while scrolling.
        ws.set_freeze_panes(row_num(TITLE_ROWS + table.header_rows), 0)?;
    }
    if st.form() {
        protect(ws);
    }
    Ok(())
}

fn write_cell(
    ws: &mut Worksheet,
    table: &Table,
    cell: &Cell,
    report: &Report,
    grid: &Grid,
    st: &Styles,
) -> Result<(), XlsxError> {
    let (r, c) = (row_num(cell.row + TITLE_ROWS), col_num(cell.col));
    let (r2, c2) = (
        row_num(cell.row + TITLE_ROWS + cell.row_span - 1),
        col_num(cell.col + cell.col_span - 1),
    );
    let merged = cell.row_span > 1 || cell.col_span > 1;
    let format = match &cell.content {
        Content::Label(_) if cell.emphasis => &st.label_bold,
        Content::Label(_) if cell.align == Align::Left => &st.label_left,
        Content::Label(_) => &st.label,
        Content::Input(i) if matches!(i.field, Field::Fees) => &st.input_fees,
        Content::Input(_) => &st.input_count,
        Content::Total(_) => &st.total,
    };
    let text = match cell.content {
        Content::Label(t) => t,
        _ => "",
    };
    if merged {
        ws.merge_range(r, c, r2, c2, text, format)?;
    } else if !text.is_empty() {
        ws.write_string_with_format(r, c, text, format)?;
    }
    match &cell.content {
        Content::Label(_) => {}
        Content::Input(input) => {
            let value = match input.field.get(report) {
                Value::Count(n) => n as f64,
                Value::Amount(a) => a.to_f64(),
            };
            ws.write_number_with_format(r, c, value, format)?;
            if st.form() {
                ws.add_data_validation(r, c, r2, c2, &input_validation(table, input)?)?;
            }
        }
        Content::Total(total) => {
            let value = grid.count(cell.row, cell.col);
            let formula = crate::spec::sheets::sum_formula(table, &total.terms, "");
            ws.write_formula_with_format(r, c, formula, value.to_string(), format)?;
        }
    }
    Ok(())
}

/// The validation of an input cell: whole number ≥ 0, or a decimal ≥ 0 for 收费.
fn input_validation(table: &Table, input: &tables::Input) -> Result<DataValidation, XlsxError> {
    let words = format!("{} {}", table.name, input.words);
    if matches!(input.field, Field::Fees) {
        decimal_validation(&words, UNIT_FEES)
    } else {
        count_validation(&words)
    }
}

/// Whole number ≥ 0, with a Chinese input message naming the cell.
pub(crate) fn count_validation(words: &str) -> Result<DataValidation, XlsxError> {
    DataValidation::new()
        .allow_whole_number(DataValidationRule::GreaterThanOrEqualTo(0))
        .set_input_title("请填写件数")?
        .set_input_message(clip(&format!(
            "{words}：填非负整数（件）；没有填 0 或留空。"
        )))?
        .set_error_title("输入有误")?
        .set_error_message("这里只能填大于等于 0 的整数。")
}

/// Decimal ≥ 0, with a Chinese input message naming the cell and the unit.
pub(crate) fn decimal_validation(words: &str, unit: &str) -> Result<DataValidation, XlsxError> {
    DataValidation::new()
        .allow_decimal_number(DataValidationRule::GreaterThanOrEqualTo(0.0))
        .set_input_title("请填写金额")?
        .set_input_message(clip(&format!(
            "{words}：填非负数，{unit}；没有填 0 或留空。"
        )))?
        .set_error_title("输入有误")?
        .set_error_message("这里只能填大于等于 0 的数。")
}

/// An input message of at most 255 UTF-16 units (Excel's limit).
pub(crate) fn clip(text: &str) -> String {
    let mut out = String::new();
    let mut len = 0;
    for c in text.chars() {
        len += c.len_utf16();
        if len > 250 {
            out.push('…');
            break;
        }
        out.push(c);
    }
    out
}

// ---------------------------------------------------------------------------
// 基本信息

/// The file name of the input path as typed, without its folders (`/` or
/// `\`): the workbook must not depend on, or publish, where the input lay.
/// `-` (standard input) is recorded as nothing.
fn file_name_only(source: Option<&str>) -> &str {
    match source {
        None | Some("-") => "",
        Some(path) => path.rsplit(['/', '\\']).next().unwrap_or(""),
    }
}

fn basic_info_sheet(
    wb: &mut Book,
    report: &Report,
    source: Option<&str>,
    st: &Styles,
) -> Result<(), XlsxError> {
    let ws = wb.add_worksheet();
    ws.set_name(BasicInfo::SHEET)?;
    ws.set_column_width(0, width_for(BasicInfo::ALL.iter().map(BasicInfo::label)))?;
    ws.set_column_width(1, 48)?;
    ws.merge_range(0, 0, 0, 1, BasicInfo::SHEET, &st.title)?;
    ws.set_row_height(0, 30)?;
    let info = &report.report;
    // Zeros when `[processing_fees]` is absent: the rows are mandated
    // figures (see `Report::fees`); the narrative invents nothing from them.
    // The form leaves them blank instead, so that a form read back without
    // the clerk filling them is the report it was made from (no table).
    let fees = report.fees();
    let blank_fees = st.form() && report.processing_fees.is_none();
    for item in BasicInfo::ALL {
        let r = row_num(item.sheet_row());
        ws.write_string_with_format(r, 0, item.label(), &st.label_left)?;
        ws.set_row_height(r, 22)?;
        let text = |ws: &mut Worksheet, s: &str| {
            ws.write_string_with_format(r, 1, s, &st.input_text)
                .map(|_| ())
        };
        match item {
            BasicInfo::Agency => text(ws, &info.agency)?,
            BasicInfo::ShortName => text(ws, info.short_name.as_deref().unwrap_or(""))?,
            BasicInfo::Region => text(ws, info.region.as_deref().unwrap_or(""))?,
            // The form's date cell holds an Excel date, so that Excel takes
            // what a clerk types as a date and its validation can check it.
            BasicInfo::IssuedOn if st.form() => match info.issued_on {
                Some(d) => {
                    let serial = ExcelDateTime::from_ymd(d.year, d.month, d.day)?.to_excel();
                    ws.write_number_with_format(r, 1, serial, &st.input_date)?;
                }
                None => {
                    ws.write_string_with_format(r, 1, "", &st.input_date)?;
                }
            },
            BasicInfo::IssuedOn => text(
                ws,
                &info.issued_on.map(|d| d.to_string()).unwrap_or_default(),
            )?,
            BasicInfo::Year => {
                ws.write_number_with_format(r, 1, f64::from(info.year.0), &st.input_count)?;
            }
            BasicInfo::ProcessingFeeNotices if blank_fees => {
                ws.write_string_with_format(r, 1, "", &st.input_count)?;
            }
            BasicInfo::ProcessingFeeNoticesAmount | BasicInfo::ProcessingFeeCollected
                if blank_fees =>
            {
                ws.write_string_with_format(r, 1, "", &st.input_yuan)?;
            }
            BasicInfo::ProcessingFeeNotices => {
                ws.write_number_with_format(r, 1, f64::from(fees.notices), &st.input_count)?;
            }
            BasicInfo::ProcessingFeeNoticesAmount => {
                ws.write_number_with_format(r, 1, fees.notices_amount.to_f64(), &st.input_yuan)?;
            }
            BasicInfo::ProcessingFeeCollected => {
                ws.write_number_with_format(r, 1, fees.collected.to_f64(), &st.input_yuan)?;
            }
            BasicInfo::SourceFile => {
                ws.write_string_with_format(r, 1, file_name_only(source), &st.text)?;
            }
        }
        if st.form()
            && let Some(dv) = basic_info_validation(item)?
        {
            ws.add_data_validation(r, 1, r, 1, &dv)?;
        }
    }
    print_setup(ws, TITLE_ROWS)?;
    if st.form() {
        protect(ws);
    }
    Ok(())
}

fn basic_info_validation(item: BasicInfo) -> Result<Option<DataValidation>, XlsxError> {
    let words = item.label();
    let text = |message: &str| -> Result<Option<DataValidation>, XlsxError> {
        Ok(Some(
            DataValidation::new()
                .allow_any_value()
                .set_input_title(words)?
                .set_input_message(message)?,
        ))
    };
    match item {
        BasicInfo::Agency => text("填机关全称，如 潢川县卜塔集镇人民政府（必填）。"),
        BasicInfo::ShortName => text("填简称，如 卜塔集镇；可留空（即用全称）。"),
        BasicInfo::Region => text("填所属地区，如 潢川县；可留空。"),
        BasicInfo::IssuedOn => {
            let ((y0, m0, d0), (y1, m1, d1)) = DATE_RANGE;
            Ok(Some(
                DataValidation::new()
                    .allow_date(DataValidationRule::Between(
                        ExcelDateTime::from_ymd(y0, m0, d0)?,
                        ExcelDateTime::from_ymd(y1, m1, d1)?,
                    ))
                    .ignore_blank(true)
                    .set_input_title(words)?
                    .set_input_message(format!(
                        "填成文日期，如 {DATE_EXAMPLE}（也可写 2025-1-20、2025/1/20）；可留空。"
                    ))?
                    // A warning, not a stop: text such as 2025.1.20 is still
                    // taken (the reader reads it), the clerk is only told.
                    .set_error_style(DataValidationErrorStyle::Warning)
                    .set_error_title("日期有误")?
                    .set_error_message(format!(
                        "成文日期应为 {y0} 年至 {y1} 年之间的日期，如 {DATE_EXAMPLE}。"
                    ))?,
            ))
        }
        BasicInfo::Year => Ok(Some(
            DataValidation::new()
                .allow_whole_number(DataValidationRule::Between(
                    i32::from(*crate::model::YEARS.start()),
                    i32::from(*crate::model::YEARS.end()),
                ))
                .set_input_title(words)?
                .set_input_message("填报告年度，如 2024。")?
                .set_error_title("输入有误")?
                .set_error_message("年度应为 2008 至 2100 之间的整数。")?,
        )),
        BasicInfo::ProcessingFeeNotices => count_validation(&item.words()).map(Some),
        BasicInfo::ProcessingFeeNoticesAmount | BasicInfo::ProcessingFeeCollected => {
            decimal_validation(&item.words(), UNIT_YUAN).map(Some)
        }
        BasicInfo::SourceFile => Ok(None),
    }
}

// ---------------------------------------------------------------------------
// 校验

/// Widths of the `校验` columns (规则, 单元格, 检查内容, 左边, 右边, 结果, 含义).
const CHECK_WIDTHS: [f64; 7] = [6.0, 16.0, 30.0, 8.0, 8.0, 9.0, 30.0];
/// The column of 检查内容 and of 含义 on the `校验` sheet.
const WORDS_COL: usize = 2;
const MEANING_COL: usize = 6;

/// The texts of the `校验` sheet (what each line checks, what each rule
/// means) cut into lines once: they depend on the rules only, and cutting
/// long texts evenly takes longer than writing a workbook.
static CHECK_TEXTS: LazyLock<HashMap<(usize, String), String>> = LazyLock::new(|| {
    let words = check_lines(&Report::default())
        .into_iter()
        .map(|l| (WORDS_COL, l.words));
    let meanings = RULES.iter().map(|r| (MEANING_COL, r.meaning.to_string()));
    words
        .chain(meanings)
        .map(|(col, text)| {
            let broken = cell_lines(&text, CHECK_WIDTHS[col]).join("\n");
            ((col, text), broken)
        })
        .collect()
});

/// `text` cut into lines for column `col` of the `校验` sheet (see [`cell_lines`]).
fn check_text(col: usize, text: &str) -> String {
    CHECK_TEXTS
        .get(&(col, text.to_string()))
        .cloned()
        .unwrap_or_else(|| cell_lines(text, CHECK_WIDTHS[col]).join("\n"))
}

/// Writes the `校验` sheet: one live line per comparison that can fail in
/// the workbook ([`check_lines`]) and nothing else (the rules the workbook
/// cannot fail are `nianbao check`'s), with what each rule means beside its
/// lines ([`crate::spec::rules::Rule::meaning`]). Long texts break into
/// explicit lines, never a character alone ([`cell_lines`]).
fn check_sheet(wb: &mut Book, report: &Report, st: &Styles) -> Result<(), XlsxError> {
    let lines = check_lines(report);
    let ws = wb.add_worksheet();
    ws.set_name(CHECK_SHEET)?;
    for (col, w) in CHECK_WIDTHS.into_iter().enumerate() {
        ws.set_column_width(col_num(col), w)?;
    }
    let last_col = col_num(CHECK_COLUMNS.len() - 1);
    ws.merge_range(
        0,
        0,
        0,
        last_col,
        "校验（勾稽关系，随数据自动更新）",
        &st.title,
    )?;
    ws.set_row_height(0, 30)?;
    // Summary row.
    let first = row_num(CHECK_FIRST_ROW);
    let last = first + row_num(lines.len()) - 1;
    let summary_row = row_num(TITLE_ROWS);
    let failed = lines.iter().filter(|l| !l.holds()).count();
    let results = rust_xlsxwriter::utility::cell_range(first, 5, last, 5);
    let summary = format!(
        "IF(COUNTIF({results},\"{FAIL}\")=0,\"全部{PASS}\",COUNTIF({results},\"{FAIL}\")&\"项{FAIL}\")"
    );
    let summary_result = if failed == 0 {
        format!("全部{PASS}")
    } else {
        format!("{failed}项{FAIL}")
    };
    ws.merge_range(summary_row, 0, summary_row, 4, "全部规则", &st.label)?;
    ws.write_formula_with_format(summary_row, 5, summary, summary_result, &st.label_bold)?;
    ws.set_row_height(summary_row, 22)?;
    let header_row = summary_row + 1;
    for (col, name) in CHECK_COLUMNS.iter().enumerate() {
        if col == MEANING_COL {
            // Beside the summary too, which is about the results only.
            let c = col_num(col);
            ws.merge_range(summary_row, c, header_row, c, name, &st.label_bold)?;
        } else {
            ws.write_string_with_format(header_row, col_num(col), *name, &st.label_bold)?;
        }
    }
    let mut heights = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let r = first + row_num(i);
        let words = check_text(WORDS_COL, &line.words);
        ws.write_string_with_format(r, 0, line.rule.id, &st.label)?;
        ws.write_string_with_format(r, 1, &line.cell, &st.label)?;
        ws.write_string_with_format(r, 2, &words, &st.label_left)?;
        heights.push(row_height(words.split('\n').count()));
        ws.write_formula_with_format(r, 3, &line.left, line.left_value.to_string(), &st.count)?;
        ws.write_formula_with_format(r, 4, &line.right, line.right_value.to_string(), &st.count)?;
        let result = if line.holds() { PASS } else { FAIL };
        ws.write_formula_with_format(r, 5, line.result_formula(r as usize), result, &st.label)?;
    }
    // 含义: once per rule, beside all its lines; their rows grow to hold it.
    let meaning_col = col_num(MEANING_COL);
    let mut start = 0;
    while start < lines.len() {
        let rule = lines[start].rule;
        let end = start
            + lines[start..]
                .iter()
                .take_while(|l| l.rule.id == rule.id)
                .count();
        let meaning = check_text(MEANING_COL, rule.meaning);
        let (r1, r2) = (first + row_num(start), first + row_num(end - 1));
        if end - start > 1 {
            ws.merge_range(r1, meaning_col, r2, meaning_col, &meaning, &st.label_left)?;
        } else {
            ws.write_string_with_format(r1, meaning_col, &meaning, &st.label_left)?;
        }
        let need = row_height(meaning.split('\n').count());
        let have: f64 = heights[start..end].iter().sum();
        if have < need {
            let extra = (need - have) / (end - start) as f64;
            for h in &mut heights[start..end] {
                *h += extra;
            }
        }
        start = end;
    }
    for (i, h) in heights.into_iter().enumerate() {
        ws.set_row_height(first + row_num(i), h)?;
    }
    // Dark red on light red, as Excel's own 'Light Red Fill with Dark Red Text'.
    ws.highlight_containing((summary_row, 5, last, 5), FAIL, 0x9C0006, 0xFFC7CE)?;
    print_setup(ws, CHECK_FIRST_ROW)?;
    if st.form() {
        protect(ws);
    }
    Ok(())
}

/// Writes the `文字` sheet of the form.
fn text_sheet(wb: &mut Book, report: &Report, st: &Styles) -> Result<(), XlsxError> {
    const WIDTHS: [f64; 3] = [16.0, 26.0, 80.0];
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
        let text = row.value(report).unwrap_or_default();
        ws.write_string_with_format(r, 0, row.section, &st.label_left)?;
        ws.write_string_with_format(r, 1, &row.label, &st.label_left)?;
        ws.write_string_with_format(r, 2, &text, &st.input_long_text)?;
        let (min_lines, help) = match row.kind {
            TextKind::Block => (
                8,
                "填这一部分的正文；可多段，段与段之间空一行。可用 {{变量}} 引用表中数字。留空则用默认文字。",
            ),
            TextKind::Heading => (1, "填小标题的另一种说法；留空即用默认小标题。"),
        };
        let lines = lines_needed(&text, WIDTHS[2])
            .max(lines_needed(row.section, WIDTHS[0]))
            .max(lines_needed(&row.label, WIDTHS[1]))
            .max(min_lines);
        ws.set_row_height(r, row_height(lines))?;
        let dv = DataValidation::new()
            .allow_any_value()
            .set_input_title(clip(&row.label).chars().take(30).collect::<String>())?
            .set_input_message(help)?;
        ws.add_data_validation(r, 2, r, 2, &dv)?;
    }
    ws.set_paper_size(9);
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(0, header)?;
    protect(ws);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sum_formula_joins_runs() {
        let t3 = tables::applications();
        assert_eq!(
            crate::spec::sheets::sum_formula(t3, &[(5, 3), (6, 3), (7, 3)], ""),
            "SUM(D7:D9)"
        );
        assert_eq!(
            crate::spec::sheets::sum_formula(t3, &[(5, 3), (7, 3), (7, 4)], "'x'!"),
            "SUM('x'!D7,'x'!D9:E9)"
        );
        assert_eq!(
            crate::spec::sheets::sum_formula(t3, &[(5, 3)], ""),
            "SUM(D7)"
        );
    }

    #[test]
    fn wrapped_lines() {
        assert_eq!(lines_needed("", 10.0), 1);
        // 10 units = 66 px usable: four CJK characters (56 px) per line.
        assert_eq!(lines_needed("一二三四", 10.0), 1);
        assert_eq!(lines_needed("一二三四五", 10.0), 2);
        assert_eq!(lines_needed("一\n二", 10.0), 2);
    }
}

#[cfg(test)]
mod sheets_for_the_batch {
    use calamine::{Data, Reader, Xlsx};

    #[test]
    fn add_table_sheets_writes_the_three_tables() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("inputs/butaji-2024.toml");
        let report = crate::read::load(&path).unwrap();
        let total = report.applications.outcomes_total(6);
        let mut wb = rust_xlsxwriter::Workbook::new();
        super::add_table_sheets(&mut wb, &report).expect("sheets");
        let bytes = wb.save_to_buffer().expect("buffer");
        let mut back: Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(back.sheet_names(), ["主动公开", "依申请公开", "复议诉讼"]);
        let range = back.worksheet_range("依申请公开").unwrap();
        // 三（七）总计 × 总计, cached.
        assert_eq!(range.get_value((27, 9)), Some(&Data::Float(total as f64)));
    }
}

#[cfg(test)]
mod doc_examples {
    //! The examples of this private module, run as unit tests.

    #[test]
    fn module_example() {
        let report = crate::model::Report::from_toml_str(
            "[report]\nagency = \"某县统计局\"\nyear = 2024\n[applications]\nnew = [2, 0, 0, 0, 0, 0]\ngranted = [2, 0, 0, 0, 0, 0]\n",
            "x.toml",
        ).unwrap();
        let bytes = crate::render::xlsx::workbook_bytes(&report, "x.toml").unwrap();
        assert_eq!(&bytes[..2], b"PK");
        assert_eq!(
            bytes,
            crate::render::xlsx::workbook_bytes(&report, "x.toml").unwrap()
        );
    }

    #[test]
    fn workbook_bytes() {
        let report = crate::model::Report::from_toml_str(
            "[report]\nagency = \"某局\"\nyear = 2024\n",
            "x.toml",
        )
        .unwrap();
        let bytes = crate::render::xlsx::workbook_bytes(&report, "x.toml").unwrap();
        assert!(bytes.len() > 5000);
    }

    #[test]
    fn add_table_sheets() {
        let report = crate::model::Report::from_toml_str(
            "[report]\nagency = \"某局\"\nyear = 2024\n",
            "x.toml",
        )
        .unwrap();
        let mut wb = rust_xlsxwriter::Workbook::new();
        crate::render::xlsx::add_table_sheets(&mut wb, &report).unwrap();
        assert!(wb.worksheet_from_name("依申请公开").is_ok());
    }
}

#[cfg(test)]
mod equivalence {
    //! The skeleton path ([`crate::render::workbook_cache`]) against
    //! rust_xlsxwriter's own, part for part.
    use super::{Mode, build, save};
    use crate::render::workbook_cache::write;
    use std::io::Read;

    fn parts(zip: &[u8]) -> Vec<(String, Vec<u8>)> {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
        (0..archive.len())
            .map(|i| {
                let mut e = archive.by_index(i).unwrap();
                let mut data = Vec::new();
                e.read_to_end(&mut data).unwrap();
                (e.name().to_string(), data)
            })
            .collect()
    }

    fn sample() -> crate::model::Report {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("inputs/butaji-2024.toml");
        crate::read::load(&path).unwrap()
    }

    fn same_parts(report: &crate::model::Report, source: &str) -> bool {
        let book = build(report, Some(source), Mode::Statistics).unwrap();
        let Some(fast) = write(&book) else {
            return false;
        };
        let slow = save(&book).unwrap();
        let (fast, slow) = (parts(&fast), parts(&slow));
        assert_eq!(fast.len(), slow.len());
        for ((name, a), (name2, b)) in fast.iter().zip(&slow) {
            assert_eq!(name, name2);
            assert!(
                a == b,
                "{name} differs:\n skeleton: {}\n rust_xlsxwriter: {}",
                String::from_utf8_lossy(a),
                String::from_utf8_lossy(b)
            );
        }
        true
    }

    /// The three inputs take the skeleton, and give rust_xlsxwriter's parts.
    #[test]
    fn the_inputs_take_the_skeleton() {
        for input in [
            "butaji-2024",
            "mouxian-ziranziyuan-2024",
            "moushi-zhengfuban-2024",
        ] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(format!("inputs/{input}.toml"));
            let report = crate::read::load(&path).unwrap();
            assert!(same_parts(&report, &format!("{input}.toml")), "{input}");
        }
    }

    /// The sample with other numbers in every input cell (and so other
    /// totals and failing rules), other names, dates and fees: every one
    /// takes the skeleton and gives rust_xlsxwriter's parts.
    #[test]
    fn varied_reports_equal_rust_xlsxwriter() {
        let sample = sample();
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move |n: u64| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) % n
        };
        for round in 0..40 {
            let mut report = sample.clone();
            for table in crate::spec::tables::all() {
                for (_, input) in table.inputs() {
                    if let Some(slot) = input.field.count_mut(&mut report) {
                        *slot = match next(4) {
                            0 => 0,
                            1 => next(10) as u32,
                            2 => next(100_000) as u32,
                            _ => next(1_000_000_000) as u32,
                        };
                    }
                }
            }
            report.report.agency = format!("某县第{round}局");
            report.report.short_name = (round % 3 == 0).then(|| format!("{round}局"));
            report.report.region = (round % 2 == 0).then(|| "某县".to_string());
            report.processing_fees.get_or_insert_default().notices = next(50) as u32;
            report.active.fees.0 = rust_decimal::Decimal::new(next(10_000_000) as i64, 4);
            let source = format!("输入{round}.toml");
            assert!(same_parts(&report, &source), "round {round}");
        }
    }

    /// Strings rust_xlsxwriter escapes or writes specially, and empty ones:
    /// either the skeleton gives the same parts or rust_xlsxwriter writes.
    #[test]
    fn awkward_strings_are_right_either_way() {
        let base = sample();
        for name in [
            "A&B<局>",
            " 前后空格 ",
            "_x0041_局",
            "<r>局</r>",
            "局\u{E000}0\u{E001}",
        ] {
            let mut report = base.clone();
            report.report.agency = name.to_string();
            report.report.short_name = Some(String::new());
            let book = build(&report, Some("in.toml"), Mode::Statistics).unwrap();
            match write(&book) {
                Some(fast) => assert_eq!(parts(&fast), parts(&save(&book).unwrap()), "{name}"),
                None => assert!(save(&book).is_ok()),
            }
        }
    }
}
