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
    Chart, ChartType, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Formula,
    Workbook, XlsxError,
};

use crate::model::{Report, ReportInfo, Year};
use crate::spec::grid::{Figures, Grid};
use crate::spec::tables::{self, Content, Field, Table, Value};

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
        let count = Format::new().set_num_format("0");
        let amount = Format::new().set_num_format("0.000000");
        let total_label = Format::new()
            .set_bold()
            .set_border_top(FormatBorder::Double);
        let total_count = total_label.clone().set_num_format("0");
        let total_amount = total_label.clone().set_num_format("0.000000");
        let columns = columns();
        {
            let sheet = workbook.add_worksheet_with_constant_memory()?;
            sheet.set_name(SUMMARY_SHEET)?;
            // Row 0: the table and row of each number, merged over its columns.
            // Only horizontal merges: constant-memory sheets are written row by row.
            let first = first_number_col();
            let mut start = 0usize;
            while start < columns.len() {
                let group = &columns[start].group;
                let end = start
                    + columns[start..]
                        .iter()
                        .take_while(|c| &c.group == group)
                        .count();
                let (c1, c2) = (first + start as u16, first + end as u16 - 1);
                if c1 == c2 {
                    sheet.write_with_format(0, c1, group.as_str(), &header)?;
                } else {
                    sheet.merge_range(0, c1, 0, c2, group, &header)?;
                }
                start = end;
            }
            sheet.merge_range(0, 0, 0, first - 1, INFO_GROUP, &header)?;
            sheet.set_row_height(0, 60)?;
            // Three lines for the column labels (本年制发件数 wraps in a 9-wide column).
            sheet.set_row_height(1, 42)?;
            // Row 1: the info columns and the column of each number.
            for (i, name) in INFO_COLUMNS.iter().enumerate() {
                sheet.write_with_format(1, i as u16, *name, &header)?;
            }
            for (i, c) in columns.iter().enumerate() {
                sheet.write_with_format(1, first + i as u16, c.label.as_str(), &header)?;
                sheet.set_column_width(first + i as u16, 9)?;
                let format = match c.value(&Report::default()) {
                    Value::Amount(_) => &amount,
                    Value::Count(_) => &count,
                };
                sheet.set_column_format(first + i as u16, format)?;
            }
            sheet.set_column_width(0, 34)?;
            sheet.set_column_width(1, 12)?;
            sheet.set_column_width(2, 6)?;
            sheet.set_column_width(3, 30)?;
            sheet.set_freeze_panes(HEADER_ROWS, 1)?;
            sheet.set_landscape();
            sheet.set_paper_size(9);
            sheet.set_repeat_rows(0, HEADER_ROWS - 1)?;
            sheet.set_repeat_columns(0, 0)?;
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
        self.add_charts(&sum)?;

        let date = ExcelDateTime::from_ymd(self.year.0, 12, 31)?;
        let properties = DocProperties::new()
            .set_title(format!("{name}{}年政府信息公开工作年度报告汇总", self.year))
            .set_author("nianbao")
            .set_creation_datetime(&date);
        self.workbook.set_properties(&properties);
        self.workbook.save_to_writer(out)
    }

    /// The `图表` sheet: a data block (outcome mix of all applications) and two charts.
    fn add_charts(&mut self, sum: &Report) -> Result<(), XlsxError> {
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
        // Both charts on one printed page.
        sheet.set_landscape();
        sheet.set_paper_size(9);
        sheet.set_print_fit_to_pages(1, 1);
        let heading = format!("{} {}", t3.name, t3.heading);
        sheet.write_with_format(0, 0, heading.as_str(), &header)?;
        sheet.write_with_format(0, 1, tables::TOTAL, &header)?;
        let grid = Grid::new(t3, sum);
        for (i, (label, rows_of_group)) in groups.iter().enumerate() {
            let total: u64 = rows_of_group
                .iter()
                .map(|&r| grid.count(r, t3.cols - 1))
                .sum();
            sheet.write(1 + i as u32, 0, *label)?;
            sheet.write_with_format(1 + i as u32, 1, total as f64, &count)?;
        }

        // Outcome mix of all applications (pie).
        let mut pie = Chart::new(ChartType::Pie);
        pie.title().set_name("全部申请的办理结果");
        if !groups.is_empty() {
            pie.add_series()
                .set_name("办理结果")
                .set_categories((CHART_SHEET, 1, 0, groups.len() as u32, 0))
                .set_values((CHART_SHEET, 1, 1, groups.len() as u32, 1));
        }
        pie.set_width(640).set_height(400);
        sheet.insert_chart(0, 3, &pie)?;

        // Applications received per agency (columns), read from 汇总.
        if let Some((col, name)) = received {
            let mut bars = Chart::new(ChartType::Column);
            bars.title().set_name(format!("各机关{name}").as_str());
            if rows > 0 {
                let (r1, r2) = (HEADER_ROWS, HEADER_ROWS + rows - 1);
                bars.add_series()
                    .set_name(name.as_str())
                    .set_categories((SUMMARY_SHEET, r1, 0, r2, 0))
                    .set_values((SUMMARY_SHEET, r1, col, r2, col));
            }
            bars.legend().set_hidden();
            bars.set_width(960).set_height(480);
            sheet.insert_chart(22, 3, &bars)?;
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
                let words = c.group.trim_start_matches(t3.name).trim();
                (
                    first_number_col() + i as u16,
                    format!("{words}（{}）", c.label),
                )
            })
    }
}

/// The outcome groups of table 三 — the labels of column B under the
/// row-spanning results label of column A, without the row of totals — and
/// the table rows each covers.
pub fn outcome_groups(t3: &Table) -> Vec<(&'static str, Vec<usize>)> {
    let Some(results) = t3.cells.iter().find(|c| {
        c.col == 0
            && c.row >= t3.header_rows
            && c.row_span > 1
            && matches!(c.content, Content::Label(_))
    }) else {
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
