//! The geometry of the workbook and the fill-in form beyond the three tables:
//! which sheets a form has and the layout of its `文字` sheet.

use crate::model::Report;
use crate::spec::outline::{BLOCKS, SECTION_HEADINGS};
use crate::spec::rules::{self, Comparison, Rule, Subject};
use crate::spec::tables::{self, BasicInfo, TITLE_ROWS, Table};

/// The name of the sheet of live rule checks.
pub const CHECK_SHEET: &str = "校验";
/// What a passed / failed rule shows on the `校验` sheet.
pub const PASS: &str = "通过";
/// See [`PASS`].
pub const FAIL: &str = "不通过";
/// Columns of the `校验` sheet (含义: [`Rule::meaning`], once per rule).
pub const CHECK_COLUMNS: [&str; 7] = ["规则", "单元格", "检查内容", "左边", "右边", "结果", "含义"];
/// First 0-based row of the check lines on the `校验` sheet (below title, summary, header).
pub const CHECK_FIRST_ROW: usize = TITLE_ROWS + 2;

/// One line of the `校验` sheet: a comparison of a rule that can fail in the
/// workbook, as two formulas and their values for the report.
#[derive(Debug, Clone)]
pub struct CheckLine {
    /// The rule.
    pub rule: &'static Rule,
    /// The cell the rule is about, e.g. `依申请公开!D29`.
    pub cell: String,
    /// What is checked, in words: the rule's wording and where.
    pub words: String,
    /// Left side as a formula (no `=`), with sheet-qualified references.
    pub left: String,
    /// Right side as a formula.
    pub right: String,
    /// The left side's value for the report.
    pub left_value: i64,
    /// The right side's value for the report.
    pub right_value: i64,
}

impl CheckLine {
    /// Whether the rule holds for the report.
    pub fn holds(&self) -> bool {
        self.rule.relation.holds(self.left_value, self.right_value)
    }

    /// The result formula of the line on 0-based sheet row `row`, the
    /// sides being in columns D and E.
    pub fn result_formula(&self, row: usize) -> String {
        format!(
            "IF({}{}{},\"{PASS}\",\"{FAIL}\")",
            tables::cell_name(row, 3),
            self.rule.relation.operator(),
            tables::cell_name(row, 4)
        )
    }
}

/// The lines of the `校验` sheet for `report`: every comparison of
/// [`rules::RULES`] the workbook can fail (R1 per column of 表三, R10),
/// valued the way the workbook computes it (totals are the formulas' values).
///
/// R2–R4 compare a total the clerk typed with its sum; the workbook holds
/// only the sum (a formula), so they cannot fail there and are left out, as
/// are R5/R6 (last year) and R7–R9 ([`Rule::check_sheet_note`] says why);
/// the sheet lists only these lines.
///
/// ```
/// let report = nianbao::model::Report::from_toml_str(
///     "[report]\nagency = \"某局\"\nyear = 2024\n[applications]\nnew = [1, 0, 0, 0, 0, 0]\n", "x.toml").unwrap();
/// let lines = nianbao::spec::sheets::check_lines(&report);
/// let r1 = &lines[0];
/// assert_eq!((r1.rule.id, r1.cell.as_str()), ("R1", "依申请公开!D29"));
/// assert_eq!((r1.left_value, r1.right_value), (1, 0));
/// assert!(!r1.holds());
/// ```
pub fn check_lines(report: &Report) -> Vec<CheckLine> {
    let now = Subject::new(report);
    rules::comparisons()
        .iter()
        .filter_map(Comparison::in_workbook)
        .filter_map(|c| {
            let outcome = c.evaluate(&now, None)?;
            let mut words = c.rule.wording();
            if !c.instance.is_empty() {
                words.push_str(&format!("（{}）", c.instance));
            }
            if c.rule.severity == rules::Severity::Warning {
                words.push_str("；警告，不影响生成");
            }
            Some(CheckLine {
                rule: c.rule,
                cell: c.at.excel_ref(),
                words,
                left: Comparison::formula(&c.left),
                right: Comparison::formula(&c.right),
                left_value: outcome.left,
                right_value: outcome.right,
            })
        })
        .collect()
}

/// The sheet of text blocks.
pub const TEXT_SHEET: &str = "文字";

/// The first sheet of the fill-in form: how to fill it in. Never read back.
pub const GUIDE_SHEET: &str = "填表说明";

/// The units of the form's input cells, as the input messages and the
/// `填表说明` sheet say them.
pub const UNIT_COUNT: &str = "单位：件，填不小于 0 的整数";
/// See [`UNIT_COUNT`]: 行政事业性收费 of table 二.
pub const UNIT_FEES: &str = "单位：万元，最多 6 位小数";
/// See [`UNIT_COUNT`]: the 信息处理费 amounts of `基本信息`.
pub const UNIT_YUAN: &str = "单位：元，最多 2 位小数";
/// How a 成文日期 is written in examples and messages.
pub const DATE_EXAMPLE: &str = "2025年1月20日";
/// The Excel number format of the 成文日期 cell of the form.
pub const DATE_FORMAT: &str = "yyyy\"年\"m\"月\"d\"日\"";
/// The dates the 成文日期 cell's data validation allows, `(y, m, d)`.
pub const DATE_RANGE: ((u16, u8, u8), (u16, u8, u8)) = ((2000, 1, 1), (2100, 12, 31));

/// The sheets a filled form must have (the `校验` sheet is not read).
///
/// ```
/// assert_eq!(
///     nianbao::spec::sheets::required_sheets(),
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

/// One row of the `文字` sheet: the section heading in A, the row's Chinese
/// name in B, the text in C. Forms written before the Chinese names held the
/// key path (`text.overview`) in B; the reader accepts either
/// ([`TextRow::names`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextRow {
    /// Block or heading.
    pub kind: TextKind,
    /// The name in [`BLOCKS`], e.g. `overview`.
    pub name: &'static str,
    /// Key path in the input file, e.g. `text.overview` (column B of the
    /// forms written before the Chinese names).
    pub key: String,
    /// The section heading of [`SECTION_HEADINGS`] the row belongs to (column A),
    /// e.g. `一、总体情况`.
    pub section: &'static str,
    /// What the row is, in words (column B), e.g. `一（一）主动公开`.
    pub label: String,
    /// 0-based sheet row.
    pub sheet_row: usize,
}

impl TextRow {
    /// Whether `found` (column B of a filled form) names this row: its
    /// Chinese name, or its key path as older forms wrote it.
    pub fn names(&self, found: &str) -> bool {
        let found = found.trim();
        found == self.label || found == self.key
    }

    /// `文字!C<row>`: the cell holding the text.
    pub fn excel_ref(&self) -> String {
        tables::sheet_cell(TEXT_SHEET, self.sheet_row, 2)
    }

    /// The text the report gives for this row (not a default).
    pub fn value(&self, report: &Report) -> Option<String> {
        match self.kind {
            TextKind::Block => report.text.get(self.name).map(str::to_string),
            TextKind::Heading => report.headings.given(self.name),
        }
    }

    /// Sets this row's text in `report`.
    pub fn set(&self, report: &mut Report, value: Option<String>) {
        match self.kind {
            TextKind::Block => report.text.set(self.name, value),
            TextKind::Heading => report.headings.set(self.name, value),
        }
    }
}

/// First 0-based row of the text rows (below the title and the column header).
pub const TEXT_FIRST_ROW: usize = TITLE_ROWS + 1;
/// Column headers of the `文字` sheet.
pub const TEXT_COLUMNS: [&str; 3] = [
    "部分",
    "项目",
    "内容（可多段，段与段之间空一行；留空则用默认文字）",
];

/// The rows of the `文字` sheet: the 9 text blocks, then the 7 run-in headings.
///
/// ```
/// let rows = nianbao::spec::sheets::text_rows();
/// assert_eq!(rows[0].key, "text.overview");
/// assert_eq!(rows[0].section, "一、总体情况");
/// assert_eq!(rows[0].label, "一、总体情况 开头段落");
/// assert!(rows[0].names("text.overview") && rows[0].names("一、总体情况 开头段落"));
/// assert_eq!(rows[0].excel_ref(), "文字!C3");
/// assert_eq!(rows[9].key, "headings.proactive");
/// ```
pub fn text_rows() -> Vec<TextRow> {
    let blocks = BLOCKS.iter().map(|b| {
        (
            TextKind::Block,
            b,
            format!("text.{}", b.name),
            b.place.to_string(),
        )
    });
    let headings = BLOCKS.iter().filter_map(|b| {
        let head = b.default_head?;
        Some((
            TextKind::Heading,
            b,
            format!("headings.{}", b.name),
            format!("{} 的小标题（留空即用「{head}」）", b.place),
        ))
    });
    blocks
        .chain(headings)
        .enumerate()
        .map(|(i, (kind, b, key, label))| TextRow {
            kind,
            name: b.name,
            key,
            section: SECTION_HEADINGS.get(b.section).copied().unwrap_or(""),
            label,
            sheet_row: TEXT_FIRST_ROW + i,
        })
        .collect()
}

/// The `SUM(…)` of `terms` (table cells), with `prefix` (e.g. `'依申请公开'!`)
/// before each reference; adjacent cells are joined into ranges.
///
/// ```
/// let t3 = nianbao::spec::tables::applications();
/// let terms: Vec<_> = (3..9).map(|c| (3, c)).collect();
/// assert_eq!(nianbao::spec::sheets::sum_formula(t3, &terms, ""), "SUM(D5:I5)");
/// ```
pub fn sum_formula(table: &Table, terms: &[(usize, usize)], prefix: &str) -> String {
    let mut runs: Vec<((usize, usize), (usize, usize))> = Vec::new();
    for &(r, c) in terms {
        if let Some((start, end)) = runs.last_mut() {
            let row_run = start.0 == end.0 && r == end.0 && c == end.1 + 1;
            let col_run = start.1 == end.1 && c == end.1 && r == end.0 + 1;
            if row_run || col_run {
                *end = (r, c);
                continue;
            }
        }
        runs.push(((r, c), (r, c)));
    }
    let parts: Vec<String> = runs
        .iter()
        .map(|&(s, e)| format!("{prefix}{}", table.range(s, e)))
        .collect();
    format!("SUM({})", parts.join(","))
}
