//! The county summary workbook `汇总-<name>-<year>.xlsx`.
//!
//! - `汇总`: one row per agency, one column per number of tables 二/三/四,
//!   two header rows walked from [`crate::spec::tables`] (table and row, then
//!   column), frozen panes, an autofilter, and a totals row of formulas with
//!   their values cached. Rows are streamed (constant-memory mode), so the
//!   sheet costs no memory per agency.
//! - `主动公开`/`依申请公开`/`复议诉讼`: the region-wide sums in the mandated
//!   layout, written by `crate::render::xlsx::add_table_sheets` from the sum of all
//!   reports ([`add_report`]).
//! - `图表`: applications received per agency, and the outcome mix of all
//!   applications.

use rust_decimal::Decimal;
use rust_xlsxwriter::{
    Chart, ChartDataLabel, ChartDataLabelPosition, ChartType, DocProperties, ExcelDateTime, Format,
    FormatAlign, FormatBorder, Formula, Workbook, XlsxError,
};

use crate::model::{Report, ReportInfo, Year};
use crate::spec::grid::{Figures, Grid};
use crate::spec::tables::{self, Content, Field, Table, Value};
use crate::spec::words::{han_words, is_han};

/// The name of the per-agency sheet.
pub const SUMMARY_SHEET: &str = "汇总";
/// The name of the charts sheet.
pub const CHART_SHEET: &str = "图表";
/// Leading columns of the per-agency sheet, before the numbers.
pub const INFO_COLUMNS: [&str; 4] = ["机关", "所属地区", "年度", "输入文件"];
/// The first header row above [`INFO_COLUMNS`].
pub const INFO_GROUP: &str = "机关信息";
/// Header rows of the per-agency sheet.
pub const HEADER_ROWS: u32 = 2;

/// One number column of the summary: a body cell of a mandated table.
#[derive(Debug, Clone)]
pub struct Column {
    /// The table.
    pub table: &'static Table,
    /// Row of the cell in the table.
    pub row: usize,
    /// Column of the cell in the table.
    pub col: usize,
    /// First header row: the table and the row of the cell, e.g. `表三 （三）不予公开 1.属于国家秘密`.
    pub group: String,
    /// Second header row: the column of the cell, e.g. `自然人`.
    pub label: String,
}

impl Column {
    /// The second header row's text: [`Column::label`] broken at word
    /// boundaries ([`wrap_words`]) into lines as wide as the column.
    pub fn header(&self) -> String {
        wrap_words(&self.label, line_chars(self.width()))
    }

    /// The column's width in `汇总`: [`AMOUNT_WIDTH`] for an amount, else
    /// [`NUMBER_WIDTH`].
    pub fn width(&self) -> f64 {
        match self.value(&Report::default()) {
            Value::Amount(_) => AMOUNT_WIDTH,
            Value::Count(_) => NUMBER_WIDTH,
        }
    }

    /// The value of the cell in `report`.
    pub fn value(&self, report: &Report) -> Value {
        self.value_in(&Figures::new(report))
    }

    /// The value of the cell in a report's evaluated tables.
    pub fn value_in(&self, figures: &Figures) -> Value {
        figures
            .grid(self.table.id)
            .value(self.row, self.col)
            .unwrap_or(Value::Count(0))
    }
}

/// Width of a number column of `汇总`, in Excel character units: two CJK
/// characters of a bold label, or a six-digit count.
pub const NUMBER_WIDTH: f64 = 6.5;
/// Width of an amount column of `汇总` (万元, two to six decimals).
pub const AMOUNT_WIDTH: f64 = 12.0;
/// How much wider than Calibri's the columns may come out where the
/// workbook is opened without it (LibreOffice substitutes DejaVu Sans, a
/// third wider): the page breaks leave that much room.
const FONT_SLACK: f64 = 1.35;
/// Width of the agency column of `汇总`, repeated on every printed page.
pub const AGENCY_WIDTH: f64 = 30.0;
/// Print scale of `汇总`, per cent.
pub const PRINT_SCALE: u16 = 80;

/// `label` broken into lines of at most `per_line` characters, only between
/// words: a run of Chinese characters is read as words by
/// [`crate::spec::words::han_words`] (社会公益组织 → 社会/公益/组织, 本年制发件数 →
/// 本年/制发/件数, 自然人); anything else (digits, Latin letters, brackets)
/// stays with the word before it. Lines are filled
/// greedily and joined with `\n`; a word longer than a line is a line of
/// its own.
///
/// ```
/// use nianbao::batch::summary::wrap_words;
/// assert_eq!(wrap_words("社会公益组织", 2), "社会\n公益\n组织");
/// assert_eq!(wrap_words("社会公益组织", 4), "社会公益\n组织");
/// assert_eq!(wrap_words("自然人", 2), "自然人");
/// assert_eq!(wrap_words("其他", 2), "其他");
/// ```
pub fn wrap_words(label: &str, per_line: usize) -> String {
    // The words, each with whether a space stood before it.
    let mut words: Vec<(String, bool)> = Vec::new();
    // An opening bracket goes with the word after it: （单位：万元）.
    let mut glue = false;
    let mut space = false;
    let mut rest = label.trim_start();
    space |= rest.len() < label.len();
    while !rest.is_empty() {
        let is_run = rest.starts_with(is_han);
        let end = rest
            .find(|c: char| {
                if is_run {
                    !is_han(c)
                } else {
                    is_han(c) || c.is_whitespace()
                }
            })
            .unwrap_or(rest.len());
        let (run, tail) = rest.split_at(end);
        if is_run {
            for word in han_words(run) {
                match words.last_mut() {
                    Some((last, _)) if glue => last.push_str(word),
                    _ => words.push((word.to_string(), space)),
                }
                (glue, space) = (false, false);
            }
        } else {
            let opens = run.starts_with(['（', '(', '《', '“']);
            match words.last_mut() {
                Some((last, _)) if !opens && !glue && !space => last.push_str(run),
                _ => words.push((run.to_string(), space)),
            }
            glue = run.ends_with(['（', '(', '《', '“']);
            space = false;
        }
        rest = tail.trim_start();
        space |= rest.len() < tail.len();
    }
    let mut lines: Vec<String> = Vec::new();
    for (word, space) in words {
        let joined = if space {
            format!(" {word}")
        } else {
            word.clone()
        };
        match lines.last_mut() {
            Some(line) if line.chars().count() + joined.chars().count() <= per_line => {
                line.push_str(&joined)
            }
            _ => lines.push(word),
        }
    }
    lines.join("\n")
}

/// `label` without a closing note in brackets: `部分公开（区分处理的，只计这一情形，不计其他情形）`
/// → `部分公开`.
///
/// ```
/// use nianbao::batch::summary::without_note;
/// assert_eq!(without_note("部分公开（区分处理的，只计这一情形，不计其他情形）"), "部分公开");
/// assert_eq!(without_note("予以公开"), "予以公开");
/// ```
pub fn without_note(label: &str) -> &str {
    match label.strip_suffix('）').and_then(|l| l.rfind('（')) {
        Some(open) if open > 0 => label[..open].trim_end(),
        _ => label,
    }
}

/// `label` without its leading row number: `一、`, `（一）`, `1.` (and the
/// spaces after it), as the mandated tables number their rows.
///
/// ```
/// use nianbao::batch::summary::without_row_number;
/// assert_eq!(without_row_number("一、本年新收政府信息公开申请数量"), "本年新收政府信息公开申请数量");
/// assert_eq!(without_row_number("（三）不予公开"), "不予公开");
/// assert_eq!(without_row_number("1.属于国家秘密"), "属于国家秘密");
/// assert_eq!(without_row_number("其他"), "其他");
/// ```
pub fn without_row_number(label: &str) -> &str {
    crate::import::labels::strip_numbering(label.trim_start()).trim_start()
}

/// The number columns, in table order and reading order: every input and
/// every total of tables 二, 三 and 四.
pub fn columns() -> Vec<Column> {
    let mut out = Vec::new();
    for table in tables::all() {
        for cell in &table.cells {
            let words = match &cell.content {
                Content::Label(_) => continue,
                Content::Input(i) => &i.words,
                Content::Total(t) => &t.words,
            };
            let (row_words, col_words) = words.rsplit_once(" × ").unwrap_or((words, ""));
            out.push(Column {
                table,
                row: cell.row,
                col: cell.col,
                group: format!("{} {row_words}", table.name),
                label: col_words.to_string(),
            });
        }
    }
    out
}

/// Adds every number of `other` (the inputs of tables 二/三/四 and the
/// 信息处理费) to `total`. Totals are computed from the sums; given totals of
/// `total` are dropped.
///
/// ```
/// use nianbao::{batch::summary::add_report, synthetic};
/// let (a, b) = (synthetic::report(1), synthetic::report(2));
/// let mut sum = nianbao::model::Report::default();
/// add_report(&mut sum, &a);
/// add_report(&mut sum, &b);
/// assert_eq!(sum.applications.new.total(), a.applications.new.total() + b.applications.new.total());
/// ```
pub fn add_report(total: &mut Report, other: &Report) {
    for table in tables::all() {
        for (_, input) in table.inputs() {
            match (input.field, input.field.get(other)) {
                (Field::Fees, Value::Amount(a)) => total.active.fees.0 += a.0,
                (field, Value::Count(n)) => {
                    if let Some(slot) = field.count_mut(total) {
                        *slot = slot.saturating_add(u32::try_from(n).unwrap_or(u32::MAX));
                    }
                }
                _ => {}
            }
        }
    }
    let a = &mut total.applications;
    for row in [
        &mut a.new,
        &mut a.carried_over,
        &mut a.granted,
        &mut a.partially_granted,
        &mut a.carry_forward,
    ] {
        row.given_total = None;
    }
    a.total = None;
    for row in [
        &mut total.review_litigation.review,
        &mut total.review_litigation.litigation_direct,
        &mut total.review_litigation.litigation_after_review,
    ] {
        row.given_total = None;
    }
    // Given in the sum when any agency gave it.
    if let Some(theirs) = other.processing_fees {
        let fees = total.processing_fees.get_or_insert_default();
        fees.notices = fees.notices.saturating_add(theirs.notices);
        fees.notices_amount.0 += theirs.notices_amount.0;
        fees.collected.0 += theirs.collected.0;
    }
}

/// The most characters an Excel cell holds.
pub const CELL_CHARS: usize = 32_767;

/// `text` cut to what an Excel cell holds, so that no input's text can make
/// a batch-level workbook fail.
pub fn cell_text(text: &str) -> &str {
    match text.char_indices().nth(CELL_CHARS) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

/// A cell value as a spreadsheet number.
fn number(value: Option<Value>) -> f64 {
    match value {
        Some(Value::Count(n)) => n as f64,
        Some(Value::Amount(a)) => a.to_f64(),
        None => 0.0,
    }
}

/// A summary workbook being written, one agency row at a time.
pub struct SummaryWriter {
    workbook: Workbook,
    columns: Vec<Column>,
    year: Year,
    rows: u32,
    sums: Vec<Decimal>,
    sum: Report,
    header: Format,
    count: Format,
    total_label: Format,
    total_count: Format,
    total_amount: Format,
}

fn first_number_col() -> u16 {
    INFO_COLUMNS.len() as u16
}

/// Left and right page margins of `汇总`, inches.
const MARGIN_SIDE: f64 = 0.4;

/// The runs of columns of one first-row group, as `start..end` column indexes.
fn groups(columns: &[Column]) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut start = 0usize;
    std::iter::from_fn(move || {
        let group = &columns.get(start)?.group;
        let end = start
            + columns[start..]
                .iter()
                .take_while(|c| &c.group == group)
                .count();
        let run = (start, end);
        start = end;
        Some(run)
    })
}

/// Chinese characters per line of a bold 11-point label in a cell of
/// `width` units (15 pixels a character, 6 of padding), two at least.
fn line_chars(width: f64) -> usize {
    ((column_pixels(width) - 6.0) / 15.0).floor().max(2.0) as usize
}

/// The width of the columns `start..end` together, in character units.
fn span_width(columns: &[Column], start: usize, end: usize) -> f64 {
    columns[start..end]
        .iter()
        .map(|c| c.width() + 0.7)
        .sum::<f64>()
        - 0.7
}

/// Pixels of an Excel column `width` characters wide (Calibri 11: 7 pixels a
/// character and 5 of padding).
fn column_pixels(width: f64) -> f64 {
    (width * 7.0 + 5.0).round()
}

/// Where the printed pages of `汇总` break (sheet columns that begin a
/// page): each page holds as many whole groups as fit beside the repeated
/// agency column at [`PRINT_SCALE`] on landscape A4 (with [`FONT_SLACK`]),
/// and each table begins a page.
pub fn page_breaks(columns: &[Column]) -> Vec<u32> {
    let printable_inches = 297.0 / 25.4 - 2.0 * MARGIN_SIDE;
    let budget = printable_inches * 96.0 * 100.0 / f64::from(PRINT_SCALE) / FONT_SLACK
        - column_pixels(AGENCY_WIDTH);
    let first = u32::from(first_number_col());
    let mut breaks = Vec::new();
    let mut used = 0.0;
    let mut table = None;
    for (start, end) in groups(columns) {
        let w: f64 = columns[start..end]
            .iter()
            .map(|c| column_pixels(c.width()))
            .sum();
        let new_table = table.is_some_and(|t| !std::ptr::eq(t, columns[start].table));
        if used > 0.0 && (new_table || used + w > budget) {
            breaks.push(first + start as u32);
            used = 0.0;
        }
        used += w;
        table = Some(columns[start].table);
    }
    breaks
}

/// A page header line: `text` centred in bold, with `&` doubled and cut to
/// what a header holds (255 characters with its codes).
fn page_header(text: &str) -> String {
    let text: String = text.chars().take(100).collect();
    format!("&C&\"-,Bold\"{}", text.replace('&', "&&"))
}

impl SummaryWriter {
    /// Starts the workbook of `year` and writes the header rows of `汇总`.
    pub fn new(year: Year) -> Result<SummaryWriter, XlsxError> {
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
        // Every cell of the table has a thin border; the columns carry the
        // formats (cells are written without one).
        let count = Format::new()
            .set_num_format("0")
            .set_border(FormatBorder::Thin);
        // As in each agency's workbook: 12.5 reads 12.50, 0.012345 all six.
        let amount = Format::new()
            .set_num_format(crate::render::xlsx::FEES_FORMAT)
            .set_border(FormatBorder::Thin);
        let text = Format::new()
            .set_text_wrap()
            .set_align(FormatAlign::VerticalCenter)
            .set_border(FormatBorder::Thin);
        let total_label = Format::new()
            .set_bold()
            .set_border(FormatBorder::Thin)
            .set_border_top(FormatBorder::Double);
        let total_count = total_label.clone().set_num_format("0");
        let total_amount = total_label
            .clone()
            .set_num_format(crate::render::xlsx::FEES_FORMAT);
        let columns = columns();
        {
            let sheet = workbook.add_worksheet_with_constant_memory()?;
            sheet.set_name(SUMMARY_SHEET)?;
            // Row 0: the table and row of each number, merged over its columns.
            // Only horizontal merges: constant-memory sheets are written row by row.
            let first = first_number_col();
            // Each group's header broken to the width of its columns; each
            // column's label to its own.
            let group_headers: Vec<(usize, usize, String)> = groups(&columns)
                .map(|(start, end)| {
                    let width = line_chars(span_width(&columns, start, end));
                    (start, end, wrap_words(&columns[start].group, width))
                })
                .collect();
            let headers: Vec<String> = columns.iter().map(Column::header).collect();
            for (start, end, group) in &group_headers {
                let (c1, c2) = (first + *start as u16, first + *end as u16 - 1);
                if c1 == c2 {
                    sheet.write_with_format(0, c1, group, &header)?;
                } else {
                    sheet.merge_range(0, c1, 0, c2, group, &header)?;
                }
            }
            // Not merged: the agency column is printed alone on every page.
            sheet.write_with_format(0, 0, INFO_GROUP, &header)?;
            for col in 1..first {
                sheet.write_blank(0, col, &header)?;
            }
            let lines = |texts: &mut dyn Iterator<Item = &String>| {
                texts.map(|t| t.lines().count()).max().unwrap_or(1).max(1) as f64
            };
            let group_lines = lines(&mut group_headers.iter().map(|(_, _, g)| g));
            sheet.set_row_height(0, 15.0 * group_lines + 6.0)?;
            let label_lines = lines(&mut headers.iter());
            sheet.set_row_height(1, 15.0 * label_lines + 6.0)?;
            // Row 1: the info columns and the column of each number.
            for (i, name) in INFO_COLUMNS.iter().enumerate() {
                sheet.write_with_format(1, i as u16, *name, &header)?;
                sheet.set_column_format(i as u16, &text)?;
            }
            for (i, c) in columns.iter().enumerate() {
                sheet.write_with_format(1, first + i as u16, &headers[i], &header)?;
                sheet.set_column_width(first + i as u16, c.width())?;
                let format = match c.value(&Report::default()) {
                    Value::Amount(_) => &amount,
                    Value::Count(_) => &count,
                };
                sheet.set_column_format(first + i as u16, format)?;
            }
            sheet.set_column_width(0, AGENCY_WIDTH)?;
            sheet.set_column_width(1, 12)?;
            sheet.set_column_width(2, 6)?;
            sheet.set_column_width(3, 30)?;
            sheet.set_freeze_panes(HEADER_ROWS, 1)?;
            // Printed: the agency column and the two header rows on every
            // page, each page a run of whole groups (a group header is never
            // cut), a new page for each table.
            sheet.set_landscape();
            sheet.set_paper_size(9);
            sheet.set_margins(MARGIN_SIDE, MARGIN_SIDE, 0.6, 0.5, 0.3, 0.3);
            sheet.set_print_scale(PRINT_SCALE);
            sheet.set_repeat_rows(0, HEADER_ROWS - 1)?;
            sheet.set_repeat_columns(0, 0)?;
            sheet.set_vertical_page_breaks(&page_breaks(&columns))?;
            sheet.set_footer("&C第 &P 页，共 &N 页");
        }
        let sums = vec![Decimal::ZERO; columns.len()];
        Ok(SummaryWriter {
            workbook,
            columns,
            year,
            rows: 0,
            sums,
            sum: Report::default(),
            header,
            count,
            total_label,
            total_count,
            total_amount,
        })
    }

    /// Appends the row of one agency and adds its numbers to the region-wide sum.
    pub fn add(&mut self, report: &Report, source: &str) -> Result<(), XlsxError> {
        let row = HEADER_ROWS + self.rows;
        let first = first_number_col();
        let sheet = self.workbook.worksheet_from_index(0)?;
        let info = &report.report;
        // No format per cell (each would be looked up by hash): the columns carry them.
        sheet.write_string(row, 0, cell_text(&info.agency))?;
        sheet.write_string(row, 1, cell_text(info.region.as_deref().unwrap_or("")))?;
        sheet.write_number(row, 2, info.year.0)?;
        sheet.write_string(row, 3, cell_text(source))?;
        let figures = Figures::new(report);
        for (i, c) in self.columns.iter().enumerate() {
            sheet.write_number(row, first + i as u16, number(Some(c.value_in(&figures))))?;
        }
        // Summed only once the row is written: a failed row adds nothing.
        for (sum, c) in self.sums.iter_mut().zip(&self.columns) {
            *sum += match c.value_in(&figures) {
                Value::Amount(a) => a.0,
                Value::Count(n) => Decimal::from(n),
            };
        }
        add_report(&mut self.sum, report);
        self.rows += 1;
        Ok(())
    }

    /// How many agencies have been added.
    pub fn agencies(&self) -> u32 {
        self.rows
    }

    /// The region-wide sum of the agencies added so far.
    pub fn sum(&self) -> &Report {
        &self.sum
    }

    /// Writes the totals row, the mandated-layout sheets of the sum, the
    /// charts and the document properties, and returns the workbook's bytes
    /// (built in memory: the zip writer never writes to a disk that can fill).
    /// `name` names the region.
    pub fn finish<W: std::io::Write + std::io::Seek + Send>(
        mut self,
        name: &str,
        out: W,
    ) -> Result<(), XlsxError> {
        let first = first_number_col();
        let last_row = HEADER_ROWS + self.rows; // the totals row
        {
            let sheet = self.workbook.worksheet_from_index(0)?;
            sheet.write_with_format(last_row, 0, "合计", &self.total_label)?;
            for col in 1..first {
                sheet.write_blank(last_row, col, &self.total_label)?;
            }
            let figures = Figures::new(&self.sum);
            for (i, c) in self.columns.iter().enumerate() {
                let col = first + i as u16;
                let sum = self.sums[i].normalize();
                let formula = if self.rows == 0 {
                    Formula::new("0").set_result("0")
                } else {
                    // Always a range, even of one agency's row.
                    Formula::new(format!(
                        "SUM({}:{})",
                        rust_xlsxwriter::utility::row_col_to_cell(HEADER_ROWS, col),
                        rust_xlsxwriter::utility::row_col_to_cell(last_row - 1, col)
                    ))
                    .set_result(sum.to_string())
                };
                let format = match c.value_in(&figures) {
                    Value::Amount(_) => &self.total_amount,
                    _ => &self.total_count,
                };
                sheet.write_formula_with_format(last_row, col, formula, format)?;
            }
            let last_col = first + self.columns.len() as u16 - 1;
            sheet.autofilter(HEADER_ROWS - 1, 0, last_row.max(HEADER_ROWS) - 1, last_col)?;
            // The numbers and the totals; the agency column comes with every page.
            sheet.set_print_area(0, first, last_row, last_col)?;
            sheet.set_header(page_header(&format!(
                "{name} {}年 政府信息公开工作年度报告汇总（{}个机关）",
                self.year, self.rows
            )));
        }

        let mut sum = std::mem::take(&mut self.sum);
        sum.report = ReportInfo {
            agency: name.to_string(),
            short_name: None,
            year: self.year,
            region: Some(name.to_string()),
            issued_on: None,
        };
        crate::render::xlsx::add_table_sheets(&mut self.workbook, &sum)?;
        self.add_charts(name, &sum)?;

        let date = ExcelDateTime::from_ymd(self.year.0, 12, 31)?;
        let properties = DocProperties::new()
            .set_title(format!("{name}{}年政府信息公开工作年度报告汇总", self.year))
            .set_author("nianbao")
            .set_creation_datetime(&date);
        self.workbook.set_properties(&properties);
        self.workbook.save_to_writer(out)
    }

    /// The `图表` sheet: a data block (outcome mix of all applications) and
    /// two charts, titled with the region, the year and the number of
    /// agencies, their labels without the tables' row numbers.
    fn add_charts(&mut self, name: &str, sum: &Report) -> Result<(), XlsxError> {
        let t3 = tables::applications();
        let groups = outcome_groups(t3);
        let received = self.received_column();
        let rows = self.rows;
        let header = self.header.clone();
        let count = self.count.clone();
        let sheet = self.workbook.add_worksheet();
        sheet.set_name(CHART_SHEET)?;
        sheet.set_column_width(0, 40)?;
        sheet.set_column_width(1, 12)?;
        // Printed on landscape pages as wide as the charts.
        sheet.set_landscape();
        sheet.set_paper_size(9);
        sheet.set_print_fit_to_pages(1, 0);
        let heading = format!("{} {}", t3.name, t3.heading);
        sheet.write_with_format(0, 0, heading.as_str(), &header)?;
        sheet.write_with_format(0, 1, tables::TOTAL, &header)?;
        let grid = Grid::new(t3, sum);
        for (i, (label, rows_of_group)) in groups.iter().enumerate() {
            let total: u64 = rows_of_group
                .iter()
                .map(|&r| grid.count(r, t3.cols - 1))
                .sum();
            sheet.write(1 + i as u32, 0, without_note(without_row_number(label)))?;
            sheet.write_with_format(1 + i as u32, 1, total as f64, &count)?;
        }
        // A region's name as long as a title line can show.
        let name: String = name.chars().take(100).collect();
        let title = |what: &str| format!("{name} {}年 {what}（{rows}个机关）", self.year);

        // Outcome mix of all applications (pie), each slice with its share.
        let mut pie = Chart::new(ChartType::Pie);
        pie.title()
            .set_name(title(without_row_number(results_label(t3))).as_str());
        if !groups.is_empty() {
            pie.add_series()
                .set_name(without_row_number(results_label(t3)))
                .set_categories((CHART_SHEET, 1, 0, groups.len() as u32, 0))
                .set_values((CHART_SHEET, 1, 1, groups.len() as u32, 1))
                .set_data_label(
                    ChartDataLabel::new()
                        .show_value()
                        .show_percentage()
                        .show_leader_lines()
                        .set_position(ChartDataLabelPosition::OutsideEnd),
                );
        }
        pie.set_width(720).set_height(420);
        sheet.insert_chart(0, 3, &pie)?;

        // Applications received per agency (bars), read from 汇总, one bar
        // a line of the agency's name.
        if let Some((col, words)) = received {
            let mut bars = Chart::new(ChartType::Bar);
            bars.title()
                .set_name(title(&format!("各机关{words}")).as_str());
            if rows > 0 {
                let (r1, r2) = (HEADER_ROWS, HEADER_ROWS + rows - 1);
                bars.add_series()
                    .set_name(words.as_str())
                    .set_categories((SUMMARY_SHEET, r1, 0, r2, 0))
                    .set_values((SUMMARY_SHEET, r1, col, r2, col))
                    .set_data_label(ChartDataLabel::new().show_value());
            }
            // The first agency on top, as in 汇总.
            bars.y_axis().set_reverse();
            bars.legend().set_hidden();
            let height = (120 + 20 * rows.min(200)).max(420);
            bars.set_width(960).set_height(height);
            sheet.insert_chart(23, 3, &bars)?;
        }
        Ok(())
    }

    /// The summary column of 一、本年新收 × 总计 (the first body row of table
    /// 三, last column) and its header words.
    fn received_column(&self) -> Option<(u16, String)> {
        let t3 = tables::applications();
        let (row, col) = (t3.header_rows, t3.cols - 1);
        self.columns
            .iter()
            .position(|c| std::ptr::eq(c.table, t3) && c.row == row && c.col == col)
            .map(|i| {
                let c = &self.columns[i];
                let words = without_row_number(c.group.trim_start_matches(t3.name).trim());
                (first_number_col() + i as u16, words.to_string())
            })
    }
}

/// The row-spanning results label of column A of table 三 (`三、本年度办理结果`).
fn results_cell(t3: &Table) -> Option<&tables::Cell> {
    t3.cells.iter().find(|c| {
        c.col == 0
            && c.row >= t3.header_rows
            && c.row_span > 1
            && matches!(c.content, Content::Label(_))
    })
}

/// The words of [`results_cell`], or the table's heading.
fn results_label(t3: &Table) -> &'static str {
    match results_cell(t3).map(|c| &c.content) {
        Some(Content::Label(label)) => label,
        _ => t3.heading,
    }
}

/// The outcome groups of table 三 — the labels of column B under the
/// row-spanning results label of column A, without the row of totals — and
/// the table rows each covers.
pub fn outcome_groups(t3: &Table) -> Vec<(&'static str, Vec<usize>)> {
    let Some(results) = results_cell(t3) else {
        return Vec::new();
    };
    let inside = results.row..results.row + results.row_span;
    t3.cells
        .iter()
        .filter(|c| c.col == 1 && inside.contains(&c.row))
        .filter_map(|c| {
            let Content::Label(label) = c.content else {
                return None;
            };
            let rows: Vec<usize> = (c.row..c.row + c.row_span).collect();
            // A group of input rows; the computed （七）总计 row is left out.
            let all_inputs = rows.iter().all(|&r| {
                matches!(
                    t3.cell_at(r, t3.cols - 2).map(|c| &c.content),
                    Some(Content::Input(_))
                )
            });
            all_inputs.then_some((label, rows))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_cover_every_number() {
        let cols = columns();
        let expected: usize = tables::all()
            .iter()
            .map(|t| t.inputs().count() + t.totals().count())
            .sum();
        assert_eq!(cols.len(), expected);
        assert!(
            cols.iter()
                .all(|c| !c.label.is_empty() && !c.group.is_empty())
        );
    }

    /// Each column's value is the model's number: the field of an input,
    /// the model's own total of a row or of the outcome rows for a total.
    #[test]
    fn column_values_follow_the_model() {
        use crate::spec::tables::Given;
        let cols = columns();
        for seed in 0..50 {
            let r = crate::synthetic::report(seed);
            for c in &cols {
                let expected = match c.table.cell_at(c.row, c.col).map(|x| &x.content) {
                    Some(Content::Input(i)) => i.field.get(&r),
                    Some(Content::Total(t)) => Value::Count(match t.given {
                        Given::ApplicantRowTotal((get, _)) => get(&r).total(),
                        Given::OutcomeRowTotal((get, _)) => get(&r).total(),
                        Given::ResultsTotal(col) => r.applications.outcomes_total(col),
                    }),
                    _ => panic!("{} {} is not a number cell", c.group, c.label),
                };
                assert_eq!(c.value(&r), expected, "{} {}", c.group, c.label);
            }
        }
    }

    #[test]
    fn cell_text_fits_a_cell() {
        let long = "机".repeat(CELL_CHARS + 10);
        assert_eq!(cell_text(&long).chars().count(), CELL_CHARS);
        assert_eq!(cell_text("短"), "短");
    }

    #[test]
    fn six_outcome_groups() {
        let groups = outcome_groups(tables::applications());
        assert_eq!(groups.len(), 6, "{groups:?}");
        assert_eq!(groups.iter().map(|g| g.1.len()).sum::<usize>(), 21);
    }

    #[test]
    fn sum_of_reports() {
        let mut sum = Report::default();
        let reports: Vec<Report> = (0..20).map(crate::synthetic::report).collect();
        for r in &reports {
            add_report(&mut sum, r);
        }
        for table in tables::all() {
            for cell in &table.cells {
                if matches!(cell.content, Content::Label(_)) {
                    continue;
                }
                let expected: f64 = reports
                    .iter()
                    .map(|r| number(table.value(r, cell.row, cell.col)))
                    .sum();
                let got = number(table.value(&sum, cell.row, cell.col));
                assert!((expected - got).abs() < 1e-6, "{}", table.describe(cell));
            }
        }
        assert!(crate::check::check(&sum).is_empty());
    }
}
